//! The event outbox (SPEC §5): every event is written in the same transaction
//! as the change it reports. The envelope is seed 003's `{id, type, createdAt, data}`.

use crate::types::{PartnerId, UserId};
use crate::{
    clock::{now_ms, to_rfc3339},
    db::{Backend, Db},
    error::ApiError,
    ids::new_id,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use crate::types::EventType;

/// Writes a catalog event (one per partner: the catalog is shared) in the
/// caller's transaction. Partners are few; this is not a fan-out to users.
pub async fn enqueue_for_every_partner(tx: &mut sqlx::AnyConnection, kind: EventType, data: Value) -> Result<usize, ApiError> {
    let partners: Vec<(PartnerId,)> = sqlx::query_as("SELECT id FROM partners ORDER BY id").fetch_all(&mut *tx).await?;
    for (partner,) in &partners {
        enqueue(tx, partner, kind, None, data.clone()).await?;
    }
    Ok(partners.len())
}

/// Writes one event in the caller's transaction; returns its id.
pub async fn enqueue(
    tx: &mut sqlx::AnyConnection,
    partner_id: &PartnerId,
    kind: EventType,
    user_id: Option<&UserId>,
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
    pub fn new(kind: EventType, data: Value) -> Self {
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
    pub kind: EventType,
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

/// Most events given positions by one [`sequence`] statement.
pub const SEQUENCE_BATCH: i64 = 5_000;

/// Gives the events that committed since the last run their feed positions
/// (`seq`), oldest id first, and in the same transaction their webhook
/// deliveries (`webhooks::queue::dispatch_sequenced`); answers how many. One sequencer at a time:
/// on SQLite the single writer, on PostgreSQL a transaction-scoped advisory
/// lock held until the positions commit. So positions commit in the order
/// they are given, every reader sees a prefix of them, and an event that
/// commits later always gets a later position than any a reader has seen.
///
/// With `wait` false, a PostgreSQL caller finding another sequencing returns
/// 0 at once instead of queueing behind it (the worker: the other is doing
/// its work).
pub async fn sequence(db: &Db, wait: bool) -> Result<u64, ApiError> {
    let backend = db.backend();
    db.write(move |tx| {
        Box::pin(async move {
            let Some(last) = hold_sequencer(tx, backend, wait).await? else {
                return Ok(0);
            };
            let done = sqlx::query(
                "UPDATE events SET seq = $1 + r.n FROM \
                 (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM \
                   (SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT $2) AS pending) AS r \
                 WHERE events.id = r.id",
            )
            .bind(last)
            .bind(SEQUENCE_BATCH)
            .execute(&mut *tx)
            .await?;
            let n = done.rows_affected();
            if n > 0 {
                crate::webhooks::queue::dispatch_sequenced(tx, last, last + n as i64, crate::clock::now_ms()).await?;
            }
            Ok::<_, ApiError>(n)
        })
    })
    .await
}

/// Becomes the one sequencer until the caller's transaction ends (see
/// [`sequence`]) and answers the last position given, from which the caller
/// may give the next ones in this transaction. `None`: another holds it and
/// the caller would not `wait` (PostgreSQL only).
///
/// Besides [`sequence`], a fan-out's batch (`fanout`) writes its events with
/// their positions under it, so a million events are not each written twice.
pub(crate) async fn hold_sequencer(tx: &mut sqlx::AnyConnection, backend: Backend, wait: bool) -> Result<Option<i64>, ApiError> {
    if let Some(lock) = backend.sequencer_lock(wait) {
        let (got,): (bool,) = sqlx::query_as(lock).fetch_one(&mut *tx).await?;
        if !got {
            return Ok(None);
        }
    }
    let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM events").fetch_one(&mut *tx).await?;
    Ok(Some(last))
}

/// [`sequence`], if any event waits for its position (looked for on a
/// reader first, so an idle caller does not take the writer).
pub async fn sequence_if_any(db: &Db, wait: bool) -> Result<u64, ApiError> {
    let pending: Option<(String,)> = sqlx::query_as("SELECT id FROM events WHERE seq IS NULL LIMIT 1").fetch_optional(db.pool()).await?;
    if pending.is_none() {
        return Ok(0);
    }
    sequence(db, wait).await
}

/// Sequences until nothing committed is left without a position (a bounded
/// number of rounds: a reader is not held up by a flood; what is left shows
/// on its next read).
pub async fn sequence_pending(db: &Db) -> Result<(), ApiError> {
    for _ in 0..20 {
        if sequence_if_any(db, true).await? < SEQUENCE_BATCH as u64 {
            return Ok(());
        }
    }
    Ok(())
}

/// A partner's events newest first (for people reading the portal, not for
/// a backend catching up: that is [`list`]'s order), optionally of one type,
/// older than `before` (the `(createdAt, id)` of the last one seen).
pub async fn recent(
    db: &Db,
    partner_id: &PartnerId,
    kind: Option<EventType>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Event>, ApiError> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT payload FROM events WHERE partner_id = $1 AND (type = $2 OR $2 IS NULL) \
         AND (created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT $5",
    )
    .bind(partner_id)
    .bind(kind)
    .bind(at)
    .bind(id)
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(|(p,)| serde_json::from_str(&p).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))).collect()
}

/// A partner's events in feed order (see [`sequence`]), after the event
/// `after` (an id from a page or a webhook), optionally of one type.
pub async fn list(
    db: &Db,
    partner_id: &PartnerId,
    after: Option<&str>,
    kind: Option<EventType>,
    limit: i64,
) -> Result<EventPage, ApiError> {
    let limit = limit.clamp(1, 500);
    sequence_pending(db).await?;
    let from = match after.filter(|a| !a.is_empty()) {
        None => 0,
        Some(id) => {
            let found: Option<(Option<i64>,)> = sqlx::query_as("SELECT seq FROM events WHERE id = $1 AND partner_id = $2")
                .bind(id)
                .bind(partner_id)
                .fetch_optional(db.pool())
                .await?;
            match found {
                Some((Some(seq),)) => seq,
                // It committed after this read's sequencing: nothing after it is listed yet.
                Some((None,)) => return Ok(EventPage { items: Vec::new(), next_after: None }),
                None => {
                    return Err(ApiError::validation(vec![(
                        "after",
                        "is not the id of one of your events (or the event is older than the retention, 30 days by default); pass nextAfter from a page, or an event id you received".into(),
                    )]));
                }
            }
        }
    };
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM events WHERE partner_id = $1 AND seq > $2 AND (type = $3 OR $3 IS NULL) ORDER BY seq LIMIT $4")
            .bind(partner_id)
            .bind(from)
            .bind(kind)
            .bind(limit + 1)
            .fetch_all(db.pool())
            .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Event> = rows.into_iter().take(limit as usize).filter_map(|(p,)| serde_json::from_str(&p).ok()).collect();
    let next_after = if more { items.last().map(|e| e.id.clone()) } else { None };
    Ok(EventPage { items, next_after })
}
