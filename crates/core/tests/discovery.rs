//! Discovery against skyport-sim's registry and capabilities documents, and against the
//! failures real networks give: a registry that is down, an HTML error page, a timeout, a
//! service that errs, a registry that does not list the platform.

use std::io::{Read, Write};
use std::time::Duration;

use skyport_core::discovery::cache::Cache;
use skyport_core::discovery::capabilities::Security;
use skyport_core::discovery::{Discoverer, Step, Target};
use skyport_core::error::{Coded, ErrorCode};
use skyport_sim::{FaultRule, SimConfig, SimHandle};

async fn sim_with(faults: Vec<FaultRule>) -> SimHandle {
    skyport_sim::start(SimConfig {
        faults,
        ..SimConfig::default()
    })
    .await
    .expect("start sim")
}

fn discoverer(timeout: Duration, cache: Option<Cache>) -> Discoverer {
    let http = skyport_core::http::build_client(skyport_core::http::HttpOptions {
        timeout: Some(timeout),
        ..Default::default()
    })
    .expect("http");
    Discoverer::new(http, cache)
}

fn origin(sim: &SimHandle) -> String {
    sim.base_url().as_str().trim_end_matches('/').to_string()
}

fn canfar(sim: &SimHandle) -> Target {
    Target::Resource {
        id: "ivo://cadc.nrc.ca/skaha".into(),
        registry: format!("{}/reg/resource-caps", origin(sim)),
    }
}

#[tokio::test]
async fn a_canfar_like_platform_from_its_registry() {
    let sim = sim_with(vec![]).await;
    let o = origin(&sim);
    let d = discoverer(Duration::from_secs(10), None)
        .platform(&canfar(&sim))
        .await
        .expect("discovered");
    assert_eq!(d.session.service, format!("{o}/skaha"));
    assert_eq!(d.session.version, "v1");
    assert_eq!(
        d.session.security,
        [Security::Certificate, Security::Token, Security::Cookie]
    );
    assert_eq!(d.login.as_deref(), Some(format!("{o}/ac/login").as_str()));
    assert_eq!(
        d.credential.as_deref(),
        Some(format!("{o}/cred/generate").as_str())
    );
    assert_eq!(d.id.as_deref(), Some("ivo://cadc.nrc.ca/skaha"));
    assert!(d.notes.is_empty(), "{:?}", d.notes);
}

#[tokio::test]
async fn a_service_url_in_any_form_is_read_through_its_capabilities() {
    let sim = sim_with(vec![]).await;
    let o = origin(&sim);
    for url in [
        format!("{o}/skaha"),
        format!("{o}/skaha/v1/"),
        format!("{o}/skaha/capabilities"),
    ] {
        let d = discoverer(Duration::from_secs(10), None)
            .platform(&Target::Service(url.clone()))
            .await
            .expect(&url);
        assert_eq!(d.session.service, format!("{o}/skaha"), "{url}");
        assert_eq!(d.session.version, "v1");
        assert_eq!(d.registry, None);
    }
}

#[tokio::test]
async fn a_registry_that_is_down_is_named() {
    // A port nobody listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = free.local_addr().expect("addr").port();
    drop(free);
    let registry = format!("http://127.0.0.1:{port}/reg/resource-caps");
    let e = discoverer(Duration::from_secs(5), None)
        .platform(&Target::Resource {
            id: "ivo://cadc.nrc.ca/skaha".into(),
            registry: registry.clone(),
        })
        .await
        .expect_err("down");
    assert_eq!(e.step, Step::Registry);
    assert_eq!(e.code(), ErrorCode::PlatformUnreachable);
    assert!(
        e.message.starts_with(&format!(
            "Reading the registry at {registry} failed: cannot connect"
        )),
        "{e}"
    );
    assert!(
        e.message.ends_with("Check your network and the address."),
        "{e}"
    );
}

#[tokio::test]
async fn an_id_the_registry_does_not_list() {
    let sim = sim_with(vec![]).await;
    let e = discoverer(Duration::from_secs(10), None)
        .platform(&Target::Resource {
            id: "ivo://nowhere.example/skaha".into(),
            registry: format!("{}/reg/resource-caps", origin(&sim)),
        })
        .await
        .expect_err("not listed");
    assert_eq!(e.step, Step::Registry);
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(
        e.message
            .contains("it does not list ivo://nowhere.example/skaha"),
        "{e}"
    );
}

#[tokio::test]
async fn a_failing_capabilities_document_and_a_slow_one() {
    let sim = sim_with(vec![FaultRule {
        route: Some("/skaha/capabilities".into()),
        error_rate: 1.0,
        error_status: 502,
        times: Some(1),
        ..FaultRule::default()
    }])
    .await;
    let e = discoverer(Duration::from_secs(10), None)
        .platform(&canfar(&sim))
        .await
        .expect_err("502");
    assert_eq!(e.step, Step::Capabilities);
    assert_eq!(e.code(), ErrorCode::PlatformUnavailable);
    assert!(e.message.contains("HTTP 502"), "{e}");

    let slow = sim_with(vec![FaultRule {
        route: Some("/skaha/capabilities".into()),
        latency_ms: 3_000,
        ..FaultRule::default()
    }])
    .await;
    let e = discoverer(Duration::from_millis(500), None)
        .platform(&canfar(&slow))
        .await
        .expect_err("timeout");
    assert_eq!(e.step, Step::Capabilities);
    assert_eq!(e.code(), ErrorCode::Timeout);
    assert!(e.message.contains("did not answer in time"), "{e}");
}

/// A server that answers every request with `response` (a captive portal, a proxy's page).
fn answering(response: &'static str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(response.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_html_page_instead_of_documents() {
    const PAGE: &str = "<!DOCTYPE html><html><body><h1>Sign in to Wi-Fi</h1></body></html>";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{PAGE}",
        PAGE.len()
    );
    let base = answering(Box::leak(response.into_boxed_str()));
    let d = discoverer(Duration::from_secs(5), None);
    let e = d
        .platform(&Target::Service(format!("{base}/skaha")))
        .await
        .expect_err("html");
    assert_eq!(e.step, Step::Capabilities);
    assert!(
        e.message
            .contains("not a capabilities document (it starts with \"<!DOCTYPE html>"),
        "{e}"
    );
    let e = d
        .platform(&Target::Resource {
            id: "ivo://cadc.nrc.ca/skaha".into(),
            registry: format!("{base}/reg/resource-caps"),
        })
        .await
        .expect_err("html registry");
    assert_eq!(e.step, Step::Registry);
    assert!(e.message.contains("it lists no service"), "{e}");
}

#[tokio::test]
async fn a_fresh_copy_is_used_while_the_registry_is_down_and_forgotten_on_request() {
    let sim = sim_with(vec![]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let d = discoverer(
        Duration::from_secs(10),
        Some(Cache::new(dir.path().to_path_buf())),
    );
    let first = d.platform(&canfar(&sim)).await.expect("first");
    // Every discovery document now fails (the service itself still answers); the kept
    // copies answer.
    for route in [
        "/reg/",
        "/skaha/capabilities",
        "/ac/capabilities",
        "/cred/capabilities",
    ] {
        sim.set_fault(FaultRule {
            route: Some(route.into()),
            error_rate: 1.0,
            ..FaultRule::default()
        });
    }
    let again = d.platform(&canfar(&sim)).await.expect("from the cache");
    assert_eq!(again.session, first.session);
    d.forget(&first);
    let e = d.platform(&canfar(&sim)).await.expect_err("asked again");
    assert_eq!(e.step, Step::Registry);
}

#[tokio::test]
async fn a_platform_whose_session_service_does_not_answer_is_named() {
    let sim = sim_with(vec![FaultRule {
        route: Some("/skaha".into()),
        method: Some("HEAD".into()),
        error_rate: 1.0,
        error_status: 503,
        ..FaultRule::default()
    }])
    .await;
    let e = discoverer(Duration::from_secs(10), None)
        .platform(&canfar(&sim))
        .await
        .expect_err("down");
    assert_eq!(e.step, Step::Service);
    assert_eq!(e.code(), ErrorCode::PlatformUnreachable);
    assert!(
        e.message.starts_with(&format!(
            "Reading the session service at {}/skaha failed: it does not answer (HTTP 503",
            origin(&sim)
        )),
        "{e}"
    );
}

#[tokio::test]
async fn plain_http_to_another_machine_is_refused() {
    let e = discoverer(Duration::from_secs(5), None)
        .platform(&Target::Service("http://skaha.example.org/skaha".into()))
        .await
        .expect_err("plain http");
    assert_eq!(e.step, Step::Capabilities);
    assert_eq!(e.code(), ErrorCode::Validation);
    assert!(e.message.contains("only over https://"), "{e}");
}

#[tokio::test]
async fn the_demo_world_lists_three_platforms_each_discovered_as_it_is() {
    let world =
        skyport_sim::start_world(skyport_sim::demo_configs(SimConfig::default(), None), None)
            .await
            .expect("world");
    let registry = world.registry_url();
    let d = discoverer(Duration::from_secs(10), None);
    let listed = d.listed(&registry, false).await.expect("listed");
    let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["canfar", "sweSRC", "ukCAM"]);

    let at = |id: &str| Target::Resource {
        id: id.into(),
        registry: registry.clone(),
    };
    let canfar = d
        .platform(&at("ivo://cadc.nrc.ca/skaha"))
        .await
        .expect("canfar");
    assert_eq!(canfar.session.version, "v1");
    assert!(canfar.login.is_some() && canfar.credential.is_some());

    // The SRCNet-like node: v0 through the legacy id, tokens only, no password services.
    let node = d
        .platform(&at("ivo://swesrc.chalmers.se/skaha"))
        .await
        .expect("node");
    assert_eq!(node.session.version, "v0");
    assert_eq!(node.session.security, [Security::Token]);
    assert_eq!((node.login, node.credential), (None, None));

    let e = d
        .platform(&at("ivo://canfar.cam.uksrc.org/skaha"))
        .await
        .expect_err("down");
    assert_eq!(e.step, Step::Service);
    assert!(e.message.contains("HTTP 503"), "{e}");
    world.shutdown().await;
}
