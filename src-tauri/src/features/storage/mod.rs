//! Storage (CANFAR's `/arc`): the Storage view browses the platform's storage service, makes
//! folders, renames and deletes, and moves files both ways. Transfers run here, off the
//! view: each has an id, reports its progress as a `StorageTransferChanged` event (a few
//! times a second at most) and can be cancelled. Downloads land in the Downloads folder and
//! never over a file there (core's rule for every download). The rules (paths, words,
//! checks) are core's `vospace`.

pub mod commands;
mod transfers;

use tauri::{AppHandle, Manager, Runtime};

pub use skyport_core::vospace::view::TransferView;
pub use transfers::Transfers;

pub fn init<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Transfers::default());
}

/// Files dropped on the main window (from the window's own drop event, not the page's):
/// they may be uploaded.
pub fn dropped<R: Runtime>(app: &AppHandle<R>, paths: &[std::path::PathBuf]) {
    if let Some(t) = app.try_state::<Transfers>() {
        t.offer(paths.iter().cloned());
    }
}
