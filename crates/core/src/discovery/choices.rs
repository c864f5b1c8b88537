//! The platforms a user can choose from at first run and under Platforms, and in
//! `skyport platforms`: what the registries list, each probed at once, with a list shipped
//! with Skyport standing in for a registry that cannot be read (and saying so).

use serde::Serialize;

use super::{nodes, Discoverer, Probe, CADC_REGISTRY, SRCNET_REGISTRY};

/// Points Skyport at other registries than CANFAR's and SRCNet's (space-separated
/// resource-caps URLs): for a local demo or test deployment.
pub const REGISTRY_ENV: &str = "SKYPORT_REGISTRY";

/// The platforms whose addresses are known without a registry (discovery.md §1.5), for
/// when their registry cannot be read: (registry, id, service URL).
const SHIPPED: [(&str, &str, &str); 4] = [
    (
        CADC_REGISTRY,
        "ivo://cadc.nrc.ca/skaha",
        "https://ws-uv.canfar.net/skaha",
    ),
    (
        SRCNET_REGISTRY,
        "ivo://canfar.net/src/skaha",
        "https://src.canfar.net/skaha",
    ),
    (
        SRCNET_REGISTRY,
        "ivo://swesrc.chalmers.se/skaha",
        "https://services.swesrc.chalmers.se/skaha",
    ),
    (
        SRCNET_REGISTRY,
        "ivo://canfar.cam.uksrc.org/skaha",
        "https://canfar.cam.uksrc.org/skaha",
    ),
];

/// One platform to choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    /// `canfar`, `sweSRC`, …
    pub name: String,
    /// Its registry id, `ivo://cadc.nrc.ca/skaha`.
    pub id: String,
    /// Its session service, `https://ws-uv.canfar.net/skaha`.
    pub service: String,
    /// The registry that lists it (resource-caps URL).
    pub registry: String,
    /// An SRCNet node (signs in through SKA IAM).
    pub srcnet: bool,
    /// From the list shipped with Skyport, because the registry could not be read.
    pub shipped: bool,
    /// Runs on this computer (a local demo or test platform: its registry is on loopback).
    pub local: bool,
    /// How its session service answered just now.
    pub probe: Probe,
}

/// What the registries list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Choices {
    pub platforms: Vec<Choice>,
    /// Each registry that could not be read, in words (what stands in for it is marked
    /// `shipped`).
    pub problems: Vec<String>,
}

/// The registries to read: `SKYPORT_REGISTRY` when set, else CANFAR's and SRCNet's; then
/// those of the platforms running on this computer ([`local`](super::local)).
pub fn registries_from_env() -> Vec<String> {
    let mut registries: Vec<String> = match std::env::var(REGISTRY_ENV) {
        Ok(v) if !v.trim().is_empty() => v.split_whitespace().map(str::to_string).collect(),
        _ => vec![CADC_REGISTRY.to_string(), SRCNET_REGISTRY.to_string()],
    };
    for a in super::local::announced() {
        if !registries.contains(&a.registry) {
            registries.push(a.registry);
        }
    }
    registries
}

/// Reads every registry (development deployments only when `development`), then probes
/// every platform at once: a slow one does not hold up the others.
pub async fn choices(d: &Discoverer, registries: &[String], development: bool) -> Choices {
    let mut found: Vec<(nodes::Listed, String, bool)> = Vec::new();
    let mut problems = Vec::new();
    for registry in registries {
        match d.listed(registry, development).await {
            Ok(listed) => found.extend(listed.into_iter().map(|l| (l, registry.clone(), false))),
            Err(e) => {
                let stand_in: Vec<_> = SHIPPED
                    .iter()
                    .filter(|(r, _, _)| r == registry)
                    .map(|(_, id, service)| nodes::Listed {
                        id: (*id).to_string(),
                        name: nodes::name_for(id),
                        service: (*service).to_string(),
                    })
                    .collect();
                problems.push(if stand_in.is_empty() {
                    e.to_string()
                } else {
                    format!("{e} The platforms below marked \"known address\" come from the list shipped with Skyport.")
                });
                found.extend(stand_in.into_iter().map(|l| (l, registry.clone(), true)));
            }
        }
    }
    let answers = crate::concurrent::all(found.iter().map(|(l, _, _)| {
        let (d, service) = (d.clone(), l.service.clone());
        async move { d.probe(&service).await }
    }))
    .await;
    let platforms = found
        .into_iter()
        .zip(answers)
        .map(|((l, registry, shipped), probe)| Choice {
            srcnet: registry == SRCNET_REGISTRY || nodes::is_srcnet(&l.id),
            local: super::local::is_local(&registry),
            name: l.name,
            id: l.id,
            service: l.service,
            registry,
            shipped,
            probe: probe.unwrap_or_else(Probe::unfinished),
        })
        .collect();
    Choices {
        platforms,
        problems,
    }
}
