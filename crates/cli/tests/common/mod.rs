//! Running the real `skyport` binary against skyport-sim, in a throwaway SKYPORT_HOME.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use skyport_core::keyring::{EntryKey, OsKeyring, SecretStoreExt};
use skyport_core::secret::SecretString;
use skyport_sim::{SimConfig, SimHandle};
use tokio::io::AsyncWriteExt;

pub const TOKEN: &str = "cli-test-token-alice";
pub const BOB_TOKEN: &str = "cli-test-token-bob";
pub const IMAGE: &str = "images.canfar.net/skaha/astroml:latest";

pub fn config() -> SimConfig {
    SimConfig {
        tokens: vec![
            (TOKEN.to_string(), "alice".to_string()),
            (BOB_TOKEN.to_string(), "bob".to_string()),
        ],
        pending_delay: Duration::from_millis(400),
        ..SimConfig::default()
    }
}

pub async fn sim() -> SimHandle {
    sim_with(|_| {}).await
}

pub async fn sim_with(f: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut c = config();
    f(&mut c);
    skyport_sim::start(c).await.unwrap()
}

/// Keyring tests take turns: gnome-keyring has been seen to drop a first request
/// ("recipient disconnected without replying") when several processes start using a
/// fresh keyring at once.
pub static KEYRING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This test's turn at the real OS keyring (gnome-keyring under `make test`), warmed up
/// with one write; `None` when there is none: keyring tests are skipped with a message
/// outside CI and fail in CI. The warm-up runs inside the turn too: gnome-keyring's daemon
/// can fall over when clients read and delete the same item at once.
pub async fn keyring_turn(test: &str) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    let turn = KEYRING.lock().await;
    keyring_or_skip(test).then_some(turn)
}

fn keyring_or_skip(test: &str) -> bool {
    let key = EntryKey::new(format!("cli-test-{}", std::process::id()), "warm-up");
    let missing = EntryKey::new(format!("cli-test-{}", std::process::id()), "never-set");
    let mut warm = OsKeyring
        .probe()
        .and_then(|()| OsKeyring.set(&key, &SecretString::new("x".into())))
        .and_then(|()| OsKeyring.delete(&key).map(|_| ()));
    // A fresh gnome-keyring answers "no result" for a missing entry until its default
    // collection is in place; wait for a clean "not there" (at most 5 s).
    if warm.is_ok() {
        for _ in 0..50 {
            warm = OsKeyring.get(&missing).map(|_| ());
            if warm.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    match warm {
        Ok(()) => true,
        Err(e) if std::env::var_os("CI").is_some() => panic!("no Secret Service in CI: {e}"),
        Err(e) => {
            eprintln!("SKIPPED {test} (needs the OS keyring; run under `make test`): {e}");
            false
        }
    }
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success:\n{self}");
        self
    }
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(self.code, want, "expected exit {want}:\n{self}");
        self
    }
    pub fn err_has(&self, s: &str) -> &Self {
        assert!(self.stderr.contains(s), "stderr lacks {s:?}:\n{self}");
        self
    }
    pub fn out_has(&self, s: &str) -> &Self {
        assert!(self.stdout.contains(s), "stdout lacks {s:?}:\n{self}");
        self
    }
    pub fn out_lacks(&self, s: &str) -> &Self {
        assert!(!self.stdout.contains(s), "stdout has {s:?}:\n{self}");
        self
    }
    pub fn out_empty(&self) -> &Self {
        assert!(self.stdout.is_empty(), "stdout should be empty:\n{self}");
        self
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A home for one test: SKYPORT_HOME, HOME (for ~/.netrc), and the platform settings.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
    pub token: Option<String>,
    pub extra: Vec<(String, String)>,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            url: None,
            token: None,
            extra: Vec::new(),
        }
    }

    /// SKYPORT_URL (and SKYPORT_TOKEN when given) for this sim.
    pub fn env(sim: &SimHandle, token: Option<&str>) -> Self {
        let mut h = Self::new();
        h.url = Some(sim.skaha_url().to_string());
        h.token = token.map(str::to_string);
        h
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn skyport_home(&self) -> PathBuf {
        self.dir.path().join("skyport")
    }

    pub fn cert_file(&self) -> PathBuf {
        self.skyport_home().join(".ssl/cadcproxy.pem")
    }

    pub fn config_file(&self) -> PathBuf {
        self.skyport_home().join("config/config.toml")
    }

    pub fn paths(&self) -> skyport_core::paths::Paths {
        skyport_core::paths::Paths::under(self.skyport_home()).unwrap()
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.extra.push((k.into(), v.into()));
        self
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None).await
    }

    pub async fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        self.run_with(args, Some(input)).await
    }

    pub async fn run_with(&self, args: &[&str], input: Option<&str>) -> Run {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_skyport"));
        cmd.args(args)
            .env("SKYPORT_HOME", self.skyport_home())
            .env("HOME", self.path())
            .env("RUST_BACKTRACE", "1")
            .env("COLUMNS", "200")
            .env_remove("SKYPORT_URL")
            .env_remove("SKYPORT_TOKEN")
            .env_remove("SKYPORT_PROFILE")
            .env_remove("SKYPORT_BROWSER")
            .env_remove("SKYPORT_LOG")
            .env_remove("NETRC")
            // Nor a platform the developer runs on this machine (the demo announces itself).
            .env(
                "SKYPORT_LOCAL_PLATFORMS",
                self.path().join("local-platforms"),
            )
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(u) = &self.url {
            cmd.env("SKYPORT_URL", u);
        }
        if let Some(t) = &self.token {
            cmd.env("SKYPORT_TOKEN", t);
        }
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = input {
            let mut stdin = child.stdin.take().unwrap();
            // skyport may exit without reading (e.g. a refused confirmation).
            let _ = stdin.write_all(text.as_bytes()).await;
            drop(stdin);
        }
        let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .expect("skyport did not finish within 120 s")
            .unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        for bad in [
            "panicked",
            "RUST_BACKTRACE",
            "stack backtrace",
            "internal error",
        ] {
            assert!(
                !run.stdout.contains(bad) && !run.stderr.contains(bad),
                "skyport {args:?} printed {bad:?}:\n{run}"
            );
        }
        run
    }
}

/// A SKYPORT_BROWSER script that appends each URL it is given to a file.
pub fn browser_recorder(home: &Home) -> (String, PathBuf) {
    let log = home.path().join("opened.txt");
    let script = home.path().join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (script.display().to_string(), log)
}

/// A loopback port with nothing listening.
pub fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/skaha")
}

/// Ids on stdout, one per line.
pub fn ids(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Wait until the sim reports `status` for `id` (advancing its clock a little).
pub async fn wait_status(sim: &SimHandle, home: &Home, id: &str, status: &str) {
    for _ in 0..100 {
        let r = home.run(&["--json", "info", id]).await;
        if r.code == 0 && r.json()[0]["status"] == status {
            return;
        }
        sim.advance_clock(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} never became {status}");
}
