//! `platforms`: what the registries list, and whether each platform answers; and the
//! discovery behind `profiles add --discover` / `--srcnet`.

use serde_json::json;
use skyport_core::discovery::cache::Cache;
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
    let registries: Vec<String> = if a.registry.is_empty() {
        vec![CADC_REGISTRY.to_string(), SRCNET_REGISTRY.to_string()]
    } else {
        a.registry.clone()
    };
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for registry in &registries {
        match d.listed(registry, a.dev).await {
            Ok(listed) => rows.extend(listed.into_iter().map(|l| (registry.clone(), l))),
            Err(e) => failed.push(e),
        }
    }
    // Ask every platform at once: a slow one must not hold up the others.
    let mut probes = tokio::task::JoinSet::new();
    for (i, (_, l)) in rows.iter().enumerate() {
        let (d, service) = (d.clone(), l.service.clone());
        probes.spawn(async move { (i, d.probe(&service).await) });
    }
    let mut answers: Vec<Option<Probe>> = vec![None; rows.len()];
    while let Some(r) = probes.join_next().await {
        if let Ok((i, p)) = r {
            answers[i] = Some(p);
        }
    }
    if ctx.json {
        let v: Vec<_> = rows
            .iter()
            .zip(&answers)
            .map(|((registry, l), p)| {
                json!({
                    "name": l.name, "id": l.id, "url": l.service, "registry": registry,
                    "reachable": p.as_ref().is_some_and(|p| p.reachable),
                    "latencyMs": p.as_ref().and_then(|p| p.latency_ms),
                    "problem": p.as_ref().and_then(|p| p.detail.clone()),
                })
            })
            .collect();
        print_json(&v)?;
    } else if !rows.is_empty() {
        let mut t = Table::new(&["NAME", "URL", "REACHABLE", "ID"]);
        for ((_, l), p) in rows.iter().zip(&answers) {
            let reach = match p {
                Some(Probe {
                    reachable: true,
                    latency_ms,
                    ..
                }) => format!("yes ({} ms)", latency_ms.unwrap_or_default()),
                Some(Probe { detail, .. }) => {
                    format!("no: {}", detail.as_deref().unwrap_or("no answer"))
                }
                None => "no: the check did not finish".into(),
            };
            t.row(vec![l.name.clone(), l.service.clone(), reach, l.id.clone()]);
        }
        t.print()?;
        note("Add one with `skyport profiles add NAME --discover ID` (or `--srcnet NAME`).");
    }
    for e in &failed {
        warn(&e.to_string());
    }
    match failed.into_iter().next() {
        Some(e) if rows.is_empty() => Err(e.into()),
        _ => Ok(()),
    }
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
