//! The tray in a real tray host. Under Xvfb there is no StatusNotifier host, so the test runs
//! `trayer`, an old-style (XEmbed) tray, which libayatana-appindicator falls back to. The app
//! runs without WebDriver (a tray menu is not a web page) and is driven with real clicks and
//! key presses through the X server.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use skyport_sim::SimConfig;

use crate::harness::{screen_shot, wait_until, x_window, xdo, xdotool_or_skip, PlainApp, GUI};
use crate::windows::{running_notebook, start_sim, TOKEN};

/// trayer in the top-right corner; stopped on drop.
struct Tray(Child);

impl Drop for Tray {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_tray() -> Option<Tray> {
    let child = Command::new("trayer")
        .args([
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "pixel",
            "--width",
            "120",
            "--height",
            "32",
            "--transparent",
            "false",
            "--tint",
            "0x333333",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child {
        Ok(c) => Some(Tray(c)),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("the tray test needs trayer in CI; run it through `make test`")
        }
        Err(_) => {
            eprintln!("SKIPPED tray test: trayer is missing (apt install trayer)");
            None
        }
    }
}

/// The centre of the tray icon of process `pid` on screen, once it is docked (up to 20 s).
async fn tray_icon(pid: u32) -> (i32, i32) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = xdo(&[
            "search",
            "--all",
            "--pid",
            &pid.to_string(),
            "--class",
            "tray-icon tray app skyport",
        ]);
        if let Some(id) = found.lines().next() {
            let info = Command::new("xwininfo")
                .args(["-id", id])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            let field = |name: &str| -> Option<i32> {
                info.lines()
                    .find(|l| l.trim_start().starts_with(name))
                    .and_then(|l| l.rsplit(':').next())
                    .and_then(|v| v.trim().parse().ok())
            };
            if let (Some(x), Some(y), Some(w), Some(h)) = (
                field("Absolute upper-left X"),
                field("Absolute upper-left Y"),
                field("Width"),
                field("Height"),
            ) {
                if w > 1 && h > 1 {
                    return (x + w / 2, y + h / 2);
                }
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no tray icon was docked"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many popup menus are open on screen: GTK gives its menu windows the type
/// `_NET_WM_WINDOW_TYPE_POPUP_MENU` (or `…DROPDOWN_MENU`). Counting menus, not all windows,
/// keeps a window that opens or a menu that is still closing from being taken for one.
pub(crate) fn open_menus() -> usize {
    xdo(&["search", "--onlyvisible", "--class", ".*"])
        .lines()
        .filter(|id| {
            Command::new("xprop")
                .args(["-id", id, "_NET_WM_WINDOW_TYPE"])
                .output()
                .map(|o| {
                    let t = String::from_utf8_lossy(&o.stdout);
                    t.contains("_NET_WM_WINDOW_TYPE_POPUP_MENU")
                        || t.contains("_NET_WM_WINDOW_TYPE_DROPDOWN_MENU")
                })
                .unwrap_or(false)
        })
        .count()
}

/// Open the tray menu of process `pid` with a click, once no menu is open, and walk it with
/// the keyboard.
async fn menu(pid: u32, keys: &[&str]) {
    wait_until("a menu was still open", || open_menus() == 0).await;
    // A click that lands before the icon answers (its menu still being built) is lost, as it
    // would be for a person, who clicks again: up to three clicks, each given 5 s to open it.
    let mut opened = false;
    for _ in 0..3 {
        // Found again for each click: the tray may still have been laying out its icons
        // when it was last looked at.
        let at = tray_icon(pid).await;
        xdo(&[
            "mousemove",
            &at.0.to_string(),
            &at.1.to_string(),
            "click",
            "1",
        ]);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if open_menus() > 0 {
                opened = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if opened {
            break;
        }
    }
    assert!(opened, "the tray menu did not open after three clicks");
    let mut args = vec!["key", "--delay", "150"];
    args.extend_from_slice(keys);
    xdo(&args);
}

#[tokio::test]
async fn the_tray_opens_running_sessions_and_quits() {
    if xdotool_or_skip().is_none() {
        return;
    }
    let _gui = GUI.lock().await;
    let Some(_tray) = start_tray() else {
        return;
    };
    let sim = start_sim(SimConfig::default()).await;
    running_notebook(&sim, "nbtray").await;
    let url = sim.skaha_url().to_string();
    let mut app = PlainApp::start(
        "tray",
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
        // The session window opens below the tray (no window manager here keeps docks on top).
        |home| {
            std::fs::create_dir_all(home.join("state")).expect("state dir");
            std::fs::write(
                home.join("state/session-windows.json"),
                r#"{"geometry": {"notebook": {"width": 800.0, "height": 600.0, "x": 0.0, "y": 60.0}}, "open": []}"#,
            )
            .expect("window memory");
        },
    );
    tray_icon(app.pid()).await; // docked

    // Menu: "Certificate: none" (inactive), "Get a certificate now", "Running sessions ▸",
    // "Open Skyport", "Quit Skyport". Once the menu shows the session list and the
    // certificate reading (the app logs each menu it builds), Down twice reaches the
    // sessions, Right opens them, Return opens the session.
    app.wait_log("tray menu lists 1 running session(s); Certificate: none", 1)
        .await;
    menu(app.pid(), &["Down", "Down"]).await;
    xdo(&["key", "Right"]);
    wait_until("the Running sessions submenu did not open", || {
        open_menus() > 1
    })
    .await;
    screen_shot("tray-menu");
    xdo(&["key", "Return"]);
    x_window(app.pid(), "nbtray — notebook").await;
    screen_shot("tray-opened-session");

    // "Quit Skyport" is the last item: the app ends, cleanly.
    menu(app.pid(), &["Up", "Return"]).await;
    let status = app.exited(Duration::from_secs(10)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "Quit from the tray did not end the app: {status:?}"
    );
}
