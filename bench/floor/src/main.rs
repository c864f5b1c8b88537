//! One window and a static page: what any Tauri 2 app costs.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static PAINTED: AtomicBool = AtomicBool::new(false);

/// The page painted its table (two frames after it ran, as Skyport's list mark): printed
/// once with the wall clock, so that `make bench` times the floor's start as it times
/// Skyport's.
#[tauri::command]
fn painted(page_ms: u32) {
    if PAINTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    println!("floor painted at_unix_ms={at_ms} page_ms={page_ms}");
}

fn main() {
    if let Err(e) = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![painted])
        .run(tauri::generate_context!())
    {
        eprintln!("floor: {e}");
        std::process::exit(1);
    }
}
