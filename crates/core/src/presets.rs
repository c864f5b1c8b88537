//! Launch presets and recent launches, one file each, shared by the app and the CLI: a
//! launch saved under a name (`presets.toml` in the config folder, meant to be readable and
//! editable) and the last launches made from this machine (`recent-launches.json` in the
//! state folder), each kept per platform profile. A private image's registry secret is
//! never stored (its user name is; the secret stays in the keyring); commands and
//! environment variables are kept as given.
//!
//! Both files are changed under a lock shared by every Skyport process, read whole, changed
//! and written atomically; a file that cannot be read is an error and is never overwritten
//! (the user's presets are not lost to a typo).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::launch::{check_options, check_replicas, validate_name};
use crate::skaha::{CreateRequest, Resources, SessionKind};

/// How many recent launches are kept per profile.
pub const RECENT_KEPT: usize = 20;

/// How long a change waits for another process holding the lock.
const PATIENCE: Duration = Duration::from_secs(5);

/// What a launch asks for, without any secret: enough to launch it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchSpec {
    pub kind: SessionKind,
    pub image: String,
    /// The session name; empty for the next free `<kind><n>` at launch time.
    #[serde(default)]
    pub session_name: String,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    /// Environment variables, in order (headless sessions).
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default = "one")]
    pub replicas: u32,
    /// The registry user for a private image; the secret is looked up in the keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_user: Option<String>,
    /// Keep the sessions alive while Skyport runs, up to this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive_days: Option<u32>,
}

fn one() -> u32 {
    1
}

/// One environment variable of a launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

impl LaunchSpec {
    /// The spec of a create request (its registry secret left out).
    pub fn of(req: &CreateRequest, kind: SessionKind, replicas: u32) -> LaunchSpec {
        LaunchSpec {
            kind,
            image: req.image.clone(),
            session_name: req.name.clone(),
            resources: req.resources.clone(),
            cmd: req.cmd.clone(),
            args: req.args.clone(),
            env: req
                .env
                .iter()
                .map(|(name, value)| EnvVar {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            replicas,
            registry_user: req.registry_auth.as_ref().map(|r| r.username.clone()),
            keep_alive_days: None,
        }
    }

    /// The create request it stands for (without registry credentials: the caller adds the
    /// secret for `registry_user` from the keyring) and how many replicas.
    pub fn request(&self) -> (CreateRequest, u32) {
        let req = CreateRequest {
            name: self.session_name.clone(),
            image: self.image.clone(),
            kind: Some(self.kind.clone()),
            resources: self.resources.clone(),
            cmd: self.cmd.clone(),
            args: self.args.clone(),
            env: self
                .env
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
                .collect(),
            registry_auth: None,
        };
        (req, self.replicas)
    }

    /// What a preset must be to be launched at all (the platform checks the rest).
    fn check(&self) -> Result<(), PresetError> {
        if self.image.trim().is_empty() {
            return Err(PresetError::Invalid("a preset needs an image".into()));
        }
        if !self.session_name.is_empty() {
            validate_name(&self.session_name).map_err(|e| PresetError::Invalid(e.message))?;
        }
        check_replicas(&self.kind, self.replicas).map_err(|e| PresetError::Invalid(e.message))?;
        if let Some(days) = self.keep_alive_days {
            crate::keepalive::check_days(days).map_err(PresetError::Invalid)?;
        }
        check_options(&self.request().0).map_err(|e| PresetError::Invalid(e.message))
    }
}

/// A launch saved under a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    pub name: String,
    /// The platform profile it was saved for; `None` for any platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(flatten)]
    pub spec: LaunchSpec,
}

/// One launch made from this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecentLaunch {
    pub profile: String,
    #[specta(type = String)]
    pub at: DateTime<Utc>,
    pub spec: LaunchSpec,
}

#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no preset named {0:?}; `skyport presets list` shows them")]
    NoSuch(String),
    #[error("cannot read {path}: {detail}; fix or move the file (it is left as it is)")]
    Unreadable { path: String, detail: String },
    #[error("cannot save {path}: {detail}")]
    Write { path: String, detail: String },
    #[error("{0}")]
    Locked(String),
}

impl crate::error::Coded for PresetError {
    fn code(&self) -> crate::error::ErrorCode {
        use crate::error::ErrorCode;
        match self {
            PresetError::Invalid(_) => ErrorCode::Validation,
            PresetError::NoSuch(_) => ErrorCode::NotFound,
            PresetError::Unreadable { .. } | PresetError::Write { .. } | PresetError::Locked(_) => {
                ErrorCode::Config
            }
        }
    }
}

/// A preset's name: a letter or digit first, then letters, digits, `-`, `_` and `.`; at
/// most 64 (it is typed in a shell: `skyport create --preset NAME`).
pub fn validate_preset_name(name: &str) -> Result<(), PresetError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(PresetError::Invalid(format!(
            "{name:?} cannot be a preset name: use letters, digits, '-', '_' and '.', \
             starting with a letter or digit (at most 64)"
        )))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PresetsFile {
    #[serde(default, rename = "preset")]
    presets: Vec<Preset>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RecentFile {
    #[serde(default)]
    launches: Vec<RecentLaunch>,
}

/// The two files, where the paths say.
#[derive(Debug, Clone)]
pub struct LaunchMemory {
    presets: PathBuf,
    recent: PathBuf,
}

impl LaunchMemory {
    pub fn new(paths: &crate::paths::Paths) -> LaunchMemory {
        LaunchMemory {
            presets: paths.config_dir.join("presets.toml"),
            recent: paths.state_dir.join("recent-launches.json"),
        }
    }

    /// The presets for `profile` (and those for any platform), by name; one of this
    /// platform's own hides an any-platform one of the same name.
    pub fn presets(&self, profile: &str) -> Result<Vec<Preset>, PresetError> {
        let mut all: Vec<Preset> = read_presets(&self.presets)?
            .presets
            .into_iter()
            .filter(|p| p.profile.as_deref().is_none_or(|q| q == profile))
            .collect();
        // Own ones first for each name, then keep the first of each name.
        all.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(b.profile.is_some().cmp(&a.profile.is_some()))
        });
        all.dedup_by(|later, first| later.name == first.name);
        Ok(all)
    }

    /// The preset named `name` for `profile`.
    pub fn preset(&self, profile: &str, name: &str) -> Result<Preset, PresetError> {
        self.presets(profile)?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| PresetError::NoSuch(name.into()))
    }

    /// Save (or replace) a preset; returns whether one of that name was replaced.
    pub fn save(&self, preset: Preset) -> Result<bool, PresetError> {
        validate_preset_name(&preset.name)?;
        preset.spec.check()?;
        self.change(&self.presets, read_presets, write_presets, |file| {
            let before = file.presets.len();
            file.presets
                .retain(|p| !(p.name == preset.name && p.profile == preset.profile));
            let replaced = file.presets.len() != before;
            file.presets.push(preset);
            replaced
        })
    }

    /// Remove the preset named `name` as `presets` shows it: this platform's own, or else
    /// the one for any platform.
    pub fn remove(&self, profile: &str, name: &str) -> Result<(), PresetError> {
        let removed = self.change(&self.presets, read_presets, write_presets, |file| {
            let own = |p: &Preset| p.name == name && p.profile.as_deref() == Some(profile);
            let any = |p: &Preset| p.name == name && p.profile.is_none();
            let at = file
                .presets
                .iter()
                .position(own)
                .or_else(|| file.presets.iter().position(any));
            at.map(|i| file.presets.remove(i)).is_some()
        })?;
        if removed {
            Ok(())
        } else {
            Err(PresetError::NoSuch(name.into()))
        }
    }

    /// Note a launch: first in the list, the same launch made before moved up rather than
    /// repeated, at most `RECENT_KEPT` kept per profile.
    pub fn record(
        &self,
        profile: &str,
        spec: &LaunchSpec,
        at: DateTime<Utc>,
    ) -> Result<(), PresetError> {
        self.change(&self.recent, read_recent, write_recent, |file| {
            file.launches
                .retain(|l| !(l.profile == profile && l.spec == *spec));
            file.launches.insert(
                0,
                RecentLaunch {
                    profile: profile.into(),
                    at,
                    spec: spec.clone(),
                },
            );
            let mut kept = 0;
            file.launches.retain(|l| {
                if l.profile != profile {
                    return true;
                }
                kept += 1;
                kept <= RECENT_KEPT
            });
        })
    }

    /// The recent launches for `profile`, newest first.
    pub fn recent(&self, profile: &str) -> Result<Vec<RecentLaunch>, PresetError> {
        Ok(read_recent(&self.recent)?
            .launches
            .into_iter()
            .filter(|l| l.profile == profile)
            .collect())
    }

    /// Load, change and save one file as one step among processes.
    fn change<F, T>(
        &self,
        path: &Path,
        read: fn(&Path) -> Result<F, PresetError>,
        write: fn(&Path, &F) -> Result<(), PresetError>,
        change: impl FnOnce(&mut F) -> T,
    ) -> Result<T, PresetError> {
        let lock = path.with_extension("lock");
        let _held = crate::lockfile::LockFile::acquire_blocking(&lock, PATIENCE)
            .map_err(|e| PresetError::Locked(e.to_string()))?;
        let mut file = read(path)?;
        let out = change(&mut file);
        write(path, &file)?;
        Ok(out)
    }
}

fn read_text(path: &Path) -> Result<Option<String>, PresetError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PresetError::Unreadable {
            path: path.display().to_string(),
            detail: e.to_string(),
        }),
    }
}

fn unreadable(path: &Path, detail: impl std::fmt::Display) -> PresetError {
    PresetError::Unreadable {
        path: path.display().to_string(),
        detail: detail.to_string().trim().replace('\n', " "),
    }
}

fn read_presets(path: &Path) -> Result<PresetsFile, PresetError> {
    let Some(text) = read_text(path)? else {
        return Ok(PresetsFile::default());
    };
    let file: PresetsFile = toml::from_str(&text).map_err(|e| unreadable(path, e))?;
    for p in &file.presets {
        validate_preset_name(&p.name).map_err(|e| unreadable(path, e))?;
    }
    Ok(file)
}

fn write_presets(path: &Path, file: &PresetsFile) -> Result<(), PresetError> {
    let text = toml::to_string_pretty(file).map_err(|e| PresetError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    let body = format!(
        "# Skyport launch presets (`skyport presets`, the app's Launch view). Registry secrets\n\
         # stay in the keyring; keep tokens out of commands and environment variables here.\n{text}"
    );
    write(path, body.as_bytes())
}

fn read_recent(path: &Path) -> Result<RecentFile, PresetError> {
    let Some(text) = read_text(path)? else {
        return Ok(RecentFile::default());
    };
    serde_json::from_str(&text).map_err(|e| unreadable(path, e))
}

fn write_recent(path: &Path, file: &RecentFile) -> Result<(), PresetError> {
    let text = serde_json::to_string_pretty(file).map_err(|e| PresetError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    write(path, text.as_bytes())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PresetError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|e| PresetError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
