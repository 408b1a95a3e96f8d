//! The player's own files and pages: scorm-again (the SCORM runtime, MIT, at the version
//! `player/package-lock.json` pins; `build.rs` obtains it), its license, our glue
//! `player/player.js` and `player/player.css`, the HTML of `GET /play/{token}` and the page a
//! learner sees when a player URL is refused. See docs/PLAYER.md.
//!
//! - `GET /play/assets/scorm-again/{version}/{file}`: `scorm12.min.js`, `scorm2004.min.js`,
//!   `LICENSE`, only at [`SCORM_AGAIN_VERSION`] (anything else is a 404); cached for a year,
//!   since the version is in the path.
//! - `GET /play/assets/player.js`, `GET /play/assets/player.css`: revalidated by their ETag.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
pub use curricula_domain::runtime::ScormVersion;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The version of scorm-again the player serves (from `player/package-lock.json`).
pub const SCORM_AGAIN_VERSION: &str = env!("CURRICULA_SCORM_AGAIN_VERSION");

/// scorm-again's SCORM 1.2 API (`Scorm12API`), minified UMD.
pub const SCORM12_JS: &[u8] = include_bytes!(concat!(
    env!("CURRICULA_SCORM_AGAIN_DIR_RESOLVED"),
    "/dist/scorm12.min.js"
));
/// scorm-again's SCORM 2004 API (`Scorm2004API`), minified UMD.
pub const SCORM2004_JS: &[u8] = include_bytes!(concat!(
    env!("CURRICULA_SCORM_AGAIN_DIR_RESOLVED"),
    "/dist/scorm2004.min.js"
));
/// scorm-again's license (MIT), served beside it.
pub const SCORM_AGAIN_LICENSE: &[u8] = include_bytes!(concat!(env!("CURRICULA_SCORM_AGAIN_DIR_RESOLVED"), "/LICENSE"));
/// The player's glue: reads the seed, creates scorm-again's API, frames the SCO.
pub const PLAYER_JS: &str = include_str!("../../../player/player.js");
/// The player's and the refusal page's stylesheet.
pub const PLAYER_CSS: &str = include_str!("../../../player/player.css");

/// Where the player's assets are served.
pub const ASSETS_PATH: &str = "/play/assets";

/// The `Content-Security-Policy` of the player page and the refusal page: scripts and styles
/// from the content origin's own files only (the seed is a JSON data block, which is not
/// executed), commits to the same origin, the SCO framed from the same origin.
pub const PLAYER_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     frame-src 'self'; child-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

/// The OpenAPI description of these routes (tag "Player").
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(scorm_again, player_js, player_css),
    tags((name = "Player", description = "The SCORM player on the content origin: its page, its commits, and the files it loads (scorm-again, our glue). No key: a player URL's token is the grant."))
)]
pub struct ApiDoc;

/// Registers the asset routes: a scope of their own (before `/play/{token}`), gzip-compressed
/// for clients that accept it (scorm2004.min.js is 565 KB, about a quarter of that gzipped).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(ASSETS_PATH)
            .wrap(actix_web::middleware::Compress::default())
            .route("/scorm-again/{version}/{file}", web::get().to(scorm_again))
            .route("/player.js", web::get().to(player_js))
            .route("/player.css", web::get().to(player_css)),
    );
}

/// scorm-again's file for a package's version.
pub fn script(version: ScormVersion) -> &'static str {
    match version {
        ScormVersion::V12 => "scorm12.min.js",
        ScormVersion::V2004 => "scorm2004.min.js",
    }
}

/// What the player page hands `player.js` (the `curricula-seed` JSON block).
#[derive(Clone, Debug, Serialize)]
pub struct Seed {
    /// The package's SCORM version.
    pub version: ScormVersion,
    /// Where the player posts its commits (`/play/{token}/commit`).
    pub commit_url: String,
    /// The last sequence number the server applied for this attempt (0 if none); the player
    /// sends `seq + 1`, `seq + 2`, ….
    pub seq: u64,
    /// The attempt (1, 2, …).
    pub attempt: u32,
    /// The learner, as `cmi.core.student_id|name` / `cmi.learner_id|name` show them.
    pub learner: Learner,
    /// The SCO to open first (an item identifier of `scos`).
    pub start: String,
    /// The launchable items, in document order.
    pub scos: Vec<SeedSco>,
}

/// The learner of a [`Seed`].
#[derive(Clone, Debug, Serialize)]
pub struct Learner {
    /// The username.
    pub id: String,
    /// "Last, First".
    pub name: String,
}

/// One launchable item of a [`Seed`].
#[derive(Clone, Debug, Serialize)]
pub struct SeedSco {
    /// The item's identifier (the commit's `sco`).
    pub id: String,
    /// Its title, shown in the navigation list.
    pub title: String,
    /// Its launch URL on the content origin (`/content/{token}/…`).
    pub url: String,
    /// Its runtime data in scorm-again's `loadFromJSON` shape (without the `cmi.` prefix).
    pub cmi: serde_json::Value,
}

/// The seed as JSON that is safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029
/// are written as `\uXXXX` escapes (they can only occur inside JSON strings).
pub fn seed_json(seed: &impl Serialize) -> String {
    let json = serde_json::to_string(seed).unwrap_or_else(|_| "null".to_owned());
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text escaped for HTML element content and double-quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML of `GET /play/{token}`: the seed, scorm-again for the seed's version and
/// `player.js`, which builds the navigation list and the content frame. `title` is the
/// activity's name (the tab's title).
pub fn player_page(seed: &Seed, title: &str) -> String {
    let title = html_escape(title);
    let script = script(seed.version);
    let seed = seed_json(seed);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{ASSETS_PATH}/player.css">
<script type="application/json" id="curricula-seed">{seed}</script>
<script defer src="{ASSETS_PATH}/scorm-again/{SCORM_AGAIN_VERSION}/{script}"></script>
<script defer src="{ASSETS_PATH}/player.js"></script>
</head>
<body class="player">
<noscript>
<main class="notice">
<h1>{title}</h1>
<p>This course needs JavaScript: the page records your progress (where you are, your answers and your score) while you take it. Turn JavaScript on for this site, or open the link in another browser, and load the page again.</p>
</main>
</noscript>
<div id="curricula-player" class="layout">
<nav id="curricula-nav" class="nav" aria-label="Lessons" hidden><ul></ul></nav>
<iframe id="curricula-frame" class="frame" title="{title}" allow="fullscreen; autoplay"></iframe>
</div>
<p id="curricula-status" class="status" role="status" hidden></p>
</body>
</html>
"#
    )
}

/// The page a learner sees when a player URL is refused (tampered with, expired, for an ended
/// attempt): a readable explanation instead of the API's JSON.
pub fn refusal_page(title: &str, message: &str) -> String {
    let title = html_escape(title);
    let message = html_escape(message);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{ASSETS_PATH}/player.css">
</head>
<body>
<main class="notice">
<h1>{title}</h1>
<p>{message}</p>
<p>Go back to the page you came from and open the course again; it gives you a new link. Your progress so far is kept.</p>
</main>
</body>
</html>
"#
    )
}

/// An HTML page of the player (`player_page` or `refusal_page`) as a response: its policy,
/// never cached (it holds the learner's data and a token), no referrer.
pub fn page_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PLAYER_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(html)
}

#[utoipa::path(
    get, path = "/play/assets/scorm-again/{version}/{file}", tag = "Player", operation_id = "get_scorm_again",
    params(
        ("version" = String, Path, description = "scorm-again's version; only the one the server pins (see docs/PLAYER.md)"),
        ("file" = String, Path, description = "`scorm12.min.js`, `scorm2004.min.js` or `LICENSE`"),
    ),
    responses(
        (status = 200, description = "The file (JavaScript, or the license as text), cacheable for a year", content_type = "*/*"),
        (status = 404, description = "Another version or file", body = crate::http::error::UploadErrorBody),
    )
)]
async fn scorm_again(path: web::Path<(String, String)>) -> HttpResponse {
    let (version, file) = path.into_inner();
    let (body, content_type) = match file.as_str() {
        _ if version != SCORM_AGAIN_VERSION => return not_found(),
        "scorm12.min.js" => (SCORM12_JS, "text/javascript; charset=utf-8"),
        "scorm2004.min.js" => (SCORM2004_JS, "text/javascript; charset=utf-8"),
        "LICENSE" => (SCORM_AGAIN_LICENSE, "text/plain; charset=utf-8"),
        _ => return not_found(),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

#[utoipa::path(
    get, path = "/play/assets/player.js", tag = "Player", operation_id = "get_player_js",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The player's glue (plain JavaScript), revalidated by its ETag", content_type = "text/javascript"),
        (status = 304, description = "Not modified (If-None-Match matched)"),
    )
)]
async fn player_js(req: HttpRequest) -> HttpResponse {
    static ETAG: OnceLock<String> = OnceLock::new();
    revalidated(&req, PLAYER_JS, "text/javascript; charset=utf-8", &ETAG)
}

#[utoipa::path(
    get, path = "/play/assets/player.css", tag = "Player", operation_id = "get_player_css",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The player's and the refusal page's stylesheet, revalidated by its ETag", content_type = "text/css"),
        (status = 304, description = "Not modified (If-None-Match matched)"),
    )
)]
async fn player_css(req: HttpRequest) -> HttpResponse {
    static ETAG: OnceLock<String> = OnceLock::new();
    revalidated(&req, PLAYER_CSS, "text/css; charset=utf-8", &ETAG)
}

/// A file whose URL has no version: cached but revalidated by its ETag (a hash of it).
fn revalidated(req: &HttpRequest, body: &'static str, content_type: &str, etag: &OnceLock<String>) -> HttpResponse {
    let etag = etag.get_or_init(|| {
        let digest = Sha256::digest(body.as_bytes());
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    });
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|h| h.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if matches {
        response.finish()
    } else {
        response.body(body)
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "errorMessage": "no such endpoint" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test as atest};

    fn seed(title: &str) -> Seed {
        Seed {
            version: ScormVersion::V2004,
            commit_url: "/play/T/commit".to_owned(),
            seq: 3,
            attempt: 1,
            learner: Learner {
                id: "jon".to_owned(),
                name: "Jonsson, Jon".to_owned(),
            },
            start: "I1".to_owned(),
            scos: vec![SeedSco {
                id: "I1".to_owned(),
                title: title.to_owned(),
                url: "/content/C/index.html".to_owned(),
                cmi: serde_json::json!({"suspend_data": "</script><script>alert(1)</script>&\u{2028}\u{2029}"}),
            }],
        }
    }

    #[test]
    fn the_seed_cannot_end_its_script_element() {
        let page = player_page(&seed("<b>Lesson</b>"), "A & B");
        let start = page.find(r#"id="curricula-seed">"#).unwrap() + r#"id="curricula-seed">"#.len();
        let end = start + page[start..].find("</script>").unwrap();
        let block = &page[start..end];
        assert!(!block.contains('<') && !block.contains('>') && !block.contains('&'));
        assert!(!block.contains('\u{2028}') && !block.contains('\u{2029}'));
        let back: serde_json::Value = serde_json::from_str(block).unwrap();
        assert_eq!(
            back["scos"][0]["cmi"]["suspend_data"],
            "</script><script>alert(1)</script>&\u{2028}\u{2029}"
        );
        assert_eq!(back["scos"][0]["title"], "<b>Lesson</b>");
        assert!(page.contains(&format!(
            "/play/assets/scorm-again/{SCORM_AGAIN_VERSION}/scorm2004.min.js"
        )));
        assert!(page.contains("<title>A &amp; B</title>"));
        assert!(page.contains("<noscript>"));
    }

    #[test]
    fn a_1_2_seed_loads_the_1_2_api() {
        let mut s = seed("x");
        s.version = ScormVersion::V12;
        assert!(player_page(&s, "t").contains("/scorm12.min.js\""));
    }

    #[test]
    fn the_refusal_page_is_escaped_html() {
        let page = refusal_page("Link expired", "<script>x</script>");
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!page.contains("<script"));
    }

    #[actix_web::test]
    async fn only_the_pinned_files_are_served() {
        let app = atest::init_service(App::new().configure(routes)).await;
        let get = |uri: String| atest::TestRequest::get().uri(&uri).to_request();
        for (file, kind) in [
            ("scorm12.min.js", "text/javascript"),
            ("scorm2004.min.js", "text/javascript"),
            ("LICENSE", "text/plain"),
        ] {
            let res = atest::call_service(
                &app,
                get(format!("/play/assets/scorm-again/{SCORM_AGAIN_VERSION}/{file}")),
            )
            .await;
            assert_eq!(res.status(), 200, "{file}");
            let h = res.headers();
            assert!(h.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with(kind));
            assert_eq!(
                h.get(header::CACHE_CONTROL).unwrap(),
                "public, max-age=31536000, immutable"
            );
            assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        }
        for uri in [
            "/play/assets/scorm-again/3.4.2/scorm12.min.js".to_owned(),
            format!("/play/assets/scorm-again/{SCORM_AGAIN_VERSION}/scorm-again.min.js"),
            format!("/play/assets/scorm-again/{SCORM_AGAIN_VERSION}/package.json"),
            "/play/assets/other.js".to_owned(),
        ] {
            assert_eq!(atest::call_service(&app, get(uri.clone())).await.status(), 404, "{uri}");
        }
        let res = atest::call_service(&app, get("/play/assets/player.js".to_owned())).await;
        assert_eq!(res.status(), 200);
        let etag = res.headers().get(header::ETAG).unwrap().clone();
        let again = atest::TestRequest::get()
            .uri("/play/assets/player.js")
            .insert_header((header::IF_NONE_MATCH, etag))
            .to_request();
        assert_eq!(atest::call_service(&app, again).await.status(), 304);
        let gzipped = atest::TestRequest::get()
            .uri(&format!(
                "/play/assets/scorm-again/{SCORM_AGAIN_VERSION}/scorm2004.min.js"
            ))
            .insert_header((header::ACCEPT_ENCODING, "gzip"))
            .to_request();
        let res = atest::call_service(&app, gzipped).await;
        assert_eq!(res.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
        let license = atest::call_and_read_body(
            &app,
            get(format!("/play/assets/scorm-again/{SCORM_AGAIN_VERSION}/LICENSE")),
        )
        .await;
        assert!(String::from_utf8_lossy(&license).contains("MIT"));
    }
}
