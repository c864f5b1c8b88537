//! The bytes, as cavern's `/arc/files` serves them (vospace.md §4.1): `GET`/`HEAD` with
//! `Digest: md5=<base64>`, 204 for an empty file, no ranges; `PUT` streamed to disk, the
//! `Digest` checked after the write (412 and the file truncated when it differs), 413
//! `limit: N` when the allocation is full (the file truncated too), 201 with the digest of
//! what was written. A missing file is made (empty) before anything else, as cavern does.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::StreamExt as _;
use md5::Digest as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{caller, check_above, fault, folder, parent_of, path_of, vos_prefix, Cavern, Entry};
use crate::app::App;

const SERVER: &str = "OpenCADC/cadc-rest + vos/cavern-0.10";
const CHUNK: usize = 256 * 1024;

fn b64(md5_hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..md5_hex.len() / 2)
        .map(|i| u8::from_str_radix(md5_hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    Some(base64::engine::general_purpose::STANDARD.encode(bytes?))
}

/// `md5=<base64>` → hex; `Err` with cavern's words when malformed; `None` when absent.
fn wanted_digest(headers: &HeaderMap) -> Result<Option<String>, String> {
    let Some(v) = headers.get("digest") else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| "Invalid digest header".to_string())?;
    let Some(b) = v.trim().strip_prefix("md5=") else {
        return Err(format!("unsupported digest algorithm: {v}"));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b.trim())
        .map_err(|e| format!("Invalid MD5 checksum: {e}"))?;
    if bytes.len() != 16 {
        return Err(format!(
            "Invalid MD5 checksum, expected 32 chars, found {}",
            bytes.len() * 2
        ));
    }
    Ok(Some(bytes.iter().map(|b| format!("{b:02x}")).collect()))
}

/// `GET` and `HEAD /arc/files/{path}`.
pub async fn get_file(State(app): State<Arc<App>>, req: Request) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let path = match path_of(&req, "/arc/files") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let head = req.method() == Method::HEAD;
    let prefix = vos_prefix(&app.cfg.authority);
    let target = format!("{prefix}{path}");
    let entry = {
        let t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
        let missing = || fault(StatusCode::NOT_FOUND, format!("NodeNotFound: {target}"));
        if let Err(r) = check_above(&t, &prefix, &path, user.as_deref(), missing) {
            return r;
        }
        let Some(e) = t.get(&path) else {
            return missing();
        };
        // HEAD checks the folders above only (vospace.md §4.1).
        if !head && !Cavern::readable(&t, &path, e, user.as_deref()) {
            return fault(StatusCode::FORBIDDEN, format!("PermissionDenied: {target}"));
        }
        e.clone()
    };
    if entry.folder {
        return fault(
            StatusCode::BAD_REQUEST,
            "GET for directories not supported".into(),
        );
    }
    let name = path.rsplit('/').next().unwrap_or_default().replace('"', "");
    let mut h = HeaderMap::new();
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set("server", SERVER.into());
    set(
        "content-disposition",
        format!("inline; filename=\"{name}\""),
    );
    set(
        "last-modified",
        entry
            .modified
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string(),
    );
    if let Some(ct) = &entry.content_type {
        set("content-type", ct.clone());
    }
    let corrupt = !head
        && entry.size > 0
        && app
            .cavern
            .corrupt_reads
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if let Some(d) = entry
        .md5
        .as_deref()
        .and_then(|m| b64(m.trim_start_matches("md5:")))
    {
        set("digest", format!("md5={d}"));
    }
    if entry.size == 0 && !head {
        return (StatusCode::NO_CONTENT, h).into_response();
    }
    set("content-length", entry.size.to_string());
    if head {
        return (StatusCode::OK, h).into_response();
    }
    let Some(blob) = entry.blob.clone() else {
        return (StatusCode::NO_CONTENT, h).into_response();
    };
    let file = match tokio::fs::File::open(&blob).await {
        Ok(f) => f,
        Err(e) => {
            return fault(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unexpected exception: java.io.IOException: {e}"),
            )
        }
    };
    // The file, read a piece at a time (its first byte changed when a fault asks).
    let stream = futures_util::stream::try_unfold((file, true), move |(mut f, first)| async move {
        let mut buf = vec![0u8; CHUNK];
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        if first && corrupt {
            buf[0] ^= 0xff;
        }
        Ok::<_, std::io::Error>(Some((bytes::Bytes::from(buf), (f, false))))
    });
    (StatusCode::OK, h, Body::from_stream(stream)).into_response()
}

/// `PUT /arc/files/{path}`.
pub async fn put_file(State(app): State<Arc<App>>, req: Request) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let path = match path_of(&req, "/arc/files") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let prefix = vos_prefix(&app.cfg.authority);
    let wanted = match wanted_digest(req.headers()) {
        Ok(w) => w,
        Err(m) => return fault(StatusCode::BAD_REQUEST, m),
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let now = app.clock.now();
    let owner = user.clone().unwrap_or_default();
    // Checks, and the (empty) file made when missing, before a byte is read.
    let (free, previous) = {
        let mut t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
        let parent = parent_of(&path).unwrap_or("/").to_string();
        let missing = || {
            fault(
                StatusCode::NOT_FOUND,
                format!("not found: parent container {parent}"),
            )
        };
        if let Err(r) = check_above(&t, &prefix, &path, user.as_deref(), missing) {
            return r;
        }
        match t.get(&parent) {
            Some(p) if !p.folder => {
                return fault(
                    StatusCode::BAD_REQUEST,
                    "parent is not a container node".into(),
                )
            }
            None => return missing(),
            Some(_) => {}
        }
        // The right to write: on the file when it is there, else on its folder.
        let may = match t.get(&path) {
            Some(e) => Cavern::writable(&t, &path, e, user.as_deref()),
            None => t
                .get(&parent)
                .is_some_and(|p| Cavern::writable(&t, &parent, p, user.as_deref())),
        };
        match t.get(&path) {
            Some(e) if e.folder => return fault(StatusCode::BAD_REQUEST, "not a data node".into()),
            Some(_) => {}
            // cavern makes the missing file before it checks (vospace.md §4.1); so does
            // the sim, for clients to meet what they will meet.
            None => {
                t.insert(
                    path.clone(),
                    Entry {
                        folder: false,
                        ..folder(&owner, now)
                    },
                );
            }
        }
        let e = t.get(&path).cloned().unwrap_or_else(|| folder(&owner, now));
        if !may {
            return fault(
                StatusCode::FORBIDDEN,
                format!("permission denied: write to {path}"),
            );
        }
        // Overwriting truncates first: the old bytes are free again.
        let free = Cavern::free_at(&t, &path).map(|f| f + e.size);
        (free, e)
    };
    let blob = match app.cavern.new_blob() {
        Ok(b) => b,
        Err(e) => {
            return fault(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unexpected exception: java.io.IOException: {e}"),
            )
        }
    };
    let corrupt = app
        .cavern
        .corrupt_writes
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let written = write_body(req.into_body(), &blob, free, corrupt).await;
    // Whatever happens next, the file now holds the new bytes or none.
    let truncate = |app: &App| {
        let _ = std::fs::remove_file(&blob);
        let mut t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = t.get_mut(&path) {
            if let Some(old) = e.blob.take() {
                let _ = std::fs::remove_file(old);
            }
            e.size = 0;
            e.md5 = None;
            e.modified = now;
        }
    };
    let (size, actual) = match written {
        Ok(w) => w,
        Err(Written::OverQuota) => {
            truncate(&app);
            return fault(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("limit: {}", free.unwrap_or(0)),
            );
        }
        Err(Written::Broken(e)) => {
            truncate(&app);
            return fault(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unexpected exception: java.io.IOException: {e}"),
            );
        }
    };
    if let Some(w) = wanted.as_ref().filter(|w| **w != actual) {
        truncate(&app);
        return fault(
            StatusCode::PRECONDITION_FAILED,
            format!("checksum mismatch: md5:{w} != md5:{actual}"),
        );
    }
    {
        let mut t = app.cavern.tree.lock().unwrap_or_else(|e| e.into_inner());
        let Some(e) = t.get_mut(&path) else {
            let _ = std::fs::remove_file(&blob);
            return fault(StatusCode::CONFLICT, format!("NodeNotFound: {path}"));
        };
        if let Some(old) = e.blob.take() {
            let _ = std::fs::remove_file(old);
        }
        e.blob = (size > 0).then(|| blob.clone());
        if size == 0 {
            let _ = std::fs::remove_file(&blob);
        }
        e.size = size;
        // cavern's quirk: a replaced digest is stored with an `md5:` prefix.
        e.md5 = Some(if previous.md5.is_some() {
            format!("md5:{actual}")
        } else {
            actual.clone()
        });
        e.owner = owner;
        e.modified = now;
        e.content_type = content_type.clone();
    }
    let mut r = StatusCode::CREATED.into_response();
    let h = r.headers_mut();
    h.insert("server", HeaderValue::from_static(SERVER));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    if let Some(d) = b64(&actual).and_then(|d| HeaderValue::from_str(&format!("md5={d}")).ok()) {
        h.insert("digest", d);
    }
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    r
}

enum Written {
    OverQuota,
    Broken(String),
}

/// The body written to `blob`, hashed on the way: (bytes, hex MD5). Over `free` bytes the
/// rest is read and dropped, so that the client hears the 413 rather than a reset.
async fn write_body(
    body: Body,
    blob: &std::path::Path,
    free: Option<u64>,
    corrupt: bool,
) -> Result<(u64, String), Written> {
    let mut file = tokio::fs::File::create(blob)
        .await
        .map_err(|e| Written::Broken(e.to_string()))?;
    let mut md5 = md5::Md5::new();
    let mut size = 0u64;
    let mut over = false;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|e| Written::Broken(e.to_string()))?.to_vec();
        if over {
            continue;
        }
        if size == 0 && corrupt && !chunk.is_empty() {
            chunk[0] ^= 0xff;
        }
        size += chunk.len() as u64;
        if free.is_some_and(|f| size > f) {
            over = true;
            continue;
        }
        md5.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| Written::Broken(e.to_string()))?;
    }
    if over {
        return Err(Written::OverQuota);
    }
    file.flush()
        .await
        .map_err(|e| Written::Broken(e.to_string()))?;
    Ok((
        size,
        md5.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_and_written_in_base64() {
        let hex = "9e107d9d372bb6826bd81d3542a419d6";
        let b = b64(hex).unwrap_or_default();
        let mut h = HeaderMap::new();
        h.insert(
            "digest",
            HeaderValue::from_str(&format!("md5={b}")).unwrap_or(HeaderValue::from_static("")),
        );
        assert_eq!(wanted_digest(&h), Ok(Some(hex.to_string())));
        h.insert("digest", HeaderValue::from_static("md5=AAAA"));
        assert!(wanted_digest(&h)
            .expect_err("short")
            .contains("expected 32 chars"));
        h.insert("digest", HeaderValue::from_static("sha-256=AAAA"));
        assert!(wanted_digest(&h).is_err());
        assert_eq!(wanted_digest(&HeaderMap::new()), Ok(None));
    }
}
