//! The storage as the app shows it: a folder with its breadcrumbs, entries, the paths
//! sessions see, and how full its allocation is; a transfer's progress in words. The CLI
//! says progress with the same words.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::node::{Listing, NodeKind, Usage};
use super::path::{session_path, NodePath};
use super::size_words;
use super::transfer::Step;

/// Where sessions mount the storage of `nodes` (`https://ws-uv.canfar.net/arc/nodes` →
/// `/arc`; `…/cavern/nodes` → `/cavern`): the service's context is the top-level folder
/// (vospace.md §8).
pub fn mount_of(nodes: &url::Url) -> String {
    let first = nodes
        .path_segments()
        .and_then(|mut s| s.next())
        .filter(|s| !s.is_empty() && *s != "nodes")
        .unwrap_or("arc");
    format!("/{first}")
}

/// One step up the path, for breadcrumbs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Crumb {
    pub name: String,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum EntryKind {
    Folder,
    File,
    Link,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub name: String,
    pub path: String,
    pub kind: EntryKind,
    /// Bytes (a folder's: everything below it, when the service says).
    pub size: Option<f64>,
    pub size_words: Option<String>,
    pub modified: Option<DateTime<Utc>>,
    /// Where sessions see it (`/arc/home/alice/x.fits`).
    pub session_path: String,
    pub hidden: bool,
}

/// How full an allocation is, in figures and words.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// The allocation (`/home/alice`).
    pub root: String,
    pub used: Option<f64>,
    pub quota: Option<f64>,
    /// 0..1 when both are known.
    pub fraction: Option<f64>,
    /// "1.2 GB of 10 GB used (12%)", "1.2 GB used; no quota set here".
    pub words: String,
}

impl UsageView {
    pub fn new(root: &NodePath, u: Usage) -> Self {
        let words = match (u.used, u.quota) {
            (Some(used), Some(q)) => format!(
                "{} of {} used ({:.0}%), {} free",
                size_words(used),
                size_words(q),
                used as f64 * 100.0 / q.max(1) as f64,
                size_words(q.saturating_sub(used))
            ),
            (Some(used), None) => format!("{} used; no quota set here", size_words(used)),
            _ => "The storage does not say how full it is".to_string(),
        };
        Self {
            root: root.to_string(),
            used: u.used.map(|v| v as f64),
            quota: u.quota.map(|v| v as f64),
            fraction: match (u.used, u.quota) {
                (Some(used), Some(q)) if q > 0 => Some((used as f64 / q as f64).min(1.0)),
                _ => None,
            },
            words,
        }
    }
}

/// A folder as the Storage view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    pub path: String,
    pub name: String,
    pub crumbs: Vec<Crumb>,
    pub session_path: String,
    /// Folders first, then files, each by name.
    pub entries: Vec<Entry>,
    pub usage: Option<UsageView>,
    /// Whether the service says the caller may write here (unknown: true).
    pub writable: bool,
}

impl Folder {
    pub fn new(listing: &Listing, usage: Option<UsageView>, mount: &str) -> Self {
        let path = &listing.node.path;
        let mut crumbs = vec![Crumb {
            name: mount.trim_start_matches('/').to_string(),
            path: "/".into(),
        }];
        let mut at = NodePath::root();
        for part in path.parts() {
            if let Ok(next) = at.join(part) {
                at = next;
                crumbs.push(Crumb {
                    name: part.to_string(),
                    path: at.to_string(),
                });
            }
        }
        let mut entries: Vec<Entry> = listing
            .children
            .iter()
            .map(|n| Entry {
                name: n.path.name().to_string(),
                path: n.path.to_string(),
                kind: match n.kind {
                    NodeKind::Container => EntryKind::Folder,
                    NodeKind::Data => EntryKind::File,
                    NodeKind::Link => EntryKind::Link,
                },
                size: n.size.map(|s| s as f64),
                size_words: n.size.map(size_words),
                modified: n.modified,
                session_path: session_path(mount, &n.path),
                hidden: n.path.name().starts_with('.'),
            })
            .collect();
        entries.sort_by(|a, b| {
            (a.kind != EntryKind::Folder)
                .cmp(&(b.kind != EntryKind::Folder))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Self {
            path: path.to_string(),
            name: if path.is_root() {
                mount.to_string()
            } else {
                path.name().to_string()
            },
            crumbs,
            session_path: session_path(mount, path),
            entries,
            usage,
            writable: listing.node.writable.unwrap_or(true),
        }
    }
}

/// A transfer's step in words: "sending 1.2 GB of 3.0 GB (40%)".
pub fn step_words(s: Step) -> String {
    fn fraction(done: u64, total: Option<u64>) -> String {
        match total {
            Some(t) if t > 0 => format!(
                "{} of {} ({}%)",
                size_words(done),
                size_words(t),
                done.saturating_mul(100) / t
            ),
            _ => size_words(done),
        }
    }
    match s {
        Step::Checking { done, total } => format!("checking {}", fraction(done, Some(total))),
        Step::Sending { done, total } => format!("sending {}", fraction(done, Some(total))),
        Step::Receiving { done, total } => format!("receiving {}", fraction(done, total)),
        Step::Retrying { attempt } => format!("interrupted; starting again (try {attempt})"),
    }
}

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    Upload,
    Download,
}

/// Where a transfer is, for the app.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "state"
)]
pub enum TransferState {
    /// `fraction`: 0..1 when the size is known.
    Running {
        words: String,
        fraction: Option<f64>,
    },
    /// `saved_to`: where a download was saved (its name may differ: never over a file).
    Done {
        words: String,
        saved_to: Option<String>,
    },
    Failed {
        message: String,
    },
    Cancelled,
}

/// One transfer of the app's, as its Storage view lists it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    pub id: u32,
    pub direction: Direction,
    pub name: String,
    /// The storage folder it goes to or comes from.
    pub folder: String,
    #[serde(flatten)]
    pub state: TransferState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_see_the_storage_under_the_services_context() {
        let u = |s: &str| url::Url::parse(s).expect("url");
        assert_eq!(mount_of(&u("https://ws-uv.canfar.net/arc/nodes")), "/arc");
        assert_eq!(
            mount_of(&u("https://src.canfar.net/cavern/nodes")),
            "/cavern"
        );
        assert_eq!(mount_of(&u("https://x.org/nodes")), "/arc");
    }

    #[test]
    fn a_folder_has_crumbs_session_paths_and_folders_first() {
        let doc = r#"<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" uri="vos://cadc.nrc.ca~arc/home/alice" xsi:type="vos:ContainerNode"><vos:nodes>
<vos:node uri="vos://cadc.nrc.ca~arc/home/alice/b.fits" xsi:type="vos:DataNode"><vos:properties><vos:property uri="ivo://ivoa.net/vospace/core#length">1536</vos:property></vos:properties></vos:node>
<vos:node uri="vos://cadc.nrc.ca~arc/home/alice/Zeta" xsi:type="vos:ContainerNode"><vos:nodes/></vos:node>
<vos:node uri="vos://cadc.nrc.ca~arc/home/alice/.ssl" xsi:type="vos:ContainerNode"><vos:nodes/></vos:node>
</vos:nodes></vos:node>"#;
        let l = super::super::node::parse(doc, None).expect("parse");
        let f = Folder::new(&l, None, "/arc");
        let names: Vec<&str> = f.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, [".ssl", "Zeta", "b.fits"]);
        assert_eq!(f.entries[2].size_words.as_deref(), Some("1.5 KB"));
        assert_eq!(f.entries[2].session_path, "/arc/home/alice/b.fits");
        assert!(f.entries[0].hidden);
        let crumbs: Vec<(&str, &str)> = f
            .crumbs
            .iter()
            .map(|c| (c.name.as_str(), c.path.as_str()))
            .collect();
        assert_eq!(
            crumbs,
            [("arc", "/"), ("home", "/home"), ("alice", "/home/alice")]
        );
        assert_eq!(f.session_path, "/arc/home/alice");
    }

    #[test]
    fn usage_and_steps_are_said_in_words() {
        let root = NodePath::parse("/home/alice").expect("path");
        let u = UsageView::new(
            &root,
            Usage {
                used: Some(1_200_000_000),
                quota: Some(10_000_000_000),
            },
        );
        assert_eq!(u.words, "1.2 GB of 10 GB used (12%), 8.8 GB free");
        assert_eq!(u.fraction, Some(0.12));
        assert_eq!(
            step_words(Step::Sending {
                done: 1_200_000_000,
                total: 3_000_000_000
            }),
            "sending 1.2 GB of 3.0 GB (40%)"
        );
    }
}
