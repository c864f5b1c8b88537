//! Where a credential may be sent: a list of scopes, each an origin (scheme, host, port),
//! optionally with a path prefix, or every host under a domain (`https://*.canfar.net`).
//! Only https scopes, except on this machine (plain http to loopback, as the local demo).

use std::fmt;

use url::{Host, Url};

/// One place a credential may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    scheme: String,
    host: HostPattern,
    port: u16,
    /// Empty, or a path prefix ending in `/`.
    path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.canfar.net`: any host under `canfar.net` (not `canfar.net` itself).
    Under(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} cannot be a credential's place: {why}. Give an origin such as https://ws-uv.canfar.net, optionally with a path (https://host/tap/), or https://*.canfar.net for every host of a domain.")]
pub struct ScopeError {
    pub given: String,
    pub why: String,
}

impl Scope {
    /// Parse `https://host[:port][/path/]` or `https://*.domain`.
    pub fn parse(text: &str) -> Result<Scope, ScopeError> {
        let given = text.trim();
        let err = |why: &str| ScopeError {
            given: given.to_string(),
            why: why.to_string(),
        };
        let (wild, parse_this) = match given.split_once("://*.") {
            Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
            None => (false, given.to_string()),
        };
        let url = Url::parse(&parse_this).map_err(|e| err(&format!("it is not a URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err("it holds a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(err("it has a query or fragment"));
        }
        let scheme = url.scheme().to_string();
        let host = match url.host() {
            Some(Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(Host::Ipv4(ip)) if !wild => ip.to_string(),
            Some(Host::Ipv6(ip)) if !wild => format!("[{ip}]"),
            _ => return Err(err("it names no host")),
        };
        match scheme.as_str() {
            "https" => {}
            "http" if !wild && crate::secure::is_loopback(&url) => {}
            "http" => {
                return Err(err(
                    "credentials go only over https (plain http only on this machine)",
                ))
            }
            _ => return Err(err("only https addresses can hold credentials")),
        }
        // A `*` is a pattern's first label only: a host holding one elsewhere (which the URL
        // parser lets through, as in `https:///*.org`) would be shown as a pattern it is not.
        if host.contains('*') {
            return Err(err(
                "a '*' may only begin a domain pattern (https://*.example.org)",
            ));
        }
        if wild && host.split('.').filter(|p| !p.is_empty()).count() < 2 {
            return Err(err(
                "a domain pattern needs at least two labels (*.example.org)",
            ));
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let mut path = url.path().to_string();
        if path == "/" {
            path.clear();
        } else if !path.ends_with('/') {
            path.push('/');
        }
        Ok(Scope {
            scheme,
            host: if wild {
                HostPattern::Under(host)
            } else {
                HostPattern::Exact(host)
            },
            port,
            path,
        })
    }

    /// The scope of exactly `url`'s origin (no path).
    pub fn origin_of(url: &Url) -> Result<Scope, ScopeError> {
        Scope::parse(&url.origin().ascii_serialization())
    }

    /// Whether a request to `url` is inside this scope.
    pub fn contains(&self, url: &Url) -> bool {
        if url.scheme() != self.scheme || url.port_or_known_default() != Some(self.port) {
            return false;
        }
        let host = match url.host() {
            Some(Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => format!("[{ip}]"),
            None => return false,
        };
        let host_ok = match &self.host {
            HostPattern::Exact(h) => *h == host,
            HostPattern::Under(d) => host
                .strip_suffix(d.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        };
        if !host_ok {
            return false;
        }
        if self.path.is_empty() {
            return true;
        }
        // `/tap/` takes `/tap` and `/tap/…`; encoded dots or slashes could walk out of it.
        let p = url.path();
        let lower = p.to_ascii_lowercase();
        if ["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e)) {
            return false;
        }
        p.starts_with(&self.path) || format!("{p}/") == self.path
    }

    /// How specific the scope is: an exact host before a domain, a longer path before a
    /// shorter one (the most specific binding wins).
    pub fn specificity(&self) -> (bool, usize) {
        (matches!(self.host, HostPattern::Exact(_)), self.path.len())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Exact(h) => h.clone(),
            HostPattern::Under(d) => format!("*.{d}"),
        };
        let default = matches!(
            (self.scheme.as_str(), self.port),
            ("https", 443) | ("http", 80)
        );
        if default {
            write!(f, "{}://{host}{}", self.scheme, self.path)
        } else {
            write!(f, "{}://{host}:{}{}", self.scheme, self.port, self.path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn origins_paths_and_domains() {
        let o = Scope::parse("https://ws-uv.canfar.net").expect("origin");
        assert_eq!(o.to_string(), "https://ws-uv.canfar.net");
        assert!(o.contains(&url("https://ws-uv.canfar.net/skaha/v1/session")));
        assert!(o.contains(&url("https://WS-UV.canfar.net:443/")));
        assert!(!o.contains(&url("http://ws-uv.canfar.net/")));
        assert!(!o.contains(&url("https://ws-uv.canfar.net:8443/")));
        assert!(!o.contains(&url("https://ws-uv.canfar.net.evil.org/")));

        let p = Scope::parse("https://gea.esac.esa.int/tap-server").expect("path");
        assert_eq!(p.to_string(), "https://gea.esac.esa.int/tap-server/");
        assert!(p.contains(&url("https://gea.esac.esa.int/tap-server/tap/sync")));
        assert!(p.contains(&url("https://gea.esac.esa.int/tap-server")));
        assert!(!p.contains(&url("https://gea.esac.esa.int/tap-server-other/")));
        assert!(!p.contains(&url("https://gea.esac.esa.int/")));
        assert!(!p.contains(&url("https://gea.esac.esa.int/tap-server/..%2f..%2fadmin")));

        let d = Scope::parse("https://*.canfar.net").expect("domain");
        assert_eq!(d.to_string(), "https://*.canfar.net");
        assert!(d.contains(&url("https://ws-cadc.canfar.net/ac/login")));
        assert!(!d.contains(&url("https://canfar.net/")));
        assert!(!d.contains(&url("https://evilcanfar.net/")));
        assert!(d.specificity() < o.specificity());
        assert!(o.specificity() < p.specificity());

        let local = Scope::parse("http://127.0.0.1:8080/vo/").expect("loopback http");
        assert!(local.contains(&url("http://127.0.0.1:8080/vo/basic")));
    }

    #[test]
    fn refused_with_what_to_give_instead() {
        for bad in [
            "http://example.org",
            "ftp://example.org",
            "https://*.org",
            "http://*.localhost",
            "https://user:pw@example.org",
            "https://example.org/?q=1",
            "not a url",
            "https://",
            // A '*' that is not a pattern's first label (found by fuzzing: the first one
            // was taken as the host "*.b" and shown as the pattern "https://*.b").
            "https:///*.b",
            "https://a*b.example.org",
            "https://*.a*.example.org",
        ] {
            let e = Scope::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("Give an origin"), "{e}");
        }
    }

    #[test]
    fn a_place_read_back_from_its_text_is_the_same_place() {
        for text in [
            "https://ws-uv.canfar.net",
            "https://gea.esac.esa.int/tap-server/",
            "https://*.canfar.net",
            "https:///ws-uv.canfar.net",
            "http://127.0.0.1:8080/vo/",
            "https://[::1]:8443",
        ] {
            let scope = Scope::parse(text).expect(text);
            assert_eq!(Scope::parse(&scope.to_string()), Ok(scope), "{text}");
        }
    }
}
