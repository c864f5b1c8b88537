//! CADC-style password sign-in (`auth::password`) and certificates from the credential
//! service (`cert::obtain`), against skyport-sim: success, wrong passwords, faults, the
//! server's lifetime cap, and the old certificate surviving every failure.

use std::time::Duration;

use skyport_core::auth::password::{self, default_login_url, PasswordLoginError};
use skyport_core::cert::obtain::{self, default_cred_url, CredAuth, ObtainError};
use skyport_core::cert::CertBundle;
use skyport_core::error::{Coded, ErrorCode};
use skyport_core::netrc::Netrc;
use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, ListQuery, SkahaClient};
use skyport_sim::{FaultRule, SimConfig, SimHandle};

fn http() -> reqwest::Client {
    skyport_core::http::build_client(Default::default()).expect("http client")
}

fn service(sim: &SimHandle) -> ServiceUrl {
    ServiceUrl::parse(sim.skaha_url().as_str()).expect("service url")
}

fn pw(s: &str) -> SecretString {
    SecretString::new(s.to_string())
}

fn basic(user: &str, password: &str) -> CredAuth {
    CredAuth::Basic {
        username: user.into(),
        password: pw(password),
    }
}

#[tokio::test]
async fn password_login_gives_a_token_the_platform_accepts() {
    let sim = skyport_sim::start(SimConfig::default()).await.expect("sim");
    let url = default_login_url(&service(&sim));
    let got = password::login(&http(), &url, "alice", &pw("skyport-demo"))
        .await
        .expect("login");
    assert_eq!(got.user.as_deref(), Some("alice"));
    assert!(!format!("{got:?}").contains(got.token.expose().as_str()));
    let client = SkahaClient::new(http(), service(&sim), Auth::Bearer(got.token));
    client
        .list_sessions(&ListQuery::default())
        .await
        .expect("the token works on Skaha");
}

#[tokio::test]
async fn password_login_errors_say_what_happened() {
    let sim = skyport_sim::start(SimConfig::default()).await.expect("sim");
    let url = default_login_url(&service(&sim));

    let e = password::login(&http(), &url, "alice", &pw("wrong"))
        .await
        .expect_err("bad password");
    assert!(
        matches!(e, PasswordLoginError::BadCredentials { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("wrong username or password"), "{e}");
    assert!(
        !e.to_string().contains("wrong\""),
        "the password is never echoed: {e}"
    );
    assert_eq!(e.code(), ErrorCode::SignInNeeded);
    assert_eq!(e.code().exit_code(), 3);

    let e = password::login(&http(), &url, " ", &pw("x"))
        .await
        .expect_err("no user");
    assert_eq!(e.code(), ErrorCode::Validation);

    let mut nowhere = url.clone();
    nowhere.set_path("/no/such/login");
    let e = password::login(&http(), &nowhere, "alice", &pw("skyport-demo"))
        .await
        .expect_err("404");
    assert!(matches!(e, PasswordLoginError::NoService { .. }), "{e}");
    assert!(e.to_string().contains("--login-url"), "{e}");

    sim.set_fault(FaultRule {
        route: Some("/ac/login".into()),
        unavailable_rate: 1.0,
        retry_after: 7,
        times: Some(1),
        ..Default::default()
    });
    let e = password::login(&http(), &url, "alice", &pw("skyport-demo"))
        .await
        .expect_err("503");
    assert!(
        matches!(e, PasswordLoginError::Unavailable { retry_after: Some(d), .. } if d == Duration::from_secs(7)),
        "{e}"
    );
    assert_eq!(e.code().exit_code(), 4);

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let dead = url::Url::parse(&format!("http://127.0.0.1:{port}/ac/login")).expect("url");
    let e = password::login(&http(), &dead, "alice", &pw("skyport-demo"))
        .await
        .expect_err("unreachable");
    assert_eq!(e.code(), ErrorCode::PlatformUnreachable, "{e}");
}

#[tokio::test]
async fn obtain_writes_a_valid_certificate_and_keeps_the_old_one() {
    let sim = skyport_sim::start(SimConfig::default()).await.expect("sim");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join(".ssl/cadcproxy.pem");
    let cred = default_cred_url(&service(&sim));

    let got = obtain::obtain(
        &http(),
        &cred,
        &basic("alice", "skyport-demo"),
        obtain::DEFAULT_DAYS_VALID,
        &path,
    )
    .await
    .expect("obtain");
    assert_eq!(got.days_valid, 10.0);
    assert!(got.outcome.backup.is_none());
    let first = CertBundle::load(&path).expect("valid bundle");
    assert!(first.info().subject.contains("alice"), "{:?}", first.info());
    let left = first.not_after() - chrono::Utc::now();
    assert!(
        left > chrono::Duration::days(9) && left <= chrono::Duration::days(10),
        "{left}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A longer one replaces it; the old one is kept as .bak.
    let got = obtain::obtain(&http(), &cred, &basic("alice", "skyport-demo"), 20.0, &path)
        .await
        .expect("renew");
    assert!(got.outcome.backup.is_some());
    assert_eq!(got.outcome.replaced_not_after, Some(first.not_after()));
    let before = std::fs::read(&path).expect("read");

    // Wrong password: an error that says so, and the file is untouched.
    let e = obtain::obtain(&http(), &cred, &basic("alice", "nope"), 25.0, &path)
        .await
        .expect_err("bad password");
    assert!(matches!(e, ObtainError::BadCredentials { .. }), "{e}");
    assert_eq!(e.code().exit_code(), 3);
    assert_eq!(std::fs::read(&path).expect("read"), before);

    // A cut-off answer is not a certificate: the file is untouched.
    sim.set_fault(FaultRule {
        route: Some("/cred/generate".into()),
        truncate_rate: 1.0,
        truncate_bytes: 300,
        times: Some(1),
        ..Default::default()
    });
    let e = obtain::obtain(&http(), &cred, &basic("alice", "skyport-demo"), 25.0, &path)
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            e,
            ObtainError::BadAnswer { .. } | ObtainError::Unreachable { .. }
        ),
        "{e}"
    );
    assert_eq!(std::fs::read(&path).expect("read"), before);

    // 503 from the service: the file is untouched and the message says so.
    sim.set_fault(FaultRule {
        route: Some("/cred/generate".into()),
        unavailable_rate: 1.0,
        times: Some(1),
        ..Default::default()
    });
    let e = obtain::obtain(&http(), &cred, &basic("alice", "skyport-demo"), 25.0, &path)
        .await
        .expect_err("503");
    assert_eq!(e.code(), ErrorCode::PlatformUnavailable);
    assert!(e.to_string().contains("unchanged"), "{e}");
    assert_eq!(std::fs::read(&path).expect("read"), before);

    // Garbage in the file's place is replaced (it is not a certificate worth keeping).
    std::fs::write(&path, "not a certificate").expect("write");
    obtain::obtain(&http(), &cred, &basic("alice", "skyport-demo"), 5.0, &path)
        .await
        .expect("replace garbage");
    CertBundle::load(&path).expect("valid again");
}

#[tokio::test]
async fn obtain_respects_the_server_cap_and_accepts_tokens_and_cookies() {
    let sim = skyport_sim::start(SimConfig {
        max_days_valid: 7.0,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let cred = default_cred_url(&service(&sim));
    let dir = tempfile::tempdir().expect("tmp");

    // Asked for 10 days, the server allows 7: asked again for 7.
    let fetched = obtain::fetch(&http(), &cred, &basic("alice", "skyport-demo"), 10.0)
        .await
        .expect("capped");
    assert_eq!(fetched.days_valid, 7.0);
    assert!(!format!("{fetched:?}").contains("PRIVATE KEY"));

    let token = SecretString::new(sim.login_token("bob"));
    let p = dir.path().join("bearer.pem");
    obtain::obtain(&http(), &cred, &CredAuth::Bearer(token.clone()), 1.0, &p)
        .await
        .expect("bearer");
    assert!(CertBundle::load(&p)
        .expect("bundle")
        .info()
        .subject
        .contains("bob"));
    let p = dir.path().join("cookie.pem");
    obtain::obtain(&http(), &cred, &CredAuth::Cookie(token), 1.0, &p)
        .await
        .expect("cookie");

    let e = obtain::fetch(
        &http(),
        &cred,
        &CredAuth::Bearer(pw("expired-or-bogus")),
        1.0,
    )
    .await
    .expect_err("bogus token");
    assert_eq!(e.code(), ErrorCode::SignInNeeded, "{e}");
    assert!(
        obtain::fetch(&http(), &cred, &basic("alice", "skyport-demo"), -1.0)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn netrc_credentials_for_the_cred_host_work() {
    let sim = skyport_sim::start(SimConfig::default()).await.expect("sim");
    let cred = default_cred_url(&service(&sim));
    let netrc = Netrc::parse(&format!(
        "machine other.example login x password y\nmachine {} login alice password skyport-demo\n",
        cred.host_str().expect("host")
    ))
    .expect("netrc");
    let auth = CredAuth::from_netrc(&netrc, &cred).expect("entry for the cred host");
    assert_eq!(auth.describe(), "the password of alice");
    obtain::fetch(&http(), &cred, &auth, 1.0)
        .await
        .expect("netrc credentials");
}
