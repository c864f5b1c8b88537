//! The typed Skaha client: one struct, built from a service URL and a shared HTTP client.
//!
//! Retry rules: reads (GET) are retried with backoff on transport failures, truncated
//! bodies, 502/503/504; renew and delete only on 503 (the server says it did nothing); a
//! create is never retried, because a retry could start a second session.

use std::hash::BuildHasher as _;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;

use super::error::{clean_message, SkahaError};
use super::model::{
    json_kind, Context, Image, PlatformStats, Session, SessionEvent, SessionId, SessionKind,
    SessionStatus,
};
use crate::http::{read_capped, read_error_text, text_lossy, BodyError, API_BODY_LIMIT};
use crate::platform::ServiceUrl;
use crate::secret::SecretString;

/// How requests prove who the user is. A client certificate is not here: it lives inside
/// the `reqwest::Client` (see [`crate::http::HttpOptions::identity_pem`]).
#[derive(Debug, Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(SecretString),
    /// The `CADC_SSO` cookie value.
    Cookie(SecretString),
}

/// Backoff for retried requests.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Safe to repeat: retry every transient failure.
    Read,
    /// Repeat only when the server said 503 (nothing was done).
    OnlyUnavailable,
    /// Never repeat (create).
    Never,
}

/// Filters for listing sessions.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub kind: Option<SessionKind>,
    pub status: Option<SessionStatus>,
    /// `interactive` leaves out headless sessions (servers ≥ 1.2).
    pub interactive_only: bool,
}

/// A listed set of sessions, with how many entries could not be read at all.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SessionList {
    pub sessions: Vec<Session>,
    pub skipped: u32,
}

/// A session list as the server sent it, before it is read. Reading 2,000 sessions takes
/// tens of milliseconds of CPU; hashing the answer takes well under one, so a poll that
/// finds the same answer as last time need not read it again.
#[derive(Debug)]
pub struct ListAnswer {
    body: String,
    digest: u64,
}

impl ListAnswer {
    fn new(body: String) -> Self {
        // Keyed per process (SipHash with a random key), so a server cannot craft two
        // different lists with one digest.
        static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
        let digest = KEY.get_or_init(Default::default).hash_one(body.as_str());
        Self { body, digest }
    }

    /// Equal for equal answers within this process, and (but for a 2^-64 chance) only then.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The sessions in it; entries that cannot be read at all are counted and left out.
    pub fn read(&self) -> Result<SessionList, SkahaError> {
        let (sessions, skipped) = Session::list_from_json(&parse_json(&self.body)?)?;
        if skipped > 0 {
            tracing::warn!(
                skipped,
                "some session entries could not be read and were left out"
            );
        }
        Ok(SessionList {
            sessions,
            skipped: skipped as u32,
        })
    }
}

fn parse_json(body: &str) -> Result<serde_json::Value, SkahaError> {
    serde_json::from_str(body).map_err(|e| SkahaError::Garbage {
        detail: format!(
            "not valid JSON ({e}){}",
            if body.is_empty() {
                ", empty answer"
            } else {
                ""
            }
        ),
    })
}

/// Requested resources.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "mode")]
pub enum Resources {
    /// The platform's default request and limit; the session may burst.
    #[default]
    Flexible,
    /// Exactly these cores and RAM (GB), plus optional GPUs.
    Fixed {
        cores: u32,
        ram_gb: u32,
        gpus: Option<u32>,
    },
}

/// Credentials for a private container registry (`x-skaha-registry-auth`).
#[derive(Debug, Clone)]
pub struct RegistryAuth {
    pub username: String,
    pub secret: SecretString,
}

/// One session to create.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    pub name: String,
    pub image: String,
    pub kind: Option<SessionKind>,
    pub resources: Resources,
    pub cmd: Option<String>,
    pub args: Option<String>,
    pub env: Vec<(String, String)>,
    pub registry_auth: Option<RegistryAuth>,
}

/// The Skaha client.
#[derive(Debug, Clone)]
pub struct SkahaClient {
    http: reqwest::Client,
    service: ServiceUrl,
    auth: Auth,
    retry: RetryPolicy,
}

impl SkahaClient {
    pub fn new(http: reqwest::Client, service: ServiceUrl, auth: Auth) -> Self {
        Self {
            http,
            service,
            auth,
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn service(&self) -> &ServiceUrl {
        &self.service
    }

    /// The platform's storage (its nodes URL), reached with this client's credential and
    /// connection (the same certificate, token or cookie; only over https, loopback
    /// excepted).
    pub fn storage(
        &self,
        nodes: url::Url,
    ) -> Result<crate::vospace::client::StorageClient, crate::vospace::client::StorageError> {
        crate::vospace::client::StorageClient::new(
            self.http.clone(),
            nodes,
            None,
            self.auth.clone(),
        )
    }

    fn url(&self, path: &str) -> Result<url::Url, SkahaError> {
        self.service.api_base().join(path).map_err(|e| {
            SkahaError::Invalid(format!("cannot build the request URL for {path:?}: {e}"))
        })
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, SkahaError> {
        let mut rb = self
            .http
            .request(method, self.url(path)?)
            .header("Accept", "application/json");
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(t) => rb = rb.bearer_auth(t.expose()),
            Auth::Cookie(c) => rb = rb.header("Cookie", format!("CADC_SSO=\"{}\"", c.expose())),
        }
        Ok(rb)
    }

    fn transport_error(&self, e: &reqwest::Error) -> SkahaError {
        let service = self.service.as_str().to_string();
        let detail = crate::http::cause_chain(e);
        if e.is_timeout() {
            SkahaError::Timeout { service, detail }
        } else if e.is_body() || e.is_decode() {
            SkahaError::Garbage {
                detail: format!("the answer was cut off: {detail}"),
            }
        } else if e.is_connect() {
            SkahaError::Unreachable { service, detail }
        } else {
            SkahaError::Interrupted { service, detail }
        }
    }

    /// Send with the retry rule; returns status and the whole body text.
    async fn send(
        &self,
        build: impl Fn() -> Result<RequestBuilder, SkahaError>,
        retry: Retry,
    ) -> Result<String, SkahaError> {
        let mut delay = self.retry.first_delay;
        let attempts = if retry == Retry::Never {
            1
        } else {
            self.retry.attempts.max(1)
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(build()?).await;
            let err = match result {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            let again = match retry {
                Retry::Read => err.is_transient(),
                Retry::OnlyUnavailable => matches!(err, SkahaError::Unavailable { .. }),
                Retry::Never => false,
            };
            if !again || attempt >= attempts {
                return Err(err);
            }
            let wait = match &err {
                SkahaError::Unavailable {
                    retry_after: Some(d),
                    ..
                } => (*d).min(self.retry.max_delay),
                _ => delay,
            };
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "retrying Skaha request");
            tokio::time::sleep(wait).await;
            delay = (delay * 2).min(self.retry.max_delay);
        }
    }

    async fn send_once(&self, rb: RequestBuilder) -> Result<String, SkahaError> {
        let resp = rb.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        let retry_after = crate::http::retry_after(resp.headers());
        if status.is_success() {
            return match read_capped(resp, API_BODY_LIMIT).await {
                Ok(body) => Ok(text_lossy(body)),
                Err(BodyError::TooLarge { limit }) => Err(SkahaError::TooLarge { limit }),
                Err(BodyError::Transport(e)) => Err(self.transport_error(&e)),
            };
        }
        let body = read_error_text(resp)
            .await
            .map_err(|e| self.transport_error(&e))?;
        let message = clean_message(&body, status.as_u16());
        Err(match status {
            StatusCode::UNAUTHORIZED => SkahaError::SignInNeeded { message },
            StatusCode::FORBIDDEN => SkahaError::Forbidden { message },
            StatusCode::NOT_FOUND => SkahaError::NotFound { message },
            StatusCode::SERVICE_UNAVAILABLE => SkahaError::Unavailable {
                message,
                retry_after,
            },
            StatusCode::BAD_REQUEST if message.contains("has reached the maximum of") => {
                SkahaError::QuotaReached { message }
            }
            // Anonymous calls reach a group lookup that fails with 400 (see skaha-api.md §3).
            StatusCode::BAD_REQUEST if message.contains("anonymous") => {
                SkahaError::SignInNeeded { message }
            }
            StatusCode::BAD_REQUEST => SkahaError::Rejected { message },
            s => SkahaError::Server {
                status: s.as_u16(),
                message,
            },
        })
    }

    async fn get_text(&self, path: &str, query: &[(&str, String)]) -> Result<String, SkahaError> {
        self.send(
            || Ok(self.request(Method::GET, path)?.query(query)),
            Retry::Read,
        )
        .await
    }

    async fn get_json(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<serde_json::Value, SkahaError> {
        parse_json(&self.get_text(path, query).await?)
    }

    /// `GET session`, with filters.
    pub async fn list_sessions(&self, q: &ListQuery) -> Result<SessionList, SkahaError> {
        self.list_answer(q).await?.read()
    }

    /// `GET session`, with filters, not yet read: a poller compares its digest with the
    /// last one's and reads only an answer that changed.
    pub async fn list_answer(&self, q: &ListQuery) -> Result<ListAnswer, SkahaError> {
        let mut query = Vec::new();
        if let Some(k) = &q.kind {
            query.push(("type", k.as_str().to_string()));
        }
        if let Some(s) = &q.status {
            query.push(("status", s.as_str().to_string()));
        }
        if q.interactive_only {
            query.push(("view", "interactive".to_string()));
        }
        let body = self.get_text("session", &query).await?;
        Ok(ListAnswer::new(body))
    }

    /// `GET session/{id}`.
    pub async fn get_session(&self, id: &SessionId) -> Result<Session, SkahaError> {
        let v = self
            .get_json(&format!("session/{}", id.as_str()), &[])
            .await?;
        Session::from_json(&v).ok_or_else(|| SkahaError::Garbage {
            detail: format!(
                "expected a session object with an id, got {}",
                json_kind(&v)
            ),
        })
    }

    /// `POST session`: create one session. Never retried. Returns the new id.
    pub async fn create_session(&self, req: &CreateRequest) -> Result<SessionId, SkahaError> {
        let form = crate::launch::form(req).map_err(|e| SkahaError::Invalid(e.message))?;
        let registry = req.registry_auth.as_ref().map(|r| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                r.username,
                r.secret.expose()
            ))
        });
        let body = self
            .send(
                || {
                    let mut rb = self.request(Method::POST, "session")?.form(&form);
                    if let Some(h) = &registry {
                        rb = rb.header("x-skaha-registry-auth", h);
                    }
                    Ok(rb)
                },
                Retry::Never,
            )
            .await?;
        let id = body.trim();
        SessionId::parse(id).map_err(|_| SkahaError::Garbage {
            detail: format!(
                "expected the new session id, got {:?}",
                id.chars().take(80).collect::<String>()
            ),
        })
    }

    /// Create `replicas` sessions the way the canfar client does: names `<name>-1..N`
    /// (unchanged for one), `REPLICA_ID`/`REPLICA_COUNT` in the environment. One result per
    /// replica, in order; a failed replica does not stop the others.
    pub async fn create_replicas(
        &self,
        req: &CreateRequest,
        replicas: u32,
    ) -> Vec<(String, Result<SessionId, SkahaError>)> {
        let mut out = Vec::new();
        for r in crate::launch::plan(req, replicas) {
            let res = self.create_session(&r).await;
            out.push((r.name, res));
        }
        out
    }

    /// `POST session/{id}` with `action=renew`. Retried only on 503.
    pub async fn renew(&self, id: &SessionId) -> Result<(), SkahaError> {
        let path = format!("session/{}", id.as_str());
        self.send(
            || {
                Ok(self
                    .request(Method::POST, &path)?
                    .form(&[("action", "renew")]))
            },
            Retry::OnlyUnavailable,
        )
        .await
        .map(|_| ())
    }

    /// `DELETE session/{id}` (the server answers 200 even for unknown ids).
    pub async fn delete(&self, id: &SessionId) -> Result<(), SkahaError> {
        let path = format!("session/{}", id.as_str());
        self.send(
            || self.request(Method::DELETE, &path),
            Retry::OnlyUnavailable,
        )
        .await
        .map(|_| ())
    }

    /// `GET session/{id}?view=logs` (plain text).
    pub async fn logs(&self, id: &SessionId) -> Result<String, SkahaError> {
        let path = format!("session/{}", id.as_str());
        self.send(
            || Ok(self.request(Method::GET, &path)?.query(&[("view", "logs")])),
            Retry::Read,
        )
        .await
    }

    /// `GET session/{id}?view=events`, parsed into rows.
    pub async fn events(&self, id: &SessionId) -> Result<Vec<SessionEvent>, SkahaError> {
        let path = format!("session/{}", id.as_str());
        let body = self
            .send(
                || {
                    Ok(self
                        .request(Method::GET, &path)?
                        .query(&[("view", "events")]))
                },
                Retry::Read,
            )
            .await?;
        Ok(super::model::parse_events(&body))
    }

    /// `GET image[?type=]`.
    pub async fn images(&self, kind: Option<&SessionKind>) -> Result<Vec<Image>, SkahaError> {
        let query: Vec<(&str, String)> = kind
            .map(|k| vec![("type", k.as_str().to_string())])
            .unwrap_or_default();
        let v = self.get_json("image", &query).await?;
        let arr = v.as_array().ok_or_else(|| SkahaError::Garbage {
            detail: format!("expected a list of images, got {}", json_kind(&v)),
        })?;
        Ok(arr.iter().filter_map(Image::from_json).collect())
    }

    /// `GET context`.
    pub async fn context(&self) -> Result<Context, SkahaError> {
        let v = self.get_json("context", &[]).await?;
        Context::from_json(&v)
    }

    /// `GET repository`: registry hosts for private images.
    pub async fn repositories(&self) -> Result<Vec<String>, SkahaError> {
        let v = self.get_json("repository", &[]).await?;
        let arr = v.as_array().ok_or_else(|| SkahaError::Garbage {
            detail: format!("expected a list of registry hosts, got {}", json_kind(&v)),
        })?;
        Ok(arr
            .iter()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect())
    }

    /// `GET session?view=stats`.
    pub async fn stats(&self) -> Result<PlatformStats, SkahaError> {
        let v = self
            .get_json("session", &[("view", "stats".to_string())])
            .await?;
        PlatformStats::from_json(&v)
    }
}
