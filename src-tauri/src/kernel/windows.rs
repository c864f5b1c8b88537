//! The app's windows: their labels, the main window, keeping the app's own pages on the
//! app, and the download handler's place.
//!
//! Labels: `main`, `session-<id>` (a session page, remote and untrusted) and
//! `download-<n>` (a download prompt, an app page).
//!
//! WebKitGTK handles downloads per web context, which all Skyport windows share, and only
//! the handler of the context's first webview is asked where a file goes. So on Linux the
//! handler sits on the main window; elsewhere each session window carries its own. The
//! downloads feature registers what the handler does ([`set_download_handler`]); the
//! windows that carry it call it through [`with_download_handler`].

use std::sync::{Arc, RwLock};

use tauri::webview::{DownloadEvent, NewWindowResponse};
use tauri::{AppHandle, Manager, Runtime, Url, Webview, WebviewWindowBuilder};

pub const MAIN: &str = "main";
pub const SESSION_PREFIX: &str = "session-";
pub const PROMPT_PREFIX: &str = "download-";

/// Window label for a session.
pub fn session_label(session_id: &str) -> String {
    format!("{SESSION_PREFIX}{session_id}")
}

/// Window label of download `id`'s prompt.
pub fn prompt_label(id: u32) -> String {
    format!("{PROMPT_PREFIX}{id}")
}

/// The session id of a session window's label.
pub fn session_of(label: &str) -> Option<&str> {
    label.strip_prefix(SESSION_PREFIX)
}

/// The download id of a prompt window's label.
pub fn prompt_of(label: &str) -> Option<u32> {
    label.strip_prefix(PROMPT_PREFIX)?.parse().ok()
}

/// The app's own pages: the only place IPC is allowed.
fn is_app_page(url: &Url) -> bool {
    matches!(url.scheme(), "tauri" | "asset") || url.host_str() == Some("tauri.localhost")
}

/// Keep a window of the app's own pages on them: links to the web (including
/// `target="_blank"` ones such as the device-code page) open in the system browser.
pub fn app_pages_only<'a, R: Runtime, M: Manager<R>>(
    app: &AppHandle<R>,
    builder: WebviewWindowBuilder<'a, R, M>,
) -> WebviewWindowBuilder<'a, R, M> {
    let nav_app = app.clone();
    let new_app = app.clone();
    builder
        .on_navigation(move |url| {
            if is_app_page(url) {
                return true;
            }
            super::external::open_from_page(&nav_app, url, MAIN, "Skyport");
            false
        })
        .on_new_window(move |url, _| {
            super::external::open_from_page(&new_app, &url, MAIN, "Skyport");
            NewWindowResponse::Deny
        })
}

/// Create the main window from its configuration, kept on the app's own pages; not shown
/// (`visible: false`) for a start in the tray.
pub fn create_main_window<R: Runtime>(app: &AppHandle<R>, visible: bool) -> tauri::Result<()> {
    let Some(config) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
    else {
        return Ok(());
    };
    let builder = app_pages_only(app, WebviewWindowBuilder::from_config(app, &config)?);
    let window = with_download_handler(app, builder.visible(visible), Carrier::Main).build()?;
    draw_app_page(&window);
    Ok(())
}

/// Draw one of the app's own pages (cards, tables, text) without GPU compositing.
///
/// WebKitGTK composites every page with OpenGL by default. For these pages that buys
/// nothing and costs a great deal: `make bench` measured the main window's web process at
/// 225 MB with compositing and 121 MB without, and the page painted in 836 ms against
/// 264 ms (under Mesa's software GL, as on machines without a usable GPU driver). Session
/// windows keep the default: remote pages such as CARTA draw with WebGL.
pub fn draw_app_page<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(e) = done {
            tracing::warn!("the app's page keeps GPU compositing: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// The variable that turns WebKitGTK's memory-pressure monitor off.
const MEMORY_MONITOR_OFF: &str = "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR";

/// Turn WebKitGTK's memory-pressure monitor off, unless the user's environment already
/// says either way. Call before any thread starts (it changes the process's environment) and
/// before the first window: WebKit reads it once, when it creates its process pool, and
/// tells every page and network process it starts to go without the monitor too.
///
/// The monitor is a thread of the app that reads the system's memory figures, and a timer
/// in every page process that reads the whole of `/proc/self/smaps` every 30 s, so as to
/// drop caches early when memory runs short. With a window open on a list of 2,000
/// sessions, that read was half of what its page process did while idle, and the app and
/// its processes took 0.137% of a core with the monitor against 0.080% without (side by
/// side, five minutes). The kernel still reclaims memory as it always does; a user who
/// wants the monitor back sets the variable to `0`.
pub fn quiet_memory_monitor() {
    if cfg!(target_os = "linux") {
        if let Some(value) = memory_monitor_setting(std::env::var_os(MEMORY_MONITOR_OFF)) {
            std::env::set_var(MEMORY_MONITOR_OFF, value);
        }
    }
}

/// What to set the variable to, given what the environment holds: a value the user chose
/// (any, `0` included) is theirs.
fn memory_monitor_setting(current: Option<std::ffi::OsString>) -> Option<&'static str> {
    current.is_none().then_some("1")
}

/// The address of the page that rests (its webview forgets it with its process).
#[cfg(target_os = "linux")]
static RESTED_AT: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Let the main window's page rest: end its web process (on Linux, WebKit's process of
/// ~120 MB that keeps housekeeping while nobody looks). The window, its webview and the
/// download handler it carries stay; [`wake_page`] loads the page again. False where pages
/// cannot rest (elsewhere than Linux, or the webview is gone).
pub fn rest_page<R: Runtime>(window: &tauri::WebviewWindow<R>) -> bool {
    #[cfg(target_os = "linux")]
    {
        window
            .with_webview(|webview| {
                use webkit2gtk::WebViewExt;
                let view = webview.inner();
                // The page's address, or the one it is loading (a start in the tray).
                let at = view.uri().map(|u| u.to_string()).filter(|u| !u.is_empty());
                *RESTED_AT.lock().unwrap_or_else(|e| e.into_inner()) = at;
                view.terminate_web_process();
            })
            .is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = window;
        false
    }
}

/// Load a rested page again (a new web process; the page reads its state afresh).
pub fn wake_page<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|webview| {
            use webkit2gtk::WebViewExt;
            let view = webview.inner();
            match RESTED_AT.lock().unwrap_or_else(|e| e.into_inner()).take() {
                Some(at) => view.load_uri(&at),
                None => view.reload(),
            }
        });
        if let Err(e) = done {
            tracing::warn!("the main window's page could not be loaded again: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// What a download handler does with a webview's download event (see the module notes).
pub type DownloadHandler<R> =
    Arc<dyn for<'e> Fn(&Webview<R>, DownloadEvent<'e>) -> bool + Send + Sync>;

/// The registered download handler (managed state).
pub struct DownloadHook<R: Runtime>(RwLock<Option<DownloadHandler<R>>>);

impl<R: Runtime> Default for DownloadHook<R> {
    fn default() -> Self {
        Self(RwLock::new(None))
    }
}

/// Register what downloads do (the downloads feature, at start).
pub fn set_download_handler<R: Runtime>(app: &AppHandle<R>, handler: DownloadHandler<R>) {
    if let Some(hook) = app.try_state::<DownloadHook<R>>() {
        *hook.0.write().unwrap_or_else(|e| e.into_inner()) = Some(handler);
    }
}

/// Which window carries the download handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Main,
    Session,
}

/// Give a window's builder the download handler when it is the window that carries it.
/// With no handler registered, downloads are refused.
pub fn with_download_handler<'a, R: Runtime, M: Manager<R>>(
    app: &AppHandle<R>,
    builder: WebviewWindowBuilder<'a, R, M>,
    carrier: Carrier,
) -> WebviewWindowBuilder<'a, R, M> {
    let wanted = if cfg!(target_os = "linux") {
        Carrier::Main
    } else {
        Carrier::Session
    };
    if carrier != wanted {
        return builder;
    }
    let app = app.clone();
    builder.on_download(move |webview, event| {
        let handler = app
            .try_state::<DownloadHook<R>>()
            .and_then(|h| h.0.read().ok().and_then(|h| h.clone()));
        match handler {
            Some(h) => h(&webview, event),
            None => !matches!(event, DownloadEvent::Requested { .. }),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_monitor_is_off_unless_the_user_chose() {
        assert_eq!(memory_monitor_setting(None), Some("1"));
        assert_eq!(memory_monitor_setting(Some("0".into())), None, "kept on");
        assert_eq!(memory_monitor_setting(Some("1".into())), None);
        assert_eq!(memory_monitor_setting(Some("".into())), None);
    }

    #[test]
    fn labels_are_valid_window_labels_and_read_back() {
        let l = session_label("k3x9q2ab");
        assert!(
            l.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-/:_".contains(c)),
            "{l}"
        );
        assert_eq!(session_of(&l), Some("k3x9q2ab"));
        assert_eq!(prompt_of(&prompt_label(7)), Some(7));
        assert_eq!(prompt_of("download-x"), None);
        assert_eq!(session_of(MAIN), None);
    }
}
