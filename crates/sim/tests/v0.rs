//! Skaha API v0 beside v1: the same sessions under both prefixes, v0's type-from-labels rule,
//! and a node that serves v0 only.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use skyport_sim::{ApiVersions, SimConfig};

async fn create_v0(sim: &Sim, params: &[(&str, &str)]) -> reqwest::Response {
    sim.post_v0("session").form(params).send().await.unwrap()
}

#[tokio::test]
async fn v0_and_v1_show_the_same_sessions() {
    let sim = start().await;
    let id = sim.create_kind("notebook", "both").await;
    let listed: serde_json::Value = sim
        .get_v0("session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    for path in ["image", "context"] {
        let r = sim.get_v0(path).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn v0_takes_the_type_from_the_image_labels_and_refuses_a_mismatch() {
    let sim = start().await;
    let r = create_v0(
        &sim,
        &[
            ("name", "cube"),
            ("image", "images.canfar.net/skaha/carta:5.0"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let id = r.text().await.unwrap().trim().to_string();
    let s: serde_json::Value = sim
        .get(&format!("session/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["type"], "carta");

    let r = create_v0(
        &sim,
        &[
            ("name", "wrong"),
            ("image", "images.canfar.net/skaha/carta:5.0"),
            ("type", "notebook"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("is not of type notebook"));

    // v1 takes the type as given (and defaults to headless), labels or not.
    let r = sim
        .post("session")
        .form(&[
            ("name", "given"),
            ("image", "images.canfar.net/skaha/carta:5.0"),
            ("type", "notebook"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_v0_only_node_has_no_v1_and_advertises_the_legacy_id() {
    let sim = start_with(SimConfig {
        api: ApiVersions {
            v0: true,
            v1: false,
        },
        ..fast_config()
    })
    .await;
    let r = sim.get("session").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = sim.get_v0("session").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let caps = sim
        .client
        .get(sim.url("skaha/capabilities"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        caps.contains("vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0"),
        "{caps}"
    );
    assert!(!caps.contains("platform#session-1"), "{caps}");
}

#[tokio::test]
async fn without_password_services_only_tokens_are_offered() {
    let sim = start_with(SimConfig {
        password_services: false,
        ..fast_config()
    })
    .await;
    let r = sim.client.get(sim.url("ac/login")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = sim
        .client
        .get(sim.url("skaha/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenges: Vec<String> = r
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        challenges
            .iter()
            .all(|c| !c.contains("/ac/login") && !c.contains("ivoa_x509")),
        "{challenges:?}"
    );
    let reg = sim
        .client
        .get(sim.url("reg/resource-caps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        reg.contains("/skaha = ") && !reg.contains("/cred = "),
        "{reg}"
    );
}
