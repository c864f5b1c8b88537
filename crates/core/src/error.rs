//! The closed set of error codes every Skyport error maps to.
//!
//! Inside core each module has its own typed error. At the edges (the desktop IPC boundary,
//! the CLI's exit codes) they are reduced to an [`ErrorCode`] plus a message that says what
//! happened and what to do next. The UI branches on the code; it never parses messages.

use serde::Serialize;

/// What kind of failure this is, as the UI and scripts need to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Input was rejected (a form field, a flag, a server-side validation message).
    Validation,
    /// The thing asked for does not exist (any more).
    NotFound,
    /// No usable credential: the user must sign in.
    SignInNeeded,
    /// A credential was held but has expired.
    TokenExpired,
    /// The platform refused the credential or the user is not allowed.
    PermissionDenied,
    /// The interactive-session quota is used up.
    QuotaReached,
    /// The platform could not be reached (DNS, refused, reset, timeout).
    PlatformUnreachable,
    /// The platform answered 503 or is in maintenance; retry later.
    PlatformUnavailable,
    /// The platform answered with something Skyport cannot understand.
    PlatformError,
    /// The identity provider (OIDC) could not be reached or refused.
    ProviderUnreachable,
    /// The OS keyring (Secret Service, Keychain, Credential Manager) is missing or locked.
    KeyringUnavailable,
    /// No certificate at the expected place.
    CertificateMissing,
    /// The certificate file is malformed or its key does not match.
    CertificateInvalid,
    /// The certificate has expired.
    CertificateExpired,
    /// The configuration file is malformed.
    Config,
    /// A local file operation failed.
    Io,
    /// The user cancelled.
    Cancelled,
    /// Something took too long.
    Timeout,
    /// A bug in Skyport; the message says where the log is.
    Internal,
}

impl ErrorCode {
    /// Every code, for tests and generated documentation.
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::Validation,
        ErrorCode::NotFound,
        ErrorCode::SignInNeeded,
        ErrorCode::TokenExpired,
        ErrorCode::PermissionDenied,
        ErrorCode::QuotaReached,
        ErrorCode::PlatformUnreachable,
        ErrorCode::PlatformUnavailable,
        ErrorCode::PlatformError,
        ErrorCode::ProviderUnreachable,
        ErrorCode::KeyringUnavailable,
        ErrorCode::CertificateMissing,
        ErrorCode::CertificateInvalid,
        ErrorCode::CertificateExpired,
        ErrorCode::Config,
        ErrorCode::Io,
        ErrorCode::Cancelled,
        ErrorCode::Timeout,
        ErrorCode::Internal,
    ];

    /// The process exit code the CLI uses for this kind of failure (documented in its help).
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorCode::Validation => 2,
            ErrorCode::SignInNeeded | ErrorCode::TokenExpired => 3,
            ErrorCode::PlatformUnreachable
            | ErrorCode::PlatformUnavailable
            | ErrorCode::ProviderUnreachable
            | ErrorCode::Timeout => 4,
            ErrorCode::CertificateMissing
            | ErrorCode::CertificateInvalid
            | ErrorCode::CertificateExpired => 5,
            ErrorCode::KeyringUnavailable => 6,
            ErrorCode::Cancelled => 130,
            _ => 1,
        }
    }
}

/// Any error that knows its code.
pub trait Coded: std::error::Error {
    fn code(&self) -> ErrorCode;
}

/// An error as it crosses a boundary: `{code, message}`.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, specta::Type, thiserror::Error,
)]
#[error("{message}")]
pub struct ErrorPayload {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorPayload {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// From any coded error, keeping the whole `source()` chain in the message.
    pub fn from_coded<E: Coded + ?Sized>(err: &E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            let text = s.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = s.source();
        }
        Self {
            code: err.code(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_snake_case_strings() {
        let json = serde_json::to_string(&ErrorCode::SignInNeeded).expect("serialize");
        assert_eq!(json, "\"sign_in_needed\"");
        let p = ErrorPayload::new(ErrorCode::QuotaReached, "3 of 3 sessions in use");
        let v = serde_json::to_value(&p).expect("serialize");
        assert_eq!(v["code"], "quota_reached");
        assert_eq!(v["message"], "3 of 3 sessions in use");
    }

    #[test]
    fn exit_codes_distinguish_sign_in_and_unreachable() {
        assert_eq!(ErrorCode::Validation.exit_code(), 2);
        assert_ne!(
            ErrorCode::SignInNeeded.exit_code(),
            ErrorCode::PlatformUnreachable.exit_code()
        );
        assert!(ErrorCode::ALL.iter().all(|c| c.exit_code() != 0));
    }

    #[test]
    fn payload_keeps_the_source_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("could not list sessions")]
        struct Outer(#[source] std::io::Error);
        impl Coded for Outer {
            fn code(&self) -> ErrorCode {
                ErrorCode::PlatformUnreachable
            }
        }
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        let p = ErrorPayload::from_coded(&e);
        assert_eq!(p.code, ErrorCode::PlatformUnreachable);
        assert_eq!(p.message, "could not list sessions: refused");
    }
}
