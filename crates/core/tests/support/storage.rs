//! What the storage tests share: a sim with a cavern-like `/arc`, and clients of it found as
//! discovery finds them.
#![allow(dead_code)]

use std::time::Duration;

use skyport_core::discovery::{capabilities, services};
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, RetryPolicy};
use skyport_core::vospace::client::StorageClient;
use skyport_core::vospace::NodePath;
use skyport_sim::{SimConfig, SimHandle};

pub const ALICE: &str = "token-alice";
pub const BOB: &str = "token-bob";
pub const QUOTA: u64 = 10 * 1024 * 1024;

pub async fn sim() -> SimHandle {
    sim_with(QUOTA, None).await
}

/// A sim whose homes hold `quota` bytes, its files' contents kept in `dir`.
pub async fn sim_with(quota: u64, dir: Option<std::path::PathBuf>) -> SimHandle {
    skyport_sim::start(SimConfig {
        tokens: vec![(ALICE.into(), "alice".into()), (BOB.into(), "bob".into())],
        storage: true,
        storage_quota: quota,
        storage_dir: dir,
        ..SimConfig::default()
    })
    .await
    .expect("sim")
}

pub fn p(s: &str) -> NodePath {
    NodePath::parse(s).expect(s)
}

/// The nodes URL as discovery finds it: the storage's capabilities document.
pub async fn nodes_url(sim: &SimHandle) -> url::Url {
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

pub async fn client(sim: &SimHandle, token: &str) -> StorageClient {
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
