//! Folders made and nodes deleted, as cavern answers (vospace.md §3.1, §3.2):
//! `PUT /arc/nodes/{path}` with a node document (32 KiB at most; its `uri` must name the
//! path; a container's must hold `<vos:nodes>`), 201 with the new node; 409 `DuplicateNode`,
//! 404 `ContainerNotFound`, 403 `PermissionDenied`. `DELETE` answers 200 with nothing, 400
//! for a folder that is not empty (no recursive delete), 404, 403.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::{caller, document, fault, folder, parent_of, path_of, vos_prefix, xml};
use super::{Cavern, Detail, Entry, Writer};
use crate::app::App;

/// The most a node document may weigh (`InlineNodeHandler.INPUT_LIMIT`).
const DOCUMENT_LIMIT: usize = 32 * 1024;

/// The value of `name="…"` in the first start tag of `doc` that has one.
fn attr<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let start = doc.find("<vos:node")?;
    let tag = &doc[start..start + doc[start..].find('>')?];
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    Some(&tag[at..at + tag[at..].find('"')?])
}

/// XML text or attribute value as written, its five entities read.
pub(super) fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A node URI as cavern compares them: `!` and `~` alike in the authority, percent-decoded.
pub(super) fn normal_uri(uri: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(uri).decode_utf8_lossy();
    match decoded.strip_prefix("vos://") {
        Some(rest) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!("vos://{}{path}", authority.replace('!', "~"))
        }
        None => decoded.into_owned(),
    }
}

/// A node document sent with a request (32 KiB at most; cavern's over-limit path ends in a
/// ClassCastException, vospace.md §3.1).
// An early return of a handler is its answer.
#[allow(clippy::result_large_err)]
async fn document_of(req: Request) -> Result<String, Response> {
    match http_body_util::Limited::new(req.into_body(), DOCUMENT_LIMIT)
        .collect()
        .await
    {
        Ok(b) => Ok(String::from_utf8_lossy(&b.to_bytes()).into_owned()),
        Err(_) => Err(fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected exception: java.lang.ClassCastException".into(),
        )),
    }
}

/// `PUT /arc/nodes/{path}`: a folder (or an empty file) made.
pub async fn put_node(State(app): State<Arc<App>>, req: Request) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let path = match path_of(&req, "/arc/nodes") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let prefix = vos_prefix(&app.cfg.authority);
    let target = format!("{prefix}{path}");
    let doc = match document_of(req).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let (Some(uri), Some(kind)) = (attr(&doc, "uri").map(unescape), attr(&doc, "xsi:type")) else {
        return fault(
            StatusCode::BAD_REQUEST,
            "InvalidArgument: invalid input: XML failed schema validation: no vos:node with uri and xsi:type".into(),
        );
    };
    if normal_uri(&uri) != normal_uri(&target) {
        return fault(
            StatusCode::BAD_REQUEST,
            format!("InvalidURI: invalid input: vos URI mismatch: doc={uri} and path={target}"),
        );
    }
    let is_folder = match kind {
        "vos:ContainerNode" => true,
        "vos:DataNode" => false,
        other => {
            return fault(
                StatusCode::BAD_REQUEST,
                format!("TypeNotSupported: {other}"),
            )
        }
    };
    if is_folder && !doc.contains("<vos:nodes") {
        return fault(
            StatusCode::BAD_REQUEST,
            format!(
                "InvalidArgument: invalid input: nodes element not found in ContainerNode: {uri}"
            ),
        );
    }
    let now = app.clock.now();
    let mut t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
    if t.contains_key(&path) {
        return fault(StatusCode::CONFLICT, format!("DuplicateNode: {target}"));
    }
    let parent = parent_of(&path).unwrap_or("/");
    let container_missing = || {
        fault(
            StatusCode::NOT_FOUND,
            format!("ContainerNotFound: {target}"),
        )
    };
    if let Err(r) = super::check_above(&t, &prefix, &path, user.as_deref(), container_missing) {
        return r;
    }
    match t.get(parent) {
        Some(p) if p.folder => {
            if !Cavern::writable(&t, parent, p, user.as_deref()) {
                return fault(StatusCode::FORBIDDEN, format!("PermissionDenied: {target}"));
            }
        }
        _ => return container_missing(),
    }
    let owner = user.clone().unwrap_or_default();
    let entry = Entry {
        folder: is_folder,
        ..folder(&owner, now)
    };
    t.insert(path.clone(), entry.clone());
    let w = Writer {
        tree: &t,
        prefix: &prefix,
        detail: Detail::Max,
        user: user.as_deref(),
    };
    xml(StatusCode::CREATED, document(&w, &path, &entry, true))
}

/// The `<vos:property uri="…">value</vos:property>` of a node document, `None` for a
/// property marked `xsi:nil="true"`.
fn doc_properties(doc: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(at) = rest.find("<vos:property ") {
        rest = &rest[at..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        let uri = tag
            .find("uri=\"")
            .and_then(|i| tag[i + 5..].find('"').map(|j| &tag[i + 5..i + 5 + j]))
            .map(unescape);
        let nil = tag.contains("xsi:nil=\"true\"");
        let value = if tag.ends_with('/') {
            None
        } else {
            rest[end + 1..]
                .find("</vos:property>")
                .map(|j| unescape(&rest[end + 1..end + 1 + j]))
        };
        if let Some(u) = uri {
            out.push((
                u,
                if nil {
                    None
                } else {
                    Some(value.unwrap_or_default())
                },
            ));
        }
        rest = &rest[end..];
    }
    out
}

/// `POST /arc/nodes/{path}`: set properties (public, groups; others are kept as cavern
/// ignores the immutable ones).
pub async fn post_node(State(app): State<Arc<App>>, req: Request) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let path = match path_of(&req, "/arc/nodes") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let prefix = vos_prefix(&app.cfg.authority);
    let target = format!("{prefix}{path}");
    let doc = match document_of(req).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    match attr(&doc, "uri").map(unescape) {
        Some(uri) if normal_uri(&uri) == normal_uri(&target) => {}
        Some(uri) => {
            return fault(
                StatusCode::BAD_REQUEST,
                format!(
                    "InvalidArgument: invalid input: vos URI mismatch: doc={uri} and path={target}"
                ),
            )
        }
        None => {
            return fault(
                StatusCode::BAD_REQUEST,
                "InvalidArgument: invalid input: no vos:node".into(),
            )
        }
    }
    let mut t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
    let missing = || {
        fault(
            StatusCode::NOT_FOUND,
            format!("NodeNotFound: Target {target}"),
        )
    };
    if let Err(r) = super::check_above(&t, &prefix, &path, user.as_deref(), missing) {
        return r;
    }
    let Some(e) = t.get(&path) else {
        return missing();
    };
    let kind = if e.folder {
        "vos:ContainerNode"
    } else {
        "vos:DataNode"
    };
    if attr(&doc, "xsi:type").is_some_and(|k| k != kind) {
        return fault(
            StatusCode::BAD_REQUEST,
            format!("InvalidArgument: invalid input: cannot change type of node {target}"),
        );
    }
    if !Cavern::writable(&t, &path, e, user.as_deref()) {
        return fault(StatusCode::FORBIDDEN, format!("PermissionDenied: {path}"));
    }
    let core = |p: &str| format!("ivo://ivoa.net/vospace/core#{p}");
    let Some(e) = t.get_mut(&path) else {
        return missing();
    };
    for (uri, value) in doc_properties(&doc) {
        if uri == core("ispublic") {
            e.public = value.as_deref() == Some("true");
        } else if uri == core("groupread") {
            e.group_read = value.filter(|v| !v.trim().is_empty());
        } else if uri == core("groupwrite") {
            e.group_write = value.filter(|v| !v.trim().is_empty());
        }
    }
    let entry = e.clone();
    let w = Writer {
        tree: &t,
        prefix: &prefix,
        detail: Detail::Max,
        user: user.as_deref(),
    };
    xml(StatusCode::OK, document(&w, &path, &entry, false))
}

/// `DELETE /arc/nodes/{path}`: a file, a link or an empty folder.
pub async fn delete_node(State(app): State<Arc<App>>, req: Request) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let path = match path_of(&req, "/arc/nodes") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let prefix = vos_prefix(&app.cfg.authority);
    let missing = || {
        fault(
            StatusCode::NOT_FOUND,
            format!("NodeNotFound: Target {prefix}{path}"),
        )
    };
    let mut t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(r) = super::check_above(&t, &prefix, &path, user.as_deref(), missing) {
        return r;
    }
    let Some(e) = t.get(&path) else {
        return missing();
    };
    let parent = parent_of(&path).unwrap_or("/");
    let may = path != "/"
        && t.get(parent)
            .is_some_and(|p| Cavern::writable(&t, parent, p, user.as_deref()));
    if !may || e.quota.is_some() {
        return fault(StatusCode::FORBIDDEN, format!("PermissionDenied: {path}"));
    }
    if e.folder {
        let below = format!("{path}/");
        if t.range(below.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&below))
        {
            let name = path.rsplit('/').next().unwrap_or_default();
            return fault(
                StatusCode::BAD_REQUEST,
                format!("container node '{name}' is not empty"),
            );
        }
    }
    if let Some(e) = t.remove(&path) {
        if let Some(b) = e.blob {
            let _ = std::fs::remove_file(b);
        }
    }
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_documents_are_read_for_their_uri_and_type() {
        let doc = r#"<?xml version='1.0' encoding='utf-8'?>
<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xsi:type="vos:ContainerNode" uri="vos://cadc.nrc.ca~arc/home/alice/new%20dir" version="2.1"><vos:nodes /></vos:node>"#;
        assert_eq!(attr(doc, "xsi:type"), Some("vos:ContainerNode"));
        assert_eq!(
            normal_uri(attr(doc, "uri").unwrap_or_default()),
            "vos://cadc.nrc.ca~arc/home/alice/new dir"
        );
        assert_eq!(
            normal_uri("vos://cadc.nrc.ca!arc/home/a"),
            normal_uri("vos://cadc.nrc.ca~arc/home/a")
        );
        assert_eq!(attr("<vos:transfer/>", "uri"), None);
    }

    #[test]
    fn properties_are_read_with_nil_and_entities() {
        let doc = r#"<vos:node uri="x"><vos:properties><vos:property uri="ivo://ivoa.net/vospace/core#ispublic">true</vos:property><vos:property uri="ivo://ivoa.net/vospace/core#groupread">ivo://cadc.nrc.ca/gms?a&amp;b</vos:property><vos:property uri="ivo://ivoa.net/vospace/core#groupwrite" xsi:nil="true" /></vos:properties></vos:node>"#;
        assert_eq!(
            doc_properties(doc),
            [
                (
                    "ivo://ivoa.net/vospace/core#ispublic".to_string(),
                    Some("true".to_string())
                ),
                (
                    "ivo://ivoa.net/vospace/core#groupread".to_string(),
                    Some("ivo://cadc.nrc.ca/gms?a&b".to_string())
                ),
                ("ivo://ivoa.net/vospace/core#groupwrite".to_string(), None),
            ]
        );
    }
}
