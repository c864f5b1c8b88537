//! The shell's kernel: what every feature stands on, and nothing feature-specific.
//!
//! - [`settings`]: the user's settings, owned once, cached and published on change;
//! - [`platform`]: the platform in use, its credential and the kept connection;
//! - [`bus`]: the signals and watch channels by which features reach each other;
//! - [`events`]: the typed events the UI hears;
//! - [`lifetime`] and [`windows`]: window lifetime, the quit rules, window labels;
//! - [`notify`] and [`external`]: desktop notifications and the system opener.
//!
//! The kernel depends on core only; features depend on the kernel and never on each other.

pub mod bus;
pub mod events;
pub mod external;
pub mod lifetime;
pub mod notify;
pub mod platform;
pub mod settings;
pub mod windows;

use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

pub use bus::{Bus, Signal};
pub use platform::Platform;
pub use settings::{Settings, SettingsStore};

/// Map any coded core error for the UI (`{code, message}`).
pub fn payload<E: skyport_core::error::Coded>(e: E) -> skyport_core::error::ErrorPayload {
    skyport_core::error::ErrorPayload::from_coded(&e)
}

/// Put the kernel's state in place; before any feature starts.
pub fn init<R: Runtime>(app: &AppHandle<R>, platform: Platform) {
    app.manage(SettingsStore::load(&platform.paths));
    app.manage(platform);
    app.manage(Bus::default());
    app.manage(lifetime::Lifetime::default());
    app.manage(windows::DownloadHook::<R>::default());
}

/// The credential, or what is known about it, changed: the UI hears the new status and the
/// features listening on the bus are told. `replaced`: a different credential is in use
/// now, so the kept connection is dropped and lists are fetched again.
pub fn credential_changed<R: Runtime>(app: &AppHandle<R>, replaced: bool) {
    let platform = app.state::<Platform>();
    if replaced {
        platform.forget_connection();
    }
    let status = platform.credential_status();
    let _ = events::CredentialStatusChanged(status).emit(app);
    app.state::<Bus>()
        .send(Signal::CredentialChanged { replaced });
}
