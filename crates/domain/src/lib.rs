#![doc = include_str!("../README.md")]

pub mod activity;
pub mod curriculum;
pub mod ids;
pub mod learner;
pub mod progress;
pub mod runtime;
pub mod tenant;

pub use activity::*;
pub use ids::*;
pub use tenant::*;
