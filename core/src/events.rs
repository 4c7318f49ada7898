//! The event outbox (SPEC §5): every event is written in the same transaction
//! as the change it reports. The envelope is seed 003's `{id, type, createdAt, data}`.

use crate::{
    clock::{now_ms, to_rfc3339},
    db::Db,
    error::ApiError,
    ids::new_id,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const CLAIM_CREATED: &str = "CLAIM_CREATED";
pub const REDEMPTION_CREATED: &str = "REDEMPTION_CREATED";
pub const VOUCHER_PUBLISHED: &str = "VOUCHER_PUBLISHED";
pub const VOUCHER_ISSUED: &str = "VOUCHER_ISSUED";
pub const MERCHANT_CREATED: &str = "MERCHANT_CREATED";
pub const MERCHANT_DISABLED: &str = "MERCHANT_DISABLED";
pub const VOUCHER_ARCHIVED: &str = "VOUCHER_ARCHIVED";
pub const TYPES: &[&str] = &[
    CLAIM_CREATED,
    REDEMPTION_CREATED,
    VOUCHER_PUBLISHED,
    VOUCHER_ISSUED,
    MERCHANT_CREATED,
    MERCHANT_DISABLED,
    VOUCHER_ARCHIVED,
];

/// Writes a catalog event (one per partner: the catalog is shared) in the
/// caller's transaction. Partners are few; this is not a fan-out to users.
pub async fn enqueue_for_every_partner(tx: &mut sqlx::AnyConnection, kind: &str, data: Value) -> Result<usize, ApiError> {
    let partners: Vec<(String,)> = sqlx::query_as("SELECT id FROM partners ORDER BY id").fetch_all(&mut *tx).await?;
    for (partner,) in &partners {
        enqueue(tx, partner, kind, None, data.clone()).await?;
    }
    Ok(partners.len())
}

/// Writes one event in the caller's transaction; returns its id.
pub async fn enqueue(
    tx: &mut sqlx::AnyConnection,
    partner_id: &str,
    kind: &str,
    user_id: Option<&str>,
    data: Value,
) -> Result<String, ApiError> {
    let event = NewEvent::new(kind, data);
    sqlx::query("INSERT INTO events (id, partner_id, type, user_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&event.id)
        .bind(partner_id)
        .bind(kind)
        .bind(user_id)
        .bind(event.payload)
        .bind(event.created_at)
        .execute(&mut *tx)
        .await?;
    Ok(event.id)
}

/// An event about to be written: its id, time and JSON body as partners receive it.
pub struct NewEvent {
    pub id: String,
    pub created_at: i64,
    pub payload: String,
}

impl NewEvent {
    pub fn new(kind: &str, data: Value) -> Self {
        let id = new_id();
        let created_at = now_ms();
        let payload = json!({ "id": id, "type": kind, "createdAt": to_rfc3339(created_at), "data": data }).to_string();
        NewEvent { id, created_at, payload }
    }
}

/// An event as partners receive it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub items: Vec<Event>,
    /// Pass as `after` to read on; absent when there is nothing more now.
    pub next_after: Option<String>,
}

/// A partner's events in order, after the event id `after`, optionally of one type.
pub async fn list(db: &Db, partner_id: &str, after: Option<&str>, kind: Option<&str>, limit: i64) -> Result<EventPage, ApiError> {
    if let Some(k) = kind {
        if !TYPES.contains(&k) {
            return Err(ApiError::validation(vec![("type", format!("must be one of {}", TYPES.join(", ")))]));
        }
    }
    let limit = limit.clamp(1, 500);
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT payload FROM events WHERE partner_id = $1 AND id > $2 AND ($3 = '' OR type = $3) ORDER BY id LIMIT $4",
    )
    .bind(partner_id)
    .bind(after.unwrap_or(""))
    .bind(kind.unwrap_or(""))
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Event> = rows
        .into_iter()
        .take(limit as usize)
        .filter_map(|(p,)| serde_json::from_str(&p).ok())
        .collect();
    let next_after = if more { items.last().map(|e| e.id.clone()) } else { None };
    Ok(EventPage { items, next_after })
}
