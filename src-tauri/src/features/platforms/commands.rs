//! Platform commands: thin adapters over `add` and core's `choices`.

use skyport_core::discovery::choices::{choices, registries_from_env, Choices};
use skyport_core::error::ErrorPayload;
use tauri::State;

use super::add::{self, AddedPlatform, PlatformChoice};
use crate::kernel::bus::Bus;
use crate::kernel::platform::Platform;

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
    platform: State<'_, Platform>,
    bus: State<'_, Bus>,
    choice: PlatformChoice,
) -> Result<AddedPlatform, ErrorPayload> {
    add::add(&platform, &bus, choice).await
}
