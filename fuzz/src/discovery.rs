//! Discovery documents: a registry's `resource-caps` (`discovery::registry`) and VOSI
//! capabilities (`discovery::capabilities`, read by `discovery::services`).
//!
//! By the first byte: `0x00` then a `resource-caps` text; anything else, the whole input as
//! a capabilities document.
//!
//! Properties: never a panic; every registry record has an `ivo://` id and a URL with no
//! surrounding space, and there are no more records than lines; a record's base URL is its
//! capabilities URL without `/capabilities`; a capabilities error says what it saw; every
//! session API found has a version `vN[.M]`, and the chosen one is a supported version;
//! every URL found is one of the document's access URLs.

use skyport_core::discovery::{capabilities, registry, services};

pub fn run(data: &[u8]) {
    match data {
        [0, rest @ ..] => resource_caps(&String::from_utf8_lossy(rest)),
        _ => capabilities_document(&String::from_utf8_lossy(data)),
    }
}

fn resource_caps(text: &str) {
    let records = registry::parse(text);
    assert!(records.len() <= text.lines().count());
    for r in &records {
        assert!(r.id.starts_with("ivo://") && r.id.len() > 6, "{r:?}");
        assert_eq!(r.id, r.id.trim());
        assert!(!r.capabilities.is_empty() && r.capabilities == r.capabilities.trim());
        if let Some(base) = r.base_url() {
            assert!(r.capabilities.trim_end_matches('/').starts_with(base));
            assert!(!base.is_empty());
        }
        let _ = (r.leaf(), r.namespace());
    }
}

fn capabilities_document(text: &str) {
    let caps = match capabilities::parse(text) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let urls: Vec<&str> = caps
        .iter()
        .flat_map(|c| &c.interfaces)
        .map(|i| i.access_url.as_str())
        .collect();
    for i in caps.iter().flat_map(|c| &c.interfaces) {
        assert_eq!(i.access_url, i.access_url.trim());
    }
    for api in services::session_apis(&caps) {
        let v = api.version.strip_prefix('v').expect("a version starts with v");
        assert!(
            !v.is_empty() && v.split('.').all(|p| p.chars().all(|c| c.is_ascii_digit())),
            "{api:?}"
        );
        assert!(
            urls.iter().any(|u| u.trim_end_matches('/').starts_with(&api.service)),
            "{api:?} comes from no access URL"
        );
    }
    if let Some(api) = services::session_api(&caps) {
        assert!(services::SUPPORTED_VERSIONS.contains(&api.version.as_str()));
    }
    for found in [
        services::storage_nodes(&caps),
        services::credential_service(&caps),
        services::login_service(&caps),
    ]
    .into_iter()
    .flatten()
    {
        assert!(urls.contains(&found.as_str()), "{found}");
    }
    if let Some(issuer) = services::openid_issuer(&caps) {
        assert!(urls.iter().any(|u| u.trim_end_matches('/') == issuer));
    }
}
