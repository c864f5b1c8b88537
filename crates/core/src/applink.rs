//! `skyport://` links: what a web page, a chat message or a script may ask the desktop app to
//! show. They come from anywhere, so a link only ever *opens* something for the user to look
//! at — a session's window or details, the add-platform form filled in — and never acts by
//! itself (nothing is added, launched or deleted without the user's click).

use url::Url;

/// The link scheme the app registers for (`x-scheme-handler/skyport`).
pub const SCHEME: &str = "skyport";
/// Longer links are refused before they are parsed.
pub const MAX_LEN: usize = 4096;

/// What a valid link asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AppLink {
    /// `skyport://session/<id>`: the session's window when it runs, else its details.
    Session { id: String },
    /// `skyport://platform/add?url=<address>`: the add-platform form with the address filled
    /// in (a URL or an `ivo://` id), for the user to check and confirm.
    AddPlatform { address: String },
}

/// Why a link was not followed, in words for a notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("the link is not a skyport:// link")]
    NotOurs,
    #[error("the link is too long ({0} characters) to be one of Skyport's")]
    TooLong(usize),
    #[error("the link is malformed ({0})")]
    Malformed(String),
    #[error("Skyport does not know links of the form skyport://{0}/…; it opens skyport://session/<id> and skyport://platform/add?url=<address>")]
    Unknown(String),
    #[error("{0}")]
    Invalid(String),
}

/// Whether a command-line argument is a link for the app (as the desktop passes it).
pub fn is_app_link(arg: &str) -> bool {
    arg.as_bytes()
        .get(..SCHEME.len() + 1)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"skyport:"))
}

/// Read a `skyport://` link.
pub fn parse(raw: &str) -> Result<AppLink, LinkProblem> {
    let raw = raw.trim();
    if raw.len() > MAX_LEN {
        return Err(LinkProblem::TooLong(raw.chars().count()));
    }
    if !is_app_link(raw) {
        return Err(LinkProblem::NotOurs);
    }
    let url = Url::parse(raw).map_err(|e| LinkProblem::Malformed(e.to_string()))?;
    let what = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    match (what.as_str(), segments.as_slice()) {
        ("session", [id]) => session_id(id).map(|id| AppLink::Session { id }),
        ("session", _) => Err(LinkProblem::Invalid(
            "a session link names one session: skyport://session/<id>".into(),
        )),
        ("platform", ["add"]) => {
            let mut given = url.query_pairs().filter(|(k, _)| k == "url");
            let (Some((_, address)), None) = (given.next(), given.next()) else {
                return Err(LinkProblem::Invalid(
                    "an add-platform link gives the platform's address once: skyport://platform/add?url=https://…".into(),
                ));
            };
            platform_address(&address).map(|address| AppLink::AddPlatform { address })
        }
        ("", _) => Err(LinkProblem::Malformed("it names nothing to open".into())),
        (other, _) => Err(LinkProblem::Unknown(printable(other))),
    }
}

/// Skaha's session ids are short lowercase letters and digits.
fn session_id(id: &str) -> Result<String, LinkProblem> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(id.to_string())
    } else {
        Err(LinkProblem::Invalid(format!(
            "\"{}\" is not a session id (letters and digits, as `skyport ps` shows them)",
            printable(id)
        )))
    }
}

/// A platform address the add-platform form accepts: an https (or loopback http) URL with a
/// host, or an `ivo://` resource id. The form discovers it; nothing is contacted here.
fn platform_address(address: &str) -> Result<String, LinkProblem> {
    let shown = Url::parse(address.trim()).ok().map(|u| without_secrets(&u));
    let bad = || {
        LinkProblem::Invalid(match &shown {
            Some(u) => format!(
                "\"{}\" is not a platform address (an https:// URL or an ivo:// id)",
                printable(u)
            ),
            None => "the address in the link is not a platform address (an https:// URL or an ivo:// id)".into(),
        })
    };
    let url = Url::parse(address.trim()).map_err(|_| bad())?;
    let fine = url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && match url.scheme() {
            "https" | "ivo" => true,
            "http" => crate::secure::is_loopback(&url),
            _ => false,
        };
    if fine {
        Ok(url.to_string())
    } else {
        Err(bad())
    }
}

/// A URL as a notice may show it: scheme, host and path; never user info, query or fragment
/// (a link may carry a token there).
fn without_secrets(u: &Url) -> String {
    format!(
        "{}://{}{}",
        u.scheme(),
        u.host_str().unwrap_or_default(),
        u.path()
    )
}

/// At most 80 characters of outside text, without control characters, for a notice.
fn printable(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(80).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_links() {
        assert_eq!(
            parse("skyport://session/a1b2c3d4"),
            Ok(AppLink::Session {
                id: "a1b2c3d4".into()
            })
        );
        assert_eq!(
            parse("SKYPORT://Session/a1b2c3d4/"),
            Ok(AppLink::Session {
                id: "a1b2c3d4".into()
            })
        );
        for bad in [
            "skyport://session/",
            "skyport://session/a/b",
            "skyport://session/..%2F..",
            "skyport://session/A%00B",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(matches!(e, LinkProblem::Invalid(_)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn add_platform_links_only_fill_the_form() {
        assert_eq!(
            parse("skyport://platform/add?url=https%3A%2F%2Fws-uv.canfar.net%2Fskaha"),
            Ok(AppLink::AddPlatform {
                address: "https://ws-uv.canfar.net/skaha".into()
            })
        );
        assert_eq!(
            parse("skyport://platform/add?url=ivo://swesrc.chalmers.se/skaha"),
            Ok(AppLink::AddPlatform {
                address: "ivo://swesrc.chalmers.se/skaha".into()
            })
        );
        assert!(parse("skyport://platform/add?url=http://127.0.0.1:8080/skaha").is_ok());
        for bad in [
            "skyport://platform/add",
            "skyport://platform/add?url=",
            "skyport://platform/add?url=http://example.org/skaha",
            "skyport://platform/add?url=https://user:pw@example.org/skaha",
            "skyport://platform/add?url=file:///etc/passwd",
            "skyport://platform/add?url=javascript:alert(1)",
            "skyport://platform/add?url=https://a.org&url=https://b.org",
        ] {
            assert!(
                matches!(parse(bad), Err(LinkProblem::Invalid(_))),
                "{bad}: {:?}",
                parse(bad)
            );
        }
    }

    #[test]
    fn anything_else_is_refused_with_words() {
        assert_eq!(parse("https://example.org"), Err(LinkProblem::NotOurs));
        assert!(matches!(parse("skyport:"), Err(LinkProblem::Malformed(_))));
        assert!(matches!(parse("skypor"), Err(LinkProblem::NotOurs)));
        // Not a char boundary at byte 8: no slicing panic.
        assert!(!is_app_link("skyporté://session/x"));
        assert!(!is_app_link("skypor\u{fffd}x"));
        // A token in a refused address never reaches the notice.
        let e = parse("skyport://platform/add?url=ftp://me:s3cret@host/p?token=s3cret")
            .expect_err("ftp");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("ftp://host/p"), "{e}");
        assert!(matches!(
            parse("skyport://"),
            Err(LinkProblem::Malformed(_))
        ));
        let e = parse("skyport://delete/all").expect_err("unknown");
        assert!(e.to_string().contains("skyport://delete/"), "{e}");
        assert!(e.to_string().contains("skyport://session/<id>"), "{e}");
        let long = format!("skyport://session/{}", "a".repeat(MAX_LEN));
        assert!(matches!(parse(&long), Err(LinkProblem::TooLong(_))));
        // Outside text in a notice is cut short and loses control characters.
        let e = parse(&format!("skyport://x{}y/", "\u{7}".repeat(3))).expect_err("odd host");
        assert!(!e.to_string().contains('\u{7}'));
        assert!(is_app_link("skyport://session/x"));
        assert!(!is_app_link("--hidden"));
        assert!(!is_app_link("skyportx://"));
    }
}
