//! `skyport login` (browser) against a real OpenID Connect provider: a scripted browser
//! completes the provider's login (SKYPORT_BROWSER), the platform accepts the token, and
//! `logout` revokes it. Same code path as the desktop app's sign-in.

mod common;

use std::path::Path;

use common::{keyring_turn, sim_with, Home};
use skyport_core::testsupport::start_oidc;
use skyport_sim::OidcTrust;

#[tokio::test]
async fn browser_login_lists_sessions_and_logout_revokes() {
    let Some(_k) = keyring_turn("browser_login_lists_sessions_and_logout_revokes").await else {
        return;
    };
    let Some(op) = start_oidc(300) else { return };
    let sim = sim_with(|c| {
        c.oidc = Some(OidcTrust {
            issuer: op.issuer.clone(),
            audience: op.audience.clone(),
        })
    })
    .await;
    let mut home = Home::new();
    let url = sim.skaha_url().to_string();
    home.run(&[
        "profiles",
        "add",
        "sim",
        &url,
        "--oidc-issuer",
        &op.issuer,
        "--client-id",
        &op.client_id,
        "--use",
    ])
    .await
    .ok();
    let browser =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/oidc/scripted-browser.mjs");
    home.set("SKYPORT_BROWSER", &format!("node {}", browser.display()));

    home.run(&["ps"]).await.code(3);
    home.run(&["login"])
        .await
        .ok()
        .err_has("Signed in to sim as alice");
    home.run(&["ps", "-a"]).await.ok();
    home.run(&["auth", "status"]).await.ok();

    // The CLI keeps itself signed in without the app: with the access token run out, the
    // next command refreshes it (under the lock the app takes) and goes on.
    let first = home.run(&["token"]).await.ok().stdout.trim().to_string();
    assert!(first.len() > 20, "an access token: {first:?}");
    let record = home.skyport_home().join("state/auth/sim.json");
    let mut r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).expect("record")).expect("json");
    r["accessExpiresAt"] = serde_json::json!("2020-01-01T00:00:00Z");
    std::fs::write(&record, serde_json::to_vec(&r).expect("json")).expect("write");
    home.run(&["ps", "-a"]).await.ok();
    let second = home.run(&["token"]).await.ok().stdout.trim().to_string();
    assert_ne!(first, second, "a new access token after the refresh");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).expect("record")).expect("json");
    assert_ne!(r["accessExpiresAt"], "2020-01-01T00:00:00Z", "{r}");

    // The same sign-in for another service at that provider, bound by the user: sent there,
    // refreshed as the platform's is; a provider no platform signs in at is refused.
    let vo = format!("{}vo/bearer/", sim.base_url());
    home.run(&[
        "credentials",
        "add",
        "oidc",
        "--issuer",
        "https://nowhere.example.org/",
        "--origin",
        &vo,
    ])
    .await
    .code(2)
    .err_has("none of your platforms signs in at");
    home.run(&[
        "credentials",
        "add",
        "oidc",
        "--issuer",
        &op.issuer,
        "--origin",
        &vo,
        "--name",
        "iam",
    ])
    .await
    .ok();
    home.run(&["curl", &format!("{vo}data")])
        .await
        .ok()
        .out_has("hello alice (bearer)");
    home.run(&["credentials", "remove", "iam"]).await.ok();
    home.run(&["logout"])
        .await
        .ok()
        .err_has("Revoked the refresh token");
    home.run(&["ps"]).await.code(3);
}
