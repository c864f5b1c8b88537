//! The kubelet's and the scheduler's own wording, as `view=events` shows it.

use serde_json::json;

use super::*;
use crate::skaha::model::parse_events;

fn session(status: &str, kind: &str, ram: &str, cores: f64, gpus: f64) -> Session {
    Session::from_json(&json!({
        "id": "k3x9q2ab", "userid": "alice", "image": "images.canfar.net/skaha/astroml:24.07",
        "type": kind, "status": status, "name": "big",
        "requestedRAM": ram, "requestedCPUCores": cores.to_string(),
        "requestedGPUCores": gpus.to_string(),
    }))
    .expect("session")
}

fn pending(ram: &str) -> Session {
    session("Pending", "notebook", ram, 8.0, 0.0)
}

/// The shipped Helm context (skaha-api.md §2.10).
fn context() -> Context {
    Context::from_json(&json!({
        "cores": {"default": 2, "defaultRequest": 1, "defaultLimit": 8,
                  "options": [1, 2, 4, 6, 8, 10, 12, 14, 16]},
        "memoryGB": {"default": 8, "defaultRequest": 4, "defaultLimit": 32,
                     "options": [1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 26, 28, 30, 32, 36, 40,
                                 44, 48, 56, 64, 80, 92, 112, 128, 140, 170, 192]},
        "gpus": {"options": [1, 2, 3, 4]},
        "maxInteractiveSessions": "3"
    }))
    .expect("context")
}

/// RAM 94% taken, CPUs 80%.
fn stats() -> PlatformStats {
    PlatformStats::from_json(&json!({
        "cores": {"requestedCPUCores": 768.0, "cpuCoresAvailable": 960.0},
        "ram": {"requestedRAM": "3850G", "ramAvailable": "4096G"}
    }))
    .expect("stats")
}

fn table(rows: &[&str]) -> Vec<SessionEvent> {
    let mut body = "TYPE     REASON   MESSAGE   FIRST-TIME   LAST-TIME\n".to_string();
    for r in rows {
        body.push_str(r);
        body.push('\n');
    }
    parse_events(&body)
}

fn why(s: &Session, events: Option<&[SessionEvent]>, others: &[Session]) -> Why {
    let (st, ctx) = (stats(), context());
    explain(&Facts {
        session: s,
        events,
        stats: Some(&st),
        context: Some(&ctx),
        quota: Some(crate::launch::quota(others, &ctx)),
    })
    .expect("a reason")
}

const SCHEDULED: &str = "Normal Scheduled Successfully assigned skaha-workload/skaha-notebook-k3x9q2ab-abcde to k8s-worker-07 2026-07-13T22:57:10Z 2026-07-13T22:57:10Z";

#[test]
fn not_enough_memory_names_the_size_the_load_and_a_size_that_fits() {
    let s = pending("192G");
    let ev = table(&["Warning FailedScheduling 0/12 nodes are available: 12 Insufficient memory. preemption: 0/12 nodes are available: 12 No preemption victims found for incoming pod. 2026-07-13T22:57:10Z 2026-07-13T23:02:11Z"]);
    let w = why(&s, Some(&ev), std::slice::from_ref(&s));
    assert_eq!(w.cause, Cause::NoRoom);
    assert_eq!(
        w.sentence,
        "No node has 192 GB free: the platform's RAM is 94% taken."
    );
    // Half of 192 is 96, the platform has 246 GB free in all: the largest option <= 96.
    assert_eq!(w.next_step.as_deref(), Some("Try 92 GB, or wait."));
    assert_eq!(w.short, "No room: memory");
    assert!(w
        .evidence
        .as_deref()
        .unwrap_or("")
        .starts_with("FailedScheduling: 0/12 nodes"));
    assert_eq!(
        w.since.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-07-13T22:57:10+00:00")
    );
}

#[test]
fn not_enough_cores_or_gpus() {
    let s = session("Pending", "headless", "8G", 16.0, 0.0);
    let ev = table(&["Warning FailedScheduling 0/5 nodes are available: 5 Insufficient cpu. <nil> 2026-07-13T23:02:11Z"]);
    let w = why(&s, Some(&ev), &[]);
    assert_eq!(
        w.sentence,
        "No node has 16 cores free: the platform's CPUs are 80% taken."
    );
    assert_eq!(w.next_step.as_deref(), Some("Try 8 cores, or wait."));

    let s = session("Pending", "notebook", "8G", 2.0, 4.0);
    let ev = table(&["Warning FailedScheduling 0/8 nodes are available: 2 Insufficient cpu, 8 Insufficient nvidia.com/gpu. <nil> <nil>"]);
    let w = why(&s, Some(&ev), &[]);
    assert_eq!(w.sentence, "No node has 4 GPUs free.");
    assert_eq!(w.next_step.as_deref(), Some("Try 2 GPUs, or wait."));

    let s = session("Pending", "notebook", "8G", 2.0, 1.0);
    let w = why(&s, Some(&ev), &[]);
    assert_eq!(w.sentence, "No node has 1 GPU free.");
    assert_eq!(
        w.next_step.as_deref(),
        Some("Wait: GPUs free up as other sessions end.")
    );
}

#[test]
fn placement_rules_alone_are_said_as_such() {
    let s = pending("8G");
    let ev = table(&["Warning FailedScheduling 0/5 nodes are available: 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn't match Pod's node affinity/selector. <nil> <nil>"]);
    let w = why(&s, Some(&ev), &[]);
    assert_eq!(w.cause, Cause::NoRoom);
    assert!(w.sentence.contains("placement rules"), "{w:?}");
}

#[test]
fn at_the_limit_a_waiting_session_says_it_counts() {
    let s = pending("192G");
    let others = [
        s.clone(),
        session("Running", "desktop", "8G", 2.0, 0.0),
        session("Running", "carta", "8G", 2.0, 0.0),
        session("Running", "headless", "8G", 2.0, 0.0),
    ];
    let ev = table(&[
        "Warning FailedScheduling 0/12 nodes are available: 12 Insufficient memory. <nil> <nil>",
    ]);
    let w = why(&s, Some(&ev), &others);
    assert!(
        w.sentence
            .ends_with("You are at your limit of 3 interactive sessions; this one counts toward it while it waits."),
        "{}",
        w.sentence
    );
    // Below the limit (headless sessions do not count): nothing said.
    let below = [s.clone(), others[1].clone(), others[3].clone()];
    let w = why(&s, Some(&ev), &below);
    assert!(!w.sentence.contains("limit"), "{}", w.sentence);
}

#[test]
fn no_pod_yet_is_the_queue_with_the_load() {
    let s = session("Pending", "headless", "8G", 2.0, 0.0);
    let w = why(&s, None, &[]);
    assert_eq!(w.cause, Cause::Queued);
    assert_eq!(
        w.sentence,
        "Waiting in the platform's queue: no node has been chosen yet. The platform's RAM is 94% taken."
    );
    let w = why(&s, Some(&[]), &[]);
    assert_eq!(w.cause, Cause::Accepted);
}

#[test]
fn pulling_then_starting() {
    let s = pending("8G");
    let ev = table(&[
        SCHEDULED,
        "Normal Pulling Pulling image \"images.canfar.net/skaha/astroml:24.07\" 2026-07-13T22:57:11Z 2026-07-13T22:57:11Z",
    ]);
    let w = why(&s, Some(&ev), &[]);
    assert_eq!(w.cause, Cause::Pulling);
    assert_eq!(w.sentence, "Pulling the image (first use on this node).");
    assert_eq!(w.short, "Pulling image");

    let ev = table(&[
        SCHEDULED,
        "Normal Pulled Container image \"images.canfar.net/skaha/astroml:24.07\" already present on machine 2026-07-13T22:57:11Z 2026-07-13T22:57:11Z",
        "Normal Created Created container notebook 2026-07-13T22:57:12Z 2026-07-13T22:57:12Z",
        "Normal Started Started container notebook 2026-07-13T22:57:12Z 2026-07-13T22:57:12Z",
    ]);
    assert_eq!(why(&s, Some(&ev), &[]).cause, Cause::Starting);
}

#[test]
fn the_latest_event_counts_not_the_last_row() {
    let s = pending("8G");
    // kubectl does not sort: the scheduler's old complaint comes after the placement.
    let ev = table(&[
        SCHEDULED,
        "Normal Pulling Pulling image \"x\" 2026-07-13T22:57:11Z 2026-07-13T22:57:11Z",
        "Warning FailedScheduling 0/12 nodes are available: 12 Insufficient memory. 2026-07-13T22:50:00Z 2026-07-13T22:56:00Z",
    ]);
    assert_eq!(why(&s, Some(&ev), &[]).cause, Cause::Pulling);
}

#[test]
fn an_image_that_cannot_be_pulled_says_which_way() {
    let s = pending("8G");
    let missing = table(&[
        SCHEDULED,
        "Normal Pulling Pulling image \"images.canfar.net/skaha/nope:1\" 2026-07-13T22:57:11Z 2026-07-13T22:57:11Z",
        "Warning Failed Failed to pull image \"images.canfar.net/skaha/nope:1\": rpc error: code = NotFound desc = failed to pull and unpack image \"images.canfar.net/skaha/nope:1\": failed to resolve reference \"images.canfar.net/skaha/nope:1\": images.canfar.net/skaha/nope:1: not found 2026-07-13T22:57:12Z 2026-07-13T22:57:40Z",
        "Warning Failed Error: ErrImagePull 2026-07-13T22:57:12Z 2026-07-13T22:57:40Z",
        "Normal BackOff Back-off pulling image \"images.canfar.net/skaha/nope:1\" 2026-07-13T22:57:13Z 2026-07-13T22:58:20Z",
        "Warning Failed Error: ImagePullBackOff 2026-07-13T22:57:13Z 2026-07-13T22:58:20Z",
    ]);
    let w = why(&s, Some(&missing), &[]);
    assert_eq!(w.cause, Cause::ImageUnavailable);
    assert_eq!(
        w.sentence,
        "The image could not be pulled: it does not exist under that name."
    );
    assert_eq!(w.short, "Image not found");

    let private = table(&[
        "Warning Failed Failed to pull image \"images.canfar.net/private/x:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"images.canfar.net/private/x:1\": failed to resolve reference \"images.canfar.net/private/x:1\": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://images.canfar.net/service/token?scope=repository%3Aprivate%2Fx%3Apull&service=harbor-registry: 401 Unauthorized 2026-07-13T22:57:12Z 2026-07-13T22:57:40Z",
        "Warning Failed Error: ImagePullBackOff 2026-07-13T22:57:13Z 2026-07-13T22:58:20Z",
    ]);
    let w = why(&s, Some(&private), &[]);
    assert!(w.sentence.contains("refused access"), "{}", w.sentence);
    assert!(w.next_step.as_deref().unwrap_or("").contains("CLI secret"));

    let bare = table(&["Warning Failed Error: ImagePullBackOff <nil> <nil>"]);
    let w = why(&s, Some(&bare), &[]);
    assert_eq!(
        w.sentence,
        "The image could not be pulled: it does not exist or needs registry credentials."
    );
}

#[test]
fn a_crashing_program_storage_and_eviction() {
    let s = pending("8G");
    let ev = table(&["Warning BackOff Back-off restarting failed container notebook in pod skaha-notebook-k3x9q2ab-abcde_skaha-workload(0c6e) 2026-07-13T22:58:00Z 2026-07-13T23:05:00Z"]);
    let w = why(&s, Some(&ev), &[]);
    assert_eq!(w.cause, Cause::Crashing);
    assert!(w
        .next_step
        .as_deref()
        .unwrap_or("")
        .starts_with("Read its logs"));

    let ev = table(&["Warning FailedMount MountVolume.SetUp failed for volume \"cavern-volume\" : mount failed: exit status 32 2026-07-13T22:58:00Z 2026-07-13T23:05:00Z"]);
    assert_eq!(why(&s, Some(&ev), &[]).cause, Cause::StorageUnavailable);

    let ev = table(&[
        "Warning Evicted The node was low on resource: memory. 2026-07-13T22:58:00Z <nil>",
    ]);
    assert_eq!(why(&s, Some(&ev), &[]).cause, Cause::Evicted);

    let ev = table(&["Warning SomethingNew The platform did a thing <nil> <nil>"]);
    let w = why(&s, Some(&ev), &[]);
    assert_eq!(w.cause, Cause::Other);
    assert_eq!(
        w.evidence.as_deref(),
        Some("SomethingNew: The platform did a thing")
    );
}

#[test]
fn failed_sessions_and_running_ones() {
    let failed = session("Failed", "headless", "8G", 2.0, 0.0);
    let started = table(&[
        SCHEDULED,
        "Normal Started Started container main <nil> <nil>",
    ]);
    let w = why(&failed, Some(&started), &[]);
    assert_eq!(w.cause, Cause::Ended);
    assert_eq!(w.sentence, "It ended with an error.");
    assert_eq!(why(&failed, None, &[]).cause, Cause::Ended);
    assert_eq!(why(&failed, Some(&[]), &[]).cause, Cause::Ended);

    let running = session("Running", "notebook", "8G", 2.0, 0.0);
    let (st, ctx) = (stats(), context());
    let facts = Facts {
        session: &running,
        events: Some(&started),
        stats: Some(&st),
        context: Some(&ctx),
        quota: None,
    };
    assert_eq!(explain(&facts), None);
}

#[test]
fn without_stats_or_context_it_still_explains() {
    let s = pending("192G");
    let ev = table(&[
        "Warning FailedScheduling 0/12 nodes are available: 12 Insufficient memory. <nil> <nil>",
    ]);
    let w = explain(&Facts {
        session: &s,
        events: Some(&ev),
        stats: None,
        context: None,
        quota: None,
    })
    .expect("a reason");
    assert_eq!(w.sentence, "No node has 192 GB free.");
    assert_eq!(w.next_step.as_deref(), Some("Try 96 GB, or wait."));
}
