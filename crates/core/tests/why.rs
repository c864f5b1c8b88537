//! "Why is it waiting?" against skyport-sim: each situation the sim can hold a session in,
//! read back through the real API (events table, stats, context, list) into one sentence.

use std::time::Duration;

use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_core::skaha::{
    Auth, CreateRequest, ListQuery, Resources, SessionId, SessionKind, SessionStatus, SkahaClient,
};
use skyport_core::why::{self, Cause};
use skyport_sim::{SimConfig, SimHandle, Stall};

const TOKEN: &str = "test-token-alice";

async fn sim(queue: Duration) -> SimHandle {
    skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        queue_delay: queue,
        ..SimConfig::default()
    })
    .await
    .expect("start sim")
}

fn alice(sim: &SimHandle) -> SkahaClient {
    let http = skyport_core::http::build_client(Default::default()).expect("http client");
    let service = ServiceUrl::parse(sim.skaha_url().as_str()).expect("service url");
    SkahaClient::new(http, service, Auth::Bearer(SecretString::new(TOKEN.into())))
}

fn launch(kind: SessionKind, ram_gb: u32) -> CreateRequest {
    CreateRequest {
        name: "big".into(),
        image: "images.canfar.net/skaha/astroml:latest".into(),
        kind: Some(kind),
        resources: Resources::Fixed {
            cores: 2,
            ram_gb,
            gpus: None,
        },
        ..Default::default()
    }
}

async fn cause_of(c: &SkahaClient, id: &SessionId) -> (Cause, String) {
    let (_, w) = why::ask(c, id).await.expect("why");
    let w = w.expect("a waiting session has a reason");
    (w.cause, w.sentence)
}

#[tokio::test]
async fn more_memory_than_any_node_has_free_waits_and_says_so() {
    let sim = sim(Duration::ZERO).await;
    let c = alice(&sim);
    let id = c
        .create_session(&launch(SessionKind::Notebook, 192))
        .await
        .expect("create");
    sim.advance_clock(Duration::from_secs(600));
    let (s, w) = why::ask(&c, &id).await.expect("why");
    assert_eq!(s.status, SessionStatus::Pending, "it waits for room");
    let w = w.expect("reason");
    assert_eq!(w.cause, Cause::NoRoom);
    // As chosen (the platform reports 206.16 decimal GB); the sim's platform is not busy.
    assert_eq!(w.sentence, "No node has 192 GB free.");
    // The sim's context offers 92 GB below 192 / 2.
    assert_eq!(w.next_step.as_deref(), Some("Try 92 GB, or wait."));
    assert!(w
        .evidence
        .as_deref()
        .unwrap_or("")
        .contains("Insufficient memory"));

    // A size that fits runs.
    let small = c
        .create_session(&CreateRequest {
            name: "small".into(),
            ..launch(SessionKind::Notebook, 8)
        })
        .await
        .expect("create");
    sim.advance_clock(Duration::from_secs(10));
    let (s, w) = why::ask(&c, &small).await.expect("why");
    assert_eq!((s.status, w), (SessionStatus::Running, None));
    sim.shutdown().await;
}

#[tokio::test]
async fn every_situation_the_sim_holds_reads_as_its_cause() {
    let sim = sim(Duration::ZERO).await;
    let c = alice(&sim);
    let id = c
        .create_session(&launch(SessionKind::Notebook, 8))
        .await
        .expect("create");
    for (stall, cause) in [
        (Stall::NoMemory, Cause::NoRoom),
        (Stall::NoCpu, Cause::NoRoom),
        (Stall::NoGpu, Cause::NoRoom),
        (Stall::Pulling, Cause::Pulling),
        (Stall::ImageMissing, Cause::ImageUnavailable),
        (Stall::ImagePrivate, Cause::ImageUnavailable),
        (Stall::Crashing, Cause::Crashing),
        (Stall::StorageMount, Cause::StorageUnavailable),
    ] {
        assert!(sim.stall(id.as_str(), Some(stall)), "{stall:?}");
        // Held however long it lasts.
        sim.advance_clock(Duration::from_secs(300));
        let (got, sentence) = cause_of(&c, &id).await;
        assert_eq!(got, cause, "{stall:?}: {sentence}");
    }
    let (_, sentence) = cause_of(&c, &id).await;
    assert!(
        sentence.contains("does not exist") || sentence.contains("storage"),
        "{sentence}"
    );

    // Released, it runs and has no reason to give.
    assert!(sim.stall(id.as_str(), None));
    sim.advance_clock(Duration::from_secs(10));
    let (s, w) = why::ask(&c, &id).await.expect("why");
    assert_eq!((s.status, w), (SessionStatus::Running, None));
    assert!(
        !sim.stall(id.as_str(), Some(Stall::Pulling)),
        "only Pending sessions"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn no_pod_yet_is_the_queue_and_a_list_is_explained_at_once() {
    let sim = sim(Duration::from_secs(3600)).await;
    let c = alice(&sim);
    let queued = c
        .create_session(&launch(SessionKind::Headless, 8))
        .await
        .expect("create");
    let (cause, sentence) = cause_of(&c, &queued).await;
    assert_eq!(cause, Cause::Queued);
    assert!(
        sentence.starts_with("Waiting in the platform's queue"),
        "{sentence}"
    );

    let pulling = c
        .create_session(&CreateRequest {
            name: "other".into(),
            ..launch(SessionKind::Headless, 8)
        })
        .await
        .expect("create");
    assert!(sim.stall(pulling.as_str(), Some(Stall::Pulling)));
    let list = c.list_sessions(&ListQuery::default()).await.expect("list");
    let ctx = c.context().await.expect("context");
    let quota = skyport_core::launch::quota(&list.sessions, &ctx);
    let waiting = why::waiting(&list.sessions);
    let whys = why::explain_list(&c, &waiting, Some(&ctx), Some(quota)).await;
    assert_eq!(whys.len(), 2, "{whys:?}");
    assert_eq!(whys[queued.as_str()].cause, Cause::Queued);
    assert_eq!(whys[pulling.as_str()].cause, Cause::Pulling);
    sim.shutdown().await;
}
