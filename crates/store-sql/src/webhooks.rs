//! [`WebhookRepository`] over both backends: the webhooks, and the queue of their deliveries
//! (leases so that one instance at a time delivers a webhook, in order).

use crate::Database;
use crate::errors::TxError;
use crate::rows::{EventRow, utc};
use crate::schema::{events as ev, webhook_deliveries as d, webhooks as w};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use curricula_domain::TenantId;
use curricula_ports::{
    Delivery, DeliveryId, DeliveryStatus, Due, EventType, FeedPosition, Leased, Listed, NewWebhook, QueueFigures,
    Slice, StoreError, Subscription, Tried, Webhook, WebhookId, WebhookPatch, WebhookRepository,
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Events looked at per `queue` call, whether the webhook covers them or not.
const QUEUE_SCAN: i64 = 1_000;

#[derive(Queryable, Selectable)]
#[diesel(table_name = w)]
struct WebhookRow {
    id: i64,
    tenant_id: i64,
    url: String,
    events: String,
    secret: String,
    active: bool,
    cursor_tx: i64,
    cursor_id: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl WebhookRow {
    fn into_port(self) -> Webhook {
        Webhook {
            id: WebhookId(self.id),
            tenant: TenantId(self.tenant_id),
            url: self.url,
            events: Subscription::from_stored(&self.events),
            active: self.active,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }

    fn into_leased(self) -> Leased {
        Leased {
            id: WebhookId(self.id),
            tenant: TenantId(self.tenant_id),
            url: self.url,
            secret: self.secret,
            events: Subscription::from_stored(&self.events),
            cursor: FeedPosition { tx: self.cursor_tx, id: self.cursor_id },
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = d)]
struct DeliveryRow {
    id: i64,
    webhook_id: i64,
    event_id: i64,
    status: String,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    last_attempt_at: Option<NaiveDateTime>,
    response_status: Option<i32>,
    error: Option<String>,
    created_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
}

impl DeliveryRow {
    fn into_port(self, kind: Option<&str>) -> Delivery {
        Delivery {
            id: DeliveryId(self.id),
            webhook: WebhookId(self.webhook_id),
            event_id: self.event_id,
            event_type: kind.and_then(EventType::parse),
            status: DeliveryStatus::parse(&self.status),
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            next_attempt_at: utc(self.next_attempt_at),
            last_attempt_at: self.last_attempt_at.map(utc),
            response_status: self.response_status.and_then(|s| u16::try_from(s).ok()),
            error: self.error,
            created_at: utc(self.created_at),
            delivered_at: self.delivered_at.map(utc),
        }
    }
}

fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

const PENDING: &str = "pending";

#[async_trait]
impl WebhookRepository for Database {
    async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        let now = new.now.naive_utc();
        transaction!(self, |c, _sql| {
            // Sent what is appended after it: its cursor starts at the newest event visible now.
            let head: Option<(i64, i64)> = ev::table
                .filter(ev::tenant_id.eq(new.tenant.0))
                .order((ev::tx.desc(), ev::id.desc()))
                .select((ev::tx, ev::id))
                .first(c)
                .await
                .optional()?;
            let (cursor_tx, cursor_id) = head.unwrap_or((0, 0));
            let row: WebhookRow = diesel::insert_into(w::table)
                .values((
                    w::tenant_id.eq(new.tenant.0),
                    w::url.eq(&new.url),
                    w::events.eq(new.events.to_stored()),
                    w::secret.eq(&new.secret),
                    w::active.eq(true),
                    w::cursor_tx.eq(cursor_tx),
                    w::cursor_id.eq(cursor_id),
                    w::created_at.eq(now),
                    w::updated_at.eq(now),
                ))
                .returning(WebhookRow::as_returning())
                .get_result(c)
                .await?;
            Ok::<_, TxError<StoreError>>(row.into_port())
        })
    }

    async fn webhooks(&self, tenant: TenantId) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<WebhookRow> = run!(self, |c, _sql| {
            w::table.filter(w::tenant_id.eq(tenant.0)).order(w::id).select(WebhookRow::as_select()).load(c).await
        })?;
        Ok(rows.into_iter().map(WebhookRow::into_port).collect())
    }

    async fn webhook(&self, tenant: TenantId, id: WebhookId) -> Result<Option<Webhook>, StoreError> {
        let row: Option<WebhookRow> = run!(self, |c, _sql| {
            w::table
                .filter(w::id.eq(id.0).and(w::tenant_id.eq(tenant.0)))
                .select(WebhookRow::as_select())
                .first(c)
                .await
                .optional()
        })?;
        Ok(row.map(WebhookRow::into_port))
    }

    async fn update_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
        patch: WebhookPatch,
        now: DateTime<Utc>,
    ) -> Result<Option<Webhook>, StoreError> {
        let now = now.naive_utc();
        let row: Option<WebhookRow> = run!(self, |c, _sql| {
            diesel::update(w::table.filter(w::id.eq(id.0).and(w::tenant_id.eq(tenant.0))))
                .set((
                    patch.url.as_ref().map(|url| w::url.eq(url.clone())),
                    patch.events.as_ref().map(|events| w::events.eq(events.to_stored())),
                    patch.active.map(|active| w::active.eq(active)),
                    w::updated_at.eq(now),
                ))
                .returning(WebhookRow::as_returning())
                .get_result(c)
                .await
                .optional()
        })?;
        Ok(row.map(WebhookRow::into_port))
    }

    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> Result<bool, StoreError> {
        let deleted = run!(self, |c, _sql| {
            diesel::delete(w::table.filter(w::id.eq(id.0).and(w::tenant_id.eq(tenant.0)))).execute(c).await
        })?;
        Ok(deleted > 0)
    }

    async fn deliveries(&self, tenant: TenantId, id: WebhookId, slice: Slice) -> Result<Listed<Delivery>, StoreError> {
        let (total, rows) = run!(self, |c, _sql| {
            let mine = d::webhook_id
                .eq(id.0)
                .and(d::webhook_id.eq_any(w::table.filter(w::tenant_id.eq(tenant.0)).select(w::id)));
            let total: i64 = d::table.filter(mine).count().get_result(c).await?;
            let rows: Vec<(DeliveryRow, Option<String>)> = d::table
                .left_join(ev::table.on(ev::id.eq(d::event_id)))
                .filter(mine)
                .order(d::id.desc())
                .offset(sql_int(slice.offset))
                .limit(sql_int(slice.limit))
                .select((DeliveryRow::as_select(), ev::kind.nullable()))
                .load(c)
                .await?;
            Ok::<_, diesel::result::Error>((total, rows))
        })?;
        Ok(Listed {
            items: rows.into_iter().map(|(row, kind)| row.into_port(kind.as_deref())).collect(),
            total: u64::try_from(total).unwrap_or_default(),
        })
    }

    async fn retry_delivery(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        delivery: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let now = now.naive_utc();
        let row: Option<(DeliveryRow, Option<String>)> = run!(self, |c, _sql| {
            let mine = d::id
                .eq(delivery.0)
                .and(d::webhook_id.eq(webhook.0))
                .and(d::webhook_id.eq_any(w::table.filter(w::tenant_id.eq(tenant.0)).select(w::id)));
            let found: Option<i64> = diesel::update(d::table.filter(mine))
                .set((d::status.eq(PENDING), d::attempts.eq(0), d::next_attempt_at.eq(now), d::created_at.eq(now)))
                .returning(d::id)
                .get_result(c)
                .await
                .optional()?;
            match found {
                None => Ok(None),
                Some(id) => d::table
                    .left_join(ev::table.on(ev::id.eq(d::event_id)))
                    .filter(d::id.eq(id))
                    .select((DeliveryRow::as_select(), ev::kind.nullable()))
                    .first(c)
                    .await
                    .optional(),
            }
        })?;
        Ok(row.map(|(row, kind)| row.into_port(kind.as_deref())))
    }

    async fn lease(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Leased>, StoreError> {
        let (owner, now, until) = (owner.to_owned(), now.naive_utc(), until.naive_utc());
        let rows: Vec<WebhookRow> = transaction!(self, |c, sql| {
            let pending = d::table.filter(d::webhook_id.eq(w::id).and(d::status.eq(PENDING)));
            let due = diesel::dsl::exists(pending.filter(d::next_attempt_at.le(now)));
            let later = ev::tenant_id
                .eq(w::tenant_id)
                .and(ev::tx.gt(w::cursor_tx).or(ev::tx.eq(w::cursor_tx).and(ev::id.gt(w::cursor_id))));
            let fresh =
                diesel::dsl::not(diesel::dsl::exists(pending)).and(diesel::dsl::exists(ev::table.filter(later)));
            let free = w::lease_until.is_null().or(w::lease_until.lt(now));
            let candidates = w::table
                .filter(w::active.eq(true).and(free).and(due.or(fresh)))
                .order(w::id)
                .limit(sql_int(limit))
                .select(w::id);
            let ids: Vec<i64> = sql::skip_locked!(candidates).load(c).await?;
            if ids.is_empty() {
                return Ok::<_, TxError<StoreError>>(Vec::new());
            }
            let rows = diesel::update(w::table.filter(w::id.eq_any(&ids)))
                .set((w::lease_owner.eq(&owner), w::lease_until.eq(until)))
                .returning(WebhookRow::as_returning())
                .load(c)
                .await?;
            Ok(rows)
        })?;
        Ok(rows.into_iter().map(WebhookRow::into_leased).collect())
    }

    async fn queue(&self, leased: &Leased, now: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        let (leased, now, limit) = (leased.clone(), now.naive_utc(), usize::try_from(limit).unwrap_or(usize::MAX));
        transaction!(self, |c, sql| {
            let scanned: Vec<(i64, i64, String)> = sql::events::after(leased.tenant, leased.cursor)
                .limit(QUEUE_SCAN)
                .select((ev::tx, ev::id, ev::kind))
                .load(c)
                .await?;
            let mut cursor = leased.cursor;
            let mut queued = Vec::new();
            for (tx, id, kind) in scanned {
                if queued.len() == limit {
                    break;
                }
                cursor = FeedPosition { tx, id };
                if EventType::parse(&kind).is_some_and(|k| leased.events.covers(k)) {
                    queued.push((
                        d::webhook_id.eq(leased.id.0),
                        d::event_id.eq(id),
                        d::status.eq(PENDING),
                        d::next_attempt_at.eq(now),
                        d::created_at.eq(now),
                    ));
                }
            }
            let count = queued.len() as u64;
            if !queued.is_empty() {
                sql::insert_all!(c, d::table, queued)?;
            }
            if cursor != leased.cursor {
                diesel::update(w::table.find(leased.id.0))
                    .set((w::cursor_tx.eq(cursor.tx), w::cursor_id.eq(cursor.id)))
                    .execute(c)
                    .await?;
            }
            Ok::<_, TxError<StoreError>>(count)
        })
    }

    async fn due(&self, webhook: WebhookId, now: DateTime<Utc>, limit: u64) -> Result<Vec<Due>, StoreError> {
        let now = now.naive_utc();
        let rows: Vec<(i64, i32, NaiveDateTime, NaiveDateTime, EventRow)> = run!(self, |c, _sql| {
            d::table
                .inner_join(ev::table.on(ev::id.eq(d::event_id)))
                .filter(d::webhook_id.eq(webhook.0).and(d::status.eq(PENDING)))
                .order(d::id)
                .limit(sql_int(limit))
                .select((d::id, d::attempts, d::next_attempt_at, d::created_at, EventRow::as_select()))
                .load(c)
                .await
        })?;
        // In order: nothing while the oldest waits for its next try, and only up to the first
        // that is not due.
        Ok(rows
            .into_iter()
            .take_while(|(_, _, next, ..)| *next <= now)
            .filter_map(|(id, attempts, _, created_at, event)| {
                Some(Due {
                    id: DeliveryId(id),
                    attempts: u32::try_from(attempts).unwrap_or_default(),
                    created_at: utc(created_at),
                    event: event.into_port()?,
                })
            })
            .collect())
    }

    async fn settle(
        &self,
        webhook: WebhookId,
        owner: &str,
        tries: Vec<Tried>,
        release: bool,
    ) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        transaction!(self, |c, _sql| {
            for t in &tries {
                let at = t.at.naive_utc();
                let delivered = (t.status == DeliveryStatus::Succeeded).then_some(at);
                diesel::update(d::table.find(t.id.0))
                    .set((
                        d::status.eq(t.status.as_str()),
                        d::attempts.eq(d::attempts + 1),
                        d::last_attempt_at.eq(at),
                        d::next_attempt_at.eq(t.retry_at.naive_utc()),
                        d::response_status.eq(t.response_status.map(i32::from)),
                        d::error.eq(t.error.as_deref()),
                        d::delivered_at.eq(delivered),
                    ))
                    .execute(c)
                    .await?;
                if t.status == DeliveryStatus::Pending {
                    // The ones after it wait for it: none is due before its next try.
                    diesel::update(
                        d::table.filter(
                            d::webhook_id
                                .eq(webhook.0)
                                .and(d::status.eq(PENDING))
                                .and(d::id.gt(t.id.0))
                                .and(d::next_attempt_at.lt(t.retry_at.naive_utc())),
                        ),
                    )
                    .set(d::next_attempt_at.eq(t.retry_at.naive_utc()))
                    .execute(c)
                    .await?;
                }
            }
            if release {
                diesel::update(w::table.filter(w::id.eq(webhook.0).and(w::lease_owner.eq(&owner))))
                    .set((w::lease_owner.eq(None::<String>), w::lease_until.eq(None::<NaiveDateTime>)))
                    .execute(c)
                    .await?;
            }
            Ok::<_, TxError<StoreError>>(())
        })
    }

    async fn prune_deliveries(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        let (before, limit) = (before.naive_utc(), i64::try_from(limit).unwrap_or(i64::MAX));
        run!(self, |c, _sql| {
            // On the `(status, created_at)` index; bounded statements, no transaction held: one
            // redelivered in between is pending again, and the delete passes it by.
            let oldest: Vec<i64> = d::table
                .filter(d::status.eq(DeliveryStatus::Succeeded.as_str()).and(d::created_at.lt(before)))
                .order((d::created_at, d::id))
                .select(d::id)
                .limit(limit)
                .load(c)
                .await?;
            diesel::delete(d::table.filter(d::id.eq_any(oldest).and(d::status.eq(DeliveryStatus::Succeeded.as_str()))))
                .execute(c)
                .await
        })
        .map(|n| n as u64)
    }

    async fn queue_figures(&self, now: DateTime<Utc>) -> Result<QueueFigures, StoreError> {
        let (pending, oldest, failing, failed) = run!(self, |c, _sql| {
            let pending: i64 = d::table.filter(d::status.eq(PENDING)).count().get_result(c).await?;
            let oldest: Option<NaiveDateTime> =
                d::table.filter(d::status.eq(PENDING)).select(diesel::dsl::min(d::created_at)).first(c).await?;
            let failing: Vec<i64> = d::table
                .inner_join(w::table)
                .filter(d::status.eq(PENDING).and(d::attempts.gt(0)).and(w::active.eq(true)))
                .select(d::webhook_id)
                .distinct()
                .load(c)
                .await?;
            let failed: i64 = d::table.filter(d::status.eq("failed")).count().get_result(c).await?;
            Ok::<_, diesel::result::Error>((pending, oldest, failing, failed))
        })?;
        let age = oldest.map_or(0.0, |t| (now - utc(t)).num_milliseconds().max(0) as f64 / 1000.0);
        Ok(QueueFigures {
            pending: u64::try_from(pending).unwrap_or_default(),
            oldest_pending_seconds: age,
            failing_webhooks: failing.len() as u64,
            failed: u64::try_from(failed).unwrap_or_default(),
        })
    }
}
