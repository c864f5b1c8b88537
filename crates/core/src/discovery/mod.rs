//! Discovery: from a registry and VOSI capabilities documents, what a platform offers and
//! where — its session API (URL, version, accepted credentials), its storage, the CADC login
//! and credential services, and its OpenID provider.
//!
//! Facts: discovery.md. Shared by the app and the CLI. Every failure names the step that
//! failed (the registry, a capabilities document, the session service) and what the user can
//! do; documents are kept with their age ([`cache`]) and read again when stale or when what
//! they said no longer works ([`Discoverer::forget`]).

pub mod cache;
pub mod capabilities;
pub mod check;
pub mod choices;
pub mod local;
pub mod nodes;
pub mod profile;
pub mod registry;
pub mod services;

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::auth::challenge::{parse_challenges_lenient, Scheme, STANDARD_ID_OPENID};
use crate::error::{Coded, ErrorCode};
use crate::http::{cause_chain, read_capped, short_cause, text_lossy};
use cache::Cache;
use capabilities::Capability;
use nodes::Listed;
use registry::Record;
use services::SessionApi;

/// CANFAR's registry (the one the official `canfar` client and cadcutils read).
pub const CADC_REGISTRY: &str = "https://cadc-west-01.canfar.net/reg/resource-caps";
/// The SRCNet registry.
pub const SRCNET_REGISTRY: &str = "https://spsrc27.iaa.csic.es/reg/resource-caps";
/// SKA IAM, the OpenID provider of every SRCNet node.
pub const SRCNET_ISSUER: &str = "https://ska-iam.stfc.ac.uk/";
/// CADC's credential (certificate) service.
pub const CADC_CRED: &str = "ivo://cadc.nrc.ca/cred";
/// CANFAR's session service.
pub const CANFAR_SKAHA: &str = "ivo://cadc.nrc.ca/skaha";

/// Registries and capabilities documents are small; anything bigger is not one.
const DOCUMENT_LIMIT: usize = 4 * 1024 * 1024;

/// The step of discovery a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Registry,
    Capabilities,
    Service,
}

impl Step {
    fn what(self) -> &'static str {
        match self {
            Step::Registry => "the registry",
            Step::Capabilities => "the capabilities document",
            Step::Service => "the session service",
        }
    }
}

/// Discovery failed: at which step, at which URL, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DiscoveryError {
    pub step: Step,
    pub url: String,
    pub message: String,
    code: ErrorCode,
}

impl DiscoveryError {
    fn new(step: Step, url: &str, code: ErrorCode, problem: &str, advice: &str) -> Self {
        Self {
            step,
            url: url.to_string(),
            message: format!(
                "Reading {} at {url} failed: {problem}. {advice}",
                step.what()
            ),
            code,
        }
    }
}

impl Coded for DiscoveryError {
    fn code(&self) -> ErrorCode {
        self.code
    }
}

/// What to discover: a service URL (`https://host/skaha`, also its `/v1` or `/capabilities`
/// form) or a resource id looked up in a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Service(String),
    Resource { id: String, registry: String },
}

/// Everything discovery found about one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The resource id, when the platform came from a registry.
    pub id: Option<String>,
    pub registry: Option<String>,
    pub session: SessionApi,
    /// The VOSpace nodes URL of its storage (`https://host/arc/nodes`).
    pub storage: Option<String>,
    /// CADC-style password login (`…/ac/login`).
    pub login: Option<String>,
    /// Where a username and password buy a certificate (`…/cred/auth/priv`).
    pub credential: Option<String>,
    /// The OpenID provider the session service accepts tokens from.
    pub oidc_issuer: Option<String>,
    /// What could not be found, for the user (e.g. the storage service did not answer).
    pub notes: Vec<String>,
}

/// How a service answered a quick check (`HEAD` of its URL, redirects followed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub reachable: bool,
    /// How long the answer took, when there was one.
    pub latency_ms: Option<u32>,
    /// What went wrong, in words (`HTTP 503 Service Unavailable`, `no answer in time`);
    /// the caller names the service.
    pub detail: Option<String>,
}

impl Probe {
    /// A check that ended without an answer (its task failed).
    pub fn unfinished() -> Probe {
        Probe {
            reachable: false,
            latency_ms: None,
            detail: Some("the check did not finish".into()),
        }
    }
}

/// Reads registries and capabilities documents over HTTP, with a cache.
#[derive(Debug, Clone)]
pub struct Discoverer {
    http: reqwest::Client,
    cache: Option<Cache>,
}

/// `https://h/skaha`, `https://h/skaha/`, `…/skaha/v1`, `…/skaha/capabilities` → the
/// capabilities URL `https://h/skaha/capabilities`.
pub fn capabilities_url(service: &str) -> String {
    let s = service.trim().trim_end_matches('/');
    if s.ends_with("/capabilities") {
        return s.to_string();
    }
    let s = match s.rsplit_once('/') {
        Some((base, last))
            if last.len() > 1
                && last.starts_with('v')
                && last[1..].chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            base
        }
        _ => s,
    };
    format!("{s}/capabilities")
}

impl Discoverer {
    pub fn new(http: reqwest::Client, cache: Option<Cache>) -> Self {
        Self { http, cache }
    }

    /// A document: the cached copy while fresh, else fetched (a stale copy is used, and
    /// said to be, only when fetching fails).
    async fn document(&self, url: &str, step: Step) -> Result<String, DiscoveryError> {
        let cached = self.cache.as_ref().and_then(|c| c.get(url));
        if let Some(c) = cached.as_ref().filter(|c| c.is_fresh()) {
            return Ok(c.body.clone());
        }
        match self.fetch(url, step).await {
            Ok(body) => {
                if let Some(c) = &self.cache {
                    c.put(url, &body);
                }
                Ok(body)
            }
            Err(e) => match cached {
                Some(c) => {
                    tracing::warn!("{e} Using the copy from {} min ago.", c.age.as_secs() / 60);
                    Ok(c.body)
                }
                None => Err(e),
            },
        }
    }

    async fn fetch(&self, url: &str, step: Step) -> Result<String, DiscoveryError> {
        let fail = |code, problem: &str, advice: &str| {
            DiscoveryError::new(step, url, code, problem, advice)
        };
        let parsed = url::Url::parse(url).map_err(|e| {
            fail(
                ErrorCode::Validation,
                &format!("it is not a URL ({e})"),
                "Give an https:// address.",
            )
        })?;
        // What discovery finds decides where credentials go: plain HTTP only on this machine.
        if !crate::secure::may_carry_credentials(&parsed) {
            return Err(fail(
                ErrorCode::Validation,
                "Skyport reads discovery documents only over https:// (plain http only on this machine)",
                "Give an https:// address.",
            ));
        }
        let resp = self
            .http
            .get(parsed)
            .header(
                reqwest::header::ACCEPT,
                "text/xml, application/xml, text/plain",
            )
            .send()
            .await
            .map_err(|e| {
                tracing::info!(error = %cause_chain(&e), "discovery: {} did not answer", step.what());
                if e.is_timeout() {
                    fail(
                        ErrorCode::Timeout,
                        "it did not answer in time",
                        "Try again later, or check your network.",
                    )
                } else {
                    fail(
                        ErrorCode::PlatformUnreachable,
                        &format!("cannot connect ({})", short_cause(&e)),
                        "Check your network and the address.",
                    )
                }
            })?;
        let status = resp.status();
        if !status.is_success() {
            let (code, advice) = match status.as_u16() {
                404 => (ErrorCode::NotFound, "Check the address: this service is not there."),
                401 | 403 => (
                    ErrorCode::PermissionDenied,
                    "The service asks for credentials just to describe itself; sign in first or ask its operators.",
                ),
                500..=599 => (
                    ErrorCode::PlatformUnavailable,
                    "The service has a problem on its side; try again later.",
                ),
                _ => (ErrorCode::PlatformError, "Check the address."),
            };
            return Err(fail(code, &format!("it answered HTTP {status}"), advice));
        }
        let body = read_capped(resp, DOCUMENT_LIMIT).await.map_err(|e| {
            fail(
                e.code(),
                &cause_chain(&e),
                "Try again later, or check your network.",
            )
        })?;
        Ok(text_lossy(body))
    }

    /// The entries of the registry at `url`.
    pub async fn registry(&self, url: &str) -> Result<Vec<Record>, DiscoveryError> {
        let body = self.document(url, Step::Registry).await?;
        let records = registry::parse(&body);
        if records.is_empty() {
            if let Some(c) = &self.cache {
                c.forget(url);
            }
            return Err(DiscoveryError::new(
                Step::Registry,
                url,
                ErrorCode::PlatformError,
                "it lists no service (is this a registry's resource-caps address?)",
                "Check the registry address.",
            ));
        }
        Ok(records)
    }

    /// The capabilities at `url`.
    pub async fn capabilities(&self, url: &str) -> Result<Vec<Capability>, DiscoveryError> {
        let body = self.document(url, Step::Capabilities).await?;
        capabilities::parse(&body).map_err(|e| {
            if let Some(c) = &self.cache {
                c.forget(url);
            }
            DiscoveryError::new(
                Step::Capabilities,
                url,
                ErrorCode::PlatformError,
                &e.to_string(),
                "Check that the address is a Skaha service, or try again later.",
            )
        })
    }

    /// The session services a registry lists that a user can choose (named as the official
    /// client names them; development deployments only when asked).
    pub async fn listed(
        &self,
        registry: &str,
        development: bool,
    ) -> Result<Vec<Listed>, DiscoveryError> {
        let records = self.registry(registry).await?;
        let cadc = registry == CADC_REGISTRY;
        Ok(nodes::session_services(&records, cadc, development))
    }

    /// Whether `service` answers: only a final 200 counts, as for the official client.
    pub async fn probe(&self, service: &str) -> Probe {
        self.probe_with(service, reqwest::Method::HEAD, |s| {
            s == reqwest::StatusCode::OK
        })
        .await
    }

    /// Whether the service at `url` is up: any answer short of a server error counts (a
    /// login endpoint answers HEAD with 405, a protected one with 401; both are up).
    pub async fn reach(&self, url: &str) -> Probe {
        self.probe_with(url, reqwest::Method::HEAD, |s| !s.is_server_error())
            .await
    }

    /// `method url`, timed; `up` says which final status means "answering".
    pub async fn probe_with(
        &self,
        url: &str,
        method: reqwest::Method,
        up: fn(reqwest::StatusCode) -> bool,
    ) -> Probe {
        let started = Instant::now();
        let answer = self
            .http
            .request(method, url)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let latency_ms = Some(u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX));
        match answer {
            Ok(r) if up(r.status()) => Probe {
                reachable: true,
                latency_ms,
                detail: None,
            },
            Ok(r) => Probe {
                reachable: false,
                latency_ms,
                detail: Some(format!("HTTP {}", r.status())),
            },
            Err(e) if e.is_timeout() => Probe {
                reachable: false,
                latency_ms: None,
                detail: Some("no answer in time".into()),
            },
            Err(e) => Probe {
                reachable: false,
                latency_ms: None,
                detail: Some(format!("cannot connect ({})", short_cause(&e))),
            },
        }
    }

    /// Forget the cached documents of a platform, so the next discovery asks again (what they
    /// said stopped working).
    pub fn forget(&self, d: &Discovered) {
        if let Some(c) = &self.cache {
            c.forget(&capabilities_url(&d.session.service));
            if let Some(r) = &d.registry {
                c.forget(r);
            }
        }
    }

    /// Discover a platform: its session API, then (with a registry) its storage, login and
    /// credential services, and its OpenID provider.
    pub async fn platform(&self, target: &Target) -> Result<Discovered, DiscoveryError> {
        let (caps_url, records, id, registry) = match target {
            Target::Service(url) => (capabilities_url(url), None, None, None),
            Target::Resource { id, registry } => {
                let records = self.registry(registry).await?;
                let rec = registry::find(&records, id).ok_or_else(|| {
                    DiscoveryError::new(
                        Step::Registry,
                        registry,
                        ErrorCode::NotFound,
                        &format!("it does not list {id}"),
                        "Check the id, or choose the platform from the list.",
                    )
                })?;
                let caps = rec.capabilities.clone();
                (
                    caps,
                    Some(records),
                    Some(id.clone()),
                    Some(registry.clone()),
                )
            }
        };
        let caps = self.capabilities(&caps_url).await?;
        let session = services::session_api(&caps).ok_or_else(|| {
            let offered = services::session_apis(&caps);
            let problem =
                if offered.is_empty() {
                    "it offers no session API (is this a Skaha service?)".to_string()
                } else {
                    format!(
                    "it offers only session API {}, which this version of Skyport does not speak",
                    offered.iter().map(|a| a.version.as_str()).collect::<Vec<_>>().join(", ")
                )
                };
            DiscoveryError::new(
                Step::Capabilities,
                &caps_url,
                ErrorCode::PlatformError,
                &problem,
                "Check the address, or update Skyport.",
            )
        })?;
        let mut d = Discovered {
            id,
            registry: registry.clone(),
            session,
            storage: None,
            login: None,
            credential: None,
            oidc_issuer: None,
            notes: vec![],
        };
        // The service itself must answer, or there is nothing to sign in to.
        let probe = self.probe(&d.session.service).await;
        if !probe.reachable {
            let detail = probe.detail.unwrap_or_else(|| "no answer".into());
            return Err(DiscoveryError::new(
                Step::Service,
                &d.session.service,
                ErrorCode::PlatformUnreachable,
                &format!("it does not answer ({detail})"),
                "The platform may be down for maintenance: try again later, or check its status page.",
            ));
        }
        if let (Some(records), Some(id)) = (records.as_ref(), d.id.clone()) {
            self.companions(records, &id, &mut d).await;
        }
        if registry.as_deref() == Some(SRCNET_REGISTRY) {
            d.oidc_issuer
                .get_or_insert_with(|| SRCNET_ISSUER.to_string());
        }
        if d.oidc_issuer.is_none() {
            d.oidc_issuer = self.issuer_from_challenge(&d.session).await;
        }
        Ok(d)
    }

    /// Storage, login, credential service and OpenID provider of the deployment `id` belongs
    /// to (the same namespace in the registry). Each is optional: what fails becomes a note.
    async fn companions(&self, records: &[Record], id: &str, d: &mut Discovered) {
        let ns = id.rsplit_once('/').map(|(ns, _)| ns).unwrap_or_default();
        let in_ns = |leaf: &str| {
            records
                .iter()
                .find(|r| r.namespace() == ns && r.leaf() == leaf)
                .map(|r| r.capabilities.clone())
        };
        // Storage: the one arc or cavern entry of the deployment (two would be a guess).
        let stores: Vec<&Record> = records
            .iter()
            .filter(|r| r.namespace() == ns && matches!(r.leaf(), "arc" | "cavern"))
            .collect();
        match stores.as_slice() {
            [] => {}
            [one] => match self.capabilities(&one.capabilities).await {
                Ok(c) => {
                    d.storage = services::storage_nodes(&c);
                    if d.storage.is_none() {
                        d.notes.push(format!(
                            "Storage: {} is not a VOSpace service (it has no nodes capability).",
                            one.id
                        ));
                    }
                }
                Err(e) => d.notes.push(format!("Storage: {e}")),
            },
            several => {
                d.notes.push(format!(
                "Storage: the registry lists {} storage services for {ns} ({}); none was chosen.",
                several.len(),
                several.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
            ))
            }
        }
        if let Some(url) = in_ns("gms").or_else(|| in_ns("ums")) {
            match self.capabilities(&url).await {
                Ok(c) => {
                    d.login = services::login_service(&c);
                    d.oidc_issuer = services::openid_issuer(&c);
                }
                Err(e) => d.notes.push(format!("Sign-in service: {e}")),
            }
        }
        // CADC's certificate service serves CANFAR only.
        if ns == "ivo://cadc.nrc.ca" {
            if let Some(r) = registry::find(records, CADC_CRED) {
                match self.capabilities(&r.capabilities).await {
                    Ok(c) => d.credential = services::credential_service(&c),
                    Err(e) => d.notes.push(format!("Certificate service: {e}")),
                }
            }
        }
    }

    /// The OpenID provider an anonymous request to the session API is pointed to, when the
    /// service answers 401 with an `ivoa_bearer` OpenID challenge.
    async fn issuer_from_challenge(&self, api: &SessionApi) -> Option<String> {
        let url = format!("{}/{}/session", api.service, api.version);
        let resp = self
            .http
            .get(&url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()?;
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            return None;
        }
        let values: Vec<&str> = resp
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        parse_challenges_lenient(values)
            .challenges
            .into_iter()
            .find(|c| c.scheme == Scheme::IvoaBearer && c.standard_id() == Some(STANDARD_ID_OPENID))
            .and_then(|c| c.access_url().map(str::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_service_url_gives_its_capabilities() {
        for u in [
            "https://ws-uv.canfar.net/skaha",
            "https://ws-uv.canfar.net/skaha/",
            "https://ws-uv.canfar.net/skaha/v1",
            "https://ws-uv.canfar.net/skaha/v0/",
            "https://ws-uv.canfar.net/skaha/capabilities",
        ] {
            assert_eq!(
                capabilities_url(u),
                "https://ws-uv.canfar.net/skaha/capabilities",
                "{u}"
            );
        }
        assert_eq!(
            capabilities_url("https://h/vault"),
            "https://h/vault/capabilities"
        );
    }

    #[test]
    fn errors_name_the_step_and_what_to_do() {
        let e = DiscoveryError::new(
            Step::Registry,
            "https://r/reg/resource-caps",
            ErrorCode::PlatformUnreachable,
            "cannot connect (connection refused)",
            "Check your network and the address.",
        );
        assert_eq!(
            e.to_string(),
            "Reading the registry at https://r/reg/resource-caps failed: cannot connect (connection refused). Check your network and the address."
        );
        assert_eq!(e.code(), ErrorCode::PlatformUnreachable);
    }
}
