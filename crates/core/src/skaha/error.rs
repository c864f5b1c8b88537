//! What can go wrong talking to a Skaha service, each case with what to do next.

use std::time::Duration;

use crate::error::{Coded, ErrorCode};
use crate::http::ByteSize;

#[derive(Debug, thiserror::Error)]
pub enum SkahaError {
    #[error("{service} could not be reached ({detail}). Check your network or VPN; if it persists the platform may be down.")]
    Unreachable { service: String, detail: String },
    #[error("the connection to {service} broke off before the answer was complete ({detail}). Try again; if it persists, check your network or VPN.")]
    Interrupted { service: String, detail: String },
    #[error("{service} did not answer in time ({detail}). Try again; if it persists the platform may be overloaded.")]
    Timeout { service: String, detail: String },
    #[error("the platform did not accept your credentials ({message}). Sign in again.")]
    SignInNeeded { message: String },
    #[error(
        "the platform refused access ({message}). Check that your account may use this platform."
    )]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    QuotaReached { message: String },
    #[error("the platform rejected the request: {message}")]
    Rejected { message: String },
    #[error("the platform is temporarily unavailable ({message}){}. Try again shortly.", crate::http::retry_hint(.retry_after))]
    Unavailable {
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("the platform failed with HTTP {status} ({message}). Try again; if it persists, report it to the platform's support.")]
    Server { status: u16, message: String },
    #[error("the platform sent an answer Skyport cannot read ({detail}). Try again; if it persists, report it with the log file.")]
    Garbage { detail: String },
    #[error("the platform sent an answer larger than the {limit} Skyport reads, so it was not read. Check the service URL of the profile; if it is right, report this to the platform's support.")]
    TooLarge { limit: ByteSize },
    #[error("{0}")]
    Invalid(String),
}

impl Coded for SkahaError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Unreachable { .. } | Self::Interrupted { .. } => ErrorCode::PlatformUnreachable,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::SignInNeeded { .. } => ErrorCode::SignInNeeded,
            Self::Forbidden { .. } => ErrorCode::PermissionDenied,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::QuotaReached { .. } => ErrorCode::QuotaReached,
            Self::Rejected { .. } | Self::Invalid(_) => ErrorCode::Validation,
            Self::Unavailable { .. } => ErrorCode::PlatformUnavailable,
            Self::Server { .. } | Self::Garbage { .. } | Self::TooLarge { .. } => {
                ErrorCode::PlatformError
            }
        }
    }
}

impl SkahaError {
    /// Worth trying again for a request that is safe to repeat.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::Interrupted { .. }
                | Self::Timeout { .. }
                | Self::Unavailable { .. }
                | Self::Garbage { .. }
        ) || matches!(self, Self::Server { status, .. } if *status == 502 || *status == 504)
    }

    /// The field of a launch request a rejection is about, so the form can show it there.
    pub fn field(&self) -> Option<&'static str> {
        let msg = match self {
            Self::Rejected { message } | Self::QuotaReached { message } => message.as_str(),
            _ => return None,
        };
        let m = msg.to_ascii_lowercase();
        [
            ("'cores'", "cores"),
            ("'ram'", "ram"),
            ("'gpus'", "gpus"),
            ("parameter 'name'", "name"),
            ("name can only", "name"),
            ("'image'", "image"),
            ("session image", "image"),
            ("private image", "registry"),
            ("username:secret", "registry"),
            ("session type", "kind"),
            ("maximum of", "kind"),
        ]
        .into_iter()
        .find(|(needle, _)| m.contains(needle))
        .map(|(_, f)| f)
    }
}

/// The human message from a plain-text error body.
///
/// Skaha's 400 bodies repeat the message with a `java.lang.IllegalArgumentException: `
/// suffix (and sometimes `cause:` lines); show it once. Bodies are cut to a sane length and
/// HTML error pages from proxies are reduced to a hint.
pub fn clean_message(body: &str, status: u16) -> String {
    let body = body.trim();
    if body.is_empty() {
        return format!("HTTP {status} with no explanation");
    }
    let lower = body.to_ascii_lowercase();
    if lower.starts_with("<!doctype") || lower.starts_with("<html") {
        return format!("HTTP {status}; a proxy answered with a web page instead of the service");
    }
    let mut msg = body;
    if let Some(i) = body.find("java.lang.") {
        let before = body[..i].trim();
        msg = if before.is_empty() {
            body[i..]
                .split_once(": ")
                .map(|(_, m)| m)
                .unwrap_or(body)
                .lines()
                .next()
                .unwrap_or(body)
        } else {
            before
        };
    }
    let first: String = msg
        .lines()
        .next()
        .unwrap_or(msg)
        .trim()
        .chars()
        .take(500)
        .collect();
    if first.is_empty() {
        format!("HTTP {status}")
    } else {
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_suffix_is_dropped() {
        let body = "Invalid value for 'cores': 3java.lang.IllegalArgumentException: Invalid value for 'cores': 3\n";
        assert_eq!(clean_message(body, 400), "Invalid value for 'cores': 3");
        let only = "java.lang.IllegalArgumentException: name can only contain alpha-numeric chars and '-'\ncause: x";
        assert_eq!(
            clean_message(only, 400),
            "name can only contain alpha-numeric chars and '-'"
        );
        assert_eq!(clean_message("", 500), "HTTP 500 with no explanation");
        assert!(clean_message("<html><body>Bad gateway</body></html>", 502).contains("proxy"));
        assert_eq!(clean_message(&"x".repeat(2000), 500).len(), 500);
    }

    #[test]
    fn rejection_fields() {
        let f = |m: &str| SkahaError::Rejected { message: m.into() }.field();
        assert_eq!(f("Invalid value for 'ram': 3"), Some("ram"));
        assert_eq!(f("Missing parameter 'name'"), Some("name"));
        assert_eq!(
            f("session image 'x' must come from one of [images.canfar.net]"),
            Some("image")
        );
        assert_eq!(
            f("No authentication provided for unknown or private image."),
            Some("registry")
        );
        assert_eq!(
            SkahaError::QuotaReached {
                message: "User alice has reached the maximum of 3 active sessions.".into()
            }
            .field(),
            Some("kind")
        );
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = SkahaError::Unavailable {
            message: "temporarily unavailable: /skaha".into(),
            retry_after: Some(Duration::from_secs(7)),
        };
        assert!(e.to_string().contains("retry after 7 s"), "{e}");
        assert_eq!(e.code(), ErrorCode::PlatformUnavailable);
        assert!(e.is_transient());
        assert!(!SkahaError::Rejected {
            message: "x".into()
        }
        .is_transient());
    }
}
