//! The Activities read API: what partners uploaded, with language versions.

use crate::auth::Caller;
use crate::v2_error::V2Error;
use curricula_domain::{Activity, ActivityId, PackageRevision};
use curricula_ports::{ActivityFilter, ActivityRepository, StoreError};
use std::sync::Arc;

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

/// The read use cases.
pub struct ActivityQueries<A: ?Sized> {
    activities: Arc<A>,
}

impl<A: ActivityRepository + ?Sized> ActivityQueries<A> {
    /// Wires the queries.
    pub fn new(activities: Arc<A>) -> Self {
        Self { activities }
    }

    /// The caller's activities matching `filter`, page `page` of 50, by id. The store runs the
    /// filter, the order and the page.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list(&self, caller: Caller, filter: &ActivityFilter, page: usize) -> Result<ActivityPage, StoreError> {
        let listed = self
            .activities
            .list_activities(caller.tenant, filter, crate::query::slice(page))
            .await?;
        Ok(ActivityPage {
            activities: listed.items,
            total: usize::try_from(listed.total).unwrap_or(usize::MAX),
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
