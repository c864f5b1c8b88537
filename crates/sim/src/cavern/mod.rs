//! A cavern-like VOSpace (CANFAR's `/arc`). This module: the tree and `GET /arc/nodes/{path}`,
//! which answers the node XML cavern writes (properties sorted by URI, children unsorted as a
//! directory stream gives them, `limit=0` for none, `detail=max` for `readable`/`writable`),
//! quota and recursive size on allocation roots, `text/plain` faults with their names. A
//! user's home (`/home/<user>`) is made at their first call, as skaha does at a first launch,
//! with the configured quota. [`write`]: folders made and deleted; [`files`]: the bytes;
//! [`transfers`]: moves. File contents live on disk, so that gigabytes pass through the sim
//! without filling its memory. Facts: vospace.md §1–6.

pub mod files;
pub mod transfers;
pub mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::api::Ctx;
use crate::app::App;
use crate::auth::AuthOutcome;

/// The service's node URIs: `vos://cadc.nrc.ca~arc/…` for `ivo://cadc.nrc.ca/arc`.
fn vos_prefix(authority: &str) -> String {
    let rest = authority.trim_end_matches('/').trim_start_matches("ivo://");
    format!("vos://{rest}~arc")
}

/// One file or folder.
#[derive(Debug, Clone)]
pub struct Entry {
    pub folder: bool,
    pub owner: String,
    pub modified: DateTime<Utc>,
    /// A file's length; its bytes are in `blob` (none when empty).
    pub size: u64,
    pub blob: Option<PathBuf>,
    /// Hex MD5 as stored (cavern adds `md5:` when a write replaces an earlier value).
    pub md5: Option<String>,
    pub content_type: Option<String>,
    pub public: bool,
    /// Bytes allowed below an allocation root.
    pub quota: Option<u64>,
    /// `groupread` / `groupwrite`: group URIs, space-separated (stored and echoed; the sim
    /// has no group membership).
    pub group_read: Option<String>,
    pub group_write: Option<String>,
}

/// The tree, by absolute path (`/`, `/home`, `/home/alice/x.fits`).
#[derive(Debug)]
pub struct Cavern {
    tree: Mutex<BTreeMap<String, Entry>>,
    /// Where file contents are kept (made at the first write, removed with the sim).
    blobs: PathBuf,
    jobs: Mutex<BTreeMap<String, transfers::Job>>,
    /// Faults for tests: the next N writes store a changed byte (the digest check then
    /// fails, as after corruption on the way); the next N reads send one.
    pub corrupt_writes: AtomicU32,
    pub corrupt_reads: AtomicU32,
}

impl Cavern {
    /// File contents go to a fresh folder inside `dir` (the system's temporary folder when
    /// none).
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            tree: Mutex::default(),
            blobs: dir.unwrap_or_else(std::env::temp_dir).join(format!(
                "skyport-sim-arc-{}-{:016x}",
                std::process::id(),
                rand::random::<u64>()
            )),
            jobs: Mutex::default(),
            corrupt_writes: AtomicU32::new(0),
            corrupt_reads: AtomicU32::new(0),
        }
    }
}

impl Drop for Cavern {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.blobs);
    }
}

fn folder(owner: &str, at: DateTime<Utc>) -> Entry {
    Entry {
        folder: true,
        owner: owner.into(),
        modified: at,
        size: 0,
        blob: None,
        md5: None,
        content_type: None,
        public: false,
        quota: None,
        group_read: None,
        group_write: None,
    }
}

fn parent_of(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    Some(match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    })
}

/// A path as the URL gives it: decoded, one leading slash, no empty, `.` or `..` part.
fn clean(raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    let parts: Vec<&str> = decoded.split('/').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| *p == "." || *p == "..") || decoded.contains("//") {
        return None;
    }
    Some(format!("/{}", parts.join("/")))
}

impl Cavern {
    /// The home of `user`, made with `quota` bytes if it is not there yet (skaha's
    /// `ensureUserBase`).
    pub fn ensure_home(&self, user: &str, quota: u64, now: DateTime<Utc>) {
        let mut t = self.tree.lock().unwrap_or_else(|e| e.into_inner());
        for top in ["/", "/home", "/projects"] {
            t.entry(top.into()).or_insert_with(|| Entry {
                public: true,
                ..folder("root", now)
            });
        }
        t.entry(format!("/home/{user}")).or_insert_with(|| Entry {
            quota: (quota > 0).then_some(quota),
            ..folder(user, now)
        });
    }

    /// Put a file (the tests' and the demo's seeds), its folders made on the way.
    pub fn put_file(&self, path: &str, owner: &str, data: Vec<u8>, now: DateTime<Utc>) -> bool {
        let Some(path) = clean(path) else {
            return false;
        };
        let mut t = self.tree.lock().unwrap_or_else(|e| e.into_inner());
        let mut at = parent_of(&path);
        let mut missing = Vec::new();
        while let Some(p) = at {
            if t.contains_key(p) {
                break;
            }
            missing.push(p.to_string());
            at = parent_of(p);
        }
        for m in missing.into_iter().rev() {
            t.insert(m, folder(owner, now));
        }
        let md5 = hex_md5(&data);
        let blob = if data.is_empty() {
            None
        } else {
            let Ok(b) = self.new_blob() else { return false };
            if std::fs::write(&b, &data).is_err() {
                return false;
            }
            Some(b)
        };
        if let Some(old) = t.get(&path).and_then(|e| e.blob.clone()) {
            let _ = std::fs::remove_file(old);
        }
        t.insert(
            path,
            Entry {
                folder: false,
                owner: owner.into(),
                modified: now,
                size: data.len() as u64,
                blob,
                md5: Some(md5),
                content_type: None,
                public: false,
                quota: None,
                group_read: None,
                group_write: None,
            },
        );
        true
    }

    /// What `user` may read: their own, what is public, or what lies in their allocation.
    fn readable(t: &BTreeMap<String, Entry>, path: &str, e: &Entry, user: Option<&str>) -> bool {
        if e.public {
            return true;
        }
        let Some(u) = user else { return false };
        e.owner == u || allocation_owner(t, path).is_some_and(|o| o == u)
    }

    /// The bytes below `path` (a folder's `length`, as CephFS `rbytes`).
    fn size_below(t: &BTreeMap<String, Entry>, path: &str) -> u64 {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        t.range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, e)| e.size)
            .sum()
    }

    /// A file's bytes (read whole: for tests' small files) and its MD5 property.
    pub fn file(&self, path: &str) -> Option<(Vec<u8>, Option<String>)> {
        let t = self.tree.lock().unwrap_or_else(|e| e.into_inner());
        let e = t.get(&clean(path)?).filter(|e| !e.folder)?;
        let data = match &e.blob {
            Some(b) => std::fs::read(b).ok()?,
            None => Vec::new(),
        };
        Some((data, e.md5.clone()))
    }

    /// Share a file or folder: public or not, and the groups that read it.
    pub fn share(&self, path: &str, public: bool, group_read: Option<&str>) -> bool {
        let mut t = self.tree.lock().unwrap_or_else(|e| e.into_inner());
        let Some(e) = clean(path).and_then(|p| t.get_mut(&p)) else {
            return false;
        };
        e.public = public;
        e.group_read = group_read.map(str::to_string);
        true
    }

    /// A new, unused file name for a file's contents.
    fn new_blob(&self) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.blobs)?;
        Ok(self.blobs.join(format!("{:016x}", rand::random::<u64>())))
    }

    /// What `user` may change: their own, or what lies in their allocation.
    fn writable(t: &BTreeMap<String, Entry>, path: &str, e: &Entry, user: Option<&str>) -> bool {
        user.is_some_and(|u| e.owner == u || allocation_owner(t, path) == Some(u))
    }

    /// Bytes still free in the allocation `path` lies in (none: no quota).
    fn free_at(t: &BTreeMap<String, Entry>, path: &str) -> Option<u64> {
        let mut at = Some(path);
        while let Some(p) = at {
            if let Some(q) = t.get(p).and_then(|e| e.quota) {
                return Some(q.saturating_sub(Self::size_below(t, p)));
            }
            at = parent_of(p);
        }
        None
    }
}

/// MD5 of `data`, lower-case hex.
pub fn hex_md5(data: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The owner of the allocation (the nearest folder above with a quota) `path` lies in.
fn allocation_owner<'a>(t: &'a BTreeMap<String, Entry>, path: &str) -> Option<&'a str> {
    let mut at = Some(path);
    while let Some(p) = at {
        if let Some(e) = t.get(p).filter(|e| e.quota.is_some()) {
            return Some(&e.owner);
        }
        at = parent_of(p);
    }
    None
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS`, UTC, no zone (IVOA's format).
fn ivoa_date(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A node's URI: each part percent-encoded, as java.net.URI writes it.
fn uri_of(prefix: &str, path: &str) -> String {
    const PART: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    format!(
        "{prefix}{}",
        percent_encoding::utf8_percent_encode(path, PART)
    )
}

/// The `<vos:property>` lines of a node, sorted by URI (cavern writes a TreeSet).
fn properties(
    t: &BTreeMap<String, Entry>,
    path: &str,
    e: &Entry,
    max: bool,
    writable: bool,
) -> Vec<(String, bool, String)> {
    let core = |p: &str| format!("ivo://ivoa.net/vospace/core#{p}");
    let mut props: Vec<(String, bool, String)> = vec![
        (core("creator"), true, e.owner.clone()),
        (core("date"), true, ivoa_date(e.modified)),
        (core("ispublic"), false, e.public.to_string()),
    ];
    for (name, groups) in [("groupread", &e.group_read), ("groupwrite", &e.group_write)] {
        if let Some(g) = groups {
            props.push((core(name), false, g.clone()));
        }
    }
    if e.folder {
        props.push((
            "ivo://cadc.nrc.ca/vospace/core#inheritPermissions".into(),
            false,
            "false".into(),
        ));
        props.push((
            core("length"),
            true,
            Cavern::size_below(t, path).to_string(),
        ));
        if let Some(q) = e.quota {
            props.push((core("quota"), true, q.to_string()));
        }
    } else {
        props.push((core("length"), true, e.size.to_string()));
        if let Some(m) = &e.md5 {
            props.push((core("MD5"), true, m.clone()));
        }
        if let Some(ct) = &e.content_type {
            props.push((core("type"), false, ct.clone()));
        }
    }
    if max {
        props.push((
            "ivo://cadc.nrc.ca/vospace/core#readable".into(),
            true,
            "true".into(),
        ));
        props.push((
            "ivo://cadc.nrc.ca/vospace/core#writable".into(),
            true,
            writable.to_string(),
        ));
    }
    props.sort_by(|a, b| a.0.cmp(&b.0));
    props
}

/// What every node of one answer is written with.
struct Writer<'a> {
    tree: &'a BTreeMap<String, Entry>,
    prefix: &'a str,
    detail: Detail,
    user: Option<&'a str>,
}

impl Writer<'_> {
    /// The start tag and properties of a node (the caller closes it).
    fn node(&self, out: &mut String, path: &str, e: &Entry, indent: &str) {
        let kind = if e.folder {
            "vos:ContainerNode"
        } else {
            "vos:DataNode"
        };
        let busy = if e.folder || self.detail == Detail::Min {
            ""
        } else {
            " busy=\"false\""
        };
        out.push_str(&format!(
            "{indent}<vos:node uri=\"{}\" xsi:type=\"{kind}\"{busy}>\n",
            escape(&uri_of(self.prefix, path))
        ));
        if self.detail != Detail::Min {
            let writable = Cavern::writable(self.tree, path, e, self.user);
            out.push_str(&format!("{indent}  <vos:properties>\n"));
            for (uri, read_only, value) in
                properties(self.tree, path, e, self.detail == Detail::Max, writable)
            {
                let ro = if read_only { " readOnly=\"true\"" } else { "" };
                out.push_str(&format!(
                    "{indent}    <vos:property uri=\"{uri}\"{ro}>{}</vos:property>\n",
                    escape(&value)
                ));
            }
            out.push_str(&format!("{indent}  </vos:properties>\n"));
        }
        if !e.folder {
            out.push_str(&format!(
                "{indent}  <vos:accepts />\n{indent}  <vos:provides />\n"
            ));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Min,
    Properties,
    Max,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NodeQuery {
    detail: Option<String>,
    limit: Option<String>,
    uri: Option<String>,
    sort: Option<String>,
    order: Option<String>,
}

/// A fault as cavern answers it: `text/plain`, `<message>\n`.
fn fault(status: StatusCode, message: String) -> Response {
    let mut r = (status, format!("{message}\n")).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// The caller (`None`: anonymous), their home made on the way; a refused credential is
/// answered 401, as cadc-rest does.
// An early return of a handler is its answer.
#[allow(clippy::result_large_err)]
fn caller(app: &App, req: &Request) -> Result<Option<String>, Response> {
    let user = match &Ctx::of(req).auth {
        AuthOutcome::Ok(id) => Some(id.user.clone()),
        AuthOutcome::Anonymous => None,
        _ => {
            return Err(fault(
                StatusCode::UNAUTHORIZED,
                "NotAuthenticated: the credential was refused".into(),
            ))
        }
    };
    if let Some(u) = &user {
        app.cavern
            .ensure_home(u, app.cfg.storage_quota, app.clock.now());
    }
    Ok(user)
}

/// The node path of a request under `route` (`/arc/nodes`, `/arc/files`).
// An early return of a handler is its answer.
#[allow(clippy::result_large_err)]
fn path_of(req: &Request, route: &str) -> Result<String, Response> {
    let raw = req.uri().path().strip_prefix(route).unwrap_or_default();
    clean(raw).ok_or_else(|| fault(StatusCode::BAD_REQUEST, format!("InvalidURI: {raw}")))
}

/// Every folder above `path` exists and may be read (cavern checks intermediates, not the
/// leaf): else 404 `missing`, or 403 naming the first unreadable folder.
// An early return of a handler is its answer.
#[allow(clippy::result_large_err)]
fn check_above(
    t: &BTreeMap<String, Entry>,
    prefix: &str,
    path: &str,
    user: Option<&str>,
    missing: impl FnOnce() -> Response,
) -> Result<(), Response> {
    let mut at = parent_of(path);
    let mut above = Vec::new();
    while let Some(p) = at {
        above.push(p);
        at = parent_of(p);
    }
    for p in above.into_iter().rev() {
        match t.get(p) {
            None => return Err(missing()),
            Some(e) if !Cavern::readable(t, p, e, user) => {
                return Err(fault(
                    StatusCode::FORBIDDEN,
                    format!("PermissionDenied: {prefix}{p}"),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A node's document, its children listed unless `children` is false.
fn document(w: &Writer<'_>, path: &str, e: &Entry, children: bool) -> String {
    let t = w.tree;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vos:node xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
    );
    // The root element carries the namespaces; the rest of its start tag as any node's.
    let mut own = String::new();
    w.node(&mut own, path, e, "");
    out.push_str(own.trim_start_matches("<vos:node"));
    if e.folder {
        let prefix_of_children = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let mut kids: Vec<(&String, &Entry)> = t
            .range(prefix_of_children.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix_of_children))
            .filter(|(k, _)| {
                !k[prefix_of_children.len()..].contains('/') && k.len() > prefix_of_children.len()
            })
            .collect();
        // A directory stream's order, not a sorted one: clients sort.
        kids.sort_by_key(|(k, _)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(k, &mut h);
            std::hash::Hasher::finish(&h)
        });
        let listed = children && Cavern::readable(t, path, e, w.user);
        if listed && !kids.is_empty() {
            out.push_str("  <vos:nodes>\n");
            for (k, c) in kids {
                w.node(&mut out, k, c, "    ");
                if c.folder {
                    out.push_str("      <vos:nodes />\n");
                }
                out.push_str("    </vos:node>\n");
            }
            out.push_str("  </vos:nodes>\n");
        } else {
            out.push_str("  <vos:nodes />\n");
        }
    }
    out.push_str("</vos:node>\n");
    out
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    r
}

/// `GET /arc/nodes/{path}`.
pub async fn get_node(
    State(app): State<Arc<App>>,
    Query(q): Query<NodeQuery>,
    req: Request,
) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let prefix = vos_prefix(&app.cfg.authority);
    let path = match path_of(&req, "/arc/nodes") {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(s) = &q.sort {
        return fault(StatusCode::BAD_REQUEST, format!("sort by {s}"));
    }
    if let Some(o) = &q.order {
        return fault(StatusCode::BAD_REQUEST, format!("sort order {o}"));
    }
    let limit = match q.limit.as_deref().map(str::parse::<u64>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return fault(
                StatusCode::BAD_REQUEST,
                "InvalidArgument: value for limit must be a positive integer.".into(),
            )
        }
    };
    if q.uri.is_some() && limit != Some(0) {
        return fault(
            StatusCode::BAD_REQUEST,
            "OptionNotSupported: batch container node listing: limit ignored, resume not implemented".into(),
        );
    }
    let detail = match q.detail.as_deref() {
        Some("min") => Detail::Min,
        Some("max") => Detail::Max,
        _ => Detail::Properties,
    };
    let t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
    let target = format!("{prefix}{path}");
    let missing = || fault(StatusCode::NOT_FOUND, format!("NodeNotFound: {target}"));
    if let Err(r) = check_above(&t, &prefix, &path, user.as_deref(), missing) {
        return r;
    }
    let Some(e) = t.get(&path) else {
        return missing();
    };
    let w = Writer {
        tree: &t,
        prefix: &prefix,
        detail,
        user: user.as_deref(),
    };
    xml(StatusCode::OK, document(&w, &path, e, limit != Some(0)))
}

/// `GET /arc/capabilities`: nodes and files (base URLs), with the platform's methods.
pub async fn capabilities(State(app): State<Arc<App>>, req: Request) -> Response {
    crate::discovery::arc_caps(&app, &Ctx::of(&req).origin)
}
