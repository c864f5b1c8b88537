//! The per-window secret that keeps the relay to its own webview.
//!
//! The relay listens on 127.0.0.1, where any local process or any page in any browser can
//! reach it, so every request must prove it comes from the window the relay was made for.
//! The shell opens `/__skyport/<secret>?next=<path>`; that answer sets a host-only,
//! `HttpOnly`, `SameSite=Strict` cookie carrying the secret and redirects to `<path>`.
//! Later requests carry the cookie, or use the secret as a path prefix
//! (`/__skyport/<secret>/<path>`) for clients that cannot keep cookies.
//!
//! Cookies ignore ports, so every relay on 127.0.0.1 sees every other relay's cookies:
//! names carry a random per-relay id, and anything in the `__sp` namespace that is not
//! this relay's is dropped before forwarding.

use crate::secret::SecretString;

use super::RelayError;

/// Path prefix reserved for the relay's own endpoints.
pub(crate) const ENTRY_PREFIX: &str = "/__skyport/";
/// Cookie-name namespace the relay owns (its own cookie, renamed upstream cookies).
pub(crate) const COOKIE_NAMESPACE: &str = "__sp";

/// How a request proved it belongs to the window.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// The entry URL: set the cookie and redirect to `next` (a same-origin path).
    Entry { next: String },
    /// `/__skyport/<secret>/rest`: forward `rest` (path and query), no cookie needed.
    Prefixed { rest: String },
    /// The relay cookie was present and right.
    Cookie,
    /// Neither: refuse.
    Denied,
}

/// The secret and the names derived from the relay id.
pub(crate) struct Gate {
    secret: SecretString,
    cookie_name: String,
}

fn random_hex(bytes: usize) -> Result<String, RelayError> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).map_err(|e| RelayError::Random(e.to_string()))?;
    let hex = raw.iter().map(|b| format!("{b:02x}")).collect();
    // The raw bytes are the secret too; do not leave them behind.
    raw.iter_mut().for_each(|b| *b = 0);
    Ok(hex)
}

/// Compares without an early exit, so timing does not reveal how much of a guess matched.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `name=value` pairs of `Cookie` header values (RFC 6265 §5.4 form).
pub(crate) fn cookie_pairs<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    values
        .into_iter()
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .map(|(n, v)| (n.trim(), v.trim()))
        .filter(|(n, _)| !n.is_empty())
}

/// A redirect target that stays on the relay: a path, never `//host` or a full URL.
pub(crate) fn sanitize_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == ' ');
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

impl Gate {
    /// A fresh gate: a 256-bit secret and a 48-bit relay id for cookie names.
    pub(crate) fn generate() -> Result<Gate, RelayError> {
        let secret = SecretString::new(random_hex(32)?);
        let id = random_hex(6)?;
        Ok(Gate::from_parts(&id, secret))
    }

    pub(crate) fn from_parts(id: &str, secret: SecretString) -> Gate {
        Gate {
            secret,
            cookie_name: format!("{COOKIE_NAMESPACE}{id}"),
        }
    }

    /// The relay's own cookie name.
    #[cfg(test)]
    pub(crate) fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// Prefix of upstream cookies this relay renamed (`__sp<id>.<name>`).
    pub(crate) fn renamed_prefix(&self) -> String {
        format!("{}.", self.cookie_name)
    }

    /// `/__skyport/<secret>` (contains the secret: never log it).
    pub(crate) fn secret_prefix(&self) -> String {
        format!("{ENTRY_PREFIX}{}", self.secret.expose())
    }

    /// The entry path the webview opens first.
    pub(crate) fn entry_path(&self, next: &str) -> String {
        let next: String =
            url::form_urlencoded::byte_serialize(sanitize_next(next).as_bytes()).collect();
        format!("{}?next={next}", self.secret_prefix())
    }

    /// `Set-Cookie` for the entry answer: host-only (no `Domain`), whole relay, invisible
    /// to scripts, never sent on cross-site requests.
    pub(crate) fn set_cookie(&self) -> String {
        format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie_name,
            self.secret.expose()
        )
    }

    /// Whether `text` carries the secret, as it is or percent-encoded (it must never be
    /// forwarded upstream).
    fn mentioned_in(&self, text: &str) -> bool {
        let secret = self.secret.expose().as_str();
        text.contains(secret)
            || percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .contains(secret)
    }

    fn is_secret(&self, candidate: &str) -> bool {
        ct_eq(candidate.as_bytes(), self.secret.expose().as_bytes())
    }

    /// Decides whether a request (its path-and-query and `Cookie` values) may pass.
    pub(crate) fn check<'a>(
        &self,
        path_and_query: &str,
        cookies: impl IntoIterator<Item = &'a str>,
    ) -> Access {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        if let Some(after) = path.strip_prefix(ENTRY_PREFIX) {
            let (candidate, rest) = match after.find('/') {
                Some(i) => (&after[..i], Some(&after[i..])),
                None => (after, None),
            };
            if !self.is_secret(candidate) {
                return Access::Denied;
            }
            return match rest {
                None => {
                    let next = query
                        .into_iter()
                        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()))
                        .find(|(k, _)| k == "next")
                        .map(|(_, v)| sanitize_next(&v))
                        .unwrap_or_else(|| "/".to_string());
                    Access::Entry { next }
                }
                // The secret never goes upstream: a path or query that repeats it (found by
                // fuzzing: `/__skyport/<s>//__skyport/<s>/x`) is refused, not forwarded.
                Some(rest)
                    if self.mentioned_in(rest) || query.is_some_and(|q| self.mentioned_in(q)) =>
                {
                    Access::Denied
                }
                Some(rest) => Access::Prefixed {
                    rest: match query {
                        Some(q) => format!("{rest}?{q}"),
                        None => rest.to_string(),
                    },
                },
            };
        }
        let ok = cookie_pairs(cookies)
            .any(|(name, value)| name == self.cookie_name && self.is_secret(value));
        if ok && !self.mentioned_in(path_and_query) {
            Access::Cookie
        } else {
            Access::Denied
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate::from_parts("abc123", SecretString::new("s3cr3t".into()))
    }

    #[test]
    fn generated_secrets_are_long_random_and_distinct() {
        let a = Gate::generate().expect("random");
        let b = Gate::generate().expect("random");
        assert_eq!(a.secret.expose().len(), 64, "256 bits, hex");
        assert_ne!(a.secret.expose(), b.secret.expose());
        assert_ne!(a.cookie_name(), b.cookie_name());
        assert!(a.cookie_name().starts_with(COOKIE_NAMESPACE));
    }

    #[test]
    fn entry_sets_a_strict_host_only_cookie_and_keeps_next_on_the_relay() {
        let g = gate();
        let entry = g.entry_path("/session/notebook/x/lab?token=x");
        assert_eq!(
            entry,
            "/__skyport/s3cr3t?next=%2Fsession%2Fnotebook%2Fx%2Flab%3Ftoken%3Dx"
        );
        assert_eq!(
            g.check(&entry, []),
            Access::Entry {
                next: "/session/notebook/x/lab?token=x".into()
            }
        );
        let c = g.set_cookie();
        assert!(c.starts_with("__spabc123=s3cr3t;"), "{c}");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"));
        assert!(!c.to_ascii_lowercase().contains("domain"), "host-only: {c}");
        // Open-redirect attempts land on the relay's root instead.
        for bad in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil",
            "x",
            "",
        ] {
            assert_eq!(sanitize_next(bad), "/", "{bad}");
            let q: String = url::form_urlencoded::byte_serialize(bad.as_bytes()).collect();
            assert_eq!(
                g.check(&format!("/__skyport/s3cr3t?next={q}"), []),
                Access::Entry { next: "/".into() }
            );
        }
        assert_eq!(
            g.check("/__skyport/s3cr3t", []),
            Access::Entry { next: "/".into() }
        );
    }

    #[test]
    fn later_requests_need_the_cookie_or_the_prefix() {
        let g = gate();
        assert_eq!(g.check("/page", []), Access::Denied);
        assert_eq!(g.check("/page", ["other=1"]), Access::Denied);
        assert_eq!(g.check("/page", ["__spabc123=wrong"]), Access::Denied);
        assert_eq!(g.check("/page", ["__spabc123=s3cr3"]), Access::Denied);
        // Another relay's cookie with this secret is still not this relay's cookie.
        assert_eq!(g.check("/page", ["__spffffff=s3cr3t"]), Access::Denied);
        assert_eq!(
            g.check("/page", ["a=b; __spabc123=s3cr3t; c=d"]),
            Access::Cookie
        );
        assert_eq!(g.check("/p", ["x=1", "__spabc123=s3cr3t"]), Access::Cookie);
        assert_eq!(
            g.check("/__skyport/s3cr3t/session/x/ws?a=1", []),
            Access::Prefixed {
                rest: "/session/x/ws?a=1".into()
            }
        );
        assert_eq!(g.check("/__skyport/wrong/session", []), Access::Denied);
        // The secret is never part of what is forwarded.
        for repeat in [
            "/__skyport/s3cr3t//__skyport/s3cr3t/x",
            "/__skyport/s3cr3t/__skyport/s3cr3t/x",
            "/__skyport/s3cr3t/a/s3cr3t",
            "/__skyport/s3cr3t/a?next=s3cr3t",
            "/__skyport/s3cr3t/a/%73%33%63%72%33%74",
        ] {
            assert_eq!(g.check(repeat, []), Access::Denied, "{repeat}");
        }
        // With the cookie, too: the secret is never part of a forwarded path.
        for repeat in ["/page/s3cr3t", "/page?x=%73%33cr3t"] {
            assert_eq!(
                g.check(repeat, ["__spabc123=s3cr3t"]),
                Access::Denied,
                "{repeat}"
            );
        }
        assert_eq!(g.check("/__skyport/wrong", []), Access::Denied);
        // The reserved prefix never falls back to the cookie.
        assert_eq!(
            g.check("/__skyport/wrong", ["__spabc123=s3cr3t"]),
            Access::Denied
        );
    }

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }
}
