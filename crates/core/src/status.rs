//! The one-line credential state shown in the status bar, the tray and `skyport auth status`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the user's credentials stand, at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CredentialState {
    /// Nothing usable: the user must sign in.
    SignedOut,
    /// A working credential.
    SignedIn,
    /// Works, but runs out soon.
    Expiring,
    /// Ran out.
    Expired,
    /// Could not be read (keyring locked, file malformed, ...).
    Error,
}

/// What the status bar shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CredentialStatus {
    pub state: CredentialState,
    /// Short sentence, e.g. "Signed in with a token from SKYPORT_TOKEN".
    pub headline: String,
    /// What to do next, when there is something to do.
    pub advice: Option<String>,
    /// When the credential in use runs out, if known.
    #[specta(type = Option<String>)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl CredentialStatus {
    pub fn signed_out() -> Self {
        Self {
            state: CredentialState::SignedOut,
            headline: "Not signed in".into(),
            advice: Some("Open Credentials to sign in or paste a token.".into()),
            expires_at: None,
        }
    }
}
