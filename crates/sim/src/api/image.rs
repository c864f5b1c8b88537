//! `/skaha/v1/image`, `/skaha/v1/context`, `/skaha/v1/repository`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::params::Params;
use super::session::json_ok;
use super::Ctx;
use crate::app::App;
use crate::errors::{ApiError, ApiResult};
use crate::store::Kind;

#[derive(Serialize)]
struct ImageJson<'a> {
    id: &'a str,
    types: &'a [String],
    digest: String,
}

fn respond(r: ApiResult<Response>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

pub async fn images(State(app): State<Arc<App>>, req: Request) -> Response {
    respond(images_inner(&app, req).await)
}

async fn images_inner(app: &Arc<App>, req: Request) -> ApiResult<Response> {
    let ctx = Ctx::of(&req);
    ctx.require_skaha(app)?;
    let (p, _) = Params::read(req, app.cfg.max_body_bytes).await;
    let kind = match p.text("type") {
        Some(t) => Some(
            Kind::parse(t.trim())
                .ok_or_else(|| ApiError::bad(format!("unknown type: {t}")))?
                .as_str(),
        ),
        None => None,
    };
    let list: Vec<ImageJson> = app
        .cfg
        .images
        .iter()
        .filter(|i| kind.is_none_or(|k| i.types.iter().any(|t| t == k)))
        .map(|i| ImageJson {
            id: &i.id,
            types: &i.types,
            digest: format!("sha256:{:x}", Sha256::digest(i.id.as_bytes())),
        })
        .collect();
    json_ok(&list)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextJson<'a> {
    cores: Options<'a>,
    #[serde(rename = "memoryGB")]
    memory_gb: Options<'a>,
    gpus: GpuOptions<'a>,
    max_interactive_sessions: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Options<'a> {
    default: u32,
    default_request: u32,
    default_limit: u32,
    options: &'a [u32],
}

#[derive(Serialize)]
struct GpuOptions<'a> {
    options: &'a [u32],
}

pub async fn context(State(app): State<Arc<App>>, req: Request) -> Response {
    let ctx = Ctx::of(&req);
    respond(ctx.require_skaha(&app).and_then(|_| {
        let c = &app.cfg.context;
        json_ok(&ContextJson {
            cores: Options {
                default: c.cores_default,
                default_request: c.cores_default_request,
                default_limit: c.cores_default_limit,
                options: &c.cores_options,
            },
            memory_gb: Options {
                default: c.ram_default,
                default_request: c.ram_default_request,
                default_limit: c.ram_default_limit,
                options: &c.ram_options,
            },
            gpus: GpuOptions {
                options: &c.gpu_options,
            },
            max_interactive_sessions: app.cfg.max_interactive_sessions,
        })
    }))
}

pub async fn repository(State(app): State<Arc<App>>, req: Request) -> Response {
    let ctx = Ctx::of(&req);
    respond(
        ctx.require_skaha(&app)
            .and_then(|_| json_ok(&app.cfg.registry_hosts)),
    )
}
