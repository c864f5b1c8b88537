//! Credentials for other services in the real app: added in the Credentials view (kept in
//! the Secret Service, never in the page), tested against a service of the sim, removed.

use crate::harness::{driver_or_skip, App, GUI};

const TOKEN: &str = "e2e-vo-token-not-shown";

#[tokio::test]
async fn a_service_credential_is_added_tested_and_removed() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(skyport_sim::SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        ..skyport_sim::SimConfig::default()
    })
    .await
    .expect("sim");
    let origin = sim.base_url().as_str().trim_end_matches('/').to_string();
    let app = App::start(
        "service-credentials",
        &driver,
        &[("SKYPORT_URL", sim.skaha_url().as_str())],
    )
    .await;
    app.click("nav button[data-view=credentials]").await;
    app.wait_text("[data-testid=service-credentials]", "None yet")
        .await;

    // Test before: the service takes a bearer token, and none is bound there.
    app.fill("#svc-test-url", &format!("{origin}/vo/bearer/data"))
        .await;
    app.click("[data-testid=probe-service]").await;
    app.wait_text("[data-testid=probe-report]", "a credential is required")
        .await;
    app.wait_text(
        "[data-testid=probe-report]",
        "skyport credentials add bearer",
    )
    .await;

    // Add a bearer token for that service only; a place over plain http elsewhere is
    // refused first, and says why (the dialog stays).
    app.click("[data-testid=add-service-credential]").await;
    app.wait_text("[data-testid=add-credential-dialog]", "Kind")
        .await;
    app.client
        .execute(
            "const s = document.getElementById('svc-kind'); s.value = 'bearer'; s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .expect("choose the kind");
    app.fill("#svc-origins", "http://plain.example.org").await;
    app.fill("#svc-secret", TOKEN).await;
    app.fill("#svc-name", "sim-bearer").await;
    app.click("[data-testid=add-credential-save]").await;
    app.wait_text("[data-testid=add-credential-dialog]", "only over https")
        .await;
    app.fill("#svc-origins", &format!("{origin}/vo/bearer/"))
        .await;
    app.click("[data-testid=add-credential-save]").await;
    app.wait_text("[data-testid=service-credentials]", "Added sim-bearer")
        .await;
    app.wait_text("[data-testid=service-credential]", "Bearer token")
        .await;

    // The token does not outlive the dialog: opened again, no field holds it.
    app.click("[data-testid=add-service-credential]").await;
    app.wait_text("[data-testid=add-credential-dialog]", "Kind")
        .await;
    let held = app
        .client
        .execute(
            &format!("return Array.from(document.querySelectorAll('input, textarea, select')).some(e => (e.value || '').includes('{TOKEN}'));"),
            vec![],
        )
        .await
        .expect("read the fields");
    assert_eq!(
        held,
        serde_json::json!(false),
        "a field still holds the token"
    );
    app.click("[data-testid=add-credential-dialog] .dialog-close")
        .await;

    // Test again: this one would go, and why.
    app.click("[data-testid=probe-service]").await;
    app.wait_text("[data-testid=probe-report]", "Skyport sends sim-bearer")
        .await;
    app.screenshot("credentials-services").await;
    let page = app.client.source().await.expect("page source");
    assert!(!page.contains(TOKEN), "the token must never reach the page");

    // Remove it.
    app.click("button[aria-label='Remove sim-bearer']").await;
    app.click("[data-testid=remove-credential-confirm]").await;
    app.wait_text("[data-testid=service-credentials]", "None yet")
        .await;
    app.stop().await;
}
