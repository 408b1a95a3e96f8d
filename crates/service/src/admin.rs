//! Administration of tenants: what the `curricula admin` commands do.

use crate::auth::{hash_key, hex};
use curricula_domain::{InvalidField, LanguageCode, OrganisationId, Origin, Tenant, TenantId};
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
            None => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| AdminError::Random(e.to_string()))?;
                format!("ck_{}", hex(&bytes))
            }
        };
        let record = self
            .directory
            .create_api_key(tenant, &hash_key(&key), origin, self.clock.now())
            .await?;
        Ok(IssuedKey { record, key })
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
