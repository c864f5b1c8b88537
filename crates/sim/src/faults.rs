//! Fault injection for reliability tests: latency, error rates per route, 503 with
//! Retry-After, truncated bodies, connection resets and slow drip. Rules are set by flags,
//! `SimConfig::faults`, `SimHandle::set_fault` or the admin API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::errors::ApiError;
use crate::server::ConnInfo;

/// One fault rule. Rates are probabilities in 0..=1; a rule with `times` applies to that
/// many matching requests and then disappears.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    /// Path prefix the rule applies to (e.g. `/skaha/v1/session`); all paths when absent.
    pub route: Option<String>,
    /// HTTP method the rule applies to; all when absent.
    pub method: Option<String>,
    /// Added latency before answering.
    pub latency_ms: u64,
    /// Probability of answering `error_status` (default 500) instead.
    pub error_rate: f64,
    pub error_status: u16,
    /// Probability of answering 503 with `Retry-After: retry_after`.
    pub unavailable_rate: f64,
    pub retry_after: u64,
    /// Probability of cutting the body after `truncate_bytes` (Content-Length stays full).
    pub truncate_rate: f64,
    pub truncate_bytes: usize,
    /// Probability of resetting the TCP connection instead of answering.
    pub reset_rate: f64,
    /// Send the body `drip_bytes` at a time, `drip_interval_ms` apart.
    pub drip_bytes: usize,
    pub drip_interval_ms: u64,
    /// Number of matching requests the rule applies to (forever when absent).
    pub times: Option<u32>,
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.route.as_deref().is_none_or(|r| path.starts_with(r))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }

    pub fn validate(&self) -> Result<(), String> {
        for (name, r) in [
            ("error_rate", self.error_rate),
            ("unavailable_rate", self.unavailable_rate),
            ("truncate_rate", self.truncate_rate),
            ("reset_rate", self.reset_rate),
        ] {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("{name} must be within 0..1"));
            }
        }
        if self.error_status != 0 && StatusCode::from_u16(self.error_status).is_err() {
            return Err("error_status is not an HTTP status".to_string());
        }
        Ok(())
    }
}

#[derive(Debug, Default, Clone)]
pub struct Faults(Arc<Mutex<Vec<FaultRule>>>);

impl Faults {
    pub fn new(rules: Vec<FaultRule>) -> Self {
        Self(Arc::new(Mutex::new(rules)))
    }
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }
    pub fn clear(&self) {
        self.lock().clear();
    }
    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rules matching this request, consuming one use of counted rules.
    fn take_matching(&self, method: &str, path: &str) -> Vec<FaultRule> {
        let mut rules = self.lock();
        if rules.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        rules.retain_mut(|r| {
            if !r.matches(method, path) {
                return true;
            }
            out.push(r.clone());
            match r.times.as_mut() {
                Some(n) => {
                    *n = n.saturating_sub(1);
                    *n > 0
                }
                None => true,
            }
        });
        out
    }
}

fn roll(rate: f64) -> bool {
    rate > 0.0 && (rate >= 1.0 || rand::rng().random_bool(rate))
}

/// Middleware applying the active rules.
pub async fn apply(State(faults): State<Faults>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let rules = faults.take_matching(req.method().as_str(), &path);
    if rules.is_empty() {
        return next.run(req).await;
    }
    let latency: u64 = rules.iter().map(|r| r.latency_ms).sum();
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if rules.iter().any(|r| roll(r.reset_rate)) {
        if let Some(conn) = req.extensions().get::<ConnInfo>() {
            conn.reset.notify_one();
            // The connection task drops this request with the socket.
            std::future::pending::<()>().await;
        }
    }
    if let Some(r) = rules.iter().find(|r| roll(r.unavailable_rate)) {
        return ApiError::Unavailable {
            path,
            retry_after: r.retry_after,
        }
        .into_response();
    }
    if let Some(r) = rules.iter().find(|r| roll(r.error_rate)) {
        let status = StatusCode::from_u16(if r.error_status == 0 {
            500
        } else {
            r.error_status
        })
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = if status == StatusCode::INTERNAL_SERVER_ERROR {
            "unexpected exception: java.lang.RuntimeException: injected fault\n".to_string()
        } else {
            format!("injected fault: {}\n", status.as_u16())
        };
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain;charset=utf-8"),
        );
        return resp;
    }
    let truncate = rules
        .iter()
        .find(|r| roll(r.truncate_rate))
        .map(|r| r.truncate_bytes);
    let drip = rules
        .iter()
        .find(|r| r.drip_bytes > 0)
        .map(|r| (r.drip_bytes, Duration::from_millis(r.drip_interval_ms)));
    let resp = next.run(req).await;
    if truncate.is_none() && drip.is_none() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(full) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // Advertise the full length so the client notices the cut.
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
    let keep = truncate.map_or(full.len(), |n| n.min(full.len()));
    let cut = truncate.is_some() && keep < full.len();
    let chunk = drip.map_or(keep.max(1), |(b, _)| b.max(1));
    let interval = drip.map_or(Duration::ZERO, |(_, i)| i);
    let data = full.slice(..keep);
    let stream =
        futures_util::stream::unfold((data, 0usize, false), move |(data, pos, done)| async move {
            if done {
                return None;
            }
            if pos >= data.len() {
                if cut {
                    // Let hyper flush the head and partial body before the connection aborts.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let err = std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "truncated by fault",
                    );
                    return Some((Err(err), (data, pos, true)));
                }
                return None;
            }
            if pos > 0 && !interval.is_zero() {
                tokio::time::sleep(interval).await;
            }
            let end = (pos + chunk).min(data.len());
            let piece: Bytes = data.slice(pos..end);
            Some((Ok(piece), (data, end, false)))
        });
    Response::from_parts(parts, Body::from_stream(stream))
}
