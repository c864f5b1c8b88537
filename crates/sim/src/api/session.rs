//! `/skaha/v1/session...`: list, create, get, logs, events, renew, delete and desktop apps,
//! with the real service's validation order, messages and quirks.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::params::Params;
use super::Ctx;
use crate::app::App;
use crate::clock::iso;
use crate::config::SimConfig;
use crate::errors::{ApiError, ApiResult};
use crate::store::{uid_for, Kind, NewSession, Resources, Session, Stall, Status};

/// Kubernetes drops events after an hour; older sessions then show `<none>`.
const EVENT_TTL_SECS: i64 = 3600;

pub async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    match route(&app, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn route(app: &Arc<App>, req: Request) -> ApiResult<Response> {
    let ctx = Ctx::of(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    // `/skaha/<version>/session...`: the router only sends the versions served.
    let v0 = path.starts_with("/skaha/v0/");
    let rest = path
        .strip_prefix("/skaha/v0/session")
        .or_else(|| path.strip_prefix("/skaha/v1/session"))
        .unwrap_or("")
        .trim_start_matches('/');
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .collect();
    let id = ctx.require_skaha(app)?;
    // `SessionAction.initRequest`: session[/id[/app[/appid]]].
    if segs.len() > 3 || (segs.len() >= 2 && segs[1] != "app") {
        return Err(ApiError::bad(format!("Invalid request: {path}")));
    }
    let user = id.user;
    let registry_auth = req
        .headers()
        .get("x-skaha-registry-auth")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (params, _) = Params::read(req, app.cfg.max_body_bytes).await;
    let sid = segs.first().map(String::as_str);
    let app_seg = segs.len() >= 2;
    let appid = segs.get(2).map(String::as_str);
    match (method, sid, app_seg) {
        (Method::GET | Method::HEAD, None, _) => list(app, &user, &params),
        (Method::POST, None, _) => create(app, &user, &params, registry_auth.as_deref(), v0),
        (Method::DELETE, None, _) => Err(ApiError::unsupported("Cannot kill all sessions.")),
        (Method::GET | Method::HEAD, Some(sid), false) => get_one(app, &user, sid, &params),
        (Method::POST, Some(sid), false) => renew(app, &user, sid, &params),
        (Method::DELETE, Some(sid), false) => {
            app.store.delete(&user, sid, None);
            Ok(empty_ok())
        }
        (Method::GET | Method::HEAD, Some(sid), true) => match appid {
            None => list_apps(app, &user, sid, &params),
            Some(a) => get_app(app, &user, sid, a),
        },
        (Method::POST, Some(sid), true) => match appid {
            None => attach_app(app, &user, sid, &params),
            Some(_) => Err(ApiError::unsupported("Cannot modify an existing app.")),
        },
        (Method::DELETE, Some(sid), true) => {
            if let Some(a) = appid {
                app.store.delete(&user, sid, Some(a));
            }
            Ok(empty_ok())
        }
        (m, _, _) => Err(ApiError::MethodNotAllowed(format!(
            "method not supported: {m}"
        ))),
    }
}

fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

fn text_plain(body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    r
}

/// Gson-style pretty JSON.
pub fn json_ok<T: Serialize + ?Sized>(v: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec_pretty(v).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionJson {
    id: String,
    userid: String,
    #[serde(rename = "runAsUID")]
    run_as_uid: String,
    #[serde(rename = "runAsGID")]
    run_as_gid: String,
    supplemental_groups: [u32; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    appid: Option<String>,
    image: String,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_time: Option<String>,
    #[serde(rename = "connectURL")]
    connect_url: String,
    #[serde(rename = "requestedRAM", skip_serializing_if = "Option::is_none")]
    requested_ram: Option<String>,
    #[serde(rename = "requestedCPUCores", skip_serializing_if = "Option::is_none")]
    requested_cpu_cores: Option<String>,
    #[serde(rename = "requestedGPUCores")]
    requested_gpu_cores: String,
    #[serde(rename = "ramInUse", skip_serializing_if = "Option::is_none")]
    ram_in_use: Option<String>,
    #[serde(rename = "cpuCoresInUse", skip_serializing_if = "Option::is_none")]
    cpu_cores_in_use: Option<String>,
    is_fixed_resources: bool,
}

/// `requestedRAM`: GiB → decimal GB with two decimals, as the service prints it (8 → "8.59").
pub fn format_ram_gb(gib: u32) -> String {
    format!("{:.2}", f64::from(gib) * 1_073_741_824.0 / 1e9)
}

/// Connect URL patterns of `SessionURLBuilder`.
pub fn connect_url(origin: &str, kind: Kind, id: &str, user: &str) -> String {
    match kind {
        Kind::Notebook => {
            format!("{origin}/session/notebook/{id}/lab/tree/arc/home/{user}?token={id}")
        }
        Kind::Desktop => {
            format!("{origin}/session/desktop/{id}/?password={id}&path=session/desktop/{id}/")
        }
        Kind::Carta => format!("{origin}/session/carta/{id}/"),
        Kind::Contributed => format!("{origin}/session/contrib/{id}/"),
        Kind::Firefly => format!("{origin}/session/firefly/{id}/firefly/"),
        Kind::Headless | Kind::DesktopApp => String::new(),
    }
}

fn small_hash(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

pub fn session_json(app: &App, s: &Session) -> SessionJson {
    let uid = uid_for(&app.user_names, &s.user).to_string();
    let running = s.status == Status::Running;
    let h = small_hash(&s.id);
    SessionJson {
        id: s.id.clone(),
        userid: s.user.clone(),
        run_as_uid: uid.clone(),
        run_as_gid: uid.clone(),
        supplemental_groups: [uid_for(&app.user_names, &s.user)],
        appid: s.appid.clone(),
        image: s.image.clone(),
        kind: s.kind.as_str(),
        status: s.status.as_str(),
        name: s.name.clone(),
        start_time: s.start.map(iso),
        expiry_time: s.expiry().map(iso),
        connect_url: connect_url(
            app.cfg
                .connect_origin
                .as_deref()
                .unwrap_or(&app.urls.sessions),
            s.kind,
            &s.id,
            &s.user,
        ),
        requested_ram: s.res.ram_gb.map(format_ram_gb),
        requested_cpu_cores: s.res.cores.map(|c| c.to_string()),
        requested_gpu_cores: s.res.gpus.to_string(),
        // Pod metrics exist only for running pods.
        ram_in_use: running.then(|| {
            let ram = s.usage.map_or(0.1 + f64::from(h % 400) / 100.0, |u| u.1);
            format!("{ram:.2}")
        }),
        cpu_cores_in_use: running.then(|| {
            let cores = s.usage.map_or(f64::from(h % 500) / 1000.0, |u| u.0);
            format!("{cores:.3}")
        }),
        is_fixed_resources: s.res.cores.is_some() || s.res.ram_gb.is_some(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicSession {
    userid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<String>,
}

fn eq_ci(filter: Option<&str>, value: &str) -> bool {
    filter.is_none_or(|f| f.eq_ignore_ascii_case(value))
}

fn list(app: &Arc<App>, user: &str, p: &Params) -> ApiResult<Response> {
    let kind = p.text("type");
    let status = p.text("status");
    let view = p.get("view").unwrap_or("");
    if view.eq_ignore_ascii_case("stats") {
        return stats(app);
    }
    if view.eq_ignore_ascii_case("all") {
        let body = app.store.for_all(|s| {
            (!s.is_app() && eq_ci(kind, s.kind.as_str()) && eq_ci(status, s.status.as_str())).then(
                || PublicSession {
                    userid: s.user.clone(),
                    kind: s.kind.as_str(),
                    status: s.status.as_str(),
                    start_time: s.start.map(iso),
                },
            )
        });
        return json_ok(&body);
    }
    let interactive = view.eq_ignore_ascii_case("interactive");
    let want_apps = kind.is_some_and(|k| k.eq_ignore_ascii_case("desktop-app"));
    let body = app.store.for_user(user, |s| {
        let keep = if interactive {
            // Label selector `canfar.net/kind!=headless`; only the status filter applies.
            !s.kind.is_headless() && eq_ci(status, s.status.as_str())
        } else {
            (s.is_app() == want_apps)
                && eq_ci(kind, s.kind.as_str())
                && eq_ci(status, s.status.as_str())
        };
        keep.then(|| session_json(app, s))
    });
    json_ok(&body)
}

/// `#.###` formatting of Java's DecimalFormat.
fn java_decimal(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[derive(Serialize)]
struct Stats {
    cores: CoreStats,
    ram: RamStats,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CoreStats {
    #[serde(rename = "requestedCPUCores")]
    requested_cpu_cores: f64,
    cpu_cores_available: f64,
    #[serde(rename = "maxCPUCores")]
    max_cpu_cores: MaxCores,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MaxCores {
    cpu_cores: f64,
    with_ram: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RamStats {
    #[serde(rename = "requestedRAM")]
    requested_ram: String,
    ram_available: String,
    #[serde(rename = "maxRAM")]
    max_ram: MaxRam,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MaxRam {
    ram: String,
    #[serde(rename = "withCPUCores")]
    with_cpu_cores: f64,
}

fn stats(app: &Arc<App>) -> ApiResult<Response> {
    let ctx = &app.cfg.context;
    let totals = app.store.for_all(|s| {
        s.status.is_active().then(|| {
            let cores = s.res.cores.unwrap_or(ctx.cores_default_request);
            let ram = s.res.ram_gb.unwrap_or(ctx.ram_default_request);
            (f64::from(cores), f64::from(ram))
        })
    });
    let cores: f64 = totals.iter().map(|t| t.0).sum();
    let ram: f64 = totals.iter().map(|t| t.1).sum();
    let body = Stats {
        cores: CoreStats {
            requested_cpu_cores: cores,
            cpu_cores_available: app.cfg.cluster_cores,
            max_cpu_cores: MaxCores {
                cpu_cores: f64::from(ctx.cores_default_limit),
                with_ram: format!("{}Gi", ctx.ram_default_limit),
            },
        },
        ram: RamStats {
            requested_ram: format!("{}G", java_decimal(ram)),
            ram_available: format!("{}G", java_decimal(app.cfg.cluster_ram_gb)),
            max_ram: MaxRam {
                ram: format!("{}Gi", ctx.ram_default_limit),
                with_cpu_cores: f64::from(ctx.cores_default_limit),
            },
        },
    };
    json_ok(&body)
}

/// `ResourceSpecification`: a double whose integer part must be one of the options.
fn resource(p: &Params, name: &str, options: &[u32]) -> ApiResult<Option<u32>> {
    let Some(raw) = p.text(name) else {
        return Ok(None);
    };
    let invalid = || ApiError::bad(format!("Invalid value for '{name}': {raw}"));
    let t = raw.trim();
    // Java's Double.parseDouble accepts a trailing d/f type suffix.
    let t = t
        .strip_suffix(['d', 'D', 'f', 'F'])
        .filter(|s| !s.is_empty())
        .unwrap_or(t);
    let v: f64 = t.parse().map_err(|_| invalid())?;
    if !v.is_finite() || v < 0.0 || v.trunc() > f64::from(u32::MAX) {
        return Err(invalid());
    }
    let n = v.trunc() as u32;
    if options.contains(&n) {
        Ok(Some(n))
    } else {
        Err(invalid())
    }
}

fn valid_name(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn create(
    app: &Arc<App>,
    user: &str,
    p: &Params,
    registry_auth: Option<&str>,
    v0: bool,
) -> ApiResult<Response> {
    let cfg = &app.cfg;
    // 1. image
    let image = p
        .get("image")
        .ok_or_else(|| ApiError::bad("Missing parameter 'image'"))?
        .to_string();
    // 2. registry host, then type
    if !cfg
        .registry_hosts
        .iter()
        .any(|h| image.starts_with(h.as_str()))
    {
        return Err(ApiError::bad(format!(
            "session image '{image}' must come from one of [{}]",
            cfg.registry_hosts.join(", ")
        )));
    }
    let kind = if v0 {
        v0_kind(cfg, &image, p.text("type"))?
    } else {
        let type_raw = p.text("type").unwrap_or("headless");
        Kind::parse(type_raw.trim())
            .filter(|k| *k != Kind::DesktopApp)
            .ok_or_else(|| ApiError::bad(format!("Invalid session type: {type_raw}")))?
    };
    // 3. cores / ram
    let mut cores = resource(p, "cores", &cfg.context.cores_options)?;
    let mut ram = resource(p, "ram", &cfg.context.ram_options)?;
    if cores.is_some() || ram.is_some() {
        cores = cores.or(Some(cfg.context.cores_default));
        ram = ram.or(Some(cfg.context.ram_default));
    }
    if kind == Kind::Desktop {
        // The desktop template hard-codes its resources.
        cores = None;
        ram = None;
    }
    // 4. name
    let name = p
        .text("name")
        .ok_or_else(|| ApiError::bad("Missing parameter 'name'"))?;
    if !valid_name(name) {
        return Err(ApiError::bad(
            "name can only contain alpha-numeric chars and '-'",
        ));
    }
    let mut name = name.to_ascii_lowercase();
    name.truncate(63);
    // 5. interactive quota
    if !kind.is_headless() {
        let max = cfg.max_interactive_sessions;
        if app.store.active_interactive(user) >= max {
            return Err(ApiError::bad(format!(
                "User {user} has reached the maximum of {max} active sessions."
            )));
        }
    }
    // 7. gpus
    let mut gpus = 0;
    if let Some(raw) = p.text("gpus") {
        gpus = raw
            .parse::<u32>()
            .ok()
            .filter(|g| cfg.context.gpu_options.contains(g))
            .ok_or_else(|| ApiError::bad(format!("Invalid value for 'gpus': {raw}")))?;
    }
    // 8. private images need registry credentials
    if !cfg.images.iter().any(|i| i.id == image) {
        check_registry_auth(registry_auth)?;
    }
    let (cmd, args, env) = if kind.is_headless() {
        headless_bundle(p)
    } else {
        (None, Vec::new(), Vec::new())
    };
    let sid = app.store.create(NewSession {
        user: user.to_string(),
        kind,
        image,
        name,
        res: Resources {
            cores,
            ram_gb: ram,
            gpus,
        },
        cmd,
        args,
        env,
        // More memory than any node has free: it waits, as on a loaded platform.
        stall: ram
            .filter(|r| *r > cfg.node_free_ram_gb)
            .map(|_| Stall::NoMemory),
    });
    Ok(text_plain(format!("{sid}\n")))
}

/// v0 took the session type from the image's labels in the registry and refused a `type`
/// the labels do not allow (skaha-api.md §0, before commit 810bf2bb). Unlisted images keep
/// the requested type (v0 could not read their labels either and trusted it).
fn v0_kind(cfg: &SimConfig, image: &str, requested: Option<&str>) -> ApiResult<Kind> {
    let labels: Vec<Kind> = cfg
        .images
        .iter()
        .find(|i| i.id == image)
        .map(|i| i.types.iter().filter_map(|t| Kind::parse(t)).collect())
        .unwrap_or_default();
    let requested = match requested.map(str::trim) {
        Some(t) => Some(
            Kind::parse(t)
                .filter(|k| *k != Kind::DesktopApp)
                .ok_or_else(|| ApiError::bad(format!("Invalid session type: {t}")))?,
        ),
        None => None,
    };
    match requested {
        Some(k) if labels.is_empty() || labels.contains(&k) => Ok(k),
        Some(k) => Err(ApiError::bad(format!(
            "image {image} is not of type {}",
            k.as_str()
        ))),
        None => Ok(labels.first().copied().unwrap_or(Kind::Headless)),
    }
}

type Bundle = (Option<String>, Vec<String>, Vec<(String, String)>);

/// `getHeadlessImageBundle`: one-element command, args split on single spaces, env entries
/// that do not split into exactly two parts on `=` silently dropped.
fn headless_bundle(p: &Params) -> Bundle {
    let cmd = p.text("cmd").map(str::to_string);
    let args = p
        .text("args")
        .map(|a| a.split(' ').map(str::to_string).collect())
        .unwrap_or_default();
    let env = p
        .all("env")
        .into_iter()
        .filter_map(|e| {
            let parts: Vec<&str> = e.split('=').collect();
            (parts.len() == 2).then(|| (parts[0].to_string(), parts[1].to_string()))
        })
        .collect();
    (cmd, args, env)
}

pub fn check_registry_auth(header: Option<&str>) -> ApiResult<(String, String)> {
    let Some(h) = header.filter(|h| !h.trim().is_empty()) else {
        return Err(ApiError::bad(
            "No authentication provided for unknown or private image.  Use x-skaha-registry-auth request header with base64Encode(username:secret).",
        ));
    };
    let invalid = || ApiError::bad("Invalid input. Must be in form of username:secret");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(h.trim())
        .map_err(|_| invalid())?;
    let s = String::from_utf8(raw).map_err(|_| invalid())?;
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 2 {
        return Err(invalid());
    }
    Ok((parts[0].to_string(), parts[1].to_string()))
}

fn get_one(app: &Arc<App>, user: &str, sid: &str, p: &Params) -> ApiResult<Response> {
    let view = p.get("view").unwrap_or("");
    let now = app.clock.now();
    let found = app.store.with(sid, None, |s| {
        if s.user != user {
            return None;
        }
        Some(if view.eq_ignore_ascii_case("logs") {
            Ok(text_plain(logs(s)))
        } else if view.eq_ignore_ascii_case("events") {
            match events(s, now) {
                Some(body) => Ok(text_plain(body)),
                None => Err(ApiError::session_not_found(sid)),
            }
        } else {
            json_ok(&session_json(app, s))
        })
    });
    found
        .flatten()
        .unwrap_or_else(|| Err(ApiError::session_not_found(sid)))
}

fn renew(app: &Arc<App>, user: &str, sid: &str, p: &Params) -> ApiResult<Response> {
    let action = p.get("action").filter(|a| !a.is_empty());
    match action {
        Some(a) if a.eq_ignore_ascii_case("renew") => {
            if app.store.renew(user, sid) == 0 {
                return Err(ApiError::bad(format!(
                    "No active job for user {user} with session {sid}"
                )));
            }
            Ok(empty_ok())
        }
        Some(_) => Err(ApiError::unsupported("unrecognized action")),
        None => Err(ApiError::unsupported("Cannot modify an existing session")),
    }
}

fn list_apps(app: &Arc<App>, user: &str, sid: &str, p: &Params) -> ApiResult<Response> {
    let status = p.text("status");
    let body = app.store.for_user(user, |s| {
        (s.is_app() && s.id == sid && eq_ci(status, s.status.as_str()))
            .then(|| session_json(app, s))
    });
    json_ok(&body)
}

fn get_app(app: &Arc<App>, user: &str, sid: &str, appid: &str) -> ApiResult<Response> {
    app.store
        .with(sid, Some(appid), |s| {
            (s.user == user).then(|| json_ok(&session_json(app, s)))
        })
        .flatten()
        .unwrap_or_else(|| Err(ApiError::not_found(format!("app {appid} not found"))))
}

fn attach_app(app: &Arc<App>, user: &str, sid: &str, p: &Params) -> ApiResult<Response> {
    let image = p
        .get("image")
        .ok_or_else(|| ApiError::bad("Missing parameter 'image'"))?
        .to_string();
    let cores = resource(p, "cores", &app.cfg.context.cores_options)?;
    let ram = resource(p, "ram", &app.cfg.context.ram_options)?;
    let name = image
        .rsplit('/')
        .next()
        .unwrap_or(&image)
        .split(':')
        .next()
        .unwrap_or("app")
        .to_ascii_lowercase();
    let appid = app
        .store
        .attach_app(
            user,
            sid,
            NewSession {
                user: user.to_string(),
                kind: Kind::DesktopApp,
                image,
                name,
                res: Resources {
                    cores,
                    ram_gb: ram,
                    gpus: 0,
                },
                cmd: None,
                args: Vec::new(),
                env: Vec::new(),
                stall: None,
            },
        )
        .ok_or_else(|| ApiError::session_not_found(sid))?;
    Ok(text_plain(format!("{appid}\n")))
}

fn container_name(s: &Session) -> &'static str {
    match s.kind {
        Kind::Notebook => "notebook",
        Kind::Desktop => "desktop",
        Kind::Carta => "carta",
        Kind::Contributed => "contributed",
        Kind::Firefly => "firefly",
        Kind::Headless => "headless",
        Kind::DesktopApp => "desktop-app",
    }
}

/// Events as they accumulate: kept while younger than the cluster's event TTL.
struct Rows {
    rows: Vec<[String; 5]>,
    now: DateTime<Utc>,
}

impl Rows {
    /// An event seen first at `first` and again up to `last` (a repeating one).
    fn span(
        &mut self,
        t: &str,
        reason: &str,
        msg: String,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    ) {
        if (self.now - last).num_seconds() < EVENT_TTL_SECS {
            self.rows.push([
                t.to_string(),
                reason.to_string(),
                msg,
                iso(first),
                iso(last),
            ]);
        }
    }

    fn add(&mut self, t: &str, reason: &str, msg: String, at: DateTime<Utc>) {
        self.span(t, reason, msg, at, at)
    }
}

/// `kubectl get event` custom columns; `None` when the pod does not exist yet.
pub fn events(s: &Session, now: DateTime<Utc>) -> Option<String> {
    if now < s.pod_at {
        return None;
    }
    let pod = format!("skaha-{}-{}-{}", s.kind.as_str(), s.user, s.id);
    let mut ev = Rows {
        rows: Vec::new(),
        now,
    };
    if let Some(stall) = s.stall.filter(|st| st.unscheduled()) {
        let short = match stall {
            Stall::NoCpu => "Insufficient cpu",
            Stall::NoGpu => "Insufficient nvidia.com/gpu",
            _ => "Insufficient memory",
        };
        ev.span(
            "Warning",
            "FailedScheduling",
            format!(
                "0/12 nodes are available: 12 {short}. preemption: 0/12 nodes are available: \
                 12 No preemption victims found for incoming pod."
            ),
            s.pod_at,
            now,
        );
        return Some(table(ev.rows));
    }
    ev.add(
        "Normal",
        "Scheduled",
        format!("Successfully assigned skaha-workload/{pod} to k8s-worker-07"),
        s.pod_at,
    );
    let image = &s.image;
    match s.stall {
        Some(Stall::StorageMount) => ev.span(
            "Warning",
            "FailedMount",
            "MountVolume.SetUp failed for volume \"cavern-volume\" : mount failed: exit status 32"
                .into(),
            s.pod_at,
            now,
        ),
        Some(Stall::Crashing) => {
            let c = container_name(s);
            ev.add(
                "Normal",
                "Pulled",
                format!("Container image \"{image}\" already present on machine"),
                s.pod_at,
            );
            ev.add(
                "Normal",
                "Created",
                format!("Created container {c}"),
                s.pod_at,
            );
            ev.add(
                "Normal",
                "Started",
                format!("Started container {c}"),
                s.pod_at,
            );
            ev.span(
                "Warning",
                "BackOff",
                format!("Back-off restarting failed container {c} in pod {pod}_skaha-workload"),
                s.pod_at,
                now,
            );
        }
        stall => {
            ev.add(
                "Normal",
                "Pulling",
                format!("Pulling image \"{image}\""),
                s.pod_at,
            );
            let refused = match stall {
                Some(Stall::ImageMissing) => Some(format!(
                    "rpc error: code = NotFound desc = failed to pull and unpack image \
                     \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
                )),
                Some(Stall::ImagePrivate) => Some(format!(
                    "rpc error: code = Unknown desc = failed to pull and unpack image \
                     \"{image}\": failed to resolve reference \"{image}\": failed to \
                     authorize: failed to fetch anonymous token: unexpected status: 401 \
                     Unauthorized"
                )),
                _ => None,
            };
            if let Some(why) = refused {
                let first = s.pod_at;
                ev.span(
                    "Warning",
                    "Failed",
                    format!("Failed to pull image \"{image}\": {why}"),
                    first,
                    now,
                );
                ev.span(
                    "Warning",
                    "Failed",
                    "Error: ErrImagePull".into(),
                    first,
                    now,
                );
                ev.span(
                    "Normal",
                    "BackOff",
                    format!("Back-off pulling image \"{image}\""),
                    first,
                    now,
                );
                ev.span(
                    "Warning",
                    "Failed",
                    "Error: ImagePullBackOff".into(),
                    first,
                    now,
                );
            }
        }
    }
    if let Some(start) = s.start {
        ev.add(
            "Normal",
            "Pulled",
            format!("Successfully pulled image \"{}\"", s.image),
            start,
        );
        ev.add(
            "Normal",
            "Created",
            format!("Created container {}", container_name(s)),
            start,
        );
        ev.add(
            "Normal",
            "Started",
            format!("Started container {}", container_name(s)),
            start,
        );
    }
    if let Some(t) = s.terminating_since {
        ev.add(
            "Normal",
            "Killing",
            format!("Stopping container {}", container_name(s)),
            t,
        );
    }
    Some(table(ev.rows))
}

/// The rows as `kubectl get event -o custom-columns` prints them.
fn table(rows: Vec<[String; 5]>) -> String {
    if rows.is_empty() {
        return "<none>\n".to_string();
    }
    let header = ["TYPE", "REASON", "MESSAGE", "FIRST-TIME", "LAST-TIME"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        for (i, c) in cells.iter().enumerate() {
            if i == 4 {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}   ", w = widths[i]));
            }
        }
        out.push('\n');
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    out
}

/// Container output: real child output for executed headless jobs, else what the image
/// would print.
pub fn logs(s: &Session) -> String {
    if s.real {
        return s.output.lock().map(|o| o.clone()).unwrap_or_default();
    }
    let Some(start) = s.start else {
        return String::new();
    };
    let t = start.format("%Y-%m-%d %H:%M:%S%.3f");
    match s.kind {
        Kind::Notebook => format!(
            "[I {t} ServerApp] jupyterlab | extension was successfully loaded.\n\
             [I {t} ServerApp] Serving notebooks from local directory: /arc/home/{u}\n\
             [I {t} ServerApp] Jupyter Server 2.14.2 is running at:\n\
             [I {t} ServerApp] http://{n}:8888/session/notebook/{id}/lab?token=...\n",
            u = s.user,
            n = s.name,
            id = s.id
        ),
        Kind::Desktop => format!(
            "{t} Starting VNC server on :1 for user {u}\n{t} noVNC listening on port 6901\n",
            u = s.user
        ),
        Kind::Carta => format!(
            "[info] CARTA is accessible at port 6901 for session {}\n",
            s.id
        ),
        Kind::Firefly => format!("{t} Firefly started for session {}\n", s.id),
        Kind::Contributed => format!("{t} contributed app listening on :5000\n"),
        Kind::Headless => {
            let mut out = format!(
                "{t} simulated headless job '{}' ({})\n",
                s.name,
                s.cmd
                    .clone()
                    .unwrap_or_else(|| "<image entrypoint>".to_string())
            );
            if !s.args.is_empty() {
                out.push_str(&format!("args: {}\n", s.args.join(" ")));
            }
            for (k, v) in &s.env {
                out.push_str(&format!("env: {k}={v}\n"));
            }
            if s.status == Status::Completed {
                out.push_str("done\n");
            }
            out
        }
        Kind::DesktopApp => format!("{t} {} started\n", s.name),
    }
}
