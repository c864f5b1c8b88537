//! What the running app knows, managed by Tauri and shared by the commands.

use skyport_core::paths::Paths;
use skyport_core::platform::{ServiceUrl, ServiceUrlError, TOKEN_ENV, URL_ENV};
use skyport_core::secret::SecretString;
use skyport_core::status::{CredentialState, CredentialStatus};

/// Where the platform setting came from.
#[derive(Debug, Clone)]
pub enum PlatformSetting {
    /// `SKYPORT_URL` was not set and no profile exists yet.
    None,
    /// From `SKYPORT_URL`.
    Env(ServiceUrl),
    /// `SKYPORT_URL` was set but could not be used.
    Invalid(ServiceUrlError),
}

pub struct AppState {
    pub paths: Paths,
    pub platform: PlatformSetting,
    /// A token from `SKYPORT_TOKEN`, for unattended use and demos.
    pub env_token: Option<SecretString>,
}

impl AppState {
    /// Read the environment once at start.
    pub fn load(paths: Paths) -> Self {
        let platform = match std::env::var(URL_ENV) {
            Ok(v) if !v.trim().is_empty() => match ServiceUrl::parse(&v) {
                Ok(url) => PlatformSetting::Env(url),
                Err(e) => PlatformSetting::Invalid(e),
            },
            _ => PlatformSetting::None,
        };
        let env_token = std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| SecretString::new(t.trim().to_string()));
        Self { paths, platform, env_token }
    }

    pub fn platform_summary(&self) -> String {
        match &self.platform {
            PlatformSetting::None => "none".into(),
            PlatformSetting::Env(u) => u.as_str().into(),
            PlatformSetting::Invalid(e) => format!("invalid: {e}"),
        }
    }

    pub fn credential_status(&self) -> CredentialStatus {
        match &self.env_token {
            Some(_) => CredentialStatus {
                state: CredentialState::SignedIn,
                headline: format!("Signed in with a token from {TOKEN_ENV}"),
                advice: None,
                expires_at: None,
            },
            None => CredentialStatus::signed_out(),
        }
    }
}
