use chrono::Duration;
use serde_json::json;

use super::*;

fn t0() -> DateTime<Utc> {
    "2026-12-01T08:00:00Z".parse().expect("time")
}

/// A Running fixed session (8 GB chosen = "8.59" reported) using `cores` and `ram` (as
/// reported, decimal GB).
fn running(id: &str, name: &str, cores: f64, ram: f64) -> Session {
    Session::from_json(&json!({
        "id": id, "userid": "alice", "image": "images.canfar.net/skaha/astroml:24.07",
        "type": "headless", "status": "Running", "name": name,
        "requestedRAM": "8.59", "requestedCPUCores": "4", "requestedGPUCores": "0",
        "isFixedResources": true,
        "ramInUse": format!("{ram:.2}"), "cpuCoresInUse": format!("{cores:.3}"),
    }))
    .expect("session")
}

fn context() -> Context {
    Context::from_json(&json!({
        "cores": {"default": 2, "options": [1, 2, 4, 6, 8, 16]},
        "memoryGB": {"default": 8, "options": [1, 2, 4, 6, 8, 16, 32]},
        "gpus": {"options": []},
    }))
    .expect("context")
}

const FIT: Resources = Resources::Fixed {
    cores: 4,
    ram_gb: 8,
    gpus: None,
};

/// Watch one session every minute for `minutes`, using `use_at(minute)`.
fn watch(minutes: i64, use_at: impl Fn(i64) -> (f64, f64)) -> UsageHistory {
    let mut h = UsageHistory::default();
    for m in 0..=minutes {
        let (cores, ram) = use_at(m);
        h.observe(
            "canfar",
            &[running("a1", "fit", cores, ram)],
            t0() + Duration::minutes(m),
        );
    }
    h
}

#[test]
fn a_long_life_fits_in_a_few_points_and_keeps_its_peak() {
    // Three days, one observation a minute; a single one-minute spike on day two.
    let h = watch(
        3 * 1440,
        |m| if m == 2000 { (3.5, 7.0) } else { (0.3, 1.1) },
    );
    let t = h.track("canfar", "a1").expect("tracked");
    assert!(t.samples.len() <= SAMPLES_KEPT && t.samples.len() > SAMPLES_KEPT / 2);
    assert_eq!(t.peak_cores, Some(3.5));
    assert_eq!(t.peak_ram_gb, Some(7.0), "as the platform reports it");
    let spikes = t.samples.iter().filter(|s| s.cores == Some(3.5)).count();
    assert_eq!(spikes, 1, "the spike is one point, not lost in a merge");
    assert_eq!(t.watched(), Duration::days(3));
    // Points in order.
    assert!(t.samples.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(t.requested_cores, Some(4.0));
    assert_eq!(t.requested_ram_gb, Some(8.59));
    assert_eq!(
        UsageHistory::asked(t),
        Some((4, 8)),
        "in the form's figures"
    );
}

#[test]
fn only_running_sessions_with_figures_are_watched() {
    let mut h = UsageHistory::default();
    let mut pending = running("p1", "p", 0.0, 0.0);
    pending.status = SessionStatus::Pending;
    let mut blind = running("b1", "b", 0.0, 0.0);
    blind.cores_in_use = None;
    blind.ram_in_use_gb = None;
    assert!(!h.observe("canfar", &[pending, blind], t0()));
    assert!(h.observe("canfar", &[running("a1", "fit", 0.2, 1.0)], t0()));
    assert!(h.track("canfar", "a1").is_some());
    assert!(h.track("other", "a1").is_none(), "kept per platform");
}

#[test]
fn an_oversized_launch_is_told_what_would_do() {
    let h = watch(3 * 1440, |m| {
        (0.2 + (m % 7) as f64 / 100.0, 1.2 + (m % 5) as f64 / 100.0)
    });
    let tracks = h.launched_as(
        "canfar",
        "fit",
        "images.canfar.net/skaha/astroml:24.07",
        &FIT,
    );
    assert_eq!(tracks.len(), 1);
    let fit = fit(&tracks, 4, 8, Some(&context())).expect("a smaller size");
    // 1.24 decimal GB at most = 1.15 GB in the form's units; with room, 2 GB.
    assert_eq!(fit.ram_gb, Some(2));
    assert_eq!(fit.cores, Some(1));
    assert_eq!(
        fit.sentence,
        "Used at most 1.2 of 8 GB over 3 days: 2 GB would do; used at most 0.3 of 4 cores over 3 days: 1 core would do."
    );
}

#[test]
fn a_tight_launch_is_told_to_ask_more_and_a_right_one_nothing() {
    let tight = watch(120, |_| (2.5, 8.4));
    let tracks = tight.launched_as(
        "canfar",
        "fit",
        "images.canfar.net/skaha/astroml:24.07",
        &FIT,
    );
    let fit_tight = fit(&tracks, 4, 8, Some(&context())).expect("more room");
    assert_eq!(fit_tight.ram_gb, Some(16));
    assert_eq!(fit_tight.cores, None, "2.5 of 4 cores is about right");
    assert_eq!(
        fit_tight.sentence,
        "Used up to 7.8 of 8 GB over 2 hours: 16 GB would leave room."
    );

    let right = watch(600, |_| (2.5, 5.0));
    let tracks = right.launched_as(
        "canfar",
        "fit",
        "images.canfar.net/skaha/astroml:24.07",
        &FIT,
    );
    assert_eq!(fit(&tracks, 4, 8, Some(&context())), None);
}

#[test]
fn too_short_a_watch_says_nothing() {
    let h = watch(30, |_| (0.1, 0.2));
    let tracks = h.launched_as(
        "canfar",
        "fit",
        "images.canfar.net/skaha/astroml:24.07",
        &FIT,
    );
    assert_eq!(fit(&tracks, 4, 8, Some(&context())), None);
    assert_eq!(fit(&[], 4, 8, Some(&context())), None);
}

#[test]
fn a_launch_finds_its_replicas_and_only_them() {
    let mut h = UsageHistory::default();
    let image = "images.canfar.net/skaha/astroml:24.07";
    let batch = [
        running("r1", "fit-1", 0.5, 2.0),
        running("r2", "fit-2", 0.6, 3.0),
        running("x1", "fitter", 0.5, 2.0),
        running("x2", "fit-x", 0.5, 2.0),
    ];
    h.observe("canfar", &batch, t0());
    let names: Vec<_> = h
        .launched_as("canfar", "fit", image, &FIT)
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"fit-1".to_string()) && names.contains(&"fit-2".to_string()));
    assert!(h.launched_as("canfar", "fit", "other:1", &FIT).is_empty());
    assert_eq!(
        h.launched_as("canfar", "fit", "skaha/astroml:24.07", &FIT)
            .len(),
        2,
        "as the launch named it, the registry left to the platform"
    );
    assert!(h
        .launched_as("canfar", "fit", "skaha/astroml", &FIT)
        .is_empty());
    assert!(h
        .launched_as("canfar", "fit", image, &Resources::Flexible)
        .is_empty());
    let bigger = Resources::Fixed {
        cores: 8,
        ram_gb: 8,
        gpus: None,
    };
    assert!(h.launched_as("canfar", "fit", image, &bigger).is_empty());
    assert_eq!(
        h.launched_as("canfar", "", image, &FIT).len(),
        4,
        "a launch with no name: any name"
    );
}

#[test]
fn the_oldest_histories_go_first() {
    let mut h = UsageHistory::default();
    for i in 0..(TRACKS_KEPT + 10) {
        let id = format!("s{i}");
        h.observe(
            "canfar",
            &[running(&id, "n", 0.1, 0.1)],
            t0() + Duration::seconds(i as i64),
        );
    }
    assert!(h.track("canfar", "s0").is_none());
    assert!(h.track("canfar", "s9").is_none());
    assert!(h.track("canfar", "s10").is_some());
    assert!(h
        .track("canfar", &format!("s{}", TRACKS_KEPT + 9))
        .is_some());
}

#[test]
fn saved_and_read_back_and_a_damaged_file_starts_afresh() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("usage.json");
    let h = watch(300, |m| (0.1 * (m % 3) as f64, 1.0));
    h.save(&path).expect("save");
    let back = UsageHistory::load(&path);
    assert_eq!(back.track("canfar", "a1"), h.track("canfar", "a1"));
    // Watching goes on from where it was.
    let mut back = back;
    back.observe(
        "canfar",
        &[running("a1", "fit", 0.9, 1.0)],
        t0() + Duration::minutes(301),
    );
    assert_eq!(
        back.track("canfar", "a1").and_then(|t| t.peak_cores),
        Some(0.9)
    );

    std::fs::write(&path, b"{\"tracks\": [{\"id\": ").expect("write");
    assert!(UsageHistory::load(&path).track("canfar", "a1").is_none());
    assert!(UsageHistory::load(&dir.path().join("none.json"))
        .track("canfar", "a1")
        .is_none());
}

#[test]
fn more_sessions_running_than_kept_do_not_crowd_out_those_watched() {
    let mut h = UsageHistory::default();
    let many: Vec<_> = (0..TRACKS_KEPT + 50)
        .map(|i| running(&format!("s{i}"), "n", 0.1, 0.1))
        .collect();
    let reversed: Vec<_> = many.iter().rev().cloned().collect();
    for minute in 0..3 {
        // The platform's order changes from one list to the next.
        let list = if minute % 2 == 0 { &many } else { &reversed };
        h.observe("canfar", list, t0() + Duration::minutes(minute));
    }
    let watched: Vec<_> = many
        .iter()
        .filter_map(|s| h.track("canfar", s.id.as_str()))
        .collect();
    assert_eq!(watched.len(), TRACKS_KEPT);
    assert!(
        watched.iter().all(|t| t.watched() == Duration::minutes(2)),
        "the ones watched keep their history"
    );
}
