//! `skyport open` run with `SKYPORT_TOKEN` set, as scripts sign in: the browser it starts
//! (the `SKYPORT_BROWSER` command, or the system launcher `xdg-open`) does not get the
//! token. Each "browser" is a script that writes the environment it got to a file.
#![cfg(all(unix, not(target_os = "macos")))]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{ids, sim, Home, IMAGE, TOKEN};

/// A "browser" at `dir/bin/name` that records what it got in `out`.
fn env_writer(dir: &Path, name: &str, out: &Path) -> PathBuf {
    skyport_core::testsupport::env_writer_script(&dir.join("bin").join(name), out)
}

/// What the browser recorded, once it has (a system launcher is not waited for).
async fn seen(out: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !out.exists() {
        assert!(Instant::now() < deadline, "the browser never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    std::fs::read_to_string(out).expect("read the browser's record")
}

fn assert_no_token(seen: &str, url: &str) {
    assert!(
        seen.contains(url),
        "the browser was not given {url}:\n{seen}"
    );
    assert!(
        seen.contains("SKYPORT_URL="),
        "the environment was not recorded:\n{seen}"
    );
    assert!(
        !seen.contains(TOKEN) && !seen.contains("SKYPORT_TOKEN="),
        "the browser got the token:\n{seen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_started_by_open_do_not_get_the_token() {
    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    let id = ids(home.run(&["create", "notebook", IMAGE]).await.ok())[0].clone();

    let mut with_browser = Home::env(&sim, Some(TOKEN));
    let out = with_browser.path().join("seen.txt");
    let script = env_writer(with_browser.path(), "browser.sh", &out);
    with_browser.set("SKYPORT_BROWSER", &script.display().to_string());
    let r = with_browser.run(&["open", &id, "--wait", "30"]).await;
    r.ok();
    assert_no_token(&seen(&out).await, r.stdout.trim());

    let mut with_system = Home::env(&sim, Some(TOKEN));
    let out = with_system.path().join("seen.txt");
    let launcher = env_writer(with_system.path(), "xdg-open", &out);
    let path = format!(
        "{}:{}",
        launcher.parent().expect("bin folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    with_system.set("PATH", &path);
    let r = with_system.run(&["open", &id, "--wait", "30"]).await;
    r.ok();
    assert_no_token(&seen(&out).await, r.stdout.trim());
}
