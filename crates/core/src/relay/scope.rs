//! Which paths of the session's origin the relay may add the credential to.
//!
//! On Skaha the session's origin also serves the API (`/skaha/v1/session` lists and
//! launches sessions as the user) and every other user's sessions. A session page is
//! untrusted (contributed apps are third-party code), so the relay forwards only requests
//! under the session's own path, as its connect URL gives it (`/session/<kind>/<id>/…`),
//! and refuses everything else before anything reaches the platform.

use url::Url;

use super::RelayError;

/// The session's own paths: each prefix ends with `/`; the prefix without its slash is
/// allowed too (servers redirect `/session/contrib/<id>` to `…/<id>/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathScope {
    prefixes: Vec<String>,
}

/// Percent-encoded dot, slash, backslash, percent and NUL: an upstream server that decodes
/// them (once, or twice behind a proxy: `%252e`) could walk out of the scope
/// (`/session/notebook/<id>/..%2f..%2fskaha/v1/session`).
const ENCODED_ESCAPES: [&str; 5] = ["%2e", "%2f", "%5c", "%25", "%00"];

impl PathScope {
    /// The scope of a session from its connect URL and id.
    ///
    /// The path up to and including the segment that is the session id; CARTA's
    /// `/session/carta/http/<id>/` also gets its websocket sibling `/session/carta/ws/<id>/`.
    /// A connect URL without the id in its path (other deployments) is scoped to its own
    /// folder; one at the root of its origin cannot be scoped and is refused.
    pub fn for_session(connect_url: &Url, session_id: &str) -> Result<PathScope, RelayError> {
        let id = session_id.trim();
        let segments: Vec<&str> = connect_url
            .path_segments()
            .map(|s| s.collect())
            .unwrap_or_default();
        let at = (!id.is_empty())
            .then(|| segments.iter().position(|s| *s == id))
            .flatten();
        let mut prefixes = Vec::new();
        match at {
            Some(i) => {
                let through = &segments[..=i];
                prefixes.push(format!("/{}/", through.join("/")));
                if let ["session", "carta", middle @ ("http" | "ws"), _] = through {
                    let sibling = if *middle == "http" { "ws" } else { "http" };
                    prefixes.push(format!("/session/carta/{sibling}/{id}/"));
                }
            }
            None => {
                let path = connect_url.path();
                let folder = &path[..path.rfind('/').map_or(0, |i| i + 1)];
                // The root, `/session/` or `/session/<kind>/` would take in every session.
                let depth = folder.split('/').filter(|p| !p.is_empty()).count();
                if folder.len() <= 1 || (folder.starts_with("/session/") && depth <= 2) {
                    return Err(RelayError::NoSessionPath(super::rewrite::origin_of(
                        connect_url,
                    )));
                }
                prefixes.push(folder.to_string());
            }
        }
        Ok(PathScope { prefixes })
    }

    /// Whether a request path (raw, as the webview sent it) is the session's own.
    ///
    /// Anything an upstream might resolve differently from a plain prefix check is refused
    /// outright rather than normalised, since what the relay checks must be what the
    /// platform routes: dot segments, also with path parameters (`..;/`, which Tomcat and
    /// Jetty read as `..`), encoded dots, slashes, backslashes, percents and NULs, and
    /// escapes that do not decode to valid UTF-8 (overlong forms such as `%c0%ae`) or decode
    /// to control characters.
    pub fn allows(&self, raw_path: &str) -> bool {
        let dot_segment = |s: &str| {
            let bare = s.split(';').next().unwrap_or(s);
            bare == "." || bare == ".."
        };
        let decodes_cleanly = || {
            percent_encoding::percent_decode_str(raw_path)
                .decode_utf8()
                .is_ok_and(|d| !d.chars().any(char::is_control))
        };
        if raw_path.contains('\\')
            || raw_path.split('/').any(dot_segment)
            || ENCODED_ESCAPES
                .iter()
                .any(|e| contains_ignore_ascii_case(raw_path, e))
            || !decodes_cleanly()
        {
            return false;
        }
        self.prefixes.iter().any(|p| {
            raw_path.starts_with(p.as_str()) || raw_path == &p[..p.len().saturating_sub(1)]
        })
    }

    /// The prefixes, for status lines and tests (they name the session id: never log them).
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }
}

fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(url: &str, id: &str) -> PathScope {
        PathScope::for_session(&Url::parse(url).expect("url"), id).expect("scope")
    }

    #[test]
    fn every_canfar_connect_url_shape_is_scoped_to_its_session() {
        let nb = scope(
            "https://ws-uv.canfar.net/session/notebook/k3x9q2ab/lab/tree/arc/home/jdoe?token=k3x9q2ab",
            "k3x9q2ab",
        );
        assert_eq!(nb.prefixes(), ["/session/notebook/k3x9q2ab/"]);
        assert!(nb.allows("/session/notebook/k3x9q2ab/lab"));
        assert!(nb.allows("/session/notebook/k3x9q2ab/api/kernels/1/channels"));
        assert!(nb.allows("/session/notebook/k3x9q2ab"));
        // File names with non-ASCII letters arrive encoded and are fine.
        assert!(nb.allows("/session/notebook/k3x9q2ab/api/contents/%C3%A9t%C3%A9.ipynb"));
        for outside in [
            "/skaha/v1/session",
            "/skaha/v0/session/k3x9q2ab",
            "/session/notebook/other123/lab",
            "/session/notebook/k3x9q2abc/lab",
            "/session/desktop/k3x9q2ab/",
            "/",
            "",
            "/ac/whoami",
            "/session/notebook/k3x9q2ab/../../../skaha/v1/session",
            "/session/notebook/k3x9q2ab/./x",
            "/session/notebook/k3x9q2ab/..%2f..%2fskaha",
            "/session/notebook/k3x9q2ab/%2E%2E/x",
            "/session/notebook/k3x9q2ab/..%5Cx",
            "/session/notebook/k3x9q2ab\\..\\x",
            "/session/notebook/k3x9q2ab/..;/..;/..;/skaha/v1/session",
            "/session/notebook/k3x9q2ab/.;x/lab",
            "/session/notebook/k3x9q2ab/%252e%252e/%252e%252e/skaha",
            "/session/notebook/k3x9q2ab/%c0%ae%c0%ae/skaha",
            "/session/notebook/k3x9q2ab/%00/x",
            "/session/notebook/k3x9q2ab/%0a/x",
        ] {
            assert!(!nb.allows(outside), "{outside}");
        }
        let desktop = scope(
            "https://h/session/desktop/abc/?password=abc&path=session/desktop/abc/",
            "abc",
        );
        assert_eq!(desktop.prefixes(), ["/session/desktop/abc/"]);
        let carta = scope("https://h/session/carta/http/abc/", "abc");
        assert_eq!(
            carta.prefixes(),
            ["/session/carta/http/abc/", "/session/carta/ws/abc/"]
        );
        assert!(carta.allows("/session/carta/ws/abc/"));
        assert!(!carta.allows("/session/carta/other/abc/"));
        let firefly = scope("https://h/session/firefly/abc/firefly/", "abc");
        assert!(firefly.allows("/session/firefly/abc/firefly/sticky/CmdSrv"));
        assert!(!firefly.allows("/firefly/"));
    }

    #[test]
    fn other_deployments_are_scoped_to_the_connect_folder_and_never_the_root() {
        let s = scope("https://h/apps/lab/index.html", "zzz");
        assert_eq!(s.prefixes(), ["/apps/lab/"]);
        assert!(s.allows("/apps/lab/static/app.js"));
        assert!(!s.allows("/apps/other/"));
        assert!(!s.allows("/apps/lab/../other"));
        for root in [
            "https://h/",
            "https://h/index.html",
            "https://h",
            "https://h/session/notebook/?token=x",
            "https://h/session/lab",
        ] {
            let e = PathScope::for_session(&Url::parse(root).expect("url"), "zzz")
                .expect_err("root cannot be scoped");
            assert!(matches!(e, RelayError::NoSessionPath(_)), "{e:?}");
        }
        // An empty id never matches an empty segment, and `/session/<kind>/` is too wide.
        let e = PathScope::for_session(&Url::parse("https://h/session//x/").expect("url"), "")
            .expect_err("no session in the path");
        assert!(matches!(e, RelayError::NoSessionPath(_)), "{e:?}");
    }
}
