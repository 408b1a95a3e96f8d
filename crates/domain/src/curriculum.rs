//! The curriculum of a path (every `course` activity): ordered sections holding ordered
//! activity entries, numbered as an awesome_nested_set (`lft`/`rgt`).
//!
//! This module is pure: the adapters load a [`Curriculum`] (locked), apply one of its
//! operations and persist the difference between [`Curriculum::records`] before and after.

use crate::activity::ActivityKind;
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How a section is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlMode {
    /// Complete in order.
    Flow,
    /// Complete in any order (the default).
    Choice,
    /// Optional section.
    Optional,
}

/// Whether a section starts collapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitialView {
    /// Displayed collapsed.
    Collapsed,
    /// Displayed in full (the default).
    Full,
}

/// One row of a curriculum as the v2 API shows it: a section (`course_id` empty) or an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurriculumRecord {
    /// Record id.
    pub id: RecordId,
    /// The path (course activity) the record belongs to.
    pub curriculum_id: ActivityId,
    /// The tenant.
    pub account_id: TenantId,
    /// For an entry, its section; `None` for a section.
    pub parent_id: Option<RecordId>,
    /// For an entry, the activity it references; `None` for a section.
    pub course_id: Option<ActivityId>,
    /// For an entry, the kind of the referenced activity (not stored on the row).
    pub course_kind: Option<ActivityKind>,
    /// Displayed name.
    pub name: String,
    /// Nested-set left bound.
    pub lft: i32,
    /// Nested-set right bound.
    pub rgt: i32,
    /// Admin user who last changed it through the UI; `None` for API writes.
    pub updated_by: Option<i64>,
    /// Last write.
    pub updated_on: DateTime<Utc>,
    /// Unused by the product, stored as given.
    pub due_days: Option<i32>,
    /// Entry of a SCORM activity: counts towards the path score (1) or not (null).
    pub weight: Option<i32>,
    /// Entry of a SCORM activity: passing it exempts from the rest of the path.
    pub exempt_if_mastered: Option<bool>,
    /// Section: description shown to students.
    pub description: Option<String>,
    /// Section: students may enroll only after this date.
    pub lock_until: Option<NaiveDate>,
    /// Internal code.
    pub code: Option<String>,
    /// Section: collapsed or full.
    pub initial_view: Option<InitialView>,
    /// Entry: required when its section's mode is specified.
    pub required_for_specified_control_mode: Option<bool>,
    /// Entry of a SCORM activity: launch directly into content.
    pub skip_interstitial_page: Option<bool>,
    /// Section: how it is completed.
    pub control_mode: Option<ControlMode>,
    /// Section in `choice` mode: how many entries must be completed.
    pub completions_min: Option<i32>,
    /// Entry of a SCORM activity: max attempts (0 = none).
    pub attempts_max: Option<i32>,
}
