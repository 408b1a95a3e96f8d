//! Who is calling: API keys are looked up by their SHA-256 only.
//!
//! Keys are 256-bit random values, so a fast unsalted hash is enough to make a leaked table
//! useless while keeping the lookup a single indexed query.

use curricula_domain::{ApiKeyId, Origin, TenantId};
use curricula_ports::{KeyHash, StoreError, TenantDirectory};
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
    /// Unknown key, wrong origin, or a key that does not work on this API; deliberately vague.
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

/// Authenticates an Activity Upload API call: the key must exist, be bound to an origin, and
/// that origin must equal `origin` after normalisation.
///
/// # Errors
/// `Unauthorized` in every failing case, whatever the reason.
pub async fn authenticate_upload<D: TenantDirectory + ?Sized>(
    directory: &D,
    key: &str,
    origin: &str,
) -> Result<Caller, AuthError> {
    let origin = Origin::parse(origin).map_err(|_| AuthError::Unauthorized)?;
    let record = directory
        .api_key(&hash_key(key))
        .await?
        .ok_or(AuthError::Unauthorized)?;
    match &record.origin {
        Some(bound) if *bound == origin => Ok(Caller {
            tenant: record.tenant,
            key: record.id,
        }),
        _ => Err(AuthError::Unauthorized),
    }
}

/// Authenticates a v2 API call: any key of the tenant works.
///
/// # Errors
/// `Unauthorized` for an unknown key.
pub async fn authenticate_api<D: TenantDirectory + ?Sized>(directory: &D, key: &str) -> Result<Caller, AuthError> {
    let record = directory
        .api_key(&hash_key(key))
        .await?
        .ok_or(AuthError::Unauthorized)?;
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

    fn directory_with(origin: Option<&str>) -> MockTenantDirectory {
        let origin = origin.map(|o| Origin::parse(o).unwrap());
        let mut dir = MockTenantDirectory::new();
        dir.expect_api_key().returning(move |hash| {
            Ok((*hash == hash_key("secret")).then(|| ApiKeyRecord {
                id: ApiKeyId(7),
                tenant: TenantId(3),
                origin: origin.clone(),
                created_at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
            }))
        });
        dir
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
        let caller = authenticate_upload(&dir, "secret", "skoli.istak.is").await.unwrap();
        assert_eq!(
            caller,
            Caller {
                tenant: TenantId(3),
                key: ApiKeyId(7)
            }
        );
        for (key, origin) in [("secret", "other.is"), ("wrong", "skoli.istak.is"), ("secret", "")] {
            let err = authenticate_upload(&dir, key, origin).await.unwrap_err();
            assert!(matches!(err, AuthError::Unauthorized), "{key} {origin}");
        }
    }

    #[tokio::test]
    async fn unbound_keys_work_only_on_the_v2_api() {
        let dir = directory_with(None);
        assert!(matches!(
            authenticate_upload(&dir, "secret", "skoli.istak.is").await,
            Err(AuthError::Unauthorized)
        ));
        assert_eq!(authenticate_api(&dir, "secret").await.unwrap().tenant, TenantId(3));
        assert!(authenticate_api(&dir, "nope").await.is_err());
    }
}
