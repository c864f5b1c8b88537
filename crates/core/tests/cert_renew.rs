//! `cert::renew::renew_certificate` against skyport-sim: each credential source (a
//! remembered password, a netrc entry, a saved token, the sign-in), the credential order,
//! no credential at all, a refused password, HTTPS with the profile's CA file, and
//! server faults, after each of which the old certificate must be intact and usable.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use skyport_core::auth::oidc::{self, TokenSet};
use skyport_core::cert::obtain::CredAuth;
use skyport_core::cert::renew::{PASSWORD_ENTRY, USERNAME_ENTRY};
use skyport_core::cert::{
    backup_path, renew_certificate, CertBundle, CredentialSource, RenewError, RenewOptions,
};
use skyport_core::config::{Profile, ResolvedProfile};
use skyport_core::connect::TokenSlot;
use skyport_core::error::{Coded, ErrorCode};
use skyport_core::keyring::{EntryKey, MemoryStore, SecretStoreExt};
use skyport_core::paths::Paths;
use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_sim::{FaultRule, SimConfig, SimHandle};

const PASSWORD: &str = "skyport-demo";

/// A profile for the sim, with a home of its own (certificate under `<home>/.ssl`).
struct Setup {
    home: tempfile::TempDir,
    paths: Paths,
    store: MemoryStore,
    profile: ResolvedProfile,
}

impl Setup {
    fn new(skaha_url: &str) -> Setup {
        let home = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(home.path().to_path_buf()).expect("paths");
        let profile = ResolvedProfile {
            name: "sim".into(),
            profile: Profile {
                url: skaha_url.into(),
                username: Some("alice".into()),
                remember_password: true,
                ..Default::default()
            },
            service: ServiceUrl::parse(skaha_url).expect("service url"),
            from_env: false,
        };
        Setup {
            home,
            paths,
            store: MemoryStore::default(),
            profile,
        }
    }

    fn for_sim(sim: &SimHandle) -> Setup {
        Setup::new(sim.skaha_url().as_str())
    }

    fn cert(&self) -> PathBuf {
        self.paths.cert_file()
    }

    /// Options that never read the real `~/.netrc`.
    fn opts(&self) -> RenewOptions {
        RenewOptions {
            netrc_path: Some(self.home.path().join("no-such-netrc")),
            timeout: Some(Duration::from_secs(20)),
            ..Default::default()
        }
    }

    fn remember(&self, name: &str, value: &str) {
        self.store
            .set(
                &EntryKey::new("sim", name),
                &SecretString::new(value.to_string()),
            )
            .expect("keyring");
    }

    async fn renew(&self, opts: &RenewOptions) -> Result<skyport_core::cert::Renewed, RenewError> {
        renew_certificate(&self.paths, &self.store, &self.profile, opts).await
    }

    /// A short (one-day) certificate from the sim CA in the certificate's place.
    fn seed_old_cert(&self, sim: &SimHandle) -> Vec<u8> {
        let pem = sim.issue_client_cert("alice", Duration::from_secs(86_400));
        write_private(&self.cert(), pem.as_bytes());
        CertBundle::load(&self.cert()).expect("the seeded certificate is valid");
        pem.into_bytes()
    }

    fn netrc(&self, text: &str) -> PathBuf {
        let p = self.home.path().join("netrc");
        write_private(&p, text.as_bytes());
        p
    }
}

fn write_private(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

async fn sim() -> SimHandle {
    skyport_sim::start(SimConfig::default()).await.expect("sim")
}

/// The renewal replaced `old` with a later certificate and kept `old` as `.bak`.
fn assert_replaced(setup: &Setup, old: &[u8], got: &skyport_core::cert::Renewed) {
    let old_bundle = CertBundle::parse(old).expect("old");
    let new = CertBundle::load(&setup.cert()).expect("the new certificate is valid");
    assert!(new.not_after() > old_bundle.not_after());
    assert_eq!(new.info().not_after, got.info.not_after);
    assert_eq!(got.replaced_not_after, Some(old_bundle.not_after()));
    let bak = backup_path(&setup.cert());
    assert_eq!(
        got.backup.as_deref(),
        Some(bak.display().to_string().as_str())
    );
    assert_eq!(
        std::fs::read(&bak).expect(".bak"),
        old,
        ".bak holds the old one"
    );
    let left = new.not_after() - Utc::now();
    assert!(
        left > chrono::Duration::days(9) && left <= chrono::Duration::days(10),
        "{left}"
    );
}

#[tokio::test]
async fn renews_with_the_remembered_password() {
    let sim = sim().await;
    let s = Setup::for_sim(&sim);
    let old = s.seed_old_cert(&sim);
    s.remember(PASSWORD_ENTRY, PASSWORD);
    let got = s.renew(&s.opts()).await.expect("renewed");
    assert_eq!(got.source, CredentialSource::RememberedPassword);
    assert_eq!(got.used, "the password remembered for alice");
    assert_eq!(got.days_valid, 10.0);
    assert!(got.info.subject.contains("alice"), "{}", got.info.subject);
    assert_eq!(got.path, s.cert().display().to_string());
    assert_replaced(&s, &old, &got);
    assert!(!format!("{got:?}").contains(PASSWORD));

    // Renewing again at once still gives a later certificate (a renewal never
    // shortens it, and the write refuses one that is not newer).
    let again = s.renew(&s.opts()).await.expect("renewed again");
    assert!(again.days_valid > 10.0, "{}", again.days_valid);
    assert!(again.info.not_after > got.info.not_after);
    assert_eq!(again.replaced_not_after, Some(got.info.not_after));
}

#[tokio::test]
async fn obtains_a_first_certificate_and_honours_the_server_cap() {
    let sim = skyport_sim::start(SimConfig {
        max_days_valid: 7.0,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let s = Setup::for_sim(&sim);
    s.remember(PASSWORD_ENTRY, PASSWORD);
    assert!(!s.cert().exists());
    let got = s.renew(&s.opts()).await.expect("obtained");
    assert_eq!(got.days_valid, 7.0, "asked for 10, the service allows 7");
    assert_eq!(got.backup, None);
    CertBundle::load(&s.cert()).expect("valid");
}

#[tokio::test]
async fn renews_with_a_netrc_entry_for_the_cred_host() {
    let sim = sim().await;
    let s = Setup::for_sim(&sim);
    let old = s.seed_old_cert(&sim);
    let netrc = s.netrc(&format!(
        "machine elsewhere.example login x password y\nmachine 127.0.0.1 login alice password {PASSWORD}\n"
    ));
    let opts = RenewOptions {
        netrc_path: Some(netrc),
        ..s.opts()
    };
    let got = s.renew(&opts).await.expect("renewed");
    assert_eq!(got.source, CredentialSource::Netrc);
    assert!(
        got.used.contains("netrc entry for 127.0.0.1 (login alice)"),
        "{}",
        got.used
    );
    assert_replaced(&s, &old, &got);

    // A netrc entry for another host does not count.
    let s = Setup::for_sim(&sim);
    let netrc = s.netrc("machine elsewhere.example login alice password pw\n");
    let e = s
        .renew(&RenewOptions {
            netrc_path: Some(netrc),
            ..s.opts()
        })
        .await
        .expect_err("no entry for the host");
    assert_eq!(e.code(), ErrorCode::SignInNeeded);
}

#[tokio::test]
async fn renews_with_a_saved_token_or_the_sign_in() {
    let sim = sim().await;
    let s = Setup::for_sim(&sim);
    let old = s.seed_old_cert(&sim);
    s.store
        .set(
            &TokenSlot::Token.key("sim"),
            &SecretString::new(sim.login_token("bob")),
        )
        .expect("keyring");
    let got = s.renew(&s.opts()).await.expect("renewed");
    assert_eq!(got.source, CredentialSource::SavedToken);
    assert_eq!(got.used, "the saved token");
    assert!(got.info.subject.contains("bob"), "the token decides who");
    assert_replaced(&s, &old, &got);

    // A current sign-in (fresh access token, no refresh needed) comes before it.
    let tokens = TokenSet {
        access: SecretString::new(sim.login_token("alice")),
        refresh: None,
        expires_at: Some(Utc::now() + chrono::Duration::hours(1)),
        identity: None,
    };
    oidc::save_sign_in(
        &s.paths,
        &s.store,
        "sim",
        "http://127.0.0.1:9/unused-issuer",
        "client",
        &tokens,
        Utc::now(),
    )
    .expect("sign-in record");
    let got = s.renew(&s.opts()).await.expect("renewed");
    assert_eq!(got.source, CredentialSource::SignIn);
    assert!(got.info.subject.contains("alice"));

    // SKYPORT_TOKEN (passed by the caller) comes before the stored tokens.
    let got = s
        .renew(&RenewOptions {
            env_token: Some(SecretString::new(sim.login_token("bob"))),
            ..s.opts()
        })
        .await
        .expect("renewed");
    assert_eq!(got.source, CredentialSource::EnvToken);
    assert!(got.info.subject.contains("bob"));
}

#[tokio::test]
async fn a_sign_in_whose_provider_is_down_still_works_until_its_token_runs_out() {
    let sim = sim().await;
    let s = Setup::for_sim(&sim);
    s.seed_old_cert(&sim);
    // A port nobody listens on: refreshing fails as "provider unreachable".
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let issuer = format!("http://{}/", closed.local_addr().expect("addr"));
    drop(closed);
    let save = |expires_in: chrono::Duration| {
        let tokens = TokenSet {
            access: SecretString::new(sim.login_token("alice")),
            refresh: Some(SecretString::new("refresh".into())),
            expires_at: Some(Utc::now() + expires_in),
            identity: None,
        };
        oidc::save_sign_in(
            &s.paths,
            &s.store,
            "sim",
            &issuer,
            "client",
            &tokens,
            Utc::now(),
        )
        .expect("sign-in record");
    };
    // About to run out (inside the refresh leeway) but still valid: used as it is.
    save(chrono::Duration::seconds(60));
    let got = s.renew(&s.opts()).await.expect("renewed");
    assert_eq!(got.source, CredentialSource::SignIn);

    // Already expired and cannot be refreshed: the sign-in is the problem.
    save(-chrono::Duration::seconds(60));
    let before = std::fs::read(s.cert()).expect("read");
    let e = s.renew(&s.opts()).await.expect_err("expired sign-in");
    assert_eq!(e.code(), ErrorCode::ProviderUnreachable, "{e}");
    assert!(e.to_string().contains("could not be refreshed"), "{e}");
    assert_eq!(std::fs::read(s.cert()).expect("read"), before);

    // Expired with no refresh token: nothing to renew with.
    let tokens = TokenSet {
        access: SecretString::new(sim.login_token("alice")),
        refresh: None,
        expires_at: Some(Utc::now() - chrono::Duration::minutes(5)),
        identity: None,
    };
    oidc::save_sign_in(
        &s.paths,
        &s.store,
        "sim",
        &issuer,
        "client",
        &tokens,
        Utc::now(),
    )
    .expect("record");
    let e = s.renew(&s.opts()).await.expect_err("expired");
    assert_eq!(e.code(), ErrorCode::SignInNeeded);
    assert!(e.to_string().contains("access token has expired"), "{e}");
}

#[tokio::test]
async fn no_credential_means_sign_in_needed_with_advice_and_never_the_certificate() {
    let sim = sim().await;
    let s = Setup::for_sim(&sim);
    // A perfectly valid certificate is present, but it may not renew itself.
    let old = s.seed_old_cert(&sim);
    let e = s.renew(&s.opts()).await.expect_err("nothing to renew with");
    assert!(matches!(e, RenewError::NoCredential { .. }), "{e:?}");
    assert_eq!(e.code(), ErrorCode::SignInNeeded);
    assert_eq!(e.code().exit_code(), 3);
    let msg = e.to_string();
    assert!(msg.contains("remember your password"), "{msg}");
    assert!(msg.contains("add a ~/.netrc entry for 127.0.0.1"), "{msg}");
    assert!(msg.contains("or sign in"), "{msg}");
    assert_eq!(std::fs::read(s.cert()).expect("read"), old);
    assert!(!backup_path(&s.cert()).exists());

    // A remembered password without any username cannot be used either.
    let mut s2 = Setup::for_sim(&sim);
    s2.profile.profile.username = None;
    s2.remember(PASSWORD_ENTRY, PASSWORD);
    let e = s2.renew(&s2.opts()).await.expect_err("no username");
    assert!(e.to_string().contains("no username is set"), "{e}");
    // With the username in the keyring (a SKYPORT_URL platform) it works.
    s2.remember(USERNAME_ENTRY, "alice");
    s2.renew(&s2.opts()).await.expect("renewed");
}

#[tokio::test]
async fn a_wrong_remembered_password_is_reported_not_bypassed() {
    let sim = sim().await;
    let s = Setup::for_sim(&sim);
    let old = s.seed_old_cert(&sim);
    s.remember(PASSWORD_ENTRY, "changed-since");
    // Working alternatives exist, but the stale password must be fixed, not hidden.
    let netrc = s.netrc(&format!(
        "machine 127.0.0.1 login alice password {PASSWORD}\n"
    ));
    s.store
        .set(
            &TokenSlot::Token.key("sim"),
            &SecretString::new(sim.login_token("alice")),
        )
        .expect("keyring");
    let e = s
        .renew(&RenewOptions {
            netrc_path: Some(netrc),
            ..s.opts()
        })
        .await
        .expect_err("refused");
    assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e}");
    assert!(
        matches!(
            &e,
            RenewError::Refused {
                status: 401,
                source_kind: CredentialSource::RememberedPassword,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("refused the password remembered for alice"),
        "{msg}"
    );
    assert!(msg.contains("was it changed"), "{msg}");
    assert!(!msg.contains("changed-since"), "never the password: {msg}");
    assert_eq!(
        std::fs::read(s.cert()).expect("read"),
        old,
        "old cert intact"
    );
    CertBundle::load(&s.cert()).expect("and still valid");
    assert!(!backup_path(&s.cert()).exists());

    // A password typed now wins over the remembered one.
    let got = s
        .renew(&RenewOptions {
            explicit: Some(CredAuth::Basic {
                username: "alice".into(),
                password: SecretString::new(PASSWORD.into()),
            }),
            ..s.opts()
        })
        .await
        .expect("explicit");
    assert_eq!(got.source, CredentialSource::Explicit);
    assert_eq!(got.used, "the password you entered for alice");
    let e = s
        .renew(&RenewOptions {
            explicit: Some(CredAuth::Basic {
                username: "alice".into(),
                password: SecretString::new("typo".into()),
            }),
            ..s.opts()
        })
        .await
        .expect_err("typo");
    assert_eq!(e.code(), ErrorCode::PermissionDenied);
    assert!(
        e.to_string().contains("Check the username and password"),
        "{e}"
    );
}

#[tokio::test]
async fn https_platforms_work_with_the_profile_ca_file() {
    let sim = sim().await;
    let url = format!("{}skaha", sim.https_url());
    let mut s = Setup::new(&url);
    s.remember(PASSWORD_ENTRY, PASSWORD);
    // Without the CA the TLS handshake fails: unreachable, nothing written.
    let e = s.renew(&s.opts()).await.expect_err("untrusted");
    assert_eq!(e.code(), ErrorCode::PlatformUnreachable, "{e}");
    assert!(!s.cert().exists());
    let ca = s.home.path().join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("ca");
    s.profile.profile.ca_file = Some(ca);
    let got = s.renew(&s.opts()).await.expect("renewed over HTTPS");
    assert!(got.info.subject.contains("alice"));
}

#[tokio::test]
async fn server_faults_leave_the_old_certificate_intact() {
    let sim = sim().await;
    let s = Setup::for_sim(&sim);
    s.seed_old_cert(&sim);
    s.remember(PASSWORD_ENTRY, PASSWORD);
    // One good renewal first, so there is a .bak to protect too.
    s.renew(&s.opts()).await.expect("renewed");
    let current = std::fs::read(s.cert()).expect("read");
    let bak = std::fs::read(backup_path(&s.cert())).expect("bak");
    let route = || Some("/cred/generate".to_string());
    let once = |rule: FaultRule| FaultRule {
        route: route(),
        times: Some(1),
        ..rule
    };
    let cases: Vec<(&str, FaultRule, &[ErrorCode])> = vec![
        (
            "HTTP 500",
            once(FaultRule {
                error_rate: 1.0,
                ..Default::default()
            }),
            &[ErrorCode::PlatformError],
        ),
        (
            "HTTP 502",
            once(FaultRule {
                error_rate: 1.0,
                error_status: 502,
                ..Default::default()
            }),
            &[ErrorCode::PlatformError],
        ),
        (
            "HTTP 503 with Retry-After",
            once(FaultRule {
                unavailable_rate: 1.0,
                retry_after: 30,
                ..Default::default()
            }),
            &[ErrorCode::PlatformUnavailable],
        ),
        (
            "garbage with HTTP 200",
            once(FaultRule {
                error_rate: 1.0,
                error_status: 200,
                ..Default::default()
            }),
            &[ErrorCode::CertificateInvalid],
        ),
        (
            "body cut after 300 bytes",
            once(FaultRule {
                truncate_rate: 1.0,
                truncate_bytes: 300,
                ..Default::default()
            }),
            &[
                ErrorCode::CertificateInvalid,
                ErrorCode::PlatformUnreachable,
            ],
        ),
        (
            "body cut after the certificate, before the key",
            once(FaultRule {
                truncate_rate: 1.0,
                truncate_bytes: 1200,
                ..Default::default()
            }),
            &[
                ErrorCode::CertificateInvalid,
                ErrorCode::PlatformUnreachable,
            ],
        ),
        (
            "empty body",
            once(FaultRule {
                truncate_rate: 1.0,
                truncate_bytes: 0,
                ..Default::default()
            }),
            &[
                ErrorCode::CertificateInvalid,
                ErrorCode::PlatformUnreachable,
            ],
        ),
        (
            "connection reset",
            once(FaultRule {
                reset_rate: 1.0,
                ..Default::default()
            }),
            &[ErrorCode::PlatformUnreachable],
        ),
        (
            "no such service (404)",
            once(FaultRule {
                error_rate: 1.0,
                error_status: 404,
                ..Default::default()
            }),
            &[ErrorCode::Config],
        ),
    ];
    let mut count = 0;
    for (name, rule, codes) in cases {
        sim.clear_faults();
        sim.set_fault(rule);
        let e = s.renew(&s.opts()).await.expect_err(name);
        assert!(codes.contains(&e.code()), "{name}: {:?} {e}", e.code());
        assert!(!e.to_string().contains(PASSWORD), "{name}: {e}");
        assert_eq!(std::fs::read(s.cert()).expect("read"), current, "{name}");
        CertBundle::load(&s.cert()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            std::fs::read(backup_path(&s.cert())).expect("bak"),
            bak,
            "{name}: .bak untouched"
        );
        count += 1;
    }

    // A service too slow for the timeout.
    sim.clear_faults();
    sim.set_fault(FaultRule {
        route: route(),
        latency_ms: 3_000,
        times: Some(1),
        ..Default::default()
    });
    let e = s
        .renew(&RenewOptions {
            timeout: Some(Duration::from_millis(500)),
            ..s.opts()
        })
        .await
        .expect_err("timeout");
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    assert_eq!(std::fs::read(s.cert()).expect("read"), current);
    count += 1;

    // Nobody listening at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut dead = Setup::for_sim(&sim);
    dead.profile.profile.cred_url = Some(format!("http://127.0.0.1:{port}/cred/generate"));
    write_private(&dead.cert(), &current);
    dead.remember(PASSWORD_ENTRY, PASSWORD);
    let e = dead.renew(&dead.opts()).await.expect_err("unreachable");
    assert_eq!(e.code(), ErrorCode::PlatformUnreachable, "{e}");
    assert!(e.to_string().contains("unchanged"), "{e}");
    assert_eq!(std::fs::read(dead.cert()).expect("read"), current);
    count += 1;

    // The certificate cannot be written (its folder is a file): an I/O error.
    sim.clear_faults();
    let mut blocked = Setup::for_sim(&sim);
    let file = blocked.home.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    blocked.profile.profile.cert_path = Some(file.join("cadcproxy.pem"));
    blocked.remember(PASSWORD_ENTRY, PASSWORD);
    let e = blocked
        .renew(&blocked.opts())
        .await
        .expect_err("cannot write");
    assert_eq!(e.code(), ErrorCode::Io, "{e}");
    count += 1;

    // After all that, the service works again and renewal succeeds.
    let got = s.renew(&s.opts()).await.expect("renewed after the faults");
    assert!(got.info.not_after >= CertBundle::parse(&current).expect("old").not_after());
    println!("fault cases: {count}");
    assert_eq!(count, 12);
}
