//! Sessions in the real app against the simulated platform: launch a notebook through the
//! form, watch it go Pending → Running, open its details, renew it, delete it; and the time
//! from a 2,000-session list arriving to its rendered frame (measured inside the webview).

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::Locator;
use skyport_sim::{SimConfig, SimHandle};

use crate::harness::{driver_or_skip, App, GUI};

const TOKEN: &str = "e2e-token";

async fn sim(config: SimConfig) -> SimHandle {
    skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        ..config
    })
    .await
    .expect("start the simulated platform")
}

async fn start_app(name: &str, driver: &std::path::Path, sim: &SimHandle) -> App {
    let url = sim.skaha_url().to_string();
    App::start(
        name,
        driver,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
    )
    .await
}

/// A Skaha client of the sim, as alice.
fn client(sim: &SimHandle) -> skyport_core::skaha::SkahaClient {
    skyport_core::skaha::SkahaClient::new(
        skyport_core::http::build_client(Default::default()).expect("http client"),
        skyport_core::platform::ServiceUrl::parse(sim.skaha_url().as_str()).expect("url"),
        skyport_core::skaha::Auth::Bearer(skyport_core::secret::SecretString::new(TOKEN.into())),
    )
}

async fn find(app: &App, css: &str) -> Option<Element> {
    app.client.find(Locator::Css(css)).await.ok()
}

/// Wait until `css` exists and its text satisfies `ok`; returns the text.
async fn wait_until(
    app: &App,
    what: &str,
    css: &str,
    timeout: Duration,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    loop {
        // textContent, not the WebDriver "visible text", which skips parts of the grid rows.
        if let Some(el) = find(app, css).await {
            if let Ok(Some(t)) = el.prop("textContent").await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        if Instant::now() > deadline {
            app.screenshot(&format!("sessions-failure-{}", what.replace(' ', "-")))
                .await;
            panic!("{what}: {css:?} never matched within {timeout:?}; last text: {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Wait until `css` contains `needle` (robust to the element being re-rendered meanwhile).
async fn wait_text(app: &App, css: &str, needle: &str) -> String {
    wait_until(app, needle, css, Duration::from_secs(15), |t| {
        t.contains(needle)
    })
    .await
}

/// Wait until nothing matches `css`.
async fn wait_gone(app: &App, what: &str, css: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while find(app, css).await.is_some() {
        if Instant::now() > deadline {
            app.screenshot(&format!("sessions-failure-{}", what.replace(' ', "-")))
                .await;
            panic!("{what}: {css:?} still present after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A screenshot once the last change has been painted (`App::screenshot` waits for two
/// animation frames first).
async fn shot(app: &App, name: &str) {
    app.screenshot(name).await;
}

async fn attr(app: &App, css: &str, name: &str) -> Option<String> {
    find(app, css).await?.attr(name).await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_watch_renew_delete() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = sim(SimConfig {
        pending_delay: Duration::from_secs(3),
        terminating_delay: Duration::from_secs(3),
        ..Default::default()
    })
    .await;
    let app = start_app("sessions", &driver, &sim).await;
    let long = Duration::from_secs(30);

    wait_text(&app, "h1", "Sessions").await;
    wait_text(&app, "main", "No sessions yet").await;

    // Launch a notebook through the form, with its defaults.
    app.click("nav button[data-view=launch]").await;
    wait_text(
        &app,
        "[data-testid=quota]",
        "0 of 3 interactive sessions in use",
    )
    .await;
    let name = attr(&app, "[data-testid=launch-name]", "value").await;
    let name = match name {
        Some(n) if !n.is_empty() => n,
        _ => find(&app, "[data-testid=launch-name]")
            .await
            .expect("name field")
            .prop("value")
            .await
            .expect("name value")
            .unwrap_or_default(),
    };
    assert_eq!(
        name, "notebook1",
        "the default name is the first free <kind><n>"
    );
    let image = find(&app, "[data-testid=launch-image]")
        .await
        .expect("image picker")
        .prop("value")
        .await
        .expect("image value")
        .unwrap_or_default();
    assert!(
        image.starts_with("images.canfar.net/"),
        "an image is preselected: {image:?}"
    );
    shot(&app, "sessions-launch-form").await;
    app.click("[data-testid=launch-submit]").await;

    // The app goes to Sessions, where the new session shows as Pending, then Running.
    wait_text(&app, "h1", "Sessions").await;
    let row = "[data-testid=session-row][data-name=notebook1]";
    wait_until(&app, "pending", row, long, |t| {
        t.contains("Pending") || t.contains("Running")
    })
    .await;
    shot(&app, "sessions-pending").await;
    let running = wait_until(&app, "running", row, long, |t| t.contains("Running")).await;
    assert!(
        running.contains("in 3 d 23 h"),
        "a live expiry countdown: {running:?}"
    );
    wait_text(&app, "[data-testid=sessions-asof]", "As of").await;
    shot(&app, "sessions-running").await;

    // Details: resources, events, logs and the actions.
    app.click(row).await;
    let details = "[data-testid=session-details]";
    wait_text(&app, details, "notebook1").await;
    wait_text(&app, details, "Resources").await;
    wait_until(&app, "events", details, long, |t| t.contains("Scheduled")).await;
    let open = find(&app, "[data-testid=details-open]")
        .await
        .expect("open button");
    assert!(
        open.is_enabled().await.expect("enabled state"),
        "Open is enabled for a Running session"
    );

    // Renew: a day later on the platform, renewing moves the expiry a day further out.
    sim.advance_clock(Duration::from_secs(86_400));
    app.click("[data-testid=details-renew]").await;
    let renewed = wait_until(&app, "renewed", "[data-testid=renew-result]", long, |t| {
        t.starts_with("Renewed — now expires ")
    })
    .await;
    let expected_day = (sim.now() + chrono::Duration::days(4))
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        renewed.contains(&expected_day) && renewed.contains(", in 4 d 23 h"),
        "the new expiry is shown: {renewed:?} (expected {expected_day}, in 4 d 23 h)"
    );
    wait_text(&app, "[data-testid=details-expiry]", "in 4 d 23 h").await;
    shot(&app, "sessions-renewed").await;

    // Delete, after a confirmation that names the session.
    app.click("[data-testid=details-delete]").await;
    wait_text(&app, "[data-testid=confirm-delete]", "Delete notebook1?").await;
    shot(&app, "sessions-confirm-delete").await;
    app.click("[data-testid=confirm-delete-button]").await;
    wait_gone(&app, "details closed", details, long).await;
    let after = wait_until(&app, "terminating", "main", long, |t| {
        t.contains("Terminating") || t.contains("No sessions yet")
    })
    .await;
    if after.contains("Terminating") {
        shot(&app, "sessions-terminating").await;
    }
    // The sim removes it once terminated.
    wait_gone(&app, "deleted", row, Duration::from_secs(60)).await;
    wait_text(&app, "main", "No sessions yet").await;
    shot(&app, "sessions-deleted").await;
    app.stop().await;
    sim.shutdown().await;
}

/// 2,000 sessions: a virtualised list (few rows in the DOM, the full count told to screen
/// readers), a refresh rendered again, and the last row reached by scrolling. How fast it
/// renders and scrolls is measured by `make bench`, not here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_sessions_are_all_reachable() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = sim(SimConfig {
        seed_sessions: 2000,
        seed_owner: Some("alice".into()),
        ..Default::default()
    })
    .await;
    let app = start_app("sessions-2000", &driver, &sim).await;
    let list = "[data-testid=sessions-list]";
    wait_text(&app, "[data-testid=sessions-summary]", "2,000 sessions").await;
    wait_until(&app, "rendered", list, Duration::from_secs(30), |_| true).await;
    // Only a window of rows is in the DOM; the grid tells screen readers the full size.
    let rows = app
        .client
        .find_all(Locator::Css("[data-testid=session-row]"))
        .await
        .expect("rows");
    assert!(
        !rows.is_empty() && rows.len() < 100,
        "a virtualised list keeps few rows in the DOM, found {}",
        rows.len()
    );
    assert_eq!(
        attr(&app, "[data-testid=session-grid]", "aria-rowcount")
            .await
            .as_deref(),
        Some("2001")
    );
    shot(&app, "sessions-2000").await;

    // A refresh delivers the whole list again and it is rendered again.
    let count_before = attr(&app, list, "data-render-count")
        .await
        .unwrap_or_default();
    app.click("[data-testid=sessions-refresh]").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let count = attr(&app, list, "data-render-count")
            .await
            .unwrap_or_default();
        if count != count_before {
            break;
        }
        assert!(Instant::now() < deadline, "the refresh was never rendered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Scrolling to the end shows the last rows.
    app.client
        .execute(
            "const s = document.querySelector('[data-testid=session-scroller]'); s.scrollTop = s.scrollHeight; s.dispatchEvent(new Event('scroll'));",
            vec![],
        )
        .await
        .expect("scroll");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let idx = app
            .client
            .execute(
                "return Math.max(...[...document.querySelectorAll('[data-testid=session-row]')].map(r => Number(r.getAttribute('aria-rowindex'))));",
                vec![],
            )
            .await
            .expect("row indexes");
        if idx.as_f64() == Some(2001.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the last row never rendered: {idx}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shot(&app, "sessions-2000-end").await;
    app.stop().await;
    sim.shutdown().await;
}

/// A Pending session explained: one that asks more memory than any node has free says so on
/// its line and, with the next step and the platform's words, in its details; released, it
/// runs and says nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_session_is_explained() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = sim(SimConfig::default()).await;
    let id = client(&sim)
        .create_session(&skyport_core::skaha::CreateRequest {
            name: "bigmem".into(),
            image: "images.canfar.net/skaha/astroml:latest".into(),
            kind: Some(skyport_core::skaha::SessionKind::Notebook),
            resources: skyport_core::skaha::Resources::Fixed {
                cores: 2,
                ram_gb: 192,
                gpus: None,
            },
            ..Default::default()
        })
        .await
        .expect("launch a big session");
    let app = start_app("why", &driver, &sim).await;
    let long = Duration::from_secs(30);

    let row = "[data-testid=session-row][data-name=bigmem]";
    wait_until(&app, "pending", row, long, |t| t.contains("Pending")).await;
    let line = format!("{row} [data-testid=session-why]");
    wait_until(&app, "why on the line", &line, long, |t| {
        t.contains("No room: memory") && t.contains("No node has 192 GB free.")
    })
    .await;
    shot(&app, "sessions-why-line").await;

    app.click(row).await;
    let why = "[data-testid=session-why-details]";
    let text = wait_text(&app, why, "Try 92 GB, or wait.").await;
    assert!(
        text.contains("Insufficient memory"),
        "the platform's own words: {text:?}"
    );
    shot(&app, "sessions-why-details").await;
    app.click("[data-testid=session-details] button[aria-label=Close]")
        .await;

    // Room frees up: it runs, and its line says what it is again.
    assert!(sim.stall(id.as_str(), None));
    wait_until(&app, "running", row, Duration::from_secs(60), |t| {
        t.contains("Running")
    })
    .await;
    wait_gone(&app, "why gone", &line, long).await;
    app.stop().await;
    sim.shutdown().await;
}

/// A launch made through the form is among the recent launches, and one click there launches
/// it again with the same parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recent_launch_is_launched_again() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = sim(SimConfig::default()).await;
    let app = start_app("relaunch", &driver, &sim).await;
    let long = Duration::from_secs(30);
    let rows = "[data-testid=session-row][data-name=again]";

    app.click("nav button[data-view=launch]").await;
    wait_text(&app, "[data-testid=quota]", "interactive sessions in use").await;
    app.click("input[type=radio][value=fixed]").await;
    app.fill("[data-testid=launch-name]", "again").await;
    app.click("[data-testid=launch-submit]").await;
    wait_text(&app, "h1", "Sessions").await;
    wait_until(&app, "launched", rows, long, |_| true).await;

    app.click("nav button[data-view=launch]").await;
    let recent = wait_text(&app, "[data-testid=recent-launches]", "again").await;
    assert!(
        recent.contains("cores") && recent.contains("GB"),
        "the recent launch says what it asked for: {recent:?}"
    );
    shot(&app, "launch-recent").await;
    app.click("[data-testid=recent-launch]").await;
    wait_text(&app, "h1", "Sessions").await;
    let deadline = Instant::now() + long;
    loop {
        let found = app
            .client
            .find_all(Locator::Css(rows))
            .await
            .map(|r| r.len())
            .unwrap_or(0);
        if found == 2 {
            break;
        }
        if Instant::now() > deadline {
            shot(&app, "sessions-failure-relaunch").await;
            panic!("the launch made again never showed: {found} sessions named again");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // The same parameters: both ask the same fixed resources.
    let list = client(&sim)
        .list_sessions(&Default::default())
        .await
        .expect("list the sessions");
    let asked: Vec<_> = list
        .sessions
        .iter()
        .filter(|s| s.name == "again")
        .map(|s| (s.image.clone(), s.requested_cores, s.requested_ram_gb))
        .collect();
    assert_eq!(asked.len(), 2);
    assert!(
        asked[0].1.is_some(),
        "fixed resources were asked: {asked:?}"
    );
    assert_eq!(asked[0], asked[1], "launched again as it was");
    shot(&app, "sessions-relaunched").await;

    // Once it runs, what it uses is noted and shown against its request in its details.
    let first = format!("{rows}:first-of-type");
    wait_until(&app, "running", &first, long, |t| t.contains("Running")).await;
    app.click(&first).await;
    wait_until(&app, "usage", "[data-testid=session-usage]", long, |t| {
        t.contains("RAM: at most") && t.contains("GB requested")
    })
    .await;
    shot(&app, "sessions-usage").await;
    app.stop().await;
    sim.shutdown().await;
}

/// An auto-extend carried out: on a platform whose sessions live 20 hours, a session kept
/// alive from its details is renewed by the app at once (less than a day is left), with one
/// notice, and its expiry moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_session_is_extended() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = sim(SimConfig {
        pending_delay: Duration::from_secs(1),
        interactive_lifetime: Duration::from_secs(20 * 3600),
        ..Default::default()
    })
    .await;
    let id = client(&sim)
        .create_session(&skyport_core::skaha::CreateRequest {
            name: "kept".into(),
            image: "images.canfar.net/skaha/astroml:latest".into(),
            kind: Some(skyport_core::skaha::SessionKind::Notebook),
            ..Default::default()
        })
        .await
        .expect("launch");
    let app = start_app("keep-alive", &driver, &sim).await;
    let long = Duration::from_secs(30);
    let row = "[data-testid=session-row][data-name=kept]";
    wait_until(&app, "running", row, long, |t| t.contains("Running")).await;
    let before = client(&sim)
        .get_session(&id)
        .await
        .expect("session")
        .expiry_time
        .expect("expiry");

    app.click(row).await;
    wait_text(
        &app,
        "[data-testid=keep-alive]",
        "Keep it alive while Skyport runs",
    )
    .await;
    app.click("[data-testid=keep-alive-start]").await;
    wait_text(
        &app,
        "[data-testid=keep-alive-rule]",
        "Kept alive while Skyport runs",
    )
    .await;
    shot(&app, "sessions-keep-alive").await;
    let notice = wait_text(&app, "[data-testid=notices]", "Extended kept").await;
    assert!(notice.contains("kept alive until"), "{notice:?}");
    wait_text(
        &app,
        "[data-testid=keep-alive-rule]",
        "extended once so far",
    )
    .await;
    shot(&app, "sessions-extended").await;
    let after = client(&sim)
        .get_session(&id)
        .await
        .expect("session")
        .expiry_time
        .expect("expiry");
    assert!(after > before, "the expiry moved: {before} -> {after}");
    // One notice for one extension: the next polls leave it be.
    app.click("[data-testid=session-details] button[aria-label=Close]")
        .await;
    // The timeline has it, kept alive, beside what else runs out.
    app.click("[data-testid=expiry-timeline] summary").await;
    let line = wait_text(&app, "[data-testid=expiry-timeline]", "Kept alive until").await;
    assert!(line.contains("kept"), "{line:?}");
    shot(&app, "sessions-timeline").await;
    app.click("[data-testid=sessions-refresh]").await;
    app.click("[data-testid=sessions-refresh]").await;
    wait_text(&app, "[data-testid=sessions-asof]", "As of").await;
    let notices = app
        .client
        .find_all(Locator::Css("[data-testid=notice]"))
        .await
        .expect("notices");
    let mut extended = 0;
    for n in notices {
        if n.text().await.unwrap_or_default().contains("Extended kept") {
            extended += 1;
        }
    }
    assert_eq!(extended, 1, "one notice per extension");
    app.stop().await;
    sim.shutdown().await;
}

/// A headless batch followed to its end: three replicas really run on the sim (the second
/// fails), the list shows them as one batch with its progress, one notice says that the
/// whole batch has ended, and the failed replica's logs are one click away.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_followed_to_its_end() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    // Pending until the test moves the sim's clock: seen waiting however slow the start.
    let pending = Duration::from_secs(3600);
    let sim = sim(SimConfig {
        pending_delay: pending,
        run_headless: true,
        ..Default::default()
    })
    .await;
    // The replicas wait for the test's go, so that the batch is seen running first.
    let dir = tempfile::tempdir().expect("tmp");
    let go = dir.path().join("go");
    let script = dir.path().join("job.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nwhile [ ! -e '{}' ]; do sleep 0.1; done\n\
             echo \"chunk $REPLICA_ID of $REPLICA_COUNT\"\n\
             if [ \"$REPLICA_ID\" = 2 ]; then echo 'chunk 2: no such file' >&2; exit 3; fi\n",
            go.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let made = client(&sim)
        .create_replicas(
            &skyport_core::skaha::CreateRequest {
                name: "fit".into(),
                image: "images.canfar.net/skaha/astroml:latest".into(),
                kind: Some(skyport_core::skaha::SessionKind::Headless),
                cmd: Some(script.display().to_string()),
                ..Default::default()
            },
            3,
        )
        .await;
    assert!(made.iter().all(|(_, r)| r.is_ok()), "{made:?}");

    // Still waiting when the app starts: it polls briskly while the batch changes.
    let app = start_app("batch", &driver, &sim).await;
    let long = Duration::from_secs(30);
    let batch = "[data-testid=batch][data-batch=fit]";
    wait_until(&app, "batch waiting", batch, long, |t| {
        t.contains("waiting")
    })
    .await;
    sim.advance_clock(pending);
    wait_until(&app, "batch running", batch, long, |t| {
        t.contains("In progress") && t.contains("3 running")
    })
    .await;
    shot(&app, "sessions-batch-running").await;

    std::fs::write(&go, "").expect("go");
    // Once the platform has them all ended, a Refresh shows it and says it (the poller,
    // which shares what was said, would in its own time).
    let deadline = Instant::now() + long;
    loop {
        let list = client(&sim)
            .list_sessions(&Default::default())
            .await
            .expect("list the sessions");
        if list.sessions.iter().all(|s| !s.status.is_active()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replicas never ended: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.click("[data-testid=sessions-refresh]").await;
    let ended = wait_until(&app, "batch ended", batch, long, |t| {
        t.contains("Ended with failures")
    })
    .await;
    assert!(ended.contains("2 of 3 done, 1 failed"), "{ended:?}");
    let notice = wait_text(&app, "[data-testid=notices]", "Batch fit ended, 1 failed").await;
    assert!(
        !notice.contains("fit-2 stopped") && !notice.contains("fit-1 finished"),
        "one notice for the batch, none per replica: {notice:?}"
    );
    shot(&app, "sessions-batch-ended").await;

    // The failed replica's logs, one click from the batch.
    app.click("[data-testid=batch-failed-logs]").await;
    wait_text(&app, "[data-testid=session-details]", "fit-2").await;
    wait_text(&app, "[data-testid=logs]", "chunk 2: no such file").await;
    shot(&app, "sessions-batch-logs").await;
    app.stop().await;
    sim.shutdown().await;
}
