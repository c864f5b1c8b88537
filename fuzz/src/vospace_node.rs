//! VOSpace node documents (`vospace::node::parse`) and node paths and URIs
//! (`vospace::path`).
//!
//! By the first byte: `0x00` then a path as a user would type it; `0x01` then a storage
//! service's other answers (a `Digest` header, a move job's document, a fault line);
//! anything else, the whole input as a node document of `ivo://cadc.nrc.ca/arc`.
//!
//! Properties: never a panic; a path read is absolute, has no empty, `.` or `..` part and
//! reads back as itself, its URI names it again, its URL path decodes to it; a listing's
//! children are sorted, each one level below the node listed; only links have targets; an MD5 is 32 lower-case
//! hex digits; the free space is never more than the quota.

use skyport_core::vospace::node::{self, NodeKind};
use skyport_core::vospace::path::{node_uri, path_of_uri, NodePath};

const ARC: &str = "ivo://cadc.nrc.ca/arc";

pub fn run(data: &[u8]) {
    match data {
        [0, rest @ ..] => path(&String::from_utf8_lossy(rest)),
        [1, rest @ ..] => answers(&String::from_utf8_lossy(rest)),
        _ => document(&String::from_utf8_lossy(data)),
    }
}

fn path(text: &str) {
    let Ok(p) = NodePath::parse(text) else {
        return;
    };
    let s = p.as_str();
    assert!(s.starts_with('/'));
    assert!(p.is_root() || !s.ends_with('/'), "{s:?}");
    assert!(p.parts().all(|x| !x.is_empty() && x != "." && x != ".."), "{s:?}");
    assert_eq!(NodePath::parse(s).as_ref(), Ok(&p));
    let uri = node_uri(ARC, &p).expect("uri");
    let url = format!("vos://cadc.nrc.ca~arc{}", p.url_path());
    assert_eq!(path_of_uri(&url, Some(ARC)).as_ref(), Some(&p), "{url}");
    // A name with `%` or `#` needs the escaped form; the plain one names it when it has none.
    if !s.contains(['%', '#', '?']) {
        assert_eq!(path_of_uri(&uri, Some(ARC)).as_ref(), Some(&p), "{uri}");
    }
    if let Some(parent) = p.parent() {
        assert!(p.is_within(&parent));
        assert_eq!(parent.join(p.name()).as_ref(), Ok(&p));
    }
}

fn document(text: &str) {
    let Ok(l) = node::parse(text, Some(ARC)) else {
        return;
    };
    for pair in l.children.windows(2) {
        assert!(pair[0].path.name() <= pair[1].path.name());
    }
    for c in &l.children {
        assert_eq!(c.path.parent().as_ref(), Some(&l.node.path));
    }
    for n in std::iter::once(&l.node).chain(&l.children) {
        if let Some(m) = &n.md5 {
            assert!(m.len() == 32 && m.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        }
        assert!(n.link_target.is_none() || n.kind == NodeKind::Link, "{n:?}");
    }
    let u = l.usage();
    if let (Some(free), Some(q)) = (u.free(), u.quota) {
        assert!(free <= q);
    }
}

fn answers(text: &str) {
    use skyport_core::fuzzing::{move_destination, storage_digest, storage_fault};
    if let Some(hex) = storage_digest(text) {
        assert!(hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{hex:?}");
    }
    let _ = move_destination(text);
    let (name, rest) = storage_fault(text);
    if let Some(n) = name {
        assert!(!n.is_empty() && n.chars().all(|c| c.is_ascii_alphabetic()), "{n:?}");
    }
    assert!(text.contains(rest), "{rest:?}");
}
