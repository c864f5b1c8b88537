//! `/cred/generate`: Basic, Bearer or cookie → PEM with certificate, key and chain; RSA 2048;
//! notBefore five minutes back; daysValid limits; renewal with the certificate refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use x509_parser::pem::Pem;

fn blocks(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| l.starts_with("-----BEGIN "))
        .map(|l| {
            l.trim_start_matches("-----BEGIN ")
                .trim_end_matches("-----")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn generate_with_basic_auth_and_use_the_certificate() {
    let sim = start().await;
    let r = sim
        .client
        .get(sim.url("cred/generate?daysValid=1.5"))
        .basic_auth("alice", Some("skyport-demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-pem-file");
    assert_eq!(
        r.headers()["content-disposition"],
        "inline; filename=\"cadcproxy.pem\""
    );
    let pem = r.text().await.unwrap();
    assert_eq!(
        blocks(&pem),
        ["CERTIFICATE", "RSA PRIVATE KEY", "CERTIFICATE"]
    );

    let pems: Vec<Pem> = Pem::iter_from_buffer(pem.as_bytes())
        .map(|p| p.unwrap())
        .collect();
    let cert = pems[0].parse_x509().unwrap();
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap();
    assert_eq!(cn, "alice");
    let spki = cert.public_key();
    match spki.parsed().unwrap() {
        x509_parser::public_key::PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 2048),
        other => panic!("not RSA: {other:?}"),
    }
    let nb = cert.validity().not_before.timestamp();
    let na = cert.validity().not_after.timestamp();
    let now = chrono::Utc::now().timestamp();
    assert!((now - 300 - nb).abs() <= 5, "notBefore five minutes back");
    assert!((na - (now + 36 * 3600)).abs() <= 5, "1.5 days = 36 hours");
    let bc = cert.basic_constraints().unwrap().unwrap();
    assert!(bc.critical && !bc.value.ca);
    // The chain is the sim CA.
    assert_eq!(
        pems[2].contents,
        x509_parser::pem::parse_x509_pem(sim.handle.ca_pem().as_bytes())
            .unwrap()
            .1
            .contents
    );

    // The certificate authenticates on the TLS listener...
    let ca = reqwest::Certificate::from_pem(sim.handle.ca_pem().as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let https = sim.handle.https_url();
    let r = c
        .get(format!("{https}skaha/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-vo-authenticated"], "alice");
    // ...but cannot renew itself.
    let r = c.get(format!("{https}cred/generate")).send().await.unwrap();
    let (s, b) = text(r).await;
    assert_eq!(
        (s, b.as_str()),
        (
            403,
            "Renewing certificate using certificate authentication not permitted\n"
        )
    );
}

#[tokio::test]
async fn days_valid_rules_and_other_credentials() {
    let sim = start().await;
    let get = |q: &str| sim.client.get(sim.url(&format!("cred/generate{q}")));
    let (s, b) = text(
        get("?daysValid=31")
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, b),
        (400, iae("daysValid larger than maximum allowed: 30.0"))
    );
    let (s, b) = text(
        get("?daysValid=soon")
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b), (400, iae("daysValid is not a float: soon")));
    let (s, _) = text(
        get("?daysValid=-1")
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    // Wrong password / no credentials.
    let r = get("")
        .basic_auth("alice", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = get("").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get_all("www-authenticate").iter().count() >= 3);
    // Delegation needs a super-user.
    let r = get("/userid/bob").bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Cookie works; absent daysValid means the maximum.
    let token = sim.handle.login_token("alice");
    let r = get("")
        .header("cookie", format!("CADC_SSO={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pem = r.text().await.unwrap();
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = p.parse_x509().unwrap();
    let days =
        (cert.validity().not_after.timestamp() - chrono::Utc::now().timestamp()) as f64 / 86_400.0;
    assert!((days - 30.0).abs() < 0.01, "{days}");
    let _ = Duration::ZERO;
}
