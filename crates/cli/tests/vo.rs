//! Credentials for VO services, end to end: each kind added with `skyport credentials add`
//! and used by `skyport curl` against the sim's services that present each challenge; a
//! redirect to another origin carries no credential; `probe` reads CADC's real challenge set;
//! no secret lands in any file or log written meanwhile.

mod common;

use std::path::Path;
use std::process::Command;

use common::{sim, Home, TOKEN};

const PASSWORD: &str = "skyport-demo";

fn origin(sim: &skyport_sim::SimHandle) -> String {
    sim.base_url().as_str().trim_end_matches('/').to_string()
}

fn https_origin(sim: &skyport_sim::SimHandle) -> String {
    sim.https_url().as_str().trim_end_matches('/').to_string()
}

/// Every file under `dir` (logs, config, state): none may hold any of `secrets`.
fn assert_no_secret_in(dir: &Path, secrets: &[&str]) {
    let mut stack = vec![dir.to_path_buf()];
    let mut read = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = std::fs::read(&p).unwrap_or_default();
            read += 1;
            let text = String::from_utf8_lossy(&bytes);
            for s in secrets {
                assert!(!text.contains(s), "{} holds a secret", p.display());
            }
        }
    }
    assert!(read > 0, "no file was written under {}", dir.display());
}

fn ssh_keygen(dir: &Path, name: &str, kind: &[&str], passphrase: &str) -> std::path::PathBuf {
    let key = dir.join(name);
    let st = Command::new("ssh-keygen")
        .args(kind)
        .args(["-q", "-N", passphrase, "-C", "skyport-test", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen (openssh-client) runs");
    assert!(st.success());
    key
}

fn public_line(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub"))
        .or_else(|_| std::fs::read_to_string(format!("{}.pub", key.display())))
        .expect("public key")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_end_to_end_bound_to_its_origin() {
    let Some(_k) = common::keyring_turn("credentials end to end").await else {
        return;
    };
    let sim = sim().await;
    let home = Home::new();
    let o = origin(&sim);
    let add = |args: Vec<String>, stdin: Option<String>| {
        let home = &home;
        async move {
            let mut all = vec!["credentials".to_string(), "add".to_string()];
            all.extend(args);
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            match stdin {
                Some(s) => home.run_stdin(&refs, &s).await,
                None => home.run(&refs).await,
            }
        }
    };
    let curl = |path: &str| {
        let url = format!("{o}{path}");
        let home = &home;
        async move { home.run(&["-vv", "curl", &url]).await }
    };

    // Nothing bound yet: refused, and the message says where to look.
    curl("/vo/basic/data")
        .await
        .code(3)
        .err_has("HTTP 401")
        .err_has("skyport probe URL");

    // Basic.
    add(
        vec![
            "basic".into(),
            "--origin".into(),
            format!("{o}/vo/basic/"),
            "-u".into(),
            "alice".into(),
            "--password-stdin".into(),
            "--name".into(),
            "b".into(),
        ],
        Some(format!("{PASSWORD}\n")),
    )
    .await
    .ok();
    curl("/vo/basic/data")
        .await
        .ok()
        .out_has("hello alice (basic)");
    // Bound to that path only: the cookie service beside it gets nothing.
    curl("/vo/echo/x")
        .await
        .ok()
        .out_has("\"authorization\":false");

    // A ready-made Basic token.
    use base64::Engine as _;
    let basic_token =
        base64::engine::general_purpose::STANDARD.encode(format!("bob:{PASSWORD}-bob"));
    home.run(&["credentials", "remove", "b"]).await.ok();
    add(
        vec![
            "basic-token".into(),
            "--origin".into(),
            format!("{o}/vo/basic/"),
            "--token-stdin".into(),
        ],
        Some(format!("{basic_token}\n")),
    )
    .await
    .ok();
    curl("/vo/basic/data")
        .await
        .ok()
        .out_has("hello bob (basic)");

    // A bearer token, on the whole origin and on another service's: the echo shows it
    // arrives at each…
    let other = common::sim().await;
    let elsewhere = format!("{}/vo/echo/x", origin(&other));
    add(
        vec![
            "bearer".into(),
            "--origin".into(),
            o.clone(),
            "--origin".into(),
            origin(&other),
            "--token-stdin".into(),
            "--name".into(),
            "tok".into(),
        ],
        Some(format!("{TOKEN}\n")),
    )
    .await
    .ok();
    curl("/vo/bearer/data")
        .await
        .ok()
        .out_has("hello alice (bearer)");
    curl("/vo/echo/x")
        .await
        .ok()
        .out_has("\"authorization\":true");
    home.run(&["curl", &elsewhere])
        .await
        .ok()
        .out_has("\"authorization\":true");
    // …but not after a redirect from one to the other: a redirect to another origin never
    // carries a credential, even one bound there.
    let hop = format!("{o}/vo/redirect?to={elsewhere}");
    let r = home.run(&["curl", &hop]).await;
    r.ok()
        .out_has("\"authorization\":false")
        .out_has("\"cookie\":false")
        .err_has("no credential went there");
    // Headers the user gave do not follow it either (harmless ones do).
    let given = [
        "-H",
        "Authorization: Bearer user-given",
        "-H",
        "X-Auth-Token: user-given",
        "-H",
        "Accept: text/plain",
    ];
    let with = |url: &str| {
        let mut args = vec!["curl".to_string()];
        args.extend(given.iter().map(|s| s.to_string()));
        args.push(url.to_string());
        args
    };
    let direct = with(&elsewhere);
    let direct: Vec<&str> = direct.iter().map(String::as_str).collect();
    home.run(&direct).await.ok().out_has("x-auth-token");
    let redirected = with(&hop);
    let redirected: Vec<&str> = redirected.iter().map(String::as_str).collect();
    let r = home.run(&redirected).await;
    r.ok().out_has("\"authorization\":false").out_has("accept");
    assert!(!r.stdout.contains("x-auth-token"), "{r}");

    // Anonymous: a more specific place bound to no credential.
    add(
        vec![
            "anonymous".into(),
            "--origin".into(),
            format!("{o}/vo/echo/"),
        ],
        None,
    )
    .await
    .ok();
    curl("/vo/echo/x")
        .await
        .ok()
        .out_has("\"authorization\":false");

    // A CADC token: the login address found by probing (ivoa_bearer tls-with-password) —
    // and refused, before any password goes, when it is outside the places given.
    add(
        vec![
            "cadc-token".into(),
            "--origin".into(),
            format!("{o}/vo/ivoa-bearer/"),
            "-u".into(),
            "alice".into(),
            "--password-stdin".into(),
        ],
        Some(format!("{PASSWORD}\n")),
    )
    .await
    .code(2)
    .err_has("outside the places");
    add(
        vec![
            "cadc-token".into(),
            "--origin".into(),
            format!("{o}/vo/ivoa-bearer/"),
            "--origin".into(),
            format!("{o}/ac/"),
            "-u".into(),
            "alice".into(),
            "--password-stdin".into(),
        ],
        Some(format!("{PASSWORD}\n")),
    )
    .await
    .ok()
    .err_has("Logging in at");
    curl("/vo/ivoa-bearer/data")
        .await
        .ok()
        .out_has("hello alice (token)");

    // A login cookie (ivoa_cookie): logged in at first use, and again once refused.
    add(
        vec![
            "cookie".into(),
            "--origin".into(),
            format!("{o}/vo/cookie/"),
            "--origin".into(),
            format!("{o}/vo/cookie-login"),
            "-u".into(),
            "alice".into(),
            "--password-stdin".into(),
            "--name".into(),
            "site".into(),
        ],
        Some(format!("{PASSWORD}\n")),
    )
    .await
    .ok();
    curl("/vo/cookie/data")
        .await
        .ok()
        .out_has("hello alice (cookie)");
    sim.forget_vo_cookies();
    curl("/vo/cookie/data?bytes=100000").await.ok();

    // The list: kinds, places, where kept.
    let v = home
        .run(&["--json", "credentials", "list"])
        .await
        .ok()
        .json();
    let kinds: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["kind"].as_str()).collect())
        .unwrap_or_default();
    for k in ["basic-token", "bearer", "anonymous", "cadc-token", "cookie"] {
        assert!(kinds.contains(&k), "{k} in {v}");
    }

    // Streamed to a file, complete or not at all.
    let out = home.path().join("data.bin");
    home.run(&[
        "curl",
        &format!("{o}/vo/bearer/data?bytes=3000000"),
        "-o",
        out.to_str().expect("path"),
    ])
    .await
    .ok()
    .err_has("Saved");
    assert_eq!(std::fs::metadata(&out).expect("saved").len(), 3_000_000);
    let missing = home.path().join("missing.bin");
    home.run(&[
        "curl",
        &format!("{o}/vo/basic-nothing/x"),
        "-o",
        missing.to_str().expect("path"),
    ])
    .await
    .code(1);
    assert!(!missing.exists());

    // No secret in any file or log written meanwhile.
    assert_no_secret_in(home.path(), &[PASSWORD, TOKEN, &basic_token]);
    for id in ["site", "tok"] {
        home.run(&["credentials", "remove", id]).await.ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_over_https() {
    let Some(_k) = common::keyring_turn("certificate credential").await else {
        return;
    };
    let sim = sim().await;
    let home = Home::new();
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("ca");
    let cert = home.path().join("alice.pem");
    std::fs::write(
        &cert,
        sim.issue_client_cert("alice", std::time::Duration::from_secs(3600)),
    )
    .expect("cert");
    let o = https_origin(&sim);
    let url = format!("{o}/vo/x509/data");
    let ca_arg = ca.to_str().expect("path");
    home.run(&["curl", &url, "--cacert", ca_arg]).await.code(3);
    home.run(&[
        "credentials",
        "add",
        "certificate",
        "--origin",
        &o,
        "--identity",
        cert.to_str().expect("path"),
    ])
    .await
    .ok();
    home.run(&["curl", &url, "--cacert", ca_arg])
        .await
        .ok()
        .out_has("hello alice (certificate)");
    let v = home
        .run(&["--json", "credentials", "list"])
        .await
        .ok()
        .json();
    assert!(v[0]["expiresAt"].is_string(), "{v}");
    assert!(
        v[0]["kept"]
            .as_str()
            .is_some_and(|k| k.contains("alice.pem")),
        "{v}"
    );
    let id = v[0]["id"].as_str().expect("id").to_string();
    home.run(&["credentials", "remove", &id]).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_key_signed_jwts_from_the_file_with_a_passphrase_and_through_ssh_agent() {
    let Some(_k) = common::keyring_turn("ssh-jwt credential").await else {
        return;
    };
    let sim = sim().await;
    let home = Home::new();
    let o = origin(&sim);
    let keys = tempfile::tempdir().expect("tmp");
    // One key of each kind UNICORE takes: ed25519 (EdDSA), RSA (RS256), ECDSA P-256 (ES256).
    for (name, kind) in [
        ("ed", &["-t", "ed25519"][..]),
        ("rsa", &["-t", "rsa", "-b", "2048"][..]),
        ("ec", &["-t", "ecdsa", "-b", "256"][..]),
    ] {
        let key = ssh_keygen(keys.path(), name, kind, "");
        let user = format!("u-{name}");
        sim.register_ssh_key(&user, &public_line(&key))
            .expect("register");
        home.run(&[
            "credentials",
            "add",
            "ssh-jwt",
            "--origin",
            &format!("{o}/vo/jwt/{name}/"),
            "-u",
            &user,
            "--identity",
            key.to_str().expect("path"),
        ])
        .await
        .ok()
        .err_has("The site must know this public key");
        home.run(&["curl", &format!("{o}/vo/jwt/{name}/x")])
            .await
            .ok()
            .out_has(&format!("hello {user} (ssh-jwt)"));
    }
    // A key that is not registered for the user: refused by the site.
    let stranger = ssh_keygen(keys.path(), "stranger", &["-t", "ed25519"], "");
    home.run(&[
        "credentials",
        "add",
        "ssh-jwt",
        "--origin",
        &format!("{o}/vo/jwt/stranger/"),
        "-u",
        "u-ed",
        "--identity",
        stranger.to_str().expect("path"),
    ])
    .await
    .ok();
    home.run(&["curl", &format!("{o}/vo/jwt/stranger/x")])
        .await
        .code(3);

    // With a passphrase: not asked when standard input is no terminal, kept when given.
    let locked = ssh_keygen(keys.path(), "locked", &["-t", "ed25519"], "open sesame");
    sim.register_ssh_key("u-locked", &public_line(&locked))
        .expect("register");
    home.run(&[
        "credentials",
        "add",
        "ssh-jwt",
        "--origin",
        &format!("{o}/vo/jwt/locked/"),
        "-u",
        "u-locked",
        "--identity",
        locked.to_str().expect("path"),
        "--name",
        "locked",
    ])
    .await
    .ok()
    .err_has("has a passphrase");
    home.run(&["curl", &format!("{o}/vo/jwt/locked/x")])
        .await
        .code(3)
        .err_has("protected by a passphrase");

    // Through ssh-agent: the agent holds the key, nothing else is needed.
    let sock = keys.path().join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent runs");
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let askpass = keys.path().join("askpass.sh");
    std::fs::write(&askpass, "#!/bin/sh\necho 'open sesame'\n").expect("askpass");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let added = Command::new("ssh-add")
        .arg(&locked)
        .env("SSH_AUTH_SOCK", &sock)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .stdin(std::process::Stdio::null())
        .status()
        .expect("ssh-add runs");
    assert!(added.success());
    let sock_s = sock.display().to_string();
    let mut h = home;
    h.set("SSH_AUTH_SOCK", &sock_s);
    h.run(&["curl", &format!("{o}/vo/jwt/locked/x")])
        .await
        .ok()
        .out_has("hello u-locked (ssh-jwt)");
    let _ = agent.kill();
    let _ = agent.wait();

    // Kept passphrase.
    h.extra.retain(|(k, _)| k != "SSH_AUTH_SOCK");
    h.run(&["credentials", "remove", "locked"]).await.ok();
    h.run_stdin(
        &[
            "credentials",
            "add",
            "ssh-jwt",
            "--origin",
            &format!("{o}/vo/jwt/locked/"),
            "-u",
            "u-locked",
            "--identity",
            locked.to_str().expect("path"),
            "--passphrase-stdin",
        ],
        "open sesame\n",
    )
    .await
    .ok();
    h.run(&["curl", &format!("{o}/vo/jwt/locked/x")])
        .await
        .ok()
        .out_has("hello u-locked (ssh-jwt)");
    assert_no_secret_in(h.path(), &["open sesame"]);
    let v = h.run(&["--json", "credentials", "list"]).await.ok().json();
    for c in v.as_array().into_iter().flatten() {
        if let Some(id) = c["id"].as_str() {
            h.run(&["credentials", "remove", id]).await.ok();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_reads_cadcs_real_challenge_set_and_says_what_to_do() {
    let sim = sim().await;
    let home = Home::new();
    let o = origin(&sim);
    let v = home
        .run(&["--json", "probe", &format!("{o}/vo/cadc-capabilities")])
        .await
        .ok()
        .json();
    assert_eq!(v["requirement"], "optional", "{v}");
    assert_eq!(v["method"], "HEAD");
    assert_eq!(v["challenges"].as_array().map(Vec::len), Some(5), "{v}");
    assert_eq!(v["challenges"][0]["scheme"], "ivoa_bearer");
    assert_eq!(
        v["challenges"][0]["accessUrl"],
        "https://ws-cadc.canfar.net/ac/login"
    );
    assert_eq!(v["challenges"][4]["scheme"], "ivoa_x509");
    assert_eq!(v["decision"]["decision"], "missing", "{v}");
    home.run(&["probe", &format!("{o}/vo/cadc-capabilities")])
        .await
        .ok()
        .out_has("a credential is optional")
        .out_has("skyport credentials add cadc-token")
        .out_has("skyport cert obtain --cred-url https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/cred/auth/priv");
    // A required one, and the login a cookie service names.
    home.run(&["probe", &format!("{o}/vo/cookie/x")])
        .await
        .ok()
        .out_has("a credential is required")
        .out_has(&format!("{o}/vo/cookie-login"));
    // Nothing there at all.
    home.run(&["probe", &common::dead_url()]).await.code(4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_image_gets_the_registry_credential() {
    let Some(_k) = common::keyring_turn("registry credentials").await else {
        return;
    };
    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    let private = "images.canfar.net/lab/private-tool:1.0";
    // Without one, the platform says it needs one.
    home.run(&["create", "headless", private, "--", "true"])
        .await
        .code(2)
        .err_has("x-skaha-registry-auth");
    // Given on the command line…
    home.run_stdin(
        &[
            "create",
            "headless",
            private,
            "--registry-user",
            "ada",
            "--registry-secret-stdin",
            "--",
            "true",
        ],
        "harbor-SECRET\n",
    )
    .await
    .ok();
    // …or kept as a credential bound to the registry and to the platform that receives it:
    // bound to the registry alone, it is not sent.
    let add_harbor = |origins: Vec<String>| {
        let home = &home;
        async move {
            let mut args = vec!["credentials".to_string(), "add".into(), "basic".into()];
            for o in origins {
                args.push("--origin".into());
                args.push(o);
            }
            args.extend(["-u", "ada", "--password-stdin", "--name", "harbor"].map(String::from));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            home.run_stdin(&refs, "harbor-SECRET\n").await.ok();
        }
    };
    add_harbor(vec!["https://images.canfar.net".into()]).await;
    home.run(&["create", "headless", private, "--", "true"])
        .await
        .code(2);
    home.run(&["credentials", "remove", "harbor"]).await.ok();
    let platform = sim.base_url().as_str().trim_end_matches('/').to_string();
    add_harbor(vec!["https://images.canfar.net".into(), platform]).await;
    home.run(&["create", "headless", private, "--", "true"])
        .await
        .ok()
        .err_has("Using the registry credential harbor");
    assert_no_secret_in(home.path(), &["harbor-SECRET"]);
    home.run(&["credentials", "remove", "harbor"]).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skyport_cert_names_the_certificate_for_scripts() {
    let sim = sim().await;
    let mut home = Home::new();
    let ca = home.path().join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("ca");
    let url = sim.https_url().join("skaha").expect("url");
    home.run(&[
        "profiles",
        "add",
        "tls",
        url.as_str(),
        "--ca-file",
        ca.to_str().expect("path"),
        "--use",
    ])
    .await
    .ok();
    let cert = home.path().join("robot.pem");
    std::fs::write(
        &cert,
        sim.issue_client_cert("alice", std::time::Duration::from_secs(7200)),
    )
    .expect("cert");
    home.run(&["cert", "status"]).await.code(5);
    home.run(&["ps"]).await.code(3);
    home.set("SKYPORT_CERT", cert.to_str().expect("path"));
    let r = home.run(&["cert", "status"]).await;
    r.ok();
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("robot.pem"),
        "{r}"
    );
    // And the platform takes it: the session list comes with the certificate.
    home.run(&["ps"]).await.ok();
}
