//! Discovery: the registry `resource-caps` file and VOSI capabilities/availability XML with
//! the security methods each interface accepts.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::api::Ctx;
use crate::app::App;
use crate::config::SimConfig;

const COOKIE: &str = "ivo://ivoa.net/sso#cookie";
const CERT: &str = "ivo://ivoa.net/sso#tls-with-certificate";
const TOKEN: &str = "ivo://ivoa.net/sso#token";
const BASIC: &str = "ivo://ivoa.net/sso#BasicAA";

fn xml(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    r
}

fn capability(standard_id: &str, url: &str, use_: &str, methods: &[&str]) -> String {
    let mut s = format!(
        "  <capability standardID=\"{standard_id}\">\n    <interface xsi:type=\"vs:ParamHTTP\" role=\"std\" version=\"1.0\">\n      <accessURL use=\"{use_}\">{url}</accessURL>\n"
    );
    for m in methods {
        s.push_str(&format!("      <securityMethod standardID=\"{m}\"/>\n"));
    }
    s.push_str("    </interface>\n  </capability>\n");
    s
}

fn document(caps: &[String]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vosi:capabilities xmlns:vosi=\"http://www.ivoa.net/xml/VOSICapabilities/v1.0\" xmlns:vs=\"http://www.ivoa.net/xml/VODataService/v1.1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
    );
    for c in caps {
        s.push_str(c);
    }
    s.push_str("</vosi:capabilities>\n");
    s
}

fn vosi_basics(base: &str) -> Vec<String> {
    vec![
        capability(
            "ivo://ivoa.net/std/VOSI#capabilities",
            &format!("{base}/capabilities"),
            "full",
            &[],
        ),
        capability(
            "ivo://ivoa.net/std/VOSI#availability",
            &format!("{base}/availability"),
            "full",
            &[],
        ),
    ]
}

/// The legacy standard id of the v0 session API (skaha-api.md §0; SRCNet nodes advertise it).
const LEGACY_SESSIONS: &str = "vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0";

/// The security methods the session API accepts: tokens always, cookie and certificate with
/// the CADC password services.
fn session_methods(cfg: &SimConfig) -> &'static [&'static str] {
    if cfg.password_services {
        &[COOKIE, CERT, TOKEN]
    } else {
        &[TOKEN]
    }
}

pub async fn skaha_caps(State(app): State<Arc<App>>, req: Request) -> Response {
    let base = format!("{}/skaha", Ctx::of(&req).origin);
    let methods = session_methods(&app.cfg);
    let mut caps = vosi_basics(&base);
    if app.cfg.api.v1 {
        for (std, path) in [
            ("http://www.opencadc.org/std/platform#session-1", "session"),
            ("http://www.opencadc.org/std/platform#context-1", "context"),
            ("http://www.opencadc.org/std/platform#image-1", "image"),
            (
                "http://www.opencadc.org/std/platform#repository-1",
                "repository",
            ),
        ] {
            caps.push(capability(
                std,
                &format!("{base}/v1/{path}"),
                "base",
                methods,
            ));
        }
    }
    if app.cfg.api.v0 {
        // As the SRCNet nodes publish it: the API base, not the session collection.
        caps.push(capability(
            LEGACY_SESSIONS,
            &format!("{base}/v0"),
            "base",
            methods,
        ));
    }
    xml(document(&caps))
}

pub async fn cred_caps(State(_app): State<Arc<App>>, req: Request) -> Response {
    let base = format!("{}/cred", Ctx::of(&req).origin);
    let mut caps = vosi_basics(&base);
    caps.push(capability(
        "ivo://ivoa.net/std/CDP#proxy-1.0",
        &format!("{base}/generate"),
        "base",
        &[COOKIE, CERT, TOKEN, BASIC],
    ));
    xml(document(&caps))
}

pub async fn ac_caps(State(_app): State<Arc<App>>, req: Request) -> Response {
    let base = format!("{}/ac", Ctx::of(&req).origin);
    let mut caps = vosi_basics(&base);
    caps.push(capability(
        "ivo://ivoa.net/std/UMS#login-0.1",
        &format!("{base}/login"),
        "full",
        &[],
    ));
    caps.push(capability(
        "ivo://ivoa.net/std/UMS#whoami-0.1",
        &format!("{base}/whoami"),
        "full",
        &[COOKIE, CERT, TOKEN],
    ));
    xml(document(&caps))
}

pub async fn availability(State(_app): State<Arc<App>>) -> Response {
    xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vosi:availability xmlns:vosi=\"http://www.ivoa.net/xml/VOSIAvailability/v1.0\">\n  <vosi:available>true</vosi:available>\n  <vosi:note>Skaha Service Available. (skyport-sim)</vosi:note>\n</vosi:availability>\n".to_string())
}

/// The storage's capabilities: its nodes and files (base URLs), with the platform's methods.
pub fn arc_caps(app: &App, origin: &str) -> Response {
    let base = format!("{origin}/arc");
    let methods = session_methods(&app.cfg);
    let mut caps = vosi_basics(&base);
    caps.push(capability(
        "ivo://ivoa.net/std/VOSpace/v2.0#nodes",
        &format!("{base}/nodes"),
        "base",
        methods,
    ));
    caps.push(capability(
        "ivo://ivoa.net/std/VOSpace#files-proto",
        &format!("{base}/files"),
        "base",
        methods,
    ));
    caps.push(capability(
        "ivo://ivoa.net/std/VOSpace/v2.0#transfers",
        &format!("{base}/transfers"),
        "full",
        methods,
    ));
    xml(document(&caps))
}

/// This deployment's lines in a registry (`<id> = <capabilities URL>`), relative to
/// `origin`: the session service, and the login and credential services when it has them.
pub fn registry_lines(cfg: &SimConfig, origin: &str) -> String {
    let ns = cfg.authority.trim_end_matches('/');
    let mut s = format!("{ns}/skaha = {origin}/skaha/capabilities\n");
    if cfg.storage {
        s.push_str(&format!("{ns}/arc = {origin}/arc/capabilities\n"));
    }
    if cfg.password_services {
        s.push_str(&format!(
            "{ns}/cred = {origin}/cred/capabilities\n{ns}/gms = {origin}/ac/capabilities\n{ns}/ac = {origin}/ac/capabilities\n"
        ));
    }
    s
}

/// `resourceID = capabilitiesURL` lines, as the CADC registry serves them.
pub async fn resource_caps(State(app): State<Arc<App>>, req: Request) -> Response {
    let o = Ctx::of(&req).origin;
    let body = format!("# skyport-sim registry\n{}", registry_lines(&app.cfg, &o));
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    r
}
