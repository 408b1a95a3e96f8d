//! The bodies of `POST /api/activityupload/validate`, a dry run of `/new` or `/addlanguage`
//! (its handler is in the parent module).
//!
//! The same form, authentication and checks (the service's `check_create`/`check_add`, the
//! code path of the real requests), the package verified exactly as it would be unpacked;
//! nothing is stored and no upload metric is counted.

use curricula_service::{PackageReport, Validation};
use serde_json::{Value, json};

/// The 200 body.
pub(super) fn report(v: &Validation) -> Value {
    json!({
        "valid": true,
        "operation": v.operation,
        "checks": v.checks,
        "package": v.package.as_ref().map(package),
    })
}

fn package(p: &PackageReport) -> Value {
    package_json(Some(&p.sha256), Some(p.size), &p.inspection)
}

/// A package as `/validate` reports it (camelCase); `curricula inspect` prints the same.
pub fn package_json(sha256: Option<&str>, size: Option<u64>, i: &curricula_scorm::Inspection) -> Value {
    json!({
        "sha256": sha256,
        "size": size,
        "scormVersion": i.scorm_version,
        "title": i.title,
        "description": i.description,
        "launchUrl": i.launch_href,
        "masteryScore": i.mastery_score,
        "completionThreshold": i.completion_threshold,
        "scoCount": i.sco_count,
        "itemCount": i.item_count,
        "fileCount": i.file_count,
        "totalBytes": i.total_uncompressed_bytes,
        "items": i.items,
        "warnings": i.warnings,
    })
}
