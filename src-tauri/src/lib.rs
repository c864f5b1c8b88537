//! Skyport's desktop shell: a thin layer over `skyport-core`.
//!
//! The shape (see the README's "Layout"): [`kernel`] holds what every feature stands on
//! (settings, the platform and its connection, the bus between features, window lifetime,
//! notifications, the system opener); [`features`] are the app's capabilities, each with its
//! state, an `init`, services, and commands as thin adapters. Dependencies point one way:
//! IPC → commands → services → kernel → core, and features never import each other (a test,
//! `layering`, fails otherwise). This file is the composition root: it declares the IPC
//! surface and starts the kernel and the features.
//!
//! Every command and event is declared once, in [`ipc`], and the TypeScript bindings in
//! `ui/src/bindings.ts` are generated from these declarations (see [`bindings`]); a test
//! fails when the committed file drifts.

pub mod bindings;
pub mod features;
mod isolation;
pub mod kernel;
#[cfg(test)]
mod layering;
#[cfg(test)]
mod testing;

use tauri::{AppHandle, Manager, Runtime};

/// The typed IPC surface: every command and event the UI may use.
pub fn ipc() -> tauri_specta::Builder<tauri::Wry> {
    use features::{
        app::commands as app, certificates::commands as certs,
        credentials::commands as credentials, downloads::commands as downloads,
        links::commands as links, platforms::commands as platforms,
        session_windows::commands as windows, sessions::commands as sessions,
        storage::commands as storage, vault::commands as vault,
    };
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            app::app_info,
            app::main_window_used,
            app::credential_status,
            app::platform_status,
            platforms::platform_choices,
            platforms::add_platform,
            platforms::list_profiles,
            platforms::use_profile,
            platforms::rename_profile,
            platforms::profile_removal,
            platforms::remove_profile,
            platforms::test_connection,
            platforms::canfar_import_preview,
            platforms::import_canfar,
            credentials::auth_info,
            credentials::sign_in,
            credentials::cancel_sign_in,
            credentials::sign_in_password,
            credentials::sign_out,
            certs::cert_status,
            certs::renew_certificate_now,
            certs::obtain_certificate,
            credentials::save_token,
            credentials::forget_token,
            sessions::sessions_snapshot,
            sessions::refresh_sessions,
            sessions::session_details,
            sessions::session_logs,
            sessions::session_events,
            sessions::session_why,
            sessions::renew_session,
            sessions::delete_sessions,
            sessions::prune_preview,
            sessions::launch_options,
            sessions::cached_launch_options,
            sessions::launch_memory,
            sessions::save_preset,
            sessions::remove_preset,
            sessions::session_usage,
            sessions::keep_alive_rules,
            sessions::expiry_timeline,
            sessions::set_keep_alive,
            sessions::launch_session,
            sessions::registry_secret_saved,
            sessions::platform_load,
            windows::open_session_in_browser,
            windows::open_session_window,
            windows::windows_to_reopen,
            app::get_settings,
            app::save_settings,
            app::list_painted,
            app::take_missed,
            downloads::download_offer,
            downloads::decide_download,
            downloads::download_prompt_ready,
            vault::service_credentials,
            vault::add_service_credential,
            vault::remove_service_credential,
            vault::probe_service,
            links::take_links,
            storage::storage_folder,
            storage::storage_places,
            storage::storage_make_folder,
            storage::storage_rename,
            storage::storage_delete,
            storage::storage_upload,
            storage::storage_choose_uploads,
            storage::storage_download,
            storage::storage_transfers,
            storage::storage_cancel,
            storage::storage_clear_transfers,
        ])
        .events(events())
        .typ::<skyport_core::error::ErrorCode>()
        // Commands throw their `ErrorPayload`, so each binding answers `Promise<T>` and the UI's
        // platform interface is these bindings as they are.
        .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        // The defaults come from here, for the UI (and its tests) never to restate them.
        .constant("DEFAULT_SETTINGS", kernel::settings::Settings::default())
        .constant(
            "EXPIRY_WARNING_HOURS",
            serde_json::json!({
                "min": kernel::settings::WARNING_HOURS.start(),
                "max": kernel::settings::WARNING_HOURS.end(),
            }),
        )
        // One TS type per Rust type (no _Serialize/_Deserialize split): the UI only reads them.
        .disable_serde_phases()
}

/// Every event the UI may hear.
pub fn events() -> tauri_specta::Events {
    use kernel::events;
    tauri_specta::collect_events![
        events::CredentialStatusChanged,
        events::SessionsUpdated,
        events::SessionsConfirmed,
        events::SessionNotified,
        events::SignInProgress,
        events::CertStatusChanged,
        events::Navigate,
        events::DownloadChanged,
        events::MainWindowClosed,
        events::PlatformChanged,
        events::LinkReceived,
        events::StorageTransferChanged,
    ]
}

/// Start the kernel, then every feature (the order matters only in that the kernel comes
/// first: features find each other on its bus, never directly).
pub fn start<R: Runtime>(app: &AppHandle<R>, platform: kernel::Platform) {
    kernel::init(app, platform);
    features::credentials::init(app);
    features::certificates::init(app);
    features::sessions::init(app);
    features::session_windows::init(app);
    features::downloads::init(app);
    features::links::init(app);
    features::storage::init(app);
    features::app::autostart::init(app);
}

/// Start at login on macOS and Windows (a login item that passes `--hidden`).
#[cfg(not(target_os = "linux"))]
fn autostart_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new()
        .args([kernel::lifetime::HIDDEN])
        .build()
}

/// Build and run the app.
pub fn run() {
    kernel::lifetime::mark_start();
    // Before any thread starts: no child of the app may inherit the token.
    let env_token = skyport_core::connect::take_env_token();
    kernel::windows::quiet_memory_monitor();
    let paths = match skyport_core::paths::Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skyport: {e}");
            std::process::exit(2);
        }
    };
    let log_guard = skyport_core::logging::init("skyport-desktop", Some(&paths.log_dir()));
    let instance = features::links::instance_id(&paths.config_dir);
    let platform = kernel::Platform::load(paths, env_token);
    let ipc = ipc();
    let builder = tauri::Builder::default()
        // First: a second launch hands over its arguments and ends before anything starts.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance)
                .callback(|app, args, _cwd| features::links::second_launch(app, args))
                .build(),
        )
        .plugin(tauri_plugin_deep_link::init());
    // On Linux core writes the XDG autostart entry itself (features::app::autostart).
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(autostart_plugin());
    let result = builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(ipc.invoke_handler())
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::CloseRequested { api, .. } => {
                kernel::lifetime::on_close_requested(window, api);
            }
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. })
                if window.label() == kernel::windows::MAIN =>
            {
                features::storage::dropped(window.app_handle(), paths);
            }
            _ => {}
        })
        .on_webview_event(|webview, event| {
            if let tauri::WebviewEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                if webview.label() == kernel::windows::MAIN {
                    features::storage::dropped(webview.app_handle(), paths);
                }
            }
        })
        .setup(move |app| {
            ipc.mount_events(app);
            tracing::info!(platform = %platform.summary(), "Skyport started");
            start(app.handle(), platform);
            let hidden = kernel::lifetime::started_hidden();
            kernel::windows::create_main_window(app.handle(), !hidden)?;
            features::links::launch_links(app.handle());
            // Last: the tray shows what the others have published.
            features::tray::init(app.handle());
            // A link that came with the launch may have shown the window already.
            let shown = app
                .get_webview_window(kernel::windows::MAIN)
                .and_then(|w| w.is_visible().ok())
                .unwrap_or(false);
            if hidden && !shown {
                let life = app.state::<kernel::lifetime::Lifetime>();
                if life.tray_shown() {
                    kernel::lifetime::hidden_in_tray(app.handle(), std::time::Duration::ZERO);
                    kernel::lifetime::no_start_figure();
                    tracing::info!("started in the tray (--hidden): no window until asked");
                } else {
                    // Never hidden where nobody can find it.
                    tracing::info!("--hidden, but no tray is shown: the window opens");
                    kernel::lifetime::show_main(app.handle());
                }
            }
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
