//! The relay's gate (`relay::entry::Gate::check`): which requests from the local machine
//! may use a session window's relay.
//!
//! Input: NUL-separated fields, the request's path-and-query then its `Cookie` header
//! values. A `0x01` byte stands for the window secret and `0x02` for the relay's cookie
//! name, so the fuzzer can place them anywhere (the secret is 64 hex digits).
//!
//! Properties: never a panic; access is granted only to a request that shows the secret
//! (the entry prefix at the start of the path, or this relay's cookie carrying it); the
//! entry answer's redirect stays on the relay's origin; a prefixed request forwards
//! exactly what follows the prefix; no forwarded path holds the secret, plain or
//! percent-encoded; the entry path the shell opens is let in and keeps its target; the
//! entry cookie is host-only, `HttpOnly` and `SameSite=Strict`.

use skyport_core::fuzzing::{sanitize_next, Access, Gate, ENTRY_PREFIX};
use url::Url;

pub const ID: &str = "5e1f0a2b3c4d";
pub const SECRET: &str = "3f9a1c0e7b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a";
const RELAY: &str = "http://127.83.4.77:4000/";

pub fn expand(s: &str, gate: &Gate) -> String {
    s.replace('\u{1}', SECRET)
        .replace('\u{2}', gate.cookie_name())
}

pub fn run(data: &[u8]) {
    let gate = Gate::new(ID, SECRET);
    let fields: Vec<String> = crate::fields(data, 9)
        .iter()
        .map(|f| expand(f, &gate))
        .collect();
    let Some((pq, cookie_values)) = fields.split_first() else {
        return;
    };
    let cookies: Vec<&str> = cookie_values.iter().map(String::as_str).collect();
    let prefix = gate.secret_prefix();
    let relay = Url::parse(RELAY).expect("relay url");

    let access = gate.check(pq, &cookies);
    let path = pq.split_once('?').map_or(pq.as_str(), |(p, _)| p);
    let shows_prefix = path == prefix || path.starts_with(&format!("{prefix}/"));
    let shows_cookie = cookies
        .iter()
        .any(|c| c.contains(gate.cookie_name()) && c.contains(SECRET));
    match &access {
        Access::Denied => {}
        Access::Cookie => {
            assert!(!mentions_secret(pq), "the secret goes upstream: {pq:?}");
            assert!(
                shows_cookie,
                "cookie access without the cookie: {pq:?} {cookies:?}"
            );
            assert!(
                !path.starts_with(ENTRY_PREFIX),
                "cookie access on the reserved prefix"
            );
        }
        Access::Entry { next } => {
            assert_eq!(path, prefix, "entry on another path");
            check_next(next, &relay);
        }
        Access::Prefixed { rest } => {
            assert!(shows_prefix, "prefixed access without the prefix: {pq:?}");
            assert!(rest.starts_with('/'), "{rest:?}");
            assert_eq!(
                format!("{prefix}{rest}"),
                *pq,
                "the forwarded path is the rest"
            );
            // Found by fuzzing (crashes-found/relay_gate-double-prefix*.bin): a path that
            // repeated the prefix was forwarded with the secret in it.
            assert!(!mentions_secret(rest), "the secret goes upstream: {rest:?}");
        }
    }
    if !shows_prefix && !shows_cookie {
        assert_eq!(access, Access::Denied, "{pq:?} {cookies:?}");
    }

    // The entry path the shell opens, with any target: let in, target kept on the relay.
    let entry = gate.entry_path(pq);
    match gate.check(&entry, &[]) {
        Access::Entry { next } => {
            assert_eq!(next, sanitize_next(pq));
            check_next(&next, &relay);
        }
        other => panic!("the entry path {entry:?} gives {other:?}"),
    }
    // This relay's cookie does not open another relay (cookies ignore ports).
    let other = Gate::new("000000000000", SECRET);
    if !cookies.iter().any(|c| c.contains(other.cookie_name())) {
        assert_ne!(other.check(pq, &cookies), Access::Cookie);
    }

    let set = gate.entry_set_cookie();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"));
    assert!(!set.to_ascii_lowercase().contains("domain"));
}

/// The secret, as it is or percent-encoded (what an upstream server would decode).
fn mentions_secret(text: &str) -> bool {
    text.contains(SECRET)
        || percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .contains(SECRET)
}

/// A redirect target must stay on the relay: a path, resolving to the relay's origin.
fn check_next(next: &str, relay: &Url) {
    assert!(next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\"));
    assert!(
        !next.chars().any(|c| c.is_control() || c == ' '),
        "{next:?}"
    );
    let to = relay.join(next).expect("a path joins");
    assert_eq!(to.origin(), relay.origin(), "{next:?} leaves the relay");
}
