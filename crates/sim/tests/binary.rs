//! The `skyport-sim` binary: flags, the one JSON line on stdout, the CA file, seeded sessions.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn binary_prints_urls_and_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_skyport-sim"))
        .args([
            "--token",
            "bin-token:alice",
            "--user",
            "alice:pw1",
            "--user",
            "bob:pw2",
            "--seed-sessions",
            "3",
            "--time-scale",
            "2",
            "--pending-delay",
            "0",
            "--max-interactive",
            "5",
            "--fault",
            r#"{"route":"/skaha/v1/repository","error_rate":1.0,"error_status":502}"#,
            "--ca-dir",
        ])
        .arg(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    for k in ["skaha_url", "https_url", "admin_url", "sessions_url"] {
        assert!(v[k].as_str().unwrap().starts_with("http"), "{k}: {line}");
        assert!(v[k].as_str().unwrap().contains("127.0.0.1"));
    }
    assert_eq!(v["users"][0]["name"], "alice");
    assert_eq!(v["users"][0]["password"], "pw1");
    assert_eq!(v["tokens"][0]["token"], "bin-token");
    let ca = std::fs::read_to_string(v["ca_pem_path"].as_str().unwrap()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

    let skaha = v["skaha_url"].as_str().unwrap();
    let c = reqwest::Client::new();
    let list: serde_json::Value = c
        .get(format!("{skaha}/v1/session"))
        .bearer_auth("bin-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "seeded for the demo user"
    );
    let ctx: serde_json::Value = c
        .get(format!("{skaha}/v1/context"))
        .bearer_auth("bin-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ctx["maxInteractiveSessions"], 5);
    let r = c
        .get(format!("{skaha}/v1/repository"))
        .bearer_auth("bin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502, "fault flag applied");
    // --user replaced the demo users.
    let base = skaha.trim_end_matches("skaha");
    let r = c
        .post(format!("{base}ac/login"))
        .form(&[("username", "bob"), ("password", "pw2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // HTTPS with the written CA.
    let cert = reqwest::Certificate::from_pem(ca.as_bytes()).unwrap();
    let tls = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let https = v["https_url"].as_str().unwrap();
    let r = tls
        .get(format!("{https}skaha/v1/session"))
        .bearer_auth("bin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn binary_rejects_bad_flags() {
    for args in [
        vec!["--token", "no-colon"],
        vec!["--listen", "0.0.0.0:0"],
        vec!["--fault", "{not json"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_skyport-sim"))
            .args(&args)
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}
