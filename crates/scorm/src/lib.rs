//! SCORM package inspection (placeholder; being written).
