//! Sign-in against a real OpenID Connect provider (npm `oidc-provider` on loopback) with a
//! scripted browser, and the local platform accepting the resulting tokens.

use std::time::Duration;

use chrono::Utc;
use skyport_core::auth::oidc::{self, BrowserSignIn, OidcError, Provider};
use skyport_core::config::{default_scopes, Config, Profile};
use skyport_core::connect::{connect, ConnectOptions, CredentialUsed, TokenSlot};
use skyport_core::error::{Coded, ErrorCode};
use skyport_core::keyring::{EntryKey, MemoryStore, SecretStoreExt};
use skyport_core::paths::Paths;
use skyport_core::skaha::ListQuery;
use skyport_core::testsupport::{complete_device_login, complete_login, start_oidc, Finish};
use skyport_sim::{OidcTrust, SimConfig};

fn scripted(user: &'static str, finish: Finish) -> impl FnOnce(&str) -> Result<(), String> {
    move |url: &str| {
        let url = url.to_string();
        tokio::spawn(async move {
            if let Err(e) = complete_login(&url, user, finish).await {
                eprintln!("scripted browser: {e}");
            }
        });
        Ok(())
    }
}

fn http() -> reqwest::Client {
    oidc::http_client(Duration::from_secs(10)).expect("http")
}

async fn sign_in(
    provider: &Provider,
    client_id: &str,
    finish: Finish,
) -> Result<oidc::TokenSet, OidcError> {
    let scopes = default_scopes();
    let req = BrowserSignIn {
        provider,
        client_id,
        client_secret: None,
        scopes: &scopes,
        timeout: Duration::from_secs(20),
    };
    oidc::browser_sign_in(
        &http(),
        req,
        scripted("alice", finish),
        std::future::pending(),
    )
    .await
}

#[tokio::test]
async fn browser_sign_in_lists_sessions_refreshes_with_rotation_and_signs_out() {
    let Some(op) = start_oidc(60) else { return };
    let sim = skyport_sim::start(SimConfig {
        oidc: Some(OidcTrust {
            issuer: op.issuer.clone(),
            audience: op.audience.clone(),
        }),
        ..Default::default()
    })
    .await
    .expect("sim");
    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    let tokens = sign_in(&provider, &op.client_id, Finish::Deliver)
        .await
        .expect("sign in");
    let identity = tokens.identity.clone().expect("identity from the ID token");
    assert_eq!(identity.subject, "alice");
    assert_eq!(identity.email.as_deref(), Some("alice@example.test"));
    assert!(
        tokens.refresh.is_some(),
        "offline_access gives a refresh token"
    );
    assert!(tokens.expires_at.expect("expiry") > Utc::now());

    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    // Log everything this test does (debug level) into the profile's log folder, then scan.
    std::fs::create_dir_all(paths.log_dir()).expect("log dir");
    let log = skyport_core::logging::init_with_filter("oidc-test", Some(&paths.log_dir()), "debug");
    let store = MemoryStore::default();
    let mut cfg = Config::default();
    cfg.upsert(
        "sim",
        Profile {
            url: sim.skaha_url().to_string(),
            ..Default::default()
        },
    )
    .expect("profile");
    cfg.save(&paths.config_file()).expect("save config");
    let profile = cfg.resolve(None, None).expect("resolve");
    let record = oidc::save_sign_in(
        &paths,
        &store,
        "sim",
        &op.issuer,
        &op.client_id,
        &tokens,
        Utc::now(),
    )
    .expect("save");
    assert_eq!(record.identity.subject, "alice");

    // The platform accepts the access token (its JWKS check).
    let conn = connect(&paths, &profile, &store, &ConnectOptions::default()).expect("connect");
    assert_eq!(conn.credential, CredentialUsed::OidcToken);
    conn.client
        .list_sessions(&ListQuery::default())
        .await
        .expect("sessions listed with the OIDC token");

    // Refresh: a new access token, a rotated refresh token, identity unchanged.
    let old_refresh = store
        .get(&EntryKey::new("sim", "oidc-refresh-token"))
        .expect("get")
        .expect("refresh");
    let old_access = store
        .get(&TokenSlot::Access.key("sim"))
        .expect("get")
        .expect("access");
    let refreshed = oidc::refresh(&http(), &paths, &store, "sim", Utc::now())
        .await
        .expect("refresh");
    assert_eq!(refreshed.identity.subject, "alice");
    let new_refresh = store
        .get(&EntryKey::new("sim", "oidc-refresh-token"))
        .expect("get")
        .expect("refresh");
    let new_access = store
        .get(&TokenSlot::Access.key("sim"))
        .expect("get")
        .expect("access");
    assert_ne!(
        new_refresh.expose(),
        old_refresh.expose(),
        "the provider rotates refresh tokens"
    );
    assert_ne!(new_access.expose(), old_access.expose());
    connect(&paths, &profile, &store, &ConnectOptions::default())
        .expect("connect")
        .client
        .list_sessions(&ListQuery::default())
        .await
        .expect("the refreshed token works");

    // ensure_fresh does nothing while the token is fresh.
    let same = oidc::ensure_fresh(
        &http(),
        &paths,
        &store,
        "sim",
        chrono::Duration::seconds(5),
        Utc::now(),
    )
    .await
    .expect("fresh");
    assert_eq!(same.expect("record").refreshed_at, refreshed.refreshed_at);

    // No token value was written to any file under SKYPORT_HOME (logs, config, state).
    let secrets = [
        tokens.access.expose().clone(),
        old_refresh.expose().clone(),
        new_refresh.expose().clone(),
        new_access.expose().clone(),
    ];
    drop(log);
    let mut scanned = 0;
    for entry in walk(home.path()) {
        let bytes = std::fs::read(&entry).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        scanned += 1;
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a token was written to {}",
                entry.display()
            );
        }
    }
    assert!(
        scanned >= 3,
        "expected a log, the config and the sign-in record, scanned {scanned}"
    );

    // Sign out revokes and deletes everything.
    let report = oidc::sign_out(&http(), &paths, &store, "sim")
        .await
        .expect("sign out");
    assert_eq!(
        report.revoked.first().map(String::as_str),
        Some("refresh token"),
        "{report:?}"
    );
    // oidc-provider issues JWT access tokens, which RFC 7009 lets it decline to revoke.
    assert!(
        report.revoked.len() == 2
            || report
                .revocation_note
                .as_deref()
                .is_some_and(|n| n.contains("access token")),
        "{report:?}"
    );
    assert!(store
        .get(&TokenSlot::Access.key("sim"))
        .expect("get")
        .is_none());
    assert!(oidc::load_record(&paths, "sim").is_none());
    let err = oidc::refresh(&http(), &paths, &store, "sim", Utc::now())
        .await
        .expect_err("signed out");
    assert_eq!(err.code(), ErrorCode::SignInNeeded);
}

#[tokio::test]
async fn a_refused_refresh_means_sign_in_needed_and_clears_the_tokens() {
    let Some(op) = start_oidc(60) else { return };
    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    let tokens = sign_in(&provider, &op.client_id, Finish::Deliver)
        .await
        .expect("sign in");
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    let store = MemoryStore::default();
    oidc::save_sign_in(
        &paths,
        &store,
        "p",
        &op.issuer,
        &op.client_id,
        &tokens,
        Utc::now(),
    )
    .expect("save");
    // Use the refresh token once elsewhere (rotation invalidates it), then try it here.
    let refresh = store
        .get(&EntryKey::new("p", "oidc-refresh-token"))
        .expect("get")
        .expect("some");
    let other = MemoryStore::default();
    let other_home = tempfile::tempdir().expect("home");
    let other_paths = Paths::under(other_home.path().to_path_buf()).expect("paths");
    oidc::save_sign_in(
        &other_paths,
        &other,
        "p",
        &op.issuer,
        &op.client_id,
        &tokens,
        Utc::now(),
    )
    .expect("save");
    oidc::refresh(&http(), &other_paths, &other, "p", Utc::now())
        .await
        .expect("first use");
    assert!(store
        .get(&EntryKey::new("p", "oidc-refresh-token"))
        .expect("get")
        .is_some_and(|r| r.expose() == refresh.expose()));
    let err = oidc::refresh(&http(), &paths, &store, "p", Utc::now())
        .await
        .expect_err("replayed refresh token");
    assert_eq!(err.code(), ErrorCode::SignInNeeded, "{err}");
    assert!(err.to_string().contains("Sign in again"), "{err}");
    assert!(
        store
            .get(&TokenSlot::Access.key("p"))
            .expect("get")
            .is_none(),
        "tokens removed"
    );
}

/// The loopback redirect URL an authorization URL asks for.
fn redirect_of(auth_url: &str) -> Result<url::Url, String> {
    let auth = url::Url::parse(auth_url).map_err(|e| e.to_string())?;
    let redirect = auth
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .ok_or("no redirect_uri")?;
    url::Url::parse(&redirect).map_err(|e| e.to_string())
}

async fn sign_in_opening(
    provider: &Provider,
    client_id: &str,
    open: impl FnOnce(&str) -> Result<(), String>,
) -> Result<oidc::TokenSet, OidcError> {
    let scopes = default_scopes();
    let req = BrowserSignIn {
        provider,
        client_id,
        client_secret: None,
        scopes: &scopes,
        timeout: Duration::from_secs(30),
    };
    oidc::browser_sign_in(&http(), req, open, std::future::pending()).await
}

#[tokio::test]
async fn a_stray_answer_is_turned_away_and_the_real_one_signs_in() {
    let Some(op) = start_oidc(60) else { return };
    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    let (stray_status, status) = tokio::sync::oneshot::channel();
    let tokens = sign_in_opening(&provider, &op.client_id, move |url: &str| {
        let url = url.to_string();
        let mut forged = redirect_of(&url)?;
        forged
            .query_pairs_mut()
            .append_pair("code", "forged-code")
            .append_pair("state", "forged-state");
        tokio::spawn(async move {
            // A forged (or stale) answer arrives first, then the real one.
            let got = reqwest::get(forged).await.map(|r| r.status().as_u16());
            let _ = stray_status.send(got.map_err(|e| e.to_string()));
            if let Err(e) = complete_login(&url, "alice", Finish::Deliver).await {
                eprintln!("scripted browser: {e}");
            }
        });
        Ok(())
    })
    .await
    .expect("the real answer signs in");
    assert_eq!(tokens.identity.expect("identity").subject, "alice");
    assert_eq!(status.await.expect("stray sent"), Ok(400));
}

#[tokio::test]
async fn idle_connections_do_not_hold_up_the_real_answer() {
    let Some(op) = start_oidc(60) else { return };
    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    let (held_tx, held) = tokio::sync::oneshot::channel();
    sign_in_opening(&provider, &op.client_id, move |url: &str| {
        let url = url.to_string();
        let redirect = redirect_of(&url)?;
        let addr = format!(
            "127.0.0.1:{}",
            redirect.port().ok_or("no port in the redirect")?
        );
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            // Connections that send nothing, or half a request line, come first and stay.
            let idle = tokio::net::TcpStream::connect(&addr).await.expect("idle");
            let mut slow = tokio::net::TcpStream::connect(&addr).await.expect("slow");
            slow.write_all(b"GET /callb").await.expect("half a line");
            let _ = held_tx.send((idle, slow));
            if let Err(e) = complete_login(&url, "alice", Finish::Deliver).await {
                eprintln!("scripted browser: {e}");
            }
        });
        Ok(())
    })
    .await
    .expect("signed in");
    let (idle, slow) = held.await.expect("connections held");
    // They were served beside the redirect, not before it: neither has had its answer
    // yet (a 400 once its head deadline passes).
    for s in [&idle, &slow] {
        let mut buf = [0u8; 64];
        assert!(
            !matches!(s.try_read(&mut buf), Ok(n) if n > 0),
            "a held connection was answered before the sign-in ended"
        );
    }
}

#[tokio::test]
async fn a_replayed_code_is_refused_by_the_provider() {
    let Some(op) = start_oidc(60) else { return };
    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    // First sign-in: remember the callback the browser delivered.
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let scopes = default_scopes();
    let req = BrowserSignIn {
        provider: &provider,
        client_id: &op.client_id,
        client_secret: None,
        scopes: &scopes,
        timeout: Duration::from_secs(20),
    };
    oidc::browser_sign_in(
        &http(),
        req,
        move |url: &str| {
            let url = url.to_string();
            tokio::spawn(async move {
                if let Ok(cb) = complete_login(&url, "alice", Finish::Deliver).await {
                    let _ = tx.send(cb);
                }
            });
            Ok::<(), String>(())
        },
        std::future::pending(),
    )
    .await
    .expect("first sign-in");
    let old_callback = url::Url::parse(&rx.await.expect("callback")).expect("url");
    let old_code = old_callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    // Second sign-in: the "browser" answers with the old code and the new state.
    let req = BrowserSignIn {
        provider: &provider,
        client_id: &op.client_id,
        client_secret: None,
        scopes: &scopes,
        timeout: Duration::from_secs(20),
    };
    let err = oidc::browser_sign_in(
        &http(),
        req,
        move |url: &str| {
            let auth = url::Url::parse(url).map_err(|e| e.to_string())?;
            let q = |k: &str| {
                auth.query_pairs()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let mut cb = url::Url::parse(&q("redirect_uri")).map_err(|e| e.to_string())?;
            cb.query_pairs_mut()
                .append_pair("code", &old_code)
                .append_pair("state", &q("state"));
            tokio::spawn(async move {
                let _ = reqwest::get(cb).await;
            });
            Ok::<(), String>(())
        },
        std::future::pending(),
    )
    .await
    .expect_err("replayed code");
    assert!(
        matches!(err, OidcError::Denied { ref error, .. } if error == "invalid_grant"),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_issuer_provider_down_timeout_and_cancel() {
    let Some(op) = start_oidc(60) else { return };
    let err = Provider::discover(&http(), &format!("{}/", op.issuer))
        .await
        .expect_err("trailing slash is another issuer");
    assert!(
        matches!(
            err,
            OidcError::IssuerMismatch { .. } | OidcError::Discovery { .. }
        ),
        "{err:?}"
    );
    let err = Provider::discover(&http(), "http://127.0.0.1:9")
        .await
        .expect_err("down");
    assert_eq!(err.code(), ErrorCode::ProviderUnreachable, "{err}");

    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    let scopes = default_scopes();
    let req = BrowserSignIn {
        provider: &provider,
        client_id: &op.client_id,
        client_secret: None,
        scopes: &scopes,
        timeout: Duration::from_millis(300),
    };
    let err = oidc::browser_sign_in(
        &http(),
        req,
        |_: &str| Ok::<(), String>(()),
        std::future::pending(),
    )
    .await
    .expect_err("nobody signs in");
    assert_eq!(err.code(), ErrorCode::Timeout);
    let req = BrowserSignIn {
        provider: &provider,
        client_id: &op.client_id,
        client_secret: None,
        scopes: &scopes,
        timeout: Duration::from_secs(30),
    };
    let err = oidc::browser_sign_in(
        &http(),
        req,
        |_: &str| Ok::<(), String>(()),
        tokio::time::sleep(Duration::from_millis(100)),
    )
    .await
    .expect_err("cancel");
    assert_eq!(err.code(), ErrorCode::Cancelled);
    let req = BrowserSignIn {
        provider: &provider,
        client_id: &op.client_id,
        client_secret: None,
        scopes: &scopes,
        timeout: Duration::from_secs(30),
    };
    let err = oidc::browser_sign_in(
        &http(),
        req,
        |_: &str| Err::<(), String>("no browser".into()),
        std::future::pending(),
    )
    .await
    .expect_err("no browser");
    assert!(err.to_string().contains("device-code"), "{err}");
}

#[tokio::test]
async fn device_flow_and_dynamic_registration() {
    let Some(op) = start_oidc(60) else { return };
    let provider = Provider::discover(&http(), &op.issuer)
        .await
        .expect("discover");
    let registered = oidc::register_client(&http(), &provider, "test-host")
        .await
        .expect("register");
    assert!(!registered.client_id.is_empty());
    assert_ne!(registered.client_id, op.client_id);

    let scopes = default_scopes();
    let (tx, rx) = std::sync::mpsc::channel();
    let tokens = oidc::device_sign_in(
        &http(),
        oidc::DeviceSignIn {
            provider: &provider,
            client_id: &registered.client_id,
            client_secret: registered
                .client_secret
                .as_ref()
                .map(|s| s.expose().as_str()),
            scopes: &scopes,
        },
        move |prompt| {
            let _ = tx.send(prompt.clone());
            let prompt = prompt.clone();
            tokio::spawn(async move {
                if let Err(e) =
                    complete_device_login(&prompt.verification_uri, &prompt.user_code, "bob").await
                {
                    eprintln!("scripted device login: {e}");
                }
            });
        },
        tokio::time::sleep,
        std::future::pending(),
    )
    .await
    .expect("device sign-in");
    let prompt = rx.recv().expect("prompt shown");
    assert!(!prompt.user_code.is_empty());
    assert!(prompt.verification_uri.starts_with(&op.issuer));
    assert_eq!(tokens.identity.expect("identity").subject, "bob");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
