//! Launching a SCORM language version: which version a launch opens, and the signed,
//! expiring token that lets a browser read every file of that version's folder.
//!
//! The token covers the whole folder, not one file, so that the relative links inside a
//! package (scripts, images, other pages) resolve under the same token (issue 7). It names the
//! API key that launched it: a content request is refused as soon as that key is revoked or
//! past its grace period (issue 13), checked with one primary-key lookup per request.

use crate::auth::Caller;
use crate::v2_error::V2Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use curricula_domain::{ActivityId, ActivityKind, ApiKeyId, LanguageCode};
use curricula_ports::{ActivityRepository, BlobKey, Clock, StoreError, TenantDirectory};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::Arc;

/// Format version of a token (first byte), so the layout can change without confusion.
/// Version 1 (before keys could be revoked) had no key id; such tokens are refused.
const TOKEN_VERSION: u8 = 2;
/// The bytes before the folder: version, expiry, key id.
const HEADER_LEN: usize = 1 + 8 + 8;
/// Length of the HMAC-SHA256 tag at the end of a token.
const TAG_LEN: usize = 32;
/// The longest a token may live: a year.
pub const MAX_LIFETIME_SECONDS: u64 = 366 * 24 * 3600;
/// Domain separation: a tag made for something else with the same secret never verifies here.
const CONTEXT: &[u8] = b"curricula content token v1\0";

/// Why a content token was refused (all answered 403, without saying which).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not base64url, too short, or an unknown format.
    #[error("the content token is malformed")]
    Malformed,
    /// Correctly signed, but in the format of before key revocation (no key id).
    #[error("the content token predates key revocation; a new launch URL is needed")]
    Outdated,
    /// The signature does not match: forged, altered, or signed with another secret.
    #[error("the content token's signature is invalid")]
    BadSignature,
    /// It was valid until the given time.
    #[error("the content token expired at {0}")]
    Expired(DateTime<Utc>),
}

/// What a valid token grants: a folder, on behalf of the key that launched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentGrant {
    /// The API key the launch was made with; the grant ends when the key does.
    pub key: ApiKeyId,
    /// The language version's folder.
    pub folder: BlobKey,
}

/// Why a content request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The token itself is not valid (403).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The key that launched it is revoked, expired or gone (403).
    #[error("key {0}, which made this launch URL, is revoked or has expired")]
    KeyUnusable(ApiKeyId),
    /// The directory could not be read (503).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs and checks content tokens:
/// base64url(version ‖ expiry ‖ key id ‖ folder ‖ HMAC-SHA256).
#[derive(Clone)]
pub struct ContentSigner {
    secret: Vec<u8>,
    lifetime: Duration,
}

impl std::fmt::Debug for ContentSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentSigner")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl ContentSigner {
    /// A signer with `secret` whose tokens live `lifetime_seconds`, clamped to between one
    /// second and [`MAX_LIFETIME_SECONDS`].
    pub fn new(secret: &[u8], lifetime_seconds: u64) -> Self {
        let seconds = lifetime_seconds.clamp(1, MAX_LIFETIME_SECONDS);
        Self {
            secret: secret.to_vec(),
            lifetime: Duration::seconds(i64::try_from(seconds).unwrap_or(1)),
        }
    }

    /// A signer with a fresh random 32-byte secret (tokens do not survive a restart).
    ///
    /// # Errors
    /// When the operating system has no random source.
    pub fn random(lifetime_seconds: u64) -> Result<Self, getrandom::Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)?;
        Ok(Self::new(&secret, lifetime_seconds))
    }

    fn mac(&self) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(CONTEXT);
        mac
    }

    /// Seals `payload` under `context` (a domain separation of its own kind of token):
    /// base64url(payload ‖ HMAC-SHA256(secret, context ‖ payload)).
    pub(crate) fn seal(&self, context: &[u8], mut payload: Vec<u8>) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(context);
        mac.update(&payload);
        payload.extend_from_slice(&mac.finalize().into_bytes());
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// The payload of a token [`Self::seal`] made under `context`, once its tag is checked (in
    /// constant time, before anything in it is trusted).
    ///
    /// # Errors
    /// `Malformed` (not base64url, too short or too long) or `BadSignature`.
    pub(crate) fn open(&self, context: &[u8], token: &str) -> Result<Vec<u8>, TokenError> {
        if token.len() > 1024 {
            return Err(TokenError::Malformed);
        }
        let mut raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| TokenError::Malformed)?;
        if raw.len() <= TAG_LEN {
            return Err(TokenError::Malformed);
        }
        let tag = raw.split_off(raw.len() - TAG_LEN);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(context);
        mac.update(&raw);
        mac.verify_slice(&tag).map_err(|_| TokenError::BadSignature)?;
        Ok(raw)
    }

    /// The lifetime of the tokens it signs.
    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A token for the folder `prefix` on behalf of `key`, valid from `now` for the
    /// signer's lifetime but not after `not_after` (the key's own expiry), and when it expires.
    pub fn sign(
        &self,
        key: ApiKeyId,
        prefix: &BlobKey,
        now: DateTime<Utc>,
        not_after: Option<DateTime<Utc>>,
    ) -> (String, DateTime<Utc>) {
        let expires = now
            .checked_add_signed(self.lifetime)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let expires = not_after.map_or(expires, |end| expires.min(end));
        let mut payload = Vec::with_capacity(HEADER_LEN + prefix.as_str().len() + TAG_LEN);
        payload.push(TOKEN_VERSION);
        payload.extend_from_slice(&expires.timestamp().to_be_bytes());
        payload.extend_from_slice(&key.0.to_be_bytes());
        payload.extend_from_slice(prefix.as_str().as_bytes());
        let mut mac = self.mac();
        mac.update(&payload);
        payload.extend_from_slice(&mac.finalize().into_bytes());
        (URL_SAFE_NO_PAD.encode(payload), expires)
    }

    /// What a token grants at `now` (whether its key still works is the caller's check:
    /// [`LaunchService::verify`]).
    ///
    /// # Errors
    /// `Malformed`, `BadSignature`, `Outdated` (format 1) or `Expired`; the signature is
    /// checked in constant time before anything else in the token is trusted.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<ContentGrant, TokenError> {
        if token.len() > 1024 {
            return Err(TokenError::Malformed);
        }
        let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| TokenError::Malformed)?;
        // The shortest token of any format: version 1 had no key id.
        if raw.len() < 1 + 8 + 1 + TAG_LEN {
            return Err(TokenError::Malformed);
        }
        let (payload, tag) = raw.split_at(raw.len() - TAG_LEN);
        let mut mac = self.mac();
        mac.update(payload);
        mac.verify_slice(tag).map_err(|_| TokenError::BadSignature)?;
        match payload.first() {
            Some(&TOKEN_VERSION) => {}
            Some(1) => return Err(TokenError::Outdated),
            _ => return Err(TokenError::Malformed),
        }
        let (header, folder) = payload.split_at_checked(HEADER_LEN).ok_or(TokenError::Malformed)?;
        let number = |bytes: &[u8]| {
            <[u8; 8]>::try_from(bytes)
                .map(i64::from_be_bytes)
                .map_err(|_| TokenError::Malformed)
        };
        let expires = DateTime::from_timestamp(number(&header[1..9])?, 0).ok_or(TokenError::Malformed)?;
        if now >= expires {
            return Err(TokenError::Expired(expires));
        }
        let key = ApiKeyId(number(&header[9..17])?);
        let folder = std::str::from_utf8(folder).map_err(|_| TokenError::Malformed)?;
        let folder = BlobKey::new(folder).map_err(|_| TokenError::Malformed)?;
        Ok(ContentGrant { key, folder })
    }
}

/// What a launch opens: a language version's folder, its launch page, and the token for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The activity.
    pub activity: ActivityId,
    /// The language of the version launched.
    pub language: LanguageCode,
    /// The manifest's launch URL, relative to the version's folder (may carry a query).
    pub launch_href: String,
    /// The token granting the folder.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

/// The launch use case over a tenant directory `D` and an activity repository `A`.
pub struct LaunchService<D: ?Sized, A: ?Sized> {
    directory: Arc<D>,
    activities: Arc<A>,
    signer: ContentSigner,
    clock: Arc<dyn Clock>,
}

impl<D, A> LaunchService<D, A>
where
    D: TenantDirectory + ?Sized,
    A: ActivityRepository + ?Sized,
{
    /// Wires the use case.
    pub fn new(directory: Arc<D>, activities: Arc<A>, signer: ContentSigner, clock: Arc<dyn Clock>) -> Self {
        Self {
            directory,
            activities,
            signer,
            clock,
        }
    }

    /// The folder `token` grants now: the token is valid and the key that launched it is
    /// neither revoked nor expired (one primary-key lookup, never cached, so a revocation
    /// takes effect on the next request on every instance).
    ///
    /// # Errors
    /// `Token` (see [`ContentSigner::verify`]), `KeyUnusable`, or `Store`.
    pub async fn verify(&self, token: &str) -> Result<BlobKey, ContentError> {
        let now = self.clock.now();
        let grant = self.signer.verify(token, now)?;
        match self.directory.api_key_by_id(grant.key).await? {
            Some(key) if key.usable_at(now) => Ok(grant.folder),
            _ => Err(ContentError::KeyUnusable(grant.key)),
        }
    }

    /// Launches the caller's activity `id` in `language`, or by default in the tenant's
    /// default language when the activity has it, else in its first version.
    ///
    /// The URL expires with the signer's lifetime, or earlier when the caller's key does (a
    /// rotated key in its grace period).
    ///
    /// # Errors
    /// 401 when the caller's key stopped working since it was authenticated; 404 when the
    /// activity is not the caller's; 422 for a malformed `language`, a language the activity
    /// does not have, or a course (which has no content to launch).
    pub async fn launch(&self, caller: Caller, id: ActivityId, language: Option<&str>) -> Result<Launch, V2Error> {
        let now = self.clock.now();
        let key = self
            .directory
            .api_key_by_id(caller.key)
            .await?
            .filter(|key| key.usable_at(now))
            .ok_or(V2Error::Unauthorized)?;
        let activity = self
            .activities
            .activity(caller.tenant, id)
            .await?
            .ok_or_else(|| V2Error::NotFound(format!("activity {id} not found")))?;
        if activity.kind == ActivityKind::Course {
            return Err(V2Error::Unprocessable(vec![format!(
                "activity {id} is a course; only SCORM activities have content to launch"
            )]));
        }
        let version = match language.map(str::trim).filter(|l| !l.is_empty()) {
            Some(raw) => {
                let code =
                    LanguageCode::parse("language", raw).map_err(|e| V2Error::Unprocessable(vec![e.to_string()]))?;
                activity.version(&code).ok_or_else(|| {
                    let have: Vec<&str> = activity.versions.iter().map(|v| v.language.as_str()).collect();
                    V2Error::Unprocessable(vec![format!(
                        "language {code} is not a language of activity {id} (it has {})",
                        have.join(", ")
                    )])
                })?
            }
            None => {
                let default = self.directory.tenant(caller.tenant).await?.map(|t| t.default_language);
                default
                    .and_then(|d| activity.version(&d))
                    .or_else(|| activity.versions.first())
                    .ok_or_else(|| V2Error::Unprocessable(vec![format!("activity {id} has no language version")]))?
            }
        };
        let content = version.scorm.as_ref().ok_or_else(|| {
            V2Error::Unprocessable(vec![format!(
                "the {} version of activity {id} has no content to launch",
                version.language
            )])
        })?;
        let prefix = BlobKey::new(content.storage_prefix.clone())
            .map_err(|e| V2Error::Store(curricula_ports::StoreError::Backend(Box::new(e))))?;
        let (token, expires_at) = self.signer.sign(caller.key, &prefix, now, key.expires_at);
        Ok(Launch {
            activity: id,
            language: version.language.clone(),
            launch_href: content.launch_href.clone(),
            token,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const KEY: ApiKeyId = ApiKeyId(42);

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).unwrap()
    }

    fn folder() -> BlobKey {
        BlobKey::new("packages/1/00ff").unwrap()
    }

    fn grant() -> ContentGrant {
        ContentGrant {
            key: KEY,
            folder: folder(),
        }
    }

    #[test]
    fn a_token_grants_its_folder_until_it_expires() {
        let signer = ContentSigner::new(b"secret", 3600);
        let (token, expires) = signer.sign(KEY, &folder(), at(10), None);
        assert_eq!(expires, at(11));
        assert_eq!(signer.verify(&token, at(10)).unwrap(), grant());
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(signer.verify(&token, at(11)), Err(TokenError::Expired(at(11))));
    }

    #[test]
    fn a_token_ends_no_later_than_its_key() {
        let signer = ContentSigner::new(b"secret", 3 * 3600);
        let (token, expires) = signer.sign(KEY, &folder(), at(10), Some(at(11)));
        assert_eq!(expires, at(11));
        assert_eq!(signer.verify(&token, at(11)), Err(TokenError::Expired(at(11))));
        let (_, expires) = signer.sign(KEY, &folder(), at(10), Some(at(20)));
        assert_eq!(expires, at(13), "a later key expiry does not lengthen the token");
    }

    #[test]
    fn another_secret_or_any_altered_byte_is_refused() {
        let signer = ContentSigner::new(b"secret", 3600);
        let (token, _) = signer.sign(KEY, &folder(), at(10), None);
        assert_eq!(
            ContentSigner::new(b"other", 3600).verify(&token, at(10)),
            Err(TokenError::BadSignature)
        );
        let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 0..raw.len() {
            let mut altered = raw.clone();
            altered[i] ^= 0x01;
            let result = signer.verify(&URL_SAFE_NO_PAD.encode(&altered), at(10));
            assert_eq!(result, Err(TokenError::BadSignature), "byte {i}");
        }
    }

    /// A correctly signed payload `raw` (what a token of another format would be).
    fn signed(signer: &ContentSigner, mut raw: Vec<u8>) -> String {
        let mut mac = signer.mac();
        mac.update(&raw);
        raw.extend_from_slice(&mac.finalize().into_bytes());
        URL_SAFE_NO_PAD.encode(raw)
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let signer = ContentSigner::new(b"secret", 60);
        for bad in ["", "!!!", "abc", &"A".repeat(60), &"A".repeat(5000), "ÿÿÿ"] {
            assert!(signer.verify(bad, at(10)).is_err(), "{bad}");
        }
        assert_eq!(
            signer.verify(&signed(&signer, vec![9u8; 12]), at(10)),
            Err(TokenError::Malformed)
        );
        // Version 2 too short for its key id, or with no folder.
        let mut short = vec![TOKEN_VERSION];
        short.extend_from_slice(&at(11).timestamp().to_be_bytes());
        short.push(7);
        assert_eq!(
            signer.verify(&signed(&signer, short.clone()), at(10)),
            Err(TokenError::Malformed)
        );
        short.extend_from_slice(&[0; 7]);
        assert_eq!(
            signer.verify(&signed(&signer, short), at(10)),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn tokens_of_before_key_revocation_are_refused() {
        // Format 1: version ‖ expiry ‖ folder ‖ tag, with no key id.
        let signer = ContentSigner::new(b"secret", 3600);
        let mut v1 = vec![1u8];
        v1.extend_from_slice(&at(11).timestamp().to_be_bytes());
        v1.extend_from_slice(folder().as_str().as_bytes());
        assert_eq!(signer.verify(&signed(&signer, v1), at(10)), Err(TokenError::Outdated));
    }

    #[test]
    fn lifetimes_are_clamped() {
        let (_, expires) = ContentSigner::new(b"s", u64::MAX).sign(KEY, &folder(), at(10), None);
        assert_eq!(expires, at(10) + Duration::seconds(MAX_LIFETIME_SECONDS as i64));
        let (_, expires) = ContentSigner::new(b"s", 0).sign(KEY, &folder(), at(10), None);
        assert_eq!(expires, at(10) + Duration::seconds(1));
    }

    #[test]
    fn random_signers_differ() {
        let a = ContentSigner::random(60).unwrap();
        let b = ContentSigner::random(60).unwrap();
        let (token, _) = a.sign(KEY, &folder(), at(10), None);
        assert!(a.verify(&token, at(10)).is_ok());
        assert_eq!(b.verify(&token, at(10)), Err(TokenError::BadSignature));
    }
}
