//! CANFAR's `/arc` storage (the cavern VOSpace service): paths and node URIs
//! ([`path`]), the node documents the service answers with ([`node`]) and the service
//! over HTTP ([`client`]). Facts:
//! `vospace.md` in the reference notes.

pub mod client;
pub mod node;
pub mod path;
pub mod service;
pub mod transfer;
pub mod view;

pub use node::{Listing, Node, NodeError, NodeKind, Usage};
pub use path::{NodePath, PathError};

/// `1536` → `1.5 KB`: powers of 1000, as storage sizes are usually given.
pub fn size_words(n: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

/// Two sizes in words, told apart: when both read the same (`10 MB` and `10 MB`), in bytes.
pub fn sizes_apart(a: u64, b: u64) -> (String, String) {
    let (wa, wb) = (size_words(a), size_words(b));
    if wa == wb && a != b {
        let bytes = |n: u64| {
            let s = n.to_string();
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            format!("{out} bytes")
        };
        (bytes(a), bytes(b))
    } else {
        (wa, wb)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_apart_differ_when_they_do() {
        assert_eq!(
            super::sizes_apart(10_485_760, 10_485_761),
            (
                "10,485,760 bytes".to_string(),
                "10,485,761 bytes".to_string()
            )
        );
        assert_eq!(
            super::sizes_apart(1_200_000_000, 3_000_000_000),
            ("1.2 GB".to_string(), "3.0 GB".to_string())
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        use super::size_words as size;
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(size(49_335_707_583), "49 GB");
        assert_eq!(size(214_748_364_800), "215 GB");
    }
}
