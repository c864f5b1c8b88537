//! What the user does with sessions: look closer, renew, delete, prune, launch.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use skyport_core::catalogue::{Catalogue, CatalogueCache};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::keepalive::{self, KeepAlive};
use skyport_core::keyring::{EntryKey, SecretStoreExt};
use skyport_core::launch::{quota, Quota};
use skyport_core::presets::{LaunchMemory, LaunchSpec, Preset, RecentLaunch};
use skyport_core::secret::SecretString;
use skyport_core::sessions::PruneRule;
use skyport_core::skaha::{
    Context, CreateRequest, Image, ListQuery, PlatformStats, RegistryAuth, Resources, Session,
    SessionId, SessionKind,
};
use skyport_core::usage::{self, Fit, Track};

use super::SessionsHub;
use crate::kernel::{payload, Bus, Platform};

pub(super) fn id(s: &str) -> Result<SessionId, ErrorPayload> {
    SessionId::parse(s).map_err(payload)
}

/// Renew, then return the session with its new expiry.
pub async fn renew(
    platform: &Platform,
    hub: &SessionsHub,
    session_id: &str,
) -> Result<Session, ErrorPayload> {
    let client = platform.client()?;
    let sid = id(session_id)?;
    client.renew(&sid).await.map_err(payload)?;
    let s = client.get_session(&sid).await.map_err(payload)?;
    hub.poke();
    Ok(s)
}

/// The result for one session of a bulk action.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BulkOutcome {
    pub id: String,
    pub error: Option<ErrorPayload>,
}

/// Delete one or more sessions; each gets its own outcome.
pub async fn delete(
    platform: &Platform,
    hub: &SessionsHub,
    session_ids: Vec<String>,
) -> Result<Vec<BulkOutcome>, ErrorPayload> {
    let client = platform.client()?;
    let mut out = Vec::with_capacity(session_ids.len());
    for raw in session_ids {
        let error = match id(&raw) {
            Ok(sid) => client.delete(&sid).await.err().map(payload),
            Err(e) => Some(e),
        };
        out.push(BulkOutcome { id: raw, error });
    }
    hub.poke();
    Ok(out)
}

/// The sessions a prune rule would delete (the UI shows them before confirming).
pub fn prune_preview(bus: &Bus, rule: &PruneRule) -> Result<Vec<Session>, ErrorPayload> {
    let snap = bus.sessions();
    rule.select(&snap.sessions)
        .map(|v| v.into_iter().cloned().collect())
        .map_err(payload)
}

/// Everything the launch form needs.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchOptions {
    pub images: Vec<Image>,
    pub context: Context,
    pub repositories: Vec<String>,
    pub quota: Quota,
    /// Names of existing sessions, for suggesting a free default name.
    pub existing_names: Vec<String>,
    /// When the platform gave the catalogue.
    #[specta(type = String)]
    pub fetched_at: chrono::DateTime<Utc>,
    /// Whether this is the catalogue kept from an earlier visit (a fresh one follows).
    pub cached: bool,
}

pub async fn launch_options(platform: &Platform) -> Result<LaunchOptions, ErrorPayload> {
    let c = platform.client()?;
    let all = ListQuery::default();
    let (images, context, repositories, list) = tokio::join!(
        c.images(None),
        c.context(),
        c.repositories(),
        c.list_sessions(&all)
    );
    let context = context.map_err(payload)?;
    let list = list.map_err(payload)?;
    let catalogue = Catalogue {
        images: images.map_err(payload)?,
        context,
        // Older servers have no /repository; the form then offers free text only.
        repositories: repositories.unwrap_or_default(),
        fetched_at: Utc::now(),
    };
    if let Ok(profile) = platform.profile() {
        if let Err(e) = CatalogueCache::new(&platform.paths).store(&profile.name, &catalogue) {
            tracing::warn!(error = %e, "the image catalogue is not kept for next time");
        }
    }
    Ok(options(catalogue, &list.sessions, false))
}

fn options(catalogue: Catalogue, sessions: &[Session], cached: bool) -> LaunchOptions {
    LaunchOptions {
        quota: quota(sessions, &catalogue.context),
        existing_names: sessions.iter().map(|s| s.name.clone()).collect(),
        images: catalogue.images,
        context: catalogue.context,
        repositories: catalogue.repositories,
        fetched_at: catalogue.fetched_at,
        cached,
    }
}

/// The catalogue kept from the last visit to this platform, with the list as last polled:
/// the form shows it at once while `launch_options` asks the platform.
pub fn cached_launch_options(platform: &Platform, bus: &Bus) -> Option<LaunchOptions> {
    let profile = platform.profile().ok()?;
    let catalogue = CatalogueCache::new(&platform.paths).load(&profile.name)?;
    let snap = bus.sessions();
    Some(options(catalogue, &snap.sessions, true))
}

/// The presets and recent launches of the platform in use, each with the size its last
/// sessions would have fitted in, when that is not what it asks.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchMemoryView {
    pub presets: Vec<PresetEntry>,
    pub recent: Vec<RecentEntry>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PresetEntry {
    #[serde(flatten)]
    pub preset: Preset,
    pub fit: Option<Fit>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecentEntry {
    #[serde(flatten)]
    pub launch: RecentLaunch,
    pub fit: Option<Fit>,
}

pub fn launch_memory(
    platform: &Platform,
    hub: &SessionsHub,
) -> Result<LaunchMemoryView, ErrorPayload> {
    let profile = platform.profile()?;
    let memory = LaunchMemory::new(&platform.paths);
    let presets = memory.presets(&profile.name).map_err(payload)?;
    let recent = memory.recent(&profile.name).map_err(payload)?;
    let context = CatalogueCache::new(&platform.paths)
        .load(&profile.name)
        .map(|c| c.context);
    hub.with_usage(&platform.paths, |history| {
        let fit_of =
            |spec: &LaunchSpec| usage::fit_for(history, &profile.name, spec, context.as_ref());
        Ok(LaunchMemoryView {
            presets: presets
                .into_iter()
                .map(|preset| PresetEntry {
                    fit: fit_of(&preset.spec),
                    preset,
                })
                .collect(),
            recent: recent
                .into_iter()
                .map(|launch| RecentEntry {
                    fit: fit_of(&launch.spec),
                    launch,
                })
                .collect(),
        })
    })
}

/// What a session used over its life, and the size that would have fitted.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SessionUsage {
    pub track: Track,
    pub fit: Option<Fit>,
}

pub fn session_usage(
    platform: &Platform,
    hub: &SessionsHub,
    session_id: &str,
) -> Result<Option<SessionUsage>, ErrorPayload> {
    let profile = platform.profile()?;
    let Some(track) = hub.usage_of(&platform.paths, &profile.name, session_id) else {
        return Ok(None);
    };
    let context = CatalogueCache::new(&platform.paths)
        .load(&profile.name)
        .map(|c| c.context);
    let fit = usage::UsageHistory::asked(&track)
        .and_then(|(cores, ram)| usage::fit(&[&track], cores, ram, context.as_ref()));
    Ok(Some(SessionUsage { track, fit }))
}

/// Save the form as a preset (for this platform, or any); returns the presets now.
pub fn save_preset(
    platform: &Platform,
    hub: &SessionsHub,
    name: String,
    any_platform: bool,
    form: LaunchForm,
) -> Result<LaunchMemoryView, ErrorPayload> {
    let profile = platform.profile()?;
    let (req, replicas) = request(&form);
    let mut spec = LaunchSpec::of(&req, form.kind.clone(), replicas);
    spec.keep_alive_days = form.keep_alive_days;
    if form.name_is_default {
        spec.session_name.clear();
    }
    spec.registry_user = form
        .registry
        .map(|r| r.username.trim().to_string())
        .filter(|u| !u.is_empty());
    LaunchMemory::new(&platform.paths)
        .save(Preset {
            name: name.trim().to_string(),
            profile: (!any_platform).then(|| profile.name.clone()),
            spec,
        })
        .map_err(payload)?;
    launch_memory(platform, hub)
}

pub fn remove_preset(
    platform: &Platform,
    hub: &SessionsHub,
    name: &str,
) -> Result<LaunchMemoryView, ErrorPayload> {
    let profile = platform.profile()?;
    LaunchMemory::new(&platform.paths)
        .remove(&profile.name, name)
        .map_err(payload)?;
    launch_memory(platform, hub)
}

pub use skyport_core::presets::EnvVar;

/// Registry credentials for a private image; a secret typed now, or the one remembered.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RegistryForm {
    pub username: String,
    /// What the user typed; `None` to use the secret remembered in the keyring.
    pub secret: Option<String>,
    /// Keep the typed secret in the OS keyring for next time.
    pub remember: bool,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchForm {
    pub kind: SessionKind,
    pub image: String,
    pub name: String,
    pub resources: Resources,
    pub cmd: Option<String>,
    pub args: Option<String>,
    pub env: Vec<EnvVar>,
    pub replicas: u32,
    pub registry: Option<RegistryForm>,
    /// Keep the new sessions alive while Skyport runs, up to this many days.
    #[serde(default)]
    pub keep_alive_days: Option<u32>,
    /// The name is the form's default (the next free `<kind><n>`): a preset or a recent
    /// launch then takes the next free one again rather than this one.
    #[serde(default)]
    pub name_is_default: bool,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchOutcome {
    pub name: String,
    pub id: Option<String>,
    pub error: Option<ErrorPayload>,
    /// The form field a rejection is about (`cores`, `ram`, `gpus`, `name`, `image`, `registry`, `kind`).
    pub field: Option<String>,
}

fn registry_key(image: &str, username: &str) -> EntryKey {
    let host = image.split('/').next().unwrap_or(image);
    EntryKey::new(format!("registry:{host}"), username)
}

/// The request a form stands for (without registry credentials) and how many replicas;
/// options a kind does not take are dropped.
fn request(form: &LaunchForm) -> (CreateRequest, u32) {
    let is_headless = form.kind == SessionKind::Headless;
    let req = CreateRequest {
        name: form.name.trim().to_string(),
        image: form.image.trim().to_string(),
        kind: Some(form.kind.clone()),
        resources: form.resources.clone(),
        cmd: form.cmd.clone().filter(|_| is_headless),
        args: form.args.clone().filter(|_| is_headless),
        env: if is_headless {
            form.env
                .iter()
                .map(|e| (e.name.trim().to_string(), e.value.clone()))
                .collect()
        } else {
            vec![]
        },
        registry_auth: None,
    };
    let replicas = if is_headless {
        form.replicas.clamp(1, 512)
    } else {
        1
    };
    (req, replicas)
}

/// Note a launch among the recent ones (shared with `skyport presets recent`).
fn remember(platform: &Platform, req: &CreateRequest, replicas: u32, form: &LaunchForm) {
    let Ok(profile) = platform.profile() else {
        return;
    };
    let kind = req.kind.clone().unwrap_or(SessionKind::Headless);
    let mut spec = LaunchSpec {
        keep_alive_days: form.keep_alive_days,
        ..LaunchSpec::of(req, kind, replicas)
    };
    if form.name_is_default {
        spec.session_name.clear();
    }
    if let Err(e) = LaunchMemory::new(&platform.paths).record(&profile.name, &spec, Utc::now()) {
        tracing::warn!(error = %e, "this launch is not among the recent launches");
    }
}

pub async fn launch(
    platform: &Platform,
    hub: &SessionsHub,
    mut form: LaunchForm,
) -> Result<Vec<LaunchOutcome>, ErrorPayload> {
    let client = platform.client()?;
    let registry_auth = match form.registry.take() {
        None => None,
        Some(r) if r.username.trim().is_empty() => None,
        Some(r) => {
            let key = registry_key(&form.image, r.username.trim());
            let secret = match r.secret.filter(|s| !s.is_empty()) {
                Some(typed) => {
                    let typed = SecretString::new(typed);
                    if r.remember {
                        platform.secrets.set(&key, &typed).map_err(payload)?;
                    }
                    typed
                }
                None => platform
                    .secrets
                    .get(&key)
                    .map_err(payload)?
                    .ok_or_else(|| {
                        ErrorPayload::new(
                            ErrorCode::Validation,
                            format!(
                                "No registry secret is remembered for {}; type it in.",
                                r.username.trim()
                            ),
                        )
                    })?,
            };
            Some(RegistryAuth {
                username: r.username.trim().to_string(),
                secret,
            })
        }
    };
    let (mut req, replicas) = request(&form);
    req.registry_auth = registry_auth;
    // A preset saved by the CLI may name `project/image:tag`: the platform's registry
    // completes it, as `skyport create` does.
    if req.image.split('/').count() == 2 {
        let registry = platform
            .profile()
            .ok()
            .and_then(|p| CatalogueCache::new(&platform.paths).load(&p.name))
            .and_then(|c| c.repositories.into_iter().find(|r| !r.trim().is_empty()))
            .unwrap_or_else(|| skyport_core::launch::DEFAULT_REGISTRY.to_string());
        req.image =
            skyport_core::launch::normalize_image(&req.image, &registry).map_err(payload)?;
    }
    if let Some(days) = form.keep_alive_days {
        keepalive::check_days(days).map_err(|m| ErrorPayload::new(ErrorCode::Validation, m))?;
    }
    let results = client.create_replicas(&req, replicas).await;
    if results.iter().any(|(_, r)| r.is_ok()) {
        remember(platform, &req, replicas, &form);
    }
    if let (Some(days), Ok(profile)) = (form.keep_alive_days, platform.profile()) {
        let now = Utc::now();
        hub.with_rules(&platform.paths, |rules| {
            for (name, id) in results
                .iter()
                .filter_map(|(name, r)| r.as_ref().ok().map(|id| (name, id)))
            {
                if let Ok(rule) = KeepAlive::new(
                    &profile.name,
                    id.as_str(),
                    name,
                    days,
                    keepalive::DEFAULT_WITHIN_HOURS,
                    now,
                ) {
                    rules.set(rule);
                }
            }
            ((), true)
        });
    }
    hub.poke();
    Ok(results
        .into_iter()
        .map(|(name, r)| match r {
            Ok(id) => LaunchOutcome {
                name,
                id: Some(id.0),
                error: None,
                field: None,
            },
            Err(e) => LaunchOutcome {
                name,
                id: None,
                field: e.field().map(str::to_string),
                error: Some(payload(e)),
            },
        })
        .collect())
}

/// Whether a registry secret is remembered for this image's registry and user.
pub fn registry_secret_saved(platform: &Platform, image: &str, username: &str) -> bool {
    matches!(
        platform.secrets.get(&registry_key(image, username.trim())),
        Ok(Some(_))
    )
}

/// Platform load and the user's quota use.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlatformLoad {
    pub stats: PlatformStats,
    pub quota: Quota,
    #[specta(type = String)]
    pub as_of: chrono::DateTime<chrono::Utc>,
}

pub async fn platform_load(platform: &Platform, bus: &Bus) -> Result<PlatformLoad, ErrorPayload> {
    let c = platform.client()?;
    let (stats, ctx) = tokio::join!(c.stats(), c.context());
    let sessions = bus.sessions().sessions;
    Ok(PlatformLoad {
        stats: stats.map_err(payload)?,
        quota: quota(&sessions, &ctx.unwrap_or_default()),
        as_of: chrono::Utc::now(),
    })
}
