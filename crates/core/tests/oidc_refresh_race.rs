//! Two processes (the app and the CLI, say) refresh the same sign-in at the same moment,
//! against the real OpenID Connect provider, which rotates refresh tokens and revokes the
//! whole grant when a used one comes back. Both must end signed in, and the refresh token
//! left in the keyring must still work at the provider.
//!
//! Needs the OS keyring the processes share (gnome-keyring under `make test`); skipped
//! with a message without one outside CI, a failure in CI.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use skyport_core::auth::oidc::{self, BrowserSignIn, Provider};
use skyport_core::config::default_scopes;
use skyport_core::connect::TokenSlot;
use skyport_core::keyring::{entries, EntryKey, OsKeyring, SecretStoreExt};
use skyport_core::paths::Paths;
use skyport_core::secret::SecretString;
use skyport_core::testsupport::{complete_login, start_oidc, Finish};

const CHILD_ENV: &str = "SKYPORT_REFRESH_RACE_CHILD";
/// Rounds of two simultaneous refreshes.
const ROUNDS: usize = 3;

fn http() -> reqwest::Client {
    oidc::http_client(Duration::from_secs(10)).expect("http")
}

/// The keyring is there and answers (a fresh gnome-keyring drops early requests).
fn keyring_or_skip() -> bool {
    let key = EntryKey::new(format!("race-test-{}", std::process::id()), "warm-up");
    let mut warm = OsKeyring
        .probe()
        .and_then(|()| OsKeyring.set(&key, &SecretString::new("x".into())))
        .and_then(|()| OsKeyring.delete(&key).map(|_| ()));
    // It answers "no result" for a missing entry until its default collection is in place.
    if warm.is_ok() {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            warm = OsKeyring.get(&key).map(|_| ());
            if warm.is_ok() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    match warm {
        Ok(()) => true,
        Err(e) if std::env::var_os("CI").is_some() => panic!("no Secret Service in CI: {e}"),
        Err(e) => {
            eprintln!(
                "SKIPPED refresh race test (needs the OS keyring; run under `make test`): {e}"
            );
            false
        }
    }
}

fn refresh_token(profile: &str) -> Option<String> {
    OsKeyring
        .get(&EntryKey::new(profile, entries::OIDC_REFRESH_TOKEN))
        .expect("keyring")
        .map(|t| t.expose().clone())
}

/// What a refresher prints once it is ready for its cue (after libtest's "test … ").
const READY: &str = "refresher ready";

/// A child process that refreshes `profile` once it reads a line on stdin.
struct Refresher {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Refresher {
    fn start(home: &Path, profile: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "child_refreshes_on_cue",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{}\n{profile}", home.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a refresher");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.trim_end().ends_with(READY) => return,
                Ok(_) => {}
                Err(e) => panic!("a refresher did not get ready: {e}"),
            }
        }
    }

    fn cue(&mut self) {
        let mut stdin = self.child.stdin.take().expect("stdin");
        stdin.write_all(b"go\n").expect("cue");
    }

    /// Whether it succeeded, and what it printed.
    fn finish(mut self) -> (bool, String) {
        let status = self.child.wait().expect("wait");
        let out: Vec<String> = self.lines.iter().collect();
        (status.success(), out.join("\n"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refreshing_at_once_both_stay_signed_in() {
    if !keyring_or_skip() {
        return;
    }
    let Some(op) = start_oidc(60) else { return };
    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    let scopes = default_scopes();
    let tokens = oidc::browser_sign_in(
        &http(),
        BrowserSignIn {
            provider: &provider,
            client_id: &op.client_id,
            client_secret: None,
            scopes: &scopes,
            timeout: Duration::from_secs(30),
        },
        |url: &str| {
            let url = url.to_string();
            tokio::spawn(async move {
                if let Err(e) = complete_login(&url, "alice", Finish::Deliver).await {
                    eprintln!("scripted browser: {e}");
                }
            });
            Ok::<(), String>(())
        },
        std::future::pending(),
    )
    .await
    .expect("sign in");
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    let profile = format!("race-{}", std::process::id());
    oidc::save_sign_in(
        &paths,
        &OsKeyring,
        &profile,
        &op.issuer,
        &op.client_id,
        &tokens,
        Utc::now(),
    )
    .expect("save");

    for round in 1..=ROUNDS {
        let before = refresh_token(&profile).expect("signed in");
        let mut refreshers = [
            Refresher::start(home.path(), &profile),
            Refresher::start(home.path(), &profile),
        ];
        // Both are started and waiting; then both go at once.
        refreshers.iter().for_each(Refresher::wait_ready);
        refreshers.iter_mut().for_each(Refresher::cue);
        for r in refreshers {
            let (ok, out) = r.finish();
            assert!(ok, "round {round}: a refresher failed:\n{out}");
        }
        let after = refresh_token(&profile).expect("still signed in");
        assert_ne!(after, before, "round {round}: the sign-in was refreshed");
    }

    // What is left is the provider's current refresh token: one more refresh works.
    let record = oidc::refresh(&http(), &paths, &OsKeyring, &profile, Utc::now())
        .await
        .expect("the stored refresh token still works");
    assert_eq!(record.identity.subject, "alice");
    oidc::forget(&paths, &OsKeyring, &profile).expect("clean up");
}

/// Not a test on its own: a refresher process of
/// `two_processes_refreshing_at_once_both_stay_signed_in`.
#[test]
#[ignore = "helper run as a child process by two_processes_refreshing_at_once_both_stay_signed_in"]
fn child_refreshes_on_cue() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (home, profile) = spec.split_once('\n').expect("home and profile");
    let paths = Paths::under(home.into()).expect("paths");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let http = {
        let _in = runtime.enter();
        http()
    };
    println!("{READY}");
    std::io::stdout().flush().expect("flush");
    let mut cue = String::new();
    std::io::stdin().read_line(&mut cue).expect("cue");

    let record = runtime
        .block_on(oidc::refresh(
            &http,
            &paths,
            &OsKeyring,
            profile,
            Utc::now(),
        ))
        .expect("refresh");
    assert_eq!(record.identity.subject, "alice");
    // Still signed in: the record and both tokens are there.
    assert!(oidc::load_record(&paths, profile).is_some(), "record kept");
    assert!(
        OsKeyring
            .get(&TokenSlot::Access.key(profile))
            .expect("keyring")
            .is_some(),
        "access token kept"
    );
    assert!(refresh_token(profile).is_some(), "refresh token kept");
}
