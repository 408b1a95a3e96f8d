//! Administration of tenants: what the `curricula admin` commands do.

use crate::auth::{hash_key, hex};
use curricula_domain::{ApiKeyId, InvalidField, LanguageCode, OrganisationId, Origin, Tenant, TenantId};
use curricula_ports::{ApiKeyRecord, Clock, DirectoryError, Organisation, TenantDirectory, User};
use std::sync::Arc;

/// Why an administrative command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// An argument is malformed.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The directory refused the write.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// No secure random source is available for a new key.
    #[error("no secure random source: {0}")]
    Random(String),
}

impl From<curricula_ports::StoreError> for AdminError {
    fn from(e: curricula_ports::StoreError) -> Self {
        Self::Directory(e.into())
    }
}

/// A newly issued key: `key` is shown once and never stored.
#[derive(Debug)]
pub struct IssuedKey {
    /// The stored record.
    pub record: ApiKeyRecord,
    /// The key itself.
    pub key: String,
}

/// How long a rotated key keeps working by default: a day, time for a partner to deploy the
/// new key.
pub const DEFAULT_GRACE_HOURS: u32 = 24;

/// The longest grace period a rotation may give: 30 days.
pub const MAX_GRACE_HOURS: u32 = 30 * 24;

/// A rotation: the old key (expiring at the end of its grace period) and the new one.
#[derive(Debug)]
pub struct RotatedKey {
    /// The old key's record, with its new expiry.
    pub old: ApiKeyRecord,
    /// The new key, shown once.
    pub new: IssuedKey,
}

/// A fresh random key: `ck_` and 64 hex digits (256 bits).
fn random_key() -> Result<String, AdminError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AdminError::Random(e.to_string()))?;
    Ok(format!("ck_{}", hex(&bytes)))
}

/// Tenant administration over a tenant directory.
pub struct AdminService<D: ?Sized> {
    directory: Arc<D>,
    clock: Arc<dyn Clock>,
}

impl<D: TenantDirectory + ?Sized> AdminService<D> {
    /// Wires the service.
    pub fn new(directory: Arc<D>, clock: Arc<dyn Clock>) -> Self {
        Self { directory, clock }
    }

    /// Creates a tenant; `languages` need not repeat the default.
    ///
    /// # Errors
    /// `Invalid` for an empty name or a malformed language code.
    pub async fn create_tenant(
        &self,
        name: &str,
        default_language: &str,
        languages: &[String],
    ) -> Result<Tenant, AdminError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(InvalidField::new("name", "must not be empty").into());
        }
        let default = LanguageCode::parse("default-language", default_language)?;
        let mut enabled = vec![default.clone()];
        for code in languages {
            let code = LanguageCode::parse("languages", code)?;
            if !enabled.contains(&code) {
                enabled.push(code);
            }
        }
        Ok(self.directory.create_tenant(name, &default, &enabled).await?)
    }

    /// Lists tenants.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, AdminError> {
        Ok(self.directory.tenants().await?)
    }

    /// Enables a language for a tenant.
    ///
    /// # Errors
    /// `Invalid` for a malformed code, `Directory(TenantNotFound)` for an unknown tenant.
    pub async fn enable_language(&self, tenant: TenantId, code: &str) -> Result<LanguageCode, AdminError> {
        let code = LanguageCode::parse("code", code)?;
        self.directory.enable_language(tenant, &code).await?;
        Ok(code)
    }

    /// Issues a key for the tenant, bound to `origin` when given (required for the upload
    /// API). The key is random unless `existing` imports one a partner already uses. Only its
    /// hash is stored.
    ///
    /// # Errors
    /// `Invalid` for a malformed origin or an imported key shorter than 8 characters or holding
    /// whitespace, `Directory(TenantNotFound)` for an unknown tenant, `Directory(Duplicate)`
    /// for a key already issued.
    pub async fn create_key(
        &self,
        tenant: TenantId,
        origin: Option<&str>,
        existing: Option<&str>,
    ) -> Result<IssuedKey, AdminError> {
        let origin = origin.map(Origin::parse).transpose()?;
        let key = match existing {
            Some(key) => {
                if key.chars().count() < 8 || key.chars().any(char::is_whitespace) {
                    return Err(InvalidField::new("key", "must be at least 8 characters without whitespace").into());
                }
                key.to_owned()
            }
            None => random_key()?,
        };
        let record = self
            .directory
            .create_api_key(tenant, &hash_key(&key), origin, self.clock.now())
            .await?;
        Ok(IssuedKey { record, key })
    }

    /// Revokes the tenant's key `id` now: every instance refuses it from the next request on,
    /// on both APIs, and the launch and content URLs made with it stop working.
    ///
    /// # Errors
    /// `Directory(KeyNotFound)` when the tenant has no such key.
    pub async fn revoke_key(&self, tenant: TenantId, id: ApiKeyId) -> Result<ApiKeyRecord, AdminError> {
        Ok(self.directory.revoke_api_key(tenant, id, self.clock.now()).await?)
    }

    /// Rotates the tenant's key `id`: issues a new random key for the same tenant and origin,
    /// and lets the old key work `grace_hours` longer ([`DEFAULT_GRACE_HOURS`] when `None`;
    /// 0 ends it now). A second rotation never lengthens the old key's life.
    ///
    /// # Errors
    /// `Invalid` for a grace period over [`MAX_GRACE_HOURS`], `Directory(KeyNotFound)` when
    /// the tenant has no such key, `Directory(KeyUnusable)` when it is revoked or expired.
    pub async fn rotate_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        grace_hours: Option<u32>,
    ) -> Result<RotatedKey, AdminError> {
        let hours = grace_hours.unwrap_or(DEFAULT_GRACE_HOURS);
        if hours > MAX_GRACE_HOURS {
            return Err(
                InvalidField::new("grace-hours", format!("must be at most {MAX_GRACE_HOURS} (30 days)")).into(),
            );
        }
        let key = random_key()?;
        let now = self.clock.now();
        let ends = now
            .checked_add_signed(chrono::Duration::hours(i64::from(hours)))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        let (old, record) = self
            .directory
            .rotate_api_key(tenant, id, &hash_key(&key), now, ends)
            .await?;
        Ok(RotatedKey {
            old,
            new: IssuedKey { record, key },
        })
    }

    /// Lists a tenant's keys (records only).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, AdminError> {
        Ok(self.directory.api_keys(tenant).await?)
    }

    /// Creates a user.
    ///
    /// # Errors
    /// `Invalid` for an empty or overlong name, `Directory` for an unknown tenant or a taken name.
    pub async fn create_user(&self, tenant: TenantId, username: &str) -> Result<User, AdminError> {
        let username = username.trim();
        if username.is_empty() || username.chars().count() > 255 {
            return Err(InvalidField::new("username", "must be 1 to 255 characters").into());
        }
        Ok(self.directory.create_user(tenant, username).await?)
    }

    /// Lists a tenant's users.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn users(&self, tenant: TenantId) -> Result<Vec<User>, AdminError> {
        Ok(self.directory.users(tenant).await?)
    }

    /// Creates an organisation, with the partner's own id when given.
    ///
    /// # Errors
    /// `Invalid` for an empty name or an id below 1, `Directory` for an unknown tenant or a
    /// taken id.
    pub async fn create_organisation(
        &self,
        tenant: TenantId,
        name: &str,
        id: Option<i64>,
    ) -> Result<Organisation, AdminError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(InvalidField::new("name", "must not be empty").into());
        }
        if id.is_some_and(|id| id < 1) {
            return Err(InvalidField::new("id", "must be a positive integer").into());
        }
        Ok(self
            .directory
            .create_organisation(tenant, name, id.map(OrganisationId))
            .await?)
    }

    /// Lists a tenant's organisations.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>, AdminError> {
        Ok(self.directory.organisations(tenant).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use curricula_ports::MockTenantDirectory;

    struct At;
    impl Clock for At {
        fn now(&self) -> DateTime<Utc> {
            Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
        }
    }

    fn record(id: i64, expires_at: Option<DateTime<Utc>>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: ApiKeyId(id),
            tenant: TenantId(3),
            origin: None,
            created_at: At.now(),
            revoked_at: None,
            expires_at,
        }
    }

    /// A directory that rotates key 7 into key 8, expecting the old key to end `hours` from now.
    fn rotating(hours: i64) -> MockTenantDirectory {
        let mut dir = MockTenantDirectory::new();
        dir.expect_rotate_api_key()
            .withf(move |tenant, id, hash, now, ends| {
                *tenant == TenantId(3)
                    && *id == ApiKeyId(7)
                    && hash.0.len() == 64
                    && *now == At.now()
                    && *ends == At.now() + chrono::Duration::hours(hours)
            })
            .returning(|_, _, _, _, ends| Ok((record(7, Some(ends)), record(8, None))));
        dir
    }

    #[tokio::test]
    async fn rotation_gives_a_day_of_grace_by_default_and_a_fresh_key() {
        let admin = AdminService::new(Arc::new(rotating(24)), Arc::new(At));
        let rotated = admin.rotate_key(TenantId(3), ApiKeyId(7), None).await.unwrap();
        assert_eq!(rotated.old.expires_at, Some(At.now() + chrono::Duration::hours(24)));
        assert_eq!(rotated.new.record.id, ApiKeyId(8));
        assert!(rotated.new.key.starts_with("ck_") && rotated.new.key.len() == 67);
        let admin = AdminService::new(Arc::new(rotating(0)), Arc::new(At));
        let rotated = admin.rotate_key(TenantId(3), ApiKeyId(7), Some(0)).await.unwrap();
        assert_eq!(rotated.old.expires_at, Some(At.now()), "0 hours ends the old key now");
    }

    #[tokio::test]
    async fn a_grace_period_over_thirty_days_is_refused_before_anything_is_stored() {
        // No expectation: any call to the directory fails the test.
        let admin = AdminService::new(Arc::new(MockTenantDirectory::new()), Arc::new(At));
        match admin
            .rotate_key(TenantId(3), ApiKeyId(7), Some(MAX_GRACE_HOURS + 1))
            .await
        {
            Err(AdminError::Invalid(e)) => assert!(e.to_string().contains("grace-hours"), "{e}"),
            other => panic!("{other:?}"),
        }
        let admin = AdminService::new(Arc::new(rotating(i64::from(MAX_GRACE_HOURS))), Arc::new(At));
        assert!(
            admin
                .rotate_key(TenantId(3), ApiKeyId(7), Some(MAX_GRACE_HOURS))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn revocation_is_stamped_now() {
        let mut dir = MockTenantDirectory::new();
        dir.expect_revoke_api_key()
            .withf(|tenant, id, now| *tenant == TenantId(3) && *id == ApiKeyId(7) && *now == At.now())
            .returning(|_, id, now| {
                Ok(ApiKeyRecord {
                    revoked_at: Some(now),
                    ..record(id.0, None)
                })
            });
        let admin = AdminService::new(Arc::new(dir), Arc::new(At));
        let revoked = admin.revoke_key(TenantId(3), ApiKeyId(7)).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(At.now()));
    }
}
