//! Decoding (R5) and safe parsing of XML files from the package, and namespace-aware lookups.

use crate::refusal::{Refusal, RefusalKind};
use roxmltree::{Document, Node, ParsingOptions};

/// IMS Content Packaging namespaces (SCORM 1.2, SCORM 2004 / CP 1.1, CP 1.2).
const CP: [&str; 3] = [
    "http://www.imsproject.org/xsd/imscp_rootv1p1p2",
    "http://www.imsglobal.org/xsd/imscp_v1p1",
    "http://www.imsglobal.org/xsd/imscp_v1p2",
];
/// Prefix shared by every ADL content-packaging namespace (and its misspellings in the wild).
const ADLCP_PREFIX: &str = "http://www.adlnet.org/xsd/adlcp";
/// IMS Simple Sequencing.
pub(crate) const IMSSS: &str = "http://www.imsglobal.org/xsd/imsss";

/// Decodes `bytes`: BOM first (UTF-8, UTF-16 LE/BE), then the XML declaration's encoding,
/// else UTF-8. Returns the text and the encoding's name.
pub(crate) fn decode(bytes: &[u8], what: &str) -> Result<(String, &'static str), Refusal> {
    let malformed = |why: String| Refusal::new(RefusalKind::MalformedXml, format!("{what}: {why}"));
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest).map(|t| (t, "utf-8")).map_err(malformed);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes)
            .map(|t| (t, "utf-16le"))
            .map_err(malformed);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes)
            .map(|t| (t, "utf-16be"))
            .map_err(malformed);
    }
    // UTF-16 without a BOM still starts with '<' as a 16-bit unit.
    if bytes.starts_with(&[b'<', 0]) {
        return utf16(bytes, u16::from_le_bytes)
            .map(|t| (t, "utf-16le"))
            .map_err(malformed);
    }
    if bytes.starts_with(&[0, b'<']) {
        return utf16(bytes, u16::from_be_bytes)
            .map(|t| (t, "utf-16be"))
            .map_err(malformed);
    }
    let declared = declared_encoding(bytes).unwrap_or_default();
    match declared.as_str() {
        "" | "utf-8" | "utf8" | "us-ascii" | "ascii" => utf8(bytes).map(|t| (t, "utf-8")).map_err(malformed),
        "iso-8859-1" | "latin1" | "latin-1" | "iso8859-1" => {
            Ok((bytes.iter().map(|&b| b as char).collect(), "iso-8859-1"))
        }
        "windows-1252" | "cp1252" => Ok((bytes.iter().map(|&b| cp1252(b)).collect(), "windows-1252")),
        // Declared UTF-16 but no BOM and not starting with '<': not decodable reliably.
        other => Err(malformed(format!("unsupported encoding {other:?}"))),
    }
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("not valid UTF-8 at byte {}", e.utf8_error().valid_up_to()))
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err("UTF-16 text has an odd number of bytes".into());
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| "not valid UTF-16".into())
}

/// The `encoding` pseudo-attribute of an ASCII-compatible XML declaration, lower-cased.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let head = std::str::from_utf8(head).ok().or_else(|| {
        let end = head.iter().position(|&b| b >= 0x80).unwrap_or(head.len());
        std::str::from_utf8(&head[..end]).ok()
    })?;
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim().to_ascii_lowercase())
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// Most namespace declarations (`xmlns` and `xmlns:p` attributes) one XML file may hold.
/// Real manifests hold fewer than 20.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 10_000;
/// Most distinct namespace prefixes one XML file may declare. Real manifests declare fewer
/// than 10.
pub const MAX_NAMESPACE_PREFIXES: usize = 64;

/// Most nodes (elements, text runs, comments, processing instructions) one XML file may
/// have: each costs the parser about 100 bytes, so 16 MiB of `<a/>` would take 440 MB.
/// The corpus's largest manifest has fewer than 7,000.
pub const MAX_XML_NODES: u32 = 1_000_000;

/// Refuses a file whose namespace declarations would make the parser slow: roxmltree copies
/// every in-scope namespace into each element that declares one, comparing each with the new
/// ones, so a chain of elements each declaring a new prefix costs the cube of its length
/// (5,000 levels in a 12 KB zip took a minute). Bounding the declarations and the distinct
/// prefixes bounds that work. A conservative scan of the text: "xmlns" in text or comments
/// counts too.
fn check_namespaces(text: &str, what: &str) -> Result<(), Refusal> {
    let mut declarations = 0usize;
    let mut prefixes: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("xmlns") {
        rest = &rest[at + "xmlns".len()..];
        let prefix = match rest.strip_prefix(':') {
            Some(after) => {
                let end = after
                    .find(|c: char| c.is_whitespace() || matches!(c, '=' | '/' | '>' | '<' | '"' | '\''))
                    .unwrap_or(after.len());
                Some(&after[..end])
            }
            None if rest.trim_start().starts_with('=') => None,
            None => continue,
        };
        declarations += 1;
        if declarations > MAX_NAMESPACE_DECLARATIONS {
            return Err(Refusal::new(
                RefusalKind::UnsafeXml,
                format!("{what} has more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations"),
            ));
        }
        if let Some(prefix) = prefix
            && !prefixes.contains(&prefix)
        {
            prefixes.push(prefix);
            if prefixes.len() > MAX_NAMESPACE_PREFIXES {
                return Err(Refusal::new(
                    RefusalKind::UnsafeXml,
                    format!("{what} declares more than {MAX_NAMESPACE_PREFIXES} namespace prefixes"),
                ));
            }
        }
    }
    Ok(())
}

/// Parses `text` with roxmltree. No DTD is ever processed: a DOCTYPE is `unsafe_xml`, and so
/// are more namespace declarations or prefixes than the limits; more than [`MAX_XML_NODES`]
/// nodes is `too_large`; any other error is `malformed_xml` with line and column.
pub(crate) fn parse<'t>(text: &'t str, what: &str) -> Result<Document<'t>, Refusal> {
    check_namespaces(text, what)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Refusal::new(
            RefusalKind::UnsafeXml,
            format!("{what} has a DOCTYPE; DTDs and entities are not accepted"),
        ),
        roxmltree::Error::NodesLimitReached => Refusal::new(
            RefusalKind::TooLarge,
            format!("{what} has more than {MAX_XML_NODES} XML nodes"),
        ),
        other => {
            let pos = other.pos();
            Refusal::new(
                RefusalKind::MalformedXml,
                format!(
                    "{what} is not well-formed XML at line {}, column {}: {other}",
                    pos.row, pos.col
                ),
            )
        }
    })
}

/// Whether `node` is the IMS CP element `name` (or `name` without a namespace).
pub(crate) fn is_cp(node: Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace().is_none_or(|ns| CP.contains(&ns))
}

/// Whether `node` is the ADL CP element `name`.
pub(crate) fn is_adlcp(node: Node, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node
            .tag_name()
            .namespace()
            .is_some_and(|ns| ns.starts_with(ADLCP_PREFIX))
}

/// Whether `node` is the IMS SS element `name`.
pub(crate) fn is_imsss(node: Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(IMSSS)
}

/// Whether `uri` is an ADL CP namespace.
pub(crate) fn is_adlcp_uri(uri: &str) -> bool {
    uri.starts_with(ADLCP_PREFIX)
}

/// The first child element of `node` matching `pred`.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, pred: impl Fn(Node) -> bool) -> Option<Node<'a, 'i>> {
    node.children().find(|c| pred(*c))
}

/// All text below `node` (CDATA included), trimmed with runs of whitespace collapsed.
pub(crate) fn collapsed_text(node: Node) -> String {
    let raw: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    collapse(&raw)
}

/// Trims and collapses runs of whitespace to one space (how xs:ID values compare).
pub(crate) fn collapse(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An attribute in no namespace, by local name.
pub(crate) fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name && a.namespace().is_none())
        .map(|a| a.value())
}

/// `xml:base` of `node`.
pub(crate) fn xml_base<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    node.attribute(("http://www.w3.org/XML/1998/namespace", "base"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms_and_declarations() {
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a/>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16le, "m").unwrap(), ("<a/>".to_owned(), "utf-16le"));
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("<a/>".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&utf16be, "m").unwrap(), ("<a/>".to_owned(), "utf-16be"));
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>", "m").unwrap(), ("<a/>".to_owned(), "utf-8"));
        let latin = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9</a>";
        assert_eq!(
            decode(latin, "m").unwrap().0,
            "<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>"
        );
        assert_eq!(decode(b"<a>\xff</a>", "m").unwrap_err().kind, RefusalKind::MalformedXml);
        assert_eq!(
            decode(b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><a/>", "m")
                .unwrap_err()
                .kind,
            RefusalKind::MalformedXml
        );
    }

    #[test]
    fn doctypes_are_unsafe_and_errors_have_positions() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><manifest>&lol2;</manifest>"#;
        assert_eq!(parse(bomb, "imsmanifest.xml").unwrap_err().kind, RefusalKind::UnsafeXml);
        let external = r#"<?xml version="1.0"?><!DOCTYPE m SYSTEM "file:///etc/passwd"><manifest/>"#;
        assert_eq!(
            parse(external, "imsmanifest.xml").unwrap_err().kind,
            RefusalKind::UnsafeXml
        );
        let err = parse("<manifest>\n  <a></b>\n</manifest>", "imsmanifest.xml").unwrap_err();
        assert_eq!(err.kind, RefusalKind::MalformedXml);
        assert!(err.message.contains("line 2, column"), "{}", err.message);
    }
}
