//! Start at login and the tray, with a real StatusNotifier host: Debian's
//! `gtk-sni-tray-standalone` (it runs its own StatusNotifierWatcher and draws the items in a
//! bar, their menus through libdbusmenu-gtk, as a desktop panel does). The app registers
//! with it over D-Bus as on a GNOME (AppIndicator extension), KDE or Xfce desktop.
//!
//! - The setting writes and removes the XDG autostart entry, which starts the app hidden.
//! - `--hidden` shows no window, sits in the tray and still renews a certificate that is due.
//! - Closing the window keeps Skyport running in the tray; "Open Skyport" brings it back.
//! - A host that takes its name before it serves still gets the icon; one that never lists
//!   it brings the window back to a start at login.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use skyport_sim::SimConfig;

use crate::certs::{install_cert, write_profile};
use crate::harness::{
    close_window, driver_or_skip, screen_shot, wait_until, x_window, x_window_exists, xdo,
    xdotool_or_skip, App, PlainApp, GUI,
};
use crate::stand_in_watcher::StandInWatcher;
use crate::tray::open_menus;
use crate::windows::{running_notebook, start_sim, TOKEN};

pub const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// The SNI tray bar along the top of the screen; stopped on drop (which also ends its
/// watcher, so later tests see no host).
struct SniTray(Child);

impl Drop for SniTray {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        watcher_gone();
    }
}

/// Wait (up to 15 s) until no watcher is on the bus: the bus lets a name go a moment after
/// its process, and the next test looks for one.
pub fn watcher_gone() {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while watcher_running() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dbus(args: &[&str]) -> String {
    Command::new("dbus-send")
        .args(["--session", "--print-reply"])
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

pub fn watcher_running() -> bool {
    dbus(&[
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        &format!("string:{WATCHER}"),
    ])
    .contains("boolean true")
}

/// Start the tray and wait for its watcher to be on the bus (before the app starts: the
/// app looks for a host once, at start).
async fn start_sni_tray() -> Option<SniTray> {
    assert!(
        !watcher_running(),
        "another StatusNotifierWatcher is on this test bus"
    );
    let child = Command::new("gtk-sni-tray-standalone")
        .args(["--watcher", "--top", "--end", "--size", "32"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let tray = match child {
        Ok(c) => SniTray(c),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("this test needs gtk-sni-tray-standalone in CI; run it through `make test`")
        }
        Err(_) => {
            eprintln!(
                "SKIPPED tray test: gtk-sni-tray-standalone is missing \
                 (apt install haskell-gtk-sni-tray-utils)"
            );
            return None;
        }
    };
    wait_until(
        "the SNI tray's watcher never came on the bus",
        watcher_running,
    )
    .await;
    Some(tray)
}

/// Whether the watcher lists an item of process `pid` (items are named by their D-Bus
/// connection; the bus says whose it is).
fn registered_in_tray(pid: u32) -> bool {
    let items = dbus(&[
        &format!("--dest={WATCHER}"),
        "/StatusNotifierWatcher",
        "org.freedesktop.DBus.Properties.Get",
        &format!("string:{WATCHER}"),
        "string:RegisteredStatusNotifierItems",
    ]);
    items
        .lines()
        .filter_map(|l| l.trim().strip_prefix("string \""))
        .filter_map(|l| l.trim_end_matches('"').split('/').next())
        .any(|connection| {
            dbus(&[
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                &format!("string:{connection}"),
            ])
            .contains(&format!("uint32 {pid}"))
        })
}

/// The centre of the icon in the bar: the only item, at the bar's right end.
fn tray_icon() -> (i32, i32) {
    let bar = xdo(&[
        "search",
        "--onlyvisible",
        "--name",
        "gtk-sni-tray-standalone",
    ]);
    let bar = bar.lines().next().expect("the SNI tray's bar is on screen");
    let geometry = xdo(&["getwindowgeometry", "--shell", bar]);
    let field = |name: &str| -> i32 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {geometry:?}"))
    };
    let (x, y, w, h) = (field("X"), field("Y"), field("WIDTH"), field("HEIGHT"));
    (x + w - h / 2, y + h / 2)
}

/// Open the icon's menu as a person does (a right click: the left one asks the item to
/// activate, which an AppIndicator does not take) and choose "Open Skyport", the item
/// above "Quit Skyport" at the end of the menu.
async fn open_from_tray(shot: &str) {
    let (x, y) = tray_icon();
    xdo(&["mousemove", &x.to_string(), &y.to_string(), "click", "3"]);
    wait_until("the tray menu did not open", || open_menus() > 0).await;
    screen_shot(shot);
    xdo(&["key", "--delay", "150", "Up", "Up", "Return"]);
}

/// Turned on in Settings, the entry appears in the desktop's autostart folder
/// (`$XDG_CONFIG_HOME/autostart`) and starts this program hidden; turned off, it goes.
#[tokio::test]
async fn the_start_at_login_setting_writes_and_removes_the_autostart_entry() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let app = App::start("autostart", &driver, &[]).await;
    let entry = app
        .home
        .path()
        .join("xdg-config/autostart/skyport-desktop.desktop");
    app.click("nav button[data-view=settings]").await;
    app.wait_text("#login-label", "Start Skyport when you log in")
        .await;
    let switch = "[data-testid=settings-start-at-login]";
    assert_eq!(app.prop(switch, "checked").await.as_deref(), Some("false"));

    app.click(switch).await;
    app.click("[data-testid=settings-save]").await;
    app.wait_text("[data-testid=settings-status]", "Settings saved.")
        .await;
    assert!(entry.is_file(), "no autostart entry at {}", entry.display());
    let text = std::fs::read_to_string(&entry).expect("entry");
    let program = crate::harness::app_binary();
    let program = program.canonicalize().unwrap_or(program);
    assert!(
        text.lines().any(|l| l.starts_with("Exec=env SKYPORT_HOME=")
            && l.ends_with(&format!("{} --hidden", program.display()))),
        "the entry starts this program hidden, with its folders: {text}"
    );
    app.screenshot("autostart-on").await;

    // Read back from the system, not from the settings file: a second visit shows it on.
    app.click("nav button[data-view=sessions]").await;
    app.click("nav button[data-view=settings]").await;
    wait_until_checked(&app, switch, "true").await;

    app.click(switch).await;
    app.click("[data-testid=settings-save]").await;
    app.wait_text("[data-testid=settings-status]", "Settings saved.")
        .await;
    assert!(!entry.exists(), "the entry is gone once turned off");
    app.stop().await;
}

async fn wait_until_checked(app: &App, css: &str, want: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.prop(css, "checked").await.as_deref() != Some(want) {
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never became checked={want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the autostart entry starts: `--hidden` opens no window, the icon sits in the tray,
/// the page rests (no WebKit page process), and a certificate that is due is renewed with
/// nobody there (here with a ~/.netrc entry for the credential service); "Open Skyport" then
/// shows the window with its page loaded, the renewed certificate on it.
#[tokio::test]
async fn started_hidden_it_shows_no_window_and_renews_a_due_certificate() {
    if xdotool_or_skip().is_none() {
        return;
    }
    let _gui = GUI.lock().await;
    let Some(_tray) = start_sni_tray().await else {
        return;
    };
    let sim = skyport_sim::start(SimConfig {
        seed_sessions: 1,
        seed_owner: Some("alice".into()),
        ..Default::default()
    })
    .await
    .expect("sim");
    // Issued five minutes ago for seven minutes in all: past two thirds of its life, so the
    // policy renews it at once.
    let old = sim.issue_client_cert("alice", Duration::from_secs(120));
    let netrc_host = sim.base_url().host_str().unwrap_or("127.0.0.1").to_string();
    let netrc = tempfile::NamedTempFile::new().expect("netrc");
    std::fs::write(
        netrc.path(),
        format!("machine {netrc_host} login alice password skyport-demo\n"),
    )
    .expect("write netrc");
    std::fs::set_permissions(
        netrc.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod netrc");
    let netrc_path = netrc.path().to_str().expect("utf-8 path").to_string();
    let app = PlainApp::start_with_args(
        "hidden",
        &["--hidden"],
        &[("NETRC", netrc_path.as_str())],
        |home| {
            write_profile(home, &sim);
            install_cert(&home.join(".ssl"), &old);
        },
    );
    let cert_file = app.skyport_home().join(".ssl/cadcproxy.pem");

    app.wait_log("started in the tray (--hidden)", 1).await;
    // Its page rests: no WebKit page process while nobody looks.
    app.wait_log("the main window's page rests", 1).await;
    wait_until("a page process runs while in the tray", || {
        !children_named(app.pid(), "WebKitWebProces")
    })
    .await;
    wait_until("the app's icon never registered with the tray", || {
        registered_in_tray(app.pid())
    })
    .await;
    app.wait_log("certificate renewed", 1).await;
    // The tray's menu is rebuilt for the new certificate: the keys below walk that one.
    app.wait_log("running session(s); Certificate: 9 d 23 h left", 1)
        .await;
    let renewed = std::fs::read_to_string(&cert_file).expect("certificate");
    assert_ne!(renewed, old, "a new certificate is in place");
    assert!(
        renewed.contains("BEGIN CERTIFICATE") && renewed.contains("PRIVATE KEY"),
        "the new file is a whole proxy certificate"
    );
    assert!(
        !x_window_exists(app.pid(), "Skyport"),
        "a start at login opens no window"
    );
    screen_shot("hidden-in-tray");

    let painted = app.log_count("session list painted");
    open_from_tray("hidden-tray-menu").await;
    x_window(app.pid(), "Skyport").await;
    app.wait_log("the main window's page loads again", 1).await;
    app.wait_log("session list painted", painted + 1).await;
    let page = child_named(app.pid(), "WebKitWebProces").expect("the page has its process again");
    // WebKit's memory monitor is off (kernel::windows::quiet_memory_monitor): the app runs
    // no thread of it, and the page process was started with the setting.
    assert!(
        !thread_named(app.pid(), "PressureMonitor"),
        "WebKit's memory-pressure monitor runs in the app"
    );
    let environ = std::fs::read(format!("/proc/{page}/environ")).expect("the page's environment");
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|v| v == b"WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR=1"),
        "the page process was started without the setting"
    );
    screen_shot("hidden-opened-from-tray");
}

/// Closing the window keeps Skyport running in the tray (the default setting); the tray
/// still shows it, and "Open Skyport" brings the window back. The panel here comes after
/// Skyport, as one can at login: the app follows it.
#[tokio::test]
async fn closing_the_window_keeps_skyport_in_a_real_tray() {
    if xdotool_or_skip().is_none() {
        return;
    }
    let _gui = GUI.lock().await;
    let sim = start_sim(SimConfig::default()).await;
    running_notebook(&sim, "nbsni").await;
    let url = sim.skaha_url().to_string();
    let mut app = PlainApp::start(
        "sni-close",
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
        |_: &Path| {},
    );
    let window = x_window(app.pid(), "Skyport").await;
    app.wait_log("session list painted", 1).await;
    app.wait_log("no StatusNotifier tray host", 1).await;
    let Some(_tray) = start_sni_tray().await else {
        return;
    };
    app.wait_log("the desktop's tray host came", 1).await;
    wait_until("the app's icon never registered with the tray", || {
        registered_in_tray(app.pid())
    })
    .await;
    screen_shot("sni-before-close");

    close_window(&window);
    app.wait_log("main window closed; Skyport stays in the tray", 1)
        .await;
    wait_until("the window is still shown after closing it", || {
        !x_window_exists(app.pid(), "Skyport")
    })
    .await;
    assert!(
        app.exited(Duration::ZERO).await.is_none(),
        "closing the window ended Skyport"
    );
    assert!(
        registered_in_tray(app.pid()),
        "the tray still shows Skyport"
    );
    screen_shot("sni-closed-to-tray");

    open_from_tray("sni-tray-menu").await;
    x_window(app.pid(), "Skyport").await;
    screen_shot("sni-reopened");
}

/// A watcher that takes its bus name before it serves its object (gtk-sni-tray's order,
/// held until the icon's first registration has been refused): the app, finding its icon
/// missing from the host's list, offers it again. Without that the icon never shows.
#[tokio::test]
async fn a_tray_host_that_serves_late_still_gets_the_icon() {
    if xdotool_or_skip().is_none() {
        return;
    }
    let _gui = GUI.lock().await;
    let sim = start_sim(SimConfig::default()).await;
    let url = sim.skaha_url().to_string();
    let app = PlainApp::start(
        "late-host",
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
        |_: &Path| {},
    );
    x_window(app.pid(), "Skyport").await;
    app.wait_log("no StatusNotifier tray host", 1).await;
    assert!(
        !watcher_running(),
        "another StatusNotifierWatcher is on this test bus"
    );

    let _watcher = StandInWatcher::late();
    app.wait_log("the desktop's tray host came", 1).await;
    wait_until("the app's icon never registered with the tray", || {
        registered_in_tray(app.pid())
    })
    .await;
    // The case was the real one: the first registration was refused (the icon's library
    // says so on stderr), and the app offered the icon again.
    for line in [
        "Unable to connect to the Notification Watcher",
        "does not list Skyport's icon yet: offering it again",
    ] {
        assert!(app.log_count(line) >= 1, "the app's log lacks {line:?}");
    }
    app.wait_log(
        "the desktop's tray host lists Skyport's icon: closing the window keeps",
        1,
    )
    .await;
    assert_eq!(
        app.log_count("never listed Skyport's icon"),
        0,
        "the app gave up on a host that took its icon"
    );
}

/// A start at login where the host never lists the icon: the app, hidden in a tray that
/// does not show it, gives up on the host after 20 s and shows its window rather than
/// stay where nobody can find it; closing the window then quits.
#[tokio::test]
async fn a_hidden_start_whose_icon_the_host_never_lists_shows_the_window() {
    if xdotool_or_skip().is_none() {
        return;
    }
    let _gui = GUI.lock().await;
    assert!(
        !watcher_running(),
        "another StatusNotifierWatcher is on this test bus"
    );
    let _watcher = StandInWatcher::deaf();
    let sim = start_sim(SimConfig::default()).await;
    let url = sim.skaha_url().to_string();
    let mut app = PlainApp::start_with_args(
        "deaf-host",
        &["--hidden"],
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
        |_: &Path| {},
    );
    app.wait_log("started in the tray (--hidden)", 1).await;
    assert!(
        !x_window_exists(app.pid(), "Skyport"),
        "a start at login opens no window"
    );
    app.wait_log("the desktop's tray host never listed Skyport's icon", 1)
        .await;
    let window = x_window(app.pid(), "Skyport").await;
    app.wait_log("session list painted", 1).await;
    screen_shot("deaf-host-window-shown");
    close_window(&window);
    assert!(
        app.exited(Duration::from_secs(15)).await.is_some(),
        "closing the window kept Skyport running with no icon to find it by"
    );
}

/// Whether process `pid` has a child named `comm` (as the kernel names it: 15 characters),
/// started by any of its threads.
fn children_named(pid: u32, comm: &str) -> bool {
    child_named(pid, comm).is_some()
}

/// A child of process `pid` named `comm`, started by any of its threads.
fn child_named(pid: u32, comm: &str) -> Option<String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the app's threads");
    tasks.flatten().find_map(|task| {
        std::fs::read_to_string(task.path().join("children"))
            .unwrap_or_default()
            .split_whitespace()
            .find(|c| {
                std::fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|n| n.trim() == comm)
            })
            .map(str::to_string)
    })
}

/// Whether process `pid` has a thread named `comm`.
fn thread_named(pid: u32, comm: &str) -> bool {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the app's threads");
    tasks.flatten().any(|task| {
        std::fs::read_to_string(task.path().join("comm")).is_ok_and(|n| n.trim() == comm)
    })
}
