//! Header rewriting between the webview (the relay's origin) and the session's origin.
//!
//! Pure functions over strings so the rules can be unit-tested: which request headers go
//! upstream, how cookies cross, and how `Location`, `Origin` and `Referer` are mapped.

use url::Url;

use super::entry::{cookie_pairs, Gate, COOKIE_NAMESPACE};

/// Hop-by-hop headers (RFC 9110 §7.6.1) plus the proxy ones; never forwarded either way.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Request headers the relay owns: the credential replaces `authorization`, cookies and
/// `origin`/`referer` are rebuilt, `host` follows the fixed target.
const REQUEST_OWNED: [&str; 6] = [
    "host",
    "authorization",
    "cookie",
    "origin",
    "referer",
    "expect",
];

/// Request headers some servers and proxies route or dispatch by: a page could otherwise
/// reach another path (`X-Original-URL: /skaha/v1/session`) or method than the one the
/// relay checked.
const ROUTING_OVERRIDES: [&str; 6] = [
    "x-original-url",
    "x-rewrite-url",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-real-ip",
];

/// Response headers that must not reach the webview: challenges would make it prompt for a
/// password the relay would then drop; HSTS and Alt-Svc would point it away from plain
/// loopback HTTP.
const RESPONSE_DROPPED: [&str; 3] = ["www-authenticate", "strict-transport-security", "alt-svc"];

fn listed_in_connection<'a>(connection: impl IntoIterator<Item = &'a str>, name: &str) -> bool {
    connection
        .into_iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(name))
}

/// Whether a request header from the webview is copied upstream as it is.
pub(crate) fn forward_request_header<'a>(
    name: &str,
    connection: impl IntoIterator<Item = &'a str>,
) -> bool {
    let n = name.to_ascii_lowercase();
    !(HOP_BY_HOP.contains(&n.as_str())
        || REQUEST_OWNED.contains(&n.as_str())
        || ROUTING_OVERRIDES.contains(&n.as_str())
        || n.starts_with("x-forwarded-")
        || n == "forwarded"
        || listed_in_connection(connection, &n))
}

/// Whether an upstream response header is copied to the webview as it is.
pub(crate) fn forward_response_header<'a>(
    name: &str,
    connection: impl IntoIterator<Item = &'a str>,
) -> bool {
    let n = name.to_ascii_lowercase();
    !(HOP_BY_HOP.contains(&n.as_str())
        || RESPONSE_DROPPED.contains(&n.as_str())
        || listed_in_connection(connection, &n))
}

/// The `Cookie` header to send upstream, built from the webview's cookies: the relay's own
/// cookie and other relays' cookies are dropped, cookies this relay renamed get their name
/// back, and a cookie the credential supplies cannot be overridden by the page.
pub(crate) fn upstream_cookies<'a>(
    values: impl IntoIterator<Item = &'a str>,
    gate: &Gate,
    credential_cookie: Option<&str>,
) -> Vec<String> {
    let renamed = gate.renamed_prefix();
    let mut out = Vec::new();
    for (name, value) in cookie_pairs(values) {
        let name = if let Some(original) = name.strip_prefix(renamed.as_str()) {
            original
        } else if starts_with_ignore_case(name, COOKIE_NAMESPACE) {
            // This relay's secret, or another relay's (cookies ignore ports).
            continue;
        } else {
            name
        };
        if name.is_empty() || credential_cookie == Some(name) {
            continue;
        }
        out.push(format!("{name}={value}"));
    }
    out
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Rewrites an upstream `Set-Cookie` for the relay's origin (`http://127.0.0.1:PORT`).
///
/// `Domain` goes (the cookie becomes host-only on the relay), `Secure` and `Partitioned`
/// go (the relay is plain HTTP on loopback, where the webview may refuse them), and
/// `SameSite=None`, which needs `Secure`, becomes `Lax`. `HttpOnly` cookies, whose names
/// scripts never see, are renamed into this relay's namespace so another relay's window
/// on 127.0.0.1 never receives them; so are `__Host-`/`__Secure-` cookies (their rules
/// need `Secure`) and anything in the relay's own namespace. `None` drops a malformed one.
pub(crate) fn set_cookie(value: &str, gate: &Gate) -> Option<String> {
    let mut parts = value.split(';');
    let (name, val) = parts.next()?.split_once('=')?;
    let (name, val) = (name.trim(), val.trim());
    if name.is_empty() {
        return None;
    }
    let mut attrs = Vec::new();
    let mut http_only = false;
    for attr in parts {
        let attr = attr.trim();
        if attr.is_empty() {
            continue;
        }
        let key = attr
            .split_once('=')
            .map_or(attr, |(k, _)| k)
            .trim()
            .to_ascii_lowercase();
        match key.as_str() {
            "domain" | "secure" | "partitioned" => continue,
            "httponly" => http_only = true,
            "samesite" => {
                let v = attr.split_once('=').map_or("", |(_, v)| v.trim());
                if v.eq_ignore_ascii_case("none") {
                    attrs.push("SameSite=Lax".to_string());
                    continue;
                }
            }
            _ => {}
        }
        attrs.push(attr.to_string());
    }
    let rename = http_only
        || starts_with_ignore_case(name, "__host-")
        || starts_with_ignore_case(name, "__secure-")
        || starts_with_ignore_case(name, COOKIE_NAMESPACE);
    let name = if rename {
        format!("{}{name}", gate.renamed_prefix())
    } else {
        name.to_string()
    };
    let mut out = format!("{name}={val}");
    for a in attrs {
        out.push_str("; ");
        out.push_str(&a);
    }
    Some(out)
}

/// `scheme://host:port` of a URL, without a trailing slash.
pub(crate) fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Rewrites a `Location` from upstream. Targets on the session's own paths go back
/// through the relay (under the secret prefix when the request used it); targets elsewhere,
/// on another origin or outside the session on its origin, are made absolute and left
/// pointing there, so the shell opens them outside the relay and the credential never
/// follows. `None`: drop the header, since it does not resolve against the session's URL
/// and the webview would read it against the relay instead (found by fuzzing: `http:/x`
/// from an https session is a relay path).
pub(crate) fn location(
    value: &str,
    request_url: &Url,
    relay_base: &str,
    scope: &super::PathScope,
) -> Option<String> {
    let abs = request_url.join(value.trim()).ok()?;
    if abs.origin() != request_url.origin() || !scope.allows(abs.path()) {
        return Some(abs.to_string());
    }
    let mut out = format!("{relay_base}{}", abs.path());
    if let Some(q) = abs.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = abs.fragment() {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// The `Origin` to send upstream: the relay's own origin becomes the session's (servers
/// such as Jupyter compare it with `Host` on websockets); `null` stays `null` (the server
/// refuses unsafe methods from it first). `None` for any other origin: a page elsewhere
/// trying to use the relay is refused.
pub(crate) fn upstream_origin(
    value: &str,
    relay_origin: &str,
    target_origin: &str,
) -> Option<String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case(relay_origin) {
        Some(target_origin.to_string())
    } else if v == "null" {
        Some("null".to_string())
    } else {
        None
    }
}

/// The `Referer` to send upstream: relay pages map to the same path on the session's
/// origin (without the secret prefix); a referer that would reveal the secret, or that
/// names another origin, is dropped.
pub(crate) fn upstream_referer(
    value: &str,
    relay_origin: &str,
    target_origin: &str,
    secret_prefix: &str,
) -> Option<String> {
    let rest = value.trim().strip_prefix(relay_origin)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let rest = match rest.strip_prefix(secret_prefix) {
        Some(r) if r.starts_with('/') => r,
        Some(_) => return None,
        None if rest.starts_with(super::entry::ENTRY_PREFIX) => return None,
        None => rest,
    };
    Some(format!("{target_origin}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretString;

    fn gate() -> Gate {
        Gate::from_parts("abc123", SecretString::new("s3cr3t".into()))
    }

    const RELAY: &str = "http://127.0.0.1:4000";

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn location_on_the_target_comes_back_to_the_relay() {
        let req = url("https://ws-uv.canfar.net/session/notebook/x/lab?token=x");
        let scope = super::super::PathScope::for_session(&req, "x").expect("scope");
        let location = |v: &str, req: &Url, base: &str| {
            location(v, req, base, &scope).expect("a Location that resolves")
        };
        assert_eq!(
            location(
                "https://ws-uv.canfar.net/session/notebook/x/tree?a=1#f",
                &req,
                RELAY
            ),
            "http://127.0.0.1:4000/session/notebook/x/tree?a=1#f"
        );
        assert_eq!(
            location("/session/notebook/x/login", &req, RELAY),
            "http://127.0.0.1:4000/session/notebook/x/login"
        );
        assert_eq!(
            location("tree", &req, RELAY),
            "http://127.0.0.1:4000/session/notebook/x/tree"
        );
        // Same host on another port or scheme is another origin.
        assert_eq!(
            location("http://ws-uv.canfar.net/x", &req, RELAY),
            "http://ws-uv.canfar.net/x"
        );
        assert_eq!(
            location("https://ws-uv.canfar.net:8443/x", &req, RELAY),
            "https://ws-uv.canfar.net:8443/x"
        );
        // Elsewhere stays elsewhere, made absolute (a scheme-relative `//idp/...` would
        // otherwise be resolved against the relay's plain-HTTP scheme).
        assert_eq!(
            location("//idp.example/login?x=1", &req, RELAY),
            "https://idp.example/login?x=1"
        );
        assert_eq!(
            location("https://idp.example/authorize", &req, RELAY),
            "https://idp.example/authorize"
        );
        // Under the secret prefix when the request came that way.
        let base = format!("{RELAY}/__skyport/s3cr3t");
        assert_eq!(
            location("/session/notebook/x/y", &req, &base),
            "http://127.0.0.1:4000/__skyport/s3cr3t/session/notebook/x/y"
        );
        // One that does not resolve against the session's URL is dropped, not passed on
        // for the webview to read against the relay.
        let https = url("https://ws-uv.canfar.net/session/notebook/x/lab");
        for bad in ["http:/e; x", "http:%2f27.0.0.1:4000", "https://"] {
            assert_eq!(super::location(bad, &https, RELAY, &scope), None, "{bad}");
        }
        // The same origin outside the session (the API, another session, the login page)
        // is left pointing at the platform: the window opens it outside, without the relay.
        for outside in ["/skaha/v1/session", "/session/notebook/y/lab", "/ac/login"] {
            assert_eq!(
                location(outside, &req, RELAY),
                format!("https://ws-uv.canfar.net{outside}")
            );
        }
    }

    #[test]
    fn set_cookie_becomes_host_only_on_the_relay() {
        let g = gate();
        assert_eq!(
            set_cookie(
                "_xsrf=2|ab; Domain=.canfar.net; Path=/session; Secure; SameSite=None",
                &g
            )
            .as_deref(),
            Some("_xsrf=2|ab; Path=/session; SameSite=Lax")
        );
        // HttpOnly session cookies are renamed into this relay's namespace.
        assert_eq!(
            set_cookie("sid=abc; Path=/; HttpOnly; Max-Age=60", &g).as_deref(),
            Some("__spabc123.sid=abc; Path=/; HttpOnly; Max-Age=60")
        );
        assert_eq!(
            set_cookie("__Host-id=1; Path=/; Secure", &g).as_deref(),
            Some("__spabc123.__Host-id=1; Path=/")
        );
        // Upstream cannot plant a cookie in the relay namespace.
        assert_eq!(
            set_cookie("__spabc123=forged; Path=/", &g).as_deref(),
            Some("__spabc123.__spabc123=forged; Path=/")
        );
        assert_eq!(set_cookie("garbage", &g), None);
        assert_eq!(set_cookie("=x", &g), None);
    }

    #[test]
    fn cookies_going_upstream() {
        let g = gate();
        let sent = upstream_cookies(
            [
                "__spabc123=s3cr3t; _xsrf=t; __spabc123.sid=abc",
                "__spffffff=other-relay; __spffffff.sid=other; CADC_SSO=page-set",
            ],
            &g,
            Some("CADC_SSO"),
        );
        assert_eq!(sent, ["_xsrf=t", "sid=abc"]);
        assert!(upstream_cookies(["__spabc123=s3cr3t"], &g, None).is_empty());
    }

    #[test]
    fn request_and_response_header_filters() {
        for h in [
            "Authorization",
            "Cookie",
            "Host",
            "Connection",
            "Upgrade",
            "Proxy-Authorization",
            "X-Forwarded-For",
            "Origin",
            "X-Original-URL",
            "X-Rewrite-URL",
            "X-HTTP-Method-Override",
            "X-HTTP-Method",
            "X-Method-Override",
            "X-Real-IP",
        ] {
            assert!(!forward_request_header(h, []), "{h}");
        }
        for h in ["Accept", "Content-Type", "Sec-WebSocket-Key", "X-XSRFToken"] {
            assert!(forward_request_header(h, []), "{h}");
        }
        assert!(!forward_request_header("X-Custom", ["close, X-Custom"]));
        for h in [
            "WWW-Authenticate",
            "Transfer-Encoding",
            "Strict-Transport-Security",
            "Alt-Svc",
        ] {
            assert!(!forward_response_header(h, []), "{h}");
        }
        assert!(forward_response_header("Set-Cookie", []));
        assert!(forward_response_header("Content-Security-Policy", []));
    }

    #[test]
    fn origin_and_referer() {
        let t = "https://ws-uv.canfar.net";
        assert_eq!(upstream_origin(RELAY, RELAY, t).as_deref(), Some(t));
        assert_eq!(upstream_origin("null", RELAY, t).as_deref(), Some("null"));
        assert_eq!(upstream_origin("http://127.0.0.1:4001", RELAY, t), None);
        assert_eq!(upstream_origin("https://evil.example", RELAY, t), None);
        let p = "/__skyport/s3cr3t";
        assert_eq!(
            upstream_referer("http://127.0.0.1:4000/session/x/lab?a", RELAY, t, p).as_deref(),
            Some("https://ws-uv.canfar.net/session/x/lab?a")
        );
        assert_eq!(
            upstream_referer(
                "http://127.0.0.1:4000/__skyport/s3cr3t/session/x",
                RELAY,
                t,
                p
            )
            .as_deref(),
            Some("https://ws-uv.canfar.net/session/x")
        );
        assert_eq!(
            upstream_referer("http://127.0.0.1:4000/__skyport/s3cr3t?next=/", RELAY, t, p),
            None
        );
        assert_eq!(
            upstream_referer("http://127.0.0.1:4000/__skyport/guess/x", RELAY, t, p),
            None
        );
        assert_eq!(
            upstream_referer("http://127.0.0.1:40001/x", RELAY, t, p),
            None
        );
        assert_eq!(
            upstream_referer("https://elsewhere.example/", RELAY, t, p),
            None
        );
    }
}
