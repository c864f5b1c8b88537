//! What the running app knows, managed by Tauri and shared by the commands.
//!
//! The platform and the credential are read once at start (`SKYPORT_URL`, `SKYPORT_TOKEN`,
//! the keyring) and can change later (a pasted token). Commands ask [`AppState::client`]
//! for a ready Skaha client or get a `{code, message}` that says what is missing.

use std::sync::{Arc, RwLock};

use skyport_core::error::{Coded, ErrorCode, ErrorPayload};
use skyport_core::keyring::{EntryKey, KeyringError, OsKeyring, SecretStore, SecretStoreExt};
use skyport_core::paths::Paths;
use skyport_core::platform::{ServiceUrl, ServiceUrlError, TOKEN_ENV, URL_ENV};
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, SkahaClient};
use skyport_core::status::{CredentialState, CredentialStatus};

use crate::sessions::SessionsHub;

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

/// Where the token in use came from.
#[derive(Debug, Clone)]
pub enum TokenSource {
    None,
    Env(SecretString),
    Keyring(SecretString),
    /// The keyring could not be read.
    KeyringFailed(String),
}

pub struct AppState {
    pub paths: Paths,
    pub platform: PlatformSetting,
    pub secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
    token: RwLock<TokenSource>,
    /// Set when the platform refused the token (401): it is kept but marked expired.
    rejected: RwLock<Option<String>>,
    pub sessions: SessionsHub,
}

fn profile_of(url: &ServiceUrl) -> String {
    let u = &url.service;
    match u.port() {
        Some(p) => format!("{}:{p}", u.host_str().unwrap_or("platform")),
        None => u.host_str().unwrap_or("platform").to_string(),
    }
}

impl AppState {
    /// Read the environment and the keyring once at start.
    pub fn load(paths: Paths) -> Result<Self, ErrorPayload> {
        let platform = match std::env::var(URL_ENV) {
            Ok(v) if !v.trim().is_empty() => match ServiceUrl::parse(&v) {
                Ok(url) => PlatformSetting::Env(url),
                Err(e) => PlatformSetting::Invalid(e),
            },
            _ => PlatformSetting::None,
        };
        let secrets: Arc<dyn SecretStore> = Arc::new(OsKeyring);
        let http = skyport_core::http::build_client(Default::default())
            .map_err(|e| ErrorPayload::from_coded(&e))?;
        let state = Self {
            paths,
            platform,
            secrets,
            http,
            token: RwLock::new(TokenSource::None),
            rejected: RwLock::new(None),
            sessions: SessionsHub::default(),
        };
        let token = match std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
        {
            Some(t) => TokenSource::Env(SecretString::new(t.trim().to_string())),
            None => match state.token_key() {
                Some(key) => match state.secrets.get(&key) {
                    Ok(Some(t)) => TokenSource::Keyring(t),
                    Ok(None) => TokenSource::None,
                    Err(e) => TokenSource::KeyringFailed(e.to_string()),
                },
                None => TokenSource::None,
            },
        };
        if let Ok(mut t) = state.token.write() {
            *t = token;
        }
        Ok(state)
    }

    pub fn service(&self) -> Option<&ServiceUrl> {
        match &self.platform {
            PlatformSetting::Env(u) => Some(u),
            _ => None,
        }
    }

    fn token_key(&self) -> Option<EntryKey> {
        self.service()
            .map(|s| EntryKey::new(profile_of(s), "token"))
    }

    pub fn platform_summary(&self) -> String {
        match &self.platform {
            PlatformSetting::None => "none".into(),
            PlatformSetting::Env(u) => u.as_str().into(),
            PlatformSetting::Invalid(e) => format!("invalid: {e}"),
        }
    }

    /// A Skaha client for the current platform and credential, or what is missing.
    pub fn client(&self) -> Result<SkahaClient, ErrorPayload> {
        let service = match &self.platform {
            PlatformSetting::Env(u) => u.clone(),
            PlatformSetting::Invalid(e) => return Err(ErrorPayload::new(ErrorCode::Config, e.to_string())),
            PlatformSetting::None => {
                return Err(ErrorPayload::new(
                    ErrorCode::Config,
                    "No platform is configured. Start Skyport with SKYPORT_URL set to a Skaha service URL.",
                ))
            }
        };
        let auth = match &*self.token.read().map_err(|_| internal())? {
            TokenSource::Env(t) | TokenSource::Keyring(t) => Auth::Bearer(t.clone()),
            TokenSource::KeyringFailed(e) => {
                return Err(ErrorPayload::new(ErrorCode::KeyringUnavailable, e.clone()))
            }
            TokenSource::None => {
                return Err(ErrorPayload::new(
                    ErrorCode::SignInNeeded,
                    "You are not signed in. Paste a token under Credentials.",
                ))
            }
        };
        Ok(SkahaClient::new(self.http.clone(), service, auth))
    }

    /// Keep a pasted token in the keyring and use it from now on.
    pub fn save_token(&self, token: SecretString) -> Result<(), ErrorPayload> {
        let key = self.token_key().ok_or_else(|| {
            ErrorPayload::new(
                ErrorCode::Config,
                "Choose a platform before saving a token for it.",
            )
        })?;
        self.secrets
            .set(&key, &token)
            .map_err(|e: KeyringError| ErrorPayload::from_coded(&e))?;
        *self.token.write().map_err(|_| internal())? = TokenSource::Keyring(token);
        *self.rejected.write().map_err(|_| internal())? = None;
        Ok(())
    }

    /// Forget the saved token (the environment token, if any, stays in use).
    pub fn forget_token(&self) -> Result<(), ErrorPayload> {
        if let Some(key) = self.token_key() {
            self.secrets
                .delete(&key)
                .map_err(|e| ErrorPayload::from_coded(&e))?;
        }
        let mut t = self.token.write().map_err(|_| internal())?;
        if !matches!(*t, TokenSource::Env(_)) {
            *t = TokenSource::None;
        }
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
        let rejected = self.rejected.read().ok().and_then(|r| r.clone());
        let token = self
            .token
            .read()
            .map(|t| t.clone())
            .unwrap_or(TokenSource::None);
        let where_ = self.secrets.describe();
        match (token, rejected) {
            (TokenSource::None, _) => CredentialStatus::signed_out(),
            (TokenSource::KeyringFailed(e), _) => CredentialStatus {
                state: CredentialState::Error,
                headline: "Cannot read the saved token".into(),
                advice: Some(e),
                expires_at: None,
            },
            (_, Some(msg)) => CredentialStatus {
                state: CredentialState::Expired,
                headline: "The platform no longer accepts your token".into(),
                advice: Some(format!("{msg} Paste a new token under Credentials.")),
                expires_at: None,
            },
            (TokenSource::Env(_), None) => CredentialStatus {
                state: CredentialState::SignedIn,
                headline: format!("Signed in with a token from {TOKEN_ENV}"),
                advice: None,
                expires_at: None,
            },
            (TokenSource::Keyring(_), None) => CredentialStatus {
                state: CredentialState::SignedIn,
                headline: "Signed in with a saved token".into(),
                advice: Some(format!("Kept in {where_}.")),
                expires_at: None,
            },
        }
    }
}

fn internal() -> ErrorPayload {
    ErrorPayload::new(
        ErrorCode::Internal,
        "Skyport's state is inconsistent; restart the app.",
    )
}

/// Map any coded core error for the UI.
pub fn payload<E: Coded>(e: E) -> ErrorPayload {
    ErrorPayload::from_coded(&e)
}
