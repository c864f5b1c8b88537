//! The IVOA registry's `resource-caps` document: one `resourceID = capabilities URL` per line.
//!
//! Facts: discovery.md §1.1–1.2. Parsed as tolerantly as the clients that read it: lines are
//! trimmed (generated files indent them), `#` lines and blank lines are skipped, the line is
//! split on its *first* `=` (a URL may hold another), and a line with an empty side or no `=`
//! is dropped rather than refused — one odd line must not hide every platform. Only `ivo://`
//! ids count, so an HTML error page yields nothing instead of nonsense entries.

/// One entry: a resource id (`ivo://cadc.nrc.ca/skaha`) and where its capabilities are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub capabilities: String,
}

impl Record {
    /// The last path segment of the id: `skaha`, `arc`, `cavern`, `cred`, `gms`.
    pub fn leaf(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or_default()
    }

    /// The id without its leaf (`ivo://canfar.net/src` for `ivo://canfar.net/src/skaha`): the
    /// services of one deployment share it.
    pub fn namespace(&self) -> &str {
        self.id
            .rsplit_once('/')
            .map(|(ns, _)| ns)
            .unwrap_or_default()
    }

    /// The service's base URL: the capabilities URL without its `/capabilities`, when it ends
    /// so (the only shape a service's VOSI document has).
    pub fn base_url(&self) -> Option<&str> {
        self.capabilities
            .trim_end_matches('/')
            .strip_suffix("/capabilities")
            .filter(|b| !b.is_empty())
    }
}

/// Every well-formed entry, in the document's order.
pub fn parse(text: &str) -> Vec<Record> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(id, url)| (id.trim(), url.trim()))
        .filter(|(id, url)| {
            id.starts_with("ivo://") && id.len() > "ivo://".len() && !url.is_empty()
        })
        .map(|(id, url)| Record {
            id: id.to_string(),
            capabilities: url.to_string(),
        })
        .collect()
}

/// The entry for `id`, if the registry lists it.
pub fn find<'a>(records: &'a [Record], id: &str) -> Option<&'a Record> {
    records.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cadc_file_and_tolerates_what_clients_tolerate() {
        let text = "#\n# This file maps resource identifiers to the location of capability\n#\n\nivo://cadc.nrc.ca/reg = https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/reg/capabilities\n\n## canfar science platform\nivo://cadc.nrc.ca/skaha = https://ws-uv.canfar.net/skaha/capabilities\n    ivo://cadc.nrc.ca/arc = https://ws-uv.canfar.net/arc/capabilities\n";
        let r = parse(text);
        assert_eq!(r.len(), 3);
        let skaha = find(&r, "ivo://cadc.nrc.ca/skaha").expect("skaha");
        assert_eq!(skaha.leaf(), "skaha");
        assert_eq!(skaha.namespace(), "ivo://cadc.nrc.ca");
        assert_eq!(skaha.base_url(), Some("https://ws-uv.canfar.net/skaha"));
        assert_eq!(
            find(&r, "ivo://cadc.nrc.ca/arc").map(Record::leaf),
            Some("arc")
        );
    }

    #[test]
    fn odd_lines_are_dropped_one_by_one() {
        // Verbinal's fixture: exactly one entry survives.
        let text = "  ivo://cadc.nrc.ca/gms   =    https://ws-cadc.canfar.net/ac/capabilities\nthis line has no equals sign\n= https://orphan.example.org/capabilities\nivo://cadc.nrc.ca/empty =\n";
        let r = parse(text);
        assert_eq!(
            r,
            [Record {
                id: "ivo://cadc.nrc.ca/gms".into(),
                capabilities: "https://ws-cadc.canfar.net/ac/capabilities".into()
            }]
        );
    }

    #[test]
    fn splits_on_the_first_equals_sign_only() {
        let r = parse("ivo://x.org/tap = https://x.org/tap/capabilities?a=b");
        assert_eq!(r[0].capabilities, "https://x.org/tap/capabilities?a=b");
        assert_eq!(r[0].base_url(), None, "not a VOSI capabilities URL");
    }

    #[test]
    fn an_html_page_gives_no_records() {
        assert!(parse("<!DOCTYPE html><html><body>Not found</body></html>").is_empty());
        assert!(parse("<html>\n<meta charset=\"utf-8\">\n<a href=\"/x\">x</a>").is_empty());
    }
}
