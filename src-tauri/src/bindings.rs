//! Generation of `ui/src/bindings.ts` from the Rust declarations in [`crate::ipc`].
//!
//! `cargo test` fails when the committed file differs from what the Rust declares; run
//! `SKYPORT_UPDATE_BINDINGS=1 cargo test -p skyport-desktop --lib bindings` to rewrite it.

use std::path::{Path, PathBuf};

/// Where the generated bindings live, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

/// The exporter settings used for the committed bindings.
pub fn exporter() -> specta_typescript::Typescript {
    specta_typescript::Typescript::default()
        .header("// Generated from the Rust declarations in src-tauri/src/lib.rs. Do not edit.\n// Regenerate: SKYPORT_UPDATE_BINDINGS=1 cargo test -p skyport-desktop --lib bindings\n")
}

/// Generate the bindings into `path`.
pub fn export_to(path: &Path) -> Result<(), String> {
    crate::ipc()
        .export(exporter(), path)
        .map_err(|e| e.to_string())
}

/// Absolute path of the committed bindings file.
pub fn committed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_match_the_rust_declarations() {
        let dir = tempfile_dir();
        let fresh = dir.join("bindings.ts");
        export_to(&fresh).expect("export bindings");
        let generated = std::fs::read_to_string(&fresh).expect("read generated");
        let committed_file = committed_path();
        if std::env::var_os("SKYPORT_UPDATE_BINDINGS").is_some() {
            std::fs::write(&committed_file, &generated).expect("write bindings");
            return;
        }
        let committed = std::fs::read_to_string(&committed_file).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is out of date with the Rust commands/events. Regenerate it with \
             `SKYPORT_UPDATE_BINDINGS=1 cargo test -p skyport-desktop --lib bindings` and commit it.",
            committed_file.display()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn error_codes_reach_typescript() {
        let dir = tempfile_dir();
        let fresh = dir.join("bindings.ts");
        export_to(&fresh).expect("export bindings");
        let ts = std::fs::read_to_string(&fresh).expect("read generated");
        for code in skyport_core::error::ErrorCode::ALL {
            let name = serde_json::to_string(&code).expect("code");
            assert!(
                ts.contains(&name),
                "error code {name} missing from generated TypeScript"
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "skyport-bindings-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }
}
