//! Hostile and broken packages built by the tests themselves: each is refused with the right
//! kind, and extraction lets no byte beyond a lying header reach the sink.

use curricula_scorm::{EntrySink, ExtractError, FileEntry, Limits, NullSink, RefusalKind, inspect};
use std::io::{Cursor, Read, Write};
use std::sync::Mutex;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const MANIFEST: &str = r#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>T</title>
    <item identifier="i" identifierref="r"><title>One</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"/></resources>
</manifest>"#;

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn kind_of(bytes: Vec<u8>, limits: &Limits) -> (RefusalKind, String) {
    let r = inspect(Cursor::new(bytes), limits).expect_err("should be refused");
    (r.kind, r.message)
}

#[test]
fn zip_slip_in_every_spelling_is_unsafe_path() {
    for name in [
        "../evil.html",
        "a/../../evil.html",
        "/etc/evil",
        "C:\\evil.html",
        "C:/evil.html",
        "a\\..\\evil.html",
        "a/b/..",
        "nul\0.html",
    ] {
        let bytes = zip_with(&[
            ("imsmanifest.xml", MANIFEST.as_bytes()),
            ("index.html", b"x"),
            (name, b"x"),
        ]);
        let (kind, message) = kind_of(bytes, &Limits::default());
        assert_eq!(kind, RefusalKind::UnsafePath, "{name:?}: {message}");
    }
}

#[test]
fn a_symlink_entry_is_unsafe_path() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("imsmanifest.xml", SimpleFileOptions::default()).unwrap();
    w.write_all(MANIFEST.as_bytes()).unwrap();
    w.add_symlink("index.html", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    let (kind, message) = kind_of(w.finish().unwrap().into_inner(), &Limits::default());
    assert_eq!(kind, RefusalKind::UnsafePath);
    assert!(message.contains("symbolic link"), "{message}");
}

#[test]
fn limits_on_entries_and_total_size() {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("imsmanifest.xml".into(), MANIFEST.into()),
        ("index.html".into(), b"x".to_vec()),
    ];
    files.extend((0..10).map(|i| (format!("f{i}.txt"), vec![b'a'; 1000])));
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let bytes = zip_with(&entries);
    let few = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    assert_eq!(kind_of(bytes.clone(), &few).0, RefusalKind::TooManyEntries);
    let small = Limits {
        max_total_uncompressed_bytes: 5_000,
        ..Limits::default()
    };
    assert_eq!(kind_of(bytes.clone(), &small).0, RefusalKind::TooLarge);
    assert!(inspect(Cursor::new(bytes), &Limits::default()).is_ok());
}

/// A 1 GiB file of zeros deflates to about a megabyte: refused for its ratio from the
/// directory alone, before a byte is decompressed.
#[test]
fn a_gibibyte_of_zeros_is_a_zip_bomb() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("imsmanifest.xml", SimpleFileOptions::default()).unwrap();
    w.write_all(MANIFEST.as_bytes()).unwrap();
    w.start_file("index.html", SimpleFileOptions::default()).unwrap();
    w.write_all(b"x").unwrap();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("zeros.bin", options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        w.write_all(&chunk).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    assert!(bytes.len() < 4 << 20, "the bomb is small: {}", bytes.len());
    let (kind, message) = kind_of(bytes, &Limits::default());
    assert_eq!(kind, RefusalKind::ZipBomb, "{message}");
}

/// Records what reaches the sink.
#[derive(Default)]
struct Recording {
    bytes: Mutex<u64>,
    errors: Mutex<Vec<String>>,
}

impl EntrySink for Recording {
    fn store(&self, _: &FileEntry, contents: &mut dyn Read) -> std::io::Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            match contents.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => *self.bytes.lock().unwrap() += n as u64,
                Err(e) => {
                    self.errors.lock().unwrap().push(e.to_string());
                    return Err(e);
                }
            }
        }
    }
}

/// Rewrites the declared uncompressed size of `name` (local header and central directory).
fn lie_about_size(mut bytes: Vec<u8>, name: &str, size: u32) -> Vec<u8> {
    let patch = |bytes: &mut Vec<u8>, sig: &[u8; 4], size_at: usize, name_len_at: usize, name_at: usize| {
        let mut i = 0;
        while i + name_at < bytes.len() {
            if &bytes[i..i + 4] == sig {
                let len = u16::from_le_bytes([bytes[i + name_len_at], bytes[i + name_len_at + 1]]) as usize;
                if bytes.get(i + name_at..i + name_at + len) == Some(name.as_bytes()) {
                    bytes[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
                }
            }
            i += 1;
        }
    };
    patch(&mut bytes, b"PK\x03\x04", 22, 26, 30);
    patch(&mut bytes, b"PK\x01\x02", 24, 28, 46);
    bytes
}

#[test]
fn a_lying_header_is_stopped_at_the_declared_size() {
    let real = vec![b'A'; 100_000];
    let honest = zip_with(&[
        ("imsmanifest.xml", MANIFEST.as_bytes()),
        ("index.html", b"<p>x</p>"),
        ("big.js", &real),
    ]);
    let lying = lie_about_size(honest, "big.js", 1_000);
    let inspection = inspect(Cursor::new(lying.clone()), &Limits::default()).expect("the directory looks fine");
    let sink = Recording::default();
    let err = curricula_scorm::extract(|| Ok(Cursor::new(lying.clone())), &inspection, 2, &sink).unwrap_err();
    let ExtractError::Refused(refusal) = err else {
        panic!("{err:?}")
    };
    assert_eq!(refusal.kind, RefusalKind::ZipBomb, "{}", refusal.message);
    let delivered = *sink.bytes.lock().unwrap();
    assert!(
        delivered <= 1_000 + 8 + MANIFEST.len() as u64,
        "{delivered} bytes reached the sink"
    );
    assert!(!sink.errors.lock().unwrap().is_empty(), "the sink saw the failure");
}

#[test]
fn a_wrong_crc_is_refused() {
    let mut bytes = zip_with(&[
        ("imsmanifest.xml", MANIFEST.as_bytes()),
        ("index.html", b"<p>hello</p>"),
    ]);
    // Flip a byte of index.html's stored CRC in the central directory and local header.
    let crc = crc32(b"<p>hello</p>").to_le_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        if bytes[i..i + 4] == crc {
            bytes[i] ^= 0xFF;
        }
        i += 1;
    }
    let inspection = inspect(Cursor::new(bytes.clone()), &Limits::default()).unwrap();
    let err = curricula_scorm::extract(|| Ok(Cursor::new(bytes.clone())), &inspection, 1, &NullSink).unwrap_err();
    assert!(
        matches!(err, ExtractError::Refused(ref r) if r.kind == RefusalKind::ZipBomb),
        "{err:?}"
    );
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn dtd_tricks_are_unsafe_xml() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<manifest>&lol2;</manifest>"#;
    let external = r#"<?xml version="1.0"?><!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><manifest>&xxe;</manifest>"#;
    for manifest in [laughs, external] {
        let bytes = zip_with(&[("imsmanifest.xml", manifest.as_bytes()), ("index.html", b"x")]);
        assert_eq!(kind_of(bytes, &Limits::default()).0, RefusalKind::UnsafeXml);
    }
}

#[test]
fn utf16_and_bom_manifests_are_read() {
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            MANIFEST
                .replace("1.0\"?>", "1.0\" encoding=\"UTF-16\"?>")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(MANIFEST.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let bom: Vec<u8> = [0xEF, 0xBB, 0xBF].into_iter().chain(MANIFEST.bytes()).collect();
    for (manifest, encoding) in [(le, "utf-16le"), (be, "utf-16be"), (bom, "utf-8")] {
        let bytes = zip_with(&[("imsmanifest.xml", &manifest), ("index.html", b"x")]);
        let i = inspect(Cursor::new(bytes), &Limits::default()).unwrap();
        assert_eq!(i.manifest_encoding, encoding);
        assert_eq!(
            (i.scorm_version.as_deref(), i.launch_href.as_str(), i.title.as_deref()),
            (Some("1.2"), "index.html", Some("T"))
        );
    }
}

#[test]
fn broken_packages_are_refused_with_their_kind() {
    let limits = Limits::default();
    assert_eq!(
        kind_of(b"definitely not a zip".to_vec(), &limits).0,
        RefusalKind::NotAZip
    );
    assert_eq!(kind_of(Vec::new(), &limits).0, RefusalKind::NotAZip);
    assert_eq!(kind_of(zip_with(&[]), &limits).0, RefusalKind::EmptyZip);
    assert_eq!(
        kind_of(zip_with(&[("index.html", b"x")]), &limits).0,
        RefusalKind::NoManifest
    );
    let (kind, message) = kind_of(zip_with(&[("course/imsmanifest.xml", MANIFEST.as_bytes())]), &limits);
    assert_eq!(kind, RefusalKind::ManifestNotAtRoot);
    assert_eq!(
        message,
        "imsmanifest.xml found at course/imsmanifest.xml, not at the root"
    );
    let (kind, message) = kind_of(
        zip_with(&[("imsmanifest.xml", b"<manifest>\n<organizations></manifest>")]),
        &limits,
    );
    assert_eq!(kind, RefusalKind::MalformedXml);
    assert!(message.contains("line 2, column"), "{message}");
    let (kind, _) = kind_of(zip_with(&[("imsmanifest.xml", b"<notamanifest/>")]), &limits);
    assert_eq!(kind, RefusalKind::MalformedXml);
    let no_href = MANIFEST.replace(r#" href="index.html""#, "");
    assert_eq!(
        kind_of(zip_with(&[("imsmanifest.xml", no_href.as_bytes())]), &limits).0,
        RefusalKind::NoLaunchableItem
    );
}

#[test]
fn a_missing_launch_file_is_reported_by_inspect_and_refused_by_ensure() {
    let i = inspect(
        Cursor::new(zip_with(&[("imsmanifest.xml", MANIFEST.as_bytes())])),
        &Limits::default(),
    )
    .unwrap();
    assert!(!i.launch_file_present);
    assert_eq!(i.launch_href, "index.html");
    let r = i.ensure_launchable().unwrap_err();
    assert_eq!(
        (r.kind, r.message.as_str()),
        (
            RefusalKind::LaunchFileMissing,
            "the launch file index.html is not in the package"
        )
    );
}

/// A 1.2 manifest whose organisation holds one chain of `depth` nested items, the innermost
/// launching `index.html`.
fn nested_manifest(depth: usize) -> String {
    let mut items = String::with_capacity(depth * 40);
    for level in 1..=depth {
        let reference = if level == depth { r#" identifierref="r""# } else { "" };
        items.push_str(&format!(r#"<item identifier="i{level}"{reference}>"#));
    }
    items.push_str(&"</item>".repeat(depth));
    MANIFEST.replace(
        r#"<item identifier="i" identifierref="r"><title>One</title></item>"#,
        &items,
    )
}

fn deflated_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, body) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn thousands_of_nested_items_are_refused_without_recursion() {
    // 3,000 levels is the reported crash (a 75 KB zip); 200,000 would overflow any stack.
    for depth in [3_000, 200_000] {
        let bytes = deflated_zip(&[
            ("imsmanifest.xml", nested_manifest(depth).as_bytes()),
            ("index.html", b"x"),
        ]);
        let (kind, message) = kind_of(bytes, &Limits::default());
        assert_eq!(kind, RefusalKind::ItemsTooDeep, "{depth}: {message}");
        assert_eq!(
            message,
            format!(
                "imsmanifest.xml: item \"i33\" is nested 33 levels deep in organization \"o\", more than the limit of {}",
                curricula_scorm::MAX_ITEM_DEPTH
            )
        );
    }
}

#[test]
fn items_at_the_depth_limit_are_accepted_and_their_tree_reads_back_as_json() {
    let limit = curricula_scorm::MAX_ITEM_DEPTH;
    let bytes = zip_with(&[
        ("imsmanifest.xml", nested_manifest(limit).as_bytes()),
        ("index.html", b"x"),
    ]);
    let inspection = inspect(Cursor::new(bytes), &Limits::default()).unwrap();
    assert_eq!(inspection.item_count, limit);
    assert_eq!(inspection.launch_item_identifier, format!("i{limit}"));
    let mut level = &inspection.items;
    for depth in 1..=limit {
        assert_eq!(level.len(), 1, "depth {depth}");
        assert_eq!(level[0].identifier, format!("i{depth}"));
        level = &level[0].children;
    }
    assert!(level.is_empty());
    // Stored as JSON inside a few more levels (the revision's content, the API's envelope):
    // it must parse again within serde_json's recursion limit.
    let stored = serde_json::json!({"content": {"items": inspection.items}, "envelope": [[[[]]]]});
    let text = serde_json::to_string(&serde_json::json!([[[[stored]]]])).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).expect("the stored tree reads back");

    let one_more = zip_with(&[
        ("imsmanifest.xml", nested_manifest(limit + 1).as_bytes()),
        ("index.html", b"x"),
    ]);
    assert_eq!(kind_of(one_more, &Limits::default()).0, RefusalKind::ItemsTooDeep);
}

#[test]
fn the_item_tree_keeps_order_and_nesting() {
    let items = r#"
      <item identifier="a"><title>A</title>
        <item identifier="a1" identifierref="r" parameters="?x=1"/>
        <item identifier="a2"><item identifier="a21" isvisible="false"/></item>
        <item identifier="a3"/>
      </item>
      <item identifier="b"><metadata><item identifier="hidden"/></metadata></item>
      <item identifier="c"><item identifier="c1"/></item>"#;
    let manifest = MANIFEST.replace(
        r#"<item identifier="i" identifierref="r"><title>One</title></item>"#,
        items,
    );
    let bytes = zip_with(&[("imsmanifest.xml", manifest.as_bytes()), ("index.html", b"x")]);
    let i = inspect(Cursor::new(bytes), &Limits::default()).unwrap();
    fn shape(items: &[curricula_scorm::Item]) -> String {
        items
            .iter()
            .map(|i| {
                let inner = shape(&i.children);
                let hidden = if i.visible { "" } else { "!" };
                if inner.is_empty() {
                    format!("{}{hidden}", i.identifier)
                } else {
                    format!("{}{hidden}({inner})", i.identifier)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
    assert_eq!(shape(&i.items), "a(a1 a2(a21!) a3) b c(c1)");
    assert_eq!(i.items[0].title.as_deref(), Some("A"));
    assert_eq!(i.items[0].children[0].href.as_deref(), Some("index.html?x=1"));
    assert_eq!(i.items[0].children[0].scorm_type.as_deref(), Some("sco"));
    assert_eq!(i.item_count, 9);
}

#[test]
fn namespace_declarations_past_the_limits_are_unsafe_xml() {
    use curricula_scorm::{MAX_NAMESPACE_DECLARATIONS, MAX_NAMESPACE_PREFIXES};
    // A chain of elements each declaring a new prefix made the parser's work grow with the cube
    // of its length: 5,000 levels (a 12 KB zip) took a minute of CPU.
    let chain: String = (0..5_000).map(|i| format!("<x xmlns:p{i}=\"u\">")).collect::<String>() + &"</x>".repeat(5_000);
    let prefixes = MANIFEST.replace("<title>One</title>", &format!("<title>One</title>{chain}"));
    let bytes = deflated_zip(&[("imsmanifest.xml", prefixes.as_bytes()), ("index.html", b"x")]);
    let (kind, message) = kind_of(bytes, &Limits::default());
    assert_eq!(kind, RefusalKind::UnsafeXml, "{message}");
    assert_eq!(
        message,
        format!("imsmanifest.xml declares more than {MAX_NAMESPACE_PREFIXES} namespace prefixes")
    );

    // The same default namespace declared again and again: one prefix, too many declarations.
    let again = "<x xmlns = 'u'/>".repeat(MAX_NAMESPACE_DECLARATIONS);
    let declarations = MANIFEST.replace("<title>One</title>", &format!("<title>One</title>{again}"));
    let bytes = deflated_zip(&[("imsmanifest.xml", declarations.as_bytes()), ("index.html", b"x")]);
    let (kind, message) = kind_of(bytes, &Limits::default());
    assert_eq!(kind, RefusalKind::UnsafeXml, "{message}");
    assert_eq!(
        message,
        format!("imsmanifest.xml has more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations")
    );
}

#[test]
fn namespace_declarations_at_the_limits_are_read() {
    use curricula_scorm::{MAX_NAMESPACE_DECLARATIONS, MAX_NAMESPACE_PREFIXES};
    // MANIFEST declares two namespaces, one of them with the prefix adlcp: with 63 more
    // prefixes and as many redeclarations as make up the limit, it is read.
    let prefixes: String = (1..MAX_NAMESPACE_PREFIXES)
        .map(|i| format!(" xmlns:p{i}=\"urn:p{i}\""))
        .collect();
    let with = |redeclarations: usize| {
        let redeclared = "<p1:x xmlns:p1='urn:other'/>".repeat(redeclarations);
        let manifest = MANIFEST
            .replace(
                r#"<manifest identifier="m""#,
                &format!(r#"<manifest identifier="m"{prefixes}"#),
            )
            .replace("<title>One</title>", &format!("<title>One</title>{redeclared}"));
        deflated_zip(&[("imsmanifest.xml", manifest.as_bytes()), ("index.html", b"x")])
    };
    let at_limit = MAX_NAMESPACE_DECLARATIONS - MAX_NAMESPACE_PREFIXES - 1;
    let i = inspect(Cursor::new(with(at_limit)), &Limits::default()).expect("within the limits");
    assert_eq!((i.launch_href.as_str(), i.item_count), ("index.html", 1));
    assert_eq!(
        kind_of(with(at_limit + 1), &Limits::default()).0,
        RefusalKind::UnsafeXml
    );
    let one_more_prefix = MANIFEST.replace(
        r#"<manifest identifier="m""#,
        &format!(r#"<manifest identifier="m"{prefixes} xmlns:extra="urn:extra""#),
    );
    let bytes = deflated_zip(&[("imsmanifest.xml", one_more_prefix.as_bytes()), ("index.html", b"x")]);
    assert_eq!(kind_of(bytes, &Limits::default()).0, RefusalKind::UnsafeXml);
}

#[test]
fn a_manifest_of_more_than_a_million_nodes_is_too_large() {
    let nodes = curricula_scorm::MAX_XML_NODES as usize;
    // Stored, not deflated: 4 MB of `<a/>` deflates past the zip-bomb ratio.
    let stored = |manifest: &str| {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for (name, body) in [("imsmanifest.xml", manifest.as_bytes()), ("index.html", b"x")] {
            w.start_file(name, options).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let crowded = MANIFEST.replace(
        "<title>One</title>",
        &format!("<title>One</title>{}", "<a/>".repeat(nodes)),
    );
    let (kind, message) = kind_of(stored(&crowded), &Limits::default());
    assert_eq!(kind, RefusalKind::TooLarge, "{message}");
    assert_eq!(message, format!("imsmanifest.xml has more than {nodes} XML nodes"));
    // Well below the limit, the same kind of filler is read.
    let filled = MANIFEST.replace(
        "<title>One</title>",
        &format!("<title>One</title>{}", "<a/>".repeat(nodes / 2)),
    );
    let i = inspect(Cursor::new(stored(&filled)), &Limits::default()).expect("under the node limit");
    assert_eq!(i.launch_href, "index.html");
}

#[test]
fn a_2004_item_keeps_its_objective_ids_in_order_once_and_through_a_collection() {
    let manifest = r#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>T</title>
    <item identifier="one" identifierref="r"><title>One</title>
      <imsss:sequencing><imsss:objectives>
        <imsss:primaryObjective objectiveID="PRIMARYOBJ" satisfiedByMeasure="true"><imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure></imsss:primaryObjective>
        <imsss:objective objectiveID=" obj_b "/>
        <imsss:objective objectiveID="obj_a"/>
        <imsss:objective objectiveID="obj_b"/>
        <imsss:objective/>
      </imsss:objectives></imsss:sequencing>
    </item>
    <item identifier="two" identifierref="r"><title>Two</title><imsss:sequencing IDRef="shared"/></item>
    <item identifier="three" identifierref="r"><title>Three</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="index.html"/></resources>
  <imsss:sequencingCollection>
    <imsss:sequencing ID="shared"><imsss:objectives><imsss:primaryObjective/><imsss:objective objectiveID="shared_obj"/></imsss:objectives></imsss:sequencing>
  </imsss:sequencingCollection>
</manifest>"#;
    let bytes = zip_with(&[("imsmanifest.xml", manifest.as_bytes()), ("index.html", b"x")]);
    let i = inspect(Cursor::new(bytes), &Limits::default()).unwrap();
    let ids: Vec<&[String]> = i.items.iter().map(|item| item.objectives.as_slice()).collect();
    assert_eq!(
        ids,
        [
            &["PRIMARYOBJ", "obj_b", "obj_a"].map(String::from)[..],
            &["shared_obj".to_owned()][..],
            &[][..]
        ]
    );
    assert_eq!(i.mastery_score, Some(0.8));
    // In the stored JSON, an item without objectives has no key (as items stored before).
    let json = serde_json::to_value(&i.items).unwrap();
    assert_eq!(
        json[0]["objectives"],
        serde_json::json!(["PRIMARYOBJ", "obj_b", "obj_a"])
    );
    assert!(json[2].get("objectives").is_none(), "{json}");
}
