//! Lifecycle on the controllable clock: Pending → Running → expiry → Failed, renew rule,
//! delete → Terminating → gone, garbage collection, queued pods, real headless processes.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use skyport_sim::SimConfig;

const DAY: u64 = 86_400;

fn slow() -> SimConfig {
    SimConfig {
        pending_delay: Duration::from_secs(30),
        ..fast_config()
    }
}

#[tokio::test]
async fn pending_then_running_then_expired_failed_then_gc() {
    let sim = start_with(slow()).await;
    let id = sim.create_kind("notebook", "nb").await;
    let v = sim.session(&id).await;
    assert_eq!(v["status"], "Pending");
    assert!(v.get("startTime").is_none(), "no startTime while Pending");
    assert!(v.get("expiryTime").is_none());
    assert!(v.get("ramInUse").is_none());
    sim.handle.advance_clock(Duration::from_secs(31));
    let v = sim.session(&id).await;
    assert_eq!(v["status"], "Running");
    let start = chrono::DateTime::parse_from_rfc3339(v["startTime"].as_str().unwrap()).unwrap();
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiryTime"].as_str().unwrap()).unwrap();
    assert_eq!((exp - start).num_seconds(), 4 * DAY as i64);
    // Four days later the job hits its deadline and is Failed.
    sim.handle.advance_clock(Duration::from_secs(4 * DAY));
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Failed"));
    // It no longer holds quota.
    for i in 0..3 {
        sim.create_kind("carta", &format!("c{i}")).await;
    }
    // Interactive jobs are collected 86400 s after finishing.
    sim.handle.advance_clock(Duration::from_secs(DAY - 60));
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Failed"));
    sim.handle.advance_clock(Duration::from_secs(120));
    assert_eq!(sim.status_of(&id).await, None);
}

#[tokio::test]
async fn headless_lifetime_is_14_days_and_gc_after_an_hour() {
    let sim = start_with(SimConfig {
        headless_run_time: Duration::from_secs(600),
        ..fast_config()
    })
    .await;
    let id = sim.create_kind("headless", "job").await;
    let v = sim.session(&id).await;
    let start = chrono::DateTime::parse_from_rfc3339(v["startTime"].as_str().unwrap()).unwrap();
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiryTime"].as_str().unwrap()).unwrap();
    assert_eq!((exp - start).num_seconds(), 14 * DAY as i64);
    sim.handle.advance_clock(Duration::from_secs(601));
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Completed"));
    sim.handle.advance_clock(Duration::from_secs(3_500));
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Completed"));
    sim.handle.advance_clock(Duration::from_secs(200));
    assert_eq!(sim.status_of(&id).await, None);
}

#[tokio::test]
async fn renew_moves_expiry_only_when_less_than_lifetime_remains() {
    let sim = start().await;
    let id = sim.create_kind("notebook", "nb").await;
    let before = sim.session(&id).await["expiryTime"].clone();
    // Full lifetime remains: renew is a no-op.
    let r = sim
        .post(&format!("session/{id}?action=renew"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.session(&id).await["expiryTime"], before);
    // A day later renew gives now + 4 days.
    sim.handle.advance_clock(Duration::from_secs(DAY));
    let r = sim
        .post(&format!("session/{id}?action=renew"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = sim.session(&id).await;
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiryTime"].as_str().unwrap()).unwrap();
    let want = sim.handle.now() + chrono::Duration::seconds(4 * DAY as i64);
    assert!((exp.with_timezone(&chrono::Utc) - want).num_seconds().abs() <= 2);
    // Survives past the original expiry.
    sim.handle
        .advance_clock(Duration::from_secs(3 * DAY + 3600));
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Running"));

    // Headless: 14 days remain, renew does nothing.
    let h = sim.create_kind("headless", "h").await;
    let before = sim.session(&h).await["expiryTime"].clone();
    sim.post(&format!("session/{h}?action=renew"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.session(&h).await["expiryTime"], before);

    // Expired sessions cannot be renewed.
    sim.handle.advance_clock(Duration::from_secs(DAY));
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Failed"));
    let (s, b) = text(
        sim.post(&format!("session/{id}?action=renew"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        b,
        iae(&format!("No active job for user alice with session {id}"))
    );
}

#[tokio::test]
async fn delete_goes_terminating_then_gone_and_frees_quota() {
    let sim = start().await;
    let ids: Vec<String> = futures_join(&sim).await;
    let id = &ids[0];
    sim.delete(&format!("session/{id}")).send().await.unwrap();
    let v = sim.session(id).await;
    assert_eq!(v["status"], "Terminating");
    // Terminating sessions do not count against the quota.
    sim.create_kind("notebook", "again").await;
    // Deleting again is harmless.
    assert_eq!(
        sim.delete(&format!("session/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sim.handle.advance_clock(Duration::from_secs(6));
    assert_eq!(sim.status_of(id).await, None);
    let list: Value = sim
        .get("session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["id"] != id.as_str()));
}

async fn futures_join(sim: &Sim) -> Vec<String> {
    let mut v = Vec::new();
    for i in 0..3 {
        v.push(sim.create_kind("notebook", &format!("n{i}")).await);
    }
    v
}

#[tokio::test]
async fn time_scale_runs_the_clock_faster() {
    let sim = start_with(SimConfig {
        time_scale: 600.0,
        pending_delay: Duration::from_secs(60),
        ..fast_config()
    })
    .await;
    let id = sim.create_kind("notebook", "nb").await;
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Pending"));
    // 60 sim seconds = 0.1 s real.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Running"));
}

#[tokio::test]
async fn events_404_until_pod_exists_and_none_after_an_hour() {
    let sim = start_with(SimConfig {
        headless_run_time: Duration::from_secs(DAY),
        queue_delay: Duration::from_secs(120),
        pending_delay: Duration::from_secs(10),
        ..fast_config()
    })
    .await;
    let id = sim.create_kind("headless", "queued").await;
    let (s, b) = text(
        sim.get(&format!("session/{id}?view=events"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b), (404, format!("session {id} not found\n")));
    // Logs of a queued job are empty, not an error.
    let (s, b) = text(
        sim.get(&format!("session/{id}?view=logs"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b.as_str()), (200, ""));
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Pending"));
    sim.handle.advance_clock(Duration::from_secs(121));
    let (s, b) = text(
        sim.get(&format!("session/{id}?view=events"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert!(b.starts_with("TYPE"));
    sim.handle.advance_clock(Duration::from_secs(3700));
    let (s, b) = text(
        sim.get(&format!("session/{id}?view=events"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b.as_str()), (200, "<none>\n"));
}

#[tokio::test]
async fn seeded_sessions_fill_the_platform() {
    let sim = start_with(SimConfig {
        seed_sessions: 2000,
        seed_spread: true,
        ..fast_config()
    })
    .await;
    let all: Value = sim
        .get("session?view=all")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2000);
    assert!(all.iter().any(|s| s["status"] == "Running"));
    assert!(all.iter().any(|s| s["status"] == "Pending"));
    assert!(all.iter().any(|s| s["status"] == "Completed"));
    // Alice's own list is unaffected by other users' sessions.
    let mine: Value = sim
        .get("session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine, serde_json::json!([]));

    // By default they belong to the first user (alice), like one big replica launch.
    let owned = start_with(SimConfig {
        seed_sessions: 50,
        ..fast_config()
    })
    .await;
    let mine: Value = owned
        .get("session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 50);
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["type"] == "headless"));
}

#[cfg(unix)]
#[tokio::test]
async fn real_headless_processes_give_logs_and_exit_status() {
    let sim = start_with(SimConfig {
        run_headless: true,
        ..fast_config()
    })
    .await;
    let ok = sim
        .create(&[
            ("image", PUBLIC_IMAGE),
            ("name", "ok"),
            ("cmd", "printenv"),
            ("args", "GREETING"),
            ("env", "GREETING=hello-from-job"),
        ])
        .await;
    let bad = sim
        .create(&[("image", PUBLIC_IMAGE), ("name", "bad"), ("cmd", "false")])
        .await;
    let missing = sim
        .create(&[
            ("image", PUBLIC_IMAGE),
            ("name", "nope"),
            ("cmd", "/no/such/binary"),
        ])
        .await;
    let wait = |id: String| {
        let sim = &sim;
        async move {
            for _ in 0..100 {
                let s = sim.status_of(&id).await.unwrap();
                if s == "Completed" || s == "Failed" {
                    return s;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("job {id} did not finish");
        }
    };
    assert_eq!(wait(ok.clone()).await, "Completed");
    let logs = sim
        .get(&format!("session/{ok}?view=logs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(logs, "hello-from-job\n");
    assert_eq!(wait(bad).await, "Failed");
    assert_eq!(wait(missing.clone()).await, "Failed");
    let logs = sim
        .get(&format!("session/{missing}?view=logs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(logs.contains("/no/such/binary"), "{logs}");

    // Deleting a running job kills it.
    let long = sim
        .create(&[
            ("image", PUBLIC_IMAGE),
            ("name", "long"),
            ("cmd", "sleep"),
            ("args", "30"),
        ])
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.status_of(&long).await.as_deref(), Some("Running"));
    sim.delete(&format!("session/{long}")).send().await.unwrap();
    assert_eq!(sim.status_of(&long).await.as_deref(), Some("Terminating"));
}
