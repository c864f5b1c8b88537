//! Session-list throughput on loopback: starts a sim with 2,000 seeded headless sessions and
//! hammers `GET /skaha/v1/session` over keep-alive connections with a minimal HTTP/1.1
//! client (so the client costs little CPU next to the server).
//!
//! cargo run --release -p skyport-sim --example loadgen
//! Env: LOADGEN_SECS (default 5), LOADGEN_CONNS (default 16), LOADGEN_SEED (default 2000).

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skyport_sim::SimConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends `req` repeatedly on one connection, counting complete responses.
async fn worker(
    addr: std::net::SocketAddr,
    req: Arc<Vec<u8>>,
    stop: Instant,
    count: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    while Instant::now() < stop {
        s.write_all(&req).await.unwrap();
        // Read the head, then Content-Length bytes of body.
        let mut have = 0;
        let (head_end, len) = loop {
            let n = s.read(&mut buf[have..]).await.unwrap();
            assert!(n > 0, "server closed");
            have += n;
            if let Some(p) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..p]).unwrap().to_ascii_lowercase();
                assert!(head.starts_with("http/1.1 200"), "{head}");
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap();
                break (p + 4, len);
            }
        };
        let total = head_end + len;
        if total > buf.len() {
            buf.resize(total, 0);
        }
        while have < total {
            let n = s.read(&mut buf[have..total]).await.unwrap();
            assert!(n > 0);
            have += n;
        }
        count.fetch_add(1, Ordering::Relaxed);
        bytes.fetch_add(total as u64, Ordering::Relaxed);
    }
}

async fn run(
    label: &str,
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
    secs: u64,
    conns: u64,
) {
    let req = Arc::new(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n")
            .into_bytes(),
    );
    let count = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let stop = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        tasks.push(tokio::spawn(worker(
            addr,
            req.clone(),
            stop,
            count.clone(),
            bytes.clone(),
        )));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let el = start.elapsed().as_secs_f64();
    let n = count.load(Ordering::Relaxed);
    let b = bytes.load(Ordering::Relaxed);
    println!(
        "{label}: {n} requests in {el:.2} s = {:.0} req/s ({:.1} MB/s, {} B/response)",
        n as f64 / el,
        b as f64 / el / 1e6,
        b / n.max(1)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let secs = env_num("LOADGEN_SECS", 5);
        let conns = env_num("LOADGEN_CONNS", 16);
        let seed = env_num("LOADGEN_SEED", 2000) as usize;
        let sim = skyport_sim::start(SimConfig {
            tokens: vec![("bench-alice".into(), "alice".into()), ("bench-seed".into(), "seed-user-07".into())],
            seed_sessions: seed,
            seed_spread: true,
            pending_delay: Duration::ZERO,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let addr = sim.addrs().http;
        // Alice has a few sessions of her own among the 2,000 seeded ones.
        let c = reqwest::Client::new();
        for i in 0..3 {
            c.post(format!("{}skaha/v1/session", sim.base_url()))
                .bearer_auth("bench-alice")
                .query(&[("image", "images.canfar.net/skaha/astroml:latest"), ("name", &format!("nb{i}")), ("type", "notebook")])
                .send()
                .await
                .unwrap();
        }
        println!("sim with {seed} seeded headless sessions; {conns} keep-alive connections; 2 worker threads");
        run("GET /skaha/v1/session (alice, 3 sessions)", addr, "/skaha/v1/session", "bench-alice", secs, conns).await;
        run(
            "GET /skaha/v1/session (seed-user-07, 40 sessions)",
            addr,
            "/skaha/v1/session",
            "bench-seed",
            secs,
            conns,
        )
        .await;
        run("GET /skaha/v1/session?view=all (2,003 sessions)", addr, "/skaha/v1/session?view=all", "bench-alice", secs.min(3), 4).await;
        sim.shutdown().await;
    });
}
