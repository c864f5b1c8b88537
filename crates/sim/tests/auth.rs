//! Authentication as CADC does it: tokens, cookie, client certificates, OIDC JWTs,
//! challenges, `X-VO-Authenticated`, `/ac/login` and `/ac/whoami`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use skyport_sim::SimConfig;

fn challenges(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn missing_credentials_get_401_with_cadc_challenges() {
    let sim = start().await;
    for path in ["session", "image", "context", "repository"] {
        let r = sim.client.get(sim.api(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert!(r.headers().get("x-vo-authenticated").is_none());
        let ch = challenges(&r);
        let base = sim.handle.base_url().to_string();
        let base = base.trim_end_matches('/');
        assert!(ch.contains(&"Bearer".to_string()), "{ch:?}");
        assert!(ch.contains(&format!(
            "ivoa_bearer standard_id=\"ivo://ivoa.net/sso#tls-with-password\", access_url=\"{base}/ac/login\""
        )));
        assert!(ch.contains(&format!(
            "ivoa_x509 standard_id=\"ivo://ivoa.net/sso#BasicAA\", access_url=\"{base}/cred/generate\""
        )));
        assert!(ch.contains(&"ivoa_x509".to_string()));
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
    }
}

#[tokio::test]
async fn bad_tokens_get_401_and_good_ones_x_vo_authenticated() {
    let sim = start().await;
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let ch = challenges(&r);
    assert!(ch.iter().any(|c| c.starts_with("Bearer error=")), "{ch:?}");
    let r = sim.get("session").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-vo-authenticated"], "alice");
    // Unknown schemes are ignored, i.e. anonymous.
    let r = sim
        .client
        .get(sim.api("session"))
        .header("authorization", "Negotiate abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Basic is not accepted by skaha.
    let r = sim
        .client
        .get(sim.api("session"))
        .basic_auth("alice", Some("skyport-demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Non-ASCII garbage in the header.
    let r = sim
        .client
        .get(sim.api("session"))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn login_gives_token_header_and_cookie_with_48h_life() {
    let sim = start().await;
    let r = sim
        .client
        .post(sim.url("ac/login"))
        .form(&[("username", "alice"), ("password", "skyport-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let header_token = r.headers()["x-vo-bearer"].to_str().unwrap().to_string();
    assert_eq!(r.headers()["x-vo-authenticated"], "alice");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with(&format!("CADC_SSO={header_token};")),
        "{cookie}"
    );
    assert!(cookie.contains("Max-Age=172800"));
    let body = r.text().await.unwrap();
    assert_eq!(body, header_token);

    // Bearer and cookie both work.
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = sim
        .client
        .get(sim.api("session"))
        .header("cookie", format!("other=1; CADC_SSO=\"{body}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-vo-authenticated"], "alice");

    // A cookie-jar client logs in and keeps going.
    let jar_client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    jar_client
        .post(sim.url("ac/login"))
        .form(&[("username", "bob"), ("password", "skyport-demo-bob")])
        .send()
        .await
        .unwrap();
    let r = jar_client.get(sim.api("session")).send().await.unwrap();
    assert_eq!(r.headers()["x-vo-authenticated"], "bob");

    // 48 hours later the token and cookie are dead.
    sim.handle.advance_clock(Duration::from_secs(48 * 3600 + 1));
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = sim
        .client
        .get(sim.api("session"))
        .header("cookie", format!("CADC_SSO={body}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Fixed tokens never expire.
    assert_eq!(sim.get("session").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn login_errors() {
    let sim = start().await;
    let r = sim
        .client
        .post(sim.url("ac/login"))
        .form(&[("username", "alice"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(!challenges(&r).is_empty());
    let r = sim
        .client
        .post(sim.url("ac/login"))
        .form(&[("username", "alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = sim.client.get(sim.url("ac/login")).send().await.unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn whoami_redirects_to_user_record() {
    let sim = start().await;
    let r = sim
        .client
        .get(sim.url("ac/whoami"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.ends_with("/ac/users/alice?idType=HTTP"));
    let r = sim
        .client
        .get(&loc)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<identity type=\"HTTP\">alice</identity>"));
    let r = sim.client.get(sim.url("ac/whoami")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = sim
        .client
        .get(sim.url("ac/users/bob"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn users_outside_the_skaha_group_get_403() {
    let sim = start_with(SimConfig {
        denied_users: vec!["bob".into()],
        ..fast_config()
    })
    .await;
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(BOB_TOKEN)
        .send()
        .await
        .unwrap();
    let (s, b) = text(r).await;
    assert_eq!(
        (s, b.as_str()),
        (403, "Not authorized to use the skaha system\n")
    );
}

#[tokio::test]
async fn login_token_from_handle_works() {
    let sim = start().await;
    let t = sim.handle.login_token("carol");
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-vo-authenticated"], "carol");
}

fn tls_client(sim: &Sim, identity: Option<&str>) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(sim.handle.ca_pem().as_bytes()).unwrap();
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca);
    if let Some(pem) = identity {
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn client_certificates_over_tls() {
    let sim = start().await;
    let https = sim.handle.https_url();
    let url = format!("{https}skaha/v1/session");
    // No certificate: TLS works, but the API wants credentials.
    let anon = tls_client(&sim, None);
    let r = anon.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let ch = challenges(&r);
    let origin = https.as_str().trim_end_matches('/');
    assert!(
        ch.iter()
            .any(|c| c.contains(&format!("{origin}/cred/generate"))),
        "{ch:?}"
    );
    // Tokens work on the TLS listener too.
    let r = anon.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let pem = sim
        .handle
        .issue_client_cert("alice", Duration::from_secs(3600));
    assert!(pem.contains("BEGIN CERTIFICATE") && pem.contains("PRIVATE KEY"));
    let c = tls_client(&sim, Some(&pem));
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-vo-authenticated"], "alice");
    // Create over TLS with the cert.
    let r = c
        .post(&url)
        .query(&[("image", PUBLIC_IMAGE), ("name", "viatls")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A certificate from another CA is refused at the handshake.
    let other = skyport_sim::start(fast_config()).await.unwrap();
    let foreign = other.issue_client_cert("alice", Duration::from_secs(3600));
    let c = tls_client(&sim, Some(&foreign));
    assert!(c.get(&url).send().await.is_err());

    // An expired certificate is refused too.
    let expired = sim.handle.issue_client_cert("alice", Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let c = tls_client(&sim, Some(&expired));
    assert!(c.get(&url).send().await.is_err());
}

mod oidc {
    use axum::routing::get;
    use base64::Engine;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

    pub struct Issuer {
        pub url: String,
        pub key: EncodingKey,
        _task: tokio::task::JoinHandle<()>,
    }

    /// A tiny OIDC issuer on loopback with one ES256 key.
    pub async fn issuer() -> Issuer {
        let kp = rcgen::KeyPair::generate().unwrap();
        let raw = kp.public_key_raw().to_vec();
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
            "x": b64(&raw[1..33]), "y": b64(&raw[33..65]),
        }]});
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let disc = serde_json::json!({"issuer": url, "jwks_uri": format!("{url}/jwks")});
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || {
                    let d = disc.clone();
                    async move { axum::Json(d) }
                }),
            )
            .route(
                "/jwks",
                get(move || {
                    let j = jwks.clone();
                    async move { axum::Json(j) }
                }),
            );
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let key = EncodingKey::from_ec_pem(kp.serialize_pem().as_bytes()).unwrap();
        Issuer {
            url,
            key,
            _task: task,
        }
    }

    pub fn jwt(iss: &Issuer, claims: serde_json::Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some("k1".into());
        encode(&h, &claims, &iss.key).unwrap()
    }
}

#[tokio::test]
async fn oidc_jwts_checked_against_jwks() {
    let iss = oidc::issuer().await;
    let sim = start_with(SimConfig {
        oidc: Some(skyport_sim::OidcTrust {
            issuer: iss.url.clone(),
            audience: "skaha".into(),
        }),
        ..fast_config()
    })
    .await;
    let now = chrono::Utc::now().timestamp();
    let good = oidc::jwt(
        &iss,
        serde_json::json!({"iss": iss.url, "aud": "skaha", "exp": now + 600, "sub": "uuid-1", "preferred_username": "dana"}),
    );
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-vo-authenticated"], "dana");
    let sub_only = oidc::jwt(
        &iss,
        serde_json::json!({"iss": iss.url, "aud": "skaha", "exp": now + 600, "sub": "erin"}),
    );
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(&sub_only)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-vo-authenticated"], "erin");

    let bad = [
        serde_json::json!({"iss": iss.url, "aud": "other", "exp": now + 600, "sub": "x"}),
        serde_json::json!({"iss": "http://evil", "aud": "skaha", "exp": now + 600, "sub": "x"}),
        serde_json::json!({"iss": iss.url, "aud": "skaha", "exp": now - 600, "sub": "x"}),
    ];
    for claims in bad {
        let t = oidc::jwt(&iss, claims.clone());
        let r = sim
            .client
            .get(sim.api("session"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{claims}");
        let ch = challenges(&r);
        assert!(
            ch.iter()
                .any(|c| c.contains("sso#OpenID") && c.contains(&iss.url)),
            "{ch:?}"
        );
    }
    // Tampered signature.
    let mut t = good.clone();
    t.pop();
    t.push(if good.ends_with('A') { 'B' } else { 'A' });
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Signed by a key the issuer does not publish.
    let other = oidc::issuer().await;
    let t = oidc::jwt(
        &other,
        serde_json::json!({"iss": iss.url, "aud": "skaha", "exp": now + 600, "sub": "x"}),
    );
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Garbage that looks like a JWT.
    let r = sim
        .client
        .get(sim.api("session"))
        .bearer_auth("a.b.c")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
