//! The platform's service URL (`platform::ServiceUrl`, `SKYPORT_URL` and profiles), and
//! the other URL helpers of `platform`.
//!
//! Properties: never a panic; the result is http(s), without query or fragment, with a
//! `v<digits>` version; the API base is the service path plus `/<version>/` and parses
//! back to the same service; the display form (`as_str`) parses back to the same service
//! whenever the version is the default and the path does not itself end in a version
//! segment; a companion URL (login, credential service) stays on the service's own
//! host, CANFAR's excepted. The same text also goes through `applink::parse` (`skyport://`
//! links): a session link names a plain id; an add-platform link gives an https, ivo or
//! loopback http address with a host and no user info; refusals are short and printable.

use skyport_core::applink::{self, AppLink};
use skyport_core::platform::{companion_url, parse_http_url, ServiceUrl};

fn check_app_link(text: &str) {
    match applink::parse(text) {
        Ok(AppLink::Session { id }) => {
            assert!(!id.is_empty() && id.len() <= 64);
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        Ok(AppLink::AddPlatform { address }) => {
            let u = url::Url::parse(&address).expect("an address that parses");
            assert!(u.host_str().is_some_and(|h| !h.is_empty()));
            assert!(u.username().is_empty() && u.password().is_none());
            match u.scheme() {
                "https" | "ivo" => {}
                "http" => assert!(skyport_core::secure::is_loopback(&u), "{address}"),
                other => panic!("scheme {other} accepted"),
            }
        }
        Err(e) => {
            let said = e.to_string();
            assert!(said.len() < 600, "{said}");
            assert!(!said.chars().any(char::is_control), "{said:?}");
        }
    }
}

fn is_version(segment: &str) -> bool {
    segment.len() >= 2
        && segment.starts_with('v')
        && segment[1..].chars().all(|c| c.is_ascii_digit())
}

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_app_link(&text);
    if let Ok(u) = parse_http_url(&text, "the login URL", "https://example.org/login") {
        assert!(matches!(u.scheme(), "http" | "https"));
    }
    let s = match ServiceUrl::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert!(matches!(s.service.scheme(), "http" | "https"));
    assert!(s.service.query().is_none() && s.service.fragment().is_none());
    assert!(is_version(&s.version), "version {:?}", s.version);

    let base = s.api_base();
    let want_suffix = format!("/{}/", s.version);
    assert!(base.path().ends_with(&want_suffix), "{base}");
    assert_eq!(base.origin(), s.service.origin());
    let session = base.join("session").expect("join session");
    assert_eq!(session.origin(), s.service.origin());
    assert!(session.path().ends_with(&format!("/{}/session", s.version)));

    let again = ServiceUrl::parse(base.as_str())
        .unwrap_or_else(|e| panic!("api base {base} does not parse again: {e}"));
    assert_eq!(again, s, "through the API base {base}");

    let last_is_version = s
        .service
        .path_segments()
        .and_then(|mut p| p.rfind(|x| !x.is_empty()))
        .is_some_and(is_version);
    if s.version == "v1" && !last_is_version {
        let shown = s.as_str();
        let again = ServiceUrl::parse(shown)
            .unwrap_or_else(|e| panic!("display form {shown} does not parse again: {e}"));
        assert_eq!(again, s, "through the display form {shown}");
    }

    for path in ["/ac/login", "/cred/generate"] {
        let c = companion_url(&s, "https://ws-cadc.canfar.net/ac/login", path);
        let host = s.service.host_str().unwrap_or_default();
        if !(host == "canfar.net" || host.ends_with(".canfar.net")) {
            assert_eq!(c.origin(), s.service.origin());
            assert_eq!(c.path(), path);
        }
    }
}
