//! One instance and `skyport://` links, with the real app: a second launch ends at once and
//! hands its arguments to the running app, which follows the links in them — an add-platform
//! link fills the form and adds nothing, a session link opens the session, a link the app does
//! not know gives a notice.

use std::time::Duration;

use fantoccini::Locator;
use skyport_sim::SimConfig;

use crate::harness::{artifacts_dir, driver_or_skip, session_id, wait_until, App, GUI};

const TOKEN: &str = "links-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_hands_its_links_to_the_running_app() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        seed_sessions: 2,
        ..Default::default()
    })
    .await
    .expect("start the simulated platform");
    let url = sim.skaha_url().to_string();
    let app = App::start(
        "links",
        &driver,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
    )
    .await;
    let id = session_id(&sim, TOKEN, "replica-1").await;
    app.wait_text("h1", "Sessions").await;
    app.wait_text("main", &id).await;

    // A plain second launch: it ends at once (success), and the running app says it answered.
    let status = app.launch_again(&[]).await;
    assert!(status.success(), "the second launch ended with {status}");
    let log = artifacts_dir().join("links-driver.log");
    wait_until("the running app to take the second launch", || {
        std::fs::read_to_string(&log)
            .is_ok_and(|t| t.contains("a second launch handed over its arguments"))
    })
    .await;

    // An add-platform link fills the form in; nothing is added until the user says so.
    let status = app
        .launch_again(&["skyport://platform/add?url=https%3A%2F%2Fsrc.example.org%2Fskaha"])
        .await;
    assert!(status.success());
    app.wait_text("h1", "Platforms").await;
    app.wait_text("[data-testid=link-prefill]", "skyport:// link")
        .await;
    let field = app
        .client
        .find(Locator::Css("#platform-address"))
        .await
        .expect("the address field");
    assert_eq!(
        field.prop("value").await.expect("its value").as_deref(),
        Some("https://src.example.org/skaha")
    );
    app.screenshot("links-add-platform").await;

    // A link the app does not know: a notice that says so.
    let status = app.launch_again(&["skyport://launch/evil?image=x"]).await;
    assert!(status.success());
    app.wait_text("[data-testid=notices]", "Link not opened")
        .await;
    app.wait_text("[data-testid=notices]", "skyport://launch/")
        .await;

    // A session link opens that session (its details; a job has no window).
    app.launch_again(&[&format!("skyport://session/{id}")])
        .await;
    app.wait_text("h1", "Sessions").await;
    app.wait_text("[data-testid=session-details]", &id).await;
    app.screenshot("links-session").await;
    // By now an add the link had started by itself would long be done: there was none.
    let config = std::fs::read_to_string(app.home.path().join("skyport/config/config.toml"))
        .unwrap_or_default();
    assert!(
        !config.contains("src.example.org"),
        "a link added a platform by itself:\n{config}"
    );
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("the app stops");
}
