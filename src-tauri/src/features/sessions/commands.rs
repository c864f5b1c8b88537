//! Session commands: thin adapters over [`super::actions`] and the poller.

use skyport_core::error::ErrorPayload;
use skyport_core::keepalive::KeepAlive;
use skyport_core::sessions::{PruneRule, SessionsSnapshot};
use skyport_core::skaha::{Session, SessionEvent};
use skyport_core::timeline::{self, Expiry};
use skyport_core::why::{self, Why};
use tauri::{AppHandle, State};

use super::actions::{
    self, id, BulkOutcome, LaunchForm, LaunchMemoryView, LaunchOptions, LaunchOutcome,
    PlatformLoad, SessionUsage,
};
use super::SessionsHub;
use crate::kernel::{payload, Bus, Platform};

/// The current list (as last fetched); the UI also receives `SessionsUpdated` events.
#[tauri::command]
#[specta::specta]
pub fn sessions_snapshot(bus: State<'_, Bus>) -> SessionsSnapshot {
    bus.sessions()
}

/// Fetch the list now.
#[tauri::command]
#[specta::specta]
pub async fn refresh_sessions(app: AppHandle) -> SessionsSnapshot {
    super::poller::refresh_now(&app).await.0
}

#[tauri::command]
#[specta::specta]
pub async fn session_details(
    platform: State<'_, Platform>,
    session_id: String,
) -> Result<Session, ErrorPayload> {
    platform
        .client()?
        .get_session(&id(&session_id)?)
        .await
        .map_err(payload)
}

#[tauri::command]
#[specta::specta]
pub async fn session_logs(
    platform: State<'_, Platform>,
    session_id: String,
) -> Result<String, ErrorPayload> {
    platform
        .client()?
        .logs(&id(&session_id)?)
        .await
        .map_err(payload)
}

#[tauri::command]
#[specta::specta]
pub async fn session_events(
    platform: State<'_, Platform>,
    session_id: String,
) -> Result<Vec<SessionEvent>, ErrorPayload> {
    platform
        .client()?
        .events(&id(&session_id)?)
        .await
        .map_err(payload)
}

/// Why a session waits or failed, read from its events, the platform's load and the quota;
/// `None` when nothing holds it.
#[tauri::command]
#[specta::specta]
pub async fn session_why(
    platform: State<'_, Platform>,
    session_id: String,
) -> Result<Option<Why>, ErrorPayload> {
    let client = platform.client()?;
    let (_, why) = why::ask(&client, &id(&session_id)?)
        .await
        .map_err(payload)?;
    Ok(why)
}

/// Everything that runs out — the certificate, the sign-in, each session — soonest first,
/// with what answers it.
#[tauri::command]
#[specta::specta]
pub fn expiry_timeline(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    bus: State<'_, Bus>,
    settings: State<'_, crate::kernel::SettingsStore>,
) -> Vec<Expiry> {
    let profile = platform.profile().ok();
    let name = profile
        .as_ref()
        .map(|p| p.name.as_str())
        .unwrap_or_default();
    let sign_in = profile
        .as_ref()
        .and_then(|p| skyport_core::auth::oidc::load_record(&platform.paths, &p.name));
    let rules: Vec<KeepAlive> = hub
        .rules(&platform.paths)
        .of_profile(name)
        .cloned()
        .collect();
    let cert = bus.cert();
    let snap = bus.sessions.borrow();
    timeline::build(
        &timeline::Sources {
            cert: cert.as_ref().and_then(|c| c.info()),
            cert_auto_renew: settings.get().auto_renew_cert,
            sign_in: sign_in.as_ref(),
            sessions: &snap.sessions,
            rules: &rules,
        },
        chrono::Utc::now(),
    )
}

/// The keep-alive rules of the platform in use.
#[tauri::command]
#[specta::specta]
pub fn keep_alive_rules(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
) -> Result<Vec<KeepAlive>, ErrorPayload> {
    let profile = platform.profile()?;
    Ok(hub
        .rules(&platform.paths)
        .of_profile(&profile.name)
        .cloned()
        .collect())
}

/// Keep a session alive while Skyport runs, up to `days` days (renewed when less than a day
/// is left, as far as the platform allows); `None` stops keeping it.
#[tauri::command]
#[specta::specta]
pub async fn set_keep_alive(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    session_id: String,
    days: Option<u32>,
) -> Result<Option<KeepAlive>, ErrorPayload> {
    let profile = platform.profile()?;
    let Some(days) = days else {
        super::keep_alive::stop_rule(&hub, &platform.paths, &profile.name, &session_id);
        return Ok(None);
    };
    let session = platform
        .client()?
        .get_session(&id(&session_id)?)
        .await
        .map_err(payload)?;
    let rule = super::keep_alive::set_rule(
        &hub,
        &platform.paths,
        &profile.name,
        &session,
        Some(days),
        chrono::Utc::now(),
    )?;
    // Looked at on the next poll, now.
    hub.poke();
    Ok(rule)
}

/// Renew, then return the session with its new expiry.
#[tauri::command]
#[specta::specta]
pub async fn renew_session(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    session_id: String,
) -> Result<Session, ErrorPayload> {
    actions::renew(&platform, &hub, &session_id).await
}

/// Delete one or more sessions; each gets its own outcome.
#[tauri::command]
#[specta::specta]
pub async fn delete_sessions(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    session_ids: Vec<String>,
) -> Result<Vec<BulkOutcome>, ErrorPayload> {
    actions::delete(&platform, &hub, session_ids).await
}

/// The sessions a prune rule would delete (the UI shows them before confirming).
#[tauri::command]
#[specta::specta]
pub fn prune_preview(bus: State<'_, Bus>, rule: PruneRule) -> Result<Vec<Session>, ErrorPayload> {
    actions::prune_preview(&bus, &rule)
}

#[tauri::command]
#[specta::specta]
pub async fn launch_options(platform: State<'_, Platform>) -> Result<LaunchOptions, ErrorPayload> {
    actions::launch_options(&platform).await
}

/// The catalogue kept from the last visit to this platform, shown while a fresh one comes.
#[tauri::command]
#[specta::specta]
pub fn cached_launch_options(
    platform: State<'_, Platform>,
    bus: State<'_, Bus>,
) -> Option<LaunchOptions> {
    actions::cached_launch_options(&platform, &bus)
}

/// The presets and recent launches of the platform in use (shared with `skyport presets`).
#[tauri::command]
#[specta::specta]
pub async fn launch_memory(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
) -> Result<LaunchMemoryView, ErrorPayload> {
    actions::launch_memory(&platform, &hub)
}

/// What a session used over its life (watched by the poller), and the size that would
/// have fitted; `None` when it has not been seen running.
#[tauri::command]
#[specta::specta]
pub fn session_usage(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    session_id: String,
) -> Result<Option<SessionUsage>, ErrorPayload> {
    actions::session_usage(&platform, &hub, &session_id)
}

/// Save the form as a named preset, for this platform or any.
#[tauri::command]
#[specta::specta]
pub async fn save_preset(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    name: String,
    any_platform: bool,
    form: LaunchForm,
) -> Result<LaunchMemoryView, ErrorPayload> {
    actions::save_preset(&platform, &hub, name, any_platform, form)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_preset(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    name: String,
) -> Result<LaunchMemoryView, ErrorPayload> {
    actions::remove_preset(&platform, &hub, &name)
}

#[tauri::command]
#[specta::specta]
pub async fn launch_session(
    platform: State<'_, Platform>,
    hub: State<'_, SessionsHub>,
    form: LaunchForm,
) -> Result<Vec<LaunchOutcome>, ErrorPayload> {
    actions::launch(&platform, &hub, form).await
}

/// Whether a registry secret is remembered for this image's registry and user.
#[tauri::command]
#[specta::specta]
pub fn registry_secret_saved(
    platform: State<'_, Platform>,
    image: String,
    username: String,
) -> bool {
    actions::registry_secret_saved(&platform, &image, &username)
}

#[tauri::command]
#[specta::specta]
pub async fn platform_load(
    platform: State<'_, Platform>,
    bus: State<'_, Bus>,
) -> Result<PlatformLoad, ErrorPayload> {
    actions::platform_load(&platform, &bus).await
}
