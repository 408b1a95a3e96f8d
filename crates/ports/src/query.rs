//! Typed list queries: the filters of `GET /api/v2/curriculum_activities` and
//! `GET /api/v2/activities`, a page, and what a page answers. Adapters run them in their store;
//! [`RecordFilter::matches`] and [`ActivityFilter::matches`] are the reference meaning that
//! the contract suite holds every adapter to.

use chrono::{DateTime, NaiveDate, Utc};
use curricula_domain::curriculum::{CurriculumRecord, InitialView};
use curricula_domain::{Activity, ActivityId, ActivityKind, RecordId};

/// An inclusive range of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// The first instant included.
    pub from: DateTime<Utc>,
    /// The last instant included.
    pub to: DateTime<Utc>,
}

impl TimeRange {
    /// Whether `at` is in the range.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at <= self.to
    }
}

/// An inclusive range of dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// The first date included.
    pub from: NaiveDate,
    /// The last date included.
    pub to: NaiveDate,
}

/// A filter on a nullable attribute: a value, or "is null" (the API's empty value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nullable<T> {
    /// The attribute equals this value.
    Is(T),
    /// The attribute is null.
    Null,
}

impl<T: PartialEq> Nullable<T> {
    /// Whether `value` matches.
    pub fn matches(&self, value: Option<&T>) -> bool {
        match self {
            Self::Is(wanted) => value == Some(wanted),
            Self::Null => value.is_none(),
        }
    }

    /// The same filter on a value mapped by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Self::Is(v) => Nullable::Is(f(v)),
            Self::Null => Nullable::Null,
        }
    }

    /// The value, `None` for [`Nullable::Null`].
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Is(v) => Some(v),
            Self::Null => None,
        }
    }
}

/// `activity[...]` (and `course[...]`) filters; every one set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// `id`.
    pub id: Option<ActivityId>,
    /// `name`, exactly.
    pub name: Option<String>,
    /// `kind`.
    pub kind: Option<ActivityKind>,
    /// `in_catalog`.
    pub in_catalog: Option<bool>,
    /// `parent_id` (the creation placement; null = top level).
    pub parent_id: Option<Nullable<ActivityId>>,
}

impl ActivityFilter {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The reference meaning of the filter.
    pub fn matches(&self, activity: &Activity) -> bool {
        self.id.is_none_or(|id| activity.id == id)
            && self.name.as_ref().is_none_or(|n| activity.name.as_str() == n)
            && self.kind.is_none_or(|k| activity.kind == k)
            && self.in_catalog.is_none_or(|c| activity.in_catalog == c)
            && self
                .parent_id
                .as_ref()
                .is_none_or(|p| p.matches(activity.parent.as_ref()))
    }
}

/// `curriculum_activity[...]` filters and the `course[...]` filters on each record's path;
/// every one set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// `id`.
    pub id: Option<RecordId>,
    /// `name`, exactly.
    pub name: Option<String>,
    /// `parent_id` (null = a section).
    pub parent_id: Option<Nullable<RecordId>>,
    /// `lft`.
    pub lft: Option<i32>,
    /// `rgt`.
    pub rgt: Option<i32>,
    /// `curriculum_id`: one path (the list is then not paginated).
    pub curriculum_id: Option<ActivityId>,
    /// `course_id` (null = a section).
    pub course_id: Option<Nullable<ActivityId>>,
    /// `updated_by`.
    pub updated_by: Option<Nullable<i64>>,
    /// `updated_on` within the range.
    pub updated_on: Option<TimeRange>,
    /// `lock_until` within the range, or null.
    pub lock_until: Option<Nullable<DateRange>>,
    /// `initial_view`.
    pub initial_view: Option<Nullable<InitialView>>,
    /// The path's own attributes (`course[...]`).
    pub course: ActivityFilter,
}

impl RecordFilter {
    /// The reference meaning of the record's own filters (`course` aside: it needs the path).
    pub fn matches(&self, r: &CurriculumRecord) -> bool {
        self.id.is_none_or(|id| r.id == id)
            && self.name.as_ref().is_none_or(|n| r.name == *n)
            && self.parent_id.as_ref().is_none_or(|p| p.matches(r.parent_id.as_ref()))
            && self.lft.is_none_or(|v| r.lft == v)
            && self.rgt.is_none_or(|v| r.rgt == v)
            && self.curriculum_id.is_none_or(|c| r.curriculum_id == c)
            && self.course_id.as_ref().is_none_or(|c| c.matches(r.course_id.as_ref()))
            && self
                .updated_by
                .as_ref()
                .is_none_or(|u| u.matches(r.updated_by.as_ref()))
            && self.updated_on.is_none_or(|range| range.contains(r.updated_on))
            && self.lock_until.as_ref().is_none_or(|lock| match lock {
                Nullable::Null => r.lock_until.is_none(),
                Nullable::Is(range) => r.lock_until.is_some_and(|d| range.from <= d && d <= range.to),
            })
            && self
                .initial_view
                .as_ref()
                .is_none_or(|v| v.matches(r.initial_view.as_ref()))
    }
}

/// Which slice of a list: `offset` rows skipped, at most `limit` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// Rows skipped.
    pub offset: u64,
    /// Most rows returned.
    pub limit: u64,
}

impl Slice {
    /// Page `number` (from 1) of `size` rows.
    pub fn page(number: u64, size: u64) -> Self {
        Self {
            offset: number.saturating_sub(1).saturating_mul(size),
            limit: size,
        }
    }

    /// Everything.
    pub const ALL: Self = Self {
        offset: 0,
        limit: u64::MAX,
    };

    /// The slice of an in-memory list.
    pub fn of<T>(&self, items: Vec<T>) -> Vec<T> {
        let offset = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        items.into_iter().skip(offset).take(limit).collect()
    }
}

/// A slice of a list and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    /// The items of the slice, in the list's order.
    pub items: Vec<T>,
    /// How many items match over all slices.
    pub total: u64,
}
