//! Headless batches against skyport-sim: the replicas of a launch really run (one of them
//! fails), the list groups them with their progress, the tracker says once that the batch
//! has ended, and the failed replica's logs say why.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use skyport_core::batches::batches;
use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_core::sessions::{SessionNotice, SessionTracker, SessionsSnapshot};
use skyport_core::skaha::{Auth, CreateRequest, ListQuery, SessionKind, SkahaClient};
use skyport_sim::SimConfig;

const TOKEN: &str = "test-token-alice";

#[tokio::test]
async fn a_batch_runs_one_replica_fails_and_its_end_is_said_once() {
    let sim = skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        pending_delay: Duration::ZERO,
        run_headless: true,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let http = skyport_core::http::build_client(Default::default()).expect("http");
    let service = ServiceUrl::parse(sim.skaha_url().as_str()).expect("url");
    let c = SkahaClient::new(http, service, Auth::Bearer(SecretString::new(TOKEN.into())));

    // Replica 2 of 3 fails, as a job does on a bad input chunk; each reads REPLICA_ID. They
    // wait for the test's go, so that they are seen running first.
    let dir = tempfile::tempdir().expect("tmp");
    let go = dir.path().join("go");
    let script = dir.path().join("job.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nwhile [ ! -e '{}' ]; do sleep 0.05; done\n\
             echo \"chunk $REPLICA_ID of $REPLICA_COUNT\"\n\
             if [ \"$REPLICA_ID\" = 2 ]; then echo 'chunk 2: no such file' >&2; exit 3; fi\n",
            go.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let req = CreateRequest {
        name: "fit".into(),
        image: "images.canfar.net/skaha/astroml:latest".into(),
        kind: Some(SessionKind::Headless),
        cmd: Some(script.display().to_string()),
        ..Default::default()
    };

    let mut tracker = SessionTracker::default();
    let warn = Duration::from_secs(3600);
    let list = c.list_sessions(&ListQuery::default()).await.expect("list");
    assert!(tracker.observe(&list.sessions, sim.now(), warn).is_empty());

    let made = c.create_replicas(&req, 3).await;
    assert!(made.iter().all(|(_, r)| r.is_ok()), "{made:?}");
    let list = c.list_sessions(&ListQuery::default()).await.expect("list");
    let first = batches(&list.sessions);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!((first[0].name.as_str(), first[0].total), ("fit", 3));
    assert!(!first[0].ended(), "{}", first[0].progress);
    let mut said = tracker.observe(&list.sessions, sim.now(), warn);
    std::fs::write(&go, "").expect("go");

    // Until every replica has ended: only then, and only once, a notice for the batch.
    let mut ended = None;
    for _ in 0..200 {
        let list = c.list_sessions(&ListQuery::default()).await.expect("list");
        said.extend(tracker.observe(&list.sessions, sim.now(), warn));
        let snap = SessionsSnapshot::fetched(list.sessions, 0, sim.now());
        if snap.batches.first().is_some_and(|b| b.ended()) {
            ended = Some(snap);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let snap = ended.expect("the batch never ended");
    let b = &snap.batches[0];
    assert_eq!(b.progress, "2 of 3 done, 1 failed");
    let failed = snap
        .sessions
        .iter()
        .find(|s| b.failed_ids.contains(&s.id.0))
        .expect("the failed replica is listed");
    assert_eq!(failed.name, "fit-2");
    assert!(
        matches!(&said[..], [SessionNotice::BatchEnded { name, progress, failed_ids, .. }]
            if name == "fit" && progress == &b.progress && failed_ids == &b.failed_ids),
        "one notice for the batch, none per replica: {said:?}"
    );
    let again = c.list_sessions(&ListQuery::default()).await.expect("list");
    assert_eq!(tracker.observe(&again.sessions, sim.now(), warn), []);

    // The failed one's logs say why (one click away in the app).
    let logs = c.logs(&failed.id).await.expect("logs");
    assert!(logs.contains("chunk 2: no such file"), "{logs}");
    sim.shutdown().await;
}
