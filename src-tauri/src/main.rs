// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    skyport_core::memory::limit_arenas();
    skyport_desktop::run();
}
