//! Who is calling: API keys are looked up by their SHA-256 only.
//!
//! Keys are 256-bit random values, so a fast unsalted hash is enough to make a leaked table
//! useless while keeping the lookup a single indexed query.

use chrono::{DateTime, Utc};
use curricula_domain::{ApiKeyId, Origin, TenantId};
use curricula_ports::{ApiKeyRecord, KeyHash, StoreError, TenantDirectory};
use sha2::{Digest, Sha256};

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The tenant the key belongs to.
    pub tenant: TenantId,
    /// The key used (its record, never the key).
    pub key: ApiKeyId,
}

/// Why a caller was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown key, wrong origin, a revoked or expired key, or a key that does not work on
    /// this API; deliberately vague.
    #[error("key or origin not recognised")]
    Unauthorized,
    /// The directory could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored form of `key`: lowercase hex SHA-256 of the trimmed key.
pub fn hash_key(key: &str) -> KeyHash {
    let digest = Sha256::digest(key.trim().as_bytes());
    KeyHash(hex(&digest))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The record of `key` when it is usable at `now` (read from the directory on every call:
/// a revocation is seen at once by every instance).
async fn usable_key<D: TenantDirectory + ?Sized>(
    directory: &D,
    key: &str,
    now: DateTime<Utc>,
) -> Result<ApiKeyRecord, AuthError> {
    directory
        .api_key(&hash_key(key))
        .await?
        .filter(|record| record.usable_at(now))
        .ok_or(AuthError::Unauthorized)
}

/// Authenticates an Activity Upload API call at `now`: the key must exist, be neither revoked
/// nor expired, be bound to an origin, and that origin must equal `origin` after normalisation.
///
/// # Errors
/// `Unauthorized` in every failing case, whatever the reason.
pub async fn authenticate_upload<D: TenantDirectory + ?Sized>(
    directory: &D,
    key: &str,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<Caller, AuthError> {
    let origin = Origin::parse(origin).map_err(|_| AuthError::Unauthorized)?;
    let record = usable_key(directory, key, now).await?;
    match &record.origin {
        Some(bound) if *bound == origin => Ok(Caller {
            tenant: record.tenant,
            key: record.id,
        }),
        _ => Err(AuthError::Unauthorized),
    }
}

/// Authenticates a v2 API call at `now`: any usable key of the tenant works.
///
/// # Errors
/// `Unauthorized` for an unknown, revoked or expired key.
pub async fn authenticate_api<D: TenantDirectory + ?Sized>(
    directory: &D,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Caller, AuthError> {
    let record = usable_key(directory, key, now).await?;
    Ok(Caller {
        tenant: record.tenant,
        key: record.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use curricula_ports::{ApiKeyRecord, MockTenantDirectory};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0).unwrap()
    }

    /// "secret" is key 7 of tenant 3, revoked and expiring as given.
    fn directory_ending(
        origin: Option<&str>,
        revoked_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
    ) -> MockTenantDirectory {
        let origin = origin.map(|o| Origin::parse(o).unwrap());
        let mut dir = MockTenantDirectory::new();
        dir.expect_api_key().returning(move |hash| {
            Ok((*hash == hash_key("secret")).then(|| ApiKeyRecord {
                id: ApiKeyId(7),
                tenant: TenantId(3),
                origin: origin.clone(),
                created_at: at(12),
                revoked_at,
                expires_at,
            }))
        });
        dir
    }

    fn directory_with(origin: Option<&str>) -> MockTenantDirectory {
        directory_ending(origin, None, None)
    }

    #[test]
    fn hashes_are_hex_sha256_of_the_trimmed_key() {
        assert_eq!(
            hash_key(" abc ").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn upload_key_matches_normalised_origin() {
        let dir = directory_with(Some("https://Skoli.istak.is/"));
        let caller = authenticate_upload(&dir, "secret", "skoli.istak.is", at(13))
            .await
            .unwrap();
        assert_eq!(
            caller,
            Caller {
                tenant: TenantId(3),
                key: ApiKeyId(7)
            }
        );
        for (key, origin) in [("secret", "other.is"), ("wrong", "skoli.istak.is"), ("secret", "")] {
            let err = authenticate_upload(&dir, key, origin, at(13)).await.unwrap_err();
            assert!(matches!(err, AuthError::Unauthorized), "{key} {origin}");
        }
    }

    #[tokio::test]
    async fn unbound_keys_work_only_on_the_v2_api() {
        let dir = directory_with(None);
        assert!(matches!(
            authenticate_upload(&dir, "secret", "skoli.istak.is", at(13)).await,
            Err(AuthError::Unauthorized)
        ));
        assert_eq!(
            authenticate_api(&dir, "secret", at(13)).await.unwrap().tenant,
            TenantId(3)
        );
        assert!(authenticate_api(&dir, "nope", at(13)).await.is_err());
    }

    #[tokio::test]
    async fn revoked_keys_are_refused_on_both_apis() {
        let dir = directory_ending(Some("skoli.istak.is"), Some(at(13)), None);
        assert!(matches!(
            authenticate_api(&dir, "secret", at(14)).await,
            Err(AuthError::Unauthorized)
        ));
        assert!(matches!(
            authenticate_upload(&dir, "secret", "skoli.istak.is", at(14)).await,
            Err(AuthError::Unauthorized)
        ));
    }

    #[tokio::test]
    async fn rotated_keys_work_until_their_grace_period_ends() {
        let dir = directory_ending(Some("skoli.istak.is"), None, Some(at(15)));
        for now in [at(13), at(15) - chrono::Duration::seconds(1)] {
            assert!(authenticate_api(&dir, "secret", now).await.is_ok(), "{now}");
            assert!(
                authenticate_upload(&dir, "secret", "skoli.istak.is", now).await.is_ok(),
                "{now}"
            );
        }
        for now in [at(15), at(16)] {
            assert!(matches!(
                authenticate_api(&dir, "secret", now).await,
                Err(AuthError::Unauthorized)
            ));
            assert!(matches!(
                authenticate_upload(&dir, "secret", "skoli.istak.is", now).await,
                Err(AuthError::Unauthorized)
            ));
        }
    }
}
