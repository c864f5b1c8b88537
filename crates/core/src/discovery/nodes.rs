//! The platforms a registry lists: their names, and which entries are not for users.
//!
//! Facts: discovery.md §1.5 and §3.2 (the official `canfar` client 1.5.2: its names for the
//! SRCNet nodes, the entry it omits from the CADC registry, and the markers of development
//! deployments, which it hides unless asked).

use super::registry::Record;

/// The names the `canfar` client gives the session services it knows.
const NAMES: [(&str, &str); 14] = [
    ("ivo://canfar.net/src/skaha", "canSRC"),
    ("ivo://swesrc.chalmers.se/skaha", "sweSRC"),
    ("ivo://canfar.cam.uksrc.org/skaha", "ukCAM"),
    ("ivo://canfar.ral.uksrc.org/skaha", "ukRAL"),
    ("ivo://src.skach.org/skaha", "chSRC"),
    ("ivo://espsrc.iaa.csic.es/skaha", "espSRC"),
    ("ivo://canfar.itsrc.oact.inaf.it/skaha", "itaINAF"),
    ("ivo://shion-sp.mtk.nao.ac.jp/skaha", "jpSRC"),
    ("ivo://canfar.krsrc.kr/skaha", "krSRC"),
    ("ivo://canfar.ska.zverse.space/skaha", "cnSRC"),
    ("ivo://canfar.itsrc.ext.cineca.it/skaha", "itCINECA"),
    ("ivo://canfar.srcnet.skao.int/skaha", "skaSRC"),
    ("ivo://aussrc.org/skaha", "ausSRC"),
    ("ivo://cadc.nrc.ca/skaha", "canfar"),
];

/// Whether `id` is a known SRCNet node (every known service but CANFAR's own).
pub fn is_srcnet(id: &str) -> bool {
    id != super::CANFAR_SKAHA && NAMES.iter().any(|(i, _)| *i == id)
}

/// Substrings that mark a development deployment (in its id or URL).
const DEVELOPMENT_MARKERS: [&str; 8] = [
    "dev",
    "development",
    "test",
    "demo",
    "stage",
    "staging",
    "rc-",
    "preprod",
];

/// A session service a registry lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    /// Its known name (`sweSRC`), else a slug of its authority (`swesrc-chalmers-se`).
    pub name: String,
    /// The service URL, `https://host/skaha`.
    pub service: String,
}

/// The known name of a session service, else a slug of its id's authority.
pub fn name_for(id: &str) -> String {
    if let Some((_, n)) = NAMES.iter().find(|(i, _)| *i == id) {
        return (*n).to_string();
    }
    let authority = id
        .strip_prefix("ivo://")
        .unwrap_or(id)
        .split('/')
        .next()
        .unwrap_or_default();
    let slug: String = authority
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        "platform".into()
    } else {
        slug
    }
}

fn is_development(r: &Record) -> bool {
    let id = r.id.to_ascii_lowercase();
    let url = r.capabilities.to_ascii_lowercase();
    DEVELOPMENT_MARKERS
        .iter()
        .any(|m| id.contains(m) || url.contains(m))
}

/// The session services in `records` a user can choose: leaf `skaha`, a VOSI capabilities
/// URL, not a development deployment (unless `development`), and not the SRCNet node the
/// CADC registry also lists (it belongs to the SRCNet list).
pub fn session_services(records: &[Record], cadc: bool, development: bool) -> Vec<Listed> {
    records
        .iter()
        .filter(|r| r.leaf() == "skaha")
        .filter(|r| !(cadc && r.id == "ivo://canfar.net/src/skaha"))
        .filter(|r| development || !is_development(r))
        .filter_map(|r| {
            Some(Listed {
                id: r.id.clone(),
                name: name_for(&r.id),
                service: r.base_url()?.to_string(),
            })
        })
        .collect()
}

/// The listed service a user means by `name`: its name or its id, in any case.
pub fn find<'a>(listed: &'a [Listed], name: &str) -> Option<&'a Listed> {
    let n = name.trim();
    listed
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(n) || l.id.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::super::registry::parse;
    use super::*;

    #[test]
    fn names_known_nodes_and_slugs_the_others() {
        assert_eq!(name_for("ivo://swesrc.chalmers.se/skaha"), "sweSRC");
        assert_eq!(name_for("ivo://cadc.nrc.ca/skaha"), "canfar");
        assert_eq!(name_for("ivo://new.node.example/skaha"), "new-node-example");
        assert_eq!(name_for("ivo:///skaha"), "platform");
    }

    #[test]
    fn lists_what_users_can_choose() {
        let text = "ivo://swesrc.chalmers.se/skaha = https://services.swesrc.chalmers.se/skaha/capabilities\n\
            ivo://swesrc.chalmers.se/cavern = https://services.swesrc.chalmers.se/cavern/capabilities\n\
            ivo://canfar.net/src/skaha = https://src.canfar.net/skaha/capabilities\n\
            ivo://dev.node.example/skaha = https://dev.node.example/skaha/capabilities\n\
            ivo://odd.example/skaha = https://odd.example/skaha/reg\n";
        let r = parse(text);
        let srcnet = session_services(&r, false, false);
        assert_eq!(
            srcnet.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["sweSRC", "canSRC"]
        );
        assert_eq!(
            srcnet[0].service,
            "https://services.swesrc.chalmers.se/skaha"
        );
        // In the CADC registry, canSRC is left to the SRCNet list.
        assert_eq!(session_services(&r, true, false).len(), 1);
        assert_eq!(session_services(&r, false, true).len(), 3);
        assert_eq!(
            find(&srcnet, "SWESRC").map(|l| l.id.as_str()),
            Some("ivo://swesrc.chalmers.se/skaha")
        );
        assert_eq!(
            find(&srcnet, "ivo://canfar.net/src/skaha").map(|l| l.name.as_str()),
            Some("canSRC")
        );
        assert!(find(&srcnet, "nowhere").is_none());
    }
}
