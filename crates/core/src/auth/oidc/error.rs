//! Sign-in errors, each with what to do next.

use crate::error::{Coded, ErrorCode};
use crate::http::{BodyError, ByteSize};
use crate::keyring::KeyringError;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in provider {issuer} could not be reached ({detail}). Check your network, then try again.")]
    ProviderUnreachable { issuer: String, detail: String },
    #[error("the sign-in provider's settings are not usable ({detail}). Check the issuer URL of this profile.")]
    Discovery { detail: String },
    #[error(transparent)]
    Insecure(#[from] crate::secure::InsecureUrl),
    #[error("the sign-in provider {issuer} sent an answer larger than the {limit} Skyport reads, so it was not read. Check the issuer URL of this profile; if it is right, report this to the provider's operators.")]
    AnswerTooLarge { issuer: String, limit: ByteSize },
    #[error("the provider says its issuer is {found:?}, but this profile expects {expected:?}. Correct the issuer in the profile (mind a trailing slash).")]
    IssuerMismatch { expected: String, found: String },
    #[error("this profile has no OpenID Connect provider: add an OIDC issuer to it (`skyport profiles add NAME URL --oidc-issuer ISSUER`), or sign in with a password or a token")]
    NotConfigured,
    #[error("the provider does not support {what}. {advice}")]
    Unsupported {
        what: &'static str,
        advice: &'static str,
    },
    #[error("the provider refused the sign-in ({error}{}). Try again, or ask the platform's support.", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("the identity token failed validation ({detail}); sign-in was stopped for your safety. Try again; if it persists, the provider is misconfigured.")]
    InvalidIdToken { detail: String },
    #[error("the provider no longer accepts your sign-in ({detail}). Sign in again.")]
    RefreshRefused { detail: String },
    #[error("no sign-in is stored for this profile. Sign in first.")]
    NotSignedIn,
    #[error("the sign-in took too long and was stopped. Start it again when you are ready.")]
    Timeout,
    #[error("sign-in was cancelled.")]
    Cancelled,
    #[error("the browser could not be opened ({0}). Open the link shown in Skyport yourself, or use the device-code sign-in.")]
    Browser(String),
    #[error("could not listen for the sign-in answer on 127.0.0.1 ({0}).")]
    Listener(String),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("{0}")]
    Other(String),
}

impl Coded for OidcError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Insecure(_) => ErrorCode::Config,
            Self::ProviderUnreachable { .. }
            | Self::Discovery { .. }
            | Self::AnswerTooLarge { .. }
            | Self::IssuerMismatch { .. }
            | Self::Unsupported { .. } => ErrorCode::ProviderUnreachable,
            Self::InvalidIdToken { .. } | Self::Denied { .. } => ErrorCode::PermissionDenied,
            Self::RefreshRefused { .. } | Self::NotSignedIn => ErrorCode::SignInNeeded,
            Self::Timeout => ErrorCode::Timeout,
            Self::Cancelled => ErrorCode::Cancelled,
            Self::Browser(_) | Self::Listener(_) => ErrorCode::Io,
            Self::NotConfigured => ErrorCode::Config,
            Self::Keyring(e) => e.code(),
            Self::Other(_) => ErrorCode::Internal,
        }
    }
}

/// Turn an oauth2 request error into a sign-in error.
pub(crate) fn from_request<
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + 'static,
>(
    issuer: &str,
    e: openidconnect::RequestTokenError<RE, T>,
    refresh: bool,
) -> OidcError {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => {
            let text = serde_json::to_value(&r).unwrap_or_default();
            let error = text
                .get("error")
                .and_then(|v| v.as_str())
                .unwrap_or("error")
                .to_string();
            let description = text
                .get("error_description")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            if refresh {
                OidcError::RefreshRefused {
                    detail: description.unwrap_or(error),
                }
            } else {
                OidcError::Denied { error, description }
            }
        }
        openidconnect::RequestTokenError::Request(re) => request_failed(issuer, &re),
        openidconnect::RequestTokenError::Parse(pe, _) => {
            OidcError::Other(format!("the provider's answer could not be read: {pe}"))
        }
        openidconnect::RequestTokenError::Other(o) => OidcError::Other(o),
    }
}

/// A provider request that failed before an answer could be used: an answer over the size
/// cap (see [`super::provider::CappedHttp`]) says so; anything else is a connection problem,
/// described with its whole source chain (the last link names the cause).
pub(crate) fn request_failed(issuer: &str, re: &(dyn std::error::Error + 'static)) -> OidcError {
    if let Some(BodyError::TooLarge { limit }) = re.downcast_ref::<BodyError>() {
        return OidcError::AnswerTooLarge {
            issuer: issuer.to_string(),
            limit: *limit,
        };
    }
    let mut detail = re.to_string();
    let mut src = re.source();
    while let Some(s) = src {
        detail = format!("{detail}: {s}");
        src = s.source();
    }
    OidcError::ProviderUnreachable {
        issuer: issuer.to_string(),
        detail,
    }
}
