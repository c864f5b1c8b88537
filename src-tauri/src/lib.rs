//! Skyport's desktop shell: a thin layer over `skyport-core`.
//!
//! This crate holds only what needs Tauri: the command adapters (`commands/`), typed events
//! (`events.rs`), app state wiring (`state.rs`) and, in later modules, the tray and the
//! session windows. Every command and event is declared once, here, and the TypeScript
//! bindings in `ui/src/bindings.ts` are generated from these declarations (see
//! [`bindings`]); a test fails when the committed file drifts from the Rust.

pub mod bindings;
pub mod commands;
pub mod events;
pub mod state;

use tauri::Manager;

/// The typed IPC surface: every command and event the UI may use.
pub fn ipc() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            commands::app::app_info,
            commands::app::credential_status,
            commands::app::platform_status,
        ])
        .events(tauri_specta::collect_events![events::CredentialStatusChanged])
        .typ::<skyport_core::error::ErrorCode>()
        // One TS type per Rust type (no _Serialize/_Deserialize split): the UI only reads them.
        .disable_serde_phases()
}

/// Build and run the app.
pub fn run() {
    let paths = match skyport_core::paths::Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skyport: {e}");
            std::process::exit(2);
        }
    };
    let log_guard = skyport_core::logging::init("skyport-desktop", Some(&paths.log_dir()));
    let ipc = ipc();
    let result = tauri::Builder::default()
        .invoke_handler(ipc.invoke_handler())
        .setup(move |app| {
            ipc.mount_events(app);
            let state = state::AppState::load(paths);
            tracing::info!(platform = ?state.platform_summary(), "Skyport started");
            app.manage(state);
            Ok(())
        })
        .run(tauri::generate_context!("tauri.conf.json"));
    if let Err(e) = result {
        tracing::error!("Skyport could not start: {e}");
        eprintln!(
            "skyport: could not start the desktop app: {e}. On Linux check that a display is \
             available (DISPLAY or WAYLAND_DISPLAY) and WebKitGTK 4.1 is installed."
        );
        drop(log_guard);
        std::process::exit(1);
    }
}
