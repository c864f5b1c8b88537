use super::*;

const ARC: &str = "ivo://cadc.nrc.ca/arc";

/// The listing published as CANFAR's format (vospace.md §2.2, first sample).
const PUBLISHED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          uri="vos://cadc.nrc.ca~arc/home/szautkin"
          xsi:type="vos:ContainerNode">
  <vos:properties>
    <vos:property uri="ivo://cadc.nrc.ca/vospace/core#inheritPermissions">false</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#creator" readOnly="true">szautkin</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#date" readOnly="true">2025-10-29T17:44:57.853</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#length" readOnly="true">49335707583</vos:property>
  </vos:properties>
  <vos:nodes>
    <vos:node uri="vos://cadc.nrc.ca~arc/home/szautkin/.npm" xsi:type="vos:ContainerNode">
      <vos:properties>
        <vos:property uri="ivo://ivoa.net/vospace/core#creator" readOnly="true">szautkin</vos:property>
        <vos:property uri="ivo://ivoa.net/vospace/core#date" readOnly="true">2025-10-30T12:00:00.000</vos:property>
      </vos:properties>
      <vos:nodes />
    </vos:node>
    <vos:node uri="vos://cadc.nrc.ca~arc/home/szautkin/Untitled3.ipynb" xsi:type="vos:DataNode" busy="false">
      <vos:properties>
        <vos:property uri="ivo://ivoa.net/vospace/core#creator" readOnly="true">szautkin</vos:property>
        <vos:property uri="ivo://ivoa.net/vospace/core#date" readOnly="true">2025-10-31T15:30:00.000</vos:property>
        <vos:property uri="ivo://ivoa.net/vospace/core#length" readOnly="true">1024</vos:property>
      </vos:properties>
      <vos:accepts />
      <vos:provides />
    </vos:node>
  </vos:nodes>
</vos:node>"#;

/// cavern 0.10 with `detail=max` on an allocation root (vospace.md §2.2, second sample):
/// quota, an MD5 written with its prefix, a link, names that need escaping.
const DETAIL_MAX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" uri="vos://cadc.nrc.ca~arc/home/alice" xsi:type="vos:ContainerNode">
  <vos:properties>
    <vos:property uri="ivo://cadc.nrc.ca/vospace/core#inheritPermissions">false</vos:property>
    <vos:property uri="ivo://cadc.nrc.ca/vospace/core#readable" readOnly="true">true</vos:property>
    <vos:property uri="ivo://cadc.nrc.ca/vospace/core#writable" readOnly="true">true</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#creator" readOnly="true">alice</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#date" readOnly="true">2026-07-01T17:44:57.853</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#ispublic">false</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#length" readOnly="true">49335707583</vos:property>
    <vos:property uri="ivo://ivoa.net/vospace/core#quota" readOnly="true">214748364800</vos:property>
  </vos:properties>
  <vos:nodes>
    <vos:node uri="vos://cadc.nrc.ca~arc/home/alice/run%201%20&amp;%202.fits" xsi:type="vos:DataNode" busy="false">
      <vos:properties>
        <vos:property uri="ivo://ivoa.net/vospace/core#MD5" readOnly="true">md5:9E107D9D372BB6826BD81D3542A419D6</vos:property>
        <vos:property uri="ivo://ivoa.net/vospace/core#date" readOnly="true">2026-06-30T08:01:02.345</vos:property>
        <vos:property uri="ivo://ivoa.net/vospace/core#ispublic">true</vos:property>
        <vos:property uri="ivo://ivoa.net/vospace/core#length" readOnly="true">1024</vos:property>
        <vos:property uri="ivo://ivoa.net/vospace/core#type">application/fits</vos:property>
        <vos:property uri="ivo://cadc.nrc.ca/vospace/core#writable" readOnly="true">true</vos:property>
      </vos:properties>
      <vos:accepts />
      <vos:provides />
    </vos:node>
    <vos:node uri="vos://cadc.nrc.ca~arc/home/alice/latest" xsi:type="vos:LinkNode">
      <vos:properties>
        <vos:property uri="ivo://ivoa.net/vospace/core#type" xsi:nil="true"></vos:property>
      </vos:properties>
      <vos:target>vos://cadc.nrc.ca~arc/home/alice/run42</vos:target>
    </vos:node>
    <vos:node uri="vos://cadc.nrc.ca!arc/home/alice/a-first" xsi:type="vos:ContainerNode">
      <vos:nodes />
    </vos:node>
  </vos:nodes>
</vos:node>"#;

fn p(s: &str) -> NodePath {
    NodePath::parse(s).expect(s)
}

#[test]
fn the_published_canfar_listing_is_read() {
    let l = parse(PUBLISHED, Some(ARC)).expect("listing");
    assert_eq!(l.node.path, p("/home/szautkin"));
    assert_eq!(l.node.kind, NodeKind::Container);
    assert_eq!(l.node.size, Some(49_335_707_583));
    assert_eq!(l.node.creator.as_deref(), Some("szautkin"));
    assert_eq!(
        l.node.modified.map(|d| d.to_rfc3339()),
        Some("2025-10-29T17:44:57.853+00:00".into())
    );
    let names: Vec<_> = l.children.iter().map(|c| c.path.name()).collect();
    assert_eq!(names, [".npm", "Untitled3.ipynb"]);
    assert_eq!(l.children[0].kind, NodeKind::Container);
    assert_eq!(l.children[0].size, None, "a folder without a length");
    assert_eq!(
        (l.children[1].kind, l.children[1].size),
        (NodeKind::Data, Some(1024))
    );
    // No quota on this one (the sample lacks it): nothing is made up.
    assert_eq!(l.usage().free(), None);
}

#[test]
fn every_property_cavern_writes_is_read() {
    let l = parse(DETAIL_MAX, Some(ARC)).expect("listing");
    assert_eq!(l.node.quota, Some(214_748_364_800));
    assert_eq!(l.node.writable, Some(true));
    assert_eq!(l.usage().free(), Some(214_748_364_800 - 49_335_707_583));
    // Sorted by name; `!` in the authority is the same service; escapes decoded.
    let names: Vec<_> = l.children.iter().map(|c| c.path.name()).collect();
    assert_eq!(names, ["a-first", "latest", "run 1 & 2.fits"]);
    let fits = &l.children[2];
    assert_eq!(fits.path, p("/home/alice/run 1 & 2.fits"));
    assert_eq!(
        fits.md5.as_deref(),
        Some("9e107d9d372bb6826bd81d3542a419d6"),
        "prefix and case"
    );
    assert_eq!(fits.content_type.as_deref(), Some("application/fits"));
    assert!(fits.public && !fits.busy);
    let link = &l.children[1];
    assert_eq!(link.kind, NodeKind::Link);
    assert_eq!(
        link.link_target.as_deref(),
        Some("vos://cadc.nrc.ca~arc/home/alice/run42")
    );
    assert_eq!(link.content_type, None, "a nil property is no value");
}

#[test]
fn a_file_and_an_empty_folder_are_nodes_too() {
    let file = r#"<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" uri="vos://cadc.nrc.ca~arc/home/alice/x" xsi:type="vos:DataNode" busy="true"><vos:properties><vos:property uri="ivo://ivoa.net/vospace/core#length">0</vos:property></vos:properties><vos:accepts/><vos:provides/></vos:node>"#;
    let l = parse(file, Some(ARC)).expect("file");
    assert_eq!(
        (l.node.kind, l.node.size, l.node.busy),
        (NodeKind::Data, Some(0), true)
    );
    assert!(l.children.is_empty());
    let empty = r#"<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" uri="vos://cadc.nrc.ca~arc/home/alice/d" xsi:type="vos:ContainerNode"><vos:nodes/></vos:node>"#;
    assert!(parse(empty, Some(ARC)).expect("folder").children.is_empty());
}

#[test]
fn what_is_not_a_listing_says_what_it_was() {
    for (text, says) in [
        (
            "<html><body>502 Bad Gateway</body></html>",
            "<html><body>502 Bad Gateway",
        ),
        ("{\"error\": \"nope\"}", "{\"error\": \"nope\"}"),
        (
            "NodeNotFound: vos://cadc.nrc.ca~arc/home/alice/x",
            "NodeNotFound",
        ),
        ("", ""),
    ] {
        match parse(text, Some(ARC)) {
            Err(NodeError::NotANode(seen)) => assert!(seen.starts_with(says), "{seen:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let cut = &DETAIL_MAX[..DETAIL_MAX.len() / 2];
    assert!(
        matches!(parse(cut, Some(ARC)), Err(NodeError::Malformed(_))),
        "cut short"
    );
    let other_service = PUBLISHED.replace("cadc.nrc.ca~arc", "evil.example~arc");
    assert!(matches!(
        parse(&other_service, Some(ARC)),
        Err(NodeError::Malformed(_))
    ));
    // A child that is not in the folder listed.
    let stray = PUBLISHED.replace("home/szautkin/.npm", "home/bob/.npm");
    let e = parse(&stray, Some(ARC)).expect_err("stray child");
    assert!(e.to_string().contains("/home/bob/.npm"), "{e}");
    let untyped = PUBLISHED.replace("xsi:type=\"vos:DataNode\"", "");
    assert!(parse(&untyped, Some(ARC))
        .expect_err("no type")
        .to_string()
        .contains("unknown type"));
    let two = format!("{PUBLISHED}{PUBLISHED}");
    assert!(parse(&two, Some(ARC)).is_err());
}

#[test]
fn odd_values_are_left_out_rather_than_guessed() {
    let odd = DETAIL_MAX
        .replace(">49335707583<", ">lots<")
        .replace(">214748364800<", ">0<")
        .replace("md5:9E107D9D372BB6826BD81D3542A419D6", "not-a-digest")
        .replace("2026-06-30T08:01:02.345", "yesterday");
    let l = parse(&odd, Some(ARC)).expect("listing");
    assert_eq!((l.node.size, l.node.quota), (None, None));
    let fits = &l.children[2];
    assert_eq!((fits.md5.as_deref(), fits.modified), (None, None));
}
