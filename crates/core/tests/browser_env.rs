//! A browser Skyport starts never inherits `SKYPORT_TOKEN`: not the `SKYPORT_BROWSER`
//! command, not the system launcher (`xdg-open`). A child process, started with the token
//! in its environment like a user's shell would have it, opens a URL through a "browser"
//! script that writes the environment it got to a file.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use skyport_core::auth::signin::{open_in_system_browser, open_with_env_browser, BROWSER_ENV};
use skyport_core::platform::TOKEN_ENV;

const CHILD_ENV: &str = "SKYPORT_BROWSER_ENV_CHILD";
const TOKEN: &str = "token-that-must-stay-home";
const URL: &str = "https://example.test/session/abc";

/// A "browser" at `dir/name` that records what it got in `out`.
fn env_writer(dir: &Path, name: &str, out: &Path) -> PathBuf {
    skyport_core::testsupport::env_writer_script(&dir.join(name), out)
}

/// Run `child_opens_the_url` with the token set, and return what the browser saw.
fn open_in_child(how: &str, env: &[(&str, String)], out: &Path) -> String {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "--exact",
        "child_opens_the_url",
        "--ignored",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, how)
    .env(TOKEN_ENV, TOKEN)
    .env("SKYPORT_ENV_PROBE", "passed-on")
    .env_remove(BROWSER_ENV)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = cmd.output().expect("run the child");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // The browser may outlive the child (it is not waited for); wait for its file.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !out.exists() {
        assert!(Instant::now() < deadline, "the browser never ran ({how})");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::read_to_string(out).expect("read the browser's record")
}

fn assert_no_token(seen: &str, how: &str) {
    assert!(
        seen.contains(URL),
        "{how}: the browser was not given the URL:\n{seen}"
    );
    assert!(
        seen.contains("SKYPORT_ENV_PROBE=passed-on"),
        "{how}: the environment was not recorded:\n{seen}"
    );
    assert!(
        !seen.contains(TOKEN) && !seen.contains(&format!("{TOKEN_ENV}=")),
        "{how}: the browser got the token:\n{seen}"
    );
}

#[test]
fn the_skyport_browser_command_does_not_get_the_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("seen.txt");
    let script = env_writer(dir.path(), "browser.sh", &out);
    let seen = open_in_child(
        "env-browser",
        &[(BROWSER_ENV, script.display().to_string())],
        &out,
    );
    assert_no_token(&seen, BROWSER_ENV);
}

#[cfg(not(target_os = "macos"))]
#[test]
fn the_system_launcher_does_not_get_the_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("seen.txt");
    env_writer(dir.path(), "xdg-open", &out);
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let seen = open_in_child("system", &[("PATH", path)], &out);
    assert_no_token(&seen, "xdg-open");
}

/// Not a test on its own: the process the tests above start with the token set.
#[test]
#[ignore = "helper run as a child process by the tests in this file"]
fn child_opens_the_url() {
    let Ok(how) = std::env::var(CHILD_ENV) else {
        return;
    };
    assert!(
        std::env::var_os(TOKEN_ENV).is_some(),
        "started with the token"
    );
    match how.as_str() {
        "env-browser" => open_with_env_browser(URL)
            .expect("SKYPORT_BROWSER is set")
            .expect("browser started"),
        _ => open_in_system_browser(URL).expect("launcher started"),
    }
}
