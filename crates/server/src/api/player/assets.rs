//! TEMPORARY stand-in, replaced by the h15-player branch's assets module at merge.

use actix_web::web;

/// Registers nothing yet.
pub fn routes(_cfg: &mut web::ServiceConfig) {}

/// The player page.
pub fn player_page(seed: &serde_json::Value, _version: &str) -> String {
    format!(
        "<!doctype html><script type=\"application/json\" id=\"curricula-seed\">{}</script>",
        seed.to_string().replace('<', "\\u003c")
    )
}

/// A refusal page.
pub fn refusal_page(title: &str, message: &str) -> String {
    format!("<!doctype html><title>{title}</title><p>{message}")
}
