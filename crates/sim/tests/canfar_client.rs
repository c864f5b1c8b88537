//! Compatibility with the official Python client: pip-installs `canfar` into a throwaway venv
//! and runs its ps, create, info, logs, events and delete against the sim, authenticated with
//! `CANFAR_TOKEN` and pointed at `CANFAR_URL=<sim>/skaha/v1`.
//!
//! Needs python3 and PyPI. Set SKYPORT_SKIP_CANFAR=1 to skip (prints why); otherwise any pip
//! or canfar failure fails the test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use skyport_sim::SimConfig;
use tokio::process::Command;

fn show(what: &str, out: &Output) -> String {
    format!(
        "{what}: exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Rich prints some messages on stderr; look at both streams.
fn both(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .await
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(out.status.success(), "{}", show(what, &out));
    out
}

async fn pip(venv: &Path, args: &[&str]) {
    run(
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-cache-dir",
            ])
            .args(args),
        &format!("pip install {args:?}"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_canfar_client_works_against_the_sim() {
    if std::env::var("SKYPORT_SKIP_CANFAR").as_deref() == Ok("1") {
        println!("SKIPPED: SKYPORT_SKIP_CANFAR=1 (canfar Python client compatibility not checked)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "python3 -m venv",
    )
    .await;
    pip(&venv, &["canfar"]).await;
    // canfar 1.5.2's CLI imports `typer._click.types`, which typer 0.29 no longer ships;
    // fall back to the last typer that has it when the CLI cannot load.
    let probe = Command::new(venv.join("bin/python"))
        .args(["-c", "import canfar.cli.main, canfar.cli.create"])
        .output()
        .await
        .unwrap();
    if !probe.status.success() {
        let err = String::from_utf8_lossy(&probe.stderr);
        assert!(
            err.contains("typer"),
            "{}",
            show("import canfar.cli", &probe)
        );
        println!("canfar CLI does not load with this typer; installing typer<0.29");
        pip(&venv, &["typer<0.29"]).await;
    }

    let sim = start_with(SimConfig {
        run_headless: true,
        ..fast_config()
    })
    .await;
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let api = sim.api("").trim_end_matches('/').to_string();
    let canfar = |args: &[&str]| {
        let mut c = Command::new(venv.join("bin/canfar"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("CANFAR_TOKEN", TOKEN)
            .env("CANFAR_URL", &api)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "200")
            .env("TERM", "dumb");
        c
    };

    let out = run(&mut canfar(&["ps"]), "canfar ps").await;
    let text = both(&out);
    assert!(text.contains("No pending or running sessions"), "{text}");

    let out = run(
        &mut canfar(&[
            "create",
            "--name",
            "compat",
            "headless",
            "images.canfar.net/skaha/astroml:latest",
            "--",
            "echo",
            "hello-canfar",
        ]),
        "canfar create",
    )
    .await;
    let text = both(&out);
    let id = text
        .split("(ID: ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or_else(|| panic!("no id in: {text}"))
        .to_string();
    assert!(is_session_id(&id), "{id}");
    let v = sim.session(&id).await;
    assert_eq!(v["name"], "compat");
    assert_eq!(v["type"], "headless");

    // The job runs for real; wait for it to finish.
    for _ in 0..100 {
        if sim.status_of(&id).await.as_deref() == Some("Completed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Completed"));

    let out = run(&mut canfar(&["ps", "-a"]), "canfar ps -a").await;
    let text = both(&out);
    assert!(text.contains(&id) && text.contains("compat"), "{text}");

    let out = run(&mut canfar(&["info", &id]), "canfar info").await;
    let text = both(&out);
    assert!(text.contains(&id) && text.contains("alice"), "{text}");

    let out = run(&mut canfar(&["logs", &id]), "canfar logs").await;
    let text = both(&out);
    assert!(text.contains("hello-canfar"), "{text}");

    let out = run(&mut canfar(&["events", &id]), "canfar events").await;
    let text = both(&out);
    assert!(
        text.contains("Started") && text.contains("Scheduled"),
        "{text}"
    );

    let out = run(&mut canfar(&["delete", "--force", &id]), "canfar delete").await;
    let text = both(&out);
    assert!(text.contains("Successfully deleted"), "{text}");
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Terminating"));
}
