//! The player in a real browser (issue 15): Debian's chromium driven by
//! `tests/browser/harness.mjs` (see `support::browser`; skipped, loudly, where chromium or the
//! harness's `node_modules` are missing, unless `CURRICULA_REQUIRE_BROWSER=1`).

mod support;

use serde_json::json;
use support::browser::Browser;

#[test]
fn the_harness_drives_chromium() {
    let Some(browser) = Browser::find("the_harness_drives_chromium") else {
        return;
    };
    let result = browser.run(&json!({
        "url": "data:text/html,<title>t</title><p id=x>hello</p>",
        "timeout_ms": 30000,
        "steps": [
            {"action": "eval", "expression": "document.getElementById('x').textContent"},
            {"action": "text", "selector": "#x"},
            {"action": "wait_for", "expression": "document.readyState === 'complete'"},
        ],
    }));
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["steps"][0]["value"], "hello", "{result}");
    assert_eq!(result["steps"][1]["value"], "hello", "{result}");
    assert!(result["chromium"].as_str().is_some_and(|v| !v.is_empty()), "{result}");
}
