//! The storage service over HTTP, read side: a folder's listing and an allocation's usage.
//! Faults are cavern's `text/plain` lines with their names (vospace.md §6); a read is
//! retried on 503 and on a dropped connection, with backoff.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::node::{self, Listing, NodeError, Usage};
use super::path::NodePath;
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
    #[error("You may not read {path} (the storage says: {detail}). Ask its owner for access.")]
    Denied { path: String, detail: String },
    #[error("The storage refused your credential ({detail}): sign in again.")]
    SignInNeeded { detail: String },
    #[error("The storage service is busy: try again in {} s.", retry_after.map_or(60, |d| d.as_secs()))]
    Busy { retry_after: Option<Duration> },
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
            Self::NotFound { .. } => ErrorCode::NotFound,
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
fn fault(text: &str) -> (Option<&str>, &str) {
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
    http: reqwest::Client,
    nodes: url::Url,
    resource_id: Option<String>,
    auth: Auth,
    retry: RetryPolicy,
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
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    fn url(&self, path: &NodePath, query: &str) -> url::Url {
        let mut u = self.nodes.clone();
        let base = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{base}{}", path.url_path()));
        u.set_query((!query.is_empty()).then_some(query));
        u
    }

    fn request(&self, method: Method, url: url::Url) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, url).header("Accept", "text/xml");
        match &self.auth {
            Auth::None => rb,
            Auth::Bearer(t) => rb.bearer_auth(t.expose()),
            Auth::Cookie(c) => rb.header("Cookie", format!("CADC_SSO=\"{}\"", c.expose())),
        }
    }

    /// A GET, retried on 503 and on a dropped connection; the error answer turned into
    /// what it means for `path`.
    async fn get(&self, path: &NodePath, query: &str) -> Result<reqwest::Response, StorageError> {
        let mut delay = self.retry.first_delay;
        let mut attempt = 1;
        loop {
            let sent = self
                .request(Method::GET, self.url(path, query))
                .send()
                .await;
            let wait = match sent {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) if resp.status() == StatusCode::SERVICE_UNAVAILABLE => {
                    let after = resp
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    if attempt >= self.retry.attempts
                        || after.is_some_and(|a| a > self.retry.max_delay)
                    {
                        return Err(StorageError::Busy { retry_after: after });
                    }
                    after.unwrap_or(delay)
                }
                Ok(resp) => return Err(self.refused(path, resp).await),
                Err(e) if attempt < self.retry.attempts && !e.is_builder() => delay,
                Err(e) => {
                    return Err(StorageError::Unreachable {
                        service: self.nodes.origin().ascii_serialization(),
                        detail: crate::http::cause_chain(&e),
                    })
                }
            };
            tokio::time::sleep(wait.min(self.retry.max_delay)).await;
            delay = (delay * 2).min(self.retry.max_delay);
            attempt += 1;
        }
    }

    async fn refused(&self, path: &NodePath, resp: reqwest::Response) -> StorageError {
        let status = resp.status();
        let text = read_error_text(resp).await.unwrap_or_default();
        let (name, rest) = fault(&text);
        let path = path.to_string();
        match (status.as_u16(), name) {
            (404, _) => StorageError::NotFound { path },
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
        node::parse(&text, self.resource_id.as_deref()).map_err(StorageError::Garbage)
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
