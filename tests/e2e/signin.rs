//! Sign-in in the real app: click "Sign in with browser", a scripted browser completes the
//! real OIDC provider's login (SKYPORT_BROWSER), sessions are listed; then sign out.
//! Also the CADC-style password sign-in against the sim's /ac/login.

use std::path::Path;

use skyport_core::testsupport::start_oidc;
use skyport_sim::{OidcTrust, SimConfig};

use crate::harness::{driver_or_skip, App, GUI};

/// A profile for the sim with the provider as its OIDC issuer, written into SKYPORT_HOME.
/// A profile named `name` for the sim. Each test has a name of its own: all tests share one
/// keyring (one D-Bus session for the whole run), whose entries are keyed by profile name,
/// so a sign-in left by one test must never be found by another.
fn write_profile(home: &Path, name: &str, skaha_url: &str, issuer: &str, base: &str) {
    let dir = home.join("config");
    std::fs::create_dir_all(&dir).expect("config dir");
    let toml = format!(
        "version = 1\nactive = \"{name}\"\n\n[profiles.{name}]\nurl = \"{skaha_url}\"\nlogin_url = \"{base}ac/login\"\n\n\
         [profiles.{name}.oidc]\nissuer = \"{issuer}\"\nclient_id = \"skyport-desktop\"\n"
    );
    std::fs::write(dir.join("config.toml"), toml).expect("config");
}

fn scripted_browser() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/oidc/scripted-browser.mjs");
    format!("node {}", script.display())
}

#[tokio::test]
async fn browser_sign_in_lists_sessions_then_sign_out() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let Some(op) = start_oidc(300) else { return };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig {
        oidc: Some(OidcTrust {
            issuer: op.issuer.clone(),
            audience: op.audience.clone(),
        }),
        seed_sessions: 2,
        seed_owner: Some("alice".into()),
        ..Default::default()
    })
    .await
    .expect("sim");
    let home = tempfile::tempdir().expect("home");
    write_profile(
        home.path(),
        "signin-browser",
        sim.skaha_url().as_str(),
        &op.issuer,
        sim.base_url().as_str(),
    );
    let app = App::start_with_home(
        "signin-browser",
        &driver,
        home.path(),
        &[("SKYPORT_BROWSER", &scripted_browser())],
    )
    .await;

    app.wait_text("[data-testid=credential-status]", "Not signed in")
        .await;
    app.click("nav button[data-view=credentials]").await;
    app.click("[data-testid=sign-in-browser]").await;
    app.wait_text("[data-testid=credential-status]", "Signed in")
        .await;
    app.wait_text("[data-testid=signed-in-identity]", "alice")
        .await;
    app.screenshot("signin-credentials").await;

    // The platform accepted the token: sessions are listed.
    app.click("nav button[data-view=sessions]").await;
    app.wait_text("main", "headless").await;
    app.screenshot("signin-sessions").await;

    // The token never reaches the DOM.
    let keyring_token = app.client.source().await.expect("source");
    assert!(
        !keyring_token.contains("eyJ"),
        "no JWT may appear in the page"
    );

    app.click("nav button[data-view=credentials]").await;
    app.click("[data-testid=sign-out]").await;
    // Sign-out asks first (it revokes the tokens and deletes them from the keyring).
    app.wait_text("[data-testid=sign-out-dialog]", "revoke")
        .await;
    app.screenshot("signin-sign-out-dialog").await;
    app.click("[data-testid=sign-out-confirm]").await;
    app.wait_text("[data-testid=credential-status]", "Not signed in")
        .await;
    // The real provider revokes the refresh token; its JWT access tokens cannot be revoked
    // (RFC 7009 unsupported_token_type), and the message says exactly that.
    let said = app
        .wait_text("[data-testid=sign-in-status]", "Signed out.")
        .await;
    assert!(said.contains("revoked your refresh token"), "{said}");
    assert!(said.contains("cannot revoke the access token"), "{said}");
    app.stop().await;
}

#[tokio::test]
async fn password_sign_in_with_the_demo_user() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig {
        seed_sessions: 1,
        seed_owner: Some("alice".into()),
        ..Default::default()
    })
    .await
    .expect("sim");
    let home = tempfile::tempdir().expect("home");
    write_profile(
        home.path(),
        "signin-password",
        sim.skaha_url().as_str(),
        "http://127.0.0.1:9",
        sim.base_url().as_str(),
    );
    let app = App::start_with_home("signin-password", &driver, home.path(), &[]).await;
    app.click("nav button[data-view=credentials]").await;
    app.fill("#password-username", "alice").await;
    app.fill("#password-password", "wrong-password").await;
    app.click("[data-testid=sign-in-password]").await;
    app.wait_text("[data-testid=password-error]", "wrong username or password")
        .await;
    app.fill("#password-password", "skyport-demo").await;
    app.click("[data-testid=sign-in-password]").await;
    app.wait_text("[data-testid=credential-status]", "Signed in")
        .await;
    let page = app.client.source().await.expect("source");
    assert!(
        !page.contains("skyport-demo"),
        "the password must not stay in the DOM after sign-in"
    );
    app.screenshot("signin-password").await;
    app.stop().await;
}
