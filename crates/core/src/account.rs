//! Account flows shared by the app and the CLI, so that both leave the same things behind:
//! a new sign-in replaces an older one, the username is remembered where renewal finds it,
//! a password is kept only when asked, and sign-out removes everything of the user's.

use crate::auth::oidc::{self, SignOutReport};
use crate::config::{Config, ConfigError, ResolvedProfile};
use crate::connect::TokenSlot;
use crate::error::{Coded, ErrorCode};
use crate::keyring::{entries, EntryKey, KeyringError, SecretStore, SecretStoreExt};
use crate::paths::Paths;
use crate::secret::SecretString;

/// An account flow that could not finish; says which part and what to do.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Oidc(#[from] oidc::OidcError),
}

impl Coded for AccountError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Keyring(e) => e.code(),
            Self::Config(e) => e.code(),
            Self::Oidc(e) => e.code(),
        }
    }
}

/// Keep a token (from a password sign-in, or pasted) as the profile's credential. It
/// replaces an OIDC sign-in, whose tokens would otherwise be used before it.
pub fn keep_token(
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &str,
    token: &SecretString,
) -> Result<(), AccountError> {
    store.set(&TokenSlot::Token.key(profile), token)?;
    oidc::tokens::forget(paths, store, profile)?;
    Ok(())
}

/// Keep the password for unattended certificate renewal (`Some`), or forget it (`None`).
pub fn keep_password(
    store: &dyn SecretStore,
    profile: &str,
    password: Option<&SecretString>,
) -> Result<(), AccountError> {
    let key = EntryKey::new(profile, entries::PASSWORD);
    match password {
        Some(p) => store.set(&key, p)?,
        None => {
            store.delete(&key)?;
        }
    }
    Ok(())
}

/// Keep the username where the app and certificate renewal find it: the profile in
/// config.toml, or (for a platform given only by SKYPORT_URL) the keyring when the
/// password is kept too. Returns whether anything changed.
pub fn remember_username(
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    username: &str,
    password_kept: bool,
) -> Result<bool, AccountError> {
    let file = paths.config_file();
    // A platform given only by SKYPORT_URL has no config file to change (nor create).
    if !profile.from_env || file.exists() {
        let changed = Config::update(&file, |cfg| {
            Ok::<_, ConfigError>(cfg.profiles.get_mut(&profile.name).map(|p| {
                let changed = p.username.as_deref() != Some(username)
                    || (password_kept && !p.remember_password);
                p.username = Some(username.to_string());
                p.remember_password |= password_kept;
                changed
            }))
        })?;
        if let Some(changed) = changed {
            return Ok(changed);
        }
    }
    if password_kept {
        store.set(
            &EntryKey::new(profile.name.as_str(), entries::USERNAME),
            &SecretString::new(username.to_string()),
        )?;
        return Ok(true);
    }
    Ok(false)
}

/// What sign-out did.
#[derive(Debug, Clone, Default)]
pub struct SignedOut {
    /// The provider's answer to revocation, when there was an OIDC sign-in.
    pub report: Option<SignOutReport>,
    /// Why the tokens could not be revoked at the provider (they are deleted here anyway).
    pub revoke_failed: Option<String>,
    /// How many saved credentials were removed from the keyring.
    pub removed: u32,
}

/// Sign out: revoke OIDC tokens where the provider allows it, delete every secret of the
/// profile from the keyring and the sign-in record, and stop renewing with a password. An
/// entry that cannot be deleted does not keep the others; the first error is returned after.
/// The certificate file is left in place (other tools use it too).
pub async fn sign_out(
    http: &reqwest::Client,
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &str,
) -> Result<SignedOut, AccountError> {
    let mut out = SignedOut::default();
    if oidc::load_record(paths, profile).is_some() {
        match oidc::sign_out(http, paths, store, profile).await {
            Ok(report) => out.report = Some(report),
            Err(e) => out.revoke_failed = Some(e.to_string()),
        }
    }
    let mut first_error = None;
    for name in entries::SIGN_OUT {
        match store.delete(&EntryKey::new(profile, name)) {
            Ok(true) => out.removed += 1,
            Ok(false) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    oidc::tokens::forget(paths, store, profile)?;
    let file = paths.config_file();
    if file.exists() {
        Config::update(&file, |cfg| {
            if let Some(p) = cfg.profiles.get_mut(profile) {
                p.remember_password = false;
            }
            Ok::<_, ConfigError>(())
        })?;
    }
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::MemoryStore;

    fn setup() -> (tempfile::TempDir, Paths, ResolvedProfile) {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        std::fs::create_dir_all(&paths.config_dir).expect("dir");
        std::fs::write(
            paths.config_file(),
            "active = \"lab\"\n[profiles.lab]\nurl = \"https://lab.example/skaha\"\n",
        )
        .expect("config");
        let profile = Config::load(&paths.config_file())
            .expect("load")
            .resolve(None, None)
            .expect("profile");
        (dir, paths, profile)
    }

    fn has(store: &MemoryStore, name: &str) -> bool {
        matches!(store.get(&EntryKey::new("lab", name)), Ok(Some(_)))
    }

    #[test]
    fn a_kept_token_replaces_an_oidc_sign_in() {
        let (_d, paths, _p) = setup();
        let store = MemoryStore::default();
        store
            .set(
                &TokenSlot::Access.key("lab"),
                &SecretString::new("oidc".into()),
            )
            .expect("set");
        keep_token(&paths, &store, "lab", &SecretString::new("cadc".into())).expect("keep");
        assert!(matches!(store.get(&TokenSlot::Access.key("lab")), Ok(None)));
        assert_eq!(
            store
                .get(&TokenSlot::Token.key("lab"))
                .expect("get")
                .map(|t| t.expose().clone()),
            Some("cadc".to_string())
        );
    }

    #[test]
    fn the_username_and_password_choice_are_remembered_and_sign_out_clears_them() {
        let (_d, paths, profile) = setup();
        let store = MemoryStore::default();
        let pw = SecretString::new("pw".into());
        keep_password(&store, "lab", Some(&pw)).expect("keep");
        assert!(remember_username(&paths, &store, &profile, "alice", true).expect("remember"));
        assert!(!remember_username(&paths, &store, &profile, "alice", true).expect("again"));
        let cfg = Config::load(&paths.config_file()).expect("load");
        let p = cfg.profiles.get("lab").expect("lab");
        assert_eq!(p.username.as_deref(), Some("alice"));
        assert!(p.remember_password);
        keep_token(&paths, &store, "lab", &SecretString::new("t".into())).expect("token");

        let http = reqwest::Client::new();
        let rt = tokio::runtime::Runtime::new().expect("rt");
        let out = rt
            .block_on(sign_out(&http, &paths, &store, "lab"))
            .expect("sign out");
        assert_eq!(out.removed, 2, "the token and the password");
        assert!(out.report.is_none(), "no OIDC sign-in to revoke");
        assert!(!has(&store, entries::PASSWORD));
        assert!(matches!(store.get(&TokenSlot::Token.key("lab")), Ok(None)));
        let cfg = Config::load(&paths.config_file()).expect("load");
        assert!(!cfg.profiles.get("lab").expect("lab").remember_password);
        // The username stays: it is not a secret, and the next sign-in form starts with it.
        assert_eq!(
            cfg.profiles.get("lab").expect("lab").username.as_deref(),
            Some("alice")
        );
        keep_password(&store, "lab", None).expect("forgetting nothing is fine");
    }
}
