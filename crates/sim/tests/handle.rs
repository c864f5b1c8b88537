//! The `SimHandle` contract: loopback ports, URLs, admin API, shutdown on drop, and a server
//! panic failing the owning test.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

#[tokio::test]
async fn urls_are_loopback_and_distinct() {
    let sim = start().await;
    let h = &sim.handle;
    for u in [h.base_url(), h.https_url(), h.sessions_url(), h.admin_url()] {
        assert_eq!(u.host_str(), Some("127.0.0.1"), "{u}");
    }
    assert_eq!(h.skaha_url().as_str(), format!("{}skaha", h.base_url()));
    assert_eq!(h.https_url().scheme(), "https");
    let ports = [
        h.addrs().http,
        h.addrs().https,
        h.addrs().sessions,
        h.addrs().admin,
    ]
    .map(|a| a.port());
    let mut uniq = ports.to_vec();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 4);
    assert!(h.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
}

#[tokio::test]
async fn admin_clock_and_tokens() {
    let sim = start_with(skyport_sim::SimConfig {
        pending_delay: Duration::from_secs(100),
        ..fast_config()
    })
    .await;
    let admin = sim.handle.admin_url();
    let id = sim.create_kind("notebook", "nb").await;
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Pending"));
    let r = sim
        .client
        .post(format!("{admin}admin/clock/advance"))
        .json(&serde_json::json!({"seconds": 101}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Running"));
    let r = sim
        .client
        .post(format!("{admin}admin/clock/advance"))
        .json(&serde_json::json!({"seconds": -5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let t: serde_json::Value = sim
        .client
        .post(format!("{admin}admin/tokens"))
        .json(&serde_json::json!({"user": "zed"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(t["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-vo-authenticated"], "zed");
    let all: serde_json::Value = sim
        .client
        .get(format!("{admin}admin/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
    let st: serde_json::Value = sim
        .client
        .get(format!("{admin}admin/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["jobs"], 1);
}

#[tokio::test]
async fn drop_shuts_listeners_down() {
    let sim = start().await;
    let url = sim.api("session");
    let client = sim.client.clone();
    assert_eq!(
        client
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(sim);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh.get(&url).send().await.is_err(),
        "still listening after drop"
    );
}

#[tokio::test]
async fn explicit_shutdown_is_clean() {
    let sim = start().await;
    sim.handle.shutdown().await;
}

#[tokio::test]
#[should_panic(expected = "skyport-sim server panicked")]
async fn server_panic_fails_the_test_on_drop() {
    let sim = start().await;
    let admin = sim.handle.admin_url();
    let r = sim
        .client
        .post(format!("{admin}admin/panic"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    drop(sim);
}

#[tokio::test]
async fn start_rejects_bad_config() {
    let r = skyport_sim::start(skyport_sim::SimConfig {
        time_scale: 0.0,
        ..Default::default()
    })
    .await;
    assert!(r.is_err());
    // A taken port is an error, not a panic.
    let sim = start().await;
    let r = skyport_sim::start(skyport_sim::SimConfig {
        listen: Some(sim.handle.addrs().http),
        ..Default::default()
    })
    .await;
    assert!(matches!(r, Err(skyport_sim::SimError::Bind { .. })));
}

/// What a running session's pod metrics report is set on demand (by the handle or the admin
/// API), and shows in the session's JSON; a Pending one reports none.
#[tokio::test]
async fn usage_is_set_on_demand() {
    let sim = start_with(skyport_sim::SimConfig {
        pending_delay: Duration::from_secs(100),
        ..fast_config()
    })
    .await;
    let admin = sim.handle.admin_url();
    let id = sim.create_kind("notebook", "nb").await;
    assert!(sim.handle.set_usage(&id, 0.5, 3.0));
    assert_eq!(sim.session(&id).await.get("ramInUse"), None);
    sim.handle.advance_clock(Duration::from_secs(101));
    let s = sim.session(&id).await;
    assert_eq!(s["ramInUse"], "3.00");
    assert_eq!(s["cpuCoresInUse"], "0.500");
    let r = sim
        .client
        .post(format!("{admin}admin/usage"))
        .json(&serde_json::json!({"id": id, "cores": 1.25, "ramGb": 6.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let s = sim.session(&id).await;
    assert_eq!(
        (s["cpuCoresInUse"].as_str(), s["ramInUse"].as_str()),
        (Some("1.250"), Some("6.50"))
    );
    for (body, status) in [
        (
            serde_json::json!({"id": "nosuch", "cores": 1, "ramGb": 1}),
            404,
        ),
        (serde_json::json!({"id": id, "cores": -1, "ramGb": 1}), 400),
    ] {
        let r = sim
            .client
            .post(format!("{admin}admin/usage"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
    }
    assert!(!sim.handle.set_usage("nosuch", 1.0, 1.0));
}
