//! The credential service, `/cred/generate?daysValid=N`: a fresh RSA 2048 key and a
//! certificate signed by the sim CA (notBefore five minutes back), answered as
//! `application/x-pem-file` with certificate, private key and chain, in that order.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::params::Params;
use crate::api::Ctx;
use crate::app::App;
use crate::auth::Method;
use crate::errors::ApiError;
use crate::tls::KeyKind;

/// Java's `Float.toString` for the values that appear in messages ("30.0", "7.5").
fn java_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

pub async fn generate(State(app): State<Arc<App>>, req: Request) -> Response {
    let ctx = Ctx::of(&req);
    let delegation = req
        .uri()
        .path()
        .strip_prefix("/cred/generate")
        .is_some_and(|p| !p.trim_matches('/').is_empty());
    let id = match ctx.require(&app) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if id.method == Method::Cert && !delegation {
        return ApiError::Forbidden(
            "Renewing certificate using certificate authentication not permitted".to_string(),
        )
        .into_response();
    }
    if delegation {
        // Only configured super-users may fetch certificates for others; the sim has none.
        return ApiError::Forbidden(format!(
            "Not a superuser: {}",
            crate::ac::user_dn_string(&id.user)
        ))
        .into_response();
    }
    let (p, _) = Params::read(req, app.cfg.max_body_bytes).await;
    let max = app.cfg.max_days_valid;
    let mut days = max;
    if let Some(raw) = p.get("daysValid") {
        days = match raw.trim().parse::<f64>() {
            Ok(d) if d.is_finite() => d,
            _ => return ApiError::bad(format!("daysValid is not a float: {raw}")).into_response(),
        };
        if days > max {
            return ApiError::bad(format!(
                "daysValid larger than maximum allowed: {}",
                java_float(max)
            ))
            .into_response();
        }
        if days <= 0.0 {
            return ApiError::bad(format!("daysValid must be positive: {raw}")).into_response();
        }
    }
    // notAfter = now + round(daysValid * 24) hours.
    let hours = (days * 24.0).round().max(1.0) as u64;
    let app2 = app.clone();
    let user = id.user.clone();
    // RSA key generation is CPU-bound; keep it off the async workers.
    let issued = tokio::task::spawn_blocking(move || {
        app2.tls
            .issue(&user, Duration::from_secs(hours * 3600), KeyKind::Rsa2048)
    })
    .await;
    match issued {
        Ok(Ok(pem)) => {
            let mut r = (StatusCode::OK, pem).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-pem-file"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"cadcproxy.pem\""),
            );
            r
        }
        Ok(Err(e)) => ApiError::Internal(e.to_string()).into_response(),
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}
