//! Which platform to talk to, from the environment (`SKYPORT_URL`) or, later, a profile.
//!
//! A Skaha deployment is named by its *service URL*, `https://<host>/skaha`; the API lives
//! below it at `<service>/v1`. People paste either form (and older docs show `/skaha/v0`),
//! so both are accepted and normalised here, once.

use serde::Serialize;
use url::Url;

/// Environment variable naming the platform's service URL (`<host>/skaha` or `<host>/skaha/v1`).
pub const URL_ENV: &str = "SKYPORT_URL";
/// Environment variable holding a bearer token for unattended use.
pub const TOKEN_ENV: &str = "SKYPORT_TOKEN";

/// Environment variables that hold secrets: never passed on to a program Skyport starts
/// (a browser, `xdg-open`, `SKYPORT_BROWSER`), which has no use for them.
pub const SECRET_ENV: &[&str] = &[TOKEN_ENV];

/// Keep [`SECRET_ENV`] out of the environment `cmd` inherits.
pub fn scrub_secret_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for name in SECRET_ENV {
        cmd.env_remove(name);
    }
    cmd
}

/// A platform's Skaha service, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServiceUrl {
    /// `https://host/skaha` (no trailing slash, no version).
    #[specta(type = String)]
    pub service: Url,
    /// API version segment, `v1` unless the URL said otherwise.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceUrlError {
    #[error("{input:?} is not a URL ({reason}); give the service URL, e.g. https://ws-uv.canfar.net/skaha")]
    Malformed { input: String, reason: String },
    #[error("{0:?} must start with https:// or http://; give the service URL, e.g. https://ws-uv.canfar.net/skaha")]
    Scheme(String),
}

impl ServiceUrl {
    /// Parse `<host>/skaha`, `<host>/skaha/`, `<host>/skaha/v1` or `<host>/skaha/v1/`.
    pub fn parse(input: &str) -> Result<Self, ServiceUrlError> {
        let trimmed = input.trim();
        let mut url = Url::parse(trimmed).map_err(|e| ServiceUrlError::Malformed {
            input: trimmed.to_string(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ServiceUrlError::Scheme(trimmed.to_string()));
        }
        url.set_query(None);
        url.set_fragment(None);
        let mut segments: Vec<String> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        let mut version = "v1".to_string();
        if let Some(last) = segments.last() {
            let is_version = last.len() >= 2
                && last.starts_with('v')
                && last[1..].chars().all(|c| c.is_ascii_digit());
            if is_version {
                version = last.clone();
                segments.pop();
            }
        }
        url.set_path(&segments.join("/"));
        Ok(Self {
            service: url,
            version,
        })
    }

    /// The versioned API base with a trailing slash, ready for `join("session")`.
    pub fn api_base(&self) -> Url {
        let mut base = self.service.clone();
        let path = format!(
            "{}/{}/",
            self.service.path().trim_end_matches('/'),
            self.version
        );
        base.set_path(&path);
        base
    }

    /// Display form: the service URL as people write it.
    pub fn as_str(&self) -> &str {
        self.service.as_str().trim_end_matches('/')
    }
}

/// Where a CADC-style companion service (login, credential service) lives for a platform:
/// CANFAR's own (`canfar_url`) for `*.canfar.net`, whose Skaha runs on another host than its
/// `ac` and `cred` services; otherwise `path` on the Skaha service's own host.
pub fn companion_url(service: &ServiceUrl, canfar_url: &str, path: &str) -> Url {
    let host = service.service.host_str().unwrap_or_default();
    if host == "canfar.net" || host.ends_with(".canfar.net") {
        if let Ok(u) = Url::parse(canfar_url) {
            return u;
        }
    }
    let mut u = service.service.clone();
    u.set_path(path);
    u.set_query(None);
    u
}

/// Parse an http(s) URL typed by a person or found in a profile; `what` names it in the
/// message ("the login URL") and `example` shows a good one.
pub fn parse_http_url(input: &str, what: &str, example: &str) -> Result<Url, BadUrl> {
    let u = Url::parse(input.trim()).map_err(|e| {
        BadUrl(format!(
            "{what} {input:?} is not a URL ({e}); give e.g. {example}"
        ))
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(BadUrl(format!("{what} {input:?} must start with https://")));
    }
    Ok(u)
}

/// A URL typed by a person or found in a profile that cannot be used; says what to give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadUrl(pub String);

impl crate::error::Coded for BadUrl {
    fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::Config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_service_and_versioned_forms() {
        for input in [
            "https://ws-uv.canfar.net/skaha",
            "https://ws-uv.canfar.net/skaha/",
            "https://ws-uv.canfar.net/skaha/v1",
            " https://ws-uv.canfar.net/skaha/v1/ ",
        ] {
            let s = ServiceUrl::parse(input).expect(input);
            assert_eq!(s.as_str(), "https://ws-uv.canfar.net/skaha", "{input}");
            assert_eq!(s.version, "v1");
            assert_eq!(s.api_base().as_str(), "https://ws-uv.canfar.net/skaha/v1/");
            assert_eq!(
                s.api_base().join("session").expect("join").as_str(),
                "https://ws-uv.canfar.net/skaha/v1/session"
            );
        }
    }

    #[test]
    fn keeps_an_explicit_older_version_and_ports() {
        let s = ServiceUrl::parse("http://127.0.0.1:8123/skaha/v0").expect("parse");
        assert_eq!(s.version, "v0");
        assert_eq!(s.api_base().as_str(), "http://127.0.0.1:8123/skaha/v0/");
    }

    #[test]
    fn rejects_garbage_with_advice() {
        let e = ServiceUrl::parse("ws-uv.canfar.net/skaha").expect_err("no scheme");
        assert!(e.to_string().contains("e.g. https://"), "{e}");
        let e = ServiceUrl::parse("ftp://host/skaha").expect_err("ftp");
        assert!(matches!(e, ServiceUrlError::Scheme(_)));
    }
}
