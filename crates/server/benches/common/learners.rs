//! What the learners' benches share: the tenant's key, a SCORM 1.2 package of one SCO, the
//! upload's multipart body, a small HTTP client, quantiles.

use serde_json::Value;

/// The key every bench tenant is given.
pub const KEY: &str = "bench-key-0123456789";
/// The origin it is bound to.
pub const ORIGIN: &str = "https://skoli.istak.is";
/// The v2 content type.
pub const JSON: &str = "application/json";

/// The number in the environment variable `name`, else `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A zip of `files`.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(body).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A SCORM 1.2 package of one SCO (as the API tests' `built_package`).
pub fn package() -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench-learners" version="1.0"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Fire safety</title>
      <item identifier="item-1" identifierref="res-1"><title>Fire safety</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
"#;
    let page =
        "<!DOCTYPE html>\n<html><head><title>Fire safety</title></head><body><h1>Fire safety</h1></body></html>\n";
    zip_of(&[
        ("imsmanifest.xml", manifest.as_bytes()),
        ("index.html", page.as_bytes()),
    ])
}

/// The upload API's body creating a SCORM activity of `package`.
pub fn multipart(package: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----curricula-bench";
    let mut body = Vec::new();
    for (field, value) in [
        ("key", KEY),
        ("origin", ORIGIN),
        ("activityType", "scorm"),
        ("name", "Fire safety"),
        ("userName", "bench"),
    ] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.zip\"\r\nContent-Type: application/zip\r\n\r\n")
            .bytes(),
    );
    body.extend_from_slice(package);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An HTTP client of the server at `base`.
#[derive(Clone)]
pub struct Http {
    /// The client.
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Http {
    /// Sends a request; the status and the body (as JSON, else as a string) or the failure.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(u16, Value), String> {
        let res = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .header("accept", JSON)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(|e| e.to_string())?;
        let value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Ok((status, value))
    }

    /// A v2 call with the key, which must answer 200; its body.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: &Value) -> Value {
        let sep = if path.contains('?') { '&' } else { '?' };
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let (status, value) = self
            .send(method, &format!("{path}{sep}api_key={KEY}"), JSON, body)
            .await
            .unwrap();
        assert_eq!(status, 200, "{path}: {value}");
        value
    }
}

/// The `q`-quantile (nearest rank) of sorted `v`.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = (q * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}
