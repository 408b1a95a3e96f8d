//! The SCORM player's use cases: a launch of an enrollment (which attempt it opens, and the
//! signed player token bound to that enrollment and attempt), what the player page is seeded
//! with, and the commits of the content's runtime data.
//!
//! The rules themselves (what a commit may hold, rollup, attempts, the summary across
//! attempts) are the domain's (`curricula_domain::runtime`); this module reads and writes
//! through the ports and applies them. See docs/LEARNERS.md.

use crate::auth::Caller;
use crate::events::progress_events;
use crate::launch::{ContentSigner, TokenError};
use chrono::{DateTime, Utc};
use curricula_domain::learner::EnrollmentStatus;
use curricula_domain::runtime::{self, Entry, ScoState, ScormVersion, SeedInput, SlotKind, Thresholds};
use curricula_domain::{
    Activity, ActivityKind, ApiKeyId, AttemptId, EnrollmentId, LanguageCode, RecordId, ScormContent, TenantId,
};
use curricula_ports::{
    ActivityRepository, ApiKeyRecord, Attempt, BlobKey, Clock, CommitWrite, CommitWriteError, Enrollment, Journal,
    LearnerRepository, NewAttempt, OpenAttemptError, Outcome, ScoRecord, StoreError, TenantDirectory,
};
use serde_json::Value;
use std::sync::Arc;

/// Domain separation of player tokens from content tokens signed with the same secret.
const PLAYER_CONTEXT: &[u8] = b"curricula player token v1\0";
/// Format version of a player token (its first byte).
const PLAYER_TOKEN_VERSION: u8 = 1;
/// version, expiry, key, tenant, enrollment, attempt.
const PLAYER_PAYLOAD_LEN: usize = 1 + 8 * 5;
/// The longest session id a commit may carry (the player makes 32 hex digits).
const MAX_SESSION_ID: usize = 128;
/// How often a commit is retried when another commit of the same attempt won the race.
const COMMIT_RETRIES: usize = 3;

pub mod paths;

/// Why a launch was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The caller's key stopped working since it was authenticated (401).
    #[error("invalid api_key")]
    Unauthorized,
    /// The enrollment is not the caller's (404).
    #[error("enrollment {0} not found")]
    NotFound(EnrollmentId),
    /// The rules or the request forbid it, with the reason (422).
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a player token was refused (the learner sees a page that says so).
#[derive(Debug, thiserror::Error)]
pub enum PlayerError {
    /// Malformed, forged or expired (403).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The key that launched it is revoked or expired (403).
    #[error("the key that made this launch URL is revoked or has expired")]
    KeyUnusable(ApiKeyId),
    /// The enrollment or the attempt is gone (410).
    #[error("this enrollment or attempt no longer exists")]
    Gone,
    /// The package revision the attempt runs is no longer kept (410).
    #[error("the package revision this attempt started on is no longer kept; a new launch starts a new attempt")]
    RevisionGone,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a commit was not applied; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The token is not valid for any attempt (403).
    #[error(transparent)]
    Player(#[from] PlayerError),
    /// The attempt ended; a new launch starts the next one (409).
    #[error("attempt {0} has ended; a new launch starts the next attempt")]
    Ended(u32),
    /// The body breaks a rule of the data model, with the SCORM error code (422).
    #[error("{message}")]
    Refused {
        /// The SCORM error code (e.g. 405 for SCORM 1.2's incorrect data type).
        code: u16,
        /// What is wrong, naming the element.
        message: String,
    },
}

/// What became of an accepted commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// Applied and stored.
    Stored,
    /// Its sequence number was not above the attempt's: a repeat or an old commit, which
    /// changes nothing.
    Stale,
}

/// A launch: the player token and what it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerLaunch {
    /// The signed token of the player URL.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The attempt's number.
    pub attempt: u32,
}

/// One launchable item of the package, as the player lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerSco {
    /// The item's identifier.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its launch URL relative to the package folder (with parameters).
    pub href: String,
    /// The object scorm-again loads before the content initialises.
    pub cmi: Value,
}

/// What the player page is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerSession {
    /// The tenant, whose content host serves the page.
    pub tenant: TenantId,
    /// The package's SCORM version.
    pub version: ScormVersion,
    /// The attempt's number.
    pub attempt: u32,
    /// The last sequence number applied.
    pub seq: u64,
    /// The content token of the attempt's package revision.
    pub content_token: String,
    /// The launchable items, in the manifest's order.
    pub scos: Vec<PlayerSco>,
    /// The item to open first: the first one not completed.
    pub start: String,
    /// The activity's name (the page's title).
    pub title: String,
    /// The learner's id as the content sees it (the username).
    pub learner_id: String,
    /// The learner's name as the content sees it ("Last, First").
    pub learner_name: String,
}

/// The current attempt of a SCORM enrollment, as the enrollment's read shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptProgress {
    /// The attempt's number.
    pub number: u32,
    /// The package revision it runs.
    pub revision: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Its outcome over all its SCOs.
    pub outcome: Outcome,
    /// The sum of its session times.
    pub total_time_seconds: f64,
    /// What each SCO that reported holds, by identifier.
    pub scos: Vec<(String, ScoState)>,
}

/// A commit as the player sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitInput {
    /// Its sequence number within the attempt.
    pub seq: u64,
    /// The SCO it is about.
    pub sco: String,
    /// The player's session id (one per page load and SCO).
    pub session: String,
    /// Whether the content terminated (Terminate / LMSFinish).
    pub terminate: bool,
    /// The `cmi` object scorm-again sent.
    pub cmi: Value,
}

/// What a player token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlayerGrant {
    key: ApiKeyId,
    tenant: TenantId,
    enrollment: EnrollmentId,
    attempt: AttemptId,
}

/// One launchable item of a package's item tree.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    id: String,
    title: String,
    href: String,
    kind: SlotKind,
    /// Its objective ids from the manifest (SCORM 2004; empty for items stored without them).
    objectives: Vec<String>,
}

/// The player's use cases over a tenant directory `D`, an activity repository `A` and a
/// learners' repository `L`.
pub struct PlayerService<D: ?Sized, A: ?Sized, L: ?Sized> {
    directory: Arc<D>,
    activities: Arc<A>,
    learners: Arc<L>,
    signer: ContentSigner,
    clock: Arc<dyn Clock>,
    /// Paths whose enrollments a background task recomputes, and whether another change came
    /// meanwhile (the task then goes again): changes in a row cost one walk after the last.
    recomputing: Arc<std::sync::Mutex<std::collections::HashMap<(TenantId, curricula_domain::ActivityId), bool>>>,
}

impl<D: ?Sized, A: ?Sized, L: ?Sized> Clone for PlayerService<D, A, L> {
    fn clone(&self) -> Self {
        Self {
            directory: Arc::clone(&self.directory),
            activities: Arc::clone(&self.activities),
            learners: Arc::clone(&self.learners),
            signer: self.signer.clone(),
            clock: Arc::clone(&self.clock),
            recomputing: Arc::clone(&self.recomputing),
        }
    }
}

impl<D, A, L> PlayerService<D, A, L>
where
    D: TenantDirectory + ?Sized,
    A: ActivityRepository + ?Sized,
    L: LearnerRepository + ?Sized,
{
    /// Wires the use cases; `signer` signs the player's and the content's tokens.
    pub fn new(
        directory: Arc<D>,
        activities: Arc<A>,
        learners: Arc<L>,
        signer: ContentSigner,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            directory,
            activities,
            learners,
            signer,
            clock,
            recomputing: Arc::default(),
        }
    }

    async fn usable_key(&self, key: ApiKeyId, now: DateTime<Utc>) -> Result<Option<ApiKeyRecord>, StoreError> {
        Ok(self.directory.api_key_by_id(key).await?.filter(|k| k.usable_at(now)))
    }

    /// Launches the caller's enrollment `id`: resumes its running attempt, or opens the next
    /// one on the current package revision of `language` (default: the running attempt's, the
    /// enrollment's last, the tenant's default language when the activity has it, else its
    /// first version).
    ///
    /// # Errors
    /// `Unauthorized`, `NotFound`, `Refused` (a path without an entry, an unknown language,
    /// another language than the running attempt's, nothing to launch), `Store`.
    ///
    /// A path enrollment launches its entry `entry` (a curriculum record id): the rules of the
    /// path (`curricula_domain::progress`) must allow it (else `Refused` with their reason),
    /// and the entry's activity is launched through the learner's own enrollment in it, created
    /// on the first launch and shared by every path that holds the activity.
    pub async fn launch(
        &self,
        caller: Caller,
        id: EnrollmentId,
        language: Option<&str>,
        entry: Option<RecordId>,
    ) -> Result<PlayerLaunch, LaunchError> {
        let now = self.clock.now();
        let key = self
            .usable_key(caller.key, now)
            .await?
            .ok_or(LaunchError::Unauthorized)?;
        let mut enrollment = self
            .learners
            .enrollment(caller.tenant, id)
            .await?
            .ok_or(LaunchError::NotFound(id))?;
        if enrollment.kind == ActivityKind::Course {
            let Some(entry) = entry else {
                return Err(LaunchError::Refused(format!(
                    "enrollment {id} is in a path; launch one of its entries with entry_id"
                )));
            };
            enrollment = self.entry_enrollment(caller, &enrollment, entry, now).await?;
        } else if let Some(entry) = entry {
            return Err(LaunchError::Refused(format!(
                "entry_id {entry}: enrollment {id} is not in a path"
            )));
        }
        let wanted = match language.map(str::trim).filter(|l| !l.is_empty()) {
            Some(raw) => Some(LanguageCode::parse("language", raw).map_err(|e| LaunchError::Refused(e.to_string()))?),
            None => None,
        };
        let attempt = self.attempt_to_launch(caller, &enrollment, wanted, now).await?;
        let grant = PlayerGrant {
            key: caller.key,
            tenant: caller.tenant,
            enrollment: enrollment.id,
            attempt: attempt.id,
        };
        let (token, expires_at) = self.sign(grant, now, key.expires_at);
        Ok(PlayerLaunch {
            token,
            expires_at,
            attempt: attempt.number,
        })
    }

    /// The running attempt when there is one, else a new one (two launches at once open one
    /// attempt: the second finds the number taken and takes the first's).
    async fn attempt_to_launch(
        &self,
        caller: Caller,
        enrollment: &Enrollment,
        wanted: Option<LanguageCode>,
        now: DateTime<Utc>,
    ) -> Result<Attempt, LaunchError> {
        for _ in 0..COMMIT_RETRIES {
            let latest = self.learners.latest_attempt(caller.tenant, enrollment.id).await?;
            if let Some(running) = latest.as_ref().filter(|a| a.ended_at.is_none()) {
                if let Some(code) = wanted.as_ref().filter(|c| **c != running.language) {
                    return Err(LaunchError::Refused(format!(
                        "language {code}: attempt {} runs in {}; it must end before another language is launched",
                        running.number, running.language
                    )));
                }
                return Ok(running.clone());
            }
            let activity = self
                .activities
                .activity(caller.tenant, enrollment.course)
                .await?
                .ok_or(LaunchError::NotFound(enrollment.id))?;
            let language = wanted.clone().or_else(|| enrollment.language.clone());
            let (language, revision, content) = self.version_to_open(caller.tenant, &activity, language).await?;
            let new = NewAttempt {
                tenant: caller.tenant,
                enrollment: enrollment.id,
                number: latest.map_or(1, |a| a.number + 1),
                language,
                revision,
                storage_prefix: content.storage_prefix,
                now,
            };
            match self.learners.open_attempt(new).await {
                Ok(attempt) => return Ok(attempt),
                Err(OpenAttemptError::Taken(_)) => {}
                Err(OpenAttemptError::NotFound(id)) => return Err(LaunchError::NotFound(id)),
                Err(OpenAttemptError::Store(e)) => return Err(e.into()),
            }
        }
        Err(LaunchError::Store(StoreError::Unavailable(
            "too many launches of one enrollment at once".into(),
        )))
    }

    /// The language version a new attempt opens and its current revision.
    async fn version_to_open(
        &self,
        tenant: TenantId,
        activity: &Activity,
        language: Option<LanguageCode>,
    ) -> Result<(LanguageCode, u32, ScormContent), LaunchError> {
        let id = activity.id;
        let version = match language {
            Some(code) => activity.version(&code).ok_or_else(|| {
                let have: Vec<&str> = activity.versions.iter().map(|v| v.language.as_str()).collect();
                LaunchError::Refused(format!(
                    "language {code} is not a language of activity {id} (it has {})",
                    have.join(", ")
                ))
            })?,
            None => {
                let default = self.directory.tenant(tenant).await?.map(|t| t.default_language);
                default
                    .and_then(|d| activity.version(&d))
                    .or_else(|| activity.versions.first())
                    .ok_or_else(|| LaunchError::Refused(format!("activity {id} has no language version")))?
            }
        };
        let content = version.scorm.clone().ok_or_else(|| {
            LaunchError::Refused(format!(
                "the {} version of activity {id} has no content",
                version.language
            ))
        })?;
        Ok((version.language.clone(), version.revision.unwrap_or(1), content))
    }

    fn sign(
        &self,
        grant: PlayerGrant,
        now: DateTime<Utc>,
        not_after: Option<DateTime<Utc>>,
    ) -> (String, DateTime<Utc>) {
        let expires = now
            .checked_add_signed(self.signer.lifetime())
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let expires = not_after.map_or(expires, |end| expires.min(end));
        let mut payload = Vec::with_capacity(PLAYER_PAYLOAD_LEN);
        payload.push(PLAYER_TOKEN_VERSION);
        for n in [
            expires.timestamp(),
            grant.key.0,
            grant.tenant.0,
            grant.enrollment.0,
            grant.attempt.0,
        ] {
            payload.extend_from_slice(&n.to_be_bytes());
        }
        (self.signer.seal(PLAYER_CONTEXT, payload), expires)
    }

    /// What `token` names at `now`: signed by us, not expired, of the current format.
    fn grant(&self, token: &str, now: DateTime<Utc>) -> Result<PlayerGrant, TokenError> {
        let payload = self.signer.open(PLAYER_CONTEXT, token)?;
        if payload.len() != PLAYER_PAYLOAD_LEN || payload[0] != PLAYER_TOKEN_VERSION {
            return Err(TokenError::Malformed);
        }
        let n = |i: usize| {
            let start = 1 + 8 * i;
            <[u8; 8]>::try_from(&payload[start..start + 8])
                .map(i64::from_be_bytes)
                .map_err(|_| TokenError::Malformed)
        };
        let expires = DateTime::from_timestamp(n(0)?, 0).ok_or(TokenError::Malformed)?;
        if now >= expires {
            return Err(TokenError::Expired(expires));
        }
        Ok(PlayerGrant {
            key: ApiKeyId(n(1)?),
            tenant: TenantId(n(2)?),
            enrollment: EnrollmentId(n(3)?),
            attempt: AttemptId(n(4)?),
        })
    }

    /// The token's grant, its key's record, the attempt and the package it runs.
    async fn open_token(&self, token: &str, now: DateTime<Utc>) -> Result<Opened, PlayerError> {
        let grant = self.grant(token, now)?;
        let key = self
            .usable_key(grant.key, now)
            .await?
            .ok_or(PlayerError::KeyUnusable(grant.key))?;
        let attempt = self
            .learners
            .attempt(grant.tenant, grant.attempt)
            .await?
            .filter(|a| a.enrollment == grant.enrollment)
            .ok_or(PlayerError::Gone)?;
        let enrollment = self
            .learners
            .enrollment(grant.tenant, grant.enrollment)
            .await?
            .ok_or(PlayerError::Gone)?;
        let activity = self
            .activities
            .activity(grant.tenant, enrollment.course)
            .await?
            .ok_or(PlayerError::Gone)?;
        let content = self.attempt_content(grant.tenant, &activity, &attempt).await?;
        let title = activity
            .version(&attempt.language)
            .map_or_else(|| activity.name.to_string(), |v| v.title.to_string());
        Ok(Opened {
            title,
            grant,
            key,
            attempt,
            enrollment,
            content,
        })
    }

    /// The package revision an attempt runs: the current one, or a kept earlier one.
    async fn attempt_content(
        &self,
        tenant: TenantId,
        activity: &Activity,
        attempt: &Attempt,
    ) -> Result<ScormContent, PlayerError> {
        if let Some(version) = activity.version(&attempt.language)
            && version.revision == Some(attempt.revision)
            && let Some(content) = &version.scorm
        {
            return Ok(content.clone());
        }
        let revisions = self.activities.revisions(tenant, activity.id).await?;
        revisions
            .into_iter()
            .find(|r| r.language == attempt.language && r.number == attempt.revision)
            .map(|r| r.content)
            .ok_or(PlayerError::RevisionGone)
    }

    /// The current (latest) attempt of a SCORM enrollment of the caller's, if it has one.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn progress(
        &self,
        caller: Caller,
        enrollment: &Enrollment,
    ) -> Result<Option<AttemptProgress>, StoreError> {
        if enrollment.kind != ActivityKind::Scorm {
            return Ok(None);
        }
        let Some(attempt) = self.learners.latest_attempt(caller.tenant, enrollment.id).await? else {
            return Ok(None);
        };
        let scos = attempt
            .scos
            .iter()
            .filter_map(|s| serde_json::from_str(&s.state).ok().map(|state| (s.sco.clone(), state)))
            .collect();
        Ok(Some(AttemptProgress {
            number: attempt.number,
            revision: attempt.revision,
            started_at: attempt.started_at,
            ended_at: attempt.ended_at,
            outcome: Outcome {
                status: attempt.status,
                success: attempt.success,
                score: attempt.score,
            },
            total_time_seconds: attempt.total_time_seconds,
            scos,
        }))
    }

    /// What the player page for `token` shows and seeds.
    ///
    /// # Errors
    /// See [`PlayerError`].
    pub async fn session(&self, token: &str) -> Result<PlayerSession, PlayerError> {
        let now = self.clock.now();
        let opened = self.open_token(token, now).await?;
        let learner = self
            .learners
            .learner(opened.grant.tenant, opened.enrollment.user)
            .await?
            .ok_or(PlayerError::Gone)?;
        let version = ScormVersion::from_manifest(opened.content.scorm_version.as_deref());
        let thresholds = thresholds(&opened.content);
        let folder =
            BlobKey::new(opened.attempt.storage_prefix.clone()).map_err(|e| StoreError::Backend(Box::new(e)))?;
        let (content_token, _) = self.signer.sign(opened.grant.key, &folder, now, opened.key.expires_at);
        let name = learner.profile.display_name(&learner.username);
        let items = items(&opened.content);
        let mut start = None;
        let scos = items
            .into_iter()
            .map(|item| {
                let state = state_of(&opened.attempt, &item.id);
                let done = state
                    .as_ref()
                    .is_some_and(|s| runtime::outcome(version, s, &thresholds).completed);
                if !done && start.is_none() {
                    start = Some(item.id.clone());
                }
                let input = SeedInput {
                    entry: Entry::next(state.as_ref()),
                    learner: runtime::Learner {
                        id: &learner.username,
                        name: &name,
                    },
                    thresholds,
                    launch_data: "",
                    credit: runtime::Credit::Credit,
                    mode: runtime::Mode::Normal,
                    objectives: &item.objectives,
                };
                let cmi = runtime::seed(version, state.as_ref(), &input);
                PlayerSco {
                    id: item.id,
                    title: item.title,
                    href: item.href,
                    cmi,
                }
            })
            .collect::<Vec<_>>();
        let start = start.or_else(|| scos.first().map(|s| s.id.clone())).unwrap_or_default();
        Ok(PlayerSession {
            tenant: opened.grant.tenant,
            version,
            attempt: opened.attempt.number,
            seq: opened.attempt.seq,
            content_token,
            scos,
            start,
            title: opened.title,
            learner_id: learner.username.clone(),
            learner_name: name.clone(),
        })
    }

    /// Applies a commit of the content's runtime data: a stale or repeated sequence number
    /// changes nothing; otherwise the SCO's state, the attempt's outcome and the enrollment's
    /// summary are written in one transaction.
    ///
    /// `host` is the tenant whose content host received the commit, if it is one: a token of
    /// another tenant is refused there.
    ///
    /// # Errors
    /// See [`CommitError`].
    pub async fn commit(
        &self,
        token: &str,
        host: Option<TenantId>,
        input: CommitInput,
    ) -> Result<Committed, CommitError> {
        let now = self.clock.now();
        let mut opened = self.open_token(token, now).await?;
        if host.is_some_and(|t| t != opened.grant.tenant) {
            return Err(PlayerError::Token(TokenError::BadSignature).into());
        }
        let version = ScormVersion::from_manifest(opened.content.scorm_version.as_deref());
        if input.session.is_empty() || input.session.len() > MAX_SESSION_ID {
            return Err(CommitError::Refused {
                code: 101,
                message: format!("session must be 1 to {MAX_SESSION_ID} bytes long"),
            });
        }
        let items = items(&opened.content);
        if !items.iter().any(|i| i.id == input.sco) {
            return Err(CommitError::Refused {
                code: 201,
                message: format!("sco {:?} is not a launchable item of this package", input.sco),
            });
        }
        let report = runtime::read_report(version, &input.cmi).map_err(|e| CommitError::Refused {
            code: e.code,
            message: e.to_string(),
        })?;
        let thresholds = thresholds(&opened.content);
        for _ in 0..COMMIT_RETRIES {
            let attempt = &opened.attempt;
            if input.seq <= attempt.seq {
                return Ok(Committed::Stale);
            }
            if attempt.ended_at.is_some() {
                return Err(CommitError::Ended(attempt.number));
            }
            let state = state_of(attempt, &input.sco).unwrap_or_default().apply(
                report.clone(),
                &input.session,
                input.terminate,
            );
            let write = self.commit_write(&opened, &items, version, &thresholds, &input, state, now)?;
            let before = Outcome {
                status: opened.enrollment.status,
                success: opened.enrollment.success,
                score: opened.enrollment.score,
            };
            let after = write.enrollment;
            match self
                .learners
                .write_commit(write, Journal::of(move |c| progress_events(c, now)))
                .await
            {
                Ok(()) => {
                    if before != after {
                        // The commit is durable; the paths that hold the activity follow it.
                        self.refresh_paths_with(opened.grant.tenant, &opened.enrollment, now)
                            .await;
                    }
                    return Ok(Committed::Stored);
                }
                Err(CommitWriteError::Moved) => {
                    opened.attempt = self
                        .learners
                        .attempt(opened.grant.tenant, opened.grant.attempt)
                        .await
                        .map_err(PlayerError::from)?
                        .ok_or(PlayerError::Gone)?;
                    opened.enrollment = self
                        .learners
                        .enrollment(opened.grant.tenant, opened.grant.enrollment)
                        .await
                        .map_err(PlayerError::from)?
                        .ok_or(PlayerError::Gone)?;
                }
                Err(CommitWriteError::Store(e)) => return Err(PlayerError::from(e).into()),
            }
        }
        Err(PlayerError::Store(StoreError::Unavailable(
            "too many commits of one attempt at once".into(),
        ))
        .into())
    }

    /// What an applied commit writes.
    #[allow(clippy::too_many_arguments)]
    fn commit_write(
        &self,
        opened: &Opened,
        items: &[Item],
        version: ScormVersion,
        thresholds: &Thresholds,
        input: &CommitInput,
        state: ScoState,
        now: DateTime<Utc>,
    ) -> Result<CommitWrite, CommitError> {
        let attempt = &opened.attempt;
        let states: Vec<(&Item, Option<ScoState>)> = items
            .iter()
            .map(|item| {
                let s = if item.id == input.sco {
                    Some(state.clone())
                } else {
                    state_of(attempt, &item.id)
                };
                (item, s)
            })
            .collect();
        let slots: Vec<runtime::ScoSlot> = states
            .iter()
            .map(|(item, s)| runtime::ScoSlot {
                kind: item.kind,
                outcome: s.as_ref().map(|s| runtime::outcome(version, s, thresholds)),
            })
            .collect();
        let outcome = runtime::activity_outcome(&slots);
        let attempt_seconds: f64 = states
            .iter()
            .filter_map(|(_, s)| s.as_ref())
            .map(ScoState::total_seconds)
            .sum();
        // The attempt ends when every SCO terminated without suspending (one SCO: that one).
        let kinds: Vec<(SlotKind, Option<&ScoState>)> =
            states.iter().map(|(item, s)| (item.kind, s.as_ref())).collect();
        let ends_attempt = runtime::package_attempt_ends(&kinds);
        let status = if outcome.completed {
            EnrollmentStatus::Completed
        } else {
            EnrollmentStatus::InProgress
        };
        let previous = runtime::Summary {
            status: opened.enrollment.status,
            success: opened.enrollment.success,
            score: opened.enrollment.score,
            started_on: opened.enrollment.started_at,
            completed_on: opened.enrollment.completed_at,
        };
        let summary = runtime::summarize(&previous, &outcome, now);
        let state = serde_json::to_string(&state).map_err(|e| PlayerError::Store(StoreError::Backend(Box::new(e))))?;
        Ok(CommitWrite {
            tenant: opened.grant.tenant,
            attempt: attempt.id,
            expected_seq: attempt.seq,
            seq: input.seq,
            sco: ScoRecord {
                sco: input.sco.clone(),
                state,
            },
            attempt_outcome: Outcome {
                status,
                success: outcome.success,
                score: outcome.score,
            },
            attempt_seconds,
            ends_attempt,
            enrollment: Outcome {
                status: summary.status,
                success: summary.success,
                score: summary.score,
            },
            completed_at: summary
                .completed_on
                .filter(|_| opened.enrollment.completed_at.is_none()),
            now,
        })
    }
}

/// What a checked player token opened.
struct Opened {
    title: String,
    grant: PlayerGrant,
    key: ApiKeyRecord,
    attempt: Attempt,
    enrollment: Enrollment,
    content: ScormContent,
}

/// The manifest's thresholds of a package.
fn thresholds(content: &ScormContent) -> Thresholds {
    let version = ScormVersion::from_manifest(content.scorm_version.as_deref());
    Thresholds {
        mastery_score: content.mastery_score,
        completion_threshold: content.completion_threshold,
    }
    .usable(version)
}

/// The stored state of one SCO of an attempt (a state that cannot be read counts as none:
/// it was written by this code, so that only happens after a format change).
fn state_of(attempt: &Attempt, sco: &str) -> Option<ScoState> {
    attempt
        .scos
        .iter()
        .find(|s| s.sco == sco)
        .and_then(|s| serde_json::from_str(&s.state).ok())
}

/// The launchable items of a package (those with an href), in document order, read
/// iteratively from the stored item tree; the launch page alone when the tree has none.
fn items(content: &ScormContent) -> Vec<Item> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = match &content.items {
        Value::Array(items) => items.iter().rev().collect(),
        _ => Vec::new(),
    };
    while let Some(item) = stack.pop() {
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_owned);
        if let (Some(id), Some(href)) = (text("identifier"), text("href")) {
            let kind = if text("scorm_type").is_some_and(|t| t.eq_ignore_ascii_case("asset")) {
                SlotKind::Asset
            } else {
                SlotKind::Sco
            };
            let objectives = match item.get("objectives") {
                Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                _ => Vec::new(),
            };
            out.push(Item {
                title: text("title").unwrap_or_else(|| id.clone()),
                id,
                href,
                kind,
                objectives,
            });
        }
        if let Some(Value::Array(children)) = item.get("children") {
            stack.extend(children.iter().rev());
        }
    }
    if out.is_empty() {
        out.push(Item {
            id: "launch".to_owned(),
            title: content.title.clone().unwrap_or_else(|| "Content".to_owned()),
            href: content.launch_href.clone(),
            kind: SlotKind::Sco,
            objectives: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn content(items: Value) -> ScormContent {
        ScormContent {
            scorm_version: Some("1.2".into()),
            title: Some("Golf".into()),
            description: None,
            launch_href: "index.html".into(),
            mastery_score: None,
            completion_threshold: None,
            items,
            file_count: 1,
            total_bytes: 1,
            package_sha256: String::new(),
            storage_prefix: "packages/1/x".into(),
        }
    }

    #[test]
    fn items_are_the_launchable_ones_in_document_order() {
        let tree = json!([{"identifier": "org", "title": "Course", "children": [
            {"identifier": "a", "title": "A", "href": "a.html", "scorm_type": "sco", "children": []},
            {"identifier": "folder", "children": [
                {"identifier": "b", "href": "b.html?x=1", "scorm_type": "asset", "children": []}
            ]},
            {"identifier": "c", "title": "C", "href": "c.html", "objectives": ["PRIMARYOBJ", "obj_1"], "children": []}
        ]}]);
        let found = items(&content(tree));
        let ids: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        // Items stored before objectives were kept have none.
        assert!(found[0].objectives.is_empty());
        assert_eq!(found[2].objectives, ["PRIMARYOBJ", "obj_1"]);
        assert_eq!(found[1].kind, SlotKind::Asset);
        assert_eq!(found[1].title, "b");
        assert_eq!(found[1].href, "b.html?x=1");
    }

    #[test]
    fn a_package_without_items_launches_its_launch_page() {
        let found = items(&content(json!([])));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].href, "index.html");
    }

    #[test]
    fn player_tokens_name_their_attempt_and_refuse_tampering() {
        struct Fixed;
        impl Clock for Fixed {
            fn now(&self) -> DateTime<Utc> {
                DateTime::from_timestamp(1_800_000_000, 0).unwrap()
            }
        }
        let signer = ContentSigner::new(b"secret", 3600);
        let service: PlayerService<dyn TenantDirectory, dyn ActivityRepository, dyn LearnerRepository> =
            PlayerService {
                directory: Arc::new(curricula_ports::MockTenantDirectory::new()),
                activities: Arc::new(curricula_ports::MockActivityRepository::new()),
                learners: Arc::new(curricula_ports::MockLearnerRepository::new()),
                signer: signer.clone(),
                clock: Arc::new(Fixed),
                recomputing: Arc::default(),
            };
        let grant = PlayerGrant {
            key: ApiKeyId(1),
            tenant: TenantId(2),
            enrollment: EnrollmentId(3),
            attempt: AttemptId(4),
        };
        let now = Fixed.now();
        let (token, expires) = service.sign(grant, now, None);
        assert_eq!(service.grant(&token, now).unwrap(), grant);
        assert!(matches!(service.grant(&token, expires), Err(TokenError::Expired(_))));
        // A content token with the same secret is not a player token.
        let (content, _) = signer.sign(ApiKeyId(1), &BlobKey::new("packages/2/x").unwrap(), now, None);
        assert!(service.grant(&content, now).is_err());
        let mut bytes = token.into_bytes();
        bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(service.grant(&tampered, now).is_err());
    }
}
