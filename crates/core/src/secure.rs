//! The one rule for where a credential may travel: only over HTTPS, or to this machine.
//!
//! Every place that sends a token, password, cookie or certificate checks its URL here
//! first: the service URL, connect URLs, the relay's upstream, the OIDC endpoints, the
//! login and credential services, and challenges answered from a probe. Plain HTTP is
//! allowed only to loopback (`localhost`, `127.0.0.0/8`, `::1`), where nothing crosses a
//! network (the demo platform and the tests live there).

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::{Coded, ErrorCode};

/// A URL a credential must not be sent to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Skyport sends credentials only over HTTPS, but {what} is {origin} (plain HTTP); use the https:// address of the service, or ask its operators for one")]
pub struct InsecureUrl {
    /// What the URL is for ("the platform", "the sign-in provider's token endpoint", ...).
    pub what: String,
    /// `scheme://host:port`, never a path or query (they may carry session ids or codes).
    pub origin: String,
}

impl Coded for InsecureUrl {
    fn code(&self) -> ErrorCode {
        ErrorCode::Config
    }
}

/// Whether `host` names this machine: `localhost`, 127.0.0.0/8, ::1. Only the exact name
/// `localhost` (which the system resolves from its hosts file): `*.localhost` and
/// `localhost.` may go to DNS on systems without nss-myhostname, and DNS can answer anything.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether a credential may be sent to `url`: https anywhere, http only to loopback.
pub fn may_carry_credentials(url: &Url) -> bool {
    match url.scheme() {
        "https" | "wss" => url.host().is_some(),
        "http" | "ws" => is_loopback(url),
        _ => false,
    }
}

/// [`may_carry_credentials`] as an error that says what the URL was for.
pub fn require_secure(url: &Url, what: &str) -> Result<(), InsecureUrl> {
    if may_carry_credentials(url) {
        Ok(())
    } else {
        Err(InsecureUrl {
            what: what.to_string(),
            origin: url.origin().ascii_serialization(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn https_anywhere_http_only_to_this_machine() {
        for ok in [
            "https://ws-uv.canfar.net/skaha",
            "http://127.0.0.1:8080/skaha",
            "http://127.31.2.9/x",
            "http://localhost:3000/",
            "http://LOCALHOST:3000/",
            "http://[::1]:9/",
            "wss://h/ws",
            "ws://127.0.0.1/ws",
        ] {
            assert!(may_carry_credentials(&url(ok)), "{ok}");
        }
        for bad in [
            "http://ws-uv.canfar.net/skaha",
            "http://10.0.0.1/",
            "http://192.168.1.2/",
            "http://localhost.evil.example/",
            "http://localhost./",
            "http://relay-1.localhost:80/",
            "http://127.0.0.1.nip.io/",
            "http://[::ffff:7f00:1]/",
            "ws://h/ws",
            "ftp://h/",
            "file:///etc/passwd",
            "data:text/plain,x",
        ] {
            assert!(!may_carry_credentials(&url(bad)), "{bad}");
        }
    }

    #[test]
    fn the_error_names_the_origin_and_what_it_was_for_never_the_path() {
        let e = require_secure(
            &url("http://ws.example.org/session/notebook/abcd1234/lab?token=abcd1234"),
            "the session page",
        )
        .expect_err("plain http");
        let text = e.to_string();
        assert!(
            text.contains("the session page is http://ws.example.org"),
            "{text}"
        );
        assert!(!text.contains("abcd1234"), "{text}");
        assert_eq!(e.code(), ErrorCode::Config);
    }
}
