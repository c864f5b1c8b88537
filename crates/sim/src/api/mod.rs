//! The HTTP API served on the plain and TLS listeners: skaha, ac, cred, reg.

pub mod image;
pub mod params;
pub mod session;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;

use crate::app::App;
use crate::auth::{self, AuthOutcome, Identity};
use crate::errors::ApiError;
use crate::server::ConnInfo;

pub const X_VO_AUTHENTICATED: HeaderName = HeaderName::from_static("x-vo-authenticated");

/// Per-request context put together by the auth middleware.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub origin: String,
    pub auth: AuthOutcome,
    pub conn: Option<ConnInfo>,
}

impl Ctx {
    pub fn of(req: &Request) -> Ctx {
        req.extensions().get::<Ctx>().cloned().unwrap_or(Ctx {
            origin: String::new(),
            auth: AuthOutcome::Anonymous,
            conn: None,
        })
    }

    /// The caller, or the 401 CADC sends.
    pub fn require(&self, app: &App) -> Result<Identity, ApiError> {
        auth::require(&self.auth, &self.origin, &app.cfg)
    }

    /// The caller, who must also be allowed on the skaha system.
    pub fn require_skaha(&self, app: &App) -> Result<Identity, ApiError> {
        let id = self.require(app)?;
        if app.auth.is_denied(&id.user) {
            return Err(ApiError::Forbidden(
                "Not authorized to use the skaha system".to_string(),
            ));
        }
        Ok(id)
    }
}

async fn auth_mw(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let origin = conn
        .as_ref()
        .map_or_else(|| app.urls.http.clone(), |c| c.origin.to_string());
    let allow_basic = req.uri().path().starts_with("/cred/");
    let outcome = app
        .auth
        .authenticate(req.headers(), conn.as_ref(), &app.clock, allow_basic)
        .await;
    let user = match &outcome {
        AuthOutcome::Ok(id) => Some(id.user.clone()),
        _ => None,
    };
    req.extensions_mut().insert(Ctx {
        origin,
        auth: outcome,
        conn,
    });
    let mut resp = next.run(req).await;
    if let Some(user) = user {
        if let Ok(v) = HeaderValue::from_str(&user) {
            resp.headers_mut().insert(X_VO_AUTHENTICATED, v);
        }
    }
    resp
}

async fn not_found(req: Request) -> Response {
    ApiError::not_found(format!("not found: {}", req.uri().path())).into_response()
}

/// `GET`/`HEAD /skaha`: the service's root answers 200, as the real one does (the official
/// client takes only a 200 there as "reachable").
async fn service_root() -> Response {
    "skyport-sim: Skaha service\n".into_response()
}

pub fn router(app: Arc<App>) -> Router {
    let mut r = Router::new()
        .route("/skaha", get(service_root))
        .route("/skaha/capabilities", get(crate::discovery::skaha_caps))
        .route("/skaha/availability", get(crate::discovery::availability))
        .route("/reg/resource-caps", get(crate::discovery::resource_caps));
    // The same API under each version the platform serves (v0 differs in one rule: the
    // session type may come from the image's labels).
    for v in app.cfg.api.served() {
        let at = |p: &str| format!("/skaha/{v}{p}");
        r = r
            .route(&at("/session"), any(session::dispatch))
            .route(&at("/session/"), any(session::dispatch))
            .route(&at("/session/{*rest}"), any(session::dispatch))
            .route(&at("/image"), get(image::images))
            .route(&at("/context"), get(image::context))
            .route(&at("/repository"), get(image::repository));
    }
    if app.cfg.password_services {
        r = r
            .route("/cred/capabilities", get(crate::discovery::cred_caps))
            .route("/ac/capabilities", get(crate::discovery::ac_caps))
            .route("/ac/login", any(crate::ac::login))
            .route("/ac/whoami", get(crate::ac::whoami))
            .route("/ac/users/{name}", get(crate::ac::user))
            .route("/cred/generate", get(crate::cred::generate))
            .route("/cred/generate/{*rest}", get(crate::cred::generate));
    }
    if app.cfg.storage {
        r = r
            .route("/arc/capabilities", get(crate::cavern::capabilities))
            .route("/arc/availability", get(crate::discovery::availability))
            .route("/arc/nodes", get(crate::cavern::get_node))
            .route("/arc/nodes/", get(crate::cavern::get_node))
            .route(
                "/arc/nodes/{*rest}",
                get(crate::cavern::get_node)
                    .put(crate::cavern::write::put_node)
                    .post(crate::cavern::write::post_node)
                    .delete(crate::cavern::write::delete_node),
            )
            .route(
                "/arc/files/{*rest}",
                get(crate::cavern::files::get_file).put(crate::cavern::files::put_file),
            )
            .route("/arc/transfers", post(crate::cavern::transfers::create))
            .route(
                "/arc/transfers/{id}/phase",
                post(crate::cavern::transfers::run).get(crate::cavern::transfers::read_phase),
            )
            .route("/arc/transfers/{id}", get(crate::cavern::transfers::read))
            .route(
                "/arc/transfers/{id}/error",
                get(crate::cavern::transfers::read_error),
            );
    }
    r.merge(crate::vo::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), auth_mw))
        .layer(middleware::from_fn_with_state(
            app.faults.clone(),
            crate::faults::apply,
        ))
        .with_state(app)
}
