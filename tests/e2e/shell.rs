//! The app shell: navigation, empty states, the status bar, keyboard shortcuts.

use fantoccini::key::Key;
use fantoccini::Locator;

use crate::harness::{driver_or_skip, App, GUI};

#[tokio::test]
async fn navigation_empty_states_and_shortcuts() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let app = App::start("shell", &driver, &[]).await;

    // With no platform it opens on the welcome page; the registry (a dead port here, so
    // that no test reaches the internet) cannot be read, and it says so.
    app.wait_text("h1", "Welcome to Skyport").await;
    app.wait_text("[data-testid=choices-problem]", "Reading the registry at")
        .await;
    app.wait_text("[data-testid=credential-status]", "Not signed in")
        .await;

    // Sessions explains that a platform is needed first; its action leads to Platforms.
    app.click("nav button[data-view=sessions]").await;
    app.wait_text("main", "No platform yet").await;
    app.screenshot("shell-sessions-empty").await;
    app.click("main button.primary").await;
    app.wait_text("h1", "Platforms").await;
    app.wait_text("main", "No platform is chosen yet").await;

    // Navigation by click.
    app.click("nav button[data-view=credentials]").await;
    app.wait_text("h1", "Credentials").await;
    let current = app
        .client
        .find(Locator::Css("nav [aria-current=page]"))
        .await
        .expect("current nav item")
        .attr("data-view")
        .await
        .expect("attr");
    assert_eq!(current.as_deref(), Some("credentials"));

    // Ctrl+6 opens Settings, which shows where files go: under SKYPORT_HOME, not the real home.
    let body = app.client.find(Locator::Css("body")).await.expect("body");
    body.send_keys(&format!(
        "{}6{}",
        char::from(Key::Control),
        char::from(Key::Null)
    ))
    .await
    .expect("send Ctrl+6");
    app.wait_text("h1", "Settings").await;
    let settings = app.text("main").await;
    let home = app.home.path().join("skyport");
    assert!(
        settings.contains(&home.join("config").display().to_string()),
        "config dir should be under SKYPORT_HOME {home:?}: {settings}"
    );
    assert!(settings.contains("cadcproxy.pem"), "{settings}");
    app.screenshot("shell-settings").await;
    app.stop().await;
}

#[tokio::test]
async fn platform_and_token_from_the_environment() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    // A versioned URL is accepted and shown in its service form.
    let app = App::start(
        "env-platform",
        &driver,
        &[
            ("SKYPORT_URL", "http://127.0.0.1:9/skaha/v1/"),
            ("SKYPORT_TOKEN", "e2e-token-not-shown"),
        ],
    )
    .await;
    app.wait_text("[data-testid=platform-status]", "http://127.0.0.1:9/skaha")
        .await;
    app.wait_text(
        "[data-testid=credential-status]",
        "token from SKYPORT_TOKEN",
    )
    .await;
    let page = app.client.source().await.expect("page source");
    assert!(
        !page.contains("e2e-token-not-shown"),
        "the token must never reach the DOM"
    );
    app.click("nav button[data-view=platforms]").await;
    app.wait_text("[data-testid=platform-url]", "http://127.0.0.1:9/skaha")
        .await;
    app.screenshot("shell-platform-env").await;
    app.stop().await;
}
