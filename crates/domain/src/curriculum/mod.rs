//! The curriculum of a path (every `course` activity): ordered sections holding ordered
//! activity entries, numbered as an awesome_nested_set (`lft`/`rgt`).
//!
//! This module is pure: the adapters load a [`Curriculum`] (locked), apply one of its
//! operations and persist [`diff`] of [`Curriculum::records`] before and after.
//! Every operation validates everything first and changes nothing when it refuses.
//! The rules and every decision the specs left open are in `docs/CURRICULUM.md`.

mod aggregate;
mod create;
mod destroy;
mod diff;
mod error;
mod input;
mod moves;
mod nested_set;
mod placement;
#[cfg(test)]
mod proptests;
mod record;
mod rules;
#[cfg(test)]
mod tests;
mod tree;
#[cfg(test)]
mod tree_tests;
mod update;

pub use aggregate::Curriculum;
pub use diff::{CurriculumDiff, diff};
pub use error::{CorruptCurriculum, CurriculumError, CurriculumErrors};
pub use input::{MAX_CODE_CHARS, MAX_DESCRIPTION_CHARS, Orientation, Patch, RecordInput};
pub use placement::would_create_cycle;
pub use record::{ControlMode, CourseRef, CurriculumRecord, DEFAULT_SECTION_NAME, InitialView};
pub use tree::{ChangeKind, Place, SectionInput, TreeChange, TreeDiff, TreeInput, apply_diff, tree_diff};
