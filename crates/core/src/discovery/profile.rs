//! What discovery found, as a profile: one rule for the app's welcome page, its Platforms
//! view and `skyport profiles add --discover`.

use crate::config::{default_scopes, validate_profile_name, Config, OidcSettings, Profile};

use super::{nodes, Discovered};

/// Fills `p` from `d`. The client speaks the version in the URL: v1 unless the platform
/// offers only an older one. What discovery did not find keeps the profile's own value.
pub fn apply(p: &mut Profile, d: &Discovered) {
    p.url = if d.session.version == "v1" {
        d.session.service.clone()
    } else {
        format!("{}/{}", d.session.service, d.session.version)
    };
    p.login_url = d.login.clone().or(p.login_url.take());
    p.cred_url = d.credential.clone().or(p.cred_url.take());
    p.storage_url = d.storage.clone().or(p.storage_url.take());
    p.resource_id = d.id.clone().or(p.resource_id.take());
    p.registry = d.registry.clone().or(p.registry.take());
    if let Some(issuer) = &d.oidc_issuer {
        let keep = p.oidc.as_ref().filter(|o| &o.issuer == issuer).cloned();
        p.oidc = Some(keep.unwrap_or(OidcSettings {
            issuer: issuer.clone(),
            // Registered dynamically at the first sign-in.
            client_id: None,
            scopes: default_scopes(),
        }));
    }
    if p.display_name.is_none() {
        p.display_name = d.id.as_deref().map(nodes::name_for);
    }
}

/// Whether a saved profile is the platform discovery found: the same registry id (in the
/// same registry, when both name one), or the same session service.
pub fn same_platform(p: &Profile, d: &Discovered) -> bool {
    if let (Some(a), Some(b)) = (&p.resource_id, &d.id) {
        let registries_agree = match (&p.registry, &d.registry) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        };
        if a == b && registries_agree {
            return true;
        }
    }
    let service = p.url.trim_end_matches('/');
    service == d.session.service
        || service
            .strip_suffix(&format!("/{}", d.session.version))
            .is_some_and(|s| s == d.session.service)
}

/// A profile name for `d` not yet taken in `cfg`: its known name in lower case (`canfar`,
/// `swesrc`), else its host, made valid (`a`–`z` first; letters, digits, `-`).
pub fn free_name(cfg: &Config, d: &Discovered) -> String {
    let raw = match &d.id {
        Some(id) => nodes::name_for(id),
        None => url::Url::parse(&d.session.service)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default(),
    };
    let mut base: String = raw
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(48)
        .collect();
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base = format!("p-{base}").trim_end_matches('-').to_string();
    }
    if validate_profile_name(&base).is_err() {
        base = "platform".into();
    }
    if !cfg.profiles.contains_key(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|n| !cfg.profiles.contains_key(n))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::capabilities::Security;
    use crate::discovery::services::SessionApi;

    fn found(id: Option<&str>, service: &str, version: &str) -> Discovered {
        Discovered {
            id: id.map(str::to_string),
            registry: Some("https://reg/resource-caps".into()),
            session: SessionApi {
                service: service.into(),
                version: version.into(),
                security: vec![Security::Token],
            },
            storage: None,
            login: None,
            credential: None,
            oidc_issuer: Some("https://iam.example/".into()),
            notes: vec![],
        }
    }

    #[test]
    fn a_v0_node_keeps_its_version_and_registers_its_client_later() {
        let mut p = Profile::default();
        apply(
            &mut p,
            &found(
                Some("ivo://swesrc.chalmers.se/skaha"),
                "https://s/skaha",
                "v0",
            ),
        );
        assert_eq!(p.url, "https://s/skaha/v0");
        assert_eq!(p.display_name.as_deref(), Some("sweSRC"));
        let oidc = p.oidc.expect("issuer");
        assert_eq!(
            (oidc.issuer.as_str(), oidc.client_id),
            ("https://iam.example/", None)
        );
        assert_eq!(
            p.resource_id.as_deref(),
            Some("ivo://swesrc.chalmers.se/skaha")
        );
    }

    #[test]
    fn a_rediscovery_keeps_the_registered_client_of_the_same_issuer() {
        let mut p = Profile {
            oidc: Some(OidcSettings {
                issuer: "https://iam.example/".into(),
                client_id: Some("registered".into()),
                scopes: default_scopes(),
            }),
            login_url: Some("https://kept/ac/login".into()),
            ..Profile::default()
        };
        apply(&mut p, &found(None, "https://s/skaha", "v1"));
        assert_eq!(p.url, "https://s/skaha");
        assert_eq!(
            p.oidc.and_then(|o| o.client_id).as_deref(),
            Some("registered")
        );
        assert_eq!(p.login_url.as_deref(), Some("https://kept/ac/login"));
    }

    #[test]
    fn the_same_platform_is_recognised_by_id_or_by_service() {
        let d = found(
            Some("ivo://cadc.nrc.ca/skaha"),
            "https://ws-uv.canfar.net/skaha",
            "v1",
        );
        let imported = Profile {
            url: "https://ws-uv.canfar.net/skaha".into(),
            resource_id: Some("ivo://cadc.nrc.ca/skaha".into()),
            ..Profile::default()
        };
        assert!(
            same_platform(&imported, &d),
            "no registry on one side still matches"
        );
        let by_url = Profile {
            url: "https://ws-uv.canfar.net/skaha/".into(),
            ..Profile::default()
        };
        assert!(same_platform(&by_url, &d));
        let v0 = found(None, "https://s/skaha", "v0");
        let saved = Profile {
            url: "https://s/skaha/v0".into(),
            ..Profile::default()
        };
        assert!(same_platform(&saved, &v0));
        let other = Profile {
            url: "https://elsewhere/skaha".into(),
            resource_id: Some("ivo://elsewhere/skaha".into()),
            ..Profile::default()
        };
        assert!(!same_platform(&other, &d));
    }

    #[test]
    fn names_are_valid_and_free() {
        let mut cfg = Config::default();
        let d = found(
            Some("ivo://swesrc.chalmers.se/skaha"),
            "https://s/skaha",
            "v0",
        );
        assert_eq!(free_name(&cfg, &d), "swesrc");
        cfg.profiles.insert("swesrc".into(), Profile::default());
        assert_eq!(free_name(&cfg, &d), "swesrc-2");
        let by_host = found(None, "https://9lives.example.org/skaha", "v1");
        assert_eq!(free_name(&cfg, &by_host), "p-9lives-example-org");
        let odd = found(None, "http://127.0.0.1:8080/skaha", "v1");
        assert_eq!(free_name(&cfg, &odd), "p-127-0-0-1");
    }
}
