//! The core, the sim and the CLI must never pull Tauri (or any GUI crate) into their
//! dependency trees: the CLI and the tests build without a display, and the core stays
//! reusable. This asks cargo itself, so a new transitive dependency is caught too.

use std::process::Command;

fn dependency_names(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--locked",
            "--offline",
            "-p",
            package,
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn assert_no_gui(package: &str) {
    let names = dependency_names(package);
    assert!(
        names.iter().any(|n| n == package),
        "cargo tree did not list {package} itself: {names:?}"
    );
    let gui: Vec<_> = names
        .iter()
        .filter(|n| {
            n.starts_with("tauri")
                || ["wry", "tao", "webkit2gtk", "gtk", "tray-icon", "muda"].contains(&n.as_str())
        })
        .collect();
    assert!(
        gui.is_empty(),
        "{package} depends on GUI crates {gui:?}; move that code to src-tauri/"
    );
}

#[test]
fn core_has_no_tauri_in_its_tree() {
    assert_no_gui("skyport-core");
}

#[test]
fn sim_has_no_tauri_in_its_tree() {
    assert_no_gui("skyport-sim");
}

#[test]
fn cli_has_no_tauri_in_its_tree() {
    assert_no_gui("skyport-cli");
}

#[test]
fn the_check_would_see_tauri_in_the_desktop_crate() {
    // Guard against a check that cannot fail: the desktop shell does depend on tauri.
    let names = dependency_names("skyport-desktop");
    assert!(
        names.iter().any(|n| n == "tauri"),
        "cargo tree output changed shape: {names:?}"
    );
}
