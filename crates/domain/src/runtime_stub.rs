//! TEMPORARY: replaced by h15-domain's runtime module at merge.
#![allow(missing_docs, clippy::all, unused)]
use crate::learner::{EnrollmentStatus, Success};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScormVersion { V12, V2004 }
impl ScormVersion {
    pub fn from_manifest(v: Option<&str>) -> Self { if v.is_some_and(|v| v.starts_with("2004")) { Self::V2004 } else { Self::V12 } }
    pub fn as_str(self) -> &'static str { match self { Self::V12 => "1.2", Self::V2004 => "2004" } }
}
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoState {}
impl ScoState { pub fn apply(&self, _r: &Report, _s: &str, _t: bool) -> Self { self.clone() } pub fn total_seconds(&self) -> f64 { 0.0 } }
pub struct Report;
#[derive(Debug, thiserror::Error)] #[error("x")] pub struct CmiError { pub code: u16 }
pub fn read_report(_v: ScormVersion, _c: &Value) -> Result<Report, CmiError> { Ok(Report) }
pub struct Thresholds { pub mastery_score: Option<f64>, pub completion_threshold: Option<f64> }
pub struct ScoOutcome { pub completed: bool, pub success: Success, pub score: Option<f64> }
pub fn outcome(_v: ScormVersion, _s: &ScoState, _t: &Thresholds) -> ScoOutcome { ScoOutcome { completed: false, success: Success::Unknown, score: None } }
pub struct ScoSlot { pub is_sco: bool, pub outcome: Option<ScoOutcome> }
pub struct ActivityOutcome { pub status: EnrollmentStatus, pub success: Success, pub score: Option<f64> }
pub fn activity_outcome(_s: &[ScoSlot]) -> ActivityOutcome { ActivityOutcome { status: EnrollmentStatus::InProgress, success: Success::Unknown, score: None } }
pub fn ends_attempt(_s: &ScoState) -> bool { false }
pub struct Summary { pub status: EnrollmentStatus, pub success: Success, pub score: Option<f64>, pub completed_on: Option<DateTime<Utc>> }
pub fn summarize(p: &Summary, _o: &ActivityOutcome, _n: DateTime<Utc>) -> Summary { Summary { status: p.status, success: p.success, score: p.score, completed_on: p.completed_on } }
pub fn entry(_s: Option<&ScoState>, _n: u32) -> &'static str { "ab-initio" }
pub fn seed(_v: ScormVersion, _s: Option<&ScoState>, _e: &str, _id: &str, _name: &str, _t: &Thresholds) -> Value { Value::Null }
