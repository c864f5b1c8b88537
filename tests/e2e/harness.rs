//! Drives the real `skyport-desktop` binary through tauri-driver + WebKitWebDriver.
//!
//! Each [`App`] gets its own tauri-driver on free ports, its own `SKYPORT_HOME` and XDG
//! folders (so nothing touches the real user's files), and is stopped with SIGTERM on drop:
//! SIGKILL would orphan WebKitWebDriver and keep the test's output pipes open forever.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// Serialises the GUI tests: one app on the display at a time keeps screenshots and focus sane.
pub static GUI: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a look for an element (or for its text) may take before the test fails: long
/// enough for a page still starting on a loaded two-core machine.
const ELEMENT_WAIT: Duration = Duration::from_secs(20);

/// Where screenshots and driver logs go (kept after the run as test artifacts).
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// `None` (with a printed reason) when this machine cannot run GUI tests and we are not in CI.
/// In CI a missing display or driver is a failure, never a silent skip.
pub fn driver_or_skip() -> Option<PathBuf> {
    let in_ci = std::env::var_os("CI").is_some();
    let missing = |what: &str| {
        if in_ci {
            panic!("end-to-end tests need {what} in CI; run them through `make test`");
        }
        eprintln!("SKIPPED end-to-end test: {what} is missing (run `make test` to get it)");
        None
    };
    if std::env::var_os("DISPLAY").is_none() {
        return missing("an X display (xvfb-run)");
    }
    let driver = which("tauri-driver").or_else(|| {
        let home = std::env::var_os("HOME")?;
        let p = Path::new(&home).join(".cargo/bin/tauri-driver");
        p.exists().then_some(p)
    });
    match driver {
        Some(d) if which("WebKitWebDriver").is_some() => Some(d),
        Some(_) => missing("WebKitWebDriver (apt webkit2gtk-driver)"),
        None => missing("tauri-driver (cargo install tauri-driver --locked)"),
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The app under test: the one cargo built, or an installed one named by `SKYPORT_E2E_APP`
/// (the package test runs against `/usr/bin/skyport-desktop` from the .deb).
pub fn app_binary() -> PathBuf {
    std::env::var_os("SKYPORT_E2E_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_skyport-desktop")))
}

/// A running app under WebDriver control.
pub struct App {
    pub client: Client,
    driver: Option<Child>,
    pub home: tempfile::TempDir,
    name: String,
    skyport_home: PathBuf,
    env: Vec<(String, String)>,
}

impl App {
    /// Start the app with extra environment variables (e.g. SKYPORT_URL).
    pub async fn start(name: &str, driver: &Path, env: &[(&str, &str)]) -> App {
        Self::launch(name, driver, None, env).await
    }

    /// Start with `SKYPORT_HOME` set to `skyport_home` (e.g. with a config.toml prepared).
    pub async fn start_with_home(
        name: &str,
        driver: &Path,
        skyport_home: &Path,
        env: &[(&str, &str)],
    ) -> App {
        Self::launch(name, driver, Some(skyport_home), env).await
    }

    async fn launch(
        name: &str,
        driver: &Path,
        skyport_home: Option<&Path>,
        env: &[(&str, &str)],
    ) -> App {
        let home = tempfile::tempdir().expect("temp home");
        let skyport_home = skyport_home
            .map(Path::to_path_buf)
            .unwrap_or_else(|| home.path().join("skyport"));
        let port = free_port();
        let native_port = free_port();
        let driver = isolated(
            driver,
            home.path(),
            &skyport_home,
            &format!("{name}-driver"),
            env,
        )
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .spawn()
        .expect("start tauri-driver");

        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_binary() }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            // Plain HTTP to the local driver: no TLS stack needed.
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    panic!("tauri-driver did not start the app within 20 s: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        App {
            client,
            driver: Some(driver),
            home,
            name: name.to_string(),
            skyport_home,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Launch the app a second time as the desktop would (same folders, same environment)
    /// with `args`: the running one takes them over and this one ends. Its exit status,
    /// waited for up to 20 s.
    pub async fn launch_again(&self, args: &[&str]) -> std::process::ExitStatus {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut second = isolated(
            &app_binary(),
            self.home.path(),
            &self.skyport_home,
            &format!("{}-second-launch", self.name),
            &env,
        )
        .args(args)
        .env_remove("TAURI_WEBVIEW_AUTOMATION")
        .spawn()
        .expect("launch the app again");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = second.try_wait().expect("wait for the second launch") {
                return status;
            }
            if Instant::now() > deadline {
                terminate(&mut second);
                panic!("a second launch of the app did not end within 20 s: it did not hand over to the running one");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Find the first element matching `css` (waiting up to 20 s for it: the first look
    /// after a start waits for WebKit's processes and the page) and do `op` on it; when the
    /// view replaces or covers the element between finding and using it (a stale reference,
    /// an intercepted click), find it again, for up to 20 s.
    async fn on_element<T, F, Fut>(&self, css: &str, what: &str, op: F) -> T
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        let deadline = Instant::now() + ELEMENT_WAIT;
        loop {
            let found = self
                .client
                .wait()
                .at_most(ELEMENT_WAIT)
                .for_element(Locator::Css(css))
                .await;
            let error = match found {
                Ok(el) => match op(el).await {
                    Ok(t) => return t,
                    Err(_) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    Err(e) => format!("{what} {css:?}: {e:?}"),
                },
                Err(e) => format!("no element {css:?}: {e}"),
            };
            self.screenshot(&format!("{}-failure", self.name)).await;
            panic!("{error}");
        }
    }

    /// Text of the first element matching a CSS selector, waiting up to 20 s for it.
    pub async fn text(&self, css: &str) -> String {
        self.on_element(css, "text of", |el| async move { el.text().await })
            .await
    }

    /// Wait until the element's text contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + ELEMENT_WAIT;
        loop {
            let t = self.text(css).await;
            if t.contains(needle) {
                return t;
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("{}-failure", self.name)).await;
                panic!("{css:?} never contained {needle:?}; last text: {t:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A DOM property of the first element matching `css` (e.g. `checked`: "true"/"false").
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        self.on_element(css, "read a property of", |el| async move {
            el.prop(name).await
        })
        .await
    }

    /// Click an element once it is enabled (a click on a disabled control does nothing and
    /// says nothing: a view still loading its settings would take the test's click).
    pub async fn click(&self, css: &str) {
        self.on_element(css, "click", |el| async move {
            if !el.is_enabled().await? {
                return Err(fantoccini::error::CmdError::InvalidArgument(
                    "element".into(),
                    "disabled".into(),
                ));
            }
            el.click().await
        })
        .await
    }

    /// Replace the value of an input, as typing would.
    pub async fn fill(&self, css: &str, text: &str) {
        self.on_element(css, "type into", |el| async move {
            el.clear().await?;
            el.send_keys(text).await
        })
        .await
    }

    /// Let the webview paint what the DOM holds now (two animation frames, at most 0.5 s):
    /// without it a screenshot can show a frame from before the last change.
    pub async fn settle(&self) {
        let script = "const done = arguments[arguments.length - 1];\
                      const t = setTimeout(() => done(false), 500);\
                      requestAnimationFrame(() => requestAnimationFrame(() => { clearTimeout(t); done(true); }));";
        let _ = self.client.execute_async(script, vec![]).await;
    }

    /// Save a PNG of the screen, with the app window as drawn, into the artifacts folder.
    /// Taken from the X server, not with WebDriver: WebKitWebDriver's screenshot never
    /// answers for a page drawn without GPU compositing (the app's own pages are).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.settle().await;
        let path = screen_shot(name);
        let png = std::fs::read(&path).expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
        path
    }

    /// End the WebDriver session, then stop everything (see the `Drop`).
    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Also when a test fails half-way: tauri-driver, WebKitWebDriver and the app go, so that no
/// process or window of this test is left for the next one.
impl Drop for App {
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            terminate(&mut driver);
        }
        // tauri-driver does not always wait for the app.
        stop_processes_with_env(&format!(
            "XDG_DATA_HOME={}",
            self.home.path().join("xdg-data").display()
        ));
    }
}

/// SIGTERM (then SIGKILL) every process whose environment holds `entry` exactly.
fn stop_processes_with_env(entry: &str) {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    let me = std::process::id().to_string();
    let pids: Vec<String> = procs
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()) && *p != me)
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == entry.as_bytes()))
        })
        .collect();
    for signal in ["-TERM", "-KILL"] {
        let alive: Vec<&String> = pids
            .iter()
            .filter(|p| Path::new(&format!("/proc/{p}")).exists())
            .collect();
        if alive.is_empty() {
            return;
        }
        for p in alive {
            let _ = Command::new("kill")
                .args([signal, p.as_str()])
                .stderr(Stdio::null())
                .status();
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// SIGTERM, up to 5 s to exit, then SIGKILL. (For tauri-driver, SIGTERM lets it stop
/// WebKitWebDriver and the app; SIGKILL alone would orphan them.)
fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A command that keeps every file it touches under `home` (`SKYPORT_HOME` = `skyport_home`,
/// XDG folders beside it), ignores the caller's platform settings, logs to the artifacts
/// folder as `<log>.log`, and gets `env` on top.
fn isolated(
    program: &Path,
    home: &Path,
    skyport_home: &Path,
    log: &str,
    env: &[(&str, &str)],
) -> Command {
    let out = std::fs::File::create(artifacts_dir().join(format!("{log}.log"))).expect("log file");
    let err = out.try_clone().expect("clone log handle");
    let mut cmd = Command::new(program);
    cmd.env("SKYPORT_HOME", skyport_home)
        .env("XDG_DATA_HOME", home.join("xdg-data"))
        .env("XDG_CONFIG_HOME", home.join("xdg-config"))
        .env("XDG_CACHE_HOME", home.join("xdg-cache"))
        .env_remove("SKYPORT_URL")
        // No test reads the real registries: a port nobody listens on (tests give theirs).
        .env("SKYPORT_REGISTRY", "http://127.0.0.1:9/reg/resource-caps")
        // Nor a platform the developer runs on this machine (the demo announces itself).
        .env("SKYPORT_LOCAL_PLATFORMS", home.join("local-platforms"))
        .env_remove("SKYPORT_TOKEN")
        // The app decides about WebKit's memory monitor, not the developer's shell.
        .env_remove("WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The app started directly, without WebDriver, for what WebDriver changes: WebKit hands a
/// download to an active automation session instead of asking the app where to put it. Driven
/// like a person would, with real key presses through the X server ([`xdo`]). Stopped with
/// SIGTERM on drop.
pub struct PlainApp {
    child: Child,
    pub home: tempfile::TempDir,
    /// What the app writes to stdout and stderr (its log lines among them).
    log: PathBuf,
}

impl PlainApp {
    /// Start with `SKYPORT_HOME` = `<home>/skyport`; `prepare` may write files there first.
    pub fn start(name: &str, env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> PlainApp {
        Self::start_with_args(name, &[], env, prepare)
    }

    /// As [`PlainApp::start`], with command-line arguments (e.g. `--hidden`).
    pub fn start_with_args(
        name: &str,
        args: &[&str],
        env: &[(&str, &str)],
        prepare: impl FnOnce(&Path),
    ) -> PlainApp {
        let home = tempfile::tempdir().expect("temp home");
        let skyport_home = home.path().join("skyport");
        prepare(&skyport_home);
        let child = isolated(
            &app_binary(),
            home.path(),
            &skyport_home,
            &format!("{name}-app"),
            env,
        )
        .args(args)
        .current_dir(home.path())
        .env_remove("TAURI_WEBVIEW_AUTOMATION")
        .spawn()
        .expect("start skyport-desktop");
        let log = artifacts_dir().join(format!("{name}-app.log"));
        PlainApp { child, home, log }
    }

    /// How many of the app's log lines so far contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|t| t.lines().filter(|l| l.contains(needle)).count())
            .unwrap_or(0)
    }

    /// The last `n` lines of what the app wrote (for a failure's message: CI keeps no files).
    fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// The kernel's word on the app process ("S (sleeping)", "Z (zombie)": it ended).
    fn process_state(&self) -> String {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("State:").map(|s| s.trim().to_string()))
            })
            .unwrap_or_else(|| "gone".into())
    }

    /// Wait until `needle` has been logged at least `count` times: the app's own word that
    /// it reached a state (a page loaded, a prompt ready for an answer). Fails after 45 s (a
    /// first WebKit start on a loaded CI machine can take a while; success returns at once).
    pub async fn wait_log(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(45);
        while self.log_count(needle) < count {
            assert!(
                Instant::now() < deadline,
                "the app never logged {needle:?} {count} times; its last lines ({}, process {}):\n{}",
                self.log.display(),
                self.process_state(),
                self.log_tail(20)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn skyport_home(&self) -> PathBuf {
        self.home.path().join("skyport")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the app has quit, waiting up to `within`.
    pub async fn exited(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for PlainApp {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// `None` (with a printed reason) when real X input cannot be sent here and we are not in CI.
pub fn xdotool_or_skip() -> Option<()> {
    let in_ci = std::env::var_os("CI").is_some();
    let missing = |what: &str| {
        if in_ci {
            panic!("end-to-end tests need {what} in CI; run them through `make test`");
        }
        eprintln!("SKIPPED end-to-end test: {what} is missing (run `make test` to get it)");
        None
    };
    if std::env::var_os("DISPLAY").is_none() {
        return missing("an X display (xvfb-run)");
    }
    if which("xdotool").is_none() {
        return missing("xdotool (apt install xdotool)");
    }
    Some(())
}

/// Run xdotool; answers its output.
pub fn xdo(args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .expect("run xdotool");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The id of the first visible X window of process `pid` whose title matches `name`, waiting
/// up to 20 s. (By process: a window left by an earlier test must never be taken for ours.)
pub async fn x_window(pid: u32, name: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(id) = x_windows(pid, name).into_iter().next() {
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "no window titled {name:?} appeared"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn x_windows(pid: u32, name: &str) -> Vec<String> {
    xdo(&[
        "search",
        "--all",
        "--onlyvisible",
        "--pid",
        &pid.to_string(),
        "--name",
        name,
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

/// Whether process `pid` shows a window titled `name` now.
pub fn x_window_exists(pid: u32, name: &str) -> bool {
    !x_windows(pid, name).is_empty()
}

/// Give `window` the keyboard and press `keys` (xdotool names, e.g. "alt+d", "Return").
pub fn press(window: &str, keys: &[&str]) {
    xdo(&["windowfocus", "--sync", window]);
    let mut args = vec!["key", "--delay", "60"];
    args.extend_from_slice(keys);
    xdo(&args);
}

/// Give `window` the keyboard, as a person clicking on it would.
pub fn focus(window: &str) {
    xdo(&["windowfocus", "--sync", window]);
}

/// Wait until `check` holds, polling, or fail after 15 s saying `what`.
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Type text into the focused element of `window`.
pub fn type_text(window: &str, text: &str) {
    xdo(&["windowfocus", "--sync", window]);
    xdo(&["type", "--delay", "20", text]);
}

/// Save a PNG of the whole X screen into the artifacts folder.
pub fn screen_shot(name: &str) -> PathBuf {
    let path = artifacts_dir().join(format!("{name}.png"));
    // No picture of an earlier run may pass for this one.
    let _ = std::fs::remove_file(&path);
    let _ = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .status();
    path
}

/// Ask an X window to close as a window manager's close button would (tests/e2e/x11_close.py:
/// Xvfb has no window manager, and xdotool cannot send WM_DELETE_WINDOW).
pub fn close_window(window: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/x11_close.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(window)
        .status()
        .expect("run python3");
    assert!(status.success(), "could not ask window {window} to close");
}

/// The id of the sim's session named `name`, as `skyport ps` would show it.
pub async fn session_id(sim: &skyport_sim::SimHandle, token: &str, name: &str) -> String {
    let list: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/session", sim.skaha_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("list the sim's sessions")
        .json()
        .await
        .expect("a JSON list");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == name)
        .and_then(|s| s["id"].as_str())
        .unwrap_or_else(|| panic!("no session {name} in {list}"))
        .to_string()
}
