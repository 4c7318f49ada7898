//! Webhooks (SPEC §5): partners' endpoints, and the delivery queue the worker
//! in `tessera serve` drains.
//!
//! An event is written by the business transaction that causes it
//! ([`crate::events`]). In batches, new events then get their feed positions
//! and, in the same transaction, one delivery per matching endpoint
//! ([`queue::dispatch_sequenced`]); the worker leases due deliveries
//! ([`queue::lease`]), sends them signed ([`signing`]), and records every
//! attempt with the next step ([`queue::record`]).

use crate::types::PartnerId;
pub mod profiles;
pub mod queue;
pub mod signing;

pub use crate::outbound::{Destinations, NOT_PUBLIC};
pub use crate::types::Scope;
use crate::types::{DisabledReason, EndpointStatus, EventType, Timestamp};
use crate::{clock::now_ms, db::Db, error::ApiError, events, ids::new_id};
pub use profiles::PayloadProfile;
use serde::{Deserialize, Serialize};
pub use signing::Scheme;

/// A 0/1 column read as a bool (`webhook_endpoints.include_codes`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Self {
        Flag(v != 0)
    }
}

/// A partner's webhook endpoint, as the APIs show it (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: String,
    pub partner_id: PartnerId,
    pub url: String,
    pub description: String,
    pub scheme: Scheme,
    /// The body sent: `tessera` (the envelope), `hubble` (seed 001's
    /// transaction and brand bodies) or `spaaza` (seed 002's voucher-issued).
    pub payload_profile: PayloadProfile,
    /// A hubble body carries the gift card's `cardNumber` and `cardPin` (https endpoints only).
    #[sqlx(try_from = "i64")]
    #[schema(value_type = bool)]
    pub include_codes: Flag,
    /// The event types sent here; empty means every type.
    #[schema(value_type = Vec<EventType>)]
    pub event_types: EventTypes,
    /// Deliveries in flight to this endpoint at once, over every instance.
    pub max_in_flight: i64,
    pub status: EndpointStatus,
    /// Why it was disabled: `gone` (it answered 410), `failing` (no success
    /// for the configured period, 5 days by default) or `operator`.
    pub disabled_reason: Option<DisabledReason>,
    pub disabled_at: Option<Timestamp>,
    /// Failing without a success since then.
    pub failing_since: Option<Timestamp>,
    /// The previous secret still signs deliveries (alongside the new one) until then.
    #[sqlx(rename = "secret_previous_until")]
    pub previous_secret_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An endpoint with its signing secret: returned once, at creation and rotation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// The signing secret. `standard-webhooks`: `whsec_<base64 key>`; other
    /// schemes: the HMAC key as written.
    pub secret: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewEndpoint {
    /// `https://…` (or `http://…`) where deliveries are POSTed.
    pub url: String,
    /// Default `tessera`; with a `payloadProfile` of `hubble` or `spaaza`, that scheme.
    pub scheme: Option<Scheme>,
    /// Default `tessera`.
    pub payload_profile: Option<PayloadProfile>,
    /// Put the gift card's code and PIN into a `hubble` body (an https endpoint
    /// only; codes are kept out of webhooks otherwise). Default false.
    pub include_codes: Option<bool>,
    /// Default: every type.
    pub event_types: Option<Vec<String>>,
    /// For people: at most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// 1–256; default from the server's configuration (16).
    pub max_in_flight: Option<i64>,
    /// Bring your own secret (e.g. moving from another provider), 16–256 characters
    /// (`whsec_…` for standard-webhooks); default: generated.
    #[schema(min_length = 16, max_length = 256)]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub payload_profile: Option<PayloadProfile>,
    pub include_codes: Option<bool>,
    pub event_types: Option<Vec<String>>,
    /// At most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    pub max_in_flight: Option<i64>,
}

const COLUMNS: &str = "id, partner_id, url, description, scheme, payload_profile, include_codes, event_types, max_in_flight, status, disabled_reason, \
     disabled_at, failing_since, secret_previous_until, created_at, updated_at";

impl Endpoint {
    /// The previous secret's end is shown only while it still signs.
    fn seen_at(mut self, now: i64) -> Self {
        self.previous_secret_until = self.previous_secret_until.filter(|u| u.millis() > now);
        self
    }
}

/// The event types an endpoint takes (`webhook_endpoints.event_types`, kept
/// as `,A,B,` so SQL matches one with `LIKE`); empty means every type. A
/// stored name this build does not know fails the read loudly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventTypes(pub Vec<EventType>);

crate::sql_type_text!(EventTypes);

impl<'r> sqlx::Decode<'r, sqlx::Any> for EventTypes {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
        let types = text.split(',').filter(|t| !t.is_empty()).map(|t| EventType::parse(t).ok_or(t)).collect::<Result<_, _>>();
        types.map(EventTypes).map_err(|t| format!("{t:?} is not an event type").into())
    }
}

fn check_event_types(types: &[String]) -> Result<String, ApiError> {
    if let Some(bad) = types.iter().find(|t| events::EventType::parse(t).is_none()) {
        return Err(ApiError::validation(vec![(
            "eventTypes",
            format!("{bad:?} is not an event type; use {}", events::EventType::listed()),
        )]));
    }
    let mut sorted: Vec<&str> = types.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(if sorted.is_empty() { String::new() } else { format!(",{},", sorted.join(",")) })
}

fn check_description(description: Option<String>) -> Result<Option<String>, ApiError> {
    match description {
        Some(d) if d.chars().count() > 500 => Err(ApiError::validation(vec![("description", "must be at most 500 characters".into())])),
        d => Ok(d),
    }
}

/// Codes go only into a hubble body, and only to an https endpoint.
fn check_codes(profile: PayloadProfile, include_codes: bool, url: &str) -> Result<i64, ApiError> {
    if !include_codes {
        return Ok(0);
    }
    if profile != PayloadProfile::Hubble {
        return Err(ApiError::validation(vec![("includeCodes", "only a hubble payload profile carries codes".into())]));
    }
    if !url.starts_with("https://") {
        return Err(ApiError::validation(vec![("includeCodes", "codes are sent only to an https endpoint".into())]));
    }
    Ok(1)
}

fn check_max_in_flight(n: i64) -> Result<i64, ApiError> {
    if (1..=256).contains(&n) { Ok(n) } else { Err(ApiError::validation(vec![("maxInFlight", "must be between 1 and 256".into())])) }
}

/// Adds an endpoint to a partner; returns it with its secret (shown once).
pub async fn create(
    db: &Db,
    to: &Destinations,
    partner_id: &PartnerId,
    new: NewEndpoint,
    default_in_flight: i64,
) -> Result<EndpointWithSecret, ApiError> {
    let url = to.check_for_save(&new.url).await.map_err(|e| ApiError::validation(vec![("url", e)]))?;
    let profile = new.payload_profile.unwrap_or(PayloadProfile::Tessera);
    let scheme = new.scheme.unwrap_or(match profile {
        PayloadProfile::Tessera => Scheme::Tessera,
        PayloadProfile::Hubble => Scheme::Hubble,
        PayloadProfile::Spaaza => Scheme::Spaaza,
    });
    let include_codes = check_codes(profile, new.include_codes.unwrap_or(false), url.as_str())?;
    let secret = match new.secret {
        Some(s) => {
            scheme.check_secret(&s).map_err(|e| ApiError::validation(vec![("secret", e)]))?;
            s
        }
        None => scheme.new_secret(),
    };
    let types = check_event_types(new.event_types.as_deref().unwrap_or_default())?;
    let in_flight = check_max_in_flight(new.max_in_flight.unwrap_or(default_in_flight))?;
    let description = check_description(new.description)?;
    crate::partners::get(db, partner_id).await?;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, partner_id, url, description, scheme, event_types, secret, max_in_flight, created_at, updated_at, \
         payload_profile, include_codes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)",
    )
    .bind(&id)
    .bind(partner_id)
    .bind(url.as_str())
    .bind(description.unwrap_or_default())
    .bind(scheme.as_str())
    .bind(types)
    .bind(&secret)
    .bind(in_flight)
    .bind(now)
    .bind(profile)
    .bind(include_codes)
    .execute(db.write_pool())
    .await?;
    Ok(EndpointWithSecret { endpoint: get(db, Scope::Partner(partner_id), &id).await?, secret })
}

/// One endpoint; for a partner's scope, only that partner's (another's is a 404).
pub async fn get(db: &Db, scope: Scope<'_>, id: &str) -> Result<Endpoint, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1 AND (partner_id = $2 OR $2 IS NULL)"));
    let row: Option<Endpoint> = sqlx::query_as(sql).bind(id).bind(scope.partner()).fetch_optional(db.pool()).await?;
    row.map(|e| e.seen_at(now_ms())).ok_or_else(|| ApiError::not_found("No such webhook endpoint."))
}

pub async fn list(db: &Db, partner_id: &PartnerId) -> Result<Vec<Endpoint>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE partner_id = $1 ORDER BY created_at, id"));
    let rows: Vec<Endpoint> = sqlx::query_as(sql).bind(partner_id).fetch_all(db.pool()).await?;
    let now = now_ms();
    Ok(rows.into_iter().map(|e| e.seen_at(now)).collect())
}

pub async fn update(db: &Db, to: &Destinations, scope: Scope<'_>, id: &str, change: EndpointUpdate) -> Result<Endpoint, ApiError> {
    let current = get(db, scope, id).await?;
    let url = match &change.url {
        Some(u) => to.check_for_save(u).await.map_err(|e| ApiError::validation(vec![("url", e)]))?.to_string(),
        None => current.url,
    };
    let kept: Vec<String> = current.event_types.0.iter().map(|t| t.as_str().to_string()).collect();
    let types = check_event_types(change.event_types.as_deref().unwrap_or(&kept))?;
    let in_flight = check_max_in_flight(change.max_in_flight.unwrap_or(current.max_in_flight))?;
    let description = check_description(change.description)?;
    let profile = change.payload_profile.unwrap_or(current.payload_profile);
    // A change of profile or address drops an opt-in it no longer allows only when asked; else it is refused.
    let include_codes = check_codes(profile, change.include_codes.unwrap_or(current.include_codes.0), &url)?;
    sqlx::query(
        "UPDATE webhook_endpoints SET url = $2, event_types = $3, description = $4, max_in_flight = $5, updated_at = $6, \
         payload_profile = $7, include_codes = $8 WHERE id = $1",
    )
    .bind(id)
    .bind(url)
    .bind(types)
    .bind(description.unwrap_or(current.description))
    .bind(in_flight)
    .bind(now_ms())
    .bind(profile)
    .bind(include_codes)
    .execute(db.write_pool())
    .await?;
    get(db, scope, id).await
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete(db: &Db, scope: Scope<'_>, id: &str) -> Result<(), ApiError> {
    get(db, scope, id).await?;
    let mut tx = db.begin_write().await?;
    for sql in [
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
        "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
        "DELETE FROM webhook_endpoints WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Replaces the signing secret; the old one keeps signing too (a second
/// signature, for the schemes that carry two) for `grace_ms`.
pub async fn rotate_secret(db: &Db, scope: Scope<'_>, id: &str, grace_ms: i64) -> Result<EndpointWithSecret, ApiError> {
    let current = get(db, scope, id).await?;
    let secret = current.scheme.new_secret();
    let now = now_ms();
    sqlx::query(
        "UPDATE webhook_endpoints SET secret_previous = secret, secret_previous_until = $2, secret = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(now + grace_ms.max(0))
    .bind(&secret)
    .bind(now)
    .execute(db.write_pool())
    .await?;
    Ok(EndpointWithSecret { endpoint: get(db, scope, id).await?, secret })
}

/// Turns a disabled endpoint back on. Deliveries that failed meanwhile stay
/// failed until recovered ([`queue::recover`]).
pub async fn enable(db: &Db, scope: Scope<'_>, id: &str) -> Result<Endpoint, ApiError> {
    get(db, scope, id).await?;
    sqlx::query(
        "UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL, disabled_at = NULL, failing_since = NULL, \
         updated_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now_ms())
    .execute(db.write_pool())
    .await?;
    get(db, scope, id).await
}

/// Turns an endpoint off by hand; its waiting deliveries fail (recoverable).
pub async fn disable(db: &Db, scope: Scope<'_>, id: &str) -> Result<Endpoint, ApiError> {
    get(db, scope, id).await?;
    let mut tx = db.begin_write().await?;
    queue::disable_in(&mut tx, id, DisabledReason::Operator, now_ms()).await?;
    tx.commit().await?;
    get(db, scope, id).await
}
