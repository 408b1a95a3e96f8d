//! Manifests in legacy and UTF-16 encodings, encoded by the test with encoding_rs, packed into a
//! zip and read through `inspect`; and the warnings that help (backslashed file hrefs, a
//! schemaversion of the other SCORM generation, positions of XML errors).

use curricula_scorm::{Inspection, Limits, Refusal, RefusalKind, inspect};
use encoding_rs::{BIG5, EUC_KR, Encoding, GB18030, ISO_8859_7, KOI8_R, SHIFT_JIS, WINDOWS_1251};
use std::io::{Cursor, Write};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// A SCORM 1.2 manifest declaring `label` (no declaration of an encoding when `None`), with
/// `title` as the organisation's title.
fn manifest(label: Option<&str>, title: &str) -> String {
    let encoding = label.map(|l| format!(" encoding=\"{l}\"")).unwrap_or_default();
    format!(
        r#"<?xml version="1.0"{encoding}?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>{title}</title>
    <item identifier="i" identifierref="r"><title>{title}</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"><file href="index.html"/></resource></resources>
</manifest>"#
    )
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn inspect_manifest(bytes: &[u8]) -> Result<Inspection, Refusal> {
    inspect(
        Cursor::new(zip_with(&[("imsmanifest.xml", bytes), ("index.html", b"x")])),
        &Limits::default(),
    )
}

/// `text` in `encoding`, every character of it mappable.
fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let (bytes, used, unmappable) = encoding.encode(text);
    assert_eq!(used, encoding);
    assert!(!unmappable, "{text:?} is not all in {}", encoding.name());
    bytes.into_owned()
}

#[test]
fn legacy_encodings_are_read_with_the_right_title() {
    let cases: [(&'static Encoding, &str, &str, &str); 7] = [
        (WINDOWS_1251, "windows-1251", "Основы охраны труда", "windows-1251"),
        (SHIFT_JIS, "Shift_JIS", "情報セキュリティ入門", "shift_jis"),
        (ISO_8859_7, "ISO-8859-7", "Εισαγωγή στην ασφάλεια", "iso-8859-7"),
        (GB18030, "GB18030", "信息安全基础课程", "gb18030"),
        (KOI8_R, "koi8-r", "Пожарная безопасность", "koi8-r"),
        (EUC_KR, "EUC-KR", "정보 보안 기초", "euc-kr"),
        (BIG5, "Big5", "資訊安全基礎", "big5"),
    ];
    for (encoding, label, title, reported) in cases {
        let bytes = encode(encoding, &manifest(Some(label), title));
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "{label}: the test bytes are not UTF-8"
        );
        let i = inspect_manifest(&bytes).unwrap_or_else(|r| panic!("{label}: {r}"));
        assert_eq!(i.title.as_deref(), Some(title), "{label}");
        assert_eq!(i.items[0].title.as_deref(), Some(title), "{label}");
        assert_eq!(i.manifest_encoding, reported, "{label}");
        assert_eq!((i.launch_href.as_str(), i.launch_file_present), ("index.html", true));
        assert!(i.warnings.is_empty(), "{label}: {:?}", i.warnings);
    }
}

#[test]
fn labels_are_aliases_of_the_encoding_standard() {
    // Any label of the Encoding Standard, in any case; ISO-8859-1 is read as windows-1252.
    for (label, encoding, title, reported) in [
        ("cp1251", WINDOWS_1251, "Жук", "windows-1251"),
        ("SJIS", SHIFT_JIS, "日本", "shift_jis"),
        ("greek", ISO_8859_7, "ΑΒΓ", "iso-8859-7"),
        ("GBK", GB18030, "中文", "gbk"),
        ("latin1", encoding_rs::WINDOWS_1252, "Café", "windows-1252"),
    ] {
        let bytes = encode(encoding, &manifest(Some(label), title));
        let i = inspect_manifest(&bytes).unwrap_or_else(|r| panic!("{label}: {r}"));
        assert_eq!(
            (i.title.as_deref(), i.manifest_encoding.as_str()),
            (Some(title), reported),
            "{label}"
        );
    }
}

#[test]
fn utf16le_is_read_with_and_without_a_bom() {
    let title = "Ασφάλεια — 安全 — Безопасность";
    let text = manifest(Some("UTF-16"), title);
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let with_bom: Vec<u8> = [0xFF, 0xFE].into_iter().chain(le.iter().copied()).collect();
    for (bytes, what) in [(with_bom, "with a BOM"), (le, "without a BOM")] {
        let i = inspect_manifest(&bytes).unwrap_or_else(|r| panic!("{what}: {r}"));
        assert_eq!(i.title.as_deref(), Some(title), "{what}");
        assert_eq!(i.manifest_encoding, "utf-16le", "{what}");
        assert!(i.warnings.is_empty(), "{what}: {:?}", i.warnings);
    }
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let i = inspect_manifest(&be).unwrap();
    assert_eq!(
        (i.title.as_deref(), i.manifest_encoding.as_str()),
        (Some(title), "utf-16be")
    );
}

#[test]
fn an_ascii_compatible_manifest_declaring_utf16_is_read_as_utf8_with_a_warning() {
    // What a .NET XmlWriter writing to a string, then saved as UTF-8, produces.
    let i = inspect_manifest(manifest(Some("utf-16"), "Sécurité").as_bytes()).unwrap();
    assert_eq!(
        (i.title.as_deref(), i.manifest_encoding.as_str()),
        (Some("Sécurité"), "utf-8")
    );
    assert_eq!(
        i.warnings,
        [
            "imsmanifest.xml declares the encoding \"utf-16\", but its bytes are not UTF-16 (no byte order mark, ASCII-compatible bytes); it was read as UTF-8"
        ]
    );
}

#[test]
fn an_unknown_label_is_refused_naming_it_and_the_file() {
    let r = inspect_manifest(manifest(Some("x-mac-klingon"), "T").as_bytes()).unwrap_err();
    assert_eq!(r.kind, RefusalKind::MalformedXml);
    assert!(
        r.message.starts_with("imsmanifest.xml: the XML declaration names the encoding \"x-mac-klingon\", which is not one this reader knows"),
        "{}",
        r.message
    );
}

#[test]
fn bytes_invalid_in_the_declared_encoding_are_refused_naming_it() {
    // A Shift_JIS lead byte followed by '<' (of `</schema>` on line 3): not a character.
    let mut bytes = encode(SHIFT_JIS, &manifest(Some("Shift_JIS"), "情報"));
    let at = bytes.windows(2).position(|w| w == b"</").unwrap();
    bytes.insert(at, 0x81);
    let r = inspect_manifest(&bytes).unwrap_err();
    assert_eq!(r.kind, RefusalKind::MalformedXml);
    assert!(
        r.message
            .starts_with("imsmanifest.xml is not valid Shift_JIS at line 3, column 30 (byte offset "),
        "{}",
        r.message
    );
    // EUC-KR declared, the bytes are UTF-8.
    let r = inspect_manifest(manifest(Some("EUC-KR"), "정보").as_bytes()).unwrap_err();
    assert_eq!(r.kind, RefusalKind::MalformedXml);
    assert!(r.message.contains("not valid EUC-KR at line 4"), "{}", r.message);
    // No declaration: UTF-8, and windows-1251 bytes are not that.
    let r = inspect_manifest(&encode(WINDOWS_1251, &manifest(None, "Жук"))).unwrap_err();
    assert!(
        r.message
            .starts_with("imsmanifest.xml is not valid UTF-8 at line 4, column"),
        "{}",
        r.message
    );
}

/// A manifest whose resource lists `files`, and a zip holding `present` besides.
fn with_files(files: &[&str], present: &[&str]) -> Inspection {
    let listed: String = files.iter().map(|f| format!("<file href=\"{f}\"/>")).collect();
    let text = manifest(None, "T").replace(r#"<file href="index.html"/>"#, &listed);
    let mut entries: Vec<(&str, &[u8])> = vec![("imsmanifest.xml", text.as_bytes()), ("index.html", b"x")];
    entries.extend(present.iter().map(|p| (*p, &b"x"[..])));
    inspect(Cursor::new(zip_with(&entries)), &Limits::default()).unwrap()
}

#[test]
fn backslashed_file_hrefs_give_one_warning_with_a_count_and_an_example() {
    let files = ["index.html", "images\\logo.png", "css\\main.css", "js\\lib\\app.js"];
    let present = ["images/logo.png", "css/main.css", "js/lib/app.js"];
    let i = with_files(&files, &present);
    assert_eq!(
        i.warnings,
        [
            "3 <file href> values use backslashes, e.g. 'images\\logo.png'; paths in a package are separated by '/' (those files were looked for with '/' instead)"
        ]
    );
    // One that is not there even with slashes is also reported missing.
    let i = with_files(&["a\\gone.png"], &[]);
    assert_eq!(i.warnings.len(), 2, "{:?}", i.warnings);
    assert!(
        i.warnings[0].contains("\"a\\\\gone.png\", which is not in the package"),
        "{:?}",
        i.warnings
    );
    assert!(
        i.warnings[1].starts_with("1 <file href> value uses backslashes, e.g. 'a\\gone.png'"),
        "{:?}",
        i.warnings
    );
    // Hundreds of them: still one warning.
    let many: Vec<String> = (0..300).map(|n| format!("f\\{n}.txt")).collect();
    let names: Vec<String> = (0..300).map(|n| format!("f/{n}.txt")).collect();
    let i = with_files(
        &many.iter().map(String::as_str).collect::<Vec<_>>(),
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(i.warnings.len(), 1, "{:?}", i.warnings);
    assert!(i.warnings[0].starts_with("300 <file href> values use backslashes, e.g. 'f\\0.txt'"));
}

#[test]
fn a_schemaversion_of_the_other_generation_is_a_warning() {
    // 2004 schemaversion in 1.2 namespaces: the version is the schemaversion's.
    let text = manifest(None, "T").replace(
        "<schemaversion>1.2</schemaversion>",
        "<schemaversion>2004 4th Edition</schemaversion>",
    );
    let i = inspect_manifest(text.as_bytes()).unwrap();
    assert_eq!(i.scorm_version.as_deref(), Some("2004 4th Edition"));
    assert_eq!(
        i.warnings,
        [
            "schemaversion \"2004 4th Edition\" is SCORM 2004's, but the namespaces are SCORM 1.2's (http://www.adlnet.org/xsd/adlcp_rootv1p2); the version was taken from the schemaversion"
        ]
    );
    // 1.2 schemaversion in 2004 namespaces.
    let text = manifest(None, "T")
        .replace(
            "http://www.imsproject.org/xsd/imscp_rootv1p1p2",
            "http://www.imsglobal.org/xsd/imscp_v1p1",
        )
        .replace("adlcp_rootv1p2", "adlcp_v1p3")
        .replace("adlcp:scormtype", "adlcp:scormType");
    let i = inspect_manifest(text.as_bytes()).unwrap();
    assert_eq!(i.scorm_version.as_deref(), Some("1.2"));
    assert_eq!(
        i.warnings,
        [
            "schemaversion \"1.2\" is SCORM 1.2's, but the namespaces are SCORM 2004's (http://www.adlnet.org/xsd/adlcp_v1p3); the version was taken from the schemaversion"
        ]
    );
    // Agreeing ones say nothing.
    assert!(
        inspect_manifest(manifest(None, "T").as_bytes())
            .unwrap()
            .warnings
            .is_empty()
    );
    let agreeing = text.replace(
        "<schemaversion>1.2</schemaversion>",
        "<schemaversion>2004 3rd Edition</schemaversion>",
    );
    assert!(inspect_manifest(agreeing.as_bytes()).unwrap().warnings.is_empty());
}

#[test]
fn malformed_xml_says_where() {
    let broken = manifest(None, "T").replace("<title>T</title>\n    <item", "<title>T</titel>\n    <item");
    let r = inspect_manifest(broken.as_bytes()).unwrap_err();
    assert_eq!(r.kind, RefusalKind::MalformedXml);
    assert!(
        r.message
            .starts_with("imsmanifest.xml is not well-formed XML at line 4, column "),
        "{}",
        r.message
    );
    assert!(r.message.contains("near `"), "{}", r.message);
    let truncated = &manifest(None, "T")[..300];
    let r = inspect_manifest(truncated.as_bytes()).unwrap_err();
    assert!(r.message.contains("at its end (line "), "{}", r.message);
    let r = inspect_manifest(b"<?xml version=\"1.0\"?>\n<notamanifest/>").unwrap_err();
    assert_eq!(
        r.message,
        "imsmanifest.xml: the root element is <notamanifest> (line 2, column 1), not <manifest>"
    );
}
