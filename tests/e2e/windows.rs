//! Session windows in the real app: a Running notebook opens in its own window, its page
//! loads and its websocket echoes; script in the page cannot reach the app's IPC; downloads
//! are saved only after the prompt says so; copy and paste cross the window's edge.

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::WindowHandle;
use fantoccini::Locator;
use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, CreateRequest, SessionKind, SessionStatus, SkahaClient};
use skyport_sim::SimConfig;

use crate::harness::{
    close_window, driver_or_skip, focus, press, screen_shot, type_text, wait_until, x_window,
    x_window_exists, xdo, xdotool_or_skip, App, PlainApp, GUI,
};

pub(crate) const TOKEN: &str = "e2e-window-token";

/// A sim that knows the test token, with launched sessions Running about a second later;
/// `cfg` adds what a test needs.
pub(crate) async fn start_sim(cfg: SimConfig) -> skyport_sim::SimHandle {
    skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        pending_delay: Duration::from_secs(1),
        ..cfg
    })
    .await
    .expect("sim")
}

/// Skyport without WebDriver (see harness::PlainApp), set to reopen the window of session
/// `id` at start, placed at the top left and sized `size`; answers the app and the X id of
/// the session window, titled after `name`.
async fn reopening_app(
    sim: &skyport_sim::SimHandle,
    log: &str,
    id: &str,
    name: &str,
    size: (f64, f64),
) -> (PlainApp, String) {
    let url = sim.skaha_url().to_string();
    let app = PlainApp::start(
        log,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
        |home| {
            std::fs::create_dir_all(home.join("config")).expect("config dir");
            std::fs::create_dir_all(home.join("state")).expect("state dir");
            std::fs::write(
                home.join("config/settings.json"),
                r#"{"reopenWindows": true}"#,
            )
            .expect("settings");
            std::fs::write(
                home.join("state/session-windows.json"),
                serde_json::json!({
                    "open": [id],
                    "geometry": {"notebook": {"width": size.0, "height": size.1, "x": 0.0, "y": 0.0}},
                })
                .to_string(),
            )
            .expect("window memory");
        },
    );
    let session = x_window(app.pid(), &format!("{name} — notebook")).await;
    (app, session)
}

/// An `xdg-open` in `dir` that appends what it was asked to open, and the environment it
/// got, to `log`; returns a PATH that finds it first.
fn recording_opener(dir: &std::path::Path, log: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n{{ printf 'args: %s\\n' \"$*\"; env; echo ---; }} >> '{}'\n",
            log.display()
        ),
    )
    .expect("write xdg-open");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// What the recording opener got, once it has been run (up to 15 s).
async fn wait_for_opener(log: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(text) = std::fs::read_to_string(log) {
            if text.contains("---") {
                return text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "nothing was handed to the system opener"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A Running notebook named `name`, made through the core client; returns its id and page.
pub(crate) async fn running_notebook(sim: &skyport_sim::SimHandle, name: &str) -> (String, String) {
    let http = skyport_core::http::build_client(Default::default()).expect("http");
    let client = SkahaClient::new(
        http,
        ServiceUrl::parse(sim.skaha_url().as_str()).expect("url"),
        Auth::Bearer(SecretString::new(TOKEN.into())),
    );
    let id = client
        .create_session(&CreateRequest {
            name: name.into(),
            image: "images.canfar.net/skaha/astroml:latest".into(),
            kind: Some(SessionKind::Notebook),
            ..Default::default()
        })
        .await
        .expect("create");
    for _ in 0..50 {
        sim.advance_clock(Duration::from_secs(2));
        if client.get_session(&id).await.expect("get").status == SessionStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = client
        .get_session(&id)
        .await
        .expect("get")
        .connect_url
        .expect("connect url");
    (id.0, page)
}

/// Wait for a window that is none of `known`, and answer its handle.
async fn new_window(app: &App, known: &[WindowHandle], what: &str) -> WindowHandle {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let handles = app.client.windows().await.expect("window handles");
        if let Some(h) = handles.into_iter().find(|h| !known.contains(h)) {
            return h;
        }
        assert!(Instant::now() < deadline, "no {what} appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Open the session `name` from its details and switch WebDriver to its window; returns
/// the text of the page's websocket status once it has an answer.
async fn open_and_read(app: &App, name: &str) -> String {
    let main = app.client.window().await.expect("main window handle");
    app.click(&format!("[data-testid=session-row][data-name={name}]"))
        .await;
    app.click("[data-testid=details-open-window]").await;
    let session_window = new_window(app, &[main], "session window").await;
    app.client
        .switch_to_window(session_window)
        .await
        .expect("switch to the session window");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = app.client.find(Locator::Css("#ws-status")).await {
            let t = el.text().await.unwrap_or_default();
            if t.starts_with("echo") || Instant::now() > deadline {
                return t;
            }
        }
        assert!(Instant::now() < deadline, "the session page did not load");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_notebook_opens_in_its_own_isolated_window() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = start_sim(SimConfig::default()).await;
    let (id, _) = running_notebook(&sim, "nbwin").await;
    let url = sim.skaha_url().to_string();
    let opener = tempfile::tempdir().expect("opener folder");
    let opener_log = opener.path().join("opened.log");
    let path = recording_opener(opener.path(), &opener_log);
    let app = App::start(
        "windows",
        &driver,
        &[
            ("SKYPORT_URL", url.as_str()),
            ("SKYPORT_TOKEN", TOKEN),
            ("PATH", path.as_str()),
        ],
    )
    .await;
    let main = app.client.window().await.expect("main window handle");
    let status = open_and_read(&app, "nbwin").await;
    assert_eq!(status, format!("echo: hello from {id}"));
    // Links that leave the session: a desktop handler's (ssh:, vscode:) goes nowhere; a web
    // page goes to the system opener (here a script on PATH that records what it got).
    for link in ["#ssh-link", "#vscode-link", "#docs-link"] {
        app.click(link).await;
    }
    let opened = wait_for_opener(&opener_log).await;
    assert!(
        opened.contains("args: https://docs.example.org/skyport-sim"),
        "{opened}"
    );
    assert!(
        !opened.contains("ssh:") && !opened.contains("vscode:"),
        "{opened}"
    );
    assert!(
        !opened.contains(TOKEN),
        "the opener inherited SKYPORT_TOKEN: {opened}"
    );
    let current = app.client.current_url().await.expect("url");
    assert!(
        current.path().contains(&format!("/session/notebook/{id}/")),
        "{current}"
    );
    app.screenshot("windows-notebook").await;

    // Script in the session page cannot reach the app: no IPC, or every call refused.
    let probe = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const ipc = window.__TAURI_INTERNALS__;
             if (!ipc || typeof ipc.invoke !== 'function') { done('no-ipc'); return; }
             ipc.invoke('app_info').then(() => done('reached'), (e) => done('refused: ' + String(e)));",
            vec![],
        )
        .await
        .expect("run script in the session page");
    let probe = probe.as_str().unwrap_or_default().to_string();
    assert!(
        probe == "no-ipc" || probe.starts_with("refused"),
        "a session page reached the app: {probe}"
    );
    eprintln!("IPC from the session page: {probe}");

    app.client
        .switch_to_window(main)
        .await
        .expect("back to the main window");
    app.stop().await;
}

#[tokio::test]
async fn pages_that_ask_for_credentials_are_served_through_the_relay() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = start_sim(SimConfig {
        session_auth_required: true,
        ..Default::default()
    })
    .await;
    let (id, page) = running_notebook(&sim, "nbauth").await;
    // Without the relay the page is refused.
    let direct = reqwest::get(&page).await.expect("direct request");
    assert_eq!(
        direct.status(),
        401,
        "the sim must require credentials on session pages"
    );

    let url = sim.skaha_url().to_string();
    let app = App::start(
        "windows-relay",
        &driver,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
    )
    .await;
    let status = open_and_read(&app, "nbauth").await;
    assert_eq!(
        status,
        format!("echo: hello from {id}"),
        "served and websocket echoed through the relay"
    );
    let current = app.client.current_url().await.expect("url");
    let relay_ip: std::net::IpAddr = current
        .host_str()
        .and_then(|h| h.parse().ok())
        .expect("the relay is an IP address");
    assert!(relay_ip.is_loopback(), "{current}");
    assert_ne!(
        current.port_or_known_default(),
        tauri::Url::parse(&page)
            .expect("page")
            .port_or_known_default(),
        "the window shows the relay, not the platform directly"
    );
    let html = app.client.source().await.expect("source");
    assert!(
        !html.contains(TOKEN),
        "the credential never reaches the page"
    );
    app.screenshot("windows-relay").await;
    app.stop().await;
}

/// Wait until `path` exists (a download landing), or fail after 15 s.
async fn wait_for_file(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        if Instant::now() > deadline {
            let listing = std::process::Command::new("find")
                .arg(path.parent().and_then(|p| p.parent()).unwrap_or(path))
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            panic!("{} never appeared; there is:\n{listing}", path.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until the prompt window of process `pid` has gone.
async fn prompt_closes(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while x_window_exists(pid, PROMPT) {
        assert!(
            Instant::now() < deadline,
            "the download prompt did not close"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const PROMPT: &str = "Save a download";
/// What the app logs when a prompt's buttons are armed, when a session page has loaded, and
/// when a Save is kept for a file still arriving.
const READY: &str = "ready for an answer";
const LOADED: &str = "a session window finished loading its page";
const SAVE_WHEN_ARRIVED: &str = ": save (downloading)";

/// The prompt a key press opened: wait for its window, give it the keyboard as a person
/// looking at it would, and wait until it says its buttons are armed. `armed` is the count
/// of armed prompts before the key press.
async fn prompt_ready(app: &PlainApp, armed: usize) -> String {
    let prompt = x_window(app.pid(), PROMPT).await;
    focus(&prompt);
    app.wait_log(READY, armed + 1).await;
    prompt
}

/// Files anywhere below `dir` (staging keeps one folder per run and per download).
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Files in `dir` (sorted), none if it does not exist.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

// WebKit hands downloads to an active WebDriver session itself (the app is never asked where
// to save), so this test runs the app without WebDriver and types like a person: real key
// presses through the X server. The session window reopens by itself (the "reopen session
// windows" setting), the page's access keys start the downloads, Enter/Escape answer the prompt.
#[tokio::test]
async fn downloads_are_saved_only_after_the_prompt_says_so() {
    if xdotool_or_skip().is_none() {
        return;
    }
    let _gui = GUI.lock().await;
    let sim = start_sim(SimConfig::default()).await;
    let (id, _) = running_notebook(&sim, "nbdl").await;
    // The window of the last run reopens by itself; give its page a moment to load.
    let (app, session) =
        reopening_app(&sim, "windows-downloads", &id, "nbdl", (900.0, 620.0)).await;
    let pid = app.pid();
    let downloads = app.skyport_home().join("Downloads");
    let staging = app.skyport_home().join("cache/downloads");
    app.wait_log(LOADED, 1).await;

    // A file link (Alt+D): asked first, saved on Enter (the focused "Save").
    let asked = Instant::now();
    let armed = app.log_count(READY);
    press(&session, &["alt+d"]);
    let prompt = x_window(pid, PROMPT).await;
    // A figure for the report, not a timed assertion.
    eprintln!(
        "download prompt on screen {} ms after the key press",
        asked.elapsed().as_millis()
    );
    let prompt = {
        focus(&prompt);
        app.wait_log(READY, armed + 1).await;
        prompt
    };
    screen_shot("windows-download-prompt");
    assert!(
        files_in(&downloads).is_empty(),
        "saved before the user answered: {:?}",
        files_in(&downloads)
    );
    press(&prompt, &["Return"]);
    let csv = wait_for_file(&downloads.join("summary.csv")).await;
    assert!(csv.starts_with("row,session,ra,dec\n"), "{csv}");
    assert!(csv.contains(&id), "the session's own file");
    assert_eq!(csv.lines().count(), 101, "the whole file");
    prompt_closes(pid).await;

    // The same file, refused with Escape: nothing lands, nothing is kept.
    let armed = app.log_count(READY);
    press(&session, &["alt+d"]);
    let prompt = prompt_ready(&app, armed).await;
    press(&prompt, &["Escape"]);
    prompt_closes(pid).await;
    wait_until("refused files are deleted", || {
        files_under(&staging).is_empty()
    })
    .await;
    assert_eq!(files_in(&downloads), ["summary.csv"]);

    // A file the page makes itself (a blob, Alt+B), saved; then the link again, which never
    // replaces the first download.
    press(&session, &["alt+s"]);
    type_text(&session, "seeing 0.8 arcsec");
    let armed = app.log_count(READY);
    press(&session, &["alt+b"]);
    let prompt = prompt_ready(&app, armed).await;
    press(&prompt, &["Return"]);
    let notes = wait_for_file(&downloads.join("notes.txt")).await;
    assert_eq!(notes, "seeing 0.8 arcsec\n");
    prompt_closes(pid).await;
    let armed = app.log_count(READY);
    press(&session, &["alt+d"]);
    let prompt = prompt_ready(&app, armed).await;
    press(&prompt, &["Return"]);
    wait_for_file(&downloads.join("summary (1).csv")).await;
    prompt_closes(pid).await;

    // A slow file (Alt+L; its end held by the sim until the test lets it go): Save while it
    // still arrives; it lands only once whole.
    sim.hold_slow_files(true);
    let armed = app.log_count(READY);
    let kept = app.log_count(SAVE_WHEN_ARRIVED);
    press(&session, &["alt+l"]);
    let prompt = prompt_ready(&app, armed).await;
    press(&prompt, &["Return"]);
    app.wait_log(SAVE_WHEN_ARRIVED, kept + 1).await;
    assert!(
        !downloads.join("cube.csv").exists(),
        "saved before it had arrived"
    );
    sim.hold_slow_files(false);
    let cube = wait_for_file(&downloads.join("cube.csv")).await;
    assert_eq!(cube.lines().count(), 101, "the whole file");
    prompt_closes(pid).await;
    assert_eq!(
        files_in(&downloads),
        ["cube.csv", "notes.txt", "summary (1).csv", "summary.csv"]
    );

    // Closing a prompt unanswered is "don't save"; closed after Save, the file still lands.
    let armed = app.log_count(READY);
    press(&session, &["alt+d"]);
    close_window(&prompt_ready(&app, armed).await);
    prompt_closes(pid).await;
    sim.hold_slow_files(true);
    let armed = app.log_count(READY);
    let kept = app.log_count(SAVE_WHEN_ARRIVED);
    press(&session, &["alt+l"]);
    let prompt = prompt_ready(&app, armed).await;
    press(&prompt, &["Return"]);
    app.wait_log(SAVE_WHEN_ARRIVED, kept + 1).await;
    close_window(&prompt);
    sim.hold_slow_files(false);
    let cube = wait_for_file(&downloads.join("cube (1).csv")).await;
    assert_eq!(cube.lines().count(), 101);
    assert_eq!(
        files_in(&downloads),
        [
            "cube (1).csv",
            "cube.csv",
            "notes.txt",
            "summary (1).csv",
            "summary.csv"
        ],
        "the prompt closed unanswered saved nothing"
    );
    wait_until("nothing is left in staging", || {
        files_under(&staging).is_empty()
    })
    .await;
    drop(app);
}

/// The X clipboard, read with xclip.
fn clipboard() -> String {
    let out = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .output()
        .expect("run xclip (apt install xclip; make test installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Put `text` on the X clipboard as another application would.
fn set_clipboard(text: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-i"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run xclip");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to xclip");
    // xclip forks to serve the selection and the parent exits.
    let _ = child.wait();
}

/// Ctrl+<key>, typed as a user would.
async fn ctrl(app: &App, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Control.into(),
        })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up {
            value: Key::Control.into(),
        });
    app.client
        .perform_actions(keys)
        .await
        .expect("type a shortcut");
}

async fn wait_clipboard(want: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = clipboard();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the clipboard holds {got:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn copy_and_paste_cross_the_session_window() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = start_sim(SimConfig::default()).await;
    let (id, _) = running_notebook(&sim, "nbclip").await;
    let url = sim.skaha_url().to_string();
    let app = App::start(
        "windows-clipboard",
        &driver,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
    )
    .await;
    open_and_read(&app, "nbclip").await;

    // Out: select text in the page, Ctrl+C, and another application can paste it. (The text is
    // unique to this page, so no clipboard content from before can pass for it.) The click
    // puts the keyboard in the page first, as a user's would.
    app.click("#copy-source").await;
    app.client
        .execute(
            "const r = document.createRange();
             r.selectNodeContents(document.getElementById('copy-source'));
             const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);",
            vec![],
        )
        .await
        .expect("select text");
    ctrl(&app, 'c').await;
    wait_clipboard("target M42 ra 83.8221 dec -5.3911").await;

    // In: text copied elsewhere, Ctrl+V into the page.
    set_clipboard("ra 10.6847 dec 41.2690");
    app.click("#scratch").await;
    ctrl(&app, 'v').await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = app
            .client
            .find(Locator::Css("#scratch"))
            .await
            .expect("scratch")
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default();
        if v == "ra 10.6847 dec 41.2690" {
            break;
        }
        assert!(Instant::now() < deadline, "pasted {v:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A page's own Copy button (the clipboard API, as JupyterLab's "Copy path" uses).
    app.click("#copy-id").await;
    app.wait_text("#copy-status", "copied").await;
    wait_clipboard(&id).await;
    app.screenshot("windows-clipboard").await;
    app.stop().await;
}

/// Start Skyport without a tray, reopening the window of session `id` small in the corner
/// (leaving the main window to click); answers the app and the X ids of its session and main
/// windows.
async fn app_with_window(
    sim: &skyport_sim::SimHandle,
    id: &str,
    name: &str,
) -> (PlainApp, String, String) {
    let log = format!("windows-last-closed-{name}");
    let (app, session) = reopening_app(sim, &log, id, name, (480.0, 320.0)).await;
    let main = x_window(app.pid(), "^Skyport$").await;
    (app, session, main)
}

// Without a tray, Skyport lives as long as one of its windows: closing the main window while a
// session window is open keeps the app (and the main window, for later); closing the last
// window quits, cleanly — unless the main window was used again meanwhile. Windows are closed
// as a window manager's close button does.
#[tokio::test]
async fn without_a_tray_the_last_window_closed_quits() {
    if xdotool_or_skip().is_none() {
        return;
    }
    let _gui = GUI.lock().await;
    let sim = start_sim(SimConfig {
        max_interactive_sessions: 5,
        ..Default::default()
    })
    .await;
    let (first, _) = running_notebook(&sim, "nblast").await;
    let (second, _) = running_notebook(&sim, "nbback").await;

    let (mut app, session, main) = app_with_window(&sim, &first, "nblast").await;
    close_window(&main);
    assert!(
        app.exited(Duration::from_secs(2)).await.is_none(),
        "closing the main window quit Skyport under an open session window"
    );
    assert!(
        x_window_exists(app.pid(), "^Skyport$"),
        "the main window was destroyed, not kept for later"
    );
    close_window(&session);
    let status = app.exited(Duration::from_secs(10)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "closing the last window did not quit: {status:?}"
    );
    drop(app);

    // The main window closed, then clicked again: it is in use, so the session window may go.
    let (mut app, session, main) = app_with_window(&sim, &second, "nbback").await;
    close_window(&main);
    app.wait_log("main window closed", 1).await;
    // The page hears of the close by an event; a click that reaches it first counts as the
    // use before the close (throttled). So click, as a user would, until the app has seen a
    // use after the close (a loaded CI machine once took longer than one click).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.log_count("main window in use again") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "clicks in the main window after its close never counted as its use"
        );
        xdo(&["mousemove", "900", "600", "click", "1"]);
        for _ in 0..10 {
            if app.log_count("main window in use again") > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    close_window(&session);
    assert!(
        app.exited(Duration::from_secs(2)).await.is_none(),
        "Skyport quit while its main window was in use"
    );
    close_window(&main);
    let status = app.exited(Duration::from_secs(10)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "closing the main window, the last one, did not quit: {status:?}"
    );
}
