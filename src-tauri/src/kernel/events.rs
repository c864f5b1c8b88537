//! Typed events for the UI. Each is declared once here; the UI listens through the
//! generated `events.*` bindings. (Features tell each other things on the [`super::Bus`].)

use serde::{Deserialize, Serialize};
use skyport_core::auth::signin::SignInStage;
use skyport_core::cert::CertView;
use skyport_core::sessions::{SessionNotice, SessionsSnapshot};
use skyport_core::status::CredentialStatus;

/// The credential state changed (sign-in, sign-out, expiry, renewal).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct CredentialStatusChanged(pub CredentialStatus);

/// A fresh session list (or a failed refresh, with the previous list and the error).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SessionsUpdated(pub SessionsSnapshot);

/// The session list was read again and is as it was: only its time moves (a list of 2,000
/// sessions is not sent again every poll).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct SessionsConfirmed {
    pub as_of: chrono::DateTime<chrono::Utc>,
}

/// A session event worth telling the user about (shown in-app; also a desktop notification).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SessionNotified(pub SessionNotice);

/// Progress of a running sign-in (browser opened, device code to show, done, failed).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SignInProgress(pub SignInStage);

/// The certificate changed (renewed, replaced from outside, removed, or its countdown moved).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct CertStatusChanged(pub CertView);

/// Ask the UI to show a view (e.g. the tray's "Sign in…" opens Credentials).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct Navigate {
    pub view: String,
}

/// The user closed the main window and Skyport stays (other windows are open): the next use
/// of the window must be reported at once, whatever the UI reported before.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct MainWindowClosed;

/// A download from a session changed (progress, arrived, saved, failed); sent to its prompt.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct DownloadChanged(pub skyport_core::downloads::Offer);

/// Another platform (or none) is in use now: chosen here, or with `skyport profiles use`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct PlatformChanged;

/// A `skyport://` link arrived: the UI takes it (`take_links`) and follows it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct LinkReceived;

/// A storage transfer moved on (progress, done, failed, cancelled).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct StorageTransferChanged(pub skyport_core::vospace::view::TransferView);
