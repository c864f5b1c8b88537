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

/// What the status bar says about `profile`'s credential: `connection` is the outcome of
/// [`crate::connect::connect`] for it, `refused` the platform's words when it last answered
/// 401 to that credential, `kept_in` where secrets are kept (e.g. "the GNOME keyring").
pub fn describe(
    paths: &crate::paths::Paths,
    profile: &crate::config::ResolvedProfile,
    connection: Result<&crate::connect::Connection, &crate::error::ErrorPayload>,
    refused: Option<&str>,
    kept_in: &str,
    now: DateTime<Utc>,
) -> CredentialStatus {
    use crate::cert::{cert_state, format_countdown, CertBundle, CertState};
    use crate::connect::CredentialUsed;
    use crate::error::ErrorCode;

    let conn = match connection {
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
                advice: Some(e.message.clone()),
                expires_at: None,
            };
        }
    };
    if let Some(msg) = refused {
        return CredentialStatus {
            state: CredentialState::Expired,
            headline: "The platform no longer accepts your credential".into(),
            advice: Some(format!(
                "{msg} Sign in again or paste a new token under Credentials."
            )),
            expires_at: None,
        };
    }
    match &conn.credential {
        CredentialUsed::EnvToken | CredentialUsed::SavedToken | CredentialUsed::OidcToken => {
            // Say who, when Skyport knows (OIDC identity, or the password sign-in's user).
            let who = match conn.credential {
                CredentialUsed::OidcToken => crate::auth::oidc::load_record(paths, &profile.name)
                    .map(|r| {
                        r.identity
                            .username
                            .or(r.identity.email)
                            .unwrap_or(r.identity.subject)
                    }),
                CredentialUsed::SavedToken => profile.profile.username.clone(),
                _ => None,
            };
            CredentialStatus {
                state: CredentialState::SignedIn,
                headline: match who {
                    Some(user) => format!("Signed in as {user}"),
                    None => format!("Signed in with {}", conn.credential.describe()),
                },
                advice: matches!(conn.credential, CredentialUsed::SavedToken)
                    .then(|| format!("Kept in {kept_in}.")),
                expires_at: None,
            }
        }
        CredentialUsed::Certificate {
            not_after, path, ..
        } => {
            let left = format_countdown(*not_after, now);
            // The same rule as the certificate card and the tray (cert_state).
            let expiring = CertBundle::load(std::path::Path::new(path))
                .map(|b| cert_state(Ok(b.info()), now) == CertState::Expiring)
                .unwrap_or(false);
            CredentialStatus {
                state: if expiring {
                    CredentialState::Expiring
                } else {
                    CredentialState::SignedIn
                },
                headline: format!("Certificate: {left}"),
                advice: expiring.then(|| "Renew it under Credentials.".to_string()),
                expires_at: Some(*not_after),
            }
        }
    }
}
