//! Typed identifiers, so a tenant id can never be passed where an activity id is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                Self(value)
            }
        }
    };
}

id_type!(
    /// A tenant (an *account* in Exceed's words).
    TenantId
);
id_type!(
    /// An API key record (never the key itself).
    ApiKeyId
);
id_type!(
    /// A user of a tenant.
    UserId
);
id_type!(
    /// An organisation (department) of a tenant; the number the partner uses.
    OrganisationId
);
id_type!(
    /// An activity (SCORM package or course). A course's id is also its curriculum id.
    ActivityId
);
id_type!(
    /// A language version of an activity.
    LanguageVersionId
);
id_type!(
    /// A curriculum record (section or entry) of a path.
    RecordId
);
id_type!(
    /// A user's enrollment in a SCORM activity or a path.
    EnrollmentId
);
id_type!(
    /// One attempt of an enrollment (a run of the content from its start to its end).
    AttemptId
);
