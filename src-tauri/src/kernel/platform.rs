//! The platform in use and the credential chosen for it, shared by every feature.
//!
//! The profile comes from `config.toml` (shared with the CLI) or `SKYPORT_URL`; the
//! credential is chosen by `skyport_core::connect` exactly as the CLI chooses it. The
//! connection (a Skaha client with its credential) is kept between calls instead of a
//! keyring read and a new HTTP client per call; it is made again when the credential
//! changes, when the platform refuses it, when the profile changes, and after a few minutes
//! (another process, e.g. the CLI, may have signed in or out meanwhile).

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use skyport_core::config::{Config, ConfigError, ResolvedProfile};
use skyport_core::connect::{connect, ConnectOptions, Connection, TokenSlot};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::keyring::{OsKeyring, SecretStore, SecretStoreExt};
use skyport_core::paths::Paths;
use skyport_core::platform::{ServiceUrl, URL_ENV};
use skyport_core::secret::SecretString;
use skyport_core::skaha::SkahaClient;
use skyport_core::status::CredentialStatus;

/// How long a connection is kept at most.
const KEEP_CONNECTION: Duration = Duration::from_secs(300);

/// The platform in use, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformSetting {
    /// No `SKYPORT_URL` and no profile yet.
    None,
    Ready(Box<ResolvedProfile>),
    /// The setting exists but cannot be used (malformed config, bad URL).
    Invalid(String),
}

struct Kept {
    profile: String,
    made: Instant,
    connection: Connection,
}

/// Managed state: the platform, the secrets and the connection.
pub struct Platform {
    pub paths: Paths,
    setting: RwLock<PlatformSetting>,
    pub secrets: Arc<dyn SecretStore>,
    env_token: Option<SecretString>,
    /// Set when the platform refused the credential (401): kept, but marked as refused.
    refused: RwLock<Option<String>>,
    kept: Mutex<Option<Kept>>,
    /// Counts switches to another platform: work begun before a switch (a session list
    /// being fetched) is dropped when it ends after it.
    generation: std::sync::atomic::AtomicU64,
}

fn resolve(paths: &Paths) -> PlatformSetting {
    let env_url = std::env::var(URL_ENV).ok();
    let cfg = match Config::load(&paths.config_file()) {
        Ok(c) => c,
        // A broken file must not hide a working SKYPORT_URL.
        Err(e) if env_url.is_none() => return PlatformSetting::Invalid(e.to_string()),
        Err(_) => Config::default(),
    };
    match cfg.resolve(None, env_url.as_deref()) {
        Ok(p) => PlatformSetting::Ready(Box::new(p)),
        Err(ConfigError::NoPlatform) => PlatformSetting::None,
        Err(e) => PlatformSetting::Invalid(e.to_string()),
    }
}

impl Platform {
    /// Read the configuration once at start; `env_token` is `SKYPORT_TOKEN`, already taken
    /// out of the environment ([`skyport_core::connect::take_env_token`]).
    pub fn load(paths: Paths, env_token: Option<SecretString>) -> Self {
        Self::with_store(paths, Arc::new(OsKeyring), env_token)
    }

    pub fn with_store(
        paths: Paths,
        secrets: Arc<dyn SecretStore>,
        env_token: Option<SecretString>,
    ) -> Self {
        Self {
            setting: RwLock::new(resolve(&paths)),
            paths,
            secrets,
            env_token,
            refused: RwLock::new(None),
            kept: Mutex::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Re-read the configuration (after the CLI or the Platforms view changed it). Returns
    /// whether another platform (or none) is in use now, rather than the same one.
    pub fn reload(&self) -> bool {
        let now = resolve(&self.paths);
        // Compared and replaced under one lock: two reloads at once (the config watcher and
        // a command) see one switch, not two.
        let switched = {
            let mut held = self.setting.write().unwrap_or_else(|e| e.into_inner());
            let switched = match (&*held, &now) {
                (PlatformSetting::Ready(a), PlatformSetting::Ready(b)) => {
                    a.name != b.name || a.service != b.service
                }
                (a, b) => a != b,
            };
            *held = now;
            switched
        };
        if switched {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // The refusal was the other platform's.
            if let Ok(mut r) = self.refused.write() {
                *r = None;
            }
        }
        self.forget_connection();
        switched
    }

    /// How many times another platform came into use (see [`Platform::reload`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn setting(&self) -> PlatformSetting {
        self.setting
            .read()
            .map(|p| p.clone())
            .unwrap_or(PlatformSetting::None)
    }

    pub fn service(&self) -> Option<ServiceUrl> {
        match self.setting() {
            PlatformSetting::Ready(p) => Some(p.service),
            _ => None,
        }
    }

    pub fn summary(&self) -> String {
        match self.setting() {
            PlatformSetting::None => "none".into(),
            PlatformSetting::Ready(p) => format!("{} ({})", p.service.as_str(), p.name),
            PlatformSetting::Invalid(e) => format!("invalid: {e}"),
        }
    }

    /// The profile in use, or why there is none.
    pub fn profile(&self) -> Result<ResolvedProfile, ErrorPayload> {
        match self.setting() {
            PlatformSetting::Ready(p) => Ok(*p),
            PlatformSetting::Invalid(e) => Err(ErrorPayload::new(ErrorCode::Config, e)),
            PlatformSetting::None => Err(ErrorPayload::new(
                ErrorCode::Config,
                "No platform is chosen yet. Choose one under Platforms: CANFAR, an SRCNet node or any Skaha platform.",
            )),
        }
    }

    /// Keep the username (not a secret) where the next sign-in form and unattended renewal
    /// find it; `password_kept`: the password was kept for renewal too.
    pub fn remember_username(
        &self,
        profile: &ResolvedProfile,
        username: &str,
        password_kept: bool,
    ) {
        match skyport_core::account::remember_username(
            &self.paths,
            self.secrets.as_ref(),
            profile,
            username,
            password_kept,
        ) {
            Ok(true) => {
                self.reload();
            }
            Ok(false) => {}
            Err(e) => tracing::warn!("could not remember the username: {e}"),
        }
    }

    /// `SKYPORT_TOKEN` as it was at start.
    pub fn env_token(&self) -> Option<SecretString> {
        self.env_token.clone()
    }

    /// What the auth relay may present to a session page that asks for credentials: the
    /// bearer token in use and the certificate. (Never the CADC password.)
    pub fn relay_credentials(&self) -> skyport_core::relay::Available {
        let mut available = skyport_core::relay::Available::default();
        let Ok(profile) = self.profile() else {
            return available;
        };
        available.token = self.env_token.clone().or_else(|| {
            [TokenSlot::Access, TokenSlot::Token]
                .into_iter()
                .find_map(|slot| self.secrets.get(&slot.key(&profile.name)).ok().flatten())
        });
        if let Ok(bundle) = skyport_core::cert::CertBundle::load(&skyport_core::connect::cert_path(
            &self.paths,
            &profile,
        )) {
            if bundle.info().not_after > Utc::now() {
                available.certificate_pem = Some(skyport_core::secret::Secret::new(
                    bundle.identity_pem().to_vec(),
                ));
            }
        }
        available
    }

    /// The certificate file of the profile in use (`SKYPORT_CERT`, the profile's, else
    /// `~/.ssl/cadcproxy.pem`).
    pub fn cert_path(&self) -> std::path::PathBuf {
        match self.setting() {
            PlatformSetting::Ready(p) => skyport_core::connect::cert_path(&self.paths, &p),
            _ => skyport_core::connect::env_cert_path().unwrap_or_else(|| self.paths.cert_file()),
        }
    }

    /// The connection for the profile in use: the one kept, or a new one.
    pub fn connection(&self) -> Result<Connection, ErrorPayload> {
        let profile = self.profile()?;
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = kept.as_ref() {
            if k.profile == profile.name && k.made.elapsed() < KEEP_CONNECTION {
                return Ok(k.connection.clone());
            }
        }
        let opts = ConnectOptions {
            env_token: self.env_token.clone(),
            timeout: None,
        };
        // Failures are not kept: the next call looks again (the user may be signing in).
        let connection = connect(&self.paths, &profile, self.secrets.as_ref(), &opts)
            .map_err(ErrorPayload::from)?;
        *kept = Some(Kept {
            profile: profile.name,
            made: Instant::now(),
            connection: connection.clone(),
        });
        Ok(connection)
    }

    /// A Skaha client for the current platform and credential, or what is missing.
    pub fn client(&self) -> Result<SkahaClient, ErrorPayload> {
        self.connection().map(|c| c.client)
    }

    /// The credential changed (saved, signed in or out, refreshed, a new certificate): the
    /// next call connects again.
    pub fn forget_connection(&self) {
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The platform answered 401: remember it so the status bar says so, and connect again
    /// next time (the credential may have been replaced meanwhile).
    pub fn mark_refused(&self, message: String) {
        if let Ok(mut r) = self.refused.write() {
            *r = Some(message);
        }
        self.forget_connection();
    }

    pub fn clear_refused(&self) {
        if let Ok(mut r) = self.refused.write() {
            *r = None;
        }
    }

    pub fn is_refused(&self) -> bool {
        self.refused.read().map(|r| r.is_some()).unwrap_or(false)
    }

    /// What the status bar says about the credential (worded by core).
    pub fn credential_status(&self) -> CredentialStatus {
        let Ok(profile) = self.profile() else {
            return CredentialStatus::signed_out();
        };
        let refused = self.refused.read().ok().and_then(|r| r.clone());
        let connection = self.connection();
        skyport_core::status::describe(
            &self.paths,
            &profile,
            connection.as_ref(),
            refused.as_deref(),
            &self.secrets.describe(),
            Utc::now(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skyport_core::keyring::MemoryStore;
    use skyport_core::status::CredentialState;

    /// A profile pointing at a loopback platform (nothing listens: no call is made).
    fn platform_with_profile() -> (Platform, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        std::fs::create_dir_all(&paths.config_dir).expect("dir");
        std::fs::write(
            paths.config_file(),
            "active = \"lab\"\n[profiles.lab]\nurl = \"http://127.0.0.1:9/skaha\"\n",
        )
        .expect("config");
        let p = Platform::with_store(paths, Arc::new(MemoryStore::default()), None);
        (p, dir)
    }

    #[test]
    fn the_connection_is_kept_until_the_credential_changes() {
        let (p, _dir) = platform_with_profile();
        let e = p.connection().expect_err("no credential yet");
        assert_eq!(e.code, ErrorCode::SignInNeeded);
        let key = TokenSlot::Token.key("lab");
        p.secrets
            .set(&key, &SecretString::new("first".into()))
            .expect("set");
        assert!(p.connection().is_ok());
        // Gone from the keyring, but the kept connection is used until told otherwise.
        p.secrets.delete(&key).expect("delete");
        assert!(p.connection().is_ok());
        p.forget_connection();
        assert_eq!(
            p.connection().map(|_| ()).map_err(|e| e.code),
            Err(ErrorCode::SignInNeeded)
        );
    }

    #[test]
    fn a_refusal_shows_until_cleared_and_drops_the_kept_connection() {
        let (p, _dir) = platform_with_profile();
        let key = TokenSlot::Token.key("lab");
        p.secrets
            .set(&key, &SecretString::new("t".into()))
            .expect("set");
        assert_eq!(p.credential_status().state, CredentialState::SignedIn);
        p.secrets.delete(&key).expect("delete");
        p.mark_refused("The platform said 401.".into());
        // Connecting again finds no token: signed out, not "refused".
        assert_eq!(p.credential_status().state, CredentialState::SignedOut);
        p.secrets
            .set(&key, &SecretString::new("t2".into()))
            .expect("set");
        p.forget_connection();
        let s = p.credential_status();
        assert_eq!(s.state, CredentialState::Expired, "{s:?}");
        assert!(s
            .advice
            .is_some_and(|a| a.starts_with("The platform said 401.")));
        p.clear_refused();
        assert_eq!(p.credential_status().state, CredentialState::SignedIn);
    }
}
