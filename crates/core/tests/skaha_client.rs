//! The Skaha client against skyport-sim: every operation, error path and fault.

use std::time::Duration;

use skyport_core::error::{Coded, ErrorCode};
use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_core::skaha::{
    Auth, CreateRequest, ListQuery, RegistryAuth, Resources, RetryPolicy, SessionId, SessionKind,
    SessionStatus, SkahaClient, SkahaError,
};
use skyport_sim::{FaultRule, SimConfig, SimHandle};

const TOKEN: &str = "test-token-alice";

async fn sim() -> SimHandle {
    sim_with(|_| {}).await
}

async fn sim_with(f: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut cfg = SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        ..SimConfig::default()
    };
    f(&mut cfg);
    skyport_sim::start(cfg).await.expect("start sim")
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    }
}

fn client(sim: &SimHandle, auth: Auth) -> SkahaClient {
    let http = skyport_core::http::build_client(Default::default()).expect("http client");
    let service = ServiceUrl::parse(sim.skaha_url().as_str()).expect("service url");
    SkahaClient::new(http, service, auth).with_retry(fast_retry())
}

fn alice(sim: &SimHandle) -> SkahaClient {
    client(sim, Auth::Bearer(SecretString::new(TOKEN.into())))
}

fn notebook(name: &str) -> CreateRequest {
    CreateRequest {
        name: name.into(),
        image: "images.canfar.net/skaha/astroml:latest".into(),
        kind: Some(SessionKind::Notebook),
        ..Default::default()
    }
}

async fn wait_status(
    c: &SkahaClient,
    sim: &SimHandle,
    id: &SessionId,
    want: SessionStatus,
) -> skyport_core::skaha::Session {
    for _ in 0..100 {
        let s = c.get_session(id).await.expect("get session");
        if s.status == want {
            return s;
        }
        sim.advance_clock(Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("session {id} never became {want:?}");
}

#[tokio::test]
async fn notebook_lifecycle_create_run_renew_delete() {
    let sim = sim().await;
    let c = alice(&sim);
    assert!(c
        .list_sessions(&ListQuery::default())
        .await
        .expect("list")
        .sessions
        .is_empty());

    let id = c
        .create_session(&notebook("MyNotebook"))
        .await
        .expect("create");
    let s = c.get_session(&id).await.expect("get");
    assert_eq!(s.status, SessionStatus::Pending);
    assert_eq!(s.name, "mynotebook", "the server lower-cases names");
    assert!(
        s.start_time.is_none(),
        "pending sessions have no start time"
    );

    let running = wait_status(&c, &sim, &id, SessionStatus::Running).await;
    let expiry = running.expiry_time.expect("expiry");
    let start = running.start_time.expect("start");
    assert_eq!(
        (expiry - start).num_seconds(),
        345_600,
        "interactive sessions live 4 days"
    );
    let url = running.connect_url.clone().expect("connect url");
    assert!(
        url.contains(&format!(
            "/session/notebook/{id}/lab/tree/arc/home/alice?token={id}"
        )),
        "{url}"
    );

    // Renew moves the expiry to now + lifetime once time has passed.
    sim.advance_clock(Duration::from_secs(3 * 86_400));
    c.renew(&id).await.expect("renew");
    let renewed = c.get_session(&id).await.expect("get");
    let new_expiry = renewed.expiry_time.expect("expiry");
    assert!(
        new_expiry > expiry,
        "renew must move the expiry: {expiry} -> {new_expiry}"
    );
    assert!(
        (new_expiry - sim.now()).num_seconds().abs_diff(345_600) < 5,
        "renewed expiry should be now + 4 days"
    );

    let listed = c
        .list_sessions(&ListQuery {
            kind: Some(SessionKind::Notebook),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.sessions.len(), 1);
    assert_eq!(listed.skipped, 0);

    c.delete(&id).await.expect("delete");
    let after = c
        .get_session(&id)
        .await
        .expect("still there while terminating");
    assert_eq!(after.status, SessionStatus::Terminating);
    for _ in 0..50 {
        sim.advance_clock(Duration::from_secs(5));
        if matches!(c.get_session(&id).await, Err(SkahaError::NotFound { .. })) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("deleted session never went away");
}

#[tokio::test]
async fn logs_events_images_context_repository_stats() {
    let sim = sim().await;
    let c = alice(&sim);
    let id = c.create_session(&notebook("nb")).await.expect("create");
    wait_status(&c, &sim, &id, SessionStatus::Running).await;
    let _logs = c.logs(&id).await.expect("logs");
    let events = c.events(&id).await.expect("events");
    for e in &events {
        assert!(!e.reason.is_empty() || !e.message.is_empty());
    }

    let all = c.images(None).await.expect("images");
    assert!(!all.is_empty());
    let carta = c
        .images(Some(&SessionKind::Carta))
        .await
        .expect("carta images");
    assert!(
        carta.iter().all(|i| i.kinds.contains(&SessionKind::Carta)),
        "{carta:?}"
    );
    assert!(carta.len() < all.len());

    let ctx = c.context().await.expect("context");
    assert!(ctx.cores.options.contains(&2.0));
    assert!(!ctx.memory_gb.options.is_empty());
    let repos = c.repositories().await.expect("repositories");
    assert!(
        repos.contains(&"images.canfar.net".to_string()),
        "{repos:?}"
    );
    let stats = c.stats().await.expect("stats");
    assert!(stats.cores_available.expect("cores available") > 0.0);
}

#[tokio::test]
async fn validation_errors_keep_the_servers_message_and_field() {
    let sim = sim().await;
    let c = alice(&sim);
    let mut req = notebook("nb");
    req.resources = Resources::Fixed {
        cores: 2,
        ram_gb: 5,
        gpus: None,
    };
    let err = c
        .create_session(&req)
        .await
        .expect_err("5 GB is not a memory option");
    assert_eq!(err.code(), ErrorCode::Validation);
    assert_eq!(err.field(), Some("ram"));
    assert!(
        err.to_string().contains("Invalid value for 'ram': 5"),
        "{err}"
    );
    assert!(!err.to_string().contains("java.lang"), "{err}");

    let mut bad_image = notebook("nb");
    bad_image.image = "docker.io/library/ubuntu:latest".into();
    let err = c
        .create_session(&bad_image)
        .await
        .expect_err("foreign registry");
    assert_eq!(err.field(), Some("image"));

    let err = c
        .create_session(&notebook("bad name!"))
        .await
        .expect_err("client-side name check");
    assert!(matches!(err, SkahaError::Invalid(_)));

    let err = c
        .get_session(&SessionId("zzzzzzzz".into()))
        .await
        .expect_err("unknown id");
    assert_eq!(err.code(), ErrorCode::NotFound);
    // Deleting an unknown id is 200 on the real service.
    c.delete(&SessionId("zzzzzzzz".into()))
        .await
        .expect("delete unknown id is ok");
}

#[tokio::test]
async fn quota_is_reported_as_quota_and_headless_is_unlimited() {
    let sim = sim().await;
    let c = alice(&sim);
    for i in 0..3 {
        c.create_session(&notebook(&format!("nb{i}")))
            .await
            .expect("within quota");
    }
    let err = c.create_session(&notebook("nb3")).await.expect_err("quota");
    assert_eq!(err.code(), ErrorCode::QuotaReached);
    assert!(err.to_string().contains("maximum of 3"), "{err}");
    let headless = CreateRequest {
        name: "job".into(),
        image: "images.canfar.net/skaha/astroml:latest".into(),
        kind: Some(SessionKind::Headless),
        cmd: Some("echo".into()),
        args: Some("hello world".into()),
        ..Default::default()
    };
    let results = c.create_replicas(&headless, 3).await;
    let names: Vec<_> = results.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["job-1", "job-2", "job-3"]);
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
}

#[tokio::test]
async fn credentials_are_required_and_checked() {
    let sim = sim().await;
    let anon = client(&sim, Auth::None);
    let err = anon
        .list_sessions(&ListQuery::default())
        .await
        .expect_err("anonymous");
    assert_eq!(err.code(), ErrorCode::SignInNeeded, "{err}");
    let wrong = client(&sim, Auth::Bearer(SecretString::new("not-a-token".into())));
    let err = wrong
        .list_sessions(&ListQuery::default())
        .await
        .expect_err("bad token");
    assert_eq!(err.code(), ErrorCode::SignInNeeded, "{err}");
    // A token from the platform's own login works, and so does the CADC_SSO cookie.
    let login = sim.login_token("alice");
    client(&sim, Auth::Bearer(SecretString::new(login.clone())))
        .list_sessions(&ListQuery::default())
        .await
        .expect("login token");
    client(&sim, Auth::Cookie(SecretString::new(login)))
        .list_sessions(&ListQuery::default())
        .await
        .expect("cookie");
}

#[tokio::test]
async fn private_images_need_registry_credentials() {
    let sim = sim().await;
    let c = alice(&sim);
    let mut req = notebook("priv");
    req.image = "images.canfar.net/myproject/private:1.0".into();
    let err = c.create_session(&req).await.expect_err("no registry auth");
    assert_eq!(err.field(), Some("registry"), "{err}");
    req.registry_auth = Some(RegistryAuth {
        username: "alice".into(),
        secret: SecretString::new("s3cret".into()),
    });
    c.create_session(&req).await.expect("with registry auth");
}

#[tokio::test]
async fn reads_retry_503_honouring_retry_after_but_creates_never_retry() {
    let sim = sim().await;
    let c = alice(&sim);
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        method: Some("GET".into()),
        unavailable_rate: 1.0,
        retry_after: 0,
        times: Some(2),
        ..Default::default()
    });
    c.list_sessions(&ListQuery::default())
        .await
        .expect("read retried through two 503s");

    sim.clear_faults();
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        method: Some("POST".into()),
        unavailable_rate: 1.0,
        retry_after: 3,
        times: Some(1),
        ..Default::default()
    });
    let err = c
        .create_session(&notebook("once"))
        .await
        .expect_err("create is not retried");
    match &err {
        SkahaError::Unavailable { retry_after, .. } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(3)))
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.to_string().contains("retry after 3 s"), "{err}");
    // The fault was used once: the second attempt (by the user) goes through, and exactly one session exists.
    c.create_session(&notebook("once"))
        .await
        .expect("second try");
    assert_eq!(
        c.list_sessions(&ListQuery::default())
            .await
            .expect("list")
            .sessions
            .len(),
        1
    );
}

#[tokio::test]
async fn truncated_bodies_and_resets_are_retried_for_reads() {
    let sim = sim().await;
    let c = alice(&sim);
    c.create_session(&notebook("nb")).await.expect("create");
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        method: Some("GET".into()),
        truncate_rate: 1.0,
        truncate_bytes: 10,
        times: Some(1),
        ..Default::default()
    });
    assert_eq!(
        c.list_sessions(&ListQuery::default())
            .await
            .expect("after truncation")
            .sessions
            .len(),
        1
    );
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        method: Some("GET".into()),
        reset_rate: 1.0,
        times: Some(2),
        ..Default::default()
    });
    assert_eq!(
        c.list_sessions(&ListQuery::default())
            .await
            .expect("after resets")
            .sessions
            .len(),
        1
    );

    // When every attempt is cut off, the error says the answer was unreadable.
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/session".into()),
        method: Some("GET".into()),
        truncate_rate: 1.0,
        truncate_bytes: 5,
        ..Default::default()
    });
    let err = c
        .list_sessions(&ListQuery::default())
        .await
        .expect_err("always truncated");
    // Depending on whether the headers were flushed before the cut, the client sees a body
    // that ends early or a connection that closes: both are transient and say so.
    assert!(err.is_transient(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("cut off") || text.contains("broke off"),
        "{text}"
    );
}

#[tokio::test]
async fn slow_servers_time_out_with_a_clear_error_and_down_servers_are_unreachable() {
    let sim = sim().await;
    sim.set_fault(FaultRule {
        route: Some("/skaha/v1/context".into()),
        latency_ms: 2_000,
        ..Default::default()
    });
    let http = skyport_core::http::build_client(skyport_core::http::HttpOptions {
        timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    })
    .expect("http");
    let service = ServiceUrl::parse(sim.skaha_url().as_str()).expect("url");
    let c = SkahaClient::new(http, service, Auth::Bearer(SecretString::new(TOKEN.into())))
        .with_retry(RetryPolicy {
            attempts: 2,
            ..fast_retry()
        });
    let err = c.context().await.expect_err("timeout");
    assert_eq!(err.code(), ErrorCode::Timeout, "{err:?}");

    let url = sim.skaha_url().to_string();
    drop(sim);
    let http = skyport_core::http::build_client(Default::default()).expect("http");
    let gone = SkahaClient::new(http, ServiceUrl::parse(&url).expect("url"), Auth::None)
        .with_retry(fast_retry());
    let err = gone
        .list_sessions(&ListQuery::default())
        .await
        .expect_err("down");
    assert_eq!(err.code(), ErrorCode::PlatformUnreachable, "{err:?}");
    assert!(err.to_string().contains("could not be reached"), "{err}");
}

#[tokio::test]
async fn client_certificates_over_tls_list_sessions() {
    let sim = sim().await;
    let pem = sim.issue_client_cert("alice", Duration::from_secs(3600));
    let http = skyport_core::http::build_client(skyport_core::http::HttpOptions {
        extra_roots_pem: vec![sim.ca_pem().into_bytes()],
        identity_pem: Some(skyport_core::secret::Secret::new(pem.into_bytes())),
        ..Default::default()
    })
    .expect("http with identity");
    let service =
        ServiceUrl::parse(sim.https_url().join("skaha").expect("join").as_str()).expect("url");
    let c = SkahaClient::new(http, service, Auth::None).with_retry(fast_retry());
    c.list_sessions(&ListQuery::default())
        .await
        .expect("certificate alone is enough");
}
