//! One Skyport per configuration folder, and `skyport://` links.
//!
//! A second launch (from the menu, the tray's autostart, a link clicked in a browser) does not
//! start a second copy — that would double renewals and notifications — but hands its
//! arguments to the running one, which comes forward. Links from either launch are read by
//! core's [`applink`] and queued here until the UI takes them: a link only opens something for
//! the user to look at, and one the app cannot follow becomes a notice that says why.

pub mod commands;

use std::sync::Mutex;

use serde::Serialize;
use skyport_core::applink::{self, AppLink};
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use crate::kernel::events::LinkReceived;
use crate::kernel::lifetime::{self, HIDDEN};

/// A link for the UI to follow, or why it cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LinkRequest {
    pub link: Option<AppLink>,
    pub problem: Option<String>,
}

/// Links received and not yet taken by the UI (it may not be listening yet at start).
#[derive(Default)]
pub struct PendingLinks(Mutex<Vec<LinkRequest>>);

impl PendingLinks {
    fn push(&self, r: LinkRequest) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(r);
    }
    pub fn take(&self) -> Vec<LinkRequest> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// What a link asks for, as the UI gets it.
pub fn request(raw: &str) -> LinkRequest {
    match applink::parse(raw) {
        Ok(link) => LinkRequest {
            link: Some(link),
            problem: None,
        },
        Err(e) => LinkRequest {
            link: None,
            problem: Some(format!(
                "{}. Check where the link came from; Skyport changed nothing.",
                capitalised(&e.to_string())
            )),
        },
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The D-Bus name part that makes one instance per configuration folder: the default
/// folder's app and a test's (or a second user setup's, with `SKYPORT_HOME`) do not
/// stand in for each other.
pub fn instance_id(config_dir: &std::path::Path) -> String {
    // The folder itself, however it was named (a symlink, `..`), when it exists.
    let config_dir = std::fs::canonicalize(config_dir).unwrap_or_else(|_| config_dir.into());
    // FNV-1a: stable across builds and Rust versions, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in config_dir.as_os_str().as_encoded_bytes() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("org.skyport.desktop.h{:012x}", h & 0xffff_ffff_ffff)
}

pub fn init<R: Runtime>(app: &AppHandle<R>) {
    app.manage(PendingLinks::default());
    // Links the system passes as events rather than arguments (macOS).
    #[cfg(target_os = "macos")]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        let handle = app.clone();
        app.deep_link().on_open_url(move |event| {
            for url in event.urls() {
                receive(&handle, url.as_str());
            }
        });
    }
}

/// The links this launch came with, once the main window exists (a link shows it, also in
/// a start in the tray).
pub fn launch_links<R: Runtime>(app: &AppHandle<R>) {
    // Arguments that are not UTF-8 are not links (and must not stop the app).
    let args = std::env::args_os()
        .skip(1)
        .filter_map(|a| a.into_string().ok());
    for arg in args.filter(|a| applink::is_app_link(a)) {
        receive(app, &arg);
    }
}

/// A second launch handed over its arguments: come forward (unless it was a start at login),
/// and follow its links.
pub fn second_launch<R: Runtime>(app: &AppHandle<R>, args: Vec<String>) {
    let links: Vec<&String> = args.iter().filter(|a| applink::is_app_link(a)).collect();
    tracing::info!(
        links = links.len(),
        "a second launch handed over its arguments; this instance answers"
    );
    if !args.iter().any(|a| a == HIDDEN) || !links.is_empty() {
        lifetime::show_main(app);
    }
    for link in links {
        receive(app, link);
    }
}

fn receive<R: Runtime>(app: &AppHandle<R>, raw: &str) {
    let r = request(raw);
    // Which kind only: the rest of a link is the sender's text.
    match &r.link {
        Some(AppLink::Session { .. }) => tracing::info!("link received: a session"),
        Some(AppLink::AddPlatform { .. }) => tracing::info!("link received: add a platform"),
        None => tracing::info!("link received and refused"),
    }
    if let Some(pending) = app.try_state::<PendingLinks>() {
        pending.push(r);
    }
    lifetime::show_main(app);
    let _ = LinkReceived.emit(app);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_a_request_or_a_notice() {
        let r = request("skyport://session/abc123");
        assert_eq!(
            r.link,
            Some(AppLink::Session {
                id: "abc123".into()
            })
        );
        let r = request("skyport://nonsense/here");
        assert!(r.link.is_none());
        let p = r.problem.expect("a problem");
        assert!(p.starts_with("Skyport does not know links"), "{p}");
        assert!(p.ends_with("Skyport changed nothing."), "{p}");
    }

    #[test]
    fn one_instance_per_configuration_folder() {
        let a = instance_id(std::path::Path::new("/home/ann/.config/skyport"));
        assert_eq!(
            a,
            instance_id(std::path::Path::new("/home/ann/.config/skyport"))
        );
        assert_ne!(a, instance_id(std::path::Path::new("/tmp/x/skyport")));
        // A valid D-Bus name element: letters, digits, dots; no element starts with a digit.
        assert!(a.split('.').all(
            |e| e.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && e.chars().all(|c| c.is_ascii_alphanumeric())
        ));
    }

    #[test]
    fn links_wait_for_the_ui() {
        let pending = PendingLinks::default();
        pending.push(request("skyport://session/a1"));
        pending.push(request(
            "skyport://platform/add?url=https://example.org/skaha",
        ));
        assert_eq!(pending.take().len(), 2);
        assert!(pending.take().is_empty(), "taken once");
    }
}
