//! `skyport-sim`: runs the simulated platform until interrupted. Prints one JSON line with
//! its URLs and the demo credentials on stdout, then logs to stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use skyport_sim::{FaultRule, OidcTrust, SimConfig, SimHandle, SimUser};

#[derive(Debug, Parser)]
#[command(
    name = "skyport-sim",
    about = "A local Skaha-compatible science platform on loopback"
)]
struct Args {
    /// Plain-HTTP API address (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// HTTPS API address.
    #[arg(long, default_value = "127.0.0.1:0")]
    https_listen: SocketAddr,
    /// Admin API address.
    #[arg(long, default_value = "127.0.0.1:0")]
    admin_listen: SocketAddr,
    /// Session pages address.
    #[arg(long, default_value = "127.0.0.1:0")]
    sessions_listen: SocketAddr,
    /// Fixed bearer token, TOKEN:USER (repeatable).
    #[arg(long = "token", value_name = "TOKEN:USER")]
    tokens: Vec<String>,
    /// Password user, NAME:PASSWORD (repeatable; replaces the demo users).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    users: Vec<String>,
    /// Headless sessions to create at start.
    #[arg(long, default_value_t = 0)]
    seed_sessions: usize,
    /// Owner of seeded sessions (default: the first user).
    #[arg(long)]
    seed_owner: Option<String>,
    /// Spread seeded sessions over synthetic users seed-user-NN instead.
    #[arg(long)]
    seed_spread: bool,
    /// Sim seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Seconds (sim time) a new session stays Pending.
    #[arg(long)]
    pending_delay: Option<f64>,
    /// OIDC issuer whose JWTs are accepted.
    #[arg(long, requires = "oidc_audience")]
    oidc_issuer: Option<String>,
    /// Audience required in those JWTs.
    #[arg(long, requires = "oidc_issuer")]
    oidc_audience: Option<String>,
    /// Run headless cmd/args/env as local child processes.
    #[arg(long)]
    run_headless: bool,
    /// Session pages require a Bearer token or the CADC_SSO cookie.
    #[arg(long)]
    session_auth_required: bool,
    /// Interactive session quota.
    #[arg(long)]
    max_interactive: Option<u32>,
    /// Maximum daysValid of the credential service.
    #[arg(long)]
    max_days_valid: Option<f64>,
    /// Write ca.pem into this directory.
    #[arg(long)]
    ca_dir: Option<PathBuf>,
    /// A fault rule as JSON, e.g. '{"route":"/skaha/v1/session","error_rate":0.2}' (repeatable).
    #[arg(long = "fault", value_name = "JSON")]
    faults: Vec<String>,
    /// Path prefix the --fault-* flags apply to.
    #[arg(long)]
    fault_route: Option<String>,
    /// Added latency in milliseconds.
    #[arg(long, default_value_t = 0)]
    fault_latency_ms: u64,
    /// Probability of a 500 answer.
    #[arg(long, default_value_t = 0.0)]
    fault_error_rate: f64,
    /// Probability of a 503 answer with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    fault_unavailable_rate: f64,
    /// Retry-After seconds for 503 answers.
    #[arg(long, default_value_t = 5)]
    fault_retry_after: u64,
    /// Probability of a truncated body.
    #[arg(long, default_value_t = 0.0)]
    fault_truncate_rate: f64,
    /// Probability of a connection reset.
    #[arg(long, default_value_t = 0.0)]
    fault_reset_rate: f64,
    /// Slow drip: BYTES:MILLIS.
    #[arg(long, value_name = "BYTES:MILLIS")]
    fault_drip: Option<String>,
    /// Also start an SRCNet-like node (API v0, sign-in through the --oidc-issuer only) and a
    /// node whose session service is down, and a registry that lists all three. The flags
    /// above shape the first, CANFAR-like platform.
    #[arg(long)]
    world: bool,
    /// Announce the registry in this folder (a file removed at exit), so that Skyport's
    /// welcome page offers these platforms (Skyport reads SKYPORT_LOCAL_PLATFORMS, else
    /// $XDG_RUNTIME_DIR/skyport/local-platforms).
    #[arg(long, value_name = "DIR")]
    announce: Option<std::path::PathBuf>,
    /// The registry's address with --world (loopback only).
    #[arg(long, default_value = "127.0.0.1:0", requires = "world")]
    registry_listen: SocketAddr,
}

fn pair(s: &str, what: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_string(), b.to_string())),
        _ => Err(format!("{what} must look like A:B, got {s:?}")),
    }
}

fn config(a: &Args) -> Result<SimConfig, String> {
    let mut c = SimConfig::default();
    for (addr, what) in [
        (a.listen, "--listen"),
        (a.https_listen, "--https-listen"),
        (a.admin_listen, "--admin-listen"),
        (a.sessions_listen, "--sessions-listen"),
    ] {
        if !addr.ip().is_loopback() {
            return Err(format!("{what} must be a loopback address"));
        }
    }
    c.listen = Some(a.listen);
    c.https_listen = Some(a.https_listen);
    c.admin_listen = Some(a.admin_listen);
    c.sessions_listen = Some(a.sessions_listen);
    for t in &a.tokens {
        c.tokens.push(pair(t, "--token")?);
    }
    if !a.users.is_empty() {
        c.users = a
            .users
            .iter()
            .map(|u| pair(u, "--user").map(|(n, p)| SimUser::new(n, p)))
            .collect::<Result<_, _>>()?;
    }
    c.seed_sessions = a.seed_sessions;
    c.seed_owner = a.seed_owner.clone();
    c.seed_spread = a.seed_spread;
    c.time_scale = a.time_scale;
    if let Some(p) = a.pending_delay {
        if !(p.is_finite() && p >= 0.0) {
            return Err("--pending-delay must be >= 0".into());
        }
        c.pending_delay = Duration::from_secs_f64(p);
    }
    if let (Some(issuer), Some(audience)) = (&a.oidc_issuer, &a.oidc_audience) {
        c.oidc = Some(OidcTrust {
            issuer: issuer.clone(),
            audience: audience.clone(),
        });
    }
    c.run_headless = a.run_headless;
    c.session_auth_required = a.session_auth_required;
    if let Some(m) = a.max_interactive {
        c.max_interactive_sessions = m;
    }
    if let Some(m) = a.max_days_valid {
        c.max_days_valid = m;
    }
    for f in &a.faults {
        let rule: FaultRule = serde_json::from_str(f).map_err(|e| format!("--fault: {e}"))?;
        c.faults.push(rule);
    }
    let drip = match &a.fault_drip {
        Some(d) => {
            let (b, ms) = pair(d, "--fault-drip")?;
            (
                b.parse::<usize>()
                    .map_err(|e| format!("--fault-drip: {e}"))?,
                ms.parse::<u64>()
                    .map_err(|e| format!("--fault-drip: {e}"))?,
            )
        }
        None => (0, 0),
    };
    let flag_rule = FaultRule {
        route: a.fault_route.clone(),
        latency_ms: a.fault_latency_ms,
        error_rate: a.fault_error_rate,
        unavailable_rate: a.fault_unavailable_rate,
        retry_after: a.fault_retry_after,
        truncate_rate: a.fault_truncate_rate,
        truncate_bytes: 16,
        reset_rate: a.fault_reset_rate,
        drip_bytes: drip.0,
        drip_interval_ms: drip.1,
        ..FaultRule::default()
    };
    let inert = FaultRule {
        route: a.fault_route.clone(),
        retry_after: a.fault_retry_after,
        truncate_bytes: 16,
        ..FaultRule::default()
    };
    if flag_rule != inert {
        c.faults.push(flag_rule);
    }
    Ok(c)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skyport-sim: {e}");
            std::process::exit(2);
        }
    };
    if !args.registry_listen.ip().is_loopback() {
        eprintln!("skyport-sim: --registry-listen must be a loopback address");
        std::process::exit(2);
    }
    let users = cfg.users.clone();
    let tokens = cfg.tokens.clone();
    let configs = if args.world {
        skyport_sim::demo_configs(cfg.clone(), cfg.oidc.clone())
    } else {
        vec![cfg]
    };
    let world = match skyport_sim::start_world(configs, Some(args.registry_listen)).await {
        Ok(w) => w,
        Err(e) => {
            eprintln!("skyport-sim: {e}");
            std::process::exit(1);
        }
    };
    let Some(sim) = world.platforms.first() else {
        eprintln!("skyport-sim: no platform started");
        std::process::exit(1);
    };
    if args.world {
        for u in users
            .iter()
            .map(|u| u.name.clone())
            .chain(tokens.iter().map(|t| t.1.clone()))
        {
            sim.seed_storage_home(&u);
        }
    }
    let mut ca_pem_path = None;
    if let Some(dir) = &args.ca_dir {
        let path = dir.join("ca.pem");
        if let Err(e) =
            std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, sim.ca_pem()))
        {
            eprintln!("skyport-sim: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        ca_pem_path = Some(path.display().to_string());
    }
    // The first platform's URLs at the top (as before --world), every platform below.
    let mut line = urls(sim);
    line["ca_pem_path"] = serde_json::json!(ca_pem_path);
    line["users"] = users
        .iter()
        .map(|u| serde_json::json!({"name": u.name, "password": u.password}))
        .collect();
    line["tokens"] = tokens
        .iter()
        .map(|(t, u)| serde_json::json!({"token": t, "user": u}))
        .collect();
    line["registry_url"] = serde_json::json!(world.registry_url());
    line["platforms"] = world.platforms.iter().map(urls).collect();
    let announced = match &args.announce {
        Some(dir) => match announce(dir, &world.registry_url()) {
            Ok(file) => Some(file),
            Err(e) => {
                eprintln!("skyport-sim: cannot announce in {}: {e}", dir.display());
                std::process::exit(1);
            }
        },
        None => None,
    };
    println!("{line}");
    tracing::info!(registry = %world.registry_url(), "ready; Ctrl-C to stop");
    stopped().await;
    if let Some(file) = announced {
        let _ = std::fs::remove_file(file);
    }
    world.shutdown().await;
}

/// Ctrl-C or SIGTERM (how scripts stop it).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Write the announcement (complete or not at all: a temporary file renamed).
fn announce(dir: &std::path::Path, registry: &str) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let pid = std::process::id();
    let body = serde_json::json!({"name": "Local demo platform", "registry": registry, "pid": pid});
    let file = dir.join(format!("skyport-sim-{pid}.json"));
    let tmp = dir.join(format!(".skyport-sim-{pid}.tmp"));
    std::fs::write(&tmp, format!("{body}\n"))?;
    std::fs::rename(&tmp, &file)?;
    Ok(file)
}

fn urls(sim: &SimHandle) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{}/skaha", sim.config().authority),
        "versions": sim.config().api.served(),
        "skaha_url": sim.skaha_url().as_str(),
        "api_url": format!("{}skaha/{}", sim.base_url(), sim.config().api.served().first().copied().unwrap_or("v1")),
        "base_url": sim.base_url().as_str(),
        "https_url": sim.https_url().as_str(),
        "admin_url": sim.admin_url().as_str(),
        "sessions_url": sim.sessions_url().as_str(),
    })
}
