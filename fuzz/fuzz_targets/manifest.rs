//! Arbitrary bytes as the imsmanifest.xml of an otherwise valid package.
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
    }
});
