//! Which links may leave Skyport for another program.
//!
//! A session page is untrusted (contributed apps are third-party code) and so is what a
//! platform sends. Handing an `ssh:`, `smb:`, `vscode:` or `apt:` link to the system
//! opener would start a desktop handler with no user gesture, so only web pages (http and
//! https, with a host) ever leave Skyport: from a session window, from the app's own
//! pages, and as a session's connect URL, in the app and the CLI alike.

use url::Url;

use crate::error::{Coded, ErrorCode};

/// A link Skyport refuses to hand to another program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    /// Not http or https (the scheme is named; the rest may carry secrets).
    #[error("a link of kind \"{scheme}:\" was not opened: Skyport opens only web pages (http and https); copy the link yourself if you trust it")]
    Scheme { scheme: String },
    /// Not a URL at all, or one without a host.
    #[error("the platform gave an address that is not a web page, so Skyport did not open it; report it to the platform's operators")]
    Malformed,
}

impl Coded for LinkRefused {
    /// The link came from a platform or a page, not from the user: the platform's error.
    fn code(&self) -> ErrorCode {
        ErrorCode::PlatformError
    }
}

/// Whether `url` may be opened in the system browser: http or https with a host.
pub fn check_web_link(url: &Url) -> Result<(), LinkRefused> {
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "http" | "https" => Err(LinkRefused::Malformed),
        other => Err(LinkRefused::Scheme {
            // Bounded and printable: the scheme is shown to the user.
            scheme: other.chars().take(32).collect(),
        }),
    }
}

/// A session's connect URL as the platform sent it, checked before it is opened anywhere.
pub fn connect_url(raw: &str) -> Result<Url, LinkRefused> {
    let url = Url::parse(raw.trim()).map_err(|_| LinkRefused::Malformed)?;
    check_web_link(&url)?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_pages_leave() {
        for ok in [
            "https://ws-uv.canfar.net/session/notebook/abc/lab?token=abc",
            "http://127.0.0.1:8000/x",
            "HTTPS://Example.org",
        ] {
            assert!(connect_url(ok).is_ok(), "{ok}");
        }
        for (bad, scheme) in [
            ("ssh://user@host", "ssh"),
            ("smb://fileserver/share", "smb"),
            ("vscode://vscode.git/clone?url=x", "vscode"),
            ("apt:evil-package", "apt"),
            ("file:///etc/passwd", "file"),
            ("javascript:alert(1)", "javascript"),
            ("mailto:a@b", "mailto"),
            ("x-scheme-handler-abc:1", "x-scheme-handler-abc"),
        ] {
            match connect_url(bad) {
                Err(LinkRefused::Scheme { scheme: s }) => assert_eq!(s, scheme),
                other => panic!("{bad}: {other:?}"),
            }
        }
        for bad in ["", "not a url", "https://", "/session/x"] {
            assert!(connect_url(bad).is_err(), "{bad}");
        }
        // The message names the kind of link only, never the rest.
        let e = connect_url("ssh://alice:hunter2@host").expect_err("ssh");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
