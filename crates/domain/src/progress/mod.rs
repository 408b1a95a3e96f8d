//! A learner's progress in a path: the rules of the Curriculum Activities text (`control_mode`,
//! `completions_min`, `required_for_specified_control_mode`, `lock_until`, `exempt_if_mastered`,
//! `weight`, `attempts_max`) applied to the learner's enrollments in the path's activities.
//!
//! Pure: no IO, and the clock is a parameter (`today`, for `lock_until`). The adapters load the
//! path ([`crate::curriculum::Curriculum`]) and the learner's activity enrollments, call
//! [`path_progress`], and store the path enrollment's `status` (setting `completed_on` when it
//! first becomes completed). `docs/CURRICULUM.md` ("Path progress") gives each rule with an example.

#[cfg(test)]
mod fixtures;
mod model;
#[cfg(test)]
mod proptests;
mod rules;
#[cfg(test)]
mod tests;

pub use model::{ActivityEnrollment, EntryProgress, EntryState, PathProgress, SectionProgress};
pub use rules::{can_launch, path_progress};
