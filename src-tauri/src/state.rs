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
    Ready(ResolvedProfile),
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
        Ok(p) => PlatformSetting::Ready(p),
        Err(ConfigError::NoPlatform) => PlatformSetting::None,
        Err(e) => PlatformSetting::Invalid(e.to_string()),
    }
}

impl AppState {
    /// Read the configuration and environment once at start.
    pub fn load(paths: Paths) -> Self {
        Self::with_store(paths, Arc::new(OsKeyring))
    }

    pub fn with_store(paths: Paths, secrets: Arc<dyn SecretStore>) -> Self {
        Self {
            platform: RwLock::new(resolve(&paths)),
            paths,
            secrets,
            env_token: skyport_core::connect::env_token(),
            rejected: RwLock::new(None),
            sessions: SessionsHub::default(),
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

    fn profile(&self) -> Result<ResolvedProfile, ErrorPayload> {
        match self.platform() {
            PlatformSetting::Ready(p) => Ok(p),
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
                CredentialStatus {
                    state: CredentialState::SignedIn,
                    headline: format!("Signed in with {}", conn.credential.describe()),
                    advice: match conn.credential {
                        CredentialUsed::SavedToken => Some(format!("Kept in {where_}.")),
                        _ => None,
                    },
                    expires_at: None,
                }
            }
            CredentialUsed::Certificate { not_after, .. } => {
                let now = Utc::now();
                let left = skyport_core::cert::format_countdown(not_after, now);
                let expiring = not_after - now < chrono::Duration::days(3);
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
