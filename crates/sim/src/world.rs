//! Several platforms in one process, and a registry that lists them all: the outside world
//! a newcomer chooses from (discovery.md §1: a registry's `resource-caps` names each
//! deployment's services by `ivo://` id).

use std::net::SocketAddr;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::watch;

use crate::config::{ApiVersions, OidcTrust, SimConfig};
use crate::errors::SimError;
use crate::faults::FaultRule;
use crate::{start, SimHandle};

/// A world's running platforms and its registry. Dropping it stops them all.
#[derive(Debug)]
pub struct World {
    pub platforms: Vec<SimHandle>,
    registry: SocketAddr,
    shutdown: Option<watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl World {
    /// The registry's `resource-caps` URL.
    pub fn registry_url(&self) -> String {
        format!("http://{}/reg/resource-caps", self.registry)
    }
}

impl World {
    /// Stops the registry and every platform; panics if a platform's server panicked.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        for p in std::mem::take(&mut self.platforms) {
            p.shutdown().await;
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        self.task.abort();
    }
}

/// The registry lines for every platform, each relative to its own origin.
pub fn registry_text(platforms: &[SimHandle]) -> String {
    let mut s = String::from("# skyport-sim registry: several platforms\n");
    for p in platforms {
        let origin = p.base_url().as_str().trim_end_matches('/').to_string();
        s.push_str(&crate::discovery::registry_lines(p.config(), &origin));
    }
    s
}

/// Starts every platform, then a registry listing them on `listen` (loopback, any port when
/// `None`).
pub async fn start_world(
    configs: Vec<SimConfig>,
    listen: Option<SocketAddr>,
) -> Result<World, SimError> {
    let mut platforms = Vec::with_capacity(configs.len());
    for c in configs {
        platforms.push(start(c).await?);
    }
    let body = registry_text(&platforms);
    let listener = tokio::net::TcpListener::bind(
        listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
    )
    .await
    .map_err(|source| SimError::Bind {
        what: "registry listener",
        source,
    })?;
    let registry = listener.local_addr()?;
    let router = Router::new().route(
        "/reg/resource-caps",
        get(move || {
            let body = body.clone();
            async move { plain(body) }
        }),
    );
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "the registry stopped");
        }
    });
    Ok(World {
        platforms,
        registry,
        shutdown: Some(tx),
        task,
    })
}

fn plain(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    r
}

/// The demo world: a CANFAR-like platform (API v1 and v0; token, certificate and cookie;
/// login and credential services), an SRCNet-like node (API v0 only; bearer tokens of
/// `oidc` only, no password services) and a node whose session service is down.
/// `canfar` carries the caller's users, tokens and seeds, and gets a cavern-like `/arc`.
pub fn demo_configs(canfar: SimConfig, oidc: Option<OidcTrust>) -> Vec<SimConfig> {
    let canfar = SimConfig {
        storage: true,
        ..canfar
    };
    let srcnet = SimConfig {
        authority: "ivo://swesrc.chalmers.se".into(),
        api: ApiVersions {
            v0: true,
            v1: false,
        },
        password_services: false,
        users: vec![],
        oidc: oidc.clone(),
        ..SimConfig::default()
    };
    let down = SimConfig {
        authority: "ivo://canfar.cam.uksrc.org".into(),
        api: ApiVersions { v0: true, v1: true },
        password_services: false,
        users: vec![],
        oidc,
        faults: service_down(),
        ..SimConfig::default()
    };
    vec![canfar, srcnet, down]
}

/// A session service that is down: its root and API answer 503, its capabilities still
/// come from a document server in front of it (as on a real node under maintenance).
pub fn service_down() -> Vec<FaultRule> {
    let rule = |route: &str, method: Option<&str>| FaultRule {
        route: Some(route.into()),
        method: method.map(str::to_string),
        unavailable_rate: 1.0,
        retry_after: 600,
        ..FaultRule::default()
    };
    vec![rule("/skaha/v", None), rule("/skaha", Some("HEAD"))]
}
