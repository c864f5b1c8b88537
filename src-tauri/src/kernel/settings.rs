//! User settings (never secrets): owned here once, read from the file once, cached, and
//! published on a watch channel so that a change applies at once wherever it matters
//! (the renewal policy, closing to the tray, reopening windows, notifications).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::paths::Paths;
use tokio::sync::watch;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
// No `serde(default)` here: the UI gets every field (a file that lacks some is completed
// with the defaults in `from_file`).
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Warn once, this many hours before a session or the certificate expires.
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
    /// Start Skyport at login, hidden in the tray. The system's autostart entry is the
    /// truth (a desktop tool may change it): the app reads it there and writes it on save.
    pub start_at_login: bool,
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
            start_at_login: false,
        }
    }
}

/// The range of the session expiry warning, in hours (14 days at most). The UI receives it
/// as the generated constant `EXPIRY_WARNING_HOURS`.
pub const WARNING_HOURS: std::ops::RangeInclusive<u32> = 1..=336;

impl Settings {
    pub fn expiry_warning(&self) -> Duration {
        Duration::from_secs(
            u64::from(
                self.expiry_warning_hours
                    .clamp(*WARNING_HOURS.start(), *WARNING_HOURS.end()),
            ) * 3600,
        )
    }

    /// The settings a file holds, with the defaults for any field it lacks (a file from an
    /// older version, or edited by hand).
    pub fn from_file(bytes: &[u8]) -> serde_json::Result<Self> {
        let mut merged = serde_json::to_value(Settings::default())?;
        let file: serde_json::Value = serde_json::from_slice(bytes)?;
        let (Some(into), serde_json::Value::Object(from)) = (merged.as_object_mut(), file) else {
            return Err(serde::de::Error::custom(
                "the settings file does not hold an object",
            ));
        };
        into.extend(from);
        serde_json::from_value(merged)
    }

    /// Whether these settings can be kept, or what to change.
    pub fn check(&self) -> Result<(), ErrorPayload> {
        if !WARNING_HOURS.contains(&self.expiry_warning_hours) {
            let (min, max) = (*WARNING_HOURS.start(), *WARNING_HOURS.end());
            return Err(ErrorPayload::new(
                ErrorCode::Validation,
                format!(
                    "Warn between {min} and {max} hours ({} days) before expiry.",
                    max / 24
                ),
            ));
        }
        Ok(())
    }
}

/// The settings of this run (managed state).
pub struct SettingsStore {
    file: PathBuf,
    current: watch::Sender<Settings>,
    /// One save at a time: the file and the channel never disagree.
    saving: Mutex<()>,
}

impl SettingsStore {
    /// Read the file; a missing one gives the defaults, a malformed one is logged and its
    /// defaults used (the file is left as it is until the next save).
    pub fn load(paths: &Paths) -> Self {
        let file = paths.config_dir.join("settings.json");
        let settings = match std::fs::read(&file) {
            Ok(bytes) => Settings::from_file(&bytes).unwrap_or_else(|e| {
                tracing::warn!("ignoring unreadable settings file: {e}");
                Settings::default()
            }),
            Err(_) => Settings::default(),
        };
        Self {
            file,
            current: watch::channel(settings).0,
            saving: Mutex::new(()),
        }
    }

    /// The settings now.
    pub fn get(&self) -> Settings {
        self.current.borrow().clone()
    }

    /// Hear about every change.
    pub fn subscribe(&self) -> watch::Receiver<Settings> {
        self.current.subscribe()
    }

    /// Check, keep (atomically) and apply new settings.
    pub fn save(&self, settings: Settings) -> Result<Settings, ErrorPayload> {
        settings.check()?;
        let _one_at_a_time = self.saving.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = serde_json::to_vec_pretty(&settings)
            .map_err(|e| ErrorPayload::new(ErrorCode::Internal, e.to_string()))?;
        skyport_core::fsutil::write_atomic(&self.file, &bytes).map_err(|e| {
            ErrorPayload::new(
                ErrorCode::Io,
                format!(
                    "Could not save the settings in {}: {e}. Check that the folder is writable.",
                    self.file.display()
                ),
            )
        })?;
        self.current.send_replace(settings.clone());
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (SettingsStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        (SettingsStore::load(&paths), dir)
    }

    #[test]
    fn a_saved_change_reaches_listeners_and_the_next_run() {
        let (store, dir) = store();
        let mut rx = store.subscribe();
        assert_eq!(store.get(), Settings::default());
        let changed = Settings {
            keep_in_tray: false,
            ..Settings::default()
        };
        store.save(changed.clone()).expect("save");
        assert!(rx.has_changed().expect("open"));
        assert_eq!(*rx.borrow_and_update(), changed);
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        assert_eq!(SettingsStore::load(&paths).get(), changed);
    }

    #[test]
    fn a_refused_change_changes_nothing() {
        let (store, _dir) = store();
        let rx = store.subscribe();
        let e = store
            .save(Settings {
                expiry_warning_hours: 0,
                ..Settings::default()
            })
            .expect_err("0 h");
        assert_eq!(e.code, ErrorCode::Validation);
        assert!(!rx.has_changed().expect("open"));
        assert_eq!(store.get(), Settings::default());
    }

    #[test]
    fn a_malformed_file_gives_the_defaults() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        std::fs::create_dir_all(&paths.config_dir).expect("dir");
        std::fs::write(paths.config_dir.join("settings.json"), b"{ not json").expect("w");
        assert_eq!(SettingsStore::load(&paths).get(), Settings::default());
    }

    #[test]
    fn a_file_from_an_older_version_keeps_its_values_and_gets_the_new_defaults() {
        let old = br#"{"keepInTray": false, "expiryWarningHours": 24, "unknownLater": 1}"#;
        let s = Settings::from_file(old).expect("older file");
        assert_eq!(
            s,
            Settings {
                keep_in_tray: false,
                expiry_warning_hours: 24,
                ..Settings::default()
            }
        );
        assert!(Settings::from_file(b"[1, 2]").is_err());
        assert!(Settings::from_file(br#"{"keepInTray": "yes"}"#).is_err());
    }
}
