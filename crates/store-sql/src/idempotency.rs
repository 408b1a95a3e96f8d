//! The `idempotency_keys` table of the [`IdempotencyStore`] (`reservations.rs`).
//!
//! [`IdempotencyStore`]: curricula_ports::IdempotencyStore

use curricula_ports::{Reservation, StoredResponse};

diesel::table! {
    idempotency_keys (tenant_id, idempotency_key) {
        tenant_id -> BigInt,
        idempotency_key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

/// The stored use of a key: fingerprint, status, body.
pub(crate) type KeyRow = (String, Option<i32>, Option<String>);

/// What a stored use of a key means for a request with `fingerprint`.
pub(crate) fn classify(row: KeyRow, fingerprint: &str) -> Reservation {
    let (stored, status, body) = row;
    if stored != fingerprint {
        return Reservation::Mismatch;
    }
    match status.and_then(|s| u16::try_from(s).ok()) {
        Some(status) => Reservation::Replay(StoredResponse { status, body: body.unwrap_or_default() }),
        None => Reservation::InProgress,
    }
}

/// The `external_id` column of `activities` (added by the retry-safe-creation migration),
/// described apart from `schema.rs` so that only the code using it sees it.
pub(crate) mod external {
    diesel::table! {
        activities (id) {
            id -> BigInt,
            tenant_id -> BigInt,
            external_id -> Nullable<Text>,
        }
    }
}
