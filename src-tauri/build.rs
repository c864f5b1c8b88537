include!("app_commands.rs");

fn main() {
    // An app manifest makes the app's own commands subject to the capability files, so a
    // window gets only the commands its capability grants (prompts: their offer and answer).
    let manifest = tauri_build::AppManifest::new().commands(APP_COMMANDS);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        // Build scripts report through panics; say what failed.
        panic!("tauri-build failed: {e:#}");
    }
}
