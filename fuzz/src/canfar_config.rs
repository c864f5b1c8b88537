//! The `canfar` client's `~/.canfar/config.yaml` (`canfar_import`), read from a file the user
//! or another program wrote.
//!
//! Properties: never a panic (deep nesting, anchors and aliases included); an error says
//! only where the YAML broke (line and column), never what it held: the file keeps tokens.

use skyport_core::canfar_import::parse_for_fuzzing;

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(detail) = parse_for_fuzzing(&text) {
        let rest = detail
            .strip_prefix("YAML it cannot read")
            .unwrap_or_else(|| panic!("unexpected error text: {detail:?}"));
        assert!(
            rest.chars()
                .all(|c| c.is_ascii_digit() || " ,atlinecolumn".contains(c)),
            "the error quotes the input: {detail:?}"
        );
    }
}
