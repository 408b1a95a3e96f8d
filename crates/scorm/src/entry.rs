//! One file of the zip: its record, the path rule R2, and the reader that holds its bytes to
//! its header. A leaf shared by the directory checks (`archive`) and the extraction (`extract`).

use crate::refusal::{Refusal, RefusalKind};
use serde::Serialize;
use std::io::{self, Read};

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Index of the entry in the zip.
    pub index: usize,
    /// Path inside the package (`/`-separated, checked safe).
    pub path: String,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared compressed size.
    pub compressed_size: u64,
    /// Declared CRC-32.
    pub crc32: u32,
    /// Content type guessed from the extension.
    pub content_type: &'static str,
}

/// R2: a path that could escape the folder it is extracted into.
pub(crate) fn unsafe_path_reason(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if name.contains('\0') {
        Some("holds a NUL byte")
    } else if name.contains('\\') {
        Some("holds a backslash")
    } else if name.starts_with('/') {
        Some("is absolute")
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Some("starts with a drive letter")
    } else if name.split('/').any(|segment| segment == "..") {
        Some("has a .. segment")
    } else {
        None
    }
}

/// A content type for `path` from its extension.
pub(crate) fn content_type(path: &str) -> &'static str {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
}

/// The refusal for an entry the zip reader cannot open.
pub(crate) fn open_error(path: &str, e: zip::result::ZipError) -> Refusal {
    match e {
        zip::result::ZipError::UnsupportedArchive(what) => Refusal::new(
            RefusalKind::UnsupportedZip,
            format!("entry {path:?} uses an unsupported feature: {what}"),
        ),
        other => Refusal::new(RefusalKind::ZipBomb, format!("entry {path:?} cannot be read ({other})")),
    }
}

/// The refusal for a read error that [`Verified`] did not classify.
pub(crate) fn read_refusal(path: &str, e: &io::Error) -> Refusal {
    Refusal::new(
        RefusalKind::ZipBomb,
        format!("entry {path:?} cannot be decompressed ({e})"),
    )
}

/// A reader over one entry that yields at most its declared size and fails when the real
/// bytes differ from the header (more, fewer, bad CRC, bad data). Bytes beyond the declared
/// size never reach the caller.
pub(crate) struct Verified<'f, R> {
    inner: R,
    file: &'f FileEntry,
    produced: u64,
    failure: Option<String>,
}

impl<'f, R: Read> Verified<'f, R> {
    pub(crate) fn new(inner: R, file: &'f FileEntry) -> Self {
        Self {
            inner,
            file,
            produced: 0,
            failure: None,
        }
    }

    /// The refusal, when the entry turned out hostile or broken.
    pub(crate) fn refusal(&self) -> Option<Refusal> {
        self.failure
            .as_ref()
            .map(|why| Refusal::new(RefusalKind::ZipBomb, format!("entry {:?} {why}", self.file.path)))
    }

    fn fail(&mut self, why: String) -> io::Error {
        let error = io::Error::new(io::ErrorKind::InvalidData, why.clone());
        self.failure.get_or_insert(why);
        error
    }
}

impl<R: Read> Read for Verified<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(why) = &self.failure {
            return Err(io::Error::new(io::ErrorKind::InvalidData, why.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let declared = self.file.size;
        match self.inner.read(buf) {
            Ok(0) if self.produced < declared => {
                Err(self.fail(format!("ends after {} of its declared {declared} bytes", self.produced)))
            }
            Ok(0) => Ok(0),
            Ok(n) => {
                self.produced += n as u64;
                if self.produced > declared {
                    return Err(self.fail(format!("produces more than its declared {declared} bytes")));
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => Err(self.fail(format!("does not match its header ({e})"))),
        }
    }
}
