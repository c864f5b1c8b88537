//! Session commands against the sim with SKYPORT_URL + SKYPORT_TOKEN (no config, no
//! keyring): ps, create/launch, info, logs, events, open, renew, delete, prune, stats,
//! images; happy paths and error paths, stdout/stderr separation and exit codes.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use skyport_sim::FaultRule;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ps_shows_a_batch_with_its_progress() {
    let sim = sim_with(|c| {
        c.run_headless = true;
        c.pending_delay = Duration::ZERO;
    })
    .await;
    let home = Home::env(&sim, Some(TOKEN));
    // Replica 2 of 3 fails: `test 2 != 2` (${IFS} keeps the script one word, as the
    // platform splits args at spaces).
    let made = home
        .run(&[
            "create",
            "headless",
            IMAGE,
            "-n",
            "fit",
            "-r",
            "3",
            "--",
            "sh",
            "-c",
            "test${IFS}$REPLICA_ID${IFS}!=${IFS}2",
        ])
        .await;
    let made = ids(made.ok());
    assert_eq!(made.len(), 3);
    let mut ended = false;
    for _ in 0..200 {
        let all = home.run(&["ps", "-a", "--json"]).await.ok().json();
        let list = all.as_array().unwrap();
        if list.len() == 3
            && list
                .iter()
                .all(|s| s["status"] == "Completed" || s["status"] == "Failed")
        {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ended, "the replicas never ended");
    let r = home.run(&["ps", "-a"]).await;
    let out = r.ok().stdout.clone();
    let (table, batches) = out.split_once("\nBATCHES\n").expect("a batches part");
    assert_eq!(table.lines().count(), 4, "the replicas one by one: {out}");
    assert!(
        batches.starts_with("fit (") && batches.contains("): 2 of 3 done, 1 failed\n"),
        "{batches}"
    );
    assert!(
        batches.contains(&format!("  failed: {} (why: skyport logs ID)", made[1])),
        "{batches} / {made:?}"
    );
    // Without -a an ended batch is not shown (nor its replicas); --json stays a plain list.
    home.run(&["ps"]).await.ok().out_lacks("BATCHES");
    assert!(home
        .run(&["ps", "-a", "--json"])
        .await
        .ok()
        .json()
        .is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ps_lists_filters_and_prints_json_and_ids() {
    let sim = sim_with(|c| {
        c.seed_sessions = 3;
        c.seed_owner = Some("alice".into());
    })
    .await;
    let home = Home::env(&sim, Some(TOKEN));

    let r = home.run(&["ps", "-a"]).await;
    r.ok();
    let header = r.stdout.lines().next().unwrap();
    for col in [
        "SESSION ID",
        "NAME",
        "KIND",
        "STATUS",
        "IMAGE",
        "CREATED",
        "EXPIRES IN",
    ] {
        assert!(header.contains(col), "{header}");
    }
    // The seeded jobs are one launch's replicas: the table, then their batch.
    let (table, batch) = r.stdout.split_once("\nBATCHES\n").expect("{r}");
    assert_eq!(table.lines().count(), 4, "{r}");
    assert!(batch.starts_with("replica ("), "{r}");
    assert!(r.stderr.is_empty(), "{r}");

    let all = home.run(&["ps", "-a", "--json"]).await;
    let v = all.ok().json();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for s in list {
        for key in [
            "id",
            "name",
            "kind",
            "status",
            "image",
            "startTime",
            "expiryTime",
            "connectUrl",
            "requestedCores",
            "requestedRamGb",
            "coresInUse",
        ] {
            assert!(s.get(key).is_some(), "{key} missing in {s}");
        }
    }
    // Default: only pending and running.
    let active = home.run(&["ps", "--json"]).await.json();
    assert!(active
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "Pending" || s["status"] == "Running"));
    // -q: ids only, and they are the same ids.
    let q = home.run(&["ps", "-a", "-q"]).await;
    let mut got = ids(q.ok());
    let mut want: Vec<String> = list
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // Filters.
    let r = home
        .run(&["ps", "-k", "notebook", "-s", "running", "--json"])
        .await;
    assert_eq!(r.ok().json(), serde_json::json!([]));
    let r = home.run(&["ps", "-k", "notebook"]).await;
    r.ok().out_empty().err_has("No pending or running sessions");
    // Bad filter values are usage errors.
    home.run(&["ps", "-k", "spaceship"])
        .await
        .code(2)
        .err_has("spaceship");
    home.run(&["ps", "--bogus"]).await.code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_info_logs_events_renew_delete() {
    let sim = sim_with(|c| c.pending_delay = Duration::ZERO).await;
    let home = Home::env(&sim, Some(TOKEN));

    // Image normalisation and the default name, without sending anything.
    let dry = home
        .run(&["create", "notebook", "skaha/astroml", "--dry-run"])
        .await;
    dry.ok()
        .out_has("POST ")
        .out_has("image=images.canfar.net/skaha/astroml:latest")
        .out_has("name=notebook1")
        .out_has("type=notebook")
        .err_has("nothing was sent");
    assert_eq!(
        home.run(&["ps", "-a", "--json"]).await.json(),
        serde_json::json!([])
    );
    let dry = home
        .run(&[
            "--json",
            "launch",
            "headless",
            "skaha/astroml:24.07",
            "-n",
            "job",
            "-c",
            "2",
            "-m",
            "4",
            "-e",
            "MODE=fast",
            "-r",
            "2",
            "--dry-run",
            "--",
            "python",
            "fit.py",
            "--fast",
        ])
        .await;
    let plan = dry.ok().json();
    assert_eq!(plan.as_array().unwrap().len(), 2);
    let form: Vec<(String, String)> = plan[1]["form"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("name", "job-2"),
        ("cores", "2"),
        ("ram", "4"),
        ("cmd", "python"),
        ("args", "fit.py --fast"),
        ("env", "MODE=fast"),
        ("env", "REPLICA_COUNT=2"),
        ("image", "images.canfar.net/skaha/astroml:24.07"),
    ] {
        assert!(
            form.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not in {form:?}"
        );
    }

    // Create for real: the id on stdout, the message on stderr.
    let r = home.run(&["create", "notebook", IMAGE]).await;
    let id = ids(r.ok())[0].clone();
    r.err_has("Created notebook1");
    assert_eq!(r.stdout.trim(), id);
    wait_status(&sim, &home, &id, "Running").await;
    // The next default name is the first free one.
    let r = home
        .run(&["create", "notebook", "skaha/astroml", "--dry-run"])
        .await;
    r.ok().out_has("name=notebook2");

    let info = home.run(&["info", &id]).await;
    info.ok()
        .out_has(&id)
        .out_has("notebook1")
        .out_has("Running")
        .out_has("Connect:");
    let j = home.run(&["info", &id, "--json"]).await.json();
    assert_eq!(j[0]["id"], id.as_str());
    assert_eq!(j[0]["kind"], "notebook");

    // A headless job with a command: logs and events.
    let r = home
        .run(&[
            "create", "headless", IMAGE, "-n", "hello", "--", "echo", "hi",
        ])
        .await;
    let job = ids(r.ok())[0].clone();
    wait_status(&sim, &home, &job, "Running").await;
    let logs = home.run(&["logs", &job]).await;
    logs.ok();
    let lj = home.run(&["logs", &job, "--json"]).await.json();
    assert_eq!(lj["id"], job.as_str());
    assert!(lj["logs"].is_string());
    let ev = home.run(&["events", &job]).await;
    ev.ok().out_has("TYPE").out_has("Scheduled");
    let ej = home.run(&["events", &job, "--json"]).await.json();
    assert!(ej
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["sessionId"] == job.as_str()));

    // Renew: a message on stderr, the new expiry in JSON.
    let r = home.run(&["renew", &id]).await;
    r.ok().out_empty().err_has("Renewed notebook1");
    let rj = home.run(&["renew", &id, "--json"]).await.json();
    assert_eq!(rj[0]["id"], id.as_str());
    assert!(rj[0]["expiryTime"].is_string());

    // Unknown ids: the server's message, exit 1, and the known ones still done.
    home.run(&["info", "zzzzzzzz"])
        .await
        .code(1)
        .err_has("zzzzzzzz not found")
        .out_empty();
    home.run(&["info", &id, "zzzzzzzz"])
        .await
        .code(1)
        .out_has(&id);
    home.run(&["logs", "zzzzzzzz"])
        .await
        .code(1)
        .err_has("not found");
    home.run(&["events", "zzzzzzzz"]).await.code(1);
    home.run(&["renew", "zzzzzzzz"]).await.code(1);
    home.run(&["delete", "--force", "zzzzzzzz"])
        .await
        .code(1)
        .err_has("not found");
    // Ids that cannot be ids never reach the platform.
    home.run(&["info", "../../etc"])
        .await
        .code(2)
        .err_has("not a session id");

    // Delete: refused without --force when nobody can be asked.
    home.run(&["delete", &id]).await.code(2).err_has("--force");
    home.run_stdin(&["delete", &id], "y\n")
        .await
        .code(2)
        .err_has("--force");
    let d = home.run(&["delete", "--force", &id, "--json"]).await;
    let dj = d.ok().json();
    assert_eq!(dj[0]["deleted"], true);
    d.err_has("Deleted notebook1");
    let st = home.run(&["info", &id, "--json"]).await;
    if st.code == 0 {
        assert_eq!(st.json()[0]["status"], "Terminating");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_bad_input_before_sending() {
    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    for (args, needle) in [
        (vec!["create", "spaceship", "skaha/astroml"], "spaceship"),
        (vec!["create", "notebook", "astroml"], "needs a project"),
        (vec!["create", "notebook", "a/b/c/d"], "too many parts"),
        (
            vec!["create", "notebook", "skaha/x", "-n", "bad name"],
            "--name",
        ),
        (vec!["create", "notebook", "skaha/x", "-c", "0"], "0"),
        (vec!["create", "notebook", "skaha/x", "-m", "abc"], "abc"),
        (
            vec!["create", "notebook", "skaha/x", "-e", "NOEQUALS"],
            "KEY=VALUE",
        ),
        (
            vec!["create", "notebook", "skaha/x", "--", "echo"],
            "headless",
        ),
        (
            vec!["create", "desktop", "skaha/x", "-r", "2"],
            "replicated",
        ),
        (vec!["create", "notebook"], "IMAGE"),
    ] {
        home.run(&args).await.code(2).err_has(needle).out_empty();
    }
    // The platform's own validation: exit 2 with its message (cores not offered).
    home.run(&[
        "create",
        "notebook",
        "skaha/astroml",
        "-c",
        "200",
        "-m",
        "8",
    ])
    .await
    .code(2)
    .err_has("cores");
    // The quota: exit 1 with the platform's message.
    for _ in 0..3 {
        home.run(&["create", "notebook", IMAGE]).await.ok();
    }
    home.run(&["create", "notebook", IMAGE])
        .await
        .code(1)
        .err_has("maximum");
    assert_eq!(
        home.run(&["ps", "-q"]).await.stdout.lines().count(),
        3,
        "the failed create started nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_waits_for_running_and_uses_skyport_browser() {
    let sim = sim_with(|c| c.pending_delay = Duration::from_secs(2)).await;
    let mut home = Home::env(&sim, Some(TOKEN));
    let (browser, opened) = browser_recorder(&home);
    home.set("SKYPORT_BROWSER", &browser);
    let id = ids(home.run(&["create", "notebook", IMAGE]).await.ok())[0].clone();
    let r = home.run(&["open", &id, "--wait", "30"]).await;
    r.ok().err_has("Waiting");
    let url = r.stdout.trim().to_string();
    assert!(url.contains(&format!("/session/notebook/{id}/")), "{url}");
    let got = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(got.trim(), url);

    // --no-browser only prints.
    std::fs::remove_file(&opened).unwrap();
    home.run(&["open", &id, "--no-browser"])
        .await
        .ok()
        .out_has(&url);
    assert!(!opened.exists());

    // Headless sessions have no page; a pending one that does not start in time is a
    // timeout (exit 4); a failing browser is a failure (exit 1).
    let job = ids(home
        .run(&["create", "headless", IMAGE, "--", "sleep", "1"])
        .await
        .ok())[0]
        .clone();
    home.run(&["open", &job]).await.code(1).err_has("no page");
    let sim2 = sim_with(|c| c.pending_delay = Duration::from_secs(3600)).await;
    let mut home2 = Home::env(&sim2, Some(TOKEN));
    home2.set("SKYPORT_BROWSER", &browser);
    let slow = ids(home2.run(&["create", "notebook", IMAGE]).await.ok())[0].clone();
    home2
        .run(&["open", &slow, "--wait", "1"])
        .await
        .code(4)
        .err_has("still Pending");
    home2.run(&["open", &slow, "--wait", "0"]).await.code(4);
    let mut home3 = Home::env(&sim, Some(TOKEN));
    home3.set("SKYPORT_BROWSER", "/bin/false");
    home3
        .run(&["open", &id])
        .await
        .code(1)
        .out_has(&url)
        .err_has("SKYPORT_BROWSER");
}

// Security review #12, item 3: a platform's connect URL that is not a web page (`ssh:`,
// `smb:`, `vscode:` ...) is neither printed nor handed to a browser or desktop handler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_refuses_connect_urls_that_are_not_web_pages() {
    for origin in ["ssh://attacker.example", "vscode://vscode.git"] {
        let sim = sim_with(|c| {
            c.pending_delay = Duration::ZERO;
            c.connect_origin = Some(origin.into());
        })
        .await;
        let mut home = Home::env(&sim, Some(TOKEN));
        let (browser, opened) = browser_recorder(&home);
        home.set("SKYPORT_BROWSER", &browser);
        let id = ids(home.run(&["create", "notebook", IMAGE]).await.ok())[0].clone();
        let r = home.run(&["open", &id, "--wait", "30"]).await;
        let scheme = origin.split(':').next().unwrap_or_default();
        r.code(1).err_has(&format!("\"{scheme}:\""));
        assert!(!r.stdout.contains(origin), "printed: {}", r.stdout);
        assert!(!opened.exists(), "handed to the browser command");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_prints_only_new_output_until_the_job_ends() {
    let sim = sim_with(|c| {
        c.pending_delay = Duration::ZERO;
        c.run_headless = true;
    })
    .await;
    let home = Home::env(&sim, Some(TOKEN));
    let script = home.path().join("job.sh");
    std::fs::write(
        &script,
        "for i in 1 2 3; do echo line-$i; sleep 0.4; done\n",
    )
    .unwrap();
    let script = script.display().to_string();
    let id = ids(home
        .run(&["create", "headless", IMAGE, "--", "sh", &script])
        .await
        .ok())[0]
        .clone();
    let r = home.run(&["logs", "-f", "--interval", "0.3", &id]).await;
    r.ok().err_has("Completed");
    for i in 1..=3 {
        assert_eq!(
            r.stdout.matches(&format!("line-{i}")).count(),
            1,
            "each line exactly once:\n{r}"
        );
    }
    home.run(&["logs", "-f", "--json", &id])
        .await
        .code(2)
        .err_has("--follow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_selects_by_prefix_kind_status_and_regex() {
    let sim = sim_with(|c| c.pending_delay = Duration::ZERO).await;
    let home = Home::env(&sim, Some(TOKEN));
    for name in ["fit-1", "fit-2", "other"] {
        home.run(&["create", "headless", IMAGE, "-n", name, "--", "true"])
            .await
            .ok();
    }
    // Running headless sessions named fit*: a dry run shows two and deletes nothing.
    let r = home
        .run(&["prune", "fit", "headless", "running", "--dry-run"])
        .await;
    r.ok().err_has("would be deleted");
    assert_eq!(r.stdout.lines().count(), 2, "{r}");
    // Default kind/status (headless, Completed): nothing matches yet.
    home.run(&["prune", "fit", "--force"])
        .await
        .ok()
        .err_has("No sessions match");
    // Refused without --force when nobody can be asked.
    home.run(&["prune", "fit", "any", "any"])
        .await
        .code(2)
        .err_has("--force");
    home.run(&["prune", "(", "--regex", "--force"])
        .await
        .code(2)
        .err_has("regular expression");
    let r = home
        .run(&[
            "prune",
            "^fit-[0-9]$",
            "any",
            "any",
            "--regex",
            "--force",
            "--json",
        ])
        .await;
    let v = r.ok().json();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(v.as_array().unwrap().iter().all(|s| s["deleted"] == true));
    let left = home.run(&["ps", "--json"]).await.json();
    let names: Vec<_> = left
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "Running")
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["other".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_and_images() {
    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    home.run(&["stats"])
        .await
        .ok()
        .out_has("REQUESTED")
        .out_has("AVAILABLE")
        .out_has("960");
    let s = home.run(&["stats", "--json"]).await.json();
    assert_eq!(s["coresAvailable"], 960.0);
    let r = home.run(&["images"]).await;
    r.ok().out_has("IMAGE").out_has("skaha/carta:4.1");
    let q = home.run(&["images", "-k", "carta", "-q"]).await;
    assert_eq!(
        ids(q.ok()),
        vec![
            "images.canfar.net/skaha/carta:4.1".to_string(),
            "images.canfar.net/skaha/carta:5.0".to_string()
        ]
    );
    let j = home
        .run(&["images", "--json", "--kind", "desktop"])
        .await
        .json();
    assert_eq!(j[0]["id"], "images.canfar.net/skaha/desktop:latest");
    assert_eq!(j[0]["kinds"][0], "desktop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_failures_map_to_exit_codes() {
    // Nothing listening: exit 4, a message that says what to do, nothing on stdout.
    let mut home = Home::new();
    home.url = Some(dead_url());
    home.token = Some(TOKEN.into());
    for args in [
        vec!["ps"],
        vec!["info", "abcdefgh"],
        vec!["stats"],
        vec!["images"],
    ] {
        home.run(&args)
            .await
            .code(4)
            .err_has("could not be reached")
            .out_empty();
    }
    // 503 with Retry-After on every try: exit 4.
    let sim = sim().await;
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        unavailable_rate: 1.0,
        retry_after: 0,
        ..Default::default()
    });
    let home = Home::env(&sim, Some(TOKEN));
    home.run(&["ps"])
        .await
        .code(4)
        .err_has("temporarily unavailable");
    sim.clear_faults();
    // A slow platform and --timeout: exit 4.
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        latency_ms: 3000,
        ..Default::default()
    });
    home.run(&["--timeout", "0.3", "ps"])
        .await
        .code(4)
        .err_has("did not answer in time");
    sim.clear_faults();
    // 500: exit 1.
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/image".into()),
        error_rate: 1.0,
        error_status: 500,
        ..Default::default()
    });
    home.run(&["images"]).await.code(1).err_has("HTTP 500");
    sim.clear_faults();
    // A token the platform does not know: sign-in needed, exit 3.
    let bad = Home::env(&sim, Some("not-a-valid-token"));
    bad.run(&["ps"]).await.code(3).err_has("Sign in again");
    // A SKYPORT_URL that is not a URL: exit 2.
    let mut home = Home::new();
    home.url = Some("ws-uv.canfar.net/skaha".into());
    home.token = Some(TOKEN.into());
    home.run(&["ps"]).await.code(2).err_has("SKYPORT_URL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_stdout_early_is_not_an_error() {
    let sim = sim_with(|c| {
        c.seed_sessions = 50;
        c.seed_owner = Some("alice".into());
    })
    .await;
    let home = Home::env(&sim, Some(TOKEN));
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_skyport"));
    cmd.args(["ps", "-a", "--json"])
        .env("SKYPORT_HOME", home.skyport_home())
        .env("SKYPORT_URL", sim.skaha_url().as_str())
        .env("SKYPORT_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take()); // the reader goes away at once, like `| head -0`
    let out = child.wait_with_output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_exits_130() {
    let sim = sim_with(|c| c.pending_delay = Duration::from_secs(3600)).await;
    let home = Home::env(&sim, Some(TOKEN));
    let id = ids(home.run(&["create", "notebook", IMAGE]).await.ok())[0].clone();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_skyport"))
        .args(["open", &id, "--wait", "60", "--no-browser"])
        .env("SKYPORT_HOME", home.skyport_home())
        .env("SKYPORT_URL", sim.skaha_url().as_str())
        .env("SKYPORT_TOKEN", TOKEN)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(out.stdout.is_empty());
}

/// `skyport why`: a session that waits for memory, one whose image cannot be pulled, and a
/// running one, in words and in JSON; an unknown id is exit 1 and the others still answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn why_says_what_holds_a_session_and_what_to_do() {
    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    let big = ids(home
        .run(&["create", "notebook", IMAGE, "-m", "192", "-c", "2"])
        .await
        .ok())[0]
        .clone();
    let pulled = ids(home
        .run(&["create", "headless", IMAGE, "-n", "fit", "--", "python"])
        .await
        .ok())[0]
        .clone();
    assert!(sim.stall(&pulled, Some(skyport_sim::Stall::ImageMissing)));

    home.run(&["why", &big])
        .await
        .ok()
        .out_has(&format!("{big} (notebook1) is Pending."))
        .out_has("No node has 192 GB free.")
        .out_has("Next: Try 92 GB, or wait.")
        .out_has("The platform says (since ")
        .out_has("Insufficient memory");

    let v = home
        .run(&["why", &big, &pulled, "--json"])
        .await
        .ok()
        .json();
    let list = v.as_array().unwrap();
    assert_eq!(list[0]["why"]["cause"], "noRoom");
    assert_eq!(list[1]["id"], pulled.as_str());
    assert_eq!(list[1]["why"]["cause"], "imageUnavailable");
    assert_eq!(
        list[1]["why"]["sentence"],
        "The image could not be pulled: it does not exist under that name."
    );

    assert!(sim.stall(&pulled, None));
    wait_status(&sim, &home, &pulled, "Running").await;
    home.run(&["why", &pulled])
        .await
        .ok()
        .out_has(&format!("{pulled} (fit) is Running: nothing holds it."));
    let r = home.run(&["why", "zzzzzzzz", &big]).await;
    r.code(1)
        .err_has("not found")
        .out_has("No node has 192 GB free.");
    sim.shutdown().await;
}

/// Presets: saved, listed, launched with overrides (dry run and for real), remembered as a
/// recent launch, removed; a launch with neither KIND and IMAGE nor a preset is a usage error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presets_save_launch_override_and_remember() {
    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    home.run(&["presets", "list"])
        .await
        .ok()
        .out_empty()
        .err_has("No presets for");
    home.run(&[
        "presets",
        "save",
        "fit",
        "headless",
        "skaha/astroml:24.07",
        "-c",
        "2",
        "-m",
        "4",
        "-r",
        "2",
        "-e",
        "MODE=fast",
        "--",
        "python",
        "fit.py",
    ])
    .await
    .ok()
    .err_has("Saved the preset fit")
    .err_has("skyport create --preset fit");
    let list = home.run(&["presets", "list"]).await;
    list.ok()
        .out_has("fit")
        .out_has("2 cores, 4 GB")
        .out_has("skaha/astroml:24.07");
    let json = home.run(&["presets", "list", "--json"]).await.ok().json();
    assert_eq!(json[0]["name"], "fit");
    assert_eq!(json[0]["cmd"], "python");
    assert_eq!(json[0]["replicas"], 2);

    let form_of = |plan: &serde_json::Value, i: usize| -> Vec<(String, String)> {
        plan[i]["form"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // The preset as it is, then with options that override it.
    let plan = home
        .run(&["--json", "create", "--preset", "fit", "--dry-run"])
        .await
        .ok()
        .json();
    assert_eq!(plan.as_array().unwrap().len(), 2);
    let form = form_of(&plan, 0);
    for want in [
        ("cores", "2"),
        ("ram", "4"),
        ("cmd", "python"),
        ("args", "fit.py"),
        ("env", "MODE=fast"),
        ("image", "images.canfar.net/skaha/astroml:24.07"),
    ] {
        assert!(
            form.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not in {form:?}"
        );
    }
    let plan = home
        .run(&[
            "--json",
            "create",
            "--preset",
            "fit",
            "-r",
            "3",
            "-m",
            "8",
            "--dry-run",
        ])
        .await
        .ok()
        .json();
    assert_eq!(plan.as_array().unwrap().len(), 3);
    assert!(form_of(&plan, 2).contains(&("ram".into(), "8".into())));
    assert!(form_of(&plan, 2).contains(&("cores".into(), "2".into())));

    // For real: two replicas, and the launch is remembered.
    let created = home.run(&["create", "--preset", "fit"]).await;
    assert_eq!(ids(created.ok()).len(), 2);
    home.run(&["presets", "recent"])
        .await
        .ok()
        .out_has("headless")
        .out_has("2 cores, 4 GB");
    let recent = home.run(&["presets", "recent", "--json"]).await.ok().json();
    assert_eq!(recent.as_array().unwrap().len(), 1);
    assert_eq!(recent[0]["spec"]["replicas"], 2);

    home.run(&["presets", "remove", "fit"])
        .await
        .ok()
        .err_has("Removed the preset fit");
    home.run(&["create", "--preset", "fit"])
        .await
        .code(1)
        .err_has("no preset named \"fit\"");
    home.run(&["create"]).await.code(2).err_has("--preset NAME");
    home.run(&["presets", "save", "bad name", "notebook", "skaha/astroml"])
        .await
        .code(2);
    home.run(&[
        "presets",
        "save",
        "half",
        "notebook",
        "skaha/astroml",
        "-m",
        "8",
    ])
    .await
    .code(2)
    .err_has("both --cpu and --memory");
    sim.shutdown().await;
}

/// The size the app saw a preset's sessions fit in is said by `presets recent` and before a
/// launch from the preset, and changes nothing.
#[tokio::test]
async fn a_preset_is_told_the_size_its_sessions_fitted_in() {
    use skyport_core::skaha::Session;
    use skyport_core::usage::{history_file, UsageHistory};

    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    home.run(&[
        "presets",
        "save",
        "big",
        "headless",
        "skaha/astroml:24.07",
        "-c",
        "4",
        "-m",
        "8",
        "--name",
        "fit",
        "--",
        "python",
        "fit.py",
    ])
    .await
    .ok();
    let plan = |extra: &'static [&'static str]| {
        let mut args = vec!["--json", "create", "--preset", "big", "--dry-run"];
        args.extend_from_slice(extra);
        args
    };
    // Nothing watched yet: nothing said.
    let quiet = home.run(&plan(&[])).await;
    assert!(!quiet.ok().stderr.contains("would do"), "{}", quiet.stderr);

    // Three days of the app watching a session of that launch use little.
    let listed = home.run(&["presets", "list", "--json"]).await.ok().json();
    let profile = listed[0]["profile"].as_str().unwrap().to_string();
    let mut history = UsageHistory::default();
    let t0: chrono::DateTime<chrono::Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
    for hour in 0..=72 {
        let s = Session::from_json(&serde_json::json!({
            "id": "w1", "userid": "alice", "image": "images.canfar.net/skaha/astroml:24.07",
            "type": "headless", "status": "Running", "name": "fit",
            "requestedRAM": "8.59", "requestedCPUCores": "4", "isFixedResources": true,
            "ramInUse": "1.20", "cpuCoresInUse": "0.300",
        }))
        .unwrap();
        history.observe(&profile, &[s], t0 + chrono::Duration::hours(hour));
    }
    history.save(&history_file(&home.paths())).unwrap();

    let run = home.run(&plan(&[])).await;
    run.ok()
        .err_has("2 GB would do")
        .err_has("keeps the preset's size");
    let form = &run.json()[0]["form"];
    assert!(
        form.as_array()
            .unwrap()
            .iter()
            .any(|p| p[0] == "ram" && p[1] == "8"),
        "the size is not changed: {form}"
    );
    // Told a size, nothing is said.
    let told = home.run(&plan(&["--memory", "2", "--cpu", "1"])).await;
    assert!(!told.ok().stderr.contains("would do"), "{}", told.stderr);

    home.run(&["create", "--preset", "big"]).await.ok();
    home.run(&["presets", "recent"])
        .await
        .ok()
        .err_has("fit: Used at most 1.1 of 8 GB over 3 days: 2 GB would do");
    let recent = home.run(&["presets", "recent", "--json"]).await.ok().json();
    assert_eq!(recent[0]["fit"]["ramGb"], 2);
    assert_eq!(recent[0]["fit"]["cores"], 1);
    assert_eq!(recent[0]["spec"]["sessionName"], "fit");
}

/// `--keep-alive DAYS` leaves a rule per session where the app reads it, and a preset keeps
/// it; out of bounds it is a usage error.
#[tokio::test]
async fn keep_alive_rules_are_left_for_the_app() {
    use skyport_core::keepalive::KeepAliveRules;

    let sim = sim().await;
    let home = Home::env(&sim, Some(TOKEN));
    let run = home
        .run(&[
            "create",
            "headless",
            "skaha/astroml",
            "--name",
            "kept",
            "-r",
            "2",
            "--keep-alive",
            "3",
        ])
        .await;
    run.ok()
        .err_has("The Skyport app keeps these 2 alive for up to 3 days while it runs");
    let rules = KeepAliveRules::load(&KeepAliveRules::file(&home.paths()));
    let mut names: Vec<_> = rules.rules.iter().map(|r| r.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["kept-1", "kept-2"]);
    let ids = ids(&run);
    assert!(rules.rules.iter().all(|r| ids.contains(&r.session_id)));

    home.run(&[
        "presets",
        "save",
        "long",
        "notebook",
        "skaha/astroml",
        "--keep-alive",
        "7",
    ])
    .await
    .ok();
    let json = home.run(&["presets", "list", "--json"]).await.ok().json();
    assert_eq!(json[0]["keepAliveDays"], 7);
    home.run(&["create", "notebook", "skaha/astroml", "--keep-alive", "31"])
        .await
        .code(2);
}
