//! What is remembered of session windows between runs: size and position per session
//! kind, and which windows were open.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use skyport_core::paths::Paths;

/// Size and position of a window, remembered per session kind.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Geometry {
    pub width: f64,
    pub height: f64,
    pub x: Option<f64>,
    pub y: Option<f64>,
}

/// What is remembered between runs (a field missing from the file is taken as empty, not
/// a reason to forget the rest).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowMemory {
    pub geometry: BTreeMap<String, Geometry>,
    /// Session windows open when the app last quit: offered again at start.
    pub open: Vec<String>,
}

fn file(paths: &Paths) -> PathBuf {
    paths.state_dir.join("session-windows.json")
}

pub fn load(paths: &Paths) -> WindowMemory {
    std::fs::read(file(paths))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save(paths: &Paths, m: &WindowMemory) {
    if let Ok(bytes) = serde_json::to_vec_pretty(m) {
        if let Err(e) = skyport_core::fsutil::write_atomic(&file(paths), &bytes) {
            tracing::warn!("could not remember session windows: {e}");
        }
    }
}

pub fn update(paths: &Paths, f: impl FnOnce(&mut WindowMemory)) {
    let mut m = load(paths);
    f(&mut m);
    save(paths, &m);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_with_a_missing_field_keeps_the_rest() {
        let m: WindowMemory = serde_json::from_str(r#"{"open": ["abc"]}"#).expect("parse");
        assert_eq!(m.open, ["abc"]);
        assert!(m.geometry.is_empty());
    }
}
