//! VOSI `capabilities` documents: which standard interfaces a service offers, where, and with
//! which security methods.
//!
//! Facts: discovery.md §2. Element names are matched by local name (the root is namespaced,
//! its children are not, and generated documents vary). An `<interface>` keeps its first
//! non-empty `<accessURL>`; a `<securityMethod/>` without `standardID` means anonymous
//! access. Anything that is not a capabilities document — an HTML error page, a login form,
//! JSON — is refused with what it looked like, never taken for an empty list.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::xml::{attr, opening, reference};

/// How a client may authenticate to an interface (`ivo://ivoa.net/sso#…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Security {
    Anonymous,
    /// `#tls-with-certificate`: an X.509 client certificate.
    Certificate,
    /// `#token` (and CADC's deprecated `…/Auth#token-1.0`): a bearer token.
    Token,
    /// `#cookie`: a browser single-sign-on cookie.
    Cookie,
    /// `#BasicAA`: HTTP Basic with a username and password.
    Basic,
    /// `#tls-with-password`: a password login form (CADC's `/ac/login`).
    Password,
    /// `#OAuth`, `#OpenID`: the service is (part of) an OAuth/OIDC provider.
    OAuth,
    OpenId,
    Other(String),
}

impl Security {
    fn from_standard_id(id: Option<&str>) -> Self {
        let Some(id) = id.map(str::trim).filter(|s| !s.is_empty()) else {
            return Self::Anonymous;
        };
        match id {
            "ivo://ivoa.net/sso#anon" => Self::Anonymous,
            "ivo://ivoa.net/sso#tls-with-certificate" => Self::Certificate,
            "ivo://ivoa.net/sso#token" | "vos://cadc.nrc.ca~vospace/CADC/std/Auth#token-1.0" => {
                Self::Token
            }
            "ivo://ivoa.net/sso#cookie" => Self::Cookie,
            "ivo://ivoa.net/sso#BasicAA" => Self::Basic,
            "ivo://ivoa.net/sso#tls-with-password" => Self::Password,
            "ivo://ivoa.net/sso#OAuth" => Self::OAuth,
            "ivo://ivoa.net/sso#OpenID" => Self::OpenId,
            other => Self::Other(other.to_string()),
        }
    }
}

/// The most security methods kept per interface (real ones name up to five).
pub const MAX_METHODS: usize = 16;

/// One way to reach a capability.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interface {
    pub access_url: String,
    /// `base` (paths are appended) or `full` (the URL as it is); `None` when not given.
    pub use_: Option<String>,
    pub role: Option<String>,
    /// The local name of `xsi:type` (`ParamHTTP`).
    pub kind: Option<String>,
    /// Empty when the document names none (older documents, or methods a site filtered out).
    pub security: Vec<Security>,
}

impl Interface {
    pub fn accepts(&self, s: &Security) -> bool {
        self.security.contains(s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    pub standard_id: String,
    pub interfaces: Vec<Interface>,
}

/// Why a document could not be read as capabilities.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapabilitiesError {
    #[error("the answer is not a capabilities document (it starts with {0:?})")]
    NotCapabilities(String),
    #[error("the capabilities document is malformed XML: {0}")]
    Malformed(String),
}

/// Every capability in the document, in order.
pub fn parse(text: &str) -> Result<Vec<Capability>, CapabilitiesError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let malformed = |e: quick_xml::Error| CapabilitiesError::Malformed(e.to_string());

    let mut root_seen = false;
    // Elements open now: a document that ends with some still open was cut short.
    let mut depth: usize = 0;
    let mut caps: Vec<Capability> = Vec::new();
    let mut iface: Option<Interface> = None;
    // Collecting the text of an <accessURL> of the current interface.
    let mut url_text: Option<String> = None;
    // The `use` of that <accessURL>, kept if its text is.
    let mut url_use: Option<String> = None;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if !empty {
                    depth += 1;
                }
                let name = e.local_name();
                let name = name.as_ref();
                if !root_seen {
                    if name != "capabilities" {
                        return Err(CapabilitiesError::NotCapabilities(opening(text)));
                    }
                    root_seen = true;
                    continue;
                }
                match name {
                    "capability" => caps.push(Capability {
                        standard_id: attr(e, "standardID").unwrap_or_default(),
                        interfaces: vec![],
                    }),
                    "interface" if !caps.is_empty() => {
                        let i = Interface {
                            role: attr(e, "role"),
                            kind: attr(e, "type")
                                .map(|t| t.rsplit(':').next().unwrap_or_default().to_string()),
                            ..Interface::default()
                        };
                        if empty {
                            if let Some(c) = caps.last_mut() {
                                c.interfaces.push(i);
                            }
                        } else {
                            iface = Some(i);
                        }
                    }
                    "accessURL" => {
                        // The first one, unless a later `use="base"` one can replace a
                        // `full` one (clients take the base URL).
                        let use_ = attr(e, "use");
                        let wanted = iface.as_ref().is_some_and(|i| {
                            i.access_url.is_empty()
                                || (use_.as_deref() == Some("base")
                                    && i.use_.as_deref() != Some("base"))
                        });
                        if wanted && !empty {
                            url_text = Some(String::new());
                            url_use = use_;
                        }
                    }
                    "securityMethod" => {
                        if let Some(i) = iface.as_mut() {
                            let s = Security::from_standard_id(attr(e, "standardID").as_deref());
                            // Real interfaces name a handful; a bound keeps odd input linear.
                            if i.security.len() < MAX_METHODS && !i.security.contains(&s) {
                                i.security.push(s);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some(u) = url_text.as_mut() {
                    u.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(u) = url_text.as_mut() {
                    u.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(u), Some(c)) = (url_text.as_mut(), reference(&r)) {
                    u.push(c);
                }
            }
            Event::End(e) => match {
                depth = depth.saturating_sub(1);
                e.local_name()
            }
            .as_ref()
            {
                "accessURL" => {
                    if let (Some(u), Some(i)) = (url_text.take(), iface.as_mut()) {
                        let u = u.trim();
                        if !u.is_empty() {
                            i.access_url = u.to_string();
                            i.use_ = url_use.take();
                        }
                    }
                }
                "interface" => {
                    if let (Some(i), Some(c)) = (iface.take(), caps.last_mut()) {
                        c.interfaces.push(i);
                    }
                }
                _ => {}
            },
            Event::Eof if depth > 0 => {
                return Err(CapabilitiesError::Malformed(
                    "the document ends before its elements are closed (cut short?)".into(),
                ))
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(CapabilitiesError::NotCapabilities(opening(text)));
    }
    Ok(caps)
}

/// The capabilities with this standard id.
pub fn with_id<'a>(caps: &'a [Capability], id: &'a str) -> impl Iterator<Item = &'a Capability> {
    caps.iter().filter(move |c| c.standard_id == id)
}

/// The first interface of capability `id` with an access URL and, when given, accepting `by`.
pub fn interface<'a>(
    caps: &'a [Capability],
    id: &str,
    by: Option<&Security>,
) -> Option<&'a Interface> {
    caps.iter()
        .filter(|c| c.standard_id == id)
        .flat_map(|c| &c.interfaces)
        .filter(|i| !i.access_url.is_empty())
        .find(|i| by.is_none_or(|s| i.accepts(s)))
}

/// Real-format documents shared by the tests of this module and its neighbours.
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) const CANFAR_SKAHA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<vosi:capabilities
    xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">
  <capability standardID="ivo://ivoa.net/std/VOSI#capabilities">
    <interface xsi:type="vs:ParamHTTP" role="std">
      <accessURL use="full">https://ws-uv.canfar.net/skaha/capabilities</accessURL>
    </interface>
  </capability>
  <capability standardID="vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0">
    <interface xsi:type="vs:ParamHTTP" role="std" version="1.0">
        <accessURL use="base">https://ws-uv.canfar.net/skaha/v0</accessURL>
      <securityMethod standardID="ivo://ivoa.net/sso#cookie"/>
    </interface>
    <interface xsi:type="vs:ParamHTTP" role="std" version="1.0">
        <accessURL use="base">https://ws-uv.canfar.net/skaha/v0</accessURL>
      <securityMethod standardID="ivo://ivoa.net/sso#token"/>
    </interface>
  </capability>
  <capability standardID="http://www.opencadc.org/std/platform#session-1">
    <interface xsi:type="vs:ParamHTTP" role="std" version="1.0">
        <accessURL use="base">https://ws-uv.canfar.net/skaha/v1/session</accessURL>
      <securityMethod standardID="ivo://ivoa.net/sso#tls-with-certificate"/>
    </interface>
  </capability>
</vosi:capabilities>"#;
}

#[cfg(test)]
mod tests {
    use super::tests_support::CANFAR_SKAHA;
    use super::*;

    #[test]
    fn reads_capabilities_interfaces_and_security_methods() {
        let caps = parse(CANFAR_SKAHA).expect("parse");
        assert_eq!(caps.len(), 3);
        let legacy = &caps[1];
        assert_eq!(
            legacy.standard_id,
            "vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0"
        );
        assert_eq!(legacy.interfaces.len(), 2);
        assert_eq!(
            legacy.interfaces[0].access_url,
            "https://ws-uv.canfar.net/skaha/v0"
        );
        assert_eq!(legacy.interfaces[0].use_.as_deref(), Some("base"));
        assert_eq!(legacy.interfaces[0].kind.as_deref(), Some("ParamHTTP"));
        assert_eq!(legacy.interfaces[1].security, [Security::Token]);
        let v1 = interface(
            &caps,
            "http://www.opencadc.org/std/platform#session-1",
            Some(&Security::Certificate),
        )
        .expect("v1 with a certificate");
        assert_eq!(v1.access_url, "https://ws-uv.canfar.net/skaha/v1/session");
    }

    #[test]
    fn an_empty_security_method_is_anonymous_and_references_are_resolved() {
        let doc = r#"<capabilities><capability standardID="ivo://ivoa.net/std/VOSpace/v2.0#nodes">
            <interface role="std"><accessURL use="base">https://h/arc/nodes?a=1&amp;b=&#50;</accessURL>
            <securityMethod/><securityMethod standardID="ivo://ivoa.net/sso#token"/></interface>
            </capability></capabilities>"#;
        let caps = parse(doc).expect("parse");
        let i = &caps[0].interfaces[0];
        assert_eq!(i.access_url, "https://h/arc/nodes?a=1&b=2");
        assert_eq!(i.security, [Security::Anonymous, Security::Token]);
    }

    #[test]
    fn html_json_and_broken_xml_are_refused_with_what_came() {
        let e = parse("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>")
            .expect_err("html");
        assert!(
            matches!(&e, CapabilitiesError::NotCapabilities(s) if s.starts_with("<!DOCTYPE html>")),
            "{e}"
        );
        assert!(matches!(
            parse("{\"error\": \"x\"}"),
            Err(CapabilitiesError::NotCapabilities(_))
        ));
        assert!(matches!(
            parse(""),
            Err(CapabilitiesError::NotCapabilities(_))
        ));
        assert!(
            parse("<capabilities><capability standardID=\"x\"><interface></capabilities>").is_err()
        );
        // Cut short: the end of the text comes with elements still open.
        let cut = &CANFAR_SKAHA[..CANFAR_SKAHA.len() / 2];
        assert!(
            matches!(parse(cut), Err(CapabilitiesError::Malformed(_))),
            "{:?}",
            parse(cut)
        );
    }

    #[test]
    fn a_base_access_url_is_preferred_to_a_full_one() {
        let doc = r#"<capabilities><capability standardID="s"><interface>
            <accessURL use="full">https://h/skaha/v1/session/x</accessURL>
            <accessURL use="base">https://h/skaha/v1/session</accessURL>
            <accessURL use="base">https://h/other</accessURL></interface></capability></capabilities>"#;
        let i = &parse(doc).expect("parse")[0].interfaces[0];
        assert_eq!(i.access_url, "https://h/skaha/v1/session");
        assert_eq!(i.use_.as_deref(), Some("base"));
    }

    #[test]
    fn an_empty_document_has_no_capabilities() {
        let caps = parse("<vosi:capabilities xmlns:vosi=\"v\"/>").expect("empty");
        assert!(caps.is_empty());
    }
}
