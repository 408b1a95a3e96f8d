//! Extraction while the package arrives (`stream_extract`) and its check against the central
//! directory (`inspect_streamed`): what is streamed, what falls back to the spooled copy, and
//! that a disagreement is reported instead of trusted.

use curricula_scorm::{Arrival, EntrySink, FileEntry, Limits, RefusalKind, Remaining, Streamed};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

const MANIFEST: &[u8] = br#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="o"><organization identifier="o"><title>T</title>
    <item identifier="i" identifierref="r"><title>Start</title></item></organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"/></resources>
</manifest>"#;

/// Keeps what it is given whole, in memory; nothing of an entry whose reader fails.
#[derive(Default)]
struct Memory {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl EntrySink for Memory {
    fn store(&self, file: &FileEntry, contents: &mut dyn Read) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        contents.read_to_end(&mut bytes)?;
        self.files.lock().unwrap().insert(file.path.clone(), bytes);
        Ok(())
    }
}

impl Memory {
    fn paths(&self) -> Vec<String> {
        self.files.lock().unwrap().keys().cloned().collect()
    }
}

fn page(i: usize) -> Vec<u8> {
    format!("<p>page {i}</p>").repeat(200 + i).into_bytes()
}

/// The manifest, a launch page, `pages` deflated pages and one stored "media" file.
fn package(pages: usize, streaming_writer: bool) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let deflated = SimpleFileOptions::default();
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut entries: Vec<(String, Vec<u8>, SimpleFileOptions)> = vec![
        ("imsmanifest.xml".into(), MANIFEST.to_vec(), deflated),
        (
            "index.html".into(),
            b"<!DOCTYPE html><title>x</title>".to_vec(),
            deflated,
        ),
    ];
    for i in 0..pages {
        entries.push((format!("pages/page{i:03}.html"), page(i), deflated));
    }
    entries.push((
        "media/clip.bin".into(),
        (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect(),
        stored,
    ));
    if streaming_writer {
        let mut out = Vec::new();
        let mut w = zip::ZipWriter::new_stream(&mut out);
        for (name, body, options) in &entries {
            w.start_file(name.as_str(), *options).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap();
        out
    } else {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body, options) in &entries {
            w.start_file(name.as_str(), *options).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }
}

/// Streams `zip` from a file written in chunks by another thread, as an upload arrives.
fn stream(zip: &[u8], sink: &Memory) -> (tempfile::NamedTempFile, Streamed) {
    let spool = tempfile::NamedTempFile::new().unwrap();
    let arrival = Arc::new(Arrival::new());
    let writer = {
        let arrival = Arc::clone(&arrival);
        let mut file = spool.reopen().unwrap();
        let zip = zip.to_vec();
        std::thread::spawn(move || {
            let mut written = 0;
            for chunk in zip.chunks(1000) {
                file.write_all(chunk).unwrap();
                written += chunk.len() as u64;
                arrival.advance(written);
            }
            arrival.complete();
        })
    };
    let streamed = curricula_scorm::stream_extract(spool.path(), &arrival, &Limits::default(), 2, sink).unwrap();
    writer.join().unwrap();
    (spool, streamed)
}

fn check(
    path: &Path,
    streamed: &Streamed,
) -> Result<(curricula_scorm::Inspection, Remaining), curricula_scorm::Refusal> {
    curricula_scorm::inspect_streamed(std::fs::File::open(path).unwrap(), &Limits::default(), streamed)
}

#[test]
fn every_entry_of_an_ordinary_zip_is_stored_while_it_arrives_and_matches_the_directory() {
    let zip = package(40, false);
    let sink = Memory::default();
    let (spool, streamed) = stream(&zip, &sink);
    assert_eq!(streamed.stopped, None);
    assert_eq!(streamed.files(), 43);
    let (inspection, remaining) = check(spool.path(), &streamed).unwrap();
    assert_eq!(remaining, Remaining::Files(Vec::new()));
    assert_eq!(sink.paths().len(), inspection.file_count);
    assert_eq!(sink.files.lock().unwrap()["pages/page007.html"], page(7));
    assert_eq!(sink.files.lock().unwrap()["media/clip.bin"].len(), 300_000);
}

#[test]
fn entries_with_data_descriptors_are_left_to_the_spooled_copy() {
    let zip = package(5, true);
    let sink = Memory::default();
    let (spool, streamed) = stream(&zip, &sink);
    assert!(
        streamed
            .stopped
            .as_deref()
            .is_some_and(|why| why.contains("data descriptor")),
        "{:?}",
        streamed.stopped
    );
    let (_, remaining) = check(spool.path(), &streamed).unwrap();
    let Remaining::Files(rest) = remaining else {
        panic!("{remaining:?}")
    };
    assert_eq!(rest.len() + streamed.files(), 8);
    assert!(!rest.is_empty());
    // The rest is extracted from the spool into the same sink: the whole package is there.
    curricula_scorm::extract_some(|| std::fs::File::open(spool.path()), &rest, 2, &sink).unwrap();
    assert_eq!(sink.paths().len(), 8);
    assert_eq!(sink.files.lock().unwrap()["pages/page003.html"], page(3));
}

/// Replaces the first `from` after a local header signature (the name in a local header)
/// with `to`, of the same length: the central directory still says `from`.
fn rename_in_local_header(zip: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let at = zip
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .expect("the name is in the zip");
    assert_eq!(
        &zip[at - 30..at - 26],
        b"PK\x03\x04",
        "the first occurrence is the local header's"
    );
    zip[at..at + to.len()].copy_from_slice(to.as_bytes());
}

#[test]
fn a_local_header_that_disagrees_with_the_directory_is_reported_not_trusted() {
    let mut zip = package(5, false);
    rename_in_local_header(&mut zip, "pages/page002.html", "pages/evil002.html");
    let sink = Memory::default();
    let (spool, streamed) = stream(&zip, &sink);
    assert!(sink.paths().contains(&"pages/evil002.html".to_owned()));
    let (_, remaining) = check(spool.path(), &streamed).unwrap();
    let Remaining::Disagrees(why) = remaining else {
        panic!("{remaining:?}")
    };
    assert!(why.contains("evil002.html") && why.contains("page002.html"), "{why}");
}

#[test]
fn an_entry_whose_bytes_differ_from_its_header_is_not_streamed_and_refused_from_the_spool() {
    let mut zip = package(5, false);
    // Corrupt the stored media file's bytes (its CRC no longer matches).
    let at = zip.windows(14).position(|w| w == b"media/clip.bin").unwrap() + 14 + 1000;
    zip[at] ^= 0xff;
    let sink = Memory::default();
    let (spool, streamed) = stream(&zip, &sink);
    assert!(
        !sink.paths().contains(&"media/clip.bin".to_owned()),
        "nothing of it is kept"
    );
    let (_, remaining) = check(spool.path(), &streamed).unwrap();
    let Remaining::Files(rest) = remaining else {
        panic!("{remaining:?}")
    };
    assert_eq!(
        rest.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["media/clip.bin"]
    );
    let refused = curricula_scorm::extract_some(|| std::fs::File::open(spool.path()), &rest, 2, &sink).unwrap_err();
    match refused {
        curricula_scorm::ExtractError::Refused(r) => assert_eq!(r.kind, RefusalKind::ZipBomb, "{r}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsafe_paths_are_never_stored_and_the_directory_refuses_them() {
    let zip = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in [
            ("imsmanifest.xml", MANIFEST),
            ("index.html", b"x"),
            ("../evil.html", b"x"),
        ] {
            w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let sink = Memory::default();
    let (spool, streamed) = stream(&zip, &sink);
    assert_eq!(sink.paths(), ["imsmanifest.xml", "index.html"]);
    let refused = check(spool.path(), &streamed).unwrap_err();
    assert_eq!(refused.kind, RefusalKind::UnsafePath);
}

#[test]
fn an_abandoned_upload_stops_the_streaming() {
    let zip = package(40, false);
    let spool = tempfile::NamedTempFile::new().unwrap();
    let arrival = Arc::new(Arrival::new());
    let half = zip.len() / 2;
    spool.as_file().write_all(&zip[..half]).unwrap();
    arrival.advance(half as u64);
    let aborter = {
        let arrival = Arc::clone(&arrival);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            arrival.abort();
        })
    };
    let sink = Memory::default();
    let streamed = curricula_scorm::stream_extract(spool.path(), &arrival, &Limits::default(), 2, &sink).unwrap();
    aborter.join().unwrap();
    assert!(streamed.stopped.is_some());
    assert!(streamed.files() < 43);
}
