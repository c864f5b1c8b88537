//! Skaha JSON answers (`skaha::model`): the session list and one session, the image
//! catalogue, the context (resource options) and the platform stats. Every parser gets
//! the same document, as a server could send any of them anything.
//!
//! Properties: never a panic; a list keeps or counts every entry; every number that
//! comes out is finite and not negative where it is a size (a NaN or an infinity would
//! reach the launch form, the quota and the load gauge); sessions, images, contexts and
//! stats survive a serde round trip (what the app hands to its UI); the small text
//! parsers (memory, cores, kind, status, session id) hold their own rules.

use serde_json::Value;
use skyport_core::skaha::model::{parse_cores, parse_memory_gb};
use skyport_core::skaha::{
    Context, Image, PlatformStats, Session, SessionId, SessionKind, SessionStatus,
};

use crate::close;

pub fn run(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };

    match Session::list_from_json(&v) {
        Ok((list, skipped)) => {
            assert_eq!(list.len() + skipped, v.as_array().map_or(0, Vec::len));
            list.iter().for_each(check_session);
        }
        Err(_) => assert!(!v.is_array()),
    }
    if let Some(s) = Session::from_json(&v) {
        check_session(&s);
    }
    for item in v.as_array().into_iter().flatten() {
        if let Some(image) = Image::from_json(item) {
            check_image(&image);
        }
    }
    if let Ok(c) = Context::from_json(&v) {
        for r in [&c.cores, &c.memory_gb, &c.gpus] {
            let all = [r.default, r.default_request, r.default_limit];
            for n in all.into_iter().flatten().chain(r.options.iter().copied()) {
                assert!(n.is_finite(), "context number {n}");
            }
        }
        let back: Context = serde_json::from_value(serde_json::to_value(&c).expect("serialise"))
            .expect("a context deserialises again");
        assert_eq!(back.max_interactive_sessions, c.max_interactive_sessions);
    }
    if let Ok(s) = PlatformStats::from_json(&v) {
        let all = [
            s.cores_requested,
            s.cores_available,
            s.ram_requested_gb,
            s.ram_available_gb,
            s.max_cores_per_session,
            s.max_ram_gb_per_session,
        ];
        for n in all.into_iter().flatten() {
            assert!(n.is_finite(), "stats number {n}");
        }
        let back: PlatformStats =
            serde_json::from_value(serde_json::to_value(&s).expect("serialise"))
                .expect("stats deserialise again");
        assert!(same_numbers(
            &all,
            &[
                back.cores_requested,
                back.cores_available,
                back.ram_requested_gb,
                back.ram_available_gb,
                back.max_cores_per_session,
                back.max_ram_gb_per_session,
            ]
        ));
    }

    let mut budget = 256;
    walk_strings(
        &v,
        &mut |s| {
            if let Some(g) = parse_memory_gb(s) {
                assert!(g.is_finite() && g >= 0.0, "parse_memory_gb({s:?}) = {g}");
            }
            if let Some(c) = parse_cores(s) {
                assert!(c.is_finite() && c >= 0.0, "parse_cores({s:?}) = {c}");
            }
            let kind = SessionKind::parse(s);
            assert_eq!(SessionKind::parse(kind.as_str()), kind);
            let status = SessionStatus::parse(s);
            assert_eq!(SessionStatus::parse(status.as_str()), status);
            if let Ok(id) = SessionId::parse(s) {
                let id = id.as_str();
                assert!(!id.is_empty() && id.len() <= 64);
                assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            }
        },
        &mut budget,
    );
}

fn walk_strings(v: &Value, f: &mut impl FnMut(&str), budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| walk_strings(x, f, budget)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            f(k);
            walk_strings(x, f, budget)
        }),
        _ => {}
    }
}

fn same_numbers(a: &[Option<f64>], b: &[Option<f64>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => close(*x, *y),
            (None, None) => true,
            _ => false,
        })
}

fn check_session(s: &Session) {
    let id = s.id.as_str();
    assert!(!id.is_empty() && id == id.trim() && id != "<none>");
    let sizes = [
        s.requested_cores,
        s.requested_ram_gb,
        s.requested_gpus,
        s.cores_in_use,
        s.ram_in_use_gb,
    ];
    for n in sizes.into_iter().flatten() {
        assert!(n.is_finite() && n >= 0.0, "session size {n}");
    }
    let json = serde_json::to_value(s).expect("serialise a session");
    let back: Session = serde_json::from_value(json).expect("a session deserialises again");
    assert!(same_numbers(
        &sizes,
        &[
            back.requested_cores,
            back.requested_ram_gb,
            back.requested_gpus,
            back.cores_in_use,
            back.ram_in_use_gb,
        ]
    ));
    let strip = |s: &Session| Session {
        requested_cores: None,
        requested_ram_gb: None,
        requested_gpus: None,
        cores_in_use: None,
        ram_in_use_gb: None,
        ..s.clone()
    };
    assert_eq!(strip(&back), strip(s));
}

fn check_image(image: &Image) {
    assert!(!image.id.is_empty() && image.id == image.id.trim());
    let (registry, project, name) = image.parts();
    assert!(image.id.starts_with(registry) && image.id.ends_with(name));
    assert!(image.id.contains(project));
    assert!(registry.len() + project.len() + name.len() <= image.id.len());
    let back: Image =
        serde_json::from_value(serde_json::to_value(image).expect("serialise an image"))
            .expect("an image deserialises again");
    assert_eq!(&back, image);
}
