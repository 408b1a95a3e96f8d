//! The change feed (`GET /api/v2/events`) and the webhooks (`/api/v2/webhooks`): two readers
//! of the event log (docs/API.md, "Change feed" and "Webhooks").

use super::bodies::timestamp;
use super::learner_params::hash;
use super::list_params::{as_text, filters, id, known_parameters, page};
use super::shared::{guarded, links, only_parameters};
use crate::http::error::{ApiError, V2Busy, V2Failures, V2NotFound, V2Refused};
use crate::http::params::{path_id, read};
use crate::http::sorted;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use curricula_domain::{ActivityId, UserId};
use curricula_ports::{Delivery, EventType, FeedFilter, FeedPosition, LoggedEvent, Subscription, Webhook};
use curricula_service::webhooks::WebhookError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Events a feed read answers unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 100;

/// Registers the routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2/events", web::get().to(feed)).service(
        web::scope("/api/v2/webhooks")
            .route("", web::get().to(list_webhooks))
            .route("", web::post().to(create_webhook))
            .route("/{id}", web::get().to(show_webhook))
            .route("/{id}", web::patch().to(update_webhook))
            .route("/{id}", web::delete().to(destroy_webhook))
            .route("/{id}/deliveries", web::get().to(list_deliveries))
            .route("/{id}/deliveries/{delivery}/retry", web::post().to(retry_delivery)),
    );
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::NotFound(_) | WebhookError::DeliveryNotFound(_) => Self::NotFound(e.to_string()),
            WebhookError::Store(s) => Self::Store(s),
            other => Self::Unprocessable(vec![other.to_string()]),
        }
    }
}

// ---------------------------------------------------------------- bodies

/// One event of the log, as the feed answers it and a webhook delivery POSTs it.
#[derive(Serialize, ToSchema)]
pub struct EventRecord {
    /// The event's id (the `Curricula-Event-Id` of its deliveries).
    pub id: i64,
    /// What happened, e.g. `curriculum_activity.moved`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When, UTC.
    pub occurred_at: String,
    /// The account (tenant).
    pub account_id: i64,
    /// The activity or path concerned.
    pub course_id: Option<i64>,
    /// The curriculum record concerned.
    pub curriculum_activity_id: Option<i64>,
    /// The user concerned.
    pub user_id: Option<i64>,
    /// The enrollment concerned.
    pub enrollment_id: Option<i64>,
    /// The key that made the change (its id; none for a learner's own progress).
    pub api_key_id: Option<i64>,
    /// The request's id (`x-request-id`), as in the logs.
    pub request_id: Option<String>,
    /// The record after the change (`before` too for an update), as the audit trail has it.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<&LoggedEvent> for EventRecord {
    fn from(logged: &LoggedEvent) -> Self {
        let e = &logged.event;
        Self {
            id: logged.id,
            kind: e.kind.as_str(),
            occurred_at: timestamp(&e.at),
            account_id: e.tenant.0,
            course_id: e.course.map(|c| c.0),
            curriculum_activity_id: e.record.map(|r| r.0),
            user_id: e.user.map(|u| u.0),
            enrollment_id: e.enrollment.map(|x| x.0),
            api_key_id: e.api_key.map(|k| k.0),
            request_id: e.request_id.clone(),
            data: e.data.clone(),
        }
    }
}

/// The body of an event: what a delivery POSTs and signs.
pub fn render_event(logged: &LoggedEvent) -> Vec<u8> {
    serde_json::to_vec(&sorted(&EventRecord::from(logged))).unwrap_or_default()
}

/// A page of the feed.
#[derive(Serialize, ToSchema)]
pub struct FeedBody {
    /// The events after the cursor, oldest first.
    pub events: Vec<EventRecord>,
    /// The cursor of the next read (`after=`): the last event's, or the one sent when none
    /// came.
    pub next: String,
}

/// A webhook (its secret only in the answer that created it).
#[derive(Serialize, ToSchema)]
pub struct WebhookRecord {
    /// Its id.
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event types sent, or `["*"]` for all.
    pub events: Vec<&'static str>,
    /// Whether it is delivered to.
    pub active: bool,
    /// When it was created, UTC.
    pub created_at: String,
    /// When it last changed, UTC.
    pub updated_at: String,
    /// The signing secret: shown once, when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&Webhook> for WebhookRecord {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id.0,
            url: w.url.clone(),
            events: match &w.events {
                Subscription::All => vec!["*"],
                Subscription::Only(types) => types.iter().map(|t| t.as_str()).collect(),
            },
            active: w.active,
            created_at: timestamp(&w.created_at),
            updated_at: timestamp(&w.updated_at),
            secret: None,
        }
    }
}

/// One event's delivery to a webhook.
#[derive(Serialize, ToSchema)]
pub struct DeliveryRecord {
    /// Its id.
    pub id: i64,
    /// The webhook.
    pub webhook_id: i64,
    /// The event delivered.
    pub event_id: i64,
    /// The event's type.
    pub event_type: Option<&'static str>,
    /// `pending` (waiting for its turn or its next try), `succeeded` or `failed` (tried for
    /// 24 hours; `retry` queues it again).
    pub status: &'static str,
    /// Tries made.
    pub attempts: u32,
    /// When the next try is due (pending), UTC.
    pub next_attempt_at: Option<String>,
    /// When the last try was made, UTC.
    pub last_attempt_at: Option<String>,
    /// The last try's HTTP status, when it got one.
    pub response_status: Option<u16>,
    /// Why the last try failed.
    pub error: Option<String>,
    /// When it was queued, UTC.
    pub created_at: String,
    /// When a 2xx answered it, UTC.
    pub delivered_at: Option<String>,
}

impl From<&Delivery> for DeliveryRecord {
    fn from(d: &Delivery) -> Self {
        let pending = d.status == curricula_ports::DeliveryStatus::Pending;
        Self {
            id: d.id.0,
            webhook_id: d.webhook.0,
            event_id: d.event_id,
            event_type: d.event_type.map(EventType::as_str),
            status: d.status.as_str(),
            attempts: d.attempts,
            next_attempt_at: pending.then(|| timestamp(&d.next_attempt_at)),
            last_attempt_at: d.last_attempt_at.as_ref().map(timestamp),
            response_status: d.response_status,
            error: d.error.clone(),
            created_at: timestamp(&d.created_at),
            delivered_at: d.delivered_at.as_ref().map(timestamp),
        }
    }
}

/// `{"webhook": {"url", "events": [...]}}` as the create body.
#[derive(serde::Deserialize, ToSchema)]
#[allow(
    dead_code,
    reason = "describes the body for the OpenAPI document; the parameters are read untyped first"
)]
pub struct WebhookBody {
    /// `url`, `events` (type names or `"*"`) and, on PATCH, `active`.
    #[schema(value_type = Object)]
    pub webhook: Value,
}

// ---------------------------------------------------------------- parameters

/// `GET /api/v2/events`: where to start, how many, which.
fn feed_params(params: &Map<String, Value>) -> Result<(FeedPosition, u64, FeedFilter), Vec<String>> {
    let mut problems = Vec::new();
    for key in params.keys() {
        if !matches!(key.as_str(), "api_key" | "format" | "after" | "limit" | "event") {
            problems.push(format!("{key} is not a known parameter"));
        }
    }
    let text = |name: &str| params.get(name).and_then(as_text);
    let after = match text("after") {
        None => FeedPosition::START,
        Some(raw) if raw.trim().is_empty() => FeedPosition::START,
        Some(raw) => raw.trim().parse().unwrap_or_else(|()| {
            problems.push(format!(
                "after {raw:?} is not a cursor (send the \"next\" of the previous read)"
            ));
            FeedPosition::START
        }),
    };
    let most = curricula_service::events::FEED_MAX_LIMIT;
    let limit = match text("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if (1..=most).contains(&n) => n,
            _ => {
                problems.push(format!("limit must be an integer from 1 to {most}"));
                DEFAULT_LIMIT
            }
        },
    };
    let mut filter = FeedFilter::default();
    for (key, value) in filters(params, "event", &["type", "course_id", "user_id"], &mut problems) {
        match key.as_str() {
            "type" => {
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    match EventType::parse(name) {
                        Some(kind) => filter.types.push(kind),
                        None => problems.push(format!("event[type] {name:?} is not an event type")),
                    }
                }
            }
            "course_id" => match id(&value) {
                Ok(n) => filter.course = Some(ActivityId(n)),
                Err(e) => problems.push(format!("event[course_id] {e}")),
            },
            _ => match id(&value) {
                Ok(n) => filter.user = Some(UserId(n)),
                Err(e) => problems.push(format!("event[user_id] {e}")),
            },
        }
    }
    if problems.is_empty() {
        Ok((after, limit, filter))
    } else {
        Err(problems)
    }
}

/// The `webhook` hash: `url`, `events`, `active` (each optional here; create needs the first
/// two).
#[derive(Debug, Default)]
struct WebhookInput {
    url: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
}

fn webhook_input(params: &Map<String, Value>, creating: bool) -> Result<WebhookInput, Vec<String>> {
    let mut problems = Vec::new();
    let mut input = WebhookInput::default();
    if let Some(map) = hash(params, "webhook", &mut problems) {
        for (key, value) in map {
            match key.as_str() {
                "url" => match value {
                    Value::String(s) => input.url = Some(s.clone()),
                    _ => problems.push("webhook[url] must be a string".into()),
                },
                "events" => match value {
                    Value::Array(items) if items.iter().all(Value::is_string) => {
                        input.events = Some(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect());
                    }
                    // Form-encoded: one comma-separated string.
                    Value::String(s) => input.events = Some(s.split(',').map(|n| n.trim().to_owned()).collect()),
                    _ => problems.push("webhook[events] must be a list of event type names".into()),
                },
                "active" if !creating => match value {
                    Value::Bool(b) => input.active = Some(*b),
                    Value::String(s) if matches!(s.as_str(), "true" | "1") => input.active = Some(true),
                    Value::String(s) if matches!(s.as_str(), "false" | "0") => input.active = Some(false),
                    _ => problems.push("webhook[active] must be true or false".into()),
                },
                other => problems.push(format!(
                    "webhook[{other}] is not an attribute; attributes are url, events{}",
                    if creating { "" } else { ", active" }
                )),
            }
        }
        if creating {
            if input.url.is_none() {
                problems.push("webhook[url] is required".into());
            }
            if input.events.is_none() {
                problems.push("webhook[events] is required".into());
            }
        }
    }
    if problems.is_empty() { Ok(input) } else { Err(problems) }
}

fn webhook_id(raw: &str) -> Result<i64, ApiError> {
    path_id(raw).ok_or_else(|| ApiError::NotFound(format!("webhook {raw} not found")))
}

// ---------------------------------------------------------------- handlers

/// The change feed: the account's events after a cursor, oldest first. A reader that polls
/// with `next` sees every event once, in the same order as every other reader.
#[utoipa::path(
    get, path = "/api/v2/events", tag = "Events", operation_id = "list_events",
    security(("api_key" = []), ("bearer" = [])),
    params(("after" = Option<String>, Query, description = "The `next` of the previous read; none: from the first event"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Most events answered (default 100)"), ("event[type]" = Option<String>, Query, description = "Only these types (comma-separated)"), ("event[course_id]" = Option<i64>, Query, description = "Only events about this activity or path"), ("event[user_id]" = Option<i64>, Query, description = "Only events about this user")),
    responses((status = 200, description = "Events and the next cursor", body = FeedBody), V2Failures, V2Refused)
)]
async fn feed(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let (after, limit, filter) = feed_params(&params).map_err(ApiError::Unprocessable)?;
    let page = state
        .events
        .feed(caller, after, &filter, limit)
        .await
        .map_err(ApiError::Store)?;
    let body = FeedBody {
        events: page.events.iter().map(EventRecord::from).collect(),
        next: page.next.to_string(),
    };
    Ok(HttpResponse::Ok().json(sorted(&body)))
}

/// Create a webhook: sent, signed, every event of the listed types appended from now on.
#[utoipa::path(
    post, path = "/api/v2/webhooks", tag = "Events", operation_id = "create_webhook",
    security(("api_key" = []), ("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    request_body(description = "`{\"webhook\": {\"url\": URL, \"events\": [\"*\"]}}` (an https URL)", content = WebhookBody, content_type = "application/json"),
    responses((status = 200, description = "The webhook, with its secret (shown this once)", body = WebhookRecord), V2Failures, V2Busy, V2Refused)
)]
async fn create_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let input = webhook_input(&params, true).map_err(ApiError::Unprocessable)?;
        let created = state
            .webhooks
            .create(
                caller,
                input.url.as_deref().unwrap_or_default(),
                &input.events.unwrap_or_default(),
            )
            .await?;
        let record = WebhookRecord {
            secret: Some(created.secret),
            ..WebhookRecord::from(&created.webhook)
        };
        Ok(HttpResponse::Ok().json(sorted(&record)))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// The account's webhooks.
#[utoipa::path(
    get, path = "/api/v2/webhooks", tag = "Events", operation_id = "list_webhooks",
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, description = "The webhooks, by id", body = Vec<WebhookRecord>), V2Failures, V2Refused)
)]
async fn list_webhooks(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    only_parameters(&params, &[])?;
    let hooks = state.webhooks.list(caller).await?;
    let body: Vec<Value> = hooks.iter().map(|w| sorted(&WebhookRecord::from(w))).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// One webhook.
#[utoipa::path(
    get, path = "/api/v2/webhooks/{id}", tag = "Events", operation_id = "show_webhook",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The webhook id")),
    responses((status = 200, description = "The webhook", body = WebhookRecord), V2Failures, V2NotFound, V2Refused)
)]
async fn show_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    only_parameters(&params, &[])?;
    let hook = state.webhooks.get(caller, webhook_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(sorted(&WebhookRecord::from(&hook))))
}

/// Change a webhook's `url`, `events` or `active`.
#[utoipa::path(
    patch, path = "/api/v2/webhooks/{id}", tag = "Events", operation_id = "update_webhook",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The webhook id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    request_body(description = "`{\"webhook\": {\"active\": false}}`", content = WebhookBody, content_type = "application/json"),
    responses((status = 200, description = "The webhook", body = WebhookRecord), V2Failures, V2NotFound, V2Busy, V2Refused)
)]
async fn update_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let id = webhook_id(&path)?;
        let input = webhook_input(&params, false).map_err(ApiError::Unprocessable)?;
        let hook = state
            .webhooks
            .update(caller, id, input.url.as_deref(), input.events.as_deref(), input.active)
            .await?;
        Ok(HttpResponse::Ok().json(sorted(&WebhookRecord::from(&hook))))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// Delete a webhook and its deliveries log.
#[utoipa::path(
    delete, path = "/api/v2/webhooks/{id}", tag = "Events", operation_id = "destroy_webhook",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The webhook id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    responses((status = 200, description = "Deleted; empty body"), V2Failures, V2NotFound, V2Busy, V2Refused)
)]
async fn destroy_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        state.webhooks.delete(caller, webhook_id(&path)?).await?;
        Ok(HttpResponse::Ok().finish())
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// A webhook's deliveries, newest first, 50 per page.
#[utoipa::path(
    get, path = "/api/v2/webhooks/{id}/deliveries", tag = "Events", operation_id = "list_deliveries",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The webhook id"), ("page" = Option<i64>, Query, minimum = 1, description = "Page number (50 per page)")),
    responses(
        (status = 200, description = "The deliveries", body = Vec<DeliveryRecord>,
            headers(("X-Total-Count" = i64, description = "Deliveries over all pages"), ("Link" = String, description = "RFC 8288 page links"))),
        V2Failures, V2NotFound, V2Refused,
    )
)]
async fn list_deliveries(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let mut problems = Vec::new();
    known_parameters(&params, &[], &mut problems);
    let number = page(&params, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Unprocessable(problems));
    }
    let listed = state.webhooks.deliveries(caller, webhook_id(&path)?, number).await?;
    let last = usize::try_from(listed.total)
        .unwrap_or(usize::MAX)
        .div_ceil(curricula_service::curriculum::PAGE_SIZE)
        .max(1);
    let items: Vec<Value> = listed.items.iter().map(|d| sorted(&DeliveryRecord::from(d))).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("X-Total-Count", listed.total.to_string()))
        .insert_header(("Link", links(&req, number, last)))
        .json(items))
}

/// Queue a delivery again, due now (a `failed` one, typically).
#[utoipa::path(
    post, path = "/api/v2/webhooks/{id}/deliveries/{delivery}/retry", tag = "Events", operation_id = "retry_delivery",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The webhook id"), ("delivery" = i64, Path, description = "The delivery id")),
    responses((status = 200, description = "The delivery, pending", body = DeliveryRecord), V2Failures, V2NotFound, V2Refused)
)]
async fn retry_delivery(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    only_parameters(&params, &[])?;
    let (hook, delivery) = path.into_inner();
    let delivery = path_id(&delivery).ok_or_else(|| ApiError::NotFound(format!("delivery {delivery} not found")))?;
    let retried = state.webhooks.retry(caller, webhook_id(&hook)?, delivery).await?;
    Ok(HttpResponse::Ok().json(sorted(&DeliveryRecord::from(&retried))))
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    feed,
    create_webhook,
    list_webhooks,
    show_webhook,
    update_webhook,
    destroy_webhook,
    list_deliveries,
    retry_delivery
))]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn feed_parameters_are_typed_and_bad_ones_named() {
        let (after, limit, filter) = feed_params(&map(json!({
            "after": "12.40", "limit": "5", "event": {"type": "user.created, path.completed", "course_id": "9"}
        })))
        .unwrap();
        assert_eq!((after, limit), (FeedPosition { tx: 12, id: 40 }, 5));
        assert_eq!(filter.types, [EventType::UserCreated, EventType::PathCompleted]);
        assert_eq!(filter.course, Some(ActivityId(9)));
        let problems = feed_params(&map(json!({
            "after": "x", "limit": "0", "event": {"type": "user.made", "colour": "red"}, "page": "2"
        })))
        .unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
    }

    #[test]
    fn webhook_bodies_are_read_with_every_problem() {
        let input = webhook_input(
            &map(json!({"webhook": {"url": "https://x.example/h", "events": ["*"]}})),
            true,
        )
        .unwrap();
        assert_eq!(
            (input.url.as_deref(), input.events.unwrap()),
            (Some("https://x.example/h"), vec!["*".to_owned()])
        );
        let problems = webhook_input(&map(json!({"webhook": {"active": true}})), true).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        let patch = webhook_input(&map(json!({"webhook": {"active": "false"}})), false).unwrap();
        assert_eq!(patch.active, Some(false));
    }
}
