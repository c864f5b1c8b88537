//! Fuzz harnesses for Skyport's parsers of outside input, one module per AFL++ target
//! (`src/bin/<target>.rs` calls `<target>::run`). Each `run` must never panic on any
//! input: a panic is a crash, and so is a failed property check (`assert!`).
//!
//! See `fuzz/README.md` for how to run them and what each one checks.

pub mod cert_bundle;
pub mod challenge;
pub mod credentials;
pub mod canfar_config;
pub mod discovery;
pub mod events_table;
pub mod netrc;
pub mod relay_gate;
pub mod relay_rewrite;
pub mod service_url;
pub mod skaha_json;
pub mod vospace_node;

/// Splits fuzz input into at most `n` fields at NUL bytes (the last field keeps the rest),
/// as text (invalid UTF-8 replaced).
pub fn fields(data: &[u8], n: usize) -> Vec<String> {
    data.splitn(n, |&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// True when `a` and `b` are the same number up to the rounding of one JSON round trip.
pub fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[cfg(test)]
mod tests {
    /// Every committed seed runs through its harness without a crash (no AFL needed).
    #[test]
    fn seeds_pass() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        type Harness = fn(&[u8]);
        let targets: [(&str, Harness); 11] = [
            ("challenge", super::challenge::run),
            ("cert_bundle", super::cert_bundle::run),
            ("skaha_json", super::skaha_json::run),
            ("events_table", super::events_table::run),
            ("netrc", super::netrc::run),
            ("service_url", super::service_url::run),
            ("discovery", super::discovery::run),
            ("canfar_config", super::canfar_config::run),
            ("relay_gate", super::relay_gate::run),
            ("relay_rewrite", super::relay_rewrite::run),
            ("credentials", super::credentials::run),
        ];
        for (name, run) in targets {
            let mut n = 0;
            for dir in ["corpus", "fixtures"] {
                let Ok(entries) = std::fs::read_dir(root.join(dir).join(name)) else {
                    continue;
                };
                for e in entries.flatten() {
                    let data = std::fs::read(e.path()).expect("read seed");
                    run(&data);
                    n += 1;
                }
            }
            assert!(n > 0, "no seeds for {name}");
        }
    }
}
