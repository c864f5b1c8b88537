//! The storage client against the sim's cavern-like `/arc`: found through discovery,
//! listings and usage as cavern answers them, permissions, faults and retries.

use std::time::Duration;

use skyport_core::discovery::{capabilities, services};
use skyport_core::error::{Coded, ErrorCode};
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, RetryPolicy};
use skyport_core::vospace::client::{StorageClient, StorageError};
use skyport_core::vospace::{NodeKind, NodePath};
use skyport_sim::{FaultRule, SimConfig, SimHandle};

const ALICE: &str = "token-alice";
const BOB: &str = "token-bob";
const QUOTA: u64 = 10 * 1024 * 1024;

async fn sim() -> SimHandle {
    skyport_sim::start(SimConfig {
        tokens: vec![(ALICE.into(), "alice".into()), (BOB.into(), "bob".into())],
        storage: true,
        storage_quota: QUOTA,
        ..SimConfig::default()
    })
    .await
    .expect("sim")
}

fn p(s: &str) -> NodePath {
    NodePath::parse(s).expect(s)
}

/// The nodes URL as discovery finds it: the storage's capabilities document.
async fn nodes_url(sim: &SimHandle) -> url::Url {
    let caps_url = sim.base_url().join("arc/capabilities").expect("url");
    let text = reqwest::get(caps_url)
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let caps = capabilities::parse(&text).expect("capabilities");
    let nodes = services::storage_nodes(&caps).expect("a nodes capability");
    url::Url::parse(&nodes).expect("nodes url")
}

async fn client(sim: &SimHandle, token: &str) -> StorageClient {
    StorageClient::new(
        skyport_core::http::build_client(Default::default()).expect("http"),
        nodes_url(sim).await,
        Some("ivo://cadc.nrc.ca/arc".into()),
        Auth::Bearer(SecretString::new(token.into())),
    )
    .expect("client")
    .with_retry(RetryPolicy {
        attempts: 3,
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    })
}

#[tokio::test]
async fn a_home_is_listed_with_its_sizes_dates_and_quota() {
    let sim = sim().await;
    let alice = client(&sim, ALICE).await;
    // The first call makes the home, as a first session launch does.
    let home = alice.list(&p("/home/alice")).await.expect("home");
    assert!(home.children.is_empty());
    assert_eq!(home.node.quota, Some(QUOTA));

    assert!(sim.put_storage_file("/home/alice/run 1/a.fits", "alice", vec![7; 3000]));
    assert!(sim.put_storage_file("/home/alice/notes.txt", "alice", b"hello\n".to_vec()));
    assert!(sim.put_storage_file("/home/alice/.ssl/cadcproxy.pem", "alice", vec![1; 100]));
    let home = alice.list(&p("/home/alice")).await.expect("home");
    let names: Vec<_> = home
        .children
        .iter()
        .map(|c| c.path.name().to_string())
        .collect();
    assert_eq!(
        names,
        [".ssl", "notes.txt", "run 1"],
        "sorted, hidden ones too"
    );
    let run = &home.children[2];
    assert_eq!((run.kind, run.size), (NodeKind::Container, Some(3000)));
    let notes = &home.children[1];
    assert_eq!((notes.kind, notes.size), (NodeKind::Data, Some(6)));
    assert_eq!(
        notes.md5.as_deref(),
        Some("b1946ac92492d2347c6235b4d2611184")
    );
    assert_eq!(notes.writable, Some(true));
    assert!(notes.modified.is_some() && notes.creator.as_deref() == Some("alice"));
    assert_eq!(home.node.size, Some(3106));

    // Usage from any path in the home, without listing it.
    let (root, usage) = alice
        .usage(&p("/home/alice/run 1/a.fits"))
        .await
        .expect("usage");
    assert_eq!(root, p("/home/alice"));
    assert_eq!(usage.free(), Some(QUOTA - 3106));

    // A file alone; a folder with a space in its name.
    let file = alice
        .list(&p("/home/alice/run 1/a.fits"))
        .await
        .expect("file");
    assert_eq!(
        (file.node.kind, file.node.size),
        (NodeKind::Data, Some(3000))
    );
    assert!(file.children.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn what_is_missing_or_not_yours_says_so() {
    let sim = sim().await;
    let alice = client(&sim, ALICE).await;
    let bob = client(&sim, BOB).await;
    alice.list(&p("/home/alice")).await.expect("home");
    assert!(sim.put_storage_file("/home/alice/private/x", "alice", vec![1]));

    let e = alice
        .list(&p("/home/alice/nothing"))
        .await
        .expect_err("missing");
    assert!(matches!(e, StorageError::NotFound { .. }), "{e:?}");
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(
        e.to_string().contains("/home/alice/nothing does not exist"),
        "{e}"
    );

    // Another's home: its folder shows without its contents; below it, refused.
    let theirs = bob.list(&p("/home/alice")).await.expect("listed empty");
    assert!(theirs.children.is_empty());
    let e = bob
        .list(&p("/home/alice/private"))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e:?}");
    assert!(e.to_string().contains("Ask its owner"), "{e}");

    // A credential the service does not know.
    let stranger = client(&sim, "not-a-token").await;
    let e = stranger.list(&p("/home/alice")).await.expect_err("refused");
    assert_eq!(e.code(), ErrorCode::SignInNeeded, "{e:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_busy_service_is_asked_again_and_garbage_is_refused() {
    let sim = sim().await;
    let alice = client(&sim, ALICE).await;
    // Two 503s, then the answer: retried.
    sim.set_fault(FaultRule {
        route: Some("/arc/nodes".into()),
        unavailable_rate: 1.0,
        retry_after: 0,
        times: Some(2),
        ..FaultRule::default()
    });
    alice.list(&p("/home/alice")).await.expect("after two 503s");
    // Busy for longer than the client waits: said so, with when to try.
    sim.set_fault(FaultRule {
        route: Some("/arc/nodes".into()),
        unavailable_rate: 1.0,
        retry_after: 600,
        ..FaultRule::default()
    });
    let e = alice.list(&p("/home/alice")).await.expect_err("busy");
    assert!(e.to_string().contains("try again in 600 s"), "{e}");
    sim.clear_faults();
    // A listing cut short is not an empty folder.
    sim.set_fault(FaultRule {
        route: Some("/arc/nodes".into()),
        truncate_rate: 1.0,
        truncate_bytes: 200,
        ..FaultRule::default()
    });
    let e = alice.list(&p("/home/alice")).await.expect_err("cut short");
    assert_eq!(e.code(), ErrorCode::PlatformError, "{e:?}");
    sim.clear_faults();
    // A page from something else in front of the service.
    let html = StorageClient::new(
        skyport_core::http::build_client(Default::default()).expect("http"),
        sim.base_url().join("vo/echo/").expect("url"),
        None,
        Auth::None,
    )
    .expect("client");
    let e = html
        .list(&p("/home/alice"))
        .await
        .expect_err("not a listing");
    assert!(e.to_string().contains("not a storage listing"), "{e}");
    // A credential never goes over plain http to another machine.
    let e = StorageClient::new(
        skyport_core::http::build_client(Default::default()).expect("http"),
        url::Url::parse("http://storage.example.org/arc/nodes").expect("url"),
        None,
        Auth::Bearer(SecretString::new(ALICE.into())),
    )
    .expect_err("plain http");
    assert!(e.to_string().contains("only over HTTPS"), "{e}");
    sim.shutdown().await;
}
