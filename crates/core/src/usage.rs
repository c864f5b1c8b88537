//! What each session used: a small history of CPU and RAM in use, kept by the app's poller
//! from the figures the list already carries, and what a launch of the same kind would need
//! ("used at most 1.2 of 8 GB over 3 days: 2 GB would do"). Nothing here changes a launch;
//! it only says.
//!
//! A session's history is a few dozen points whatever its length: when they are all taken,
//! neighbours merge (each point keeps the highest figure it stands for), so a peak is never
//! lost. Histories outlive their sessions, so that a relaunch can be sized from them.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::presets::LaunchSpec;
use crate::skaha::model::{as_chosen, chosen_gb};
use crate::skaha::{Context, Resources, Session, SessionStatus};

/// Points kept per session.
pub const SAMPLES_KEPT: usize = 48;
/// Sessions whose history is kept (the least recently seen go first).
pub const TRACKS_KEPT: usize = 500;
/// How long a session must have been watched before its figures size anything.
const MIN_WATCHED: chrono::Duration = chrono::Duration::hours(1);
/// Room above the highest figure seen.
const HEADROOM: f64 = 1.25;
/// A suggestion to shrink is made only when it at least halves the request.
const SHRINK_BELOW: f64 = 0.5;
/// Near the request, the session is short of room.
const TIGHT_ABOVE: f64 = 0.9;

/// The highest use in one stretch of a session's life (RAM in decimal GB, as the platform
/// reports it and the list shows it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    #[specta(type = String)]
    pub at: DateTime<Utc>,
    pub cores: Option<f64>,
    pub ram_gb: Option<f64>,
}

/// One session's use over its life, as watched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Track {
    pub profile: String,
    pub id: String,
    pub name: String,
    pub image: String,
    /// What it asked for, as the platform reports it; `None` for flexible sessions.
    pub requested_cores: Option<f64>,
    pub requested_ram_gb: Option<f64>,
    #[specta(type = String)]
    pub first: DateTime<Utc>,
    #[specta(type = String)]
    pub last: DateTime<Utc>,
    pub peak_cores: Option<f64>,
    pub peak_ram_gb: Option<f64>,
    pub samples: Vec<Sample>,
    /// Observations per point, and how many the last point holds.
    #[serde(default = "one")]
    width: u32,
    #[serde(default = "one")]
    last_fill: u32,
}

fn one() -> u32 {
    1
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl Track {
    fn add(&mut self, at: DateTime<Utc>, cores: Option<f64>, ram_gb: Option<f64>) {
        self.last = at;
        self.peak_cores = max_opt(self.peak_cores, cores);
        self.peak_ram_gb = max_opt(self.peak_ram_gb, ram_gb);
        if let Some(last) = self
            .samples
            .last_mut()
            .filter(|_| self.last_fill < self.width)
        {
            last.cores = max_opt(last.cores, cores);
            last.ram_gb = max_opt(last.ram_gb, ram_gb);
            self.last_fill += 1;
            return;
        }
        if self.samples.len() == SAMPLES_KEPT {
            self.samples = self
                .samples
                .chunks(2)
                .map(|pair| Sample {
                    at: pair[0].at,
                    cores: pair.iter().fold(None, |m, s| max_opt(m, s.cores)),
                    ram_gb: pair.iter().fold(None, |m, s| max_opt(m, s.ram_gb)),
                })
                .collect();
            self.width *= 2;
        }
        self.samples.push(Sample { at, cores, ram_gb });
        self.last_fill = 1;
    }

    /// How long it has been watched.
    pub fn watched(&self) -> chrono::Duration {
        self.last - self.first
    }
}

/// What a launch would fit in, and why, in one sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Fit {
    /// The cores to ask for instead, when they differ from the request.
    pub cores: Option<u32>,
    /// The RAM (GB) to ask for instead, when it differs from the request.
    pub ram_gb: Option<u32>,
    /// "Used at most 1.2 of 8 GB over 3 days: 2 GB would do."
    pub sentence: String,
}

/// The histories of every session watched, on every platform.
#[derive(Debug, Default, Clone)]
pub struct UsageHistory {
    tracks: HashMap<(String, String), Track>,
}

#[derive(Serialize, Deserialize)]
struct UsageFile {
    tracks: Vec<Track>,
}

impl UsageHistory {
    /// Note what the running sessions of `profile` use now; true when something was noted.
    pub fn observe(&mut self, profile: &str, sessions: &[Session], now: DateTime<Utc>) -> bool {
        let running = sessions.iter().filter(|s| {
            s.status == SessionStatus::Running
                && (s.cores_in_use.is_some() || s.ram_in_use_gb.is_some())
        });
        // Those watched first, so that making room for a new one never drops one that is
        // still running.
        let mut noted = false;
        let mut new = Vec::new();
        for s in running {
            match self.tracks.get_mut(&(profile.to_string(), s.id.0.clone())) {
                Some(track) => {
                    track.add(now, s.cores_in_use, s.ram_in_use_gb);
                    noted = true;
                }
                None => new.push(s),
            }
        }
        for s in new {
            if !self.make_room(now) {
                // More sessions run at once than are kept: those already watched go on.
                break;
            }
            let fixed = s.fixed_resources == Some(true);
            let mut track = Track {
                profile: profile.into(),
                id: s.id.0.clone(),
                name: s.name.clone(),
                image: s.image.clone(),
                requested_cores: s.requested_cores.filter(|_| fixed),
                requested_ram_gb: s.requested_ram_gb.filter(|_| fixed),
                first: now,
                last: now,
                peak_cores: None,
                peak_ram_gb: None,
                samples: Vec::new(),
                width: 1,
                last_fill: 0,
            };
            track.add(now, s.cores_in_use, s.ram_in_use_gb);
            self.tracks
                .insert((profile.to_string(), s.id.0.clone()), track);
            noted = true;
        }
        noted
    }

    /// Room for one more history: the one seen longest ago goes, if it was not seen in
    /// this very observation; false when there is no such one.
    fn make_room(&mut self, now: DateTime<Utc>) -> bool {
        if self.tracks.len() < TRACKS_KEPT {
            return true;
        }
        let oldest = self
            .tracks
            .iter()
            .filter(|(_, t)| t.last < now)
            .min_by_key(|(_, t)| t.last)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                self.tracks.remove(&k);
                true
            }
            None => false,
        }
    }

    /// The history of one session.
    pub fn track(&self, profile: &str, id: &str) -> Option<&Track> {
        self.tracks.get(&(profile.to_string(), id.to_string()))
    }

    /// The size a session asked for, in the launch form's figures (`None` for flexible).
    pub fn asked(track: &Track) -> Option<(u32, u32)> {
        Some((
            track.requested_cores?.round() as u32,
            as_chosen(track.requested_ram_gb?, None).round() as u32,
        ))
    }

    /// The sessions a launch made: its name (or its replicas', `name-N`; any name when it
    /// gave none), image and resources, most recently seen first.
    pub fn launched_as(
        &self,
        profile: &str,
        name: &str,
        image: &str,
        resources: &Resources,
    ) -> Vec<&Track> {
        let Resources::Fixed { cores, ram_gb, .. } = resources else {
            return Vec::new();
        };
        let replica = |n: &str| {
            n.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        };
        let mut out: Vec<&Track> = self
            .tracks
            .values()
            .filter(|t| t.profile == profile && same_image(&t.image, image))
            // A launch with no name of its own took the next free one: any name will do.
            .filter(|t| name.is_empty() || t.name == name || replica(&t.name))
            .filter(|t| {
                t.requested_cores.map(|c| c.round() as u32) == Some(*cores)
                    && t.requested_ram_gb
                        .map(|r| as_chosen(r, None).round() as u32)
                        == Some(*ram_gb)
            })
            .collect();
        out.sort_by_key(|t| std::cmp::Reverse(t.last));
        out
    }

    /// Read from `path`; a file that cannot be read starts an empty history (it is only
    /// what was watched; the next save replaces it).
    pub fn load(path: &std::path::Path) -> UsageHistory {
        let Ok(bytes) = std::fs::read(path) else {
            return UsageHistory::default();
        };
        let Ok(file) = serde_json::from_slice::<UsageFile>(&bytes) else {
            tracing::warn!(path = %path.display(), "the usage history cannot be read; starting afresh");
            return UsageHistory::default();
        };
        UsageHistory {
            tracks: file
                .tracks
                .into_iter()
                .filter(|t| t.samples.len() <= SAMPLES_KEPT)
                .map(|t| ((t.profile.clone(), t.id.clone()), t))
                .collect(),
        }
    }

    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        let file = UsageFile {
            tracks: self.tracks.values().cloned().collect(),
        };
        let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(path, &bytes)
    }
}

/// Whether a session ran `image` as a launch names it: in full, or as `project/name[:tag]`
/// that the platform's registry completed.
fn same_image(ran: &str, image: &str) -> bool {
    let registry = ran.split('/').next().unwrap_or_default();
    ran == image || crate::launch::normalize_image(image, registry).is_ok_and(|full| full == ran)
}

/// Where the app keeps the history.
pub fn history_file(paths: &crate::paths::Paths) -> PathBuf {
    paths.state_dir.join("usage.json")
}

/// The size a remembered launch would fit in, from the sessions it made before (fixed
/// resources only: a flexible launch leaves the size to the platform).
pub fn fit_for(
    history: &UsageHistory,
    profile: &str,
    spec: &LaunchSpec,
    context: Option<&Context>,
) -> Option<Fit> {
    let Resources::Fixed { cores, ram_gb, .. } = spec.resources else {
        return None;
    };
    let tracks = history.launched_as(profile, &spec.session_name, &spec.image, &spec.resources);
    fit(&tracks, cores, ram_gb, context)
}

/// What `cores` and `ram_gb` (the launch form's figures) should be for sessions that used
/// what `tracks` say, if not what was asked: a size with room above the highest use seen,
/// among the platform's options.
pub fn fit(tracks: &[&Track], cores: u32, ram_gb: u32, context: Option<&Context>) -> Option<Fit> {
    let watched = tracks.iter().map(|t| t.watched()).max()?;
    if watched < MIN_WATCHED {
        return None;
    }
    // In the form's GB, as the request and the options are.
    let peak_ram = tracks
        .iter()
        .fold(None, |m, t| max_opt(m, t.peak_ram_gb))
        .map(chosen_gb);
    let peak_cores = tracks.iter().fold(None, |m, t| max_opt(m, t.peak_cores));
    let over = span_text(watched);
    let mem_options = context
        .map(|c| c.memory_gb.options.as_slice())
        .unwrap_or(&[]);
    let core_options = context.map(|c| c.cores.options.as_slice()).unwrap_or(&[]);
    let mut parts = Vec::new();
    let mut fit = Fit {
        cores: None,
        ram_gb: None,
        sentence: String::new(),
    };
    if let Some(peak) = peak_ram {
        let asked = f64::from(ram_gb);
        if peak >= asked * TIGHT_ABOVE {
            if let Some(more) = above(mem_options, asked) {
                fit.ram_gb = Some(more);
                parts.push(format!(
                    "used up to {} of {ram_gb} GB over {over}: {more} GB would leave room",
                    figure(peak)
                ));
            }
        } else {
            let need = at_least(mem_options, peak * HEADROOM);
            if f64::from(need) <= asked * SHRINK_BELOW {
                fit.ram_gb = Some(need);
                parts.push(format!(
                    "used at most {} of {ram_gb} GB over {over}: {need} GB would do",
                    figure(peak)
                ));
            }
        }
    }
    // Cores: only ever fewer. A job that uses every core it has is doing its work, not
    // short of room (more would only make it finish sooner, which is the user's call).
    if let Some(peak) = peak_cores {
        let asked = f64::from(cores);
        let need = at_least(core_options, peak * HEADROOM);
        if f64::from(need) <= asked * SHRINK_BELOW {
            fit.cores = Some(need);
            parts.push(format!(
                "used at most {} of {} over {over}: {} would do",
                figure(peak),
                cores_text(cores),
                cores_text(need)
            ));
        }
    }
    if parts.is_empty() {
        return None;
    }
    let text = parts.join("; ");
    let mut chars = text.chars();
    fit.sentence = match chars.next() {
        Some(c) => format!("{}{}.", c.to_uppercase(), chars.as_str()),
        None => return None,
    };
    Some(fit)
}

/// The smallest option at or above `need` (at least 1); with no options, `need` rounded up.
fn at_least(options: &[f64], need: f64) -> u32 {
    let need = need.max(1.0);
    options
        .iter()
        .copied()
        .filter(|o| *o >= need)
        .fold(None, |m: Option<f64>, o| Some(m.map_or(o, |m| m.min(o))))
        .unwrap_or(need.ceil())
        .ceil() as u32
}

/// The next option above `asked`; with no options, twice it.
fn above(options: &[f64], asked: f64) -> Option<u32> {
    if options.is_empty() {
        return Some((asked * 2.0).ceil() as u32);
    }
    options
        .iter()
        .copied()
        .filter(|o| *o > asked)
        .fold(None, |m: Option<f64>, o| Some(m.map_or(o, |m| m.min(o))))
        .map(|o| o.ceil() as u32)
}

fn figure(n: f64) -> String {
    if n >= 10.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

fn cores_text(n: u32) -> String {
    if n == 1 {
        "1 core".into()
    } else {
        format!("{n} cores")
    }
}

fn span_text(d: chrono::Duration) -> String {
    let hours = d.num_hours();
    if hours >= 48 {
        let days = (d.num_minutes() as f64 / 1440.0).round() as i64;
        format!("{days} days")
    } else if hours >= 2 {
        format!("{hours} hours")
    } else {
        "an hour".into()
    }
}

#[cfg(test)]
mod tests;
