//! Skyport's desktop shell: a thin layer over `skyport-core`.
//!
//! This crate holds only what needs Tauri: the command adapters (`commands/`), typed events
//! (`events.rs`), app state wiring (`state.rs`), the session poller (`sessions.rs`) and, in
//! later modules, the tray and the session windows. Every command and event is declared
//! once, in [`ipc`], and the TypeScript bindings in `ui/src/bindings.ts` are generated from
//! these declarations (see [`bindings`]); a test fails when the committed file drifts.

pub mod bindings;
pub mod certs;
pub mod commands;
pub mod downloads;
pub mod events;
pub mod external;
mod isolation;
pub mod sessions;
pub mod settings;
pub mod state;
pub mod tray;
pub mod windows;

use tauri::Manager;

/// The typed IPC surface: every command and event the UI may use.
pub fn ipc() -> tauri_specta::Builder<tauri::Wry> {
    use commands::{
        app, auth, certs as cert_cmds, credentials, downloads as download_cmds,
        sessions as session_cmds, settings as settings_cmds,
    };
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            app::app_info,
            app::main_window_used,
            app::credential_status,
            app::platform_status,
            auth::auth_info,
            auth::sign_in,
            auth::cancel_sign_in,
            auth::sign_in_password,
            auth::sign_out,
            cert_cmds::cert_status,
            cert_cmds::renew_certificate_now,
            cert_cmds::obtain_certificate,
            credentials::save_token,
            credentials::forget_token,
            session_cmds::sessions_snapshot,
            session_cmds::refresh_sessions,
            session_cmds::session_details,
            session_cmds::session_logs,
            session_cmds::session_events,
            session_cmds::renew_session,
            session_cmds::delete_sessions,
            session_cmds::prune_preview,
            session_cmds::launch_options,
            session_cmds::launch_session,
            session_cmds::registry_secret_saved,
            session_cmds::platform_load,
            session_cmds::open_session_in_browser,
            session_cmds::open_session_window,
            session_cmds::windows_to_reopen,
            settings_cmds::get_settings,
            settings_cmds::save_settings,
            download_cmds::download_offer,
            download_cmds::decide_download,
            download_cmds::download_prompt_ready,
        ])
        .events(tauri_specta::collect_events![
            events::CredentialStatusChanged,
            events::SessionsUpdated,
            events::SessionNotified,
            events::SignInProgress,
            events::CertStatusChanged,
            events::Navigate,
            events::DownloadChanged,
        ])
        .typ::<skyport_core::error::ErrorCode>()
        // One TS type per Rust type (no _Serialize/_Deserialize split): the UI only reads them.
        .disable_serde_phases()
}

/// Build and run the app.
pub fn run() {
    // Before any thread starts: no child of the app may inherit the token.
    let env_token = skyport_core::connect::take_env_token();
    let paths = match skyport_core::paths::Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skyport: {e}");
            std::process::exit(2);
        }
    };
    let log_guard = skyport_core::logging::init("skyport-desktop", Some(&paths.log_dir()));
    let state = state::AppState::load(paths, env_token);
    let ipc = ipc();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(ipc.invoke_handler())
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                tray::on_close_requested(window, api);
                if window.label().starts_with(downloads::PROMPT_PREFIX) {
                    downloads::prompt_closed(window.app_handle(), window.label());
                }
            }
        })
        .setup(move |app| {
            ipc.mount_events(app);
            let state_paths = state.paths.clone();
            tracing::info!(platform = %state.platform_summary(), "Skyport started");
            app.manage(state);
            app.manage(certs::CertMonitor::default());
            app.manage(windows::Relays::default());
            app.manage(tray::MainClosed::default());
            app.manage(downloads::DownloadBook::new(&state_paths));
            windows::create_main_window(app.handle())?;
            sessions::spawn_poller(app.handle().clone());
            commands::auth::spawn_refresher(app.handle().clone());
            tray::setup(app.handle());
            certs::start(app.handle());
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
