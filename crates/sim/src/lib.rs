//! skyport-sim: a faithful local Skaha-compatible science platform on loopback.
//!
//! `start(config)` binds four loopback listeners (plain-HTTP API, HTTPS API with optional
//! client certificates, session pages, admin) and returns a [`SimHandle`]. The handle shuts
//! everything down on drop and turns any server-side panic into a test failure.

#![forbid(unsafe_code)]

pub mod ac;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod cavern;
pub mod clock;
pub mod config;
pub mod cred;
pub mod discovery;
pub mod errors;
pub mod faults;
pub mod headless;
pub mod pages;
pub mod server;
pub mod store;
pub mod tls;
pub mod vo;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{ApiVersions, OidcTrust, ResourceContext, SimConfig, SimImage, SimUser};
pub use errors::SimError;
pub use faults::FaultRule;
pub use store::Stall;
pub use tls::KeyKind;
pub use world::{demo_configs, start_world, World};

use app::{App, Urls};
use server::{spawn_guarded, PanicLog};

/// A running sim. Dropping it stops every listener, task and child process; if a server
/// task panicked, dropping (or [`SimHandle::shutdown`]) panics so the owning test fails.
#[derive(Debug)]
pub struct SimHandle {
    app: Arc<App>,
    shutdown_tx: Option<watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    addrs: Addrs,
}

/// Bound socket addresses.
#[derive(Debug, Clone, Copy)]
pub struct Addrs {
    pub http: SocketAddr,
    pub https: SocketAddr,
    pub sessions: SocketAddr,
    pub admin: SocketAddr,
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn bind(addr: Option<SocketAddr>, what: &'static str) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr.unwrap_or_else(loopback))
        .await
        .map_err(|source| SimError::Bind { what, source })
}

fn parse_url(s: &str) -> url::Url {
    // The strings are built from bound socket addresses, so parsing cannot fail; fall back
    // to a harmless URL rather than panicking.
    url::Url::parse(s).unwrap_or_else(|_| {
        url::Url::parse("http://127.0.0.1/").unwrap_or_else(|_| unreachable!("static URL"))
    })
}

/// Starts a sim. Must be called inside a Tokio runtime.
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
        return Err(SimError::Config(
            "time_scale must be a positive number".into(),
        ));
    }
    if !(config.max_days_valid.is_finite() && config.max_days_valid > 0.0) {
        return Err(SimError::Config("max_days_valid must be positive".into()));
    }
    for f in &config.faults {
        f.validate().map_err(SimError::Config)?;
    }
    let http = bind(config.listen, "API listener").await?;
    let https = bind(config.https_listen, "HTTPS listener").await?;
    let sessions = bind(config.sessions_listen, "sessions listener").await?;
    let admin = bind(config.admin_listen, "admin listener").await?;
    let addrs = Addrs {
        http: http.local_addr()?,
        https: https.local_addr()?,
        sessions: sessions.local_addr()?,
        admin: admin.local_addr()?,
    };
    let urls = Urls {
        http: format!("http://{}", addrs.http),
        https: format!("https://{}", addrs.https),
        sessions: format!("http://{}", addrs.sessions),
        admin: format!("http://{}", addrs.admin),
    };

    let tls = tls::TlsMaterial::generate()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config.clone());
    let clock = Arc::new(clock::Clock::new(config.time_scale));
    let store = Arc::new(store::Store::new(clock.clone(), &config));
    if config.seed_sessions > 0 {
        let owner = if config.seed_spread {
            None
        } else {
            config
                .seed_owner
                .clone()
                .or_else(|| config.users.first().map(|u| u.name.clone()))
                .or_else(|| config.tokens.first().map(|t| t.1.clone()))
        };
        store.seed(config.seed_sessions, owner.as_deref());
    }
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let panics = PanicLog::default();
    let app = Arc::new(App {
        auth: auth::AuthState::new(&config),
        vo: vo::VoState::default(),
        cavern: cavern::Cavern::new(config.storage_dir.clone()),
        faults: faults::Faults::new(config.faults.clone()),
        user_names: config.users.iter().map(|u| u.name.clone()).collect(),
        cfg: config,
        clock,
        store,
        tls,
        urls: urls.clone(),
        panics: panics.clone(),
        shutdown: shutdown_rx.clone(),
        hold_slow_files: watch::channel(false).0,
    });

    let api = api::router(app.clone());
    let mut tasks = Vec::new();
    let listeners = [
        (http, api.clone(), None, urls.http.clone(), "api"),
        (https, api, Some(acceptor), urls.https.clone(), "https"),
        (
            sessions,
            pages::router(app.clone()),
            None,
            urls.sessions.clone(),
            "sessions",
        ),
        (
            admin,
            admin::router(app.clone()),
            None,
            urls.admin.clone(),
            "admin",
        ),
    ];
    for (listener, router, tls, origin, name) in listeners {
        let fut = server::serve(
            listener,
            router,
            tls,
            Arc::from(origin.as_str()),
            panics.clone(),
            shutdown_rx.clone(),
        );
        tasks.push(spawn_guarded(&panics, name, fut));
    }
    tasks.push(spawn_guarded(
        &panics,
        "lifecycle",
        ticker(app.clone(), shutdown_rx.clone()),
    ));
    tracing::info!(api = %urls.http, https = %urls.https, sessions = %urls.sessions, admin = %urls.admin, "skyport-sim started");
    Ok(SimHandle {
        app,
        shutdown_tx: Some(shutdown_tx),
        tasks,
        addrs,
    })
}

/// Drives lifecycle transitions that have side effects (spawning headless processes, ending
/// session pages) even when nobody is polling the API.
async fn ticker(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let adv = app.store.advance();
        let wait = adv
            .next_due
            .map(|d| app.clock.real_for(d - app.clock.now()))
            .unwrap_or(Duration::from_secs(1))
            .clamp(Duration::from_millis(10), Duration::from_millis(500));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = app.clock.changed.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}

impl SimHandle {
    /// Register `user`'s SSH public key (`authorized_keys` line) with the UNICORE-like site.
    pub fn register_ssh_key(&self, user: &str, line: &str) -> Result<(), String> {
        self.app.vo.register_key(user, line)
    }

    /// Put a file into the `/arc` storage (its folders made on the way), owned by `owner`.
    pub fn put_storage_file(&self, path: &str, owner: &str, data: Vec<u8>) -> bool {
        // The owner's home first, with its quota, as skaha makes it at a first launch.
        let now = self.app.clock.now();
        self.app
            .cavern
            .ensure_home(owner, self.app.cfg.storage_quota, now);
        self.app.cavern.put_file(path, owner, data, now)
    }

    /// Make `user`'s home in `/arc` (with the configured quota) and put a few files in it,
    /// as a scientist's home looks after some work: the demo's storage.
    pub fn seed_storage_home(&self, user: &str) {
        let now = self.app.clock.now();
        self.app
            .cavern
            .ensure_home(user, self.app.cfg.storage_quota, now);
        let home = format!("/home/{user}");
        let table: String = (0..200)
            .map(|i| {
                format!(
                    "{i},{:.4},{:.4}\n",
                    i as f64 * 0.05,
                    (i as f64 * 0.05).sin()
                )
            })
            .collect();
        let files: [(&str, Vec<u8>); 5] = [
            (
                "README.txt",
                b"Results of the M31 survey runs. Fits in results/, images in images/.\n".to_vec(),
            ),
            ("results/fit.csv", format!("step,x,y\n{table}").into_bytes()),
            (
                "results/run42.log",
                b"run 42: converged after 118 iterations\n".to_vec(),
            ),
            ("images/m31.fits", vec![0u8; 2880 * 40]),
            (
                ".ssl/cadcproxy.pem",
                b"(a proxy certificate lives here in real homes)\n".to_vec(),
            ),
        ];
        for (name, data) in files {
            self.app
                .cavern
                .put_file(&format!("{home}/{name}"), user, data, now);
        }
    }

    /// Share a stored file or folder: public or not, and the groups that read it.
    pub fn share_storage_node(&self, path: &str, public: bool, group_read: Option<&str>) -> bool {
        self.app.cavern.share(path, public, group_read)
    }

    /// The next `n` uploads to `/arc` store a changed byte (the digest check then fails).
    pub fn corrupt_storage_writes(&self, n: u32) {
        self.app
            .cavern
            .corrupt_writes
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// The next `n` downloads from `/arc` send a changed byte.
    pub fn corrupt_storage_reads(&self, n: u32) {
        self.app
            .cavern
            .corrupt_reads
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// A stored file's bytes and MD5 (hex, as the node's property holds it).
    pub fn storage_file(&self, path: &str) -> Option<(Vec<u8>, Option<String>)> {
        self.app.cavern.file(path)
    }

    /// Every VO login cookie stops working (the site's sessions expired).
    pub fn forget_vo_cookies(&self) {
        self.app.vo.forget_cookies();
    }

    /// Plain-HTTP API origin, e.g. `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> url::Url {
        parse_url(&format!("{}/", self.app.urls.http))
    }

    /// The skaha service URL (`<base>/skaha`); the API is under `skaha/v1`.
    pub fn skaha_url(&self) -> url::Url {
        parse_url(&format!("{}/skaha", self.app.urls.http))
    }

    /// The TLS listener serving the same API (client certificates from the sim CA optional).
    pub fn https_url(&self) -> url::Url {
        parse_url(&format!("{}/", self.app.urls.https))
    }

    /// Origin serving the session pages (`/session/<type>/<id>/...`).
    pub fn sessions_url(&self) -> url::Url {
        parse_url(&format!("{}/", self.app.urls.sessions))
    }

    /// Admin API origin (separate loopback port).
    pub fn admin_url(&self) -> url::Url {
        parse_url(&format!("{}/", self.app.urls.admin))
    }

    pub fn addrs(&self) -> Addrs {
        self.addrs
    }

    /// PEM of the sim's CA certificate (trust it to reach the HTTPS listener).
    pub fn ca_pem(&self) -> String {
        self.app.tls.ca_pem.clone()
    }

    /// A client certificate for `user` signed by the sim CA: PEM certificate, private key
    /// (ECDSA P-256, fast) and chain.
    pub fn issue_client_cert(&self, user: &str, validity: Duration) -> String {
        self.issue_client_cert_with(user, validity, KeyKind::EcdsaP256)
            .unwrap_or_default()
    }

    /// As [`SimHandle::issue_client_cert`] with a chosen key type.
    pub fn issue_client_cert_with(
        &self,
        user: &str,
        validity: Duration,
        kind: KeyKind,
    ) -> Result<String, SimError> {
        self.app.tls.issue(user, validity, kind)
    }

    /// Mints an opaque token as `/ac/login` would (48 h of sim time).
    pub fn login_token(&self, user: &str) -> String {
        self.app.auth.mint(user, &self.app.clock)
    }

    /// Holds the last part of every slow file (`?slow=1`) until released (false): a
    /// download then stays unfinished for as long as a test needs.
    pub fn hold_slow_files(&self, hold: bool) {
        self.app.hold_slow_files.send_replace(hold);
    }

    /// Moves the sim clock forward.
    pub fn advance_clock(&self, by: Duration) {
        self.app.clock.advance(by);
        self.app.store.advance();
    }

    /// Current sim time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.app.clock.now()
    }

    /// Holds a Pending session for `stall`'s reason (its events show it), or releases it;
    /// false when it is not a Pending session.
    pub fn stall(&self, id: &str, stall: Option<Stall>) -> bool {
        self.app.store.stall(id, stall)
    }

    /// Sets what a session's pod metrics report while it runs (`ramInUse` and
    /// `cpuCoresInUse`: cores, decimal GB); false when there is no such session.
    pub fn set_usage(&self, id: &str, cores: f64, ram_gb: f64) -> bool {
        self.app.store.set_usage(id, cores, ram_gb)
    }

    pub fn set_fault(&self, rule: FaultRule) {
        self.app.faults.add(rule);
    }

    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }

    /// The configuration the sim runs with.
    pub fn config(&self) -> &SimConfig {
        &self.app.cfg
    }

    /// Stops the sim and waits for its tasks; panics if any server task panicked.
    pub async fn shutdown(mut self) {
        self.stop();
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
        self.check_panics();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(true);
        }
        self.app.store.kill_all();
    }

    fn check_panics(&self) {
        let panics = self.app.panics.take();
        if !panics.is_empty() && !std::thread::panicking() {
            panic!("skyport-sim server panicked: {}", panics.join("; "));
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
        for t in &self.tasks {
            t.abort();
        }
        self.check_panics();
    }
}
