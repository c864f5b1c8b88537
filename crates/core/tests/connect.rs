//! Credential precedence for a profile, against the sim: env token, saved token, certificate.

use std::time::Duration;

use skyport_core::config::{Config, Profile};
use skyport_core::connect::{connect, ConnectError, ConnectOptions, CredentialUsed, TokenSlot};
use skyport_core::error::{Coded, ErrorCode};
use skyport_core::keyring::{MemoryStore, SecretStoreExt};
use skyport_core::paths::Paths;
use skyport_core::secret::SecretString;
use skyport_core::skaha::ListQuery;
use skyport_sim::SimConfig;

#[tokio::test]
async fn precedence_env_then_saved_then_certificate() {
    let sim = skyport_sim::start(SimConfig {
        tokens: vec![("env-tok".into(), "alice".into())],
        ..Default::default()
    })
    .await
    .expect("sim");
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    std::fs::create_dir_all(&paths.ssl_dir).expect("ssl dir");
    let ca = home.path().join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("ca");
    let mut cfg = Config::default();
    cfg.upsert(
        "sim",
        Profile {
            url: sim.https_url().join("skaha").expect("url").to_string(),
            ca_file: Some(ca),
            ..Default::default()
        },
    )
    .expect("profile");
    let profile = cfg.resolve(None, None).expect("resolve");
    let store = MemoryStore::default();

    // Nothing at all: sign-in needed, with advice.
    let err =
        connect(&paths, &profile, &store, &ConnectOptions::default()).expect_err("no credential");
    assert_eq!(err.code(), ErrorCode::SignInNeeded);
    assert!(err.to_string().contains("skyport login"), "{err}");

    // A certificate alone works over TLS.
    std::fs::write(
        paths.cert_file(),
        sim.issue_client_cert("alice", Duration::from_secs(3600)),
    )
    .expect("cert");
    let c = connect(&paths, &profile, &store, &ConnectOptions::default()).expect("cert connection");
    assert!(matches!(c.credential, CredentialUsed::Certificate { .. }));
    c.client
        .list_sessions(&ListQuery::default())
        .await
        .expect("list with certificate");

    // A saved token wins over the certificate.
    store
        .set(
            &TokenSlot::Token.key("sim"),
            &SecretString::new(sim.login_token("alice")),
        )
        .expect("save");
    let c =
        connect(&paths, &profile, &store, &ConnectOptions::default()).expect("token connection");
    assert_eq!(c.credential, CredentialUsed::SavedToken);
    c.client
        .list_sessions(&ListQuery::default())
        .await
        .expect("list with saved token");

    // The environment token wins over everything.
    let opts = ConnectOptions {
        env_token: Some(SecretString::new("env-tok".into())),
        ..Default::default()
    };
    let c = connect(&paths, &profile, &store, &opts).expect("env connection");
    assert_eq!(c.credential, CredentialUsed::EnvToken);
    c.client
        .list_sessions(&ListQuery::default())
        .await
        .expect("list with env token");
}

#[tokio::test]
async fn expired_and_malformed_certificates_say_what_to_do() {
    let sim = skyport_sim::start(SimConfig::default()).await.expect("sim");
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    std::fs::create_dir_all(&paths.ssl_dir).expect("ssl dir");
    let mut cfg = Config::default();
    cfg.upsert(
        "sim",
        Profile {
            url: sim.skaha_url().to_string(),
            ..Default::default()
        },
    )
    .expect("profile");
    let profile = cfg.resolve(None, None).expect("resolve");
    let store = MemoryStore::default();

    std::fs::write(paths.cert_file(), "-----BEGIN CERTIFICATE-----\ngarbage\n").expect("write");
    let err = connect(&paths, &profile, &store, &ConnectOptions::default()).expect_err("malformed");
    assert_eq!(err.code(), ErrorCode::CertificateInvalid, "{err}");
    assert!(matches!(err, ConnectError::Cert(_)));

    // Make an already expired certificate: validity of one second, then wait it out.
    std::fs::write(
        paths.cert_file(),
        sim.issue_client_cert("alice", Duration::from_secs(1)),
    )
    .expect("write");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let err = connect(&paths, &profile, &store, &ConnectOptions::default()).expect_err("expired");
    assert_eq!(err.code(), ErrorCode::CertificateExpired, "{err}");
    assert!(err.to_string().contains("skyport cert renew"), "{err}");
}

// Security review #12, item 4: a platform reached over plain HTTP on another machine gets no
// credential of any kind; loopback (the demo platform, these tests) is the one exception.
#[test]
fn plain_http_to_another_machine_gets_no_credential() {
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    let store = MemoryStore::default();
    let opts = ConnectOptions {
        env_token: Some(SecretString::new("tok-never-in-clear".into())),
        ..Default::default()
    };
    let profile_for = |url: &str| {
        let mut cfg = Config::default();
        cfg.upsert(
            "p",
            Profile {
                url: url.into(),
                ..Default::default()
            },
        )
        .expect("profile");
        cfg.resolve(None, None).expect("resolve")
    };
    let err = connect(
        &paths,
        &profile_for("http://ws-uv.canfar.net/skaha"),
        &store,
        &opts,
    )
    .expect_err("plain http elsewhere");
    assert!(matches!(err, ConnectError::Insecure(_)), "{err:?}");
    assert_eq!(err.code(), ErrorCode::Config);
    assert!(err.to_string().contains("only over HTTPS"), "{err}");
    for ok in [
        "https://ws-uv.canfar.net/skaha",
        "http://127.0.0.1:8080/skaha",
        "http://localhost:8080/skaha",
    ] {
        let c = connect(&paths, &profile_for(ok), &store, &opts).expect(ok);
        assert!(matches!(c.credential, CredentialUsed::EnvToken));
    }
}
