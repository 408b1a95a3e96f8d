//! Tests of the runtime rules.
