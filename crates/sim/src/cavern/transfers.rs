//! Moves, as cavern runs them (vospace.md §3.4): `POST /arc/transfers` with a transfer
//! document (`target` the node, `direction` where it goes, `keepBytes` false) makes a UWS
//! job and answers 303 to it; `POST …/{id}/phase` with `PHASE=RUN` runs it; `GET …/{id}`,
//! `…/phase` and `…/error` read it. Into an existing folder the node keeps its name; onto a
//! missing name it is renamed; onto an existing file the job fails with `DuplicateNode`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::write::normal_uri;
use super::{caller, fault, parent_of, vos_prefix, xml, Cavern};
use crate::api::Ctx;
use crate::app::App;

#[derive(Debug, Clone)]
pub struct Job {
    owner: Option<String>,
    target: String,
    direction: String,
    keep_bytes: bool,
    phase: &'static str,
    error: Option<String>,
    destination: Option<String>,
}

/// The text of `<vos:{name}>…</vos:{name}>`.
fn element<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<vos:{name}>");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&format!("</vos:{name}>"))?;
    Some(doc[start..end].trim())
}

fn see_other(location: String) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// `POST /arc/transfers`.
pub async fn create(State(app): State<Arc<App>>, req: Request) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let origin = Ctx::of(&req).origin;
    let body = match http_body_util::Limited::new(req.into_body(), 32 * 1024)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => return fault(StatusCode::BAD_REQUEST, "InvalidArgument: too large".into()),
    };
    let doc = String::from_utf8_lossy(&body);
    let (Some(target), Some(direction)) = (element(&doc, "target"), element(&doc, "direction"))
    else {
        return fault(
            StatusCode::BAD_REQUEST,
            "InvalidArgument: invalid input: no target or direction".into(),
        );
    };
    let id = format!("{:016x}", rand::random::<u64>());
    let job = Job {
        owner: user,
        target: super::write::unescape(target),
        direction: super::write::unescape(direction),
        keep_bytes: element(&doc, "keepBytes") == Some("true"),
        phase: "PENDING",
        error: None,
        destination: None,
    };
    app.cavern
        .jobs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), job);
    see_other(format!("{origin}/arc/transfers/{id}"))
}

/// `POST /arc/transfers/{id}/phase`: `PHASE=RUN` runs the move (at once: it is a rename).
pub async fn run(State(app): State<Arc<App>>, Path(id): Path<String>, req: Request) -> Response {
    let user = match caller(&app, &req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let origin = Ctx::of(&req).origin;
    let body = req.into_body().collect().await.map(|b| b.to_bytes());
    let run = body.is_ok_and(|b| {
        form_urlencoded::parse(&b).any(|(k, v)| k.eq_ignore_ascii_case("phase") && v == "RUN")
    });
    let prefix = vos_prefix(&app.cfg.authority);
    let mut jobs = app.cavern.jobs.lock().unwrap_or_else(|e| e.into_inner());
    let Some(job) = jobs.get_mut(&id).filter(|j| j.owner == user) else {
        return fault(StatusCode::NOT_FOUND, format!("job not found: {id}"));
    };
    if run && job.phase == "PENDING" {
        match app.cavern.rename(&prefix, job, user.as_deref()) {
            Ok(dest) => {
                job.phase = "COMPLETED";
                job.destination = Some(dest);
            }
            Err(e) => {
                job.phase = "ERROR";
                job.error = Some(e);
            }
        }
    }
    see_other(format!("{origin}/arc/transfers/{id}"))
}

/// `GET /arc/transfers/{id}/phase`.
pub async fn read_phase(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    answer(&app, &id, "phase", &req)
}

/// `GET /arc/transfers/{id}/error`.
pub async fn read_error(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    answer(&app, &id, "error", &req)
}

/// `GET /arc/transfers/{id}`: the UWS job.
pub async fn read(State(app): State<Arc<App>>, Path(id): Path<String>, req: Request) -> Response {
    answer(&app, &id, "", &req)
}

fn answer(app: &App, id: &str, part: &str, req: &Request) -> Response {
    let user = match caller(app, req) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let jobs = app.cavern.jobs.lock().unwrap_or_else(|e| e.into_inner());
    let Some(job) = jobs.get(id).filter(|j| j.owner == user) else {
        return fault(StatusCode::NOT_FOUND, format!("job not found: {id}"));
    };
    let text = |s: String| {
        let mut r = s.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        r
    };
    match part {
        "phase" => text(job.phase.to_string()),
        "error" => text(job.error.clone().unwrap_or_default()),
        "" => {
            let results = job
                .destination
                .as_ref()
                .map(|d| {
                    format!("  <uws:results>\n    <uws:result id=\"destination\" xlink:href=\"{d}\" />\n  </uws:results>\n")
                })
                .unwrap_or_default();
            let error = job
                .error
                .as_ref()
                .map(|e| {
                    format!("  <uws:errorSummary type=\"fatal\" hasDetail=\"true\">\n    <uws:message>{}</uws:message>\n  </uws:errorSummary>\n", e.replace('&', "&amp;").replace('<', "&lt;"))
                })
                .unwrap_or_default();
            xml(
                StatusCode::OK,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<uws:job xmlns:uws=\"http://www.ivoa.net/xml/UWS/v1.0\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\">\n  <uws:jobId>{id}</uws:jobId>\n  <uws:ownerId>{}</uws:ownerId>\n  <uws:phase>{}</uws:phase>\n{results}{error}</uws:job>\n",
                    job.owner.clone().unwrap_or_default(),
                    job.phase
                ),
            )
        }
        _ => fault(StatusCode::NOT_FOUND, format!("not found: {id}/{part}")),
    }
}

impl Cavern {
    /// The move of a job, or its error summary as cavern words it.
    fn rename(&self, prefix: &str, job: &Job, user: Option<&str>) -> Result<String, String> {
        if job.keep_bytes {
            return Err("copyNode is not implemented".into());
        }
        let path_of = |uri: &str| {
            normal_uri(uri)
                .strip_prefix(prefix)
                .and_then(super::clean)
                .ok_or_else(|| format!("InvalidURI: {uri}"))
        };
        let from = path_of(&job.target)?;
        let mut to = path_of(&job.direction)?;
        let mut t = self.tree.lock().unwrap_or_else(|e| e.into_inner());
        let Some(src) = t.get(&from) else {
            return Err(format!("NodeNotFound: {from}"));
        };
        let from_parent = parent_of(&from).unwrap_or("/");
        let may_take = from != "/"
            && src.quota.is_none()
            && t.get(from_parent)
                .is_some_and(|p| Cavern::writable(&t, from_parent, p, user));
        if !may_take {
            return Err(format!("PermissionDenied: {from}"));
        }
        match t.get(&to) {
            Some(d) if d.folder => {
                let name = from.rsplit('/').next().unwrap_or_default();
                to = format!("{}/{name}", to.trim_end_matches('/'));
                if t.contains_key(&to) {
                    return Err(format!("DuplicateNode: {to}"));
                }
            }
            Some(_) => {
                return Err(format!(
                    "DuplicateNode: destination is an existing DataNode: {to}"
                ))
            }
            None => {}
        }
        if to == from || to.starts_with(&format!("{from}/")) {
            return Err(format!(
                "InvalidArgument: Cannot move container node into its descendants: {from} -> {to}"
            ));
        }
        let to_parent = parent_of(&to).unwrap_or("/");
        match t.get(to_parent) {
            Some(p) if p.folder => {
                if !Cavern::writable(&t, to_parent, p, user) {
                    return Err(format!("PermissionDenied: {to_parent}"));
                }
            }
            _ => return Err(format!("ContainerNotFound: {to_parent}")),
        }
        let below = format!("{from}/");
        let moved: Vec<String> = t
            .range(from.clone()..)
            .take_while(|(k, _)| k.starts_with(from.as_str()))
            .map(|(k, _)| k.clone())
            .filter(|k| *k == from || k.starts_with(&below))
            .collect();
        for k in moved {
            if let Some(e) = t.remove(&k) {
                t.insert(format!("{to}{}", &k[from.len()..]), e);
            }
        }
        Ok(format!("{prefix}{to}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_documents_are_read() {
        let doc = r#"<vos:transfer xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" version="2.1"><vos:target>vos://a~arc/home/alice/a.txt</vos:target><vos:direction>vos://a~arc/home/alice/sub</vos:direction><vos:keepBytes>false</vos:keepBytes></vos:transfer>"#;
        assert_eq!(element(doc, "target"), Some("vos://a~arc/home/alice/a.txt"));
        assert_eq!(
            element(doc, "direction"),
            Some("vos://a~arc/home/alice/sub")
        );
        assert_eq!(element(doc, "keepBytes"), Some("false"));
        assert_eq!(element(doc, "protocol"), None);
    }
}
