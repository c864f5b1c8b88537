//! Paths in a VOSpace (CANFAR's `/arc`): a node's path as the service names it
//! (`/home/alice/run 1/x.fits`), its `vos://` URI, and the path sessions see it under
//! (`/arc/home/alice/run 1/x.fits`). Facts: vospace.md §1.1–1.2 and §8.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Serialize};

/// The longest path taken (Linux's PATH_MAX; a longer one cannot exist on the file system
/// behind cavern).
pub const MAX_PATH: usize = 4096;

/// Characters escaped in one segment of a URL path: everything but unreserved characters
/// and the sub-delimiters a path segment may hold.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    // Tomcat (cavern) strips `;…` from a path part as a path parameter.
    .add(b';')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// An absolute node path: `/`, `/home/alice`, `/projects/survey/run 1`. No empty, `.` or
/// `..` part, no control character, no slash at the end (but the root's).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodePath(String);

/// Why a text is not a node path, in words that say how to write one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("a storage path starts with / (for example /home/alice/data), not {0:?}")]
    NotAbsolute(String),
    #[error("{0:?} has an empty, \".\" or \"..\" part: name each folder on the way")]
    BadPart(String),
    #[error("{0:?} holds a control character")]
    Control(String),
    #[error("the path is longer than {MAX_PATH} characters")]
    TooLong,
    #[error("{0:?} is not a file or folder name (a name holds no /, and is not . or ..)")]
    BadName(String),
}

impl TryFrom<String> for NodePath {
    type Error = PathError;
    fn try_from(s: String) -> Result<Self, PathError> {
        NodePath::parse(&s)
    }
}

impl From<NodePath> for String {
    fn from(p: NodePath) -> String {
        p.0
    }
}

impl std::fmt::Display for NodePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}

impl NodePath {
    /// `/`.
    pub fn root() -> NodePath {
        NodePath("/".into())
    }

    /// Read a path as written (one slash at the end is allowed and dropped).
    pub fn parse(s: &str) -> Result<NodePath, PathError> {
        if s.len() > MAX_PATH {
            return Err(PathError::TooLong);
        }
        if s.chars().any(char::is_control) {
            return Err(PathError::Control(s.chars().take(80).collect()));
        }
        let Some(rest) = s.strip_prefix('/') else {
            return Err(PathError::NotAbsolute(s.chars().take(80).collect()));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Ok(NodePath::root());
        }
        if !rest.split('/').all(valid_name) {
            return Err(PathError::BadPart(s.chars().take(80).collect()));
        }
        Ok(NodePath(format!("/{rest}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The last part (`x.fits` of `/home/alice/x.fits`); empty for the root.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }

    /// The folder it is in; `None` for the root.
    pub fn parent(&self) -> Option<NodePath> {
        if self.is_root() {
            return None;
        }
        let cut = self.0.rfind('/').unwrap_or(0);
        Some(if cut == 0 {
            NodePath::root()
        } else {
            NodePath(self.0[..cut].to_string())
        })
    }

    /// The path of `name` inside this folder.
    pub fn join(&self, name: &str) -> Result<NodePath, PathError> {
        if !valid_name(name) || name.chars().any(char::is_control) {
            return Err(PathError::BadName(name.chars().take(80).collect()));
        }
        let joined = if self.is_root() {
            format!("/{name}")
        } else {
            format!("{}/{name}", self.0)
        };
        if joined.len() > MAX_PATH {
            return Err(PathError::TooLong);
        }
        Ok(NodePath(joined))
    }

    /// The parts from the root down (none for the root).
    pub fn parts(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|p| !p.is_empty())
    }

    /// This path or one below it.
    pub fn is_within(&self, folder: &NodePath) -> bool {
        folder.is_root()
            || self.0 == folder.0
            || (self.0.starts_with(&folder.0)
                && self.0.as_bytes().get(folder.0.len()) == Some(&b'/'))
    }

    /// The path for a URL (`{nodes}{path}`), each part percent-encoded.
    pub fn url_path(&self) -> String {
        if self.is_root() {
            return String::new();
        }
        self.parts()
            .map(|p| format!("/{}", utf8_percent_encode(p, SEGMENT)))
            .collect()
    }

    /// The allocation it lies in — `/home/<user>` or `/projects/<group>` — which holds the
    /// quota (vospace.md §5); `None` above them.
    pub fn allocation(&self) -> Option<NodePath> {
        let mut parts = self.parts();
        match (parts.next(), parts.next()) {
            (Some(top @ ("home" | "projects")), Some(name)) => {
                Some(NodePath(format!("/{top}/{name}")))
            }
            _ => None,
        }
    }
}

/// `ivo://cadc.nrc.ca/arc` → `vos://cadc.nrc.ca~arc`: the prefix of the service's node URIs
/// (the resource id's path with `/` written `~`).
pub fn vos_prefix(resource_id: &str) -> Option<String> {
    let rest = resource_id.trim().strip_prefix("ivo://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return None;
    }
    let path = path.trim_matches('/');
    Some(if path.is_empty() {
        format!("vos://{authority}")
    } else {
        format!("vos://{authority}~{}", path.replace('/', "~"))
    })
}

/// The `vos://` URI of `path` in the service `resource_id`.
pub fn node_uri(resource_id: &str, path: &NodePath) -> Option<String> {
    Some(uri_in(&vos_prefix(resource_id)?, path))
}

/// The `vos://` URI of `path` under `prefix` (`vos://cadc.nrc.ca~arc`), each name
/// percent-escaped as java.net.URI writes it, so that the service reads back the same path.
pub fn uri_in(prefix: &str, path: &NodePath) -> String {
    const NAME: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'[')
        .add(b']')
        .add(b'\\')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    if path.is_root() {
        return format!("{prefix}/");
    }
    let mut s = prefix.to_string();
    for part in path.parts() {
        s.push('/');
        s.extend(percent_encoding::utf8_percent_encode(part, NAME));
    }
    s
}

/// The path a `vos://` URI names (`~` and `!` alike in its authority, percent-escapes
/// decoded); with `resource_id`, only when the URI is of that service.
pub fn path_of_uri(uri: &str, resource_id: Option<&str>) -> Option<NodePath> {
    let rest = uri.strip_prefix("vos://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if let Some(id) = resource_id {
        let want = vos_prefix(id)?;
        let got = format!("vos://{}", authority.replace('!', "~"));
        if want != got {
            return None;
        }
    }
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    NodePath::parse(&decoded).ok()
}

/// Where sessions see `path`: under the platform's mount (`/arc` on CANFAR, `/cavern` on
/// canSRC), e.g. `/arc/home/alice/x.fits`.
pub fn session_path(mount: &str, path: &NodePath) -> String {
    let mount = mount.trim_end_matches('/');
    if path.is_root() {
        format!("{mount}/")
    } else {
        format!("{mount}{}", path.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> NodePath {
        NodePath::parse(s).expect(s)
    }

    #[test]
    fn paths_are_absolute_and_named_part_by_part() {
        assert_eq!(p("/home/alice/").as_str(), "/home/alice");
        assert_eq!(p("/").as_str(), "/");
        assert_eq!(p("/home/alice/run 1/x.fits").name(), "x.fits");
        assert_eq!(p("/home").parent(), Some(NodePath::root()));
        assert_eq!(p("/home/alice/x").parent(), Some(p("/home/alice")));
        assert_eq!(NodePath::root().parent(), None);
        for bad in [
            "home/alice",
            "",
            "/home//alice",
            "/home/./x",
            "/home/../etc",
            "/a\nb",
        ] {
            assert!(NodePath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(NodePath::parse(&format!("/{}", "a".repeat(MAX_PATH))).is_err());
        let e = NodePath::parse("data/x.fits").expect_err("relative");
        assert!(e.to_string().contains("starts with /"), "{e}");
        assert_eq!(
            p("/home/alice").join("x y").expect("join"),
            p("/home/alice/x y")
        );
        assert_eq!(NodePath::root().join("home").expect("join"), p("/home"));
        for bad in ["", ".", "..", "a/b", "a\u{7}"] {
            assert!(p("/home").join(bad).is_err(), "{bad:?}");
        }
        assert!(p("/home/alice/x").is_within(&p("/home/alice")));
        assert!(p("/home/alice").is_within(&p("/home/alice")));
        assert!(!p("/home/alicea").is_within(&p("/home/alice")));
        assert!(p("/home").is_within(&NodePath::root()));
        assert_eq!(p("/home/alice/a/b").allocation(), Some(p("/home/alice")));
        assert_eq!(
            p("/projects/survey").allocation(),
            Some(p("/projects/survey"))
        );
        assert_eq!(p("/home").allocation(), None);
        assert_eq!(p("/tmp/x").allocation(), None);
    }

    #[test]
    fn uris_and_urls_name_the_same_node() {
        let id = "ivo://cadc.nrc.ca/arc";
        assert_eq!(vos_prefix(id).as_deref(), Some("vos://cadc.nrc.ca~arc"));
        assert_eq!(
            vos_prefix("ivo://canfar.net/src/cavern").as_deref(),
            Some("vos://canfar.net~src~cavern")
        );
        assert_eq!(vos_prefix("https://x/arc"), None);
        let x = p("/home/alice/run 1/x#2.fits");
        let uri = node_uri(id, &x).expect("uri");
        assert_eq!(uri, "vos://cadc.nrc.ca~arc/home/alice/run%201/x%232.fits");
        assert_eq!(
            uri_in("vos://a~arc", &p("/home/a/50%?[x]")),
            "vos://a~arc/home/a/50%25%3F%5Bx%5D"
        );
        assert_eq!(uri_in("vos://a~arc", &NodePath::root()), "vos://a~arc/");
        assert_eq!(x.url_path(), "/home/alice/run%201/x%232.fits");
        // What the service writes: `!` or `~`, escapes or not.
        assert_eq!(
            path_of_uri(
                "vos://cadc.nrc.ca!arc/home/alice/run%201/x%232.fits",
                Some(id)
            ),
            Some(x.clone())
        );
        assert_eq!(path_of_uri(&uri, Some(id)), Some(x));
        assert_eq!(
            path_of_uri("vos://other.org~arc/home/alice", Some(id)),
            None
        );
        assert_eq!(
            path_of_uri("vos://cadc.nrc.ca~arc", None),
            Some(NodePath::root())
        );
        assert_eq!(path_of_uri("https://cadc.nrc.ca/arc/home", None), None);
        assert_eq!(
            session_path("/arc", &p("/home/alice/x")),
            "/arc/home/alice/x"
        );
        assert_eq!(
            session_path("/cavern/", &p("/projects/p")),
            "/cavern/projects/p"
        );
    }

    #[test]
    fn a_path_travels_as_a_string_and_is_checked_when_read() {
        let json = serde_json::to_string(&p("/home/alice")).expect("json");
        assert_eq!(json, "\"/home/alice\"");
        assert!(serde_json::from_str::<NodePath>("\"/home/../etc\"").is_err());
    }
}
