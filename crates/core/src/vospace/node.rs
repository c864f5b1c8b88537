//! VOSpace node documents (`GET {nodes}/{path}`): a node, its properties and, for a folder,
//! its children. Facts: vospace.md §2.2–2.3 (the XML cavern writes, the property URIs and
//! which of them it emits), §5 (quota on the allocation root).
//!
//! Elements are matched by local name; children come unsorted from the service and are
//! sorted here by name. Anything that is not a node document (an HTML error page, a login
//! form, JSON) is refused with what it looked like, never taken for an empty folder.

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::xml::{attr, opening, reference};
use serde::Serialize;

use super::path::{path_of_uri, NodePath};

/// The property URIs read here (vospace.md §2.3).
pub mod props {
    pub const CREATOR: &str = "ivo://ivoa.net/vospace/core#creator";
    pub const DATE: &str = "ivo://ivoa.net/vospace/core#date";
    pub const LENGTH: &str = "ivo://ivoa.net/vospace/core#length";
    pub const QUOTA: &str = "ivo://ivoa.net/vospace/core#quota";
    pub const MD5: &str = "ivo://ivoa.net/vospace/core#MD5";
    pub const TYPE: &str = "ivo://ivoa.net/vospace/core#type";
    pub const PUBLIC: &str = "ivo://ivoa.net/vospace/core#ispublic";
    pub const WRITABLE: &str = "ivo://cadc.nrc.ca/vospace/core#writable";
    pub const GROUP_READ: &str = "ivo://ivoa.net/vospace/core#groupread";
    pub const GROUP_WRITE: &str = "ivo://ivoa.net/vospace/core#groupwrite";
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NodeKind {
    /// A folder.
    Container,
    /// A file.
    Data,
    /// A link to another node.
    Link,
}

/// One node, as the service describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub path: NodePath,
    pub kind: NodeKind,
    /// A file's size; a folder's is everything below it (on CANFAR; absent elsewhere).
    pub size: Option<u64>,
    /// When it was last written.
    pub modified: Option<DateTime<Utc>>,
    /// The file's MD5, lower-case hex (cavern writes it with or without `md5:`).
    pub md5: Option<String>,
    pub content_type: Option<String>,
    pub creator: Option<String>,
    pub public: bool,
    /// The allocation's quota (on `/home/<user>` and `/projects/<group>` only).
    pub quota: Option<u64>,
    /// Whether the caller may write it (told only with `detail=max`).
    pub writable: Option<bool>,
    /// A link's target (`vos://…` or a URL).
    pub link_target: Option<String>,
    /// A file being written.
    pub busy: bool,
    /// The groups that may read and write it (group URIs, space-separated, as cavern says).
    pub group_read: Option<String>,
    pub group_write: Option<String>,
}

impl Node {
    /// Whether it is shared beyond its owner's allocation (public, or with groups).
    pub fn is_shared(&self) -> bool {
        self.public || self.group_read.is_some() || self.group_write.is_some()
    }
}

/// A node and, for a folder, its children (sorted by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub node: Node,
    pub children: Vec<Node>,
    /// The service its URIs name (`vos://cadc.nrc.ca~arc`), for the documents a client
    /// writes back.
    #[serde(skip)]
    pub service: String,
}

/// How full an allocation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub used: Option<u64>,
    pub quota: Option<u64>,
}

impl Usage {
    /// What is left, when both are known (0 when over).
    pub fn free(&self) -> Option<u64> {
        Some(self.quota?.saturating_sub(self.used?))
    }
}

impl Listing {
    /// The usage of the node read (meaningful on an allocation root).
    pub fn usage(&self) -> Usage {
        Usage {
            used: self.node.size,
            quota: self.node.quota,
        }
    }
}

/// Why a document could not be read as a node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("the answer is not a storage listing (it starts with {0:?})")]
    NotANode(String),
    #[error("the storage listing is malformed: {0}")]
    Malformed(String),
}

/// `2026-06-30T08:01:02.345` (UTC, no zone: IVOA's format), or with a zone.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|n| n.and_utc())
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
}

/// `md5:9e10…` or `9e10…` → the 32 hex digits, lower-case.
pub fn md5_hex(value: &str) -> Option<String> {
    let v = value.trim();
    let v = v.strip_prefix("md5:").unwrap_or(v);
    (v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())).then(|| v.to_ascii_lowercase())
}

/// A node being read: its kind and path from the start tag, the rest as properties come.
struct Building {
    node: Node,
    /// Collecting the text of a `<property>` (its URI, and whether it is nil) or a
    /// `<target>`.
    prop: Option<(String, bool, String)>,
    target: Option<String>,
    /// `vos://` and the authority of its URI, `!` written `~`.
    service: String,
}

impl Building {
    /// Text inside the node: into the property or link target being read, if any.
    fn push_text(&mut self, t: &str) {
        if let Some((_, _, v)) = self.prop.as_mut() {
            v.push_str(t);
        } else if let Some(v) = self.target.as_mut() {
            v.push_str(t);
        }
    }
}

fn start_node(e: &BytesStart<'_>, resource_id: Option<&str>) -> Result<Building, NodeError> {
    let uri = attr(e, "uri").unwrap_or_default();
    let path = path_of_uri(&uri, resource_id).ok_or_else(|| {
        NodeError::Malformed(format!("a node has no usable uri ({:?})", opening(&uri)))
    })?;
    let kind = match attr(e, "type")
        .as_deref()
        .map(|t| t.rsplit(':').next().unwrap_or(t))
    {
        Some("ContainerNode") => NodeKind::Container,
        Some("LinkNode") => NodeKind::Link,
        Some("DataNode" | "UnstructuredDataNode" | "StructuredDataNode") => NodeKind::Data,
        other => {
            return Err(NodeError::Malformed(format!(
                "{path} is of an unknown type {:?}",
                other.unwrap_or("(none)")
            )))
        }
    };
    Ok(Building {
        node: Node {
            path,
            kind,
            size: None,
            modified: None,
            md5: None,
            content_type: None,
            creator: None,
            public: false,
            quota: None,
            writable: None,
            link_target: None,
            busy: attr(e, "busy").as_deref() == Some("true"),
            group_read: None,
            group_write: None,
        },
        prop: None,
        target: None,
        service: uri
            .strip_prefix("vos://")
            .map(|r| {
                format!(
                    "vos://{}",
                    r.split('/').next().unwrap_or(r).replace('!', "~")
                )
            })
            .unwrap_or_default(),
    })
}

fn set_property(n: &mut Node, uri: &str, nil: bool, value: &str) {
    if nil {
        return;
    }
    let v = value.trim();
    match uri {
        props::CREATOR => n.creator = Some(v.to_string()).filter(|c| !c.is_empty()),
        props::DATE => n.modified = parse_date(v),
        props::LENGTH => n.size = v.parse().ok(),
        props::QUOTA => n.quota = v.parse().ok().filter(|q| *q > 0),
        props::MD5 => n.md5 = md5_hex(v),
        props::TYPE => n.content_type = Some(v.to_string()).filter(|t| !t.is_empty()),
        props::PUBLIC => n.public = v == "true",
        props::WRITABLE => n.writable = Some(v == "true"),
        props::GROUP_READ => n.group_read = Some(v.to_string()).filter(|g| !g.is_empty()),
        props::GROUP_WRITE => n.group_write = Some(v.to_string()).filter(|g| !g.is_empty()),
        _ => {}
    }
}

/// The node of a document and its children. `resource_id` (`ivo://cadc.nrc.ca/arc`), when
/// given, must be the service every node URI names.
pub fn parse(text: &str, resource_id: Option<&str>) -> Result<Listing, NodeError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let malformed = |e: quick_xml::Error| NodeError::Malformed(e.to_string());

    // Element names open now, by local name.
    let mut open: Vec<String> = Vec::new();
    let mut root: Option<Building> = None;
    let mut child: Option<Building> = None;
    let mut children: Vec<Node> = Vec::new();
    let mut done = false;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name().as_ref().to_string();
                if done {
                    return Err(NodeError::Malformed(
                        "more than one node in the document".into(),
                    ));
                }
                if root.is_none() {
                    if name != "node" {
                        return Err(NodeError::NotANode(opening(text)));
                    }
                    root = Some(start_node(e, resource_id)?);
                } else if name == "node" {
                    // A child: directly inside the root's <nodes>.
                    if open.len() != 2 || open[1] != "nodes" || child.is_some() {
                        return Err(NodeError::Malformed("a node where none belongs".into()));
                    }
                    let b = start_node(e, resource_id)?;
                    if empty {
                        children.push(b.node);
                    } else {
                        child = Some(b);
                    }
                } else {
                    let current = child.as_mut().or(root.as_mut());
                    if let Some(b) = current {
                        match name.as_str() {
                            "property" if !empty => {
                                let nil = attr(e, "nil").as_deref() == Some("true");
                                b.prop =
                                    Some((attr(e, "uri").unwrap_or_default(), nil, String::new()));
                            }
                            "target" if !empty => b.target = Some(String::new()),
                            _ => {}
                        }
                    }
                }
                if !empty {
                    open.push(name);
                }
            }
            Event::Text(t) => {
                if let Some(b) = child.as_mut().or(root.as_mut()) {
                    b.push_text(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(b) = child.as_mut().or(root.as_mut()) {
                    b.push_text(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(b), Some(c)) = (child.as_mut().or(root.as_mut()), reference(&r)) {
                    b.push_text(c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::End(_) => {
                let Some(name) = open.pop() else {
                    return Err(NodeError::Malformed(
                        "an element closed that was not open".into(),
                    ));
                };
                let current = child.as_mut().or(root.as_mut());
                match name.as_str() {
                    "property" => {
                        if let Some(b) = current {
                            if let Some((uri, nil, value)) = b.prop.take() {
                                set_property(&mut b.node, &uri, nil, &value);
                            }
                        }
                    }
                    "target" => {
                        if let Some(b) = current {
                            if let Some(t) = b.target.take() {
                                b.node.link_target = Some(t.trim().to_string())
                                    .filter(|t| !t.is_empty() && b.node.kind == NodeKind::Link);
                            }
                        }
                    }
                    "node" if open.len() == 2 => {
                        if let Some(b) = child.take() {
                            children.push(b.node);
                        }
                    }
                    "node" if open.is_empty() => done = true,
                    _ => {}
                }
            }
            Event::Eof if !open.is_empty() => {
                return Err(NodeError::Malformed(
                    "the document ends before its elements are closed (cut short?)".into(),
                ))
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let Some(root) = root else {
        return Err(NodeError::NotANode(opening(text)));
    };
    let (node, service) = (root.node, root.service);
    // A child is of the same service as its folder: one level below it.
    if let Some(bad) = children
        .iter()
        .find(|c| c.path.parent().as_ref() != Some(&node.path))
    {
        return Err(NodeError::Malformed(format!(
            "{} is listed in {}, which does not hold it",
            bad.path, node.path
        )));
    }
    children.sort_by(|a, b| a.path.name().cmp(b.path.name()));
    Ok(Listing {
        node,
        children,
        service,
    })
}

#[cfg(test)]
mod tests;
