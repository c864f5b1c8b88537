//! One window and a static page: what any Tauri 2 app costs.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("floor: {e}");
        std::process::exit(1);
    }
}
