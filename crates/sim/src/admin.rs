//! Admin API on its own loopback port: clock, faults, tokens and a view of every session.
//! Not part of Skaha; used by scripts and by tests running the binary.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::session::session_json;
use crate::app::App;
use crate::clock::iso;
use crate::faults::FaultRule;
use crate::store::Stall;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/admin/state", get(state))
        .route("/admin/clock/advance", post(advance))
        .route(
            "/admin/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/admin/tokens", post(mint_token))
        .route("/admin/sessions", get(sessions))
        .route("/admin/stall", post(stall))
        .route("/admin/usage", post(usage))
        .route("/admin/panic", post(panic_now))
        .route("/admin/vo/keys", post(register_key))
        .route("/admin/vo/forget-cookies", post(forget_cookies))
        .with_state(app)
}

#[derive(Deserialize)]
struct StallBody {
    id: String,
    /// `no-memory`, `no-cpu`, `no-gpu`, `pulling`, `image-missing`, `image-private`,
    /// `crashing`, `storage-mount`; absent or null releases the session.
    stall: Option<Stall>,
}

/// Hold a Pending session for a reason (its events then show it), or release it.
async fn stall(State(app): State<Arc<App>>, Json(b): Json<StallBody>) -> Response {
    if app.store.stall(&b.id, b.stall) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            format!("no Pending session {}\n", b.id),
        )
            .into_response()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageBody {
    id: String,
    cores: f64,
    /// Decimal GB, as `ramInUse` reports it.
    ram_gb: f64,
}

/// Set what a session's pod metrics report while it runs.
async fn usage(State(app): State<Arc<App>>, Json(b): Json<UsageBody>) -> Response {
    if !(b.cores.is_finite() && b.ram_gb.is_finite() && b.cores >= 0.0 && b.ram_gb >= 0.0) {
        return (
            StatusCode::BAD_REQUEST,
            "cores and ramGb are figures of 0 or more\n",
        )
            .into_response();
    }
    if app.store.set_usage(&b.id, b.cores, b.ram_gb) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::NOT_FOUND, format!("no session {}\n", b.id)).into_response()
    }
}

/// Register a user's SSH public key for the UNICORE-like site: `USER ssh-ed25519 AAAA…`.
async fn register_key(State(app): State<Arc<App>>, body: String) -> Response {
    let Some((user, line)) = body.trim().split_once(' ') else {
        return (StatusCode::BAD_REQUEST, "USER KEY\n").into_response();
    };
    match app.vo.register_key(user, line) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

/// Every login cookie stops working (the site's sessions expired).
async fn forget_cookies(State(app): State<Arc<App>>) -> Response {
    app.vo.forget_cookies();
    StatusCode::NO_CONTENT.into_response()
}

async fn state(State(app): State<Arc<App>>) -> Response {
    app.store.advance();
    Json(serde_json::json!({
        "now": iso(app.clock.now()),
        "time_scale": app.clock.scale(),
        "jobs": app.store.len(),
        "faults": app.faults.list(),
        "skaha_url": format!("{}/skaha", app.urls.http),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct AdvanceBody {
    seconds: f64,
}

async fn advance(State(app): State<Arc<App>>, Json(b): Json<AdvanceBody>) -> Response {
    if !b.seconds.is_finite() || b.seconds < 0.0 || b.seconds > 1e10 {
        return (
            StatusCode::BAD_REQUEST,
            "seconds must be a non-negative number\n",
        )
            .into_response();
    }
    app.clock.advance(Duration::from_secs_f64(b.seconds));
    app.store.advance();
    Json(serde_json::json!({ "now": iso(app.clock.now()) })).into_response()
}

async fn list_faults(State(app): State<Arc<App>>) -> Response {
    Json(app.faults.list()).into_response()
}

async fn add_fault(State(app): State<Arc<App>>, Json(rule): Json<FaultRule>) -> Response {
    if let Err(e) = rule.validate() {
        return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
    }
    app.faults.add(rule);
    Json(app.faults.list()).into_response()
}

async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    app.faults.clear();
    StatusCode::OK.into_response()
}

#[derive(Deserialize)]
struct TokenBody {
    user: String,
    token: Option<String>,
}

async fn mint_token(State(app): State<Arc<App>>, Json(b): Json<TokenBody>) -> Response {
    if b.user.trim().is_empty() {
        return (StatusCode::BAD_REQUEST, "user is required\n").into_response();
    }
    let token = match b.token {
        Some(t) if !t.trim().is_empty() => {
            app.auth.add_fixed_token(&t, &b.user);
            t
        }
        _ => app.auth.mint(&b.user, &app.clock),
    };
    Json(serde_json::json!({ "user": b.user, "token": token })).into_response()
}

async fn sessions(State(app): State<Arc<App>>) -> Response {
    let all = app.store.for_all(|s| Some(session_json(&app, s)));
    Json(all).into_response()
}

/// Panics inside a handler, so tests can check that a server panic fails the owning test.
async fn panic_now() -> Response {
    panic!("panic requested through /admin/panic");
}
