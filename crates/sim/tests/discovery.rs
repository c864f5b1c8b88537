//! Registry resource-caps and VOSI documents.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[tokio::test]
async fn resource_caps_and_capabilities() {
    let sim = start().await;
    let base = sim.handle.base_url().to_string();
    let base = base.trim_end_matches('/');
    let caps = sim
        .client
        .get(sim.url("reg/resource-caps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(caps.contains(&format!(
        "ivo://cadc.nrc.ca/skaha = {base}/skaha/capabilities"
    )));
    assert!(caps.contains(&format!(
        "ivo://cadc.nrc.ca/cred = {base}/cred/capabilities"
    )));

    // Capabilities are public (no credentials needed) and HEAD works for probing.
    let r = sim
        .client
        .head(sim.url("skaha/capabilities"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let xml = sim
        .client
        .get(sim.url("skaha/capabilities"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (std, path) in [
        ("session-1", "session"),
        ("context-1", "context"),
        ("image-1", "image"),
        ("repository-1", "repository"),
    ] {
        assert!(xml.contains(&format!(
            "standardID=\"http://www.opencadc.org/std/platform#{std}\""
        )));
        assert!(xml.contains(&format!(
            "<accessURL use=\"base\">{base}/skaha/v1/{path}</accessURL>"
        )));
    }
    for m in ["cookie", "tls-with-certificate", "token"] {
        assert!(xml.contains(&format!(
            "<securityMethod standardID=\"ivo://ivoa.net/sso#{m}\"/>"
        )));
    }
    let cred = sim
        .client
        .get(sim.url("cred/capabilities"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cred.contains("ivo://ivoa.net/std/CDP#proxy-1.0"));
    assert!(cred.contains(&format!("{base}/cred/generate")));
    assert!(cred.contains("ivo://ivoa.net/sso#BasicAA"));
    let avail = sim
        .client
        .get(sim.url("skaha/availability"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(avail.contains("<vosi:available>true</vosi:available>"));
    assert!(avail.contains("Skaha Service Available"));

    // Over TLS the documents name the TLS origin.
    let ca = reqwest::Certificate::from_pem(sim.handle.ca_pem().as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let https = sim.handle.https_url().to_string();
    let xml = c
        .get(format!("{https}skaha/capabilities"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains(&format!("{}/skaha/v1/session", https.trim_end_matches('/'))));
}
