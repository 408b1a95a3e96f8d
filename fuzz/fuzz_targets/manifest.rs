//! Arbitrary bytes as the imsmanifest.xml of an otherwise valid package. Whatever is accepted
//! must read back: its item tree, stored as JSON inside a package revision, parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Write};

fuzz_target!(|data: &[u8]| {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("imsmanifest.xml", options).unwrap();
    w.write_all(data).unwrap();
    w.start_file("index.html", options).unwrap();
    w.write_all(b"x").unwrap();
    let bytes = w.finish().unwrap().into_inner();
    if let Ok(inspection) = curricula_scorm::inspect(Cursor::new(bytes), &curricula_scorm::Limits::default()) {
        let _ = inspection.ensure_launchable();
        // The revision's content, in the API's envelope (a few levels more than the database's).
        let stored = serde_json::json!({"activity": {"language_versions": [{"scorm": {"items": inspection.items}}]}});
        let text = serde_json::to_string(&stored).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "an accepted item tree does not read back"
        );
    }
});
