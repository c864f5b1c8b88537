//! Error answers shaped like cadc-rest's `RestAction`: plain text bodies, the
//! `IllegalArgumentException` quirk (message then `java.lang.IllegalArgumentException: msg`),
//! 401 with CADC's `WWW-Authenticate` challenges, 503 with `Retry-After`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Errors while starting the sim.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind {what}: {source}")]
    Bind {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// An error answer of the simulated service.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// `IllegalArgumentException` → 400, message repeated with the exception suffix.
    BadRequest(String),
    /// `UnsupportedOperationException` → 400, message only.
    Unsupported(String),
    /// `NotAuthenticatedException` → 401 with challenges; `token_error` adds the Bearer error.
    NotAuthenticated {
        message: String,
        token_error: Option<String>,
        challenges: Vec<String>,
    },
    /// `AccessControlException` → 403.
    Forbidden(String),
    /// `ResourceNotFoundException` → 404.
    NotFound(String),
    /// Method not allowed on a path.
    MethodNotAllowed(String),
    /// `TransientException` → 503 with `Retry-After`.
    Unavailable { path: String, retry_after: u64 },
    /// Anything else → 500 `unexpected exception: ...`.
    Internal(String),
}

impl ApiError {
    pub fn bad(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }
    pub fn unsupported(msg: impl Into<String>) -> Self {
        ApiError::Unsupported(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        ApiError::NotFound(msg.into())
    }
    pub fn session_not_found(id: &str) -> Self {
        ApiError::NotFound(format!("session {id} not found"))
    }
}

fn text(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(m) => text(
                StatusCode::BAD_REQUEST,
                format!("{m}java.lang.IllegalArgumentException: {m}\n"),
            ),
            ApiError::Unsupported(m) => text(StatusCode::BAD_REQUEST, format!("{m}\n")),
            ApiError::NotAuthenticated {
                message,
                token_error,
                challenges,
            } => {
                let mut resp = text(StatusCode::UNAUTHORIZED, format!("{message}\n"));
                let headers = resp.headers_mut();
                for c in challenges {
                    let c = match (&token_error, c.as_str()) {
                        (Some(desc), "Bearer") => format!(
                            "Bearer error=\"insufficient_scope\", error_description=\"{}\"",
                            desc.replace('"', "'")
                        ),
                        _ => c,
                    };
                    if let Ok(v) = HeaderValue::from_str(&c) {
                        headers.append(header::WWW_AUTHENTICATE, v);
                    }
                }
                resp
            }
            ApiError::Forbidden(m) => text(StatusCode::FORBIDDEN, format!("{m}\n")),
            ApiError::NotFound(m) => text(StatusCode::NOT_FOUND, format!("{m}\n")),
            ApiError::MethodNotAllowed(m) => text(StatusCode::METHOD_NOT_ALLOWED, format!("{m}\n")),
            ApiError::Unavailable { path, retry_after } => {
                let mut resp = text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("temporarily unavailable: {path}\n"),
                );
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                resp
            }
            ApiError::Internal(m) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unexpected exception: {m}\n"),
            ),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
