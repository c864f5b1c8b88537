//! The Storage view against the sim's cavern-like `/arc`: a file dragged from another X
//! client (a real XDND drag, as from a file manager) is uploaded and listed, downloaded into
//! the Downloads folder, and deleted after a confirmation.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use skyport_sim::SimConfig;
use tokio::io::AsyncBufReadExt as _;

use crate::harness::{driver_or_skip, xdo, xdotool_or_skip, App, GUI};

const TOKEN: &str = "e2e-token";

/// The drag source (examples/drag_source.rs): `cargo test` builds the examples with the
/// tests; a filtered run (`--test e2e`) may not have built it yet.
fn drag_source() -> PathBuf {
    // Beside this test's own binary (target/debug/deps/e2e-…): target/debug/examples.
    let exe = std::env::current_exe()
        .ok()
        .and_then(|t| t.parent()?.parent().map(|d| d.join("examples/drag_source")))
        .expect("the test's own path");
    assert!(
        exe.exists(),
        "{} is missing: run `cargo build --example drag_source` first (make test builds it)",
        exe.display()
    );
    exe
}

/// Wait until `check` answers something, polling the page; fail after `within` saying `what`.
async fn wait_for<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn exists(app: &App, css: &str) -> bool {
    app.client.find(Locator::Css(css)).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_dropped_on_storage_is_uploaded_downloaded_and_deleted() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let Some(()) = xdotool_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        storage: true,
        storage_quota: 50 * 1024 * 1024,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    assert!(sim.put_storage_file("/home/alice/notes.txt", "alice", b"hello\n".to_vec()));
    let work = tempfile::tempdir().expect("tmp");
    let file = work.path().join("cube.fits");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &data).expect("write");

    let skaha = sim.skaha_url().to_string();
    let nodes = sim.base_url().join("arc/nodes").expect("url").to_string();
    let app = App::start(
        "storage",
        &driver,
        &[
            ("SKYPORT_URL", skaha.as_str()),
            ("SKYPORT_TOKEN", TOKEN),
            ("SKYPORT_STORAGE_URL", nodes.as_str()),
        ],
    )
    .await;
    app.click("nav button[data-view=storage]").await;
    app.wait_text("[data-testid=storage] table", "notes.txt")
        .await;
    app.wait_text("[data-testid=storage] [role=meter] + span", "of 52 MB used")
        .await;

    // The drag: from a window of another program, onto the middle of Skyport's.
    let (wx, wy, ww, wh) = app.client.get_window_rect().await.expect("window rect");
    let (sx, sy) = (wx as i64 + ww as i64 - 200, wy as i64 + wh as i64 - 110);
    let mut source = tokio::process::Command::new(drag_source())
        .arg(&file)
        .arg(sx.to_string())
        .arg(sy.to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the drag source");
    let mut lines = tokio::io::BufReader::new(source.stdout.take().expect("stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    assert!(
        matches!(ready, Ok(Ok(Some(ref l))) if l == "ready"),
        "the drag source did not show its window: {ready:?}"
    );
    let from = (sx + 90, sy + 45);
    let to = (wx as i64 + ww as i64 / 2, wy as i64 + wh as i64 / 2);
    xdo(&[
        "mousemove",
        "--sync",
        &from.0.to_string(),
        &from.1.to_string(),
    ]);
    xdo(&["mousedown", "1"]);
    // Several moves, as a hand makes them: GTK starts a drag past its threshold, and the
    // target answers each position before the drop.
    for i in 1..=12 {
        let x = from.0 + (to.0 - from.0) * i / 12;
        let y = from.1 + (to.1 - from.1) * i / 12;
        xdo(&[
            "mousemove",
            "--sync",
            &x.to_string(),
            &y.to_string(),
            "sleep",
            "0.05",
        ]);
    }
    // Dropped only once the page shows it would take the file (its drop overlay): GTK
    // cancels a drop that the target has not answered yet, as a busy window may not have.
    let mut nudge = 0;
    wait_for(
        "the page's drop overlay under the dragged file",
        Duration::from_secs(20),
        || {
            nudge = 1 - nudge;
            let at = ((to.0 + nudge).to_string(), to.1.to_string());
            let app = &app;
            async move {
                if exists(app, "section.storage.dragging").await {
                    return Some(());
                }
                // A small move: the target is asked again where the drag is.
                xdo(&["mousemove", "--sync", &at.0, &at.1]);
                None
            }
        },
    )
    .await;
    xdo(&["mouseup", "1"]);
    let _ = tokio::time::timeout(Duration::from_secs(10), source.wait()).await;

    let row = "[data-testid=storage] tr[data-name='cube.fits']";
    wait_for(
        "the dropped file listed",
        Duration::from_secs(30),
        || async { exists(&app, row).await.then_some(()) },
    )
    .await;
    app.wait_text(row, "300 KB").await;
    app.wait_text(
        "[data-testid=storage] [aria-label=Transfers]",
        "uploaded, checked by MD5",
    )
    .await;
    let (stored, _) = sim
        .storage_file("/home/alice/cube.fits")
        .expect("the file is in the storage");
    assert!(stored == data, "the uploaded bytes differ");
    app.screenshot("storage-uploaded").await;

    // Down into the Downloads folder; a file of that name there is kept.
    let downloads = app.home.path().join("skyport/Downloads");
    std::fs::create_dir_all(&downloads).expect("downloads");
    std::fs::write(downloads.join("cube.fits"), b"older").expect("older file");
    app.click("[data-testid=storage] button[aria-label='Download cube.fits']")
        .await;
    let saved = downloads.join("cube (1).fits");
    wait_for("the download saved", Duration::from_secs(30), || async {
        std::fs::read(&saved).ok().filter(|b| *b == data)
    })
    .await;
    assert_eq!(
        std::fs::read(downloads.join("cube.fits")).expect("older"),
        b"older"
    );
    app.wait_text(
        "[data-testid=storage] [aria-label=Transfers]",
        "saved in Downloads as cube (1).fits, checked by MD5",
    )
    .await;

    // Deleted after the question.
    app.click("[data-testid=storage] button[aria-label='Delete cube.fits']")
        .await;
    app.wait_text("dialog", "cannot be undone").await;
    app.screenshot("storage-delete-confirm").await;
    app.click("dialog button.danger").await;
    wait_for("the row gone", Duration::from_secs(15), || async {
        (!exists(&app, row).await).then_some(())
    })
    .await;
    assert!(sim.storage_file("/home/alice/cube.fits").is_none());
    app.screenshot("storage-after-delete").await;
    app.stop().await;
    sim.shutdown().await;
}
