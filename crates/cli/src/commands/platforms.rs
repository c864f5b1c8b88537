//! `platforms`: what the registries list, and whether each platform answers; and the
//! discovery behind `profiles add --discover` / `--srcnet`.

use serde_json::json;
use skyport_core::discovery::cache::Cache;
use skyport_core::discovery::choices::{choices, registries_from_env};
use skyport_core::discovery::{
    nodes, Discovered, Discoverer, Probe, Target, CADC_REGISTRY, SRCNET_REGISTRY,
};
use skyport_core::error::ErrorCode;
use skyport_core::http::{build_client, HttpOptions};

use crate::cli::PlatformsArgs;
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{json as print_json, note, warn, Table};

/// A discoverer with the CLI's timeout and the shared discovery cache.
pub fn discoverer(ctx: &Ctx) -> CliResult<Discoverer> {
    let http = build_client(HttpOptions {
        timeout: ctx.timeout,
        ..Default::default()
    })?;
    let cache = Cache::new(ctx.paths.cache_dir.join("discovery"));
    Ok(Discoverer::new(http, Some(cache)))
}

pub async fn platforms(ctx: &Ctx, a: &PlatformsArgs) -> CliResult {
    let d = discoverer(ctx)?;
    let registries = if a.registry.is_empty() {
        registries_from_env()
    } else {
        a.registry.clone()
    };
    let found = choices(&d, &registries, a.dev).await;
    if ctx.json {
        let v: Vec<_> = found
            .platforms
            .iter()
            .map(|c| {
                json!({
                    "name": c.name, "id": c.id, "url": c.service, "registry": c.registry,
                    "srcnet": c.srcnet, "knownAddress": c.shipped, "local": c.local,
                    "reachable": c.probe.reachable,
                    "latencyMs": c.probe.latency_ms,
                    "problem": c.probe.detail,
                })
            })
            .collect();
        print_json(&v)?;
    } else if !found.platforms.is_empty() {
        let mut t = Table::new(&["NAME", "URL", "REACHABLE", "ID"]);
        for c in &found.platforms {
            let reach = match &c.probe {
                Probe {
                    reachable: true,
                    latency_ms,
                    ..
                } => format!("yes ({} ms)", latency_ms.unwrap_or_default()),
                Probe { detail, .. } => {
                    format!("no: {}", detail.as_deref().unwrap_or("no answer"))
                }
            };
            let name = match (c.shipped, c.local) {
                (true, _) => format!("{} (known address)", c.name),
                (_, true) => format!("{} (this computer)", c.name),
                _ => c.name.clone(),
            };
            t.row(vec![name, c.service.clone(), reach, c.id.clone()]);
        }
        t.print()?;
        note("Add one with `skyport profiles add NAME --discover ID` (or `--srcnet NAME`).");
    }
    for p in &found.problems {
        warn(p);
    }
    if found.platforms.is_empty() && !found.problems.is_empty() {
        return Err(CliError::new(
            ErrorCode::PlatformUnreachable,
            "no registry could be read (see above)",
        ));
    }
    Ok(())
}

/// Discover what `profiles add` was pointed at.
pub async fn discover(
    ctx: &Ctx,
    discover: Option<&str>,
    registry: Option<&str>,
    srcnet: Option<&str>,
) -> CliResult<Discovered> {
    let d = discoverer(ctx)?;
    let target = match (discover, srcnet) {
        (_, Some(node)) => {
            let registry = registry.unwrap_or(SRCNET_REGISTRY);
            let listed = d.listed(registry, true).await?;
            let found = nodes::find(&listed, node).ok_or_else(|| {
                let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
                CliError::new(
                    ErrorCode::NotFound,
                    format!(
                        "the SRCNet registry lists no node {node:?}; it lists {}",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                )
            })?;
            Target::Resource {
                id: found.id.clone(),
                registry: registry.to_string(),
            }
        }
        (Some(t), None) if t.trim().starts_with("ivo://") => Target::Resource {
            id: t.trim().to_string(),
            registry: registry.unwrap_or(CADC_REGISTRY).to_string(),
        },
        (Some(t), None) => Target::Service(t.trim().to_string()),
        (None, None) => {
            return Err(CliError::usage(
                "give a service URL, --discover URL|ID or --srcnet NODE",
            ))
        }
    };
    Ok(d.platform(&target).await?)
}
