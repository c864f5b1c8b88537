//! The `ac` service: `/ac/login` (username/password → token in the body and `X-VO-Bearer`,
//! plus the `CADC_SSO` cookie), `/ac/whoami` and `/ac/users/{name}`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::params::Params;
use crate::api::{Ctx, X_VO_AUTHENTICATED};
use crate::app::App;
use crate::auth::{challenges, SSO_COOKIE};
use crate::errors::ApiError;
use crate::store::uid_for;
use crate::tls::user_dn;

pub async fn login(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.method() != Method::POST {
        return ApiError::MethodNotAllowed("login requires POST".to_string()).into_response();
    }
    let origin = Ctx::of(&req).origin;
    let (p, _) = Params::read(req, app.cfg.max_body_bytes).await;
    let (Some(user), Some(password)) = (p.text("username"), p.get("password")) else {
        return ApiError::unsupported("missing username or password").into_response();
    };
    let user = user.trim();
    if !app.auth.check_password(user, password) {
        return ApiError::NotAuthenticated {
            message: "login failed: invalid username/password".to_string(),
            token_error: None,
            challenges: challenges(&origin, &app.cfg),
        }
        .into_response();
    }
    let token = app.auth.mint(user, &app.clock);
    let lifetime = app.cfg.token_lifetime.as_secs();
    let mut resp = (StatusCode::OK, token.clone()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&token) {
        h.insert("x-vo-bearer", v);
    }
    if let Ok(v) = HeaderValue::from_str(user) {
        h.insert(X_VO_AUTHENTICATED, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SSO_COOKIE}={token}; Path=/; Max-Age={lifetime}; HttpOnly; SameSite=Lax"
    )) {
        h.insert(header::SET_COOKIE, v);
    }
    resp
}

/// CADC answers whoami with a redirect to the caller's user record.
pub async fn whoami(State(app): State<Arc<App>>, req: Request) -> Response {
    let ctx = Ctx::of(&req);
    match ctx.require(&app) {
        Ok(id) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) =
                HeaderValue::from_str(&format!("{}/ac/users/{}?idType=HTTP", ctx.origin, id.user))
            {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(e) => e.into_response(),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn user(State(app): State<Arc<App>>, Path(name): Path<String>, req: Request) -> Response {
    let ctx = Ctx::of(&req);
    let id = match ctx.require(&app) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if id.user != name {
        return ApiError::Forbidden(format!("permission denied: {}", xml_escape(&name)))
            .into_response();
    }
    let uid = uid_for(&app.user_names, &id.user);
    let u = xml_escape(&id.user);
    let dn = xml_escape(&user_dn_string(&id.user));
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <internalID>\n    <uri>ivo://cadc.nrc.ca/user?{uid}</uri>\n  </internalID>\n  <identities>\n    <identity type=\"HTTP\">{u}</identity>\n    <identity type=\"X500\">{dn}</identity>\n    <identity type=\"POSIX\">{uid}</identity>\n  </identities>\n  <personalDetails>\n    <firstName>{u}</firstName>\n    <lastName>Skyport</lastName>\n    <email>{u}@example.org</email>\n  </personalDetails>\n</user>\n"
    );
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    r
}

/// `CN=<user>,OU=cadc,O=hia,C=ca`, CADC's DN form.
pub fn user_dn_string(user: &str) -> String {
    let _ = user_dn; // same components as the issued certificates
    format!("CN={user},OU=cadc,O=hia,C=ca")
}
