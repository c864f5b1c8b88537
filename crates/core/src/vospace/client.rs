//! The storage service over HTTP: listings, usage, folders made, nodes deleted and moved.
//! The bytes are in the `transfer` module beside this one. Faults are cavern's `text/plain` lines with their
//! names (vospace.md §6); a request is retried on 503 and on a dropped connection, with
//! backoff.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::node::{self, Listing, NodeError, Usage};
use super::path::{uri_in, NodePath};
use crate::error::{Coded, ErrorCode};
use crate::http::{read_capped, read_error_text, BodyError};
use crate::skaha::{Auth, RetryPolicy};

/// The most a listing may weigh (a folder of ~200,000 entries).
pub const LISTING_LIMIT: usize = 128 * 1024 * 1024;

/// What went wrong, said so that the next step is clear.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{path} does not exist in your storage")]
    NotFound { path: String },
    #[error(
        "You may not do that with {path} (the storage says: {detail}). Ask its owner for access."
    )]
    Denied { path: String, detail: String },
    #[error("The storage refused your credential ({detail}): sign in again.")]
    SignInNeeded { detail: String },
    #[error("The storage service is busy: try again in {} s.", retry_after.map_or(60, |d| d.as_secs()))]
    Busy { retry_after: Option<Duration> },
    #[error("{path} already exists. Choose another name, or delete it first.")]
    Exists { path: String },
    #[error("{path} is not empty. Delete what is in it first: CANFAR's storage does not delete a folder with its contents.")]
    NotEmpty { path: String },
    #[error("The folder {path} does not exist. Make it first (skyport mkdir), or check the path.")]
    NoFolder { path: String },
    #[error("{path} is a folder{hint}.")]
    IsFolder { path: String, hint: String },
    #[error("{where_} has {} left: {what} is {}. Delete something there, or ask your platform for more space.", crate::vospace::sizes_apart(*free, *size).0, crate::vospace::sizes_apart(*free, *size).1)]
    OverQuota {
        where_: String,
        what: String,
        free: u64,
        size: u64,
    },
    #[error("{path} arrived damaged ({detail}), {tries} times: nothing was kept under its name. Try again; if it stays, tell the platform's support.")]
    Corrupted {
        path: String,
        detail: String,
        tries: u32,
    },
    #[error("Cancelled: {path} was not {done}.")]
    Cancelled { path: String, done: &'static str },
    #[error("{path}: {detail}")]
    Local { path: String, detail: String },
    #[error("Moving {from} to {to} failed: {detail}")]
    MoveFailed {
        from: String,
        to: String,
        detail: String,
    },
    #[error("The storage service's {what} address is not known: its nodes address {nodes} does not end in /nodes. Set SKYPORT_STORAGE_URL to the service's …/nodes address.")]
    NoRoute { what: &'static str, nodes: String },
    #[error("The storage service at {service} cannot be reached ({detail}). Check your connection, or try again later.")]
    Unreachable { service: String, detail: String },
    #[error("The storage service answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("{0} Try again; if it stays, the storage service may be misconfigured.")]
    Garbage(NodeError),
    #[error("The storage's answer was cut off ({detail}). Try again.")]
    CutShort { detail: String },
    #[error("The listing of {path} is larger than Skyport reads ({limit} MB).")]
    TooLarge { path: String, limit: usize },
    #[error(transparent)]
    Insecure(#[from] crate::secure::InsecureUrl),
}

impl Coded for StorageError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } | Self::NoFolder { .. } => ErrorCode::NotFound,
            Self::Exists { .. } | Self::NotEmpty { .. } | Self::IsFolder { .. } => {
                ErrorCode::Validation
            }
            Self::OverQuota { .. } => ErrorCode::QuotaReached,
            Self::Cancelled { .. } => ErrorCode::Cancelled,
            Self::Local { .. } => ErrorCode::Io,
            Self::Corrupted { .. } | Self::MoveFailed { .. } | Self::NoRoute { .. } => {
                ErrorCode::PlatformError
            }
            Self::Denied { .. } => ErrorCode::PermissionDenied,
            Self::SignInNeeded { .. } => ErrorCode::SignInNeeded,
            Self::Busy { .. } => ErrorCode::PlatformUnavailable,
            Self::Unreachable { .. } => ErrorCode::PlatformUnreachable,
            Self::Refused { .. }
            | Self::Garbage(_)
            | Self::CutShort { .. }
            | Self::TooLarge { .. } => ErrorCode::PlatformError,
            Self::Insecure(e) => e.code(),
        }
    }
}

/// `NodeNotFound: vos://…` → (`NodeNotFound`, the rest).
pub(crate) fn fault(text: &str) -> (Option<&str>, &str) {
    let line = text.lines().next().unwrap_or_default().trim();
    match line.split_once(':') {
        Some((name, rest)) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()) => {
            (Some(name), rest.trim())
        }
        _ => (None, line),
    }
}

/// A client of one storage service (`https://ws-uv.canfar.net/arc/nodes`).
#[derive(Debug, Clone)]
pub struct StorageClient {
    pub(super) http: reqwest::Client,
    nodes: url::Url,
    resource_id: Option<String>,
    auth: Auth,
    pub(super) retry: RetryPolicy,
    /// The prefix of the service's node URIs (`vos://cadc.nrc.ca~arc`), as its answers
    /// name them: documents sent to it must use the same.
    service: Arc<OnceLock<String>>,
}

impl StorageClient {
    /// `nodes`: the service's nodes URL, as discovery found it; `resource_id` its registry
    /// id (`ivo://cadc.nrc.ca/arc`), when known, to check the URIs it answers with. A
    /// credential goes only over https (loopback excepted).
    pub fn new(
        http: reqwest::Client,
        nodes: url::Url,
        resource_id: Option<String>,
        auth: Auth,
    ) -> Result<Self, StorageError> {
        if !matches!(auth, Auth::None) {
            crate::secure::require_secure(&nodes, "the storage service")?;
        }
        Ok(Self {
            http,
            nodes,
            resource_id,
            auth,
            retry: RetryPolicy::default(),
            service: Arc::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    fn url(&self, path: &NodePath, query: &str) -> url::Url {
        Self::under(&self.nodes, path, query)
    }

    fn under(base: &url::Url, path: &NodePath, query: &str) -> url::Url {
        let mut u = base.clone();
        let b = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{b}{}", path.url_path()));
        u.set_query((!query.is_empty()).then_some(query));
        u
    }

    /// Another route of the service (`files`, `transfers`): beside `nodes`, as cavern
    /// serves them.
    pub(super) fn route(&self, what: &'static str) -> Result<url::Url, StorageError> {
        let path = self.nodes.path().trim_end_matches('/');
        let base = path
            .strip_suffix("/nodes")
            .ok_or_else(|| StorageError::NoRoute {
                what,
                nodes: self.nodes.to_string(),
            })?;
        let mut u = self.nodes.clone();
        u.set_path(&format!("{base}/{what}"));
        u.set_query(None);
        Ok(u)
    }

    /// The URL of `path`'s bytes.
    pub(super) fn file_url(&self, path: &NodePath) -> Result<url::Url, StorageError> {
        Ok(Self::under(&self.route("files")?, path, ""))
    }

    pub(super) fn request(&self, method: Method, url: url::Url) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, url).header("Accept", "text/xml");
        match &self.auth {
            Auth::None => rb,
            Auth::Bearer(t) => rb.bearer_auth(t.expose()),
            Auth::Cookie(c) => rb.header("Cookie", format!("CADC_SSO=\"{}\"", c.expose())),
        }
    }

    pub(super) fn unreachable(&self, e: &reqwest::Error) -> StorageError {
        StorageError::Unreachable {
            service: self.nodes.origin().ascii_serialization(),
            detail: crate::http::cause_chain(e),
        }
    }

    /// A request made by `make`, sent again on 503 and on a dropped connection; an error
    /// answer turned into what it means for `path`.
    pub(super) async fn send(
        &self,
        path: &NodePath,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, StorageError> {
        let mut delay = self.retry.first_delay;
        let mut attempt = 1;
        loop {
            let wait = match make().send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) if resp.status() == StatusCode::SERVICE_UNAVAILABLE => {
                    let after = crate::http::retry_after(resp.headers());
                    if attempt >= self.retry.attempts
                        || after.is_some_and(|a| a > self.retry.max_delay)
                    {
                        return Err(StorageError::Busy { retry_after: after });
                    }
                    after.unwrap_or(delay)
                }
                Ok(resp) => return Err(self.refused(path, resp).await),
                Err(e) if attempt < self.retry.attempts && !e.is_builder() => delay,
                Err(e) => return Err(self.unreachable(&e)),
            };
            tokio::time::sleep(wait.min(self.retry.max_delay)).await;
            delay = (delay * 2).min(self.retry.max_delay);
            attempt += 1;
        }
    }

    async fn get(&self, path: &NodePath, query: &str) -> Result<reqwest::Response, StorageError> {
        self.send(path, || self.request(Method::GET, self.url(path, query)))
            .await
    }

    pub(super) async fn refused(&self, path: &NodePath, resp: reqwest::Response) -> StorageError {
        let status = resp.status();
        let text = read_error_text(resp).await.unwrap_or_default();
        let (name, rest) = fault(&text);
        let parent = || path.parent().unwrap_or_else(NodePath::root).to_string();
        let path = path.to_string();
        match (status.as_u16(), name) {
            (404, Some("ContainerNotFound")) => StorageError::NoFolder { path: parent() },
            (404, _) if text.starts_with("not found: parent container") => {
                StorageError::NoFolder { path: parent() }
            }
            (404, _) => StorageError::NotFound { path },
            (409, _) => StorageError::Exists { path },
            (400, _) if text.contains("is not empty") => StorageError::NotEmpty { path },
            (400, _) if text.contains("not a data node") || text.contains("for directories") => {
                StorageError::IsFolder {
                    path,
                    hint: String::new(),
                }
            }
            (401, _) => StorageError::SignInNeeded {
                detail: rest.to_string(),
            },
            (403, _) => StorageError::Denied {
                path,
                detail: text.trim().chars().take(200).collect(),
            },
            _ => StorageError::Refused {
                status: status.as_u16(),
                message: text.trim().chars().take(300).collect(),
            },
        }
    }

    /// The caller's home, `/home/<user>`, from who the service says they are
    /// (`x-vo-authenticated`).
    pub async fn home(&self) -> Result<NodePath, StorageError> {
        let resp = self.get(&NodePath::root(), "limit=0").await?;
        let user = resp
            .headers()
            .get("x-vo-authenticated")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        user.and_then(|u| NodePath::root().join("home").and_then(|h| h.join(&u)).ok())
            .ok_or_else(|| StorageError::SignInNeeded {
                detail: "the storage does not know who you are; name a folder (arc:/home/USER) or sign in".into(),
            })
    }

    /// A folder and what is in it (or a file, alone).
    pub async fn list(&self, path: &NodePath) -> Result<Listing, StorageError> {
        self.read(path, "detail=max").await
    }

    /// How full the allocation of `path` is (its home or project folder), without
    /// listing it.
    pub async fn usage(&self, path: &NodePath) -> Result<(NodePath, Usage), StorageError> {
        let root = path.allocation().unwrap_or_else(|| path.clone());
        let l = self.read(&root, "limit=0").await?;
        Ok((root, l.usage()))
    }

    async fn read(&self, path: &NodePath, query: &str) -> Result<Listing, StorageError> {
        let resp = self.get(path, query).await?;
        let body = read_capped(resp, LISTING_LIMIT)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { .. } => StorageError::TooLarge {
                    path: path.to_string(),
                    limit: LISTING_LIMIT / (1024 * 1024),
                },
                BodyError::Transport(e) if e.is_body() || e.is_decode() => StorageError::CutShort {
                    detail: crate::http::cause_chain(&e),
                },
                BodyError::Transport(e) => StorageError::Unreachable {
                    service: self.nodes.origin().ascii_serialization(),
                    detail: crate::http::cause_chain(&e),
                },
            })?;
        let text = String::from_utf8_lossy(&body);
        let listing =
            node::parse(&text, self.resource_id.as_deref()).map_err(StorageError::Garbage)?;
        if !listing.service.is_empty() {
            let _ = self.service.set(listing.service.clone());
        }
        Ok(listing)
    }

    /// The node at `path` alone (no children), or `None` when there is none.
    pub async fn stat(&self, path: &NodePath) -> Result<Option<node::Node>, StorageError> {
        match self.read(path, "limit=0&detail=max").await {
            Ok(l) => Ok(Some(l.node)),
            Err(StorageError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `path`'s `vos://` URI, in the form the service writes its own.
    async fn uri(&self, path: &NodePath) -> Result<String, StorageError> {
        if let Some(id) = &self.resource_id {
            if let Some(prefix) = super::path::vos_prefix(id) {
                return Ok(uri_in(&prefix, path));
            }
        }
        if self.service.get().is_none() {
            self.read(&NodePath::root(), "limit=0").await?;
        }
        let prefix = self.service.get().cloned().unwrap_or_default();
        Ok(uri_in(&prefix, path))
    }

    /// Make the folder `path` (its parent must exist).
    pub async fn mkdir(&self, path: &NodePath) -> Result<(), StorageError> {
        let uri = xml_escape(&self.uri(path).await?);
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vos:node xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"vos:ContainerNode\" uri=\"{uri}\" version=\"2.1\"><vos:nodes /></vos:node>\n"
        );
        self.send(path, || {
            self.request(Method::PUT, self.url(path, ""))
                .header("Content-Type", "text/xml")
                .body(doc.clone())
        })
        .await
        .map(drop)
    }

    /// Share the file `path` as `like` is shared (public; the groups that read and write
    /// it): cavern's POST of the node's properties (vospace.md §3.3).
    pub async fn share_like(&self, path: &NodePath, like: &node::Node) -> Result<(), StorageError> {
        let uri = xml_escape(&self.uri(path).await?);
        let prop = |uri: &str, v: Option<&str>| match v {
            Some(v) => format!(
                "<vos:property uri=\"{uri}\">{}</vos:property>",
                xml_escape(v)
            ),
            None => format!("<vos:property uri=\"{uri}\" xsi:nil=\"true\" />"),
        };
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vos:node xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"vos:DataNode\" uri=\"{uri}\" version=\"2.1\"><vos:properties>{}{}{}</vos:properties><vos:accepts /><vos:provides /></vos:node>\n",
            prop(node::props::PUBLIC, Some(if like.public { "true" } else { "false" })),
            prop(node::props::GROUP_READ, like.group_read.as_deref()),
            prop(node::props::GROUP_WRITE, like.group_write.as_deref()),
        );
        self.send(path, || {
            self.request(Method::POST, self.url(path, ""))
                .header("Content-Type", "text/xml")
                .body(doc.clone())
        })
        .await
        .map(drop)
    }

    /// Delete a file, a link or an empty folder: CANFAR's storage deletes no folder with
    /// its contents, and neither does Skyport.
    pub async fn delete(&self, path: &NodePath) -> Result<(), StorageError> {
        if path.is_root() || path.allocation().as_ref() == Some(path) {
            return Err(StorageError::Denied {
                path: path.to_string(),
                detail: "it is an allocation (a home or project folder)".into(),
            });
        }
        self.send(path, || self.request(Method::DELETE, self.url(path, "")))
            .await
            .map(drop)
    }

    /// Move or rename `from`: into `to` when it is a folder (keeping the name), else to the
    /// name `to`. Where it went.
    pub async fn rename(&self, from: &NodePath, to: &NodePath) -> Result<NodePath, StorageError> {
        let failed = |detail: String| StorageError::MoveFailed {
            from: from.to_string(),
            to: to.to_string(),
            detail,
        };
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vos:transfer xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" version=\"2.1\"><vos:target>{}</vos:target><vos:direction>{}</vos:direction><vos:keepBytes>false</vos:keepBytes></vos:transfer>\n",
            xml_escape(&self.uri(from).await?),
            xml_escape(&self.uri(to).await?)
        );
        let transfers = self.route("transfers")?;
        // 303 to the job, which the client follows.
        let job = self
            .send(from, || {
                self.request(Method::POST, transfers.clone())
                    .header("Content-Type", "text/xml")
                    .body(doc.clone())
            })
            .await?
            .url()
            .clone();
        if job.path().trim_end_matches('/') == transfers.path().trim_end_matches('/') {
            return Err(failed("the service did not make a job for it".into()));
        }
        // The credential goes only to the storage's own origin, wherever a redirect points.
        if job.origin() != transfers.origin() {
            return Err(failed(format!(
                "the service put the job on another site ({}); Skyport does not send your credential there",
                job.origin().ascii_serialization()
            )));
        }
        let at = |tail: &str| {
            let mut u = job.clone();
            u.set_path(&format!("{}/{tail}", job.path().trim_end_matches('/')));
            u.set_query(None);
            u
        };
        self.send(from, || {
            self.request(Method::POST, at("phase"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("PHASE=RUN")
        })
        .await?;
        // A rename on one filesystem: done at once on cavern; polled for a minute.
        let mut wait = Duration::from_millis(50);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let phase = self.text(from, at("phase")).await?;
            match phase.trim() {
                "COMPLETED" => break,
                "ERROR" | "ABORTED" => {
                    let why = self.text(from, at("error")).await.unwrap_or_default();
                    return Err(move_error(from, to, why.trim()));
                }
                _ if tokio::time::Instant::now() > deadline => {
                    return Err(failed(format!(
                        "the service is still at it ({}); look again in a minute",
                        phase.trim()
                    )))
                }
                _ => {}
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
        let doc = self.text(from, job.clone()).await.unwrap_or_default();
        let dest = destination(&doc)
            .and_then(|u| super::path::path_of_uri(&u, None))
            .unwrap_or_else(|| to.clone());
        Ok(dest)
    }

    /// A short text answer (a job's phase or error).
    async fn text(&self, path: &NodePath, url: url::Url) -> Result<String, StorageError> {
        let resp = self
            .send(path, || self.request(Method::GET, url.clone()))
            .await?;
        let body = read_capped(resp, 64 * 1024)
            .await
            .map_err(|e| StorageError::CutShort {
                detail: e.to_string(),
            })?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The `destination` result of a finished move job (`xlink:href="vos://…"`).
pub(crate) fn destination(job: &str) -> Option<String> {
    let at = job.find("id=\"destination\"")?;
    let tag_end = at + job[at..].find('>')?;
    let tag_start = job[..at].rfind('<')?;
    let tag = &job[tag_start..tag_end];
    let href = tag.find("href=\"")? + 6;
    let v = &tag[href..href + tag[href..].find('"')?];
    Some(v.replace("&amp;", "&"))
}

/// A move job's error summary, said for what it means.
fn move_error(from: &NodePath, to: &NodePath, why: &str) -> StorageError {
    let (name, _) = fault(why);
    match name {
        Some("NodeNotFound") => StorageError::NotFound {
            path: from.to_string(),
        },
        Some("DuplicateNode") => StorageError::Exists {
            path: to.to_string(),
        },
        Some("ContainerNotFound") => StorageError::NoFolder {
            path: to.parent().unwrap_or_else(NodePath::root).to_string(),
        },
        Some("PermissionDenied") => StorageError::Denied {
            path: from.to_string(),
            detail: why.chars().take(200).collect(),
        },
        _ => StorageError::MoveFailed {
            from: from.to_string(),
            to: to.to_string(),
            detail: if why.is_empty() {
                "the service gave no reason".into()
            } else {
                why.chars().take(300).collect()
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_read_by_name() {
        assert_eq!(
            fault("NodeNotFound: vos://x/home/a\n"),
            (Some("NodeNotFound"), "vos://x/home/a")
        );
        assert_eq!(fault("limit: 1024\n"), (Some("limit"), "1024"));
        assert_eq!(
            fault("checksum mismatch: md5:a != md5:b"),
            (None, "checksum mismatch: md5:a != md5:b")
        );
        assert_eq!(fault(""), (None, ""));
    }
}
