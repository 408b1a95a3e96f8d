//! SQL adapter (being written).
