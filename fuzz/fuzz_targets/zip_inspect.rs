//! Arbitrary bytes as a package: inspect, then verify every entry, with small limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    let limits = curricula_scorm::Limits {
        max_entries: 64,
        max_total_uncompressed_bytes: 1 << 20,
        bomb_min_entry_bytes: 64 * 1024,
        bomb_max_ratio: 50,
    };
    if let Ok(inspection) = curricula_scorm::inspect(Cursor::new(data), &limits) {
        let _ = curricula_scorm::extract(|| Ok(Cursor::new(data)), &inspection, 2, &curricula_scorm::NullSink);
    }
});
