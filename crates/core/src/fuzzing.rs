//! Thin public wrappers over crate-private parsers, for the fuzz harnesses in `/fuzz` only
//! (feature `fuzzing`, never enabled by the app, the CLI or the tests).
//!
//! Every parser of outside input that is already public (challenges, the certificate
//! bundle, the Skaha model, netrc, `ServiceUrl`) is fuzzed through its public API. The
//! relay's gate and header rewriting live in private modules of `relay`; rather than
//! widening their visibility, this module compiles the very same source files a second
//! time, here, where they can be reached. When those files change, only the small
//! wrappers below (and the imports their `super::` paths need) may have to follow.

use url::Url;

use crate::secret::SecretString;

// What `relay/entry.rs` and `relay/rewrite.rs` reach through `super::`.
use crate::relay::{PathScope, RelayError};

#[allow(dead_code, clippy::duplicate_mod)]
#[path = "relay/entry.rs"]
mod entry;
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "relay/rewrite.rs"]
mod rewrite;

/// The relay's namespace for cookie names (`__sp`).
pub const COOKIE_NAMESPACE: &str = entry::COOKIE_NAMESPACE;
/// The path prefix of the relay's own endpoints (`/__skyport/`).
pub const ENTRY_PREFIX: &str = entry::ENTRY_PREFIX;

/// How a request proved it belongs to the window (`relay::entry::Access`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Entry { next: String },
    Prefixed { rest: String },
    Cookie,
    Denied,
}

/// The relay's per-window gate (`relay::entry::Gate`) with a chosen id and secret.
pub struct Gate {
    inner: entry::Gate,
    cookie_name: String,
}

impl Gate {
    pub fn new(id: &str, secret: &str) -> Gate {
        Gate {
            inner: entry::Gate::from_parts(id, SecretString::new(secret.to_string())),
            cookie_name: format!("{COOKIE_NAMESPACE}{id}"),
        }
    }

    /// `Gate::check` on a request's path-and-query and `Cookie` header values.
    pub fn check(&self, path_and_query: &str, cookies: &[&str]) -> Access {
        match self.inner.check(path_and_query, cookies.iter().copied()) {
            entry::Access::Entry { next } => Access::Entry { next },
            entry::Access::Prefixed { rest } => Access::Prefixed { rest },
            entry::Access::Cookie => Access::Cookie,
            entry::Access::Denied => Access::Denied,
        }
    }

    /// The relay's own cookie name (`__sp<id>`).
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// `/__skyport/<secret>`.
    pub fn secret_prefix(&self) -> String {
        self.inner.secret_prefix()
    }

    /// `__sp<id>.`, the prefix of upstream cookies this relay renamed.
    pub fn renamed_prefix(&self) -> String {
        self.inner.renamed_prefix()
    }

    /// The entry path the webview opens first.
    pub fn entry_path(&self, next: &str) -> String {
        self.inner.entry_path(next)
    }

    /// The `Set-Cookie` of the entry answer.
    pub fn entry_set_cookie(&self) -> String {
        self.inner.set_cookie()
    }
}

/// `relay::entry::sanitize_next`.
pub fn sanitize_next(next: &str) -> String {
    entry::sanitize_next(next)
}

/// `relay::entry::cookie_pairs`, owned.
pub fn cookie_pairs(values: &[&str]) -> Vec<(String, String)> {
    entry::cookie_pairs(values.iter().copied())
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// `relay::rewrite::set_cookie`: an upstream `Set-Cookie` rewritten for the relay.
pub fn set_cookie(value: &str, gate: &Gate) -> Option<String> {
    rewrite::set_cookie(value, &gate.inner)
}

/// `relay::rewrite::location`: an upstream `Location` rewritten for the webview.
pub fn location(
    value: &str,
    request_url: &Url,
    relay_base: &str,
    scope: &PathScope,
) -> Option<String> {
    rewrite::location(value, request_url, relay_base, scope)
}

/// `relay::rewrite::upstream_cookies`: the `Cookie` pairs sent upstream.
pub fn upstream_cookies(
    values: &[&str],
    gate: &Gate,
    credential_cookie: Option<&str>,
) -> Vec<String> {
    rewrite::upstream_cookies(values.iter().copied(), &gate.inner, credential_cookie)
}

/// `relay::rewrite::upstream_origin`.
pub fn upstream_origin(value: &str, relay_origin: &str, target_origin: &str) -> Option<String> {
    rewrite::upstream_origin(value, relay_origin, target_origin)
}

/// `relay::rewrite::upstream_referer`.
pub fn upstream_referer(
    value: &str,
    relay_origin: &str,
    target_origin: &str,
    secret_prefix: &str,
) -> Option<String> {
    rewrite::upstream_referer(value, relay_origin, target_origin, secret_prefix)
}

/// `relay::rewrite::forward_request_header`.
pub fn forward_request_header(name: &str, connection: &[&str]) -> bool {
    rewrite::forward_request_header(name, connection.iter().copied())
}

/// `relay::rewrite::forward_response_header`.
pub fn forward_response_header(name: &str, connection: &[&str]) -> bool {
    rewrite::forward_response_header(name, connection.iter().copied())
}

/// `relay::rewrite::origin_of`.
pub fn origin_of(url: &Url) -> String {
    rewrite::origin_of(url)
}

/// The MD5 a storage service's `Digest` header names (`md5=<base64>`), as hex.
pub fn storage_digest(value: &str) -> Option<String> {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        "digest",
        reqwest::header::HeaderValue::from_str(value).ok()?,
    );
    crate::vospace::transfer::digest_of(&h)
}

/// The destination a finished move job names (`vospace::client`).
pub fn move_destination(job: &str) -> Option<String> {
    crate::vospace::client::destination(job)
}

/// A storage fault line read as (its fault name, the rest) (`vospace::client`).
pub fn storage_fault(text: &str) -> (Option<&str>, &str) {
    crate::vospace::client::fault(text)
}
