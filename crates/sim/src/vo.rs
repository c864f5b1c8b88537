//! Other VO services, as Skyport's credentials meet them: one endpoint per challenge kind
//! (AuthVO / IAP, auth.md §2), a login form that hands out a cookie, optional challenges on a
//! 200, a UNICORE-like site that checks SSH-key-signed JWTs against registered public keys,
//! and helpers for the origin-binding tests (an echo of what arrived, a redirect).
//!
//! A protected endpoint answers `hello <user> (<how>)` — or `?bytes=N` bytes, for streaming —
//! with `X-VO-Authenticated`; refused, a 401 with its challenges.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use base64::Engine as _;

use crate::api::params::Params;
use crate::api::{Ctx, X_VO_AUTHENTICATED};
use crate::app::App;
use crate::auth::{AuthOutcome, Method};

/// The login cookie's name.
pub const COOKIE: &str = "VO_SESSION";
/// The largest `?bytes=` served.
const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Cookies handed out and SSH keys registered.
#[derive(Debug, Default)]
pub struct VoState {
    cookies: Mutex<HashMap<String, String>>,
    keys: Mutex<Vec<(String, ssh_key::PublicKey)>>,
}

impl VoState {
    /// Register `user`'s public key (an `authorized_keys` line).
    pub fn register_key(&self, user: &str, line: &str) -> Result<(), String> {
        let key = ssh_key::PublicKey::from_openssh(line.trim()).map_err(|e| e.to_string())?;
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((user.to_string(), key));
        Ok(())
    }

    /// Every cookie stops working (as when a site's sessions expire).
    pub fn forget_cookies(&self) {
        self.cookies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

pub fn router() -> Router<Arc<App>> {
    let mut r = Router::new();
    // Each service answers at its folder and everything under it.
    macro_rules! service {
        ($path:literal, $handler:expr) => {
            r = r
                .route(concat!($path, "/"), any($handler))
                .route(concat!($path, "/{*rest}"), any($handler));
        };
    }
    service!("/vo/basic", basic);
    service!("/vo/bearer", bearer);
    service!("/vo/x509", x509);
    service!("/vo/cookie", cookie);
    service!("/vo/ivoa-bearer", ivoa_bearer);
    service!("/vo/optional", optional);
    service!("/vo/jwt", jwt);
    service!("/vo/echo", echo);
    r.route("/vo/cookie-login", post(cookie_login))
        .route("/vo/redirect", get(redirect))
        .route("/vo/cadc-capabilities", any(cadc_capabilities))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Size {
    bytes: Option<usize>,
}

fn ok(user: &str, how: &str, size: &Size) -> Response {
    let mut resp = match size.bytes {
        Some(n) => {
            let n = n.min(MAX_BYTES);
            let body: Vec<u8> = (0..n).map(|i| b"skyport\n"[i % 8]).collect();
            (StatusCode::OK, body).into_response()
        }
        None => format!("hello {user} ({how})\n").into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(user) {
        resp.headers_mut().insert(X_VO_AUTHENTICATED, v);
    }
    resp
}

fn refused(challenges: &[String]) -> Response {
    let mut resp = (StatusCode::UNAUTHORIZED, "authentication required\n").into_response();
    for c in challenges {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(header::WWW_AUTHENTICATE, v);
        }
    }
    resp
}

fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (s, rest) = v.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then_some(rest.trim())
}

async fn basic(State(app): State<Arc<App>>, Query(size): Query<Size>, req: Request) -> Response {
    let pair = authorization(req.headers(), "basic")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    match pair.as_deref().and_then(|p| p.split_once(':')) {
        Some((u, p)) if app.auth.check_password(u, p) => ok(u, "basic", &size),
        _ => refused(&["Basic realm=\"vo-basic\"".into()]),
    }
}

async fn bearer(Query(size): Query<Size>, req: Request) -> Response {
    match Ctx::of(&req).auth {
        AuthOutcome::Ok(id) if matches!(id.method, Method::Token | Method::Jwt) => {
            ok(&id.user, "bearer", &size)
        }
        _ => refused(&["Bearer realm=\"vo\"".into()]),
    }
}

async fn x509(Query(size): Query<Size>, req: Request) -> Response {
    let ctx = Ctx::of(&req);
    match ctx.conn.as_ref().and_then(|c| c.client_cert.clone()) {
        Some(cert) => ok(&cert.user, "certificate", &size),
        None => refused(&[
            "ivoa_x509".into(),
            format!(
                "ivoa_x509 standard_id=\"ivo://ivoa.net/sso#BasicAA\", access_url=\"{}/cred/generate\"",
                ctx.origin
            ),
        ]),
    }
}

async fn cookie(State(app): State<Arc<App>>, Query(size): Query<Size>, req: Request) -> Response {
    let given = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(n, _)| *n == COOKIE)
        .map(|(_, v)| v.to_string());
    let user = given.and_then(|v| {
        app.vo
            .cookies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&v)
            .cloned()
    });
    match user {
        Some(u) => ok(&u, "cookie", &size),
        None => refused(&[format!(
            "ivoa_cookie standard_id=\"ivo://ivoa.net/sso#tls-with-password\", access_url=\"{}/vo/cookie-login\"",
            Ctx::of(&req).origin
        )]),
    }
}

/// The login form: `POST username, password` → 303 back to the service with the cookie
/// (scoped to `/vo`), as web login forms answer.
async fn cookie_login(State(app): State<Arc<App>>, req: Request) -> Response {
    let (p, _) = Params::read(req, app.cfg.max_body_bytes).await;
    let (Some(user), Some(password)) = (p.text("username"), p.get("password")) else {
        return (
            StatusCode::BAD_REQUEST,
            "username and password are required\n",
        )
            .into_response();
    };
    if !app.auth.check_password(user.trim(), password) {
        return (StatusCode::UNAUTHORIZED, "login failed\n").into_response();
    }
    let value = format!("{:032x}", rand_u128());
    app.vo
        .cookies
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(value.clone(), user.trim().to_string());
    let mut resp = (
        StatusCode::SEE_OTHER,
        "<html><body>Logged in</body></html>\n",
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={value}; Path=/vo; HttpOnly")) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/vo/cookie/"));
    resp
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let a = h.finish();
    let mut h2 = std::collections::hash_map::RandomState::new().build_hasher();
    h2.write_u64(a);
    (u128::from(a) << 64) | u128::from(h2.finish())
}

/// Tokens from the platform's own login (`/ac/login`), as a CADC service takes them.
async fn ivoa_bearer(
    State(app): State<Arc<App>>,
    Query(size): Query<Size>,
    req: Request,
) -> Response {
    let ctx = Ctx::of(&req);
    match ctx.auth {
        AuthOutcome::Ok(id) if matches!(id.method, Method::Token) => ok(&id.user, "token", &size),
        _ => refused(&crate::auth::challenges(&ctx.origin, &app.cfg)),
    }
}

/// A public resource with optional authentication: 200 either way, the challenges on it.
async fn optional(State(app): State<Arc<App>>, Query(size): Query<Size>, req: Request) -> Response {
    let ctx = Ctx::of(&req);
    match ctx.auth {
        AuthOutcome::Ok(id) => ok(&id.user, "optional", &size),
        _ => {
            let mut resp = "hello anonymous\n".into_response();
            for c in crate::auth::challenges(&ctx.origin, &app.cfg) {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    resp.headers_mut().append(header::WWW_AUTHENTICATE, v);
                }
            }
            resp
        }
    }
}

/// auth.md §9, verbatim: CADC's real set, optional on a 200.
async fn cadc_capabilities() -> Response {
    let mut resp = "<capabilities/>\n".into_response();
    for c in [
        r#"ivoa_bearer standard_id="ivo://ivoa.net/sso#tls-with-password", access_url="https://ws-cadc.canfar.net/ac/login""#,
        r#"ivoa_bearer standard_id="ivo://ivoa.net/sso#OpenID", access_url="https://ws-cadc.canfar.net/ac""#,
        "Bearer",
        r#"ivoa_x509 standard_id="ivo://ivoa.net/sso#BasicAA", access_url="https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/cred/auth/priv""#,
        "ivoa_x509",
    ] {
        resp.headers_mut()
            .append(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
    }
    resp
}

/// What reached the service: whether a credential did (never its value).
async fn echo(req: Request) -> Response {
    let h = req.headers();
    let cert = Ctx::of(&req)
        .conn
        .as_ref()
        .is_some_and(|c| c.client_cert.is_some());
    let mut names: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    axum::Json(serde_json::json!({
        "authorization": h.contains_key(header::AUTHORIZATION),
        "cookie": h.contains_key(header::COOKIE),
        "certificate": cert,
        "headers": names,
    }))
    .into_response()
}

#[derive(serde::Deserialize)]
struct To {
    to: String,
}

async fn redirect(Query(to): Query<To>) -> Response {
    match HeaderValue::from_str(&to.to) {
        Ok(v) => {
            let mut resp = StatusCode::FOUND.into_response();
            resp.headers_mut().insert(header::LOCATION, v);
            resp
        }
        Err(_) => (StatusCode::BAD_REQUEST, "bad target\n").into_response(),
    }
}

/// UNICORE-like: `Authorization: Bearer <JWT>` signed with a key registered for `sub`.
async fn jwt(State(app): State<Arc<App>>, Query(size): Query<Size>, req: Request) -> Response {
    let challenge = ["Bearer realm=\"unicore\"".to_string()];
    let Some(token) = authorization(req.headers(), "bearer") else {
        return refused(&challenge);
    };
    match verify_jwt(&app.vo, token, app.clock.now().timestamp()) {
        Ok(user) => ok(&user, "ssh-jwt", &size),
        Err(why) => {
            tracing::info!(%why, "JWT refused");
            refused(&[format!(
                "Bearer realm=\"unicore\", error=\"invalid_token\", error_description=\"{why}\""
            )])
        }
    }
}

/// Check a UNICORE JWT: signature by a key registered for its `sub`, `iss` = `sub`, `etd`
/// "false", not expired, not issued in the future.
pub fn verify_jwt(vo: &VoState, token: &str, now: i64) -> Result<String, String> {
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
    let header = decode_header(token).map_err(|e| format!("not a JWT ({e})"))?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims: serde_json::Value = token
        .split('.')
        .nth(1)
        .and_then(|p| b64.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("unreadable claims")?;
    let sub = claims["sub"].as_str().ok_or("no sub")?.to_string();
    if claims["iss"].as_str() != Some(sub.as_str()) {
        return Err("iss is not sub".into());
    }
    if claims["etd"].as_str() != Some("false") {
        return Err("etd is not \"false\"".into());
    }
    let iat = claims["iat"].as_i64().ok_or("no iat")?;
    if iat > now + 60 {
        return Err("issued in the future".into());
    }
    let keys = vo.keys.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (user, key) in keys.iter().filter(|(u, _)| *u == sub) {
        let (alg, decoding) = match key.key_data() {
            ssh_key::public::KeyData::Ed25519(k) => {
                (Algorithm::EdDSA, DecodingKey::from_ed_der(&k.0))
            }
            ssh_key::public::KeyData::Rsa(k) => (
                Algorithm::RS256,
                DecodingKey::from_rsa_raw_components(
                    k.n.as_positive_bytes().unwrap_or_default(),
                    k.e.as_positive_bytes().unwrap_or_default(),
                ),
            ),
            ssh_key::public::KeyData::Ecdsa(ssh_key::public::EcdsaPublicKey::NistP256(p)) => {
                let point = p.as_bytes();
                if point.len() != 65 {
                    continue;
                }
                let Ok(d) = DecodingKey::from_ec_components(
                    &b64.encode(&point[1..33]),
                    &b64.encode(&point[33..65]),
                ) else {
                    continue;
                };
                (Algorithm::ES256, d)
            }
            _ => continue,
        };
        if header.alg != alg {
            continue;
        }
        let mut v = Validation::new(alg);
        v.validate_aud = false;
        v.leeway = 30;
        v.set_required_spec_claims(&["exp", "sub", "iss"]);
        if decode::<serde_json::Value>(token, &decoding, &v).is_ok() {
            return Ok(user.clone());
        }
    }
    Err(format!("no key registered for {sub} verifies it"))
}
