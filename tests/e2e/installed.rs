//! The installed package (scripts/package-test.sh installs the .deb with apt, then runs this
//! with `SKYPORT_E2E_APP=/usr/bin/skyport-desktop`): the installed app shows the session list
//! of the sim, and the installed CLI answers `--version` and `ps`. Ignored in the ordinary run,
//! where nothing is installed.

use std::path::Path;
use std::process::Command;

use skyport_sim::{SimConfig, SimHandle};

use crate::harness::{app_binary, driver_or_skip, session_id, App, GUI};

const TOKEN: &str = "package-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by scripts/package-test.sh against the installed .deb"]
async fn the_installed_package_lists_sessions() {
    let app_path = app_binary();
    assert!(
        app_path.starts_with("/usr/bin"),
        "SKYPORT_E2E_APP should name the installed app, not {}",
        app_path.display()
    );
    let cli = Path::new("/usr/bin/skyport");
    let Some(driver) = driver_or_skip() else {
        panic!("the package test needs tauri-driver");
    };
    let _gui = GUI.lock().await;
    let sim: SimHandle = skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        seed_sessions: 3,
        ..Default::default()
    })
    .await
    .expect("start the simulated platform");
    let url = sim.skaha_url().to_string();

    // The installed CLI.
    let version = Command::new(cli)
        .arg("--version")
        .output()
        .expect("run the installed skyport");
    assert!(version.status.success());
    let version = String::from_utf8_lossy(&version.stdout).to_string();
    assert!(
        version.contains(env!("CARGO_PKG_VERSION")),
        "skyport --version said {version:?}"
    );
    let home = tempfile::tempdir().expect("temp home");
    let ps = Command::new(cli)
        .arg("ps")
        .env("HOME", home.path())
        .env("SKYPORT_HOME", home.path().join("skyport"))
        .env("SKYPORT_URL", &url)
        .env("SKYPORT_TOKEN", TOKEN)
        .env("SKYPORT_LOCAL_PLATFORMS", home.path())
        .output()
        .expect("run the installed skyport ps");
    let listed = String::from_utf8_lossy(&ps.stdout).to_string();
    assert!(
        ps.status.success() && listed.contains("replica-3"),
        "skyport ps: {listed}{}",
        String::from_utf8_lossy(&ps.stderr)
    );

    // The installed app, driven as every other end-to-end test drives the built one.
    let app = App::start(
        "installed",
        &driver,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
    )
    .await;
    app.wait_text("h1", "Sessions").await;
    app.wait_text("main", &session_id(&sim, TOKEN, "replica-3").await)
        .await;
    app.screenshot("installed-session-list").await;
}
