//! What the running app knows, managed by Tauri and shared by the commands.
//!
//! The profile comes from `config.toml` (shared with the CLI) or `SKYPORT_URL`; the
//! credential is chosen by `skyport_core::connect` exactly as the CLI chooses it.
//! Commands ask [`AppState::client`] for a ready Skaha client or get a `{code, message}`
//! that says what is missing.

use std::sync::{Arc, RwLock};

use chrono::Utc;
use skyport_core::config::{Config, ConfigError, ResolvedProfile};
use skyport_core::connect::{connect, ConnectOptions, CredentialUsed, TokenSlot};
use skyport_core::error::{Coded, ErrorCode, ErrorPayload};
use skyport_core::keyring::{OsKeyring, SecretStore, SecretStoreExt};
use skyport_core::paths::Paths;
use skyport_core::platform::{ServiceUrl, URL_ENV};
use skyport_core::secret::SecretString;
use skyport_core::skaha::SkahaClient;
use skyport_core::status::{CredentialState, CredentialStatus};

use crate::sessions::SessionsHub;

/// The platform in use, or why there is none.
#[derive(Debug, Clone)]
pub enum PlatformSetting {
    /// No `SKYPORT_URL` and no profile yet.
    None,
    Ready(Box<ResolvedProfile>),
    /// The setting exists but cannot be used (malformed config, bad URL).
    Invalid(String),
}

pub struct AppState {
    pub paths: Paths,
    platform: RwLock<PlatformSetting>,
    pub secrets: Arc<dyn SecretStore>,
    env_token: Option<SecretString>,
    /// Set when the platform refused the credential (401): kept, but marked as refused.
    rejected: RwLock<Option<String>>,
    pub sessions: SessionsHub,
    /// Cancels a running browser or device sign-in.
    pub sign_in_cancel: CancelSlot,
    /// Whether "sign-in needed" was already announced for the current refusal.
    refresh_notice: std::sync::atomic::AtomicBool,
}

/// A one-shot cancel button for a long-running operation.
#[derive(Default)]
pub struct CancelSlot(std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>);

impl CancelSlot {
    /// Start a new operation (cancelling any earlier one) and get its cancel signal.
    pub fn arm(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if let Ok(mut slot) = self.0.lock() {
            if let Some(old) = slot.replace(tx) {
                let _ = old.send(());
            }
        }
        rx
    }

    /// Cancel the running operation; false when none was running.
    pub fn fire(&self) -> bool {
        self.0
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .is_some_and(|tx| tx.send(()).is_ok())
    }
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

impl AppState {
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
            platform: RwLock::new(resolve(&paths)),
            paths,
            secrets,
            env_token,
            rejected: RwLock::new(None),
            sessions: SessionsHub::default(),
            sign_in_cancel: CancelSlot::default(),
            refresh_notice: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Re-read the configuration (after the CLI or the Platforms view changed it).
    pub fn reload(&self) {
        if let Ok(mut p) = self.platform.write() {
            *p = resolve(&self.paths);
        }
    }

    pub fn platform(&self) -> PlatformSetting {
        self.platform
            .read()
            .map(|p| p.clone())
            .unwrap_or(PlatformSetting::None)
    }

    pub fn service(&self) -> Option<ServiceUrl> {
        match self.platform() {
            PlatformSetting::Ready(p) => Some(p.service),
            _ => None,
        }
    }

    pub fn platform_summary(&self) -> String {
        match self.platform() {
            PlatformSetting::None => "none".into(),
            PlatformSetting::Ready(p) => format!("{} ({})", p.service.as_str(), p.name),
            PlatformSetting::Invalid(e) => format!("invalid: {e}"),
        }
    }

    /// Record that "sign-in needed" was (true) or may again be (false) announced. Returns
    /// true when the flag changed, i.e. when the caller should announce now.
    pub fn refresh_notice_sent(&self, sent: bool) -> bool {
        self.refresh_notice
            .swap(sent, std::sync::atomic::Ordering::SeqCst)
            != sent
    }

    /// Keep the username in the profile (not a secret) for the next sign-in form.
    pub fn remember_username(&self, profile: &ResolvedProfile, username: &str) {
        if profile.from_env || profile.profile.username.as_deref() == Some(username) {
            return;
        }
        let path = self.paths.config_file();
        if let Ok(mut cfg) = Config::load(&path) {
            if let Some(p) = cfg.profiles.get_mut(&profile.name) {
                p.username = Some(username.to_string());
                if let Err(e) = cfg.save(&path) {
                    tracing::warn!("could not save the username in the profile: {e}");
                }
            }
        }
        self.reload();
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

    /// The certificate file of the profile in use (default `~/.ssl/cadcproxy.pem`).
    pub fn cert_path(&self) -> std::path::PathBuf {
        match self.platform() {
            PlatformSetting::Ready(p) => skyport_core::connect::cert_path(&self.paths, &p),
            _ => self.paths.cert_file(),
        }
    }

    /// The profile in use, or why there is none.
    pub fn resolved(&self) -> Result<ResolvedProfile, ErrorPayload> {
        self.profile()
    }

    fn profile(&self) -> Result<ResolvedProfile, ErrorPayload> {
        match self.platform() {
            PlatformSetting::Ready(p) => Ok(*p),
            PlatformSetting::Invalid(e) => Err(ErrorPayload::new(ErrorCode::Config, e)),
            PlatformSetting::None => Err(ErrorPayload::new(
                ErrorCode::Config,
                "No platform is configured. Add one under Platforms, or start Skyport with SKYPORT_URL set to a Skaha service URL.",
            )),
        }
    }

    fn connection(&self) -> Result<skyport_core::connect::Connection, ErrorPayload> {
        let profile = self.profile()?;
        let opts = ConnectOptions {
            env_token: self.env_token.clone(),
            timeout: None,
        };
        connect(&self.paths, &profile, self.secrets.as_ref(), &opts).map_err(ErrorPayload::from)
    }

    /// A Skaha client for the current platform and credential, or what is missing.
    pub fn client(&self) -> Result<SkahaClient, ErrorPayload> {
        self.connection().map(|c| c.client)
    }

    /// Keep a pasted token in the keyring and use it from now on.
    pub fn save_token(&self, token: SecretString) -> Result<(), ErrorPayload> {
        let profile = self.profile()?;
        self.secrets
            .set(&TokenSlot::Token.key(&profile.name), &token)
            .map_err(|e| ErrorPayload::from_coded(&e))?;
        self.clear_rejected();
        Ok(())
    }

    /// Forget the saved token (an environment token, if any, stays in use).
    pub fn forget_token(&self) -> Result<(), ErrorPayload> {
        let profile = self.profile()?;
        self.secrets
            .delete(&TokenSlot::Token.key(&profile.name))
            .map_err(|e| ErrorPayload::from_coded(&e))?;
        Ok(())
    }

    /// The platform answered 401: remember it so the status bar says so.
    pub fn mark_rejected(&self, message: String) {
        if let Ok(mut r) = self.rejected.write() {
            *r = Some(message);
        }
    }

    pub fn clear_rejected(&self) {
        if let Ok(mut r) = self.rejected.write() {
            *r = None;
        }
    }

    pub fn credential_status(&self) -> CredentialStatus {
        if self.profile().is_err() {
            return CredentialStatus::signed_out();
        }
        let rejected = self.rejected.read().ok().and_then(|r| r.clone());
        let conn = match self.connection() {
            Ok(c) => c,
            Err(e) if e.code == ErrorCode::SignInNeeded => return CredentialStatus::signed_out(),
            Err(e) => {
                let expired = e.code == ErrorCode::CertificateExpired;
                return CredentialStatus {
                    state: if expired {
                        CredentialState::Expired
                    } else {
                        CredentialState::Error
                    },
                    headline: if expired {
                        "Your certificate has expired".into()
                    } else {
                        "Your credential cannot be used".into()
                    },
                    advice: Some(e.message),
                    expires_at: None,
                };
            }
        };
        if let Some(msg) = rejected {
            return CredentialStatus {
                state: CredentialState::Expired,
                headline: "The platform no longer accepts your credential".into(),
                advice: Some(format!(
                    "{msg} Sign in again or paste a new token under Credentials."
                )),
                expires_at: None,
            };
        }
        let where_ = self.secrets.describe();
        match conn.credential {
            CredentialUsed::EnvToken | CredentialUsed::SavedToken | CredentialUsed::OidcToken => {
                // Say who, when Skyport knows (OIDC identity, or the password sign-in's user).
                let who = self.profile().ok().and_then(|p| match conn.credential {
                    CredentialUsed::OidcToken => {
                        skyport_core::auth::oidc::load_record(&self.paths, &p.name).and_then(|r| {
                            r.identity
                                .username
                                .or(r.identity.email)
                                .or(Some(r.identity.subject))
                        })
                    }
                    CredentialUsed::SavedToken => p.profile.username.clone(),
                    _ => None,
                });
                CredentialStatus {
                    state: CredentialState::SignedIn,
                    headline: match who {
                        Some(user) => format!("Signed in as {user}"),
                        None => format!("Signed in with {}", conn.credential.describe()),
                    },
                    advice: match conn.credential {
                        CredentialUsed::SavedToken => Some(format!("Kept in {where_}.")),
                        _ => None,
                    },
                    expires_at: None,
                }
            }
            CredentialUsed::Certificate {
                not_after,
                ref path,
                ..
            } => {
                let now = Utc::now();
                let left = skyport_core::cert::format_countdown(not_after, now);
                // The same rule as the certificate card and the tray (cert_state).
                let expiring = skyport_core::cert::CertBundle::load(std::path::Path::new(path))
                    .map(|b| {
                        skyport_core::cert::cert_state(Ok(b.info()), now)
                            == skyport_core::cert::CertState::Expiring
                    })
                    .unwrap_or(false);
                CredentialStatus {
                    state: if expiring {
                        CredentialState::Expiring
                    } else {
                        CredentialState::SignedIn
                    },
                    headline: format!("Certificate: {left}"),
                    advice: expiring.then(|| "Renew it under Credentials.".to_string()),
                    expires_at: Some(not_after),
                }
            }
        }
    }
}

/// Map any coded core error for the UI.
pub fn payload<E: Coded>(e: E) -> ErrorPayload {
    ErrorPayload::from_coded(&e)
}
