//! The X.509 certificate in the real app against the sim: the countdown of a certificate
//! that runs out in two days (status bar: expiring), Renew now refused without a stored
//! credential, Obtain with the demo password (remembered), Renew now with it, and a
//! certificate copied in from outside (temp file + rename, as renewal tools do) shown
//! within a second, without restarting the app.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use skyport_sim::SimConfig;

use crate::harness::{driver_or_skip, App, GUI};

const DAY: u64 = 24 * 3600;

/// A profile for the sim's TLS listener (client certificates need TLS), trusting the sim's
/// CA, with its login and credential services, written into SKYPORT_HOME. Named for this
/// file: the tests share one keyring, keyed by profile name (see signin.rs).
pub(crate) fn write_profile(home: &Path, sim: &skyport_sim::SimHandle) {
    let dir = home.join("config");
    std::fs::create_dir_all(&dir).expect("config dir");
    let ca = home.join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("sim CA");
    let url = sim.https_url().join("skaha").expect("skaha url");
    let base = sim.base_url();
    let toml = format!(
        "version = 1\nactive = \"certs\"\n\n[profiles.certs]\nurl = \"{url}\"\nca_file = \"{}\"\n\
         login_url = \"{base}ac/login\"\ncred_url = \"{base}cred/generate\"\n",
        ca.display()
    );
    std::fs::write(dir.join("config.toml"), toml).expect("config");
}

/// Put `pem` at `<ssl>/cadcproxy.pem` the way renewal tools do: a private temp file in the
/// same folder, then an atomic rename over the old one.
pub(crate) fn install_cert(ssl: &Path, pem: &str) {
    std::fs::create_dir_all(ssl).expect(".ssl folder");
    std::fs::set_permissions(ssl, std::fs::Permissions::from_mode(0o700)).expect("chmod .ssl");
    let tmp = ssl.join(".cadcproxy.pem.new");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .expect("temp certificate file");
    f.write_all(pem.as_bytes()).expect("write certificate");
    f.sync_all().expect("sync certificate");
    drop(f);
    std::fs::rename(&tmp, ssl.join("cadcproxy.pem")).expect("rename certificate into place");
}

/// textContent of the first match (robust to re-renders), or None.
async fn text_content(app: &App, css: &str) -> Option<String> {
    let el = app.client.find(Locator::Css(css)).await.ok()?;
    el.prop("textContent").await.ok().flatten()
}

/// Wait until the attribute of `css` equals `want`.
async fn wait_attr(app: &App, css: &str, attr: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = None;
    loop {
        if let Ok(el) = app.client.find(Locator::Css(css)).await {
            last = el.attr(attr).await.ok().flatten();
            if last.as_deref() == Some(want) {
                return;
            }
        }
        if Instant::now() > deadline {
            app.screenshot("certs-failure").await;
            panic!("{css:?} [{attr}] never became {want:?}; last: {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until `css`'s text contains one of `needles`; returns the text.
async fn wait_any(app: &App, css: &str, needles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = None;
    loop {
        if let Some(t) = text_content(app, css).await {
            if needles.iter().any(|n| t.contains(n)) {
                return t;
            }
            last = Some(t);
        }
        if Instant::now() > deadline {
            app.screenshot("certs-failure").await;
            panic!("{css:?} never contained any of {needles:?}; last: {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// About ten days, as a fresh certificate from the credential service reads in its first
/// minutes (its end may fall a second either side of now + 10 d).
const TEN_DAYS: &[&str] = &["9 d 23 h left", "10 d left"];

/// Wait until `css`'s text differs from `old`; returns the new text.
async fn wait_changed(app: &App, css: &str, old: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(t) = text_content(app, css).await {
            if t.trim() != old.trim() && !t.trim().is_empty() {
                return t;
            }
        }
        if Instant::now() > deadline {
            app.screenshot("certs-failure").await;
            panic!("{css:?} still reads {old:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn countdown_obtain_renew_and_a_copied_certificate() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig {
        seed_sessions: 1,
        seed_owner: Some("alice".into()),
        ..Default::default()
    })
    .await
    .expect("sim");
    let home = tempfile::tempdir().expect("home");
    write_profile(home.path(), &sim);
    let ssl = home.path().join(".ssl");
    install_cert(
        &ssl,
        &sim.issue_client_cert("alice", Duration::from_secs(2 * DAY)),
    );
    // No ~/.netrc of the machine may answer for the sim.
    let no_netrc = home.path().join("no-netrc");
    let app = App::start_with_home(
        "certs",
        &driver,
        home.path(),
        &[("NETRC", no_netrc.to_str().expect("utf-8 path"))],
    )
    .await;

    // The certificate is the credential in use: the status bar counts down. A freshly
    // issued 2-day certificate is not "expiring" yet (that starts in its last third, or
    // the last 3 days of a longer one: the same rule as the card and the tray).
    app.wait_text(
        "[data-testid=credential-status]",
        "Certificate: 1 d 23 h left",
    )
    .await;
    wait_attr(
        &app,
        "[data-testid=credential-status]",
        "data-state",
        "signed_in",
    )
    .await;
    app.click("nav button[data-view=credentials]").await;
    app.wait_text("[data-testid=cert-countdown]", "1 d 23 h left")
        .await;
    app.wait_text("[data-testid=cert-subject]", "alice").await;
    let path = app.text("[data-testid=cert-path]").await;
    assert!(
        path.ends_with(".ssl/cadcproxy.pem"),
        "file path shown: {path:?}"
    );
    app.screenshot("certs-initial").await;

    // Nothing stored to renew with: the message says to use a password.
    app.click("[data-testid=cert-renew]").await;
    app.wait_text("[data-testid=cert-error]", "remember your password")
        .await;
    app.screenshot("certs-renew-refused").await;

    // Obtain with the demo user's password, remembered for later renewals.
    app.click("[data-testid=cert-obtain]").await;
    app.fill("#obtain-username", "alice").await;
    app.fill("#obtain-password", "skyport-demo").await;
    app.click("[data-testid=obtain-remember]").await;
    app.screenshot("certs-obtain-dialog").await;
    app.click("[data-testid=obtain-submit]").await;
    wait_any(&app, "[data-testid=cert-countdown]", TEN_DAYS).await;
    app.wait_text("[data-testid=cert-action-status]", "Renewed — valid until")
        .await;
    wait_any(&app, "[data-testid=credential-status]", TEN_DAYS).await;
    wait_attr(
        &app,
        "[data-testid=credential-status]",
        "data-state",
        "signed_in",
    )
    .await;
    let page = app.client.source().await.expect("source");
    assert!(
        !page.contains("skyport-demo"),
        "the password must not stay in the DOM"
    );
    app.screenshot("certs-obtained").await;

    // Renew now works with the remembered password: a new serial, still ~10 days.
    let serial = app.text("[data-testid=cert-serial]").await;
    app.click("[data-testid=cert-renew]").await;
    let renewed = wait_changed(&app, "[data-testid=cert-serial]", &serial).await;
    println!("renewed: serial {serial} -> {}", renewed.trim());
    wait_any(&app, "[data-testid=cert-countdown]", TEN_DAYS).await;

    // Another tool replaces the file: the view follows, with no restart. (How fast is a
    // figure for `make bench`, not a deadline here.)
    let pem = sim.issue_client_cert("alice", Duration::from_secs(5 * DAY));
    install_cert(&ssl, &pem);
    app.wait_text("[data-testid=cert-countdown]", "4 d 23 h left")
        .await;
    app.wait_text(
        "[data-testid=credential-status]",
        "Certificate: 4 d 23 h left",
    )
    .await;
    app.screenshot("certs-copied").await;
    app.stop().await;
}
