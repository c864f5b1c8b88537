//! Platform commands: thin adapters over `add` and core's discovery and profiles.

use skyport_core::canfar_import::{self, ImportPreview, ImportReport};
use skyport_core::config::Config;
use skyport_core::discovery::check::{check, ConnectionCheck};
use skyport_core::discovery::choices::{choices, registries_from_env, Choices};
use skyport_core::error::ErrorPayload;
use skyport_core::profiles::{self, ProfileSummary, Removed};
use tauri::{AppHandle, State};

use super::add::{self, AddedPlatform, PlatformChoice};
use crate::kernel::platform::Platform;
use crate::kernel::{payload, platform_changed};

/// The platforms the registries list, each checked just now.
#[tauri::command]
#[specta::specta]
pub async fn platform_choices(platform: State<'_, Platform>) -> Result<Choices, ErrorPayload> {
    let d = add::discoverer(&platform)?;
    Ok(choices(&d, &registries_from_env(), false).await)
}

/// Discover the chosen platform, save it as a profile and switch to it.
#[tauri::command]
#[specta::specta]
pub async fn add_platform(
    app: AppHandle,
    choice: PlatformChoice,
) -> Result<AddedPlatform, ErrorPayload> {
    add::add(&app, choice).await
}

/// Every saved platform, with who is signed in there.
#[tauri::command]
#[specta::specta]
pub fn list_profiles(platform: State<'_, Platform>) -> Result<Vec<ProfileSummary>, ErrorPayload> {
    let cfg = Config::load(&platform.paths.config_file()).map_err(payload)?;
    Ok(profiles::summaries(
        &platform.paths,
        platform.secrets.as_ref(),
        &cfg,
    ))
}

/// Use another saved platform; its own sign-in comes with it.
#[tauri::command]
#[specta::specta]
pub fn use_profile(
    app: AppHandle,
    platform: State<'_, Platform>,
    name: String,
) -> Result<(), ErrorPayload> {
    profiles::switch(&platform.paths, &name).map_err(payload)?;
    platform_changed(&app);
    Ok(())
}

/// Show a platform under another name.
#[tauri::command]
#[specta::specta]
pub fn rename_profile(
    platform: State<'_, Platform>,
    name: String,
    display_name: String,
) -> Result<(), ErrorPayload> {
    profiles::rename(&platform.paths, &name, &display_name).map_err(payload)
}

/// What removing a platform takes away, in words, for the confirmation.
#[tauri::command]
#[specta::specta]
pub fn profile_removal(
    platform: State<'_, Platform>,
    name: String,
) -> Result<String, ErrorPayload> {
    let cfg = Config::load(&platform.paths.config_file()).map_err(payload)?;
    profiles::removal_warning(&cfg, &name)
}

/// Remove a platform with its sign-in and keyring entries.
#[tauri::command]
#[specta::specta]
pub async fn remove_profile(
    app: AppHandle,
    platform: State<'_, Platform>,
    name: String,
) -> Result<Removed, ErrorPayload> {
    let removed = profiles::remove(&platform.paths, platform.secrets.as_ref(), &name)
        .await
        .map_err(payload)?;
    tracing::info!(profile = %name, secrets = removed.secrets, "platform removed");
    platform_changed(&app);
    Ok(removed)
}

/// Check each service of a saved platform, and whether it accepts the credential.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(
    platform: State<'_, Platform>,
    name: String,
) -> Result<ConnectionCheck, ErrorPayload> {
    let cfg = Config::load(&platform.paths.config_file()).map_err(payload)?;
    let resolved = cfg.resolve(Some(&name), None).map_err(payload)?;
    let connection = skyport_core::connect::connect(
        &platform.paths,
        &resolved,
        platform.secrets.as_ref(),
        &skyport_core::connect::ConnectOptions {
            timeout: Some(std::time::Duration::from_secs(15)),
            ..Default::default()
        },
    )
    .map_err(ErrorPayload::from);
    let d = add::discoverer(&platform)?;
    Ok(check(&d, &resolved, connection.as_ref()).await)
}

/// What importing the `canfar` client's configuration would do; none when it has none.
#[tauri::command]
#[specta::specta]
pub fn canfar_import_preview(
    platform: State<'_, Platform>,
) -> Result<Option<ImportPreview>, ErrorPayload> {
    let path = canfar_import::default_path(&platform.paths);
    canfar_import::preview(&platform.paths, &path).map_err(payload)
}

/// Import the `canfar` client's servers as profiles; its tokens go into the keyring only
/// with `tokens` (the user said yes). Its file is never changed.
#[tauri::command]
#[specta::specta]
pub fn import_canfar(
    app: AppHandle,
    platform: State<'_, Platform>,
    tokens: bool,
) -> Result<ImportReport, ErrorPayload> {
    let path = canfar_import::default_path(&platform.paths);
    let report = canfar_import::import(&platform.paths, platform.secrets.as_ref(), &path, tokens)
        .map_err(payload)?;
    tracing::info!(
        profiles = report.added.len(),
        tokens = report.tokens,
        "imported the canfar client's servers"
    );
    platform_changed(&app);
    Ok(report)
}
