//! User settings kept in the config folder (never secrets).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use skyport_core::paths::Paths;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Warn this many hours before a session expires.
    pub expiry_warning_hours: u32,
    /// Show desktop notifications (in-app notices always show).
    pub notifications: bool,
    /// Closing the main window keeps Skyport running in the system tray.
    pub keep_in_tray: bool,
    /// Renew the certificate unattended (at about 2/3 of its life, or N days before expiry).
    pub auto_renew_cert: bool,
    /// Renew this many days before expiry instead of at 2/3 of the lifetime.
    pub cert_renew_days_before: Option<u32>,
    /// Reopen the session windows that were open when Skyport quit, without asking.
    pub reopen_windows: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            expiry_warning_hours: 12,
            notifications: true,
            keep_in_tray: true,
            auto_renew_cert: true,
            cert_renew_days_before: None,
            reopen_windows: false,
        }
    }
}

impl Settings {
    fn file(paths: &Paths) -> std::path::PathBuf {
        paths.config_dir.join("settings.json")
    }

    /// Load; a missing file gives the defaults, a malformed one is logged and ignored.
    pub fn load(paths: &Paths) -> Self {
        match std::fs::read(Self::file(paths)) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("ignoring unreadable settings file: {e}");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    pub fn save(&self, paths: &Paths) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        skyport_core::fsutil::write_atomic(&Self::file(paths), &bytes)
    }

    pub fn expiry_warning(&self) -> Duration {
        Duration::from_secs(u64::from(self.expiry_warning_hours.clamp(1, 24 * 14)) * 3600)
    }
}
