//! The launch form's catalogue — images, resource context, registries — as last fetched,
//! one file per platform profile in the cache folder, so the form opens at once and is
//! refreshed behind. It is a cache: a file that cannot be read is as good as none, and the
//! next fetch replaces it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::skaha::{Context, Image};

/// What the platform said its catalogue was, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    pub images: Vec<Image>,
    pub context: Context,
    pub repositories: Vec<String>,
    pub fetched_at: DateTime<Utc>,
}

/// The cached catalogues, under `<cache>/catalogue/`.
#[derive(Debug, Clone)]
pub struct CatalogueCache {
    dir: PathBuf,
}

impl CatalogueCache {
    pub fn new(paths: &crate::paths::Paths) -> CatalogueCache {
        CatalogueCache {
            dir: paths.cache_dir.join("catalogue"),
        }
    }

    /// The file of `profile`: its name hex-encoded, so that any profile name is one plain
    /// file name.
    fn file(&self, profile: &str) -> PathBuf {
        let hex: String = profile.bytes().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.json"))
    }

    /// The catalogue last stored for `profile`, if there is one that reads.
    pub fn load(&self, profile: &str) -> Option<Catalogue> {
        let text = std::fs::read(self.file(profile)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Keep `catalogue` as the one of `profile`.
    pub fn store(&self, profile: &str, catalogue: &Catalogue) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(catalogue).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&self.file(profile), &bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::skaha::model::ResourceOptions;
    use crate::skaha::SessionKind;

    fn catalogue(tag: &str) -> Catalogue {
        Catalogue {
            images: vec![Image {
                id: format!("images.canfar.net/skaha/astroml:{tag}"),
                kinds: vec![SessionKind::Notebook, SessionKind::Headless],
                digest: None,
            }],
            context: Context {
                cores: ResourceOptions {
                    default: Some(2.0),
                    options: vec![1.0, 2.0, 4.0],
                    ..ResourceOptions::default()
                },
                max_interactive_sessions: Some(3),
                ..Context::default()
            },
            repositories: vec!["images.canfar.net".into()],
            fetched_at: "2026-12-04T06:00:00.123456789Z".parse().unwrap(),
        }
    }

    #[test]
    fn kept_per_profile_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CatalogueCache::new(&crate::paths::Paths::under(dir.path().into()).unwrap());
        assert_eq!(cache.load("canfar"), None);
        cache.store("canfar", &catalogue("1")).unwrap();
        cache.store("src/node ✓", &catalogue("2")).unwrap();
        assert_eq!(cache.load("canfar"), Some(catalogue("1")));
        assert!(cache.load("src/node ✓").unwrap().images[0]
            .id
            .ends_with(":2"));
        cache.store("canfar", &catalogue("3")).unwrap();
        assert!(cache.load("canfar").unwrap().images[0].id.ends_with(":3"));
    }

    #[test]
    fn a_damaged_file_is_no_catalogue_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CatalogueCache::new(&crate::paths::Paths::under(dir.path().into()).unwrap());
        cache.store("canfar", &catalogue("1")).unwrap();
        std::fs::write(cache.file("canfar"), b"{\"images\": [tru").unwrap();
        assert_eq!(cache.load("canfar"), None);
        cache.store("canfar", &catalogue("2")).unwrap();
        assert!(cache.load("canfar").unwrap().images[0].id.ends_with(":2"));
    }
}
