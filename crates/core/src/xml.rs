//! What the parsers of outside XML share (VOSI capabilities, VOSpace nodes): an attribute by
//! its local name, entity and character references, and the opening of a document that
//! was not what was asked for, to say what came instead.

use quick_xml::events::BytesStart;
use quick_xml::XmlVersion;

/// The first characters of `text`, for saying what came instead.
pub(crate) fn opening(text: &str) -> String {
    let t: String = text.trim_start().chars().take(40).collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_string())
        })
}

/// The text an entity or character reference stands for (`amp`, `#38`, `#x26`).
pub(crate) fn reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}
