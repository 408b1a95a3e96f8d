//! Decoding (R5) and safe parsing of XML files from the package, and namespace-aware lookups.

use crate::refusal::{Refusal, RefusalKind};
use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};
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

/// How far into a file its XML declaration is looked for: the declaration is short, and
/// has to come first.
const DECLARATION_BYTES: usize = 1024;
/// Longest encoding label quoted back in a message.
const MAX_LABEL_SHOWN: usize = 64;

/// A decoded XML file.
#[derive(Debug, PartialEq)]
pub(crate) struct Decoded {
    /// The text, without its byte order mark.
    pub text: String,
    /// The encoding it was read in: the lower-cased name the WHATWG Encoding Standard gives it
    /// (`utf-8`, `utf-16le`, `shift_jis`, `windows-1252`, …).
    pub encoding: String,
    /// Set when the BOM or the bytes contradict the XML declaration (the BOM or the bytes
    /// win).
    pub warning: Option<String>,
}

/// Decodes `bytes` (at most [`MAX_XML_BYTES`](crate::MAX_XML_BYTES): the caller bounds
/// them) with [`encoding_rs`], as XML 1.0 appendix F finds the encoding:
///
/// 1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE) wins over any declaration;
/// 2. else UTF-16 without a BOM, when the first character is ASCII as a 16-bit unit
///    (`<\0?\0` little-endian, `\0<\0?` big-endian);
/// 3. else the XML declaration's `encoding`, any label of the WHATWG Encoding Standard
///    (`windows-1251`, `Shift_JIS`, `ISO-8859-7`, `GB18030`, `koi8-r`, `EUC-KR`, `Big5`, …);
///    a UTF-16 label there is wrong (UTF-16 text starts with a BOM or a zero byte, and these
///    bytes do not) and the file is read as UTF-8, with a warning;
/// 4. else UTF-8.
///
/// Malformed byte sequences are never replaced: they refuse the file, naming the encoding
/// and where they are.
///
/// # Errors
/// `malformed_xml` naming `what`: an unknown (or UTF-32) encoding, naming the label, or bytes
/// that are not valid in the encoding, naming it, with the line, column and byte offset.
pub(crate) fn decode(bytes: &[u8], what: &str) -> Result<Decoded, Refusal> {
    let malformed = |why: String| Refusal::new(RefusalKind::MalformedXml, format!("{what}: {why}"));
    // UTF-32 (BOM or '<' as a 32-bit unit) first: its little-endian BOM starts like UTF-16's.
    if [[0, 0, 0xFE, 0xFF], [0xFF, 0xFE, 0, 0], [0, 0, 0, b'<'], [b'<', 0, 0, 0]]
        .iter()
        .any(|start| bytes.starts_with(start))
    {
        return Err(malformed(
            "the file is in UTF-32, which is not supported; save it as UTF-8 or UTF-16".into(),
        ));
    }
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let text = decode_strict(encoding, &bytes[bom..], bom, encoding.name(), what)?;
        let warning = contradiction(&text, encoding, "its byte order mark says", what);
        return Ok(Decoded {
            text,
            encoding: encoding.name().to_ascii_lowercase(),
            warning,
        });
    }
    let utf16 = match bytes {
        [first, 0, ..] if *first != 0 && first.is_ascii() => Some(UTF_16LE),
        [0, second, ..] if *second != 0 && second.is_ascii() => Some(UTF_16BE),
        _ => None,
    };
    if let Some(encoding) = utf16 {
        let text = decode_strict(encoding, bytes, 0, encoding.name(), what)?;
        let warning = contradiction(&text, encoding, "its bytes are", what);
        return Ok(Decoded {
            text,
            encoding: encoding.name().to_ascii_lowercase(),
            warning,
        });
    }
    let head = &bytes[..bytes.len().min(DECLARATION_BYTES)];
    let ascii = head.iter().position(|b| *b == 0 || !b.is_ascii()).unwrap_or(head.len());
    let declared = std::str::from_utf8(&head[..ascii]).ok().and_then(declared_label);
    let Some(label) = declared else {
        let text = decode_strict(UTF_8, bytes, 0, UTF_8.name(), what)?;
        return Ok(Decoded {
            text,
            encoding: "utf-8".into(),
            warning: None,
        });
    };
    let Some(encoding) = known(label) else {
        return Err(malformed(format!(
            "the XML declaration names the encoding {:?}, which is not one this reader knows (the labels of the WHATWG Encoding Standard are: utf-8, windows-1251, shift_jis, gb18030, …)",
            shown(label)
        )));
    };
    if encoding == UTF_16LE || encoding == UTF_16BE {
        let text = decode_strict(UTF_8, bytes, 0, UTF_8.name(), what).map_err(|r| {
            Refusal::new(
                r.kind,
                format!(
                    "{} (the declared encoding {:?} cannot be right: UTF-16 text starts with a byte order mark or a zero byte)",
                    r.message,
                    shown(label)
                ),
            )
        })?;
        return Ok(Decoded {
            text,
            encoding: "utf-8".into(),
            warning: Some(format!(
                "{what} declares the encoding {:?}, but its bytes are not UTF-16 (no byte order mark, ASCII-compatible bytes); it was read as UTF-8",
                shown(label)
            )),
        });
    }
    let name = if label.eq_ignore_ascii_case(encoding.name()) {
        encoding.name().to_owned()
    } else {
        format!("{} (declared as {:?})", encoding.name(), shown(label))
    };
    let text = decode_strict(encoding, bytes, 0, &name, what)?;
    Ok(Decoded {
        text,
        encoding: encoding.name().to_ascii_lowercase(),
        warning: None,
    })
}

/// The encoding of a declared label. The labels that the Encoding Standard maps to its
/// "replacement" encoding (ISO-2022-KR, HZ-GB-2312, …: unsafe, decoded as one U+FFFD) count as
/// unknown.
fn known(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label_no_replacement(label.as_bytes())
}

/// At most [`MAX_LABEL_SHOWN`] characters of a label, for a message.
fn shown(label: &str) -> &str {
    match label.char_indices().nth(MAX_LABEL_SHOWN) {
        Some((at, _)) => &label[..at],
        None => label,
    }
}

/// A warning when the declaration of `text`, read in `encoding` because of a BOM or the byte
/// pattern (`why`), names another encoding (any UTF-16 label agrees with either UTF-16).
fn contradiction(text: &str, encoding: &'static Encoding, why: &str, what: &str) -> Option<String> {
    let head = match text.char_indices().nth(DECLARATION_BYTES) {
        Some((at, _)) => &text[..at],
        None => text,
    };
    let label = declared_label(head)?;
    let utf16 = |e: &'static Encoding| e == UTF_16LE || e == UTF_16BE;
    let agrees = known(label).is_some_and(|declared| declared == encoding || (utf16(declared) && utf16(encoding)));
    (!agrees).then(|| {
        format!(
            "{what} declares the encoding {:?}, but {why} {}; it was read as {}",
            shown(label),
            encoding.name(),
            encoding.name()
        )
    })
}

/// Decodes all of `bytes` in `encoding` without replacing anything. `offset` is where `bytes`
/// start in the file (after a BOM), `name` how the encoding is named in a refusal.
fn decode_strict(
    encoding: &'static Encoding,
    bytes: &[u8],
    offset: usize,
    name: &str,
    what: &str,
) -> Result<String, Refusal> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    // At most three UTF-8 bytes per input byte (plus a constant): bounded by the caller's bound.
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .ok_or_else(|| Refusal::new(RefusalKind::TooLarge, format!("{what} is too large to decode")))?;
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        DecoderResult::InputEmpty => {
            // The worst case reserved up to three bytes per input byte; keep what is used.
            text.shrink_to_fit();
            Ok(text)
        }
        DecoderResult::Malformed(bad, after) => {
            let start = read.saturating_sub(usize::from(bad) + usize::from(after));
            let end = read.saturating_sub(usize::from(after)).min(bytes.len());
            let shown_bytes: Vec<String> = bytes[start.min(end)..end]
                .iter()
                .take(4)
                .map(|b| format!("0x{b:02X}"))
                .collect();
            let line = text.matches('\n').count() + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let what_bytes = if shown_bytes.is_empty() {
                "the text ends inside a character".to_owned()
            } else {
                format!("the bytes {}", shown_bytes.join(" "))
            };
            Err(Refusal::new(
                RefusalKind::MalformedXml,
                format!(
                    "{what} is not valid {name} at line {line}, column {column} (byte offset {}): {what_bytes}",
                    offset + start
                ),
            ))
        }
        // Not reached: the capacity is the decoder's own worst case.
        DecoderResult::OutputFull => Err(Refusal::new(
            RefusalKind::TooLarge,
            format!("{what} decodes to more text than expected"),
        )),
    }
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of `head`, as written.
fn declared_label(head: &str) -> Option<&str> {
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim())
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
        other => not_well_formed(text, &other, what),
    })
}

/// Most characters of the offending line quoted on each side of an error's column.
const EXCERPT_CHARS: usize = 30;

/// `malformed_xml` for a parser error: the line and column where roxmltree gives one, with an
/// excerpt of that line; the end of the text for an unclosed root or a truncated file (for
/// which roxmltree itself says 1:1); no position where there is none.
fn not_well_formed(text: &str, error: &roxmltree::Error, what: &str) -> Refusal {
    use roxmltree::Error as E;
    let (place, detail) = match error {
        E::NoRootNode => (String::new(), "the document has no root element".to_owned()),
        E::UnclosedRootNode | E::UnexpectedEndOfStream => {
            let line = text.matches('\n').count() + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (format!(" at its end (line {line}, column {column})"), error.to_string())
        }
        E::AttributesLimitReached | E::NamespacesLimitReached => (String::new(), error.to_string()),
        _ => {
            let pos = error.pos();
            // roxmltree's message ends with the position again as "at row:col".
            let detail = error.to_string().replace(&format!(" at {pos}"), "");
            (
                format!(" at line {}, column {}", pos.row, pos.col),
                format!("{detail}{}", excerpt(text, pos)),
            )
        }
    };
    Refusal::new(
        RefusalKind::MalformedXml,
        format!("{what} is not well-formed XML{place}: {detail}"),
    )
}

/// `, near `…``: up to [`EXCERPT_CHARS`] characters of line `pos.row` on each side of
/// `pos.col`, or nothing when the line is blank there.
fn excerpt(text: &str, pos: roxmltree::TextPos) -> String {
    let row = usize::try_from(pos.row).unwrap_or(usize::MAX).saturating_sub(1);
    let Some(line) = text.split('\n').nth(row) else {
        return String::new();
    };
    let column = usize::try_from(pos.col).unwrap_or(usize::MAX).saturating_sub(1);
    let before = column.saturating_sub(EXCERPT_CHARS);
    let quoted: String = line
        .chars()
        .skip(before)
        .take(column - before + EXCERPT_CHARS)
        .collect();
    let quoted: String = quoted
        .trim_end_matches('\r')
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if quoted.trim().is_empty() {
        return String::new();
    }
    let open = if before > 0 { "…" } else { "" };
    let close = if line.chars().count() > column + EXCERPT_CHARS {
        "…"
    } else {
        ""
    };
    format!(", near `{open}{quoted}{close}`")
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

    fn read(bytes: &[u8]) -> (String, String) {
        let decoded = decode(bytes, "m").unwrap();
        (decoded.text, decoded.encoding)
    }

    fn refused(bytes: &[u8]) -> String {
        let refusal = decode(bytes, "m.xml").unwrap_err();
        assert_eq!(refusal.kind, RefusalKind::MalformedXml, "{}", refusal.message);
        refusal.message
    }

    fn utf16le(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn boms_and_declarations() {
        let bom_le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(utf16le("<a/>")).collect();
        assert_eq!(read(&bom_le), ("<a/>".to_owned(), "utf-16le".to_owned()));
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("<a/>".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(read(&utf16be), ("<a/>".to_owned(), "utf-16be".to_owned()));
        assert_eq!(read(b"\xEF\xBB\xBF<a/>"), ("<a/>".to_owned(), "utf-8".to_owned()));
        assert_eq!(read(b"<a/>"), ("<a/>".to_owned(), "utf-8".to_owned()));
        // The Encoding Standard reads ISO-8859-1 as its superset windows-1252, and says so.
        let latin = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9\x80</a>";
        assert_eq!(
            read(latin),
            (
                "<?xml version='1.0' encoding='ISO-8859-1'?><a>é€</a>".to_owned(),
                "windows-1252".to_owned()
            )
        );
        let koi8 = b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><a>\xf0\xd2\xc9</a>";
        assert_eq!(read(koi8).0, "<?xml version=\"1.0\" encoding=\"koi8-r\"?><a>При</a>");
        assert_eq!(read(koi8).1, "koi8-r");
    }

    #[test]
    fn utf16_without_a_bom_is_found_by_its_zero_bytes() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>Ω</a>";
        assert_eq!(read(&utf16le(text)), (text.to_owned(), "utf-16le".to_owned()));
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(read(&be), (text.to_owned(), "utf-16be".to_owned()));
        // Without a declaration too (the first character is '<' or white space).
        assert_eq!(read(&utf16le("\n<a/>")).1, "utf-16le");
        assert_eq!(decode(&utf16le(text), "m").unwrap().warning, None);
        // A declaration that contradicts the bytes: the bytes win, with a warning.
        let wrong = decode(&utf16le("<?xml version='1.0' encoding='utf-8'?><a/>"), "m").unwrap();
        assert_eq!(wrong.encoding, "utf-16le");
        assert!(
            wrong
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("\"utf-8\"") && w.contains("UTF-16LE")),
            "{wrong:?}"
        );
    }

    #[test]
    fn a_bom_wins_over_the_declaration() {
        let decoded = decode(
            b"\xEF\xBB\xBF<?xml version='1.0' encoding='windows-1251'?><a>\xd0\x96</a>",
            "m",
        )
        .unwrap();
        assert_eq!(decoded.encoding, "utf-8");
        assert!(decoded.text.ends_with("<a>Ж</a>"), "{}", decoded.text);
        assert!(
            decoded
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("byte order mark")),
            "{decoded:?}"
        );
        // A UTF-16 label agrees with either UTF-16 BOM.
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(
                "<?xml version='1.0' encoding='UTF-16'?><a/>"
                    .encode_utf16()
                    .flat_map(u16::to_be_bytes),
            )
            .collect();
        assert_eq!(decode(&be, "m").unwrap().warning, None);
    }

    #[test]
    fn a_utf16_label_on_ascii_compatible_bytes_is_read_as_utf8() {
        let decoded = decode("<?xml version=\"1.0\" encoding=\"utf-16\"?><a>ü</a>".as_bytes(), "m").unwrap();
        assert_eq!(decoded.encoding, "utf-8");
        assert!(decoded.text.ends_with("<a>ü</a>"));
        assert!(
            decoded
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("\"utf-16\"") && w.contains("read as UTF-8")),
            "{decoded:?}"
        );
        let message = refused(b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>\xfc</a>");
        assert!(message.contains("UTF-8") && message.contains("\"UTF-16\""), "{message}");
    }

    #[test]
    fn unknown_labels_and_utf32_are_refused_by_name() {
        let message = refused(b"<?xml version=\"1.0\" encoding=\"x-klingon\"?><a/>");
        assert!(message.starts_with("m.xml: "), "{message}");
        assert!(message.contains("\"x-klingon\""), "{message}");
        // Labels of the Encoding Standard's "replacement" encoding are not decoded as U+FFFD.
        assert!(refused(b"<?xml version=\"1.0\" encoding=\"iso-2022-kr\"?><a/>").contains("\"iso-2022-kr\""));
        let long = format!("<?xml version=\"1.0\" encoding=\"{}\"?><a/>", "x".repeat(500));
        assert!(refused(long.as_bytes()).len() < 300);
        let utf32: Vec<u8> = "<a/>".chars().flat_map(|c| u32::from(c).to_le_bytes()).collect();
        assert!(refused(&utf32).contains("UTF-32"));
    }

    #[test]
    fn invalid_bytes_are_refused_with_the_encoding_and_where() {
        let message = refused(b"<a>\n  caf\xff</a>");
        assert_eq!(
            message,
            "m.xml is not valid UTF-8 at line 2, column 6 (byte offset 9): the bytes 0xFF"
        );
        // 0x81 0x20: a Shift_JIS lead byte followed by a space.
        let message = refused(b"<?xml version='1.0' encoding='Shift_JIS'?>\n<a>\x81 </a>");
        assert!(message.contains("not valid Shift_JIS at line 2, column 4"), "{message}");
        // 0xFF is unassigned in ISO-8859-7; the declared label is named when it differs.
        let message = refused(b"<?xml version='1.0' encoding='greek'?><a>\xff</a>");
        assert!(message.contains("ISO-8859-7 (declared as \"greek\")"), "{message}");
        assert!(refused(&[0xFF, 0xFE, b'<', 0, b'a']).contains("UTF-16LE"));
        // An unpaired surrogate.
        assert!(refused(&[0xFF, 0xFE, b'<', 0, 0x00, 0xD8, b'>', 0]).contains("not valid UTF-16LE"));
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
        assert_eq!(
            err.message,
            "imsmanifest.xml is not well-formed XML at line 2, column 6: expected 'a' tag, not 'b', near `  <a></b>`"
        );
    }

    #[test]
    fn errors_without_a_position_say_where_the_text_ends() {
        let err = parse("<manifest>\n  <a/>\n", "imsmanifest.xml").unwrap_err();
        assert!(
            err.message
                .starts_with("imsmanifest.xml is not well-formed XML at its end (line 3, column 1): "),
            "{}",
            err.message
        );
        let err = parse("<!-- nothing -->", "imsmanifest.xml").unwrap_err();
        assert_eq!(
            err.message,
            "imsmanifest.xml is not well-formed XML: the document has no root element"
        );
        // A long line is quoted around the column only.
        let long = format!("<manifest>{}<a></b>{}</manifest>", "x".repeat(100), "y".repeat(100));
        let err = parse(&long, "imsmanifest.xml").unwrap_err();
        let quoted = format!("near `…{}<a></b>{}…`", "x".repeat(27), "y".repeat(26));
        assert!(err.message.ends_with(&quoted), "{}", err.message);
    }
}
