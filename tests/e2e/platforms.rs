//! Real platforms from an empty home: the welcome page lists what the registry offers,
//! a broken platform names the step that failed, choosing one discovers it, saves its
//! profile and leads to its sign-in, and its sessions follow.

use skyport_sim::SimConfig;

use crate::harness::{driver_or_skip, App, GUI};

#[tokio::test]
async fn from_an_empty_home_choose_a_platform_sign_in_and_see_its_sessions() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let canfar = SimConfig {
        seed_sessions: 1,
        seed_owner: Some("alice".into()),
        ..SimConfig::default()
    };
    let world = skyport_sim::start_world(skyport_sim::demo_configs(canfar, None), None)
        .await
        .expect("world");
    let registry = world.registry_url();
    let app = App::start(
        "platforms-welcome",
        &driver,
        &[("SKYPORT_REGISTRY", registry.as_str())],
    )
    .await;

    // The first screen asks which platform; every entry has been checked.
    app.wait_text("h1", "Welcome to Skyport").await;
    let chooser = "[data-testid=platform-chooser]";
    app.wait_text(chooser, "Not answering: HTTP 503").await;
    let listed = app.wait_text(chooser, "sweSRC").await;
    assert!(listed.contains("canfar"), "{listed}");
    assert!(!listed.contains("SKYPORT_URL"), "{listed}");
    app.screenshot("platforms-welcome").await;

    // The node that is down: the message names the step, and nothing is saved.
    app.click("button[aria-label='Use ukCAM']").await;
    app.wait_text("[data-testid=add-error]", "Reading the session service at")
        .await;
    let config = app.home.path().join("skyport/config/config.toml");
    assert!(
        !config.exists(),
        "a failed discovery must not save a profile"
    );

    // CANFAR-like: discovered, saved, in use; on to its password sign-in.
    app.click("button[aria-label='Use canfar']").await;
    app.wait_text("h1", "Credentials").await;
    let saved = std::fs::read_to_string(&config).expect("config saved");
    assert!(saved.contains("active = \"canfar\""), "{saved}");
    assert!(
        saved.contains("resource_id = \"ivo://cadc.nrc.ca/skaha\""),
        "{saved}"
    );
    assert!(saved.contains("/ac/login"), "{saved}");
    app.fill("#password-username", "alice").await;
    app.fill("#password-password", "skyport-demo").await;
    app.click("[data-testid=sign-in-password]").await;
    app.wait_text("[data-testid=credential-status]", "Signed in")
        .await;

    app.click("nav button[data-view=sessions]").await;
    app.wait_text("main", "1 session").await;
    app.click("nav button[data-view=platforms]").await;
    app.wait_text("[data-testid=platform-url]", "/skaha").await;
    app.screenshot("platforms-view").await;
    app.stop().await;
    world.shutdown().await;
}
