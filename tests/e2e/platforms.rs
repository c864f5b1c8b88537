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
    // The world runs on this computer and announces its registry as the demo does; the
    // registries the app reads first (the harness's) cannot be reached.
    let local = tempfile::tempdir().expect("tmp");
    std::fs::write(
        local.path().join("world.json"),
        serde_json::json!({
            "name": "Local demo platform",
            "registry": world.registry_url(),
            "pid": std::process::id(),
        })
        .to_string(),
    )
    .expect("announce");
    let app = App::start(
        "platforms-welcome",
        &driver,
        &[
            (
                "SKYPORT_LOCAL_PLATFORMS",
                &local.path().display().to_string(),
            ),
            ("SKYPORT_BROWSER", &scripted_browser()),
        ],
    )
    .await;

    // The first screen asks which platform; every entry has been checked; the platforms
    // running here are offered apart, and the registry that cannot be read says so.
    app.wait_text("h1", "Welcome to Skyport").await;
    let chooser = "[data-testid=platform-chooser]";
    app.wait_text(chooser, "Not answering: HTTP 503").await;
    let listed = app.wait_text(chooser, "sweSRC").await;
    assert!(listed.contains("canfar"), "{listed}");
    assert!(listed.contains("On this computer"), "{listed}");
    assert!(!listed.contains("SKYPORT_URL"), "{listed}");
    app.wait_text("[data-testid=choices-problem]", "127.0.0.1:9")
        .await;
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

    // A switch in a terminal (`skyport profiles use canfar` writes config.toml the same way)
    // reaches the running app: it follows, still signed in there.
    app.click("nav button[data-view=platforms]").await;
    app.wait_text("[data-testid=platform-url]", &node).await;
    let paths = skyport_core::paths::Paths::under(app.home.path().join("skyport")).expect("paths");
    skyport_core::profiles::switch(&paths, "canfar").expect("switch as the CLI does");
    let canfar_url = world.platforms[0].skaha_url().to_string();
    app.wait_text("[data-testid=platform-url]", &canfar_url)
        .await;
    app.wait_text("[data-testid=credential-status]", "Signed in as alice")
        .await;

    // Remove the CANFAR-like one: after the confirmation its keyring entries are gone,
    // the node's stay, and the node is in use again.
    let before = keyring_accounts();
    assert!(before.contains("canfar/"), "{before}");
    app.click("nav button[data-view=platforms]").await;
    app.wait_text("[data-testid=platform-url]", &canfar_url)
        .await;
    app.click("button[aria-label='Remove canfar']").await;
    app.wait_text("[data-testid=removal-what]", "keyring").await;
    app.click("[data-testid=confirm-remove-button]").await;
    app.wait_text("body", "canfar removed").await;
    let after = keyring_accounts();
    assert!(!after.contains("canfar/"), "{after}");
    assert!(after.contains("swesrc/"), "{after}");
    let saved = std::fs::read_to_string(&config).expect("config");
    assert!(!saved.contains("[profiles.canfar]"), "{saved}");
    app.wait_text("[data-testid=platform-url]", &node).await;
    app.stop().await;
    world.shutdown().await;
}

#[tokio::test]
async fn the_canfar_clients_settings_are_offered_at_first_run() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig::default()).await.expect("sim");
    let home = tempfile::tempdir().expect("home");
    let canfar_dir = home.path().join(".canfar");
    std::fs::create_dir_all(&canfar_dir).expect("dir");
    let yaml = format!(
        "version: 1\nactive: {{authentication: cadc, server: labsim}}\n\
         authentication:\n  cadc: {{mode: x509, path: {}}}\n\
         servers:\n  labsim: {{idp: cadc, uri: 'ivo://lab.example/skaha', url: '{}', version: v1}}\n",
        home.path().join(".ssl/cadcproxy.pem").display(),
        sim.skaha_url()
    );
    std::fs::write(canfar_dir.join("config.yaml"), &yaml).expect("write");
    let app = App::start_with_home("platforms-canfar-import", &driver, home.path(), &[]).await;

    app.wait_text("h1", "Welcome to Skyport").await;
    app.wait_text("[data-testid=canfar-import]", "labsim").await;
    app.screenshot("platforms-canfar-import").await;
    app.click("[data-testid=canfar-import-button]").await;
    app.wait_text("h1", "Platforms").await;
    app.wait_text("[data-testid=profile-list]", "labsim").await;
    app.wait_text("[data-testid=platform-url]", sim.skaha_url().as_str())
        .await;
    let saved = std::fs::read_to_string(home.path().join("config/config.toml")).expect("config");
    assert!(saved.contains("active = \"labsim\""), "{saved}");
    assert_eq!(
        std::fs::read_to_string(canfar_dir.join("config.yaml")).expect("yaml"),
        yaml,
        "the canfar client's file is never changed"
    );
    app.stop().await;
}
