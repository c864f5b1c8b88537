//! Configuration of a simulated platform. `SimConfig::default()` gives demo values that
//! match CANFAR production (quota 3, 4-day interactive / 14-day headless lifetimes).

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::faults::FaultRule;

/// A user who can log in with a password (`/ac/login`, HTTP Basic on `/cred/generate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimUser {
    pub name: String,
    pub password: String,
}

impl SimUser {
    pub fn new(name: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            password: password.into(),
        }
    }
}

/// Trust in an external OIDC issuer: JWT bearer tokens are checked against its JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcTrust {
    /// Issuer URL; `<issuer>/.well-known/openid-configuration` gives `jwks_uri`.
    pub issuer: String,
    /// Required `aud` claim.
    pub audience: String,
}

/// A container image the platform advertises in `/v1/image` (the "public image cache").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimImage {
    pub id: String,
    pub types: Vec<String>,
}

impl SimImage {
    pub fn new(id: &str, types: &[&str]) -> Self {
        Self {
            id: id.to_string(),
            types: types.iter().map(|t| t.to_string()).collect(),
        }
    }
}

/// Resource options published at `/v1/context`; create requests are validated against them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceContext {
    pub cores_default: u32,
    pub cores_default_request: u32,
    pub cores_default_limit: u32,
    pub cores_options: Vec<u32>,
    pub ram_default: u32,
    pub ram_default_request: u32,
    pub ram_default_limit: u32,
    pub ram_options: Vec<u32>,
    pub gpu_options: Vec<u32>,
}

impl Default for ResourceContext {
    fn default() -> Self {
        // The shipped Helm `k8s-resources.json`.
        Self {
            cores_default: 2,
            cores_default_request: 1,
            cores_default_limit: 8,
            cores_options: (1..=16).collect(),
            ram_default: 8,
            ram_default_request: 4,
            ram_default_limit: 32,
            ram_options: vec![
                1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 26, 28, 30, 32, 36, 40, 44, 48, 56, 64, 80,
                92, 112, 128, 140, 170, 192,
            ],
            gpu_options: (1..=28).collect(),
        }
    }
}

/// The session API versions a platform serves. The real service served `/skaha/v0` until
/// August 2025 and `/skaha/v1` since (skaha-api.md §0); SRCNet nodes still run v0 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersions {
    pub v0: bool,
    pub v1: bool,
}

impl ApiVersions {
    /// The versions served, newest first.
    pub fn served(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.v1 {
            v.push("v1");
        }
        if self.v0 {
            v.push("v0");
        }
        v
    }
}

/// Everything that shapes a simulated platform.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Password users (default `alice`/`skyport-demo` and `bob`/`skyport-demo-bob`).
    pub users: Vec<SimUser>,
    /// Fixed bearer tokens `(token, user)` that never expire.
    pub tokens: Vec<(String, String)>,
    /// Users who authenticate but are not in the skaha users group (403 on the session API).
    pub denied_users: Vec<String>,
    /// Optional OIDC issuer whose JWTs are accepted as bearer tokens.
    pub oidc: Option<OidcTrust>,
    /// Sim seconds per real second (1.0 = real time).
    pub time_scale: f64,
    /// How long (sim time) a new session stays Pending before it runs.
    pub pending_delay: Duration,
    /// How long (sim time) before a session's pod exists (Kueue queueing); until then
    /// `view=events` answers 404 as the real service does.
    pub queue_delay: Duration,
    /// Interactive lifetime and renew extension (`skaha.sessionexpiry`).
    pub interactive_lifetime: Duration,
    /// Initial `activeDeadlineSeconds` of headless jobs.
    pub headless_lifetime: Duration,
    /// How long a simulated (not really executed) headless job runs before Completed.
    pub headless_run_time: Duration,
    /// How long a deleted session stays Terminating.
    pub terminating_delay: Duration,
    /// `ttlSecondsAfterFinished` for interactive types.
    pub interactive_gc_delay: Duration,
    /// `ttlSecondsAfterFinished` for headless.
    pub headless_gc_delay: Duration,
    /// Interactive session quota (`skaha.maxusersessions`).
    pub max_interactive_sessions: u32,
    /// The most memory any node has free: a fixed session asking more waits Pending with
    /// FailedScheduling (Insufficient memory), as on a loaded platform.
    pub node_free_ram_gb: u32,
    /// Number of headless sessions to create at start.
    pub seed_sessions: usize,
    /// Owner of the seeded sessions (default: the first configured user, like one user's
    /// large replica launch).
    pub seed_owner: Option<String>,
    /// Spread seeded sessions over synthetic users `seed-user-00`..`seed-user-49` instead,
    /// so the platform looks busy without filling one user's list.
    pub seed_spread: bool,
    /// Run headless `cmd`/`args`/`env` as real local child processes (opt-in).
    pub run_headless: bool,
    /// Session pages require a valid Bearer token or `CADC_SSO` cookie.
    pub session_auth_required: bool,
    /// Connect URLs on this origin instead of the session pages' listener: a broken or
    /// hostile platform sending links such as `ssh://host` (default: the listener).
    pub connect_origin: Option<String>,
    /// Maximum `daysValid` of the credential service.
    pub max_days_valid: f64,
    /// Plain-HTTP API listener (default 127.0.0.1:0).
    pub listen: Option<SocketAddr>,
    /// HTTPS API listener (default 127.0.0.1:0).
    pub https_listen: Option<SocketAddr>,
    /// Admin listener (default 127.0.0.1:0).
    pub admin_listen: Option<SocketAddr>,
    /// Session pages listener (default 127.0.0.1:0).
    pub sessions_listen: Option<SocketAddr>,
    /// Registry hosts images must come from (`skaha.harborhosts`).
    pub registry_hosts: Vec<String>,
    /// The public image cache.
    pub images: Vec<SimImage>,
    /// Resource options.
    pub context: ResourceContext,
    /// Cluster capacity reported by `view=stats`.
    pub cluster_cores: f64,
    pub cluster_ram_gb: f64,
    /// Lifetime of `/ac/login` tokens and the `CADC_SSO` cookie (48 h).
    pub token_lifetime: Duration,
    /// Maximum accepted request body (Tomcat's `maxPostSize`, 2 MiB); larger form bodies
    /// are ignored as Tomcat ignores them.
    pub max_body_bytes: usize,
    /// Faults active from the start.
    pub faults: Vec<FaultRule>,
    /// Session API versions served (default both: old clients such as `skaha` 1.7 ask v0).
    pub api: ApiVersions,
    /// The registry authority of this deployment (`ivo://cadc.nrc.ca`): its services are
    /// listed as `<authority>/skaha`, `/cred`, `/gms`.
    pub authority: String,
    /// CADC-style password sign-in and certificate services (`/ac`, `/cred`), with the
    /// cookie, certificate and token methods they bring. Without them (an SRCNet node) only
    /// OIDC bearer tokens are accepted.
    pub password_services: bool,
    /// A cavern-like VOSpace at `/arc` (`<authority>/arc` in the registry).
    pub storage: bool,
    /// The quota of each home made in it, in bytes (CANFAR: 200 GiB); 0 for none.
    pub storage_quota: u64,
    /// Where its files' contents are kept (a fresh folder in the system's temporary
    /// folder when none); removed when the sim stops.
    pub storage_dir: Option<std::path::PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            users: vec![
                SimUser::new("alice", "skyport-demo"),
                SimUser::new("bob", "skyport-demo-bob"),
            ],
            tokens: Vec::new(),
            denied_users: Vec::new(),
            oidc: None,
            time_scale: 1.0,
            pending_delay: Duration::from_secs(3),
            queue_delay: Duration::ZERO,
            interactive_lifetime: Duration::from_secs(345_600),
            headless_lifetime: Duration::from_secs(1_209_600),
            headless_run_time: Duration::from_secs(30),
            terminating_delay: Duration::from_secs(5),
            interactive_gc_delay: Duration::from_secs(86_400),
            headless_gc_delay: Duration::from_secs(3_600),
            max_interactive_sessions: 3,
            node_free_ram_gb: 128,
            seed_sessions: 0,
            seed_owner: None,
            seed_spread: false,
            run_headless: false,
            session_auth_required: false,
            connect_origin: None,
            max_days_valid: 30.0,
            listen: None,
            https_listen: None,
            admin_listen: None,
            sessions_listen: None,
            registry_hosts: vec!["images.canfar.net".to_string()],
            images: default_images(),
            context: ResourceContext::default(),
            cluster_cores: 960.0,
            cluster_ram_gb: 4096.0,
            token_lifetime: Duration::from_secs(48 * 3600),
            max_body_bytes: 2 * 1024 * 1024,
            faults: Vec::new(),
            api: ApiVersions { v0: true, v1: true },
            authority: "ivo://cadc.nrc.ca".to_string(),
            password_services: true,
            storage: false,
            storage_quota: 200 * 1024 * 1024 * 1024,
            storage_dir: None,
        }
    }
}

fn default_images() -> Vec<SimImage> {
    vec![
        SimImage::new(
            "images.canfar.net/skaha/astroml:latest",
            &["notebook", "headless"],
        ),
        SimImage::new(
            "images.canfar.net/skaha/astroml:24.07",
            &["notebook", "headless"],
        ),
        SimImage::new(
            "images.canfar.net/skaha/base-notebook:latest",
            &["notebook"],
        ),
        SimImage::new("images.canfar.net/skaha/desktop:latest", &["desktop"]),
        SimImage::new("images.canfar.net/skaha/carta:4.1", &["carta"]),
        SimImage::new("images.canfar.net/skaha/carta:5.0", &["carta"]),
        SimImage::new("images.canfar.net/skaha/firefly:2024.3", &["firefly"]),
        SimImage::new(
            "images.canfar.net/skaha/terminal:1.1.2",
            &["desktop-app", "headless"],
        ),
        SimImage::new(
            "images.canfar.net/skaha/casa:6.6",
            &["desktop-app", "headless"],
        ),
        SimImage::new("images.canfar.net/skaha/marimo:latest", &["contributed"]),
        SimImage::new(
            "images.canfar.net/lsst/lsst_v24:latest",
            &["notebook", "headless"],
        ),
    ]
}
