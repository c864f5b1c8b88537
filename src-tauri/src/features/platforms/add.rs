//! Adding a platform: discover it, save its profile (atomically, beside the CLI's), make it
//! the one in use, and tell every feature.

use serde::{Deserialize, Serialize};
use skyport_core::config::Config;
use skyport_core::discovery::cache::Cache;
use skyport_core::discovery::choices::registries_from_env;
use skyport_core::discovery::{profile, Discoverer, Target, CADC_REGISTRY};
use skyport_core::error::{Coded, ErrorCode, ErrorPayload};
use skyport_core::http::{build_client, HttpOptions};

use tauri::{AppHandle, Manager, Runtime};

use crate::kernel::platform::Platform;

/// What the user chose.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PlatformChoice {
    /// A platform a registry lists.
    Listed { id: String, registry: String },
    /// "Another Skaha platform": a service URL or an `ivo://` id.
    Address { address: String },
}

/// The platform just added and in use.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AddedPlatform {
    /// The profile it was saved as.
    pub profile: String,
    pub display_name: String,
    pub service_url: String,
    /// It signs in with a CADC username and password (and gives certificates).
    pub password: bool,
    /// It signs in through an OpenID provider in the browser.
    pub browser: bool,
    /// What discovery could not find (storage, a companion service), in words.
    pub notes: Vec<String>,
}

/// A discoverer with the app's timeouts and its discovery cache.
pub fn discoverer(platform: &Platform) -> Result<Discoverer, ErrorPayload> {
    let http = build_client(HttpOptions {
        timeout: Some(std::time::Duration::from_secs(20)),
        ..Default::default()
    })
    .map_err(|e| ErrorPayload::from_coded(&e))?;
    let cache = Cache::new(platform.paths.cache_dir.join("discovery"));
    Ok(Discoverer::new(http, Some(cache)))
}

fn target(choice: PlatformChoice) -> Result<Target, ErrorPayload> {
    Ok(match choice {
        PlatformChoice::Listed { id, registry } => Target::Resource { id, registry },
        PlatformChoice::Address { address } => {
            let a = address.trim();
            if a.is_empty() {
                return Err(ErrorPayload::new(
                    ErrorCode::Validation,
                    "Give the platform's address (https://host/skaha) or its ivo:// id.",
                ));
            }
            if a.starts_with("ivo://") {
                // An id is looked up where the first registry in use keeps it.
                let registry = registries_from_env()
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| CADC_REGISTRY.to_string());
                Target::Resource {
                    id: a.to_string(),
                    registry,
                }
            } else {
                // A password typed into the address would be shown back in messages.
                if tauri::Url::parse(a)
                    .is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
                {
                    return Err(ErrorPayload::new(
                        ErrorCode::Validation,
                        "Give the address without a user name or password (https://host/skaha); you sign in next.",
                    ));
                }
                Target::Service(a.to_string())
            }
        }
    })
}

/// Discover, save, switch. A platform already saved under a profile is switched to and
/// refreshed, not added twice.
pub async fn add<R: Runtime>(
    app: &AppHandle<R>,
    choice: PlatformChoice,
) -> Result<AddedPlatform, ErrorPayload> {
    let platform = app.state::<Platform>();
    let d = discoverer(&platform)?;
    let found = d
        .platform(&target(choice)?)
        .await
        .map_err(|e| ErrorPayload::new(e.code(), e.to_string()))?;
    let added = Config::update(&platform.paths.config_file(), |cfg| {
        let existing = cfg
            .profiles
            .iter()
            .find(|(_, p)| profile::same_platform(p, &found))
            .map(|(n, _)| n.clone());
        let name = existing.unwrap_or_else(|| profile::free_name(cfg, &found));
        let mut p = cfg.profiles.get(&name).cloned().unwrap_or_default();
        profile::apply(&mut p, &found);
        let added = AddedPlatform {
            profile: name.clone(),
            display_name: p.display_name.clone().unwrap_or_else(|| name.clone()),
            service_url: p.url.clone(),
            password: p.login_url.is_some(),
            browser: p.oidc.is_some(),
            notes: found.notes.clone(),
        };
        cfg.upsert(&name, p)?;
        cfg.use_profile(&name)?;
        Ok::<_, skyport_core::config::ConfigError>(added)
    })
    .map_err(|e| ErrorPayload::from_coded(&e))?;
    let name = &added.profile;
    tracing::info!(profile = %name, service = %added.service_url, "platform added and in use");
    crate::kernel::platform_changed(app);
    Ok(added)
}
