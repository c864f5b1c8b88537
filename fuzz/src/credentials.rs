//! What decides where a credential goes, fed with outside text: a credential's place as a
//! user or a file gives it (`vault::scope`), the URL a service redirects to, an announcement
//! of a local platform, and an SSH private key file.
//!
//! Properties: never a panic; a place never takes a URL over plain http to another machine,
//! nor one on another port or scheme; an SSH key's error never quotes the key.

use skyport_core::discovery::local;
use skyport_core::vault::jwt::parse_key;
use skyport_core::vault::scope::Scope;

pub fn run(data: &[u8]) {
    let f = crate::fields(data, 3);
    let place = f.first().map(String::as_str).unwrap_or("");
    let target = f.get(1).map(String::as_str).unwrap_or("");
    if let (Ok(scope), Ok(url)) = (Scope::parse(place), url::Url::parse(target)) {
        if scope.contains(&url) {
            let loopback = skyport_core::secure::is_loopback(&url);
            assert!(
                url.scheme() == "https" || (url.scheme() == "http" && loopback),
                "{place:?} takes {target:?}"
            );
            // The text the place is shown as means the same place.
            let again = Scope::parse(&scope.to_string()).expect("its own text parses");
            assert!(again.contains(&url), "{scope} shown differently");
        }
    }
    let rest = f.get(2).map(String::as_str).unwrap_or("");
    let _ = local::parse(rest.as_bytes());
    if let Err(e) = parse_key(rest) {
        for line in rest.lines().filter(|l| l.len() > 12) {
            assert!(!e.contains(line), "the error quotes the key: {e:?}");
        }
    }
}
