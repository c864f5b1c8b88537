//! Credentials only over HTTPS, loopback excepted (security review #12, item 4): the CADC
//! login and credential services and every OpenID Connect endpoint that would receive a
//! password, code, token or client secret. The check comes before any connection, so these
//! use names that do not even resolve: an answer other than "only over HTTPS" would mean a
//! request was attempted.

use skyport_core::auth::oidc::Provider;
use skyport_core::auth::password::{login, PasswordLoginError};
use skyport_core::cert::obtain::{fetch, CredAuth, ObtainError};
use skyport_core::error::{Coded, ErrorCode};
use skyport_core::secret::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

fn http() -> reqwest::Client {
    skyport_core::http::build_client(Default::default()).expect("client")
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("url")
}

#[tokio::test]
async fn the_cadc_services_get_passwords_and_tokens_only_over_https() {
    let pw = SecretString::new("hunter2-never-in-clear".into());
    let e = login(
        &http(),
        &url("http://ws-cadc.example.invalid/ac/login"),
        "alice",
        &pw,
    )
    .await
    .expect_err("plain http");
    assert!(matches!(e, PasswordLoginError::Insecure(_)), "{e:?}");
    assert_eq!(e.code(), ErrorCode::Config);
    assert!(
        e.to_string()
            .contains("the sign-in service is http://ws-cadc.example.invalid"),
        "{e}"
    );

    for auth in [
        CredAuth::Basic {
            username: "alice".into(),
            password: pw.clone(),
        },
        CredAuth::Bearer(SecretString::new("tok".into())),
    ] {
        let e = fetch(
            &http(),
            &url("http://ws-cadc.example.invalid/cred/generate"),
            &auth,
            10.0,
        )
        .await
        .expect_err("plain http");
        assert!(matches!(e, ObtainError::Insecure(_)), "{e:?}");
        assert!(e.to_string().contains("only over HTTPS"), "{e}");
    }
}

/// A login service on loopback (allowed) that redirects the form, password and all, with a
/// 307 to plain HTTP elsewhere, or to another site: the client does not follow.
#[tokio::test]
async fn redirects_never_carry_a_credential_to_plain_http_or_a_body_to_another_site() {
    let pw = SecretString::new("hunter2-never-in-clear".into());
    for (to, says) in [
        ("http://ws-cadc.example.invalid/ac/login", "plain HTTP"),
        ("https://ws-cadc.example.invalid/ac/login", "another site"),
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let login = format!("http://{}/ac/login", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let _ = s.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = s.write_all(resp.as_bytes()).await;
            }
        });
        let e = login_with(&login, &pw).await;
        assert!(e.contains(says), "{to}: {e}");
        assert!(!e.contains("hunter2"), "{e}");
    }
}

async fn login_with(url_text: &str, pw: &SecretString) -> String {
    match login(&http(), &url(url_text), "alice", pw).await {
        Ok(_) => panic!("signed in through a refused redirect"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_provider_over_plain_http_is_refused_before_discovery() {
    let e = Provider::discover(&http(), "http://iam.example.invalid/")
        .await
        .expect_err("plain http issuer");
    assert_eq!(e.code(), ErrorCode::Config, "{e}");
    assert!(
        e.to_string()
            .contains("the sign-in provider is http://iam.example.invalid"),
        "{e}"
    );
}

/// A provider on loopback (allowed) whose document sends the token endpoint elsewhere over
/// plain HTTP: the code, verifier and refresh tokens would cross the network in clear.
#[tokio::test]
async fn provider_endpoints_over_plain_http_are_refused() {
    for (field, what) in [
        ("token_endpoint", "token endpoint"),
        ("registration_endpoint", "registration endpoint"),
        ("device_authorization_endpoint", "device endpoint"),
        ("revocation_endpoint", "revocation endpoint"),
        ("userinfo_endpoint", "user information endpoint"),
    ] {
        let issuer = serve_discovery(field).await;
        let e = Provider::discover(&http(), &issuer).await.expect_err(field);
        assert_eq!(e.code(), ErrorCode::Config, "{field}: {e}");
        let text = e.to_string();
        assert!(
            text.contains(what) && text.contains("http://idp.example.org"),
            "{text}"
        );
    }
    // The same document with every endpoint on loopback is fine.
    let issuer = serve_discovery("").await;
    Provider::discover(&http(), &issuer)
        .await
        .expect("loopback endpoints");
}

/// Serves a discovery document (and empty keys) on loopback; `insecure` names the one
/// endpoint that points to plain HTTP on another host.
async fn serve_discovery(insecure: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    let base = issuer.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let base = base.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let endpoint = |name: &str, path: &str| {
                    if name == insecure {
                        format!("http://idp.example.org{path}")
                    } else {
                        format!("{base}{path}")
                    }
                };
                let body = if head.starts_with("GET /jwks") {
                    r#"{"keys":[]}"#.to_string()
                } else {
                    serde_json::json!({
                        "issuer": base,
                        "authorization_endpoint": format!("{base}/auth"),
                        "token_endpoint": endpoint("token_endpoint", "/token"),
                        "userinfo_endpoint": endpoint("userinfo_endpoint", "/me"),
                        "registration_endpoint": endpoint("registration_endpoint", "/reg"),
                        "device_authorization_endpoint": endpoint("device_authorization_endpoint", "/device"),
                        "revocation_endpoint": endpoint("revocation_endpoint", "/revoke"),
                        "jwks_uri": format!("{base}/jwks"),
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    })
                    .to_string()
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    issuer
}
