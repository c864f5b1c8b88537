//! Profiles (platforms) as both front ends manage them: a summary of each with who is
//! signed in there, removing one with everything it left behind, and the name it is shown as.
//! Each profile keeps its own sign-in (keyring entries in its own namespace), so switching
//! between them never signs anyone out.

use chrono::Utc;
use serde::Serialize;

use crate::account::{self, AccountError};
use crate::config::{Config, ConfigError};
use crate::connect::{connect, ConnectOptions};
use crate::error::{ErrorCode, ErrorPayload};
use crate::keyring::{KeyringError, SecretStore, SecretStoreExt};
use crate::paths::Paths;
use crate::status::{describe, CredentialState, CredentialStatus};

/// The longest name a profile is shown as.
const DISPLAY_NAME_MAX: usize = 80;

/// One profile, as the Platforms view and `skyport profiles list` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    /// The profile's key in config.toml (`canfar`).
    pub name: String,
    /// What it is shown as (its display name, else its key).
    pub display_name: String,
    /// The session service.
    pub url: String,
    /// The profile in use.
    pub active: bool,
    /// Who is signed in there, and with what (read from the keyring and the certificate).
    pub status: CredentialStatus,
    /// It offers CADC password sign-in.
    pub password: bool,
    /// It offers browser sign-in through an OpenID provider.
    pub browser: bool,
    /// Its registry id, when it came from a registry.
    pub resource_id: Option<String>,
}

/// Every profile in `cfg`, in name order.
pub fn summaries(paths: &Paths, store: &dyn SecretStore, cfg: &Config) -> Vec<ProfileSummary> {
    cfg.profiles
        .iter()
        .map(|(name, p)| {
            let status = match cfg.resolve(Some(name), None) {
                Ok(resolved) => {
                    let conn = connect(paths, &resolved, store, &ConnectOptions::default())
                        .map_err(ErrorPayload::from);
                    describe(
                        paths,
                        &resolved,
                        conn.as_ref(),
                        None,
                        &store.describe(),
                        Utc::now(),
                    )
                }
                Err(e) => CredentialStatus {
                    state: CredentialState::Error,
                    headline: "This profile cannot be used".into(),
                    advice: Some(e.to_string()),
                    expires_at: None,
                },
            };
            ProfileSummary {
                name: name.clone(),
                display_name: p.display_name.clone().unwrap_or_else(|| name.clone()),
                url: p.url.clone(),
                active: cfg.active.as_deref() == Some(name.as_str()),
                status,
                password: p.login_url.is_some(),
                browser: p.oidc.is_some(),
                resource_id: p.resource_id.clone(),
            }
        })
        .collect()
}

/// Make `name` the profile in use.
pub fn switch(paths: &Paths, name: &str) -> Result<(), ConfigError> {
    Config::update(&paths.config_file(), |cfg| cfg.use_profile(name))
}

/// Show `name` as `display_name` (empty: as its key again).
pub fn rename(paths: &Paths, name: &str, display_name: &str) -> Result<(), ConfigError> {
    let shown = display_name.trim();
    if shown.chars().count() > DISPLAY_NAME_MAX || shown.chars().any(char::is_control) {
        return Err(ConfigError::Invalid(format!(
            "a platform's name is at most {DISPLAY_NAME_MAX} characters on one line"
        )));
    }
    Config::update(&paths.config_file(), |cfg| {
        let p = cfg
            .profiles
            .get_mut(name)
            .ok_or_else(|| ConfigError::NoSuchProfile(name.to_string()))?;
        p.display_name = (!shown.is_empty()).then(|| shown.to_string());
        Ok(())
    })
}

/// What removing a profile took away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    /// Saved secrets deleted from the keyring.
    pub secrets: u32,
    /// Its browser sign-in was revoked at the provider.
    pub revoked: bool,
    /// Why its sign-in could not be revoked at the provider (deleted here anyway).
    pub revoke_failed: Option<String>,
    /// The profile now in use, if any is left.
    pub active: Option<String>,
    /// The keyring could not be reached: its entries of this profile (if any) are still
    /// there, and why.
    pub keyring_problem: Option<String>,
}

/// Remove a profile and everything of it: its sign-in (revoked where the provider allows),
/// its secrets in the keyring, its entry in config.toml. When the keyring refuses to delete,
/// the profile stays, so that removing it again can finish the job; when there is no keyring
/// at all the profile goes and the answer says its entries could not be reached. The
/// certificate file stays (other tools and profiles use it).
pub async fn remove(
    paths: &Paths,
    store: &dyn SecretStore,
    name: &str,
) -> Result<Removed, AccountError> {
    let file = paths.config_file();
    if !Config::load(&file)?.profiles.contains_key(name) {
        return Err(ConfigError::NoSuchProfile(name.to_string()).into());
    }
    // The provider's own client (no redirects), as for any sign-out.
    let http = crate::auth::oidc::http_client(std::time::Duration::from_secs(15))?;
    let signed_out = account::sign_out(&http, paths, store, name)
        .await
        .and_then(|out| {
            // The client registered for this profile goes with it.
            store.delete(&crate::auth::oidc::tokens::client_secret_key(name))?;
            Ok(out)
        });
    let (out, keyring_problem) = match signed_out {
        Ok(out) => (out, None),
        Err(e) if no_keyring(&e) => (account::SignedOut::default(), Some(e.to_string())),
        Err(e) => return Err(e),
    };
    let active = Config::update(&file, |cfg| {
        cfg.remove(name)?;
        Ok::<_, ConfigError>(cfg.active.clone())
    })?;
    Ok(Removed {
        secrets: out.removed,
        revoked: out.report.is_some(),
        revoke_failed: out.revoke_failed,
        active,
        keyring_problem,
    })
}

/// There is no keyring at all (as opposed to one that refuses): nothing can be deleted there
/// now, and waiting would not help the user remove the profile.
fn no_keyring(e: &AccountError) -> bool {
    use crate::auth::oidc::OidcError;
    let k = match e {
        AccountError::Keyring(k) | AccountError::Oidc(OidcError::Keyring(k)) => k,
        _ => return false,
    };
    matches!(k, KeyringError::Unavailable { .. })
}

/// What a removal would take away, in words, for the confirmation.
pub fn removal_warning(cfg: &Config, name: &str) -> Result<String, ErrorPayload> {
    let p = cfg.profiles.get(name).ok_or_else(|| {
        ErrorPayload::new(ErrorCode::NotFound, format!("there is no profile {name:?}"))
    })?;
    let shown = p.display_name.as_deref().unwrap_or(name);
    Ok(format!(
        "Skyport forgets {shown} ({}): its sign-in (revoked at the provider where it allows), the token, password and username it keeps in the keyring, and its settings. Your sessions on the platform and your certificate file are not touched.",
        p.url
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::{entries, EntryKey, MemoryStore, SecretStoreExt};
    use crate::secret::SecretString;

    fn setup() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        std::fs::create_dir_all(&paths.config_dir).expect("dir");
        std::fs::write(
            paths.config_file(),
            "active = \"a\"\n[profiles.a]\nurl = \"https://a.example/skaha\"\nusername = \"alice\"\n\
             [profiles.b]\nurl = \"https://b.example/skaha\"\ndisplay_name = \"Bee\"\n",
        )
        .expect("config");
        (dir, paths)
    }

    #[test]
    fn each_profile_says_who_is_signed_in_there() {
        let (_d, paths) = setup();
        let store = MemoryStore::default();
        store
            .set(
                &EntryKey::new("a", entries::TOKEN),
                &SecretString::new("t".to_string()),
            )
            .expect("set");
        let cfg = Config::load(&paths.config_file()).expect("load");
        let s = summaries(&paths, &store, &cfg);
        assert_eq!(s.len(), 2);
        assert!(s[0].active && !s[1].active);
        assert_eq!(s[0].status.headline, "Signed in as alice");
        assert_eq!(s[1].status.state, CredentialState::SignedOut);
        assert_eq!(s[1].display_name, "Bee");
    }

    #[tokio::test]
    async fn removing_takes_its_secrets_and_leaves_the_others() {
        let (_d, paths) = setup();
        let store = MemoryStore::default();
        for p in ["a", "b"] {
            store
                .set(
                    &EntryKey::new(p, entries::TOKEN),
                    &SecretString::new("t".to_string()),
                )
                .expect("set");
        }
        let r = remove(&paths, &store, "a").await.expect("removed");
        assert_eq!((r.secrets, r.active.as_deref()), (1, Some("b")));
        assert!(store
            .get(&EntryKey::new("a", entries::TOKEN))
            .expect("get")
            .is_none());
        assert!(store
            .get(&EntryKey::new("b", entries::TOKEN))
            .expect("get")
            .is_some());
        let cfg = Config::load(&paths.config_file()).expect("load");
        assert!(!cfg.profiles.contains_key("a"));
        assert!(remove(&paths, &store, "a").await.is_err());
    }

    #[test]
    fn renaming_changes_only_what_it_is_shown_as() {
        let (_d, paths) = setup();
        rename(&paths, "a", "  My CANFAR ").expect("renamed");
        let cfg = Config::load(&paths.config_file()).expect("load");
        assert_eq!(cfg.profiles["a"].display_name.as_deref(), Some("My CANFAR"));
        rename(&paths, "a", "").expect("cleared");
        let cfg = Config::load(&paths.config_file()).expect("load");
        assert_eq!(cfg.profiles["a"].display_name, None);
        assert!(rename(&paths, "a", "two\nlines").is_err());
        assert!(rename(&paths, "nope", "x").is_err());
        switch(&paths, "b").expect("switched");
        assert_eq!(
            Config::load(&paths.config_file())
                .expect("load")
                .active
                .as_deref(),
            Some("b")
        );
    }
}
