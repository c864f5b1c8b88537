//! Real platforms from an empty home: the welcome page lists what the registry offers, a
//! broken platform names the step that failed, choosing one discovers it, saves its profile
//! and leads to its sign-in; a second platform is added beside it, each keeps its own
//! sign-in across switches, and removing one takes its keyring entries.

use std::path::Path;
use std::process::Command;

use skyport_core::testsupport::start_oidc;
use skyport_sim::{OidcTrust, SimConfig};

use crate::harness::{driver_or_skip, App, GUI};

fn scripted_browser() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/oidc/scripted-browser.mjs");
    format!("node {}", script.display())
}

/// The accounts Skyport keeps in the Secret Service (`<profile>/<entry>`).
fn keyring_accounts() -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "skyport"])
        .output()
        .expect("secret-tool (libsecret-tools) runs");
    // secret-tool prints the attributes on stderr and the secrets on stdout: keep only the
    // attributes (no secret goes into a test log).
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("attribute.username"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn from_an_empty_home_two_platforms_each_with_its_own_sign_in() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let Some(op) = start_oidc(300) else { return };
    let _gui = GUI.lock().await;
    let canfar = SimConfig {
        seed_sessions: 1,
        seed_owner: Some("alice".into()),
        ..SimConfig::default()
    };
    let trust = OidcTrust {
        issuer: op.issuer.clone(),
        audience: op.audience.clone(),
    };
    let mut configs = skyport_sim::demo_configs(canfar, Some(trust));
    // The SRCNet-like node holds two sessions of the provider's user.
    configs[1].seed_sessions = 2;
    configs[1].seed_owner = Some("alice".into());
    let world = skyport_sim::start_world(configs, None)
        .await
        .expect("world");
    let registry = world.registry_url();
    let app = App::start(
        "platforms-welcome",
        &driver,
        &[
            ("SKYPORT_REGISTRY", registry.as_str()),
            ("SKYPORT_BROWSER", &scripted_browser()),
        ],
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

    // The SRCNet-like node: v0, browser sign-in through the provider (a client registered
    // on the way), its sessions.
    app.click("button[aria-label='Use sweSRC']").await;
    app.wait_text("h1", "Credentials").await;
    let saved = std::fs::read_to_string(&config).expect("config saved");
    assert!(saved.contains("active = \"swesrc\""), "{saved}");
    assert!(saved.contains("/skaha/v0"), "{saved}");
    app.click("[data-testid=sign-in-browser]").await;
    app.wait_text("[data-testid=credential-status]", "Signed in")
        .await;
    app.click("nav button[data-view=sessions]").await;
    app.wait_text("main", "2 sessions").await;

    // The CANFAR-like platform beside it: password sign-in, its own sessions.
    app.click("nav button[data-view=platforms]").await;
    app.click("[data-testid=add-platform]").await;
    app.click("button[aria-label='Use canfar']").await;
    app.wait_text("h1", "Credentials").await;
    app.fill("#password-username", "alice").await;
    app.fill("#password-password", "skyport-demo").await;
    app.click("[data-testid=sign-in-password]").await;
    app.wait_text("[data-testid=credential-status]", "Signed in as alice")
        .await;
    app.click("nav button[data-view=sessions]").await;
    app.wait_text("main", "1 session").await;
    let saved = std::fs::read_to_string(&config).expect("config");
    assert!(saved.contains("active = \"canfar\""), "{saved}");
    assert!(
        saved.contains("resource_id = \"ivo://cadc.nrc.ca/skaha\""),
        "{saved}"
    );

    // Back to the node: still signed in, no prompt; its sessions again.
    app.click("nav button[data-view=platforms]").await;
    let list = app.wait_text("[data-testid=profile-list]", "sweSRC").await;
    assert!(list.contains("canfar"), "{list}");
    app.screenshot("platforms-view").await;
    app.click("button[aria-label='Use sweSRC']").await;
    let node = world.platforms[1].skaha_url().to_string();
    app.wait_text("[data-testid=platform-url]", &node).await;
    app.wait_text("[data-testid=credential-status]", "Signed in")
        .await;
    app.click("nav button[data-view=sessions]").await;
    app.wait_text("main", "2 sessions").await;

    // Remove the CANFAR-like one: after the confirmation its keyring entries are gone,
    // the node's stay.
    let before = keyring_accounts();
    assert!(before.contains("canfar/"), "{before}");
    app.click("nav button[data-view=platforms]").await;
    app.click("button[aria-label='Remove canfar']").await;
    app.wait_text("[data-testid=removal-what]", "keyring").await;
    app.click("[data-testid=confirm-remove-button]").await;
    app.wait_text("body", "canfar removed").await;
    let after = keyring_accounts();
    assert!(!after.contains("canfar/"), "{after}");
    assert!(after.contains("swesrc/"), "{after}");
    let saved = std::fs::read_to_string(&config).expect("config");
    assert!(!saved.contains("[profiles.canfar]"), "{saved}");
    app.stop().await;
    world.shutdown().await;
}
