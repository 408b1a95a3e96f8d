//! The Activities read API: what partners uploaded, with language versions.

use crate::auth::Caller;
use crate::query::PAGE_SIZE;
use crate::v2_error::V2Error;
use curricula_domain::{Activity, ActivityId, ActivityKind, PackageRevision};
use curricula_ports::ActivityRepository;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Attributes `GET /api/v2/activities` filters on (`activity[...]`); `course[...]` filters of
/// the curriculum list accept the same.
pub const ACTIVITY_FILTERS: [&str; 5] = ["id", "name", "kind", "in_catalog", "parent_id"];

/// One page of activities.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityPage {
    /// The activities of the page.
    pub activities: Vec<Activity>,
    /// How many match over all pages.
    pub total: usize,
    /// The page number.
    pub page: usize,
}

/// Whether `activity` matches filter `key = value` (one of [`ACTIVITY_FILTERS`]).
pub fn matches(activity: &Activity, key: &str, value: &str) -> bool {
    let value = value.trim();
    match key {
        "id" => activity.id.to_string() == value,
        "name" => activity.name.as_str() == value,
        "kind" => activity.kind.as_str() == value,
        "in_catalog" => crate::query::parse_bool(value) == Some(activity.in_catalog),
        "parent_id" => activity.parent.map(|p| p.to_string()).unwrap_or_default() == value,
        _ => false,
    }
}

/// Adds a problem for every filter value that can match nothing because it is not of the
/// attribute's type (`kind=x`, `in_catalog=maybe`, `id=abc`): a 422, not an empty page.
pub(crate) fn check_filters(group: &str, filters: &[(String, String)], problems: &mut Vec<String>) {
    for (key, value) in filters {
        let problem = match key.as_str() {
            "kind" if ActivityKind::parse(value.trim()).is_err() => Some("must be scorm or course".to_owned()),
            "in_catalog" if crate::query::parse_bool(value).is_none() => Some("must be true or false".to_owned()),
            "id" => crate::query::integer(value, false).err(),
            "parent_id" => crate::query::integer(value, true).err(),
            _ => None,
        };
        if let Some(problem) = problem {
            problems.push(format!("{group}[{key}] {problem}"));
        }
    }
}

/// The read use cases.
pub struct ActivityQueries<A: ?Sized> {
    activities: Arc<A>,
}

impl<A: ActivityRepository + ?Sized> ActivityQueries<A> {
    /// Wires the queries.
    pub fn new(activities: Arc<A>) -> Self {
        Self { activities }
    }

    /// The caller's activities, filtered by `activity[...]`, 50 per `page`.
    ///
    /// # Errors
    /// 422 for an unknown parameter or filter.
    pub async fn list(&self, caller: Caller, params: &Map<String, Value>) -> Result<ActivityPage, V2Error> {
        let mut problems = Vec::new();
        for key in params.keys() {
            if !matches!(key.as_str(), "api_key" | "page" | "activity" | "format") {
                problems.push(format!("{key} is not a known parameter"));
            }
        }
        let filters = crate::query::filters(params, "activity", &ACTIVITY_FILTERS, &mut problems);
        check_filters("activity", &filters, &mut problems);
        let page = crate::query::page(params, &mut problems);
        if !problems.is_empty() {
            return Err(V2Error::Unprocessable(problems));
        }
        let mut all = self.activities.activities(caller.tenant).await?;
        all.retain(|a| filters.iter().all(|(k, v)| matches(a, k, v)));
        let total = all.len();
        let activities = all
            .into_iter()
            .skip((page - 1).saturating_mul(PAGE_SIZE))
            .take(PAGE_SIZE)
            .collect();
        Ok(ActivityPage {
            activities,
            total,
            page,
        })
    }

    /// The caller's activity `id`.
    ///
    /// # Errors
    /// 404 when it is not the caller's.
    pub async fn get(&self, caller: Caller, id: ActivityId) -> Result<Activity, V2Error> {
        self.activities
            .activity(caller.tenant, id)
            .await?
            .ok_or_else(|| V2Error::NotFound(format!("activity {id} not found")))
    }

    /// The package revisions the caller's activity `id` keeps, by language then number
    /// (empty for a course or another tenant's activity).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn revisions(&self, caller: Caller, id: ActivityId) -> Result<Vec<PackageRevision>, V2Error> {
        Ok(self.activities.revisions(caller.tenant, id).await?)
    }
}
