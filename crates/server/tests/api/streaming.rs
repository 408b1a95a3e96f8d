//! Uploads whose entries are stored while the body arrives (issue 18): what cannot be
//! streamed falls back to the spooled copy, a local header that disagrees with the central
//! directory is not trusted, and a refusal at any point leaves no file and no row.

use crate::helpers::*;
use std::io::{Read, Write};

const NEW: &str = "/api/activityupload/new";

fn form<'a>(user: &'a str, package: &'a [u8]) -> Vec<Part<'a>> {
    vec![
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", "Streamed"),
        Part::Text("userName", user),
        Part::File("file", package),
    ]
}

/// The same files as `zip`, written as a streaming zip writer does: every entry with a data
/// descriptor (its sizes and CRC after its data), which a local-header reader cannot follow.
fn with_data_descriptors(zip: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut out = Vec::new();
    let mut writer = zip::ZipWriter::new_stream(&mut out);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        writer
            .start_file(
                entry.name().unwrap().into_owned(),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        writer.write_all(&body).unwrap();
    }
    writer.finish().unwrap();
    out
}

/// The version's files under its folder, without the folder.
fn files_of(app: &TestApp) -> Vec<String> {
    let mut files: Vec<String> = app
        .stored_files()
        .into_iter()
        .map(|f| f.splitn(4, '/').nth(3).unwrap_or_default().to_owned())
        .collect();
    files.sort();
    files
}

fn folders_of(app: &TestApp) -> std::collections::BTreeSet<String> {
    app.stored_files()
        .into_iter()
        .map(|f| f.splitn(4, '/').take(3).collect::<Vec<_>>().join("/"))
        .collect()
}

const FILES: [&str; 4] = ["imsmanifest.xml", "index.html", "jquery.min.js", "styles.css"];

#[actix_web::test]
async fn a_package_with_data_descriptors_falls_back_to_the_spooled_copy() {
    let app = TestApp::new().await;
    let package = with_data_descriptors(&built_package("Descriptors", "index.html", "dd"));
    let (status, body) = app.post(NEW, &form("jon.jonsson", &package)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(files_of(&app), FILES);
    assert_eq!(folders_of(&app).len(), 1);
}

#[actix_web::test]
async fn a_local_header_that_disagrees_with_the_directory_is_not_trusted() {
    let app = TestApp::new().await;
    let mut package = built_package("Disagrees", "index.html", "cd");
    // The local header of styles.css names another file; the central directory does not.
    let at = package.windows(10).position(|w| w == b"styles.css").unwrap();
    assert_eq!(&package[at - 30..at - 26], b"PK\x03\x04");
    package[at..at + 10].copy_from_slice(b"hidden.css");
    let (status, body) = app.post(NEW, &form("jon.jonsson", &package)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(files_of(&app), FILES, "what the central directory says, nothing else");
    assert_eq!(folders_of(&app).len(), 1, "the streamed folder was removed");
}

#[actix_web::test]
async fn a_package_refused_after_streaming_leaves_no_file_and_no_row() {
    let app = TestApp::new().await;
    let mut package = built_package("Corrupt", "index.html", "crc");
    // Flip a byte of the deflated launch page: its CRC no longer matches (zip_bomb).
    let at = package.windows(10).position(|w| w == b"index.html").unwrap() + 10 + 5;
    package[at] ^= 0x55;
    let (status, body) = app.post(NEW, &form("jon.jonsson", &package)).await;
    assert_eq!(status, 400, "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("SCORM package refused (zip_bomb)"), "{message}");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
    assert_eq!(app.activity_count().await, 0);
}

#[actix_web::test]
async fn a_form_refused_once_the_file_arrived_leaves_no_file() {
    let app = TestApp::new().await;
    let package = built_package("Nobody", "index.html", "user");
    let (status, body) = app.post(NEW, &form("nobody.here", &package)).await;
    assert_eq!(status, 400, "{body}");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
    assert_eq!(app.activity_count().await, 0);
    // A dry run streams nothing either.
    let (status, body) = app
        .post("/api/activityupload/validate", &form("jon.jonsson", &package))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
}

#[actix_web::test]
async fn a_body_that_breaks_off_in_the_file_leaves_no_file() {
    let app = TestApp::new().await;
    let package = built_package("Cut", "index.html", "cut");
    let (content_type, mut body) = multipart(&form("jon.jonsson", &package));
    let closing = b"\r\n------------------------curriculaTestBoundary--\r\n".len();
    body.truncate(body.len() - closing);
    let (status, body) = app.post_raw(NEW, &content_type, body).await;
    assert_eq!(status, 400, "{body}");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
    assert_eq!(app.activity_count().await, 0);
    assert_eq!(app.spooled_files(), 0, "no spooled upload");
}
