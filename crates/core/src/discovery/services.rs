//! What a platform's capabilities documents say about it: the session API (base URL, API
//! version, accepted credentials), the storage service, the CADC login and credential
//! services and an OpenID provider.
//!
//! Facts: discovery.md §2.2–2.6 and §3.3 (the rules the official `canfar` client follows,
//! reproduced so both pick the same API).

use super::capabilities::{interface, Capability, Security, MAX_METHODS};

/// The session API before v1 (`/skaha/v0`).
pub const LEGACY_SESSIONS: &str = "vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0";
/// `…#session-1` is the v1 API (`/skaha/v1/session`).
pub const PLATFORM_SESSION_PREFIX: &str = "http://www.opencadc.org/std/platform#session-";
pub const VOSPACE_NODES: &str = "ivo://ivoa.net/std/VOSpace/v2.0#nodes";
/// X.509 proxy certificates for a username and password (`/cred/auth/priv`).
pub const CDP_PROXY: &str = "ivo://ivoa.net/std/CDP#proxy-1.0";
/// CADC's password login (`/ac/login`); the second id is its deprecated alias.
pub const LOGIN: [&str; 2] = [
    "ivo://ivoa.net/sso#tls-with-password",
    "ivo://ivoa.net/std/UMS#login-0.1",
];
pub const OPENID: &str = "ivo://ivoa.net/sso#OpenID";

/// The session API versions Skyport speaks.
pub const SUPPORTED_VERSIONS: [&str; 2] = ["v1", "v0"];

/// One session API a platform offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionApi {
    /// The service URL, `https://host/skaha` (the API is below it at `/<version>`).
    pub service: String,
    /// `v0`, `v1`, …
    pub version: String,
    /// The credentials its interfaces accept, best first (certificate, token, then others).
    pub security: Vec<Security>,
}

/// `https://h/skaha/v1/session` → (`https://h/skaha`, `v1`): the first `/vN[.M]` segment.
fn split_version(url: &str) -> Option<(String, String)> {
    let url = url.trim().trim_end_matches('/');
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[scheme_end..].find('/').map(|i| scheme_end + i)?;
    let mut pos = path_start;
    for seg in url[path_start..].split('/').skip(1) {
        pos += 1;
        let numeric = seg.strip_prefix('v').is_some_and(is_version_number);
        if numeric {
            return Some((url[..pos - 1].to_string(), seg.to_string()));
        }
        pos += seg.len();
    }
    None
}

/// `1`, `2.1`: digits, dot-separated.
fn is_version_number(n: &str) -> bool {
    !n.is_empty()
        && n.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn version_number(v: &str) -> Vec<u32> {
    v.trim_start_matches('v')
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

fn rank(s: &Security) -> u8 {
    match s {
        Security::Certificate => 0,
        Security::Token => 1,
        _ => 2,
    }
}

/// Every session API in the document, merged per service and version, newest version first.
pub fn session_apis(caps: &[Capability]) -> Vec<SessionApi> {
    let mut out: Vec<SessionApi> = Vec::new();
    // Where each (service, version) is in `out`: one lookup per interface, however many.
    let mut index: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for c in caps {
        let legacy = c.standard_id == LEGACY_SESSIONS;
        let Some(n) = c
            .standard_id
            .strip_prefix(PLATFORM_SESSION_PREFIX)
            .or(legacy.then_some("0"))
        else {
            continue;
        };
        if !is_version_number(n) {
            continue;
        }
        for i in &c.interfaces {
            if i.access_url.is_empty() || i.use_.as_deref().is_some_and(|u| u != "base") {
                continue;
            }
            let (service, version) = match split_version(&i.access_url) {
                Some((s, _)) if legacy => (s, "v0".to_string()),
                Some(sv) => sv,
                None => (
                    i.access_url.trim_end_matches('/').to_string(),
                    format!("v{n}"),
                ),
            };
            let at = *index
                .entry((service.clone(), version.clone()))
                .or_insert_with(|| {
                    out.push(SessionApi {
                        service,
                        version,
                        security: vec![],
                    });
                    out.len() - 1
                });
            let Some(entry) = out.get_mut(at) else {
                continue;
            };
            for s in &i.security {
                if entry.security.len() < MAX_METHODS && !entry.security.contains(s) {
                    entry.security.push(s.clone());
                }
            }
        }
    }
    for a in &mut out {
        a.security.sort_by_key(rank);
    }
    out.sort_by(|a, b| a.service.cmp(&b.service));
    out.sort_by_key(|a| std::cmp::Reverse(version_number(&a.version)));
    out
}

/// Whether Skyport can authenticate to an API: with a certificate or a token (a cookie is a
/// browser's; an interface naming no method, or only anonymous access, gives nothing).
fn usable(a: &SessionApi) -> bool {
    a.security
        .iter()
        .any(|s| matches!(s, Security::Certificate | Security::Token))
}

/// The session API to use: as the official client chooses, the newest version that accepts
/// a credential Skyport holds; else the newest it speaks at all (a site that names no
/// method). `None` when the document offers none Skyport speaks.
pub fn session_api(caps: &[Capability]) -> Option<SessionApi> {
    let spoken: Vec<SessionApi> = session_apis(caps)
        .into_iter()
        .filter(|a| SUPPORTED_VERSIONS.contains(&a.version.as_str()))
        .collect();
    let pick = spoken.iter().position(usable).unwrap_or(0);
    spoken.into_iter().nth(pick)
}

/// The VOSpace nodes URL (`https://h/arc/nodes`), when this is a storage service.
pub fn storage_nodes(caps: &[Capability]) -> Option<String> {
    caps.iter()
        .filter(|c| c.standard_id == VOSPACE_NODES)
        .flat_map(|c| &c.interfaces)
        .find(|i| {
            !i.access_url.is_empty()
                && i.role.as_deref().is_none_or(|r| r == "std")
                && i.use_.as_deref().is_none_or(|u| u == "base")
        })
        .map(|i| i.access_url.clone())
}

/// Where a username and password buy an X.509 certificate.
pub fn credential_service(caps: &[Capability]) -> Option<String> {
    interface(caps, CDP_PROXY, Some(&Security::Basic)).map(|i| i.access_url.clone())
}

/// Where a username and password buy a token (CADC's `/ac/login`).
pub fn login_service(caps: &[Capability]) -> Option<String> {
    LOGIN
        .iter()
        .find_map(|id| interface(caps, id, None))
        .map(|i| i.access_url.clone())
}

/// The OpenID provider this service is part of (CADC's `/ac`).
pub fn openid_issuer(caps: &[Capability]) -> Option<String> {
    interface(caps, OPENID, None).map(|i| i.access_url.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::super::capabilities::parse;
    use super::*;

    const SRCNET_V0: &str = r#"<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0"
    xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0"
    xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<capability standardID="vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0">
    <interface xsi:type="vs:ParamHTTP" role="std" version="1.0">
    <accessURL use="base">https://services.swesrc.chalmers.se/skaha/v0</accessURL>
    </interface>
    <interface xsi:type="vs:ParamHTTP" role="std" version="1.0">
    <accessURL use="base">https://services.swesrc.chalmers.se/skaha/v0</accessURL>
    </interface>
    <interface xsi:type="vs:ParamHTTP" role="std" version="1.0">
    <accessURL use="base">https://services.swesrc.chalmers.se/skaha/v0</accessURL>
    <securityMethod standardID="ivo://ivoa.net/sso#token"/>
    </interface>
</capability>
</vosi:capabilities>"#;

    #[test]
    fn an_srcnet_node_offers_v0_with_tokens() {
        let caps = parse(SRCNET_V0).expect("parse");
        let api = session_api(&caps).expect("api");
        assert_eq!(
            api,
            SessionApi {
                service: "https://services.swesrc.chalmers.se/skaha".into(),
                version: "v0".into(),
                security: vec![Security::Token],
            }
        );
    }

    #[test]
    fn canfar_is_used_as_v1_with_certificate_then_token() {
        let caps = parse(super::super::capabilities::tests_support::CANFAR_SKAHA).expect("parse");
        let all = session_apis(&caps);
        assert_eq!(
            all.iter().map(|a| a.version.as_str()).collect::<Vec<_>>(),
            ["v1", "v0"]
        );
        let api = session_api(&caps).expect("api");
        assert_eq!(api.service, "https://ws-uv.canfar.net/skaha");
        assert_eq!(api.version, "v1");
        assert_eq!(all[1].security, [Security::Token, Security::Cookie]);
    }

    #[test]
    fn versions_come_from_the_url_then_the_standard_id() {
        assert_eq!(
            split_version("https://h/skaha/v1/session"),
            Some(("https://h/skaha".into(), "v1".into()))
        );
        assert_eq!(
            split_version("https://h/skaha/v2.1/"),
            Some(("https://h/skaha".into(), "v2.1".into()))
        );
        assert_eq!(split_version("https://h/skaha/session"), None);
        assert_eq!(split_version("https://h/vault/v1x"), None);
        let doc = r#"<capabilities>
          <capability standardID="http://www.opencadc.org/std/platform#session-2"><interface>
            <accessURL use="base">https://h/skaha/session</accessURL></interface></capability>
          <capability standardID="http://www.opencadc.org/std/platform#session-1"><interface>
            <accessURL use="base">https://h/skaha/v1/session</accessURL>
            <securityMethod standardID="ivo://ivoa.net/sso#token"/></interface></capability>
        </capabilities>"#;
        let caps = parse(doc).expect("parse");
        let all = session_apis(&caps);
        assert_eq!(all[0].version, "v2", "newest first");
        assert_eq!(all[0].service, "https://h/skaha/session");
        // v2 is not spoken: the newest supported one is chosen.
        assert_eq!(session_api(&caps).map(|a| a.version), Some("v1".into()));
    }

    #[test]
    fn a_version_that_takes_no_credential_of_ours_is_passed_over() {
        let doc = r#"<capabilities>
          <capability standardID="http://www.opencadc.org/std/platform#session-1"><interface>
            <accessURL use="base">https://h/skaha/v1/session</accessURL>
            <securityMethod standardID="ivo://ivoa.net/sso#cookie"/></interface></capability>
          <capability standardID="vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0"><interface>
            <accessURL use="base">https://h/skaha/v0</accessURL>
            <securityMethod standardID="ivo://ivoa.net/sso#token"/></interface></capability>
        </capabilities>"#;
        let api = session_api(&parse(doc).expect("parse")).expect("api");
        assert_eq!(api.version, "v0");
        // Nothing usable anywhere: the newest spoken one, rather than nothing.
        let bare = r#"<capabilities><capability standardID="http://www.opencadc.org/std/platform#session-1">
            <interface><accessURL use="base">https://h/skaha/v1/session</accessURL></interface>
            </capability></capabilities>"#;
        assert_eq!(
            session_api(&parse(bare).expect("parse")).map(|a| a.version),
            Some("v1".into())
        );
    }

    #[test]
    fn a_document_without_a_session_capability_has_no_api() {
        let caps = parse("<capabilities><capability standardID=\"ivo://ivoa.net/std/VOSI#availability\"/></capabilities>")
            .expect("parse");
        assert!(session_api(&caps).is_none());
    }

    #[test]
    fn storage_login_credentials_and_openid() {
        let arc = r#"<capabilities>
          <capability standardID="ivo://ivoa.net/std/VOSpace/v2.0#nodes"><interface role="std">
            <accessURL use="base">https://ws-uv.canfar.net/arc/nodes</accessURL><securityMethod/></interface></capability>
        </capabilities>"#;
        assert_eq!(
            storage_nodes(&parse(arc).expect("arc")).as_deref(),
            Some("https://ws-uv.canfar.net/arc/nodes")
        );
        let cred = r#"<capabilities><capability standardID="ivo://ivoa.net/std/CDP#proxy-1.0">
            <interface><accessURL use="base">https://c/cred/priv</accessURL>
              <securityMethod standardID="ivo://ivoa.net/sso#token"/></interface><interface>
              <accessURL use="base">https://c/cred/auth/priv</accessURL>
              <securityMethod standardID="ivo://ivoa.net/sso#BasicAA"/></interface>
        </capability></capabilities>"#;
        assert_eq!(
            credential_service(&parse(cred).expect("cred")).as_deref(),
            Some("https://c/cred/auth/priv")
        );
        let ac = r#"<capabilities>
          <capability standardID="ivo://ivoa.net/sso#OpenID"><interface>
            <accessURL use="base">https://ws-cadc.canfar.net/ac</accessURL><securityMethod/></interface></capability>
          <capability standardID="ivo://ivoa.net/std/UMS#login-0.1"><interface>
            <accessURL use="base">https://ws-cadc.canfar.net/ac/login</accessURL></interface></capability>
        </capabilities>"#;
        let ac = parse(ac).expect("ac");
        assert_eq!(
            login_service(&ac).as_deref(),
            Some("https://ws-cadc.canfar.net/ac/login")
        );
        assert_eq!(
            openid_issuer(&ac).as_deref(),
            Some("https://ws-cadc.canfar.net/ac")
        );
        assert!(storage_nodes(&ac).is_none());
    }
}
