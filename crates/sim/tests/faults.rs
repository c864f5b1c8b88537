//! Fault injection: latency, errors per route, 503 + Retry-After, truncation, resets, drip;
//! by handle, config and admin API.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use skyport_sim::{FaultRule, SimConfig};

#[tokio::test]
async fn latency_errors_and_unavailable() {
    let sim = start().await;
    sim.handle.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        latency_ms: 300,
        times: Some(1),
        ..FaultRule::default()
    });
    let t = Instant::now();
    assert_eq!(sim.get("session").send().await.unwrap().status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    sim.get("session").send().await.unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "counted rule expired"
    );

    sim.handle.set_fault(FaultRule {
        route: Some("/skaha/v1/image".into()),
        error_rate: 1.0,
        ..FaultRule::default()
    });
    let (s, b) = text(sim.get("image").send().await.unwrap()).await;
    assert_eq!(s, 500);
    assert!(b.starts_with("unexpected exception: "));
    assert_eq!(
        sim.get("context").send().await.unwrap().status(),
        200,
        "other routes unaffected"
    );

    sim.handle.set_fault(FaultRule {
        route: Some("/skaha/v1/context".into()),
        unavailable_rate: 1.0,
        retry_after: 7,
        times: Some(2),
        ..FaultRule::default()
    });
    for _ in 0..2 {
        let r = sim.get("context").send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "7");
        assert_eq!(
            r.text().await.unwrap(),
            "temporarily unavailable: /skaha/v1/context\n"
        );
    }
    assert_eq!(sim.get("context").send().await.unwrap().status(), 200);
    sim.handle.clear_faults();
    assert_eq!(sim.get("image").send().await.unwrap().status(), 200);

    // Method-specific error with a chosen status.
    sim.handle.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        method: Some("POST".into()),
        error_rate: 1.0,
        error_status: 502,
        ..FaultRule::default()
    });
    assert_eq!(sim.post("session").send().await.unwrap().status(), 502);
    assert_eq!(sim.get("session").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn truncation_reset_and_drip() {
    let mut sim = start().await;
    // No connection reuse, so each fault hits the request it was meant for.
    sim.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    sim.create_kind("notebook", "nb").await;
    sim.handle.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        truncate_rate: 1.0,
        truncate_bytes: 10,
        times: Some(1),
        ..FaultRule::default()
    });
    let r = sim.get("session").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.is_err(), "truncated body must fail to read");

    sim.handle.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        reset_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    });
    let err = sim.get("session").send().await.unwrap_err();
    assert!(!err.is_status(), "{err}");
    eprintln!(
        "after reset: {:?}",
        sim.client
            .get(format!("{}admin/faults", sim.handle.admin_url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    );
    assert_eq!(
        sim.get("session").send().await.unwrap().status(),
        200,
        "recovers"
    );

    sim.handle.set_fault(FaultRule {
        route: Some("/skaha/v1/context".into()),
        drip_bytes: 100,
        drip_interval_ms: 50,
        times: Some(1),
        ..FaultRule::default()
    });
    let t = Instant::now();
    let body = sim
        .get("context")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.len() > 400);
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["cores"]["default"], 2);
}

#[tokio::test]
async fn faults_from_config_and_admin_api() {
    let sim = start_with(SimConfig {
        faults: vec![FaultRule {
            route: Some("/skaha/v1/repository".into()),
            error_rate: 1.0,
            ..FaultRule::default()
        }],
        ..fast_config()
    })
    .await;
    assert_eq!(sim.get("repository").send().await.unwrap().status(), 500);
    let admin = sim.handle.admin_url();
    let r = sim
        .client
        .delete(format!("{admin}admin/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.get("repository").send().await.unwrap().status(), 200);
    let r = sim
        .client
        .post(format!("{admin}admin/faults"))
        .json(&serde_json::json!({"route": "/skaha/v1/image", "unavailable_rate": 1.0, "retry_after": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = sim.get("image").send().await.unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (503, "3")
    );
    // Bad rules are refused, not applied.
    let r = sim
        .client
        .post(format!("{admin}admin/faults"))
        .json(&serde_json::json!({"error_rate": 7.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = sim
        .client
        .post(format!("{admin}admin/faults"))
        .json(&serde_json::json!({"nonsense": true}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    // Session pages honour faults too.
    sim.handle.clear_faults();
    sim.handle.set_fault(FaultRule {
        route: Some("/session/".into()),
        error_rate: 1.0,
        error_status: 502,
        ..FaultRule::default()
    });
    let id = sim.create_kind("notebook", "nb").await;
    let url = sim.session(&id).await["connectURL"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sim.client.get(url).send().await.unwrap().status(), 502);
}
