//! Sign-in, the keyring shared with the app, and certificates: `login`, `logout`,
//! `auth status`, `cert status|obtain|renew`. Tests that store secrets need the real OS
//! keyring (gnome-keyring under `make test`); the others run anywhere.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use skyport_core::config::Config;
use skyport_core::connect::{connect, ConnectOptions, CredentialUsed, TokenSlot};
use skyport_core::keyring::{EntryKey, OsKeyring, SecretStoreExt};
use skyport_core::secret::SecretString;
use skyport_core::skaha::ListQuery;
use skyport_sim::{FaultRule, SimHandle};

/// A config-file profile for this sim, named uniquely (keyring entries are global).
async fn profile_home(sim: &SimHandle) -> (Home, String) {
    let home = Home::new();
    let name = format!("sim{}", sim.addrs().http.port());
    home.run(&["profiles", "add", &name, sim.skaha_url().as_str(), "--use"])
        .await
        .ok();
    (home, name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_sign_in_is_the_apps_sign_in_and_back() {
    let Some(_turn) = keyring_turn("a_cli_sign_in_is_the_apps_sign_in_and_back").await else {
        return;
    };
    let sim = sim().await;
    let (home, name) = profile_home(&sim).await;

    // Not signed in yet: exit 3 with advice.
    home.run(&["ps"])
        .await
        .code(3)
        .err_has("skyport login")
        .out_empty();
    home.run(&["auth", "status"])
        .await
        .code(3)
        .out_has("none usable");

    // CLI sign-in with a password…
    let r = home
        .run_stdin(
            &["login", "--password-stdin", "-u", "alice"],
            "skyport-demo\n",
        )
        .await;
    r.ok().out_empty().err_has("Signed in").err_has("as alice");
    assert!(
        !r.stderr.contains("skyport-demo"),
        "the password is never shown"
    );
    home.run(&["ps"]).await.ok();

    // …is what the app's path (core::connect with the OS keyring) uses.
    let paths = home.paths();
    let cfg = Config::load(&paths.config_file()).unwrap();
    assert_eq!(
        cfg.profiles[&name].username.as_deref(),
        Some("alice"),
        "the username is kept in the shared config"
    );
    let profile = cfg.resolve(None, None).unwrap();
    let conn = connect(&paths, &profile, &OsKeyring, &ConnectOptions::default()).unwrap();
    assert_eq!(conn.credential, CredentialUsed::SavedToken);
    conn.client
        .list_sessions(&ListQuery::default())
        .await
        .expect("the app lists sessions with the CLI's token");

    // And a token the app saves through core is what the CLI uses.
    OsKeyring
        .set(
            &TokenSlot::Token.key(&name),
            &SecretString::new(BOB_TOKEN.into()),
        )
        .unwrap();
    let st = home.run(&["auth", "status", "--json", "--check"]).await;
    let v = st.ok().json();
    assert_eq!(v["profile"], name.as_str());
    assert_eq!(v["credential"]["kind"], "saved_token");
    assert_eq!(v["accepted"], true);
    assert_eq!(v["fromEnv"], false);
    let id = ids(home.run(&["create", "notebook", IMAGE]).await.ok())[0].clone();
    let info = home.run(&["info", &id, "--json"]).await.json();
    assert_eq!(info[0]["userid"], "bob", "the CLI used the app's token");

    // Logout removes the entries for both.
    home.run(&["logout"]).await.ok().err_has("Signed out");
    assert!(OsKeyring
        .get(&TokenSlot::Token.key(&name))
        .unwrap()
        .is_none());
    assert!(connect(&paths, &profile, &OsKeyring, &ConnectOptions::default()).is_err());
    home.run(&["ps"]).await.code(3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_login_and_remembered_password_renewal() {
    let Some(_turn) = keyring_turn("token_login_and_remembered_password_renewal").await else {
        return;
    };
    let sim = sim().await;
    let (home, name) = profile_home(&sim).await;

    // A token the platform refuses is not saved (exit 3); a good one is.
    home.run_stdin(&["login", "--token-stdin"], "not-a-token\n")
        .await
        .code(3)
        .err_has("did not accept");
    assert!(OsKeyring
        .get(&TokenSlot::Token.key(&name))
        .unwrap()
        .is_none());
    home.run_stdin(&["login", "--token-stdin"], &format!("{TOKEN}\n"))
        .await
        .ok()
        .err_has("Token saved");
    let v = home.run(&["auth", "status", "--json"]).await.json();
    assert_eq!(v["credential"]["kind"], "saved_token");
    // --no-verify saves without asking the platform.
    home.run_stdin(
        &["login", "--token-stdin", "--no-verify"],
        "unchecked-token\n",
    )
    .await
    .ok();
    assert_eq!(
        OsKeyring
            .get(&TokenSlot::Token.key(&name))
            .unwrap()
            .unwrap()
            .expose(),
        "unchecked-token"
    );

    // Password sign-in that keeps the password: the certificate renews unattended.
    home.run_stdin(
        &[
            "login",
            "--password-stdin",
            "-u",
            "alice",
            "--remember-password",
        ],
        "skyport-demo\n",
    )
    .await
    .ok();
    assert!(OsKeyring
        .get(&EntryKey::new(&name, "password"))
        .unwrap()
        .is_some());
    let r = home.run(&["cert", "renew", "--days", "2"]).await;
    r.ok().err_has("Saved a 2-day certificate");
    home.run(&["cert", "status"]).await.ok().out_has("CN=alice");

    // A SKYPORT_TOKEN in the environment wins, and login says so.
    let mut with_env = Home::new();
    with_env.url = Some(sim.skaha_url().to_string());
    with_env.token = Some(TOKEN.into());
    let r = with_env
        .run_stdin(
            &["login", "--password-stdin", "-u", "alice"],
            "skyport-demo\n",
        )
        .await;
    r.ok().err_has("SKYPORT_TOKEN is set");
    let env_name = format!("127.0.0.1:{}", sim.addrs().http.port());
    with_env.run(&["logout"]).await.ok().err_has("still set");
    assert!(OsKeyring
        .get(&TokenSlot::Token.key(&env_name))
        .unwrap()
        .is_none());

    home.run(&["logout"]).await.ok();
    for entry in [
        "token",
        "password",
        "oidc-access-token",
        "oidc-refresh-token",
    ] {
        assert!(
            OsKeyring
                .get(&EntryKey::new(&name, entry))
                .unwrap()
                .is_none(),
            "{entry} left behind"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_errors_are_clear_and_save_nothing() {
    let sim = sim().await;
    let home = Home::env(&sim, None);
    home.run_stdin(&["login", "--password-stdin", "-u", "alice"], "wrong\n")
        .await
        .code(3)
        .err_has("wrong username or password");
    home.run_stdin(&["login", "--password-stdin"], "skyport-demo\n")
        .await
        .code(2)
        .err_has("--username");
    home.run(&["login", "--password", "-u", "alice"])
        .await
        .code(2)
        .err_has("--password-stdin");
    home.run_stdin(&["login", "--password-stdin", "-u", "alice"], "\n")
        .await
        .code(2)
        .err_has("no password");
    home.run(&["login", "--token"])
        .await
        .code(2)
        .err_has("--token-stdin");
    home.run(&["login", "--password", "--token"]).await.code(2);
    home.run(&["login", "--device", "--password"]).await.code(2);
    home.run(&["login", "-u", "alice"])
        .await
        .code(2)
        .err_has("go with --password");
    // A platform given only by URL has no OIDC provider: a clear config error (exit 1).
    for args in [vec!["login"], vec!["login", "--device"]] {
        home.run(&args)
            .await
            .code(1)
            .err_has("has no OpenID Connect provider");
    }
    home.run_stdin(&["login", "--token-stdin"], "two words\n")
        .await
        .code(2);
    // The sign-in service unavailable or unreachable: exit 4.
    sim.set_fault(FaultRule {
        route: Some("/ac/login".into()),
        unavailable_rate: 1.0,
        ..Default::default()
    });
    home.run_stdin(
        &["login", "--password-stdin", "-u", "alice"],
        "skyport-demo\n",
    )
    .await
    .code(4)
    .err_has("temporarily unavailable");
    sim.clear_faults();
    let mut dead = Home::new();
    dead.url = Some(dead_url());
    dead.run_stdin(
        &["login", "--password-stdin", "-u", "alice"],
        "skyport-demo\n",
    )
    .await
    .code(4)
    .err_has("could not be reached");
    // A login URL with no login service behind it.
    home.run_stdin(
        &[
            "login",
            "--password-stdin",
            "-u",
            "alice",
            "--login-url",
            &format!("{}nope/login", sim.base_url()),
        ],
        "skyport-demo\n",
    )
    .await
    .code(1)
    .err_has("--login-url");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyring_missing_is_exit_6() {
    let sim = sim().await;
    let mut home = Home::env(&sim, None);
    home.set(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/skyport-bus",
    );
    let r = home.run(&["ps"]).await;
    r.code(6).err_has("keyring").out_empty();
    // SKYPORT_TOKEN needs no keyring at all.
    let mut home = Home::env(&sim, Some(TOKEN));
    home.set(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/skyport-bus",
    );
    home.run(&["ps"]).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_obtain_status_renew_and_failures() {
    let sim = sim_with(|c| c.max_days_valid = 7.0).await;
    let home = Home::env(&sim, None);

    // Nothing yet: exit 5.
    home.run(&["cert", "status"])
        .await
        .code(5)
        .err_has("does not exist")
        .out_empty();
    let v = home.run(&["cert", "status", "--json"]).await;
    assert_eq!(v.code, 5);
    assert_eq!(v.json()["state"], "missing");

    // No terminal and nothing to authenticate with: exit 2 naming the ways.
    home.run(&["cert", "obtain"])
        .await
        .code(2)
        .err_has("--password-stdin");

    // Username + password on stdin; the server caps 10 days at 7.
    let r = home
        .run_stdin(
            &["cert", "obtain", "-u", "alice", "--password-stdin"],
            "skyport-demo\n",
        )
        .await;
    r.ok()
        .err_has("at most 7 days")
        .err_has("Saved a 7-day certificate");
    let st = home.run(&["cert", "status"]).await;
    st.ok()
        .out_has("CN=alice")
        .out_has("Skyport Sim Local CA")
        .out_has("left");
    let j = home.run(&["cert", "status", "--json"]).await.json();
    assert_eq!(j["state"], "fine");
    assert!(j["notAfter"].is_string());
    let before = std::fs::read(home.cert_file()).unwrap();

    // A wrong password: exit 3, the certificate untouched.
    home.run_stdin(
        &["cert", "obtain", "-u", "alice", "--password-stdin"],
        "nope\n",
    )
    .await
    .code(3)
    .err_has("wrong username or password");
    assert_eq!(std::fs::read(home.cert_file()).unwrap(), before);
    // The service down: exit 4, the certificate untouched.
    sim.set_fault(FaultRule {
        route: Some("/cred/generate".into()),
        unavailable_rate: 1.0,
        ..Default::default()
    });
    home.run_stdin(
        &["cert", "obtain", "-u", "alice", "--password-stdin"],
        "skyport-demo\n",
    )
    .await
    .code(4)
    .err_has("unchanged");
    sim.clear_faults();
    assert_eq!(std::fs::read(home.cert_file()).unwrap(), before);

    // A short certificate in place, so the next ones are longer (a certificate is never
    // replaced by one that ends earlier).
    std::fs::write(
        home.cert_file(),
        sim.issue_client_cert("alice", Duration::from_secs(3600)),
    )
    .unwrap();
    // ~/.netrc, as cadc-get-cert -n reads it: refused while others can read it.
    let netrc = home.path().join(".netrc");
    std::fs::write(
        &netrc,
        "machine 127.0.0.1 login alice password skyport-demo\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o644)).unwrap();
        home.run(&["cert", "obtain", "--netrc"])
            .await
            .code(1)
            .err_has("chmod 600");
        std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    home.run(&["cert", "obtain", "--netrc", "--days", "5"])
        .await
        .ok();
    // cert renew finds ~/.netrc by itself.
    home.run(&["cert", "renew", "--days", "7"]).await.ok();
    std::fs::remove_file(&netrc).unwrap();
    // With nothing at all (and no terminal): exit 3 saying what would work.
    let bare = Home::env(&sim, None);
    bare.run(&["cert", "renew"])
        .await
        .code(3)
        .err_has("nothing to renew the certificate");
    // A token (SKYPORT_TOKEN) renews too.
    let with_token = Home::env(&sim, Some(TOKEN));
    with_token
        .run(&["cert", "renew", "--days", "1", "--json"])
        .await
        .ok();

    // A damaged file: exit 5 from status.
    std::fs::write(home.cert_file(), "-----BEGIN CERTIFICATE-----\ngarbage\n").unwrap();
    home.run(&["cert", "status"]).await.code(5);
    // An expired one: exit 5 saying so.
    std::fs::write(
        home.cert_file(),
        sim.issue_client_cert("alice", Duration::from_secs(1)),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = home.run(&["cert", "status"]).await;
    r.code(5).out_has("expired");
    // Bad --days / --cred-url are usage errors.
    home.run(&["cert", "renew", "--days", "-3"]).await.code(2);
    home.run(&["cert", "renew", "--cred-url", "ftp://x/cred"])
        .await
        .code(2)
        .err_has("https://");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_and_bad_certificates_for_session_commands() {
    let Some(_turn) = keyring_turn("no_credential_and_bad_certificates_for_session_commands").await
    else {
        return;
    };
    let sim = sim().await;
    let home = Home::env(&sim, None);
    home.run(&["ps"])
        .await
        .code(3)
        .err_has("not signed in")
        .out_empty();
    std::fs::create_dir_all(home.cert_file().parent().unwrap()).unwrap();
    std::fs::write(home.cert_file(), "-----BEGIN CERTIFICATE-----\ngarbage\n").unwrap();
    home.run(&["ps"]).await.code(5).out_empty();
    home.run(&["auth", "status"]).await.code(5);
    std::fs::write(
        home.cert_file(),
        sim.issue_client_cert("alice", Duration::from_secs(1)),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    home.run(&["ps"])
        .await
        .code(5)
        .err_has("skyport cert renew");
    // A valid certificate over the sim's TLS listener works for the session commands.
    std::fs::write(
        home.cert_file(),
        sim.issue_client_cert("alice", Duration::from_secs(3600)),
    )
    .unwrap();
    let ca = home.path().join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let (tls_home, _) = {
        let h = Home::new();
        let name = format!("tls{}", sim.addrs().https.port());
        let url = sim.https_url().join("skaha").unwrap();
        h.run(&[
            "profiles",
            "add",
            &name,
            url.as_str(),
            "--ca-file",
            ca.to_str().unwrap(),
            "--use",
        ])
        .await
        .ok();
        (h, name)
    };
    std::fs::create_dir_all(tls_home.cert_file().parent().unwrap()).unwrap();
    std::fs::copy(home.cert_file(), tls_home.cert_file()).unwrap();
    let st = tls_home.run(&["auth", "status", "--json", "--check"]).await;
    let v = st.ok().json();
    assert_eq!(v["credential"]["kind"], "certificate");
    assert!(v["credential"]["countdown"]
        .as_str()
        .unwrap()
        .contains("left"));
    assert_eq!(v["accepted"], true);
    tls_home.run(&["ps"]).await.ok();
}
