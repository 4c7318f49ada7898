//! The delivery queue: one row per (event, endpoint), leased by a worker while
//! in flight, every attempt recorded.
//!
//! Guarantees, on both engines and with any number of instances on one
//! PostgreSQL: a delivery is created once per event and endpoint (unique
//! index); it is in flight at one instance at a time (a lease taken with a
//! conditional UPDATE — `FOR UPDATE SKIP LOCKED` on PostgreSQL); a crashed
//! instance's leases expire and the deliveries go out again (at least once).

use super::Scheme;
use crate::config::Backend;
use crate::error::ErrorCode;
use crate::types::{DeliveryStatus, DisabledReason, EndpointStatus, EventType, Scope, Timestamp};
use crate::{
    clock::{now_ms, to_rfc3339},
    db::Db,
    error::ApiError,
    events::Event,
    ids::new_id,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Turns the events just given feed positions `from_seq + 1 ..= to_seq` into
/// deliveries, in the transaction that gave them (`events::sequence`): one per
/// endpoint of the event's partner that takes its type and existed when the
/// event happened (an endpoint added later gets older events only by resend;
/// deliveries to a disabled endpoint are recorded as failed, so they can be
/// recovered). One statement, a range of `events_by_seq`; no event row is
/// written again to mark it dispatched.
pub(crate) async fn dispatch_sequenced(tx: &mut sqlx::AnyConnection, from_seq: i64, to_seq: i64, now: i64) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, partner_id, status, next_attempt_at, last_error, created_at, updated_at) \
         SELECT e.id || '.' || w.id, e.id, w.id, e.partner_id, \
           CASE WHEN w.status = 'enabled' THEN 'pending' ELSE 'failed' END, $3, \
           CASE WHEN w.status = 'enabled' THEN NULL ELSE 'the endpoint was disabled' END, $3, $3 \
         FROM events e JOIN webhook_endpoints w ON w.partner_id = e.partner_id AND w.created_at <= e.created_at \
           AND (w.event_types = '' OR w.event_types LIKE '%,' || e.type || ',%') \
         WHERE e.seq > $1 AND e.seq <= $2 \
         ON CONFLICT (event_id, endpoint_id) DO NOTHING",
    )
    .bind(from_seq)
    .bind(to_seq)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An endpoint with due deliveries, as the worker needs it to send.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    pub id: String,
    pub url: String,
    pub scheme: String,
    pub secret: String,
    pub secret_previous: Option<String>,
    pub secret_previous_until: Option<i64>,
    pub max_in_flight: i64,
    pub payload_profile: super::PayloadProfile,
    #[sqlx(try_from = "i64")]
    pub include_codes: super::Flag,
    /// `url` parsed, once per lookup rather than for each delivery ([`Target::parsed`]).
    #[sqlx(skip)]
    pub parsed: Option<url::Url>,
}

impl Target {
    /// The same target with its URL parsed (left unparsed if it does not
    /// parse: each send then reports why).
    pub fn parsed(mut self) -> Self {
        self.parsed = url::Url::parse(self.url.trim()).ok();
        self
    }

    pub fn scheme(&self) -> Scheme {
        Scheme::parse(&self.scheme).unwrap_or(Scheme::Tessera)
    }

    /// The secrets to sign with now: the current one, then the previous while it lasts.
    pub fn secrets(&self, now: i64) -> Vec<&str> {
        let mut s = vec![self.secret.as_str()];
        if let (Some(prev), Some(until)) = (&self.secret_previous, self.secret_previous_until)
            && until > now
        {
            s.push(prev);
        }
        s
    }
}

/// One endpoint as the worker sends to it (secrets included: never shown),
/// whatever its status; another partner's is a 404.
pub async fn target(db: &Db, scope: Scope<'_>, endpoint_id: &str) -> Result<Target, ApiError> {
    let found: Option<Target> = sqlx::query_as(
        "SELECT w.id, w.url, w.scheme, w.secret, w.secret_previous, w.secret_previous_until, w.max_in_flight, \
         w.payload_profile, w.include_codes FROM webhook_endpoints w WHERE w.id = $1 AND (w.partner_id = $2 OR $2 IS NULL)",
    )
    .bind(endpoint_id)
    .bind(scope.partner())
    .fetch_optional(db.pool())
    .await?;
    found.ok_or_else(|| ApiError::not_found("No such webhook endpoint."))
}

/// A delivery leased to this instance.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Leased {
    pub id: String,
    pub event_id: String,
    pub endpoint_id: String,
    pub attempts: i64,
    pub retry_step: i64,
    pub next_attempt_at: i64,
    pub payload: String,
}

/// Endpoint `$1`'s live leases at `$2`, across every instance (a range of `webhook_deliveries_ready`).
pub const IN_FLIGHT: &str = "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' AND lease_until > $2";

/// Endpoint `$1`'s leases that lapsed by `$2` (a crashed instance's, or one
/// whose renewal stalled), given back so they are leased again.
pub const GIVE_BACK_LAPSED: &str = "UPDATE webhook_deliveries SET lease_until = 0, leased_by = NULL \
     WHERE endpoint_id = $1 AND status = 'pending' AND lease_until > 0 AND lease_until <= $2";

/// The code and PIN of the gift card an order event reports, for a hubble
/// endpoint that opted in (read when sending: codes are never stored in an event).
pub async fn card_codes(db: &Db, event_payload: &str) -> Result<Option<super::profiles::CardCodes>, ApiError> {
    let order_id =
        serde_json::from_str::<serde_json::Value>(event_payload).ok().and_then(|e| e["data"]["orderId"].as_str().map(str::to_owned));
    let Some(order_id) = order_id else { return Ok(None) };
    let found: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT card_number, card_pin FROM gift_cards WHERE order_id = $1").bind(order_id).fetch_optional(db.pool()).await?;
    Ok(found.map(|(card_number, card_pin)| super::profiles::CardCodes { card_number, card_pin }))
}

/// Enabled endpoints that have deliveries due by `$1` (not leased, or leased
/// and lapsed): the first entry of each of two ranges of
/// `webhook_deliveries_ready` per endpoint. Written as MIN, not EXISTS: with
/// fresh statistics of a queue that is all due, PostgreSQL plans an EXISTS as
/// a scan of the table (the first row would do) — a plan that turns into a
/// scan of every delivered row once the queue has drained.
pub const DUE_TARGETS: &str = "SELECT w.id, w.url, w.scheme, w.secret, w.secret_previous, w.secret_previous_until, w.max_in_flight, \
     w.payload_profile, w.include_codes FROM webhook_endpoints w WHERE w.status = 'enabled' AND (\
       (SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.status = 'pending' \
         AND d.lease_until = 0) <= $1 \
       OR (SELECT MIN(d.lease_until) FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.status = 'pending' \
         AND d.lease_until > 0) <= $1)";

/// Enabled endpoints that have deliveries due now ([`DUE_TARGETS`]).
pub async fn due_targets(db: &Db, now: i64) -> Result<Vec<Target>, ApiError> {
    Ok(sqlx::query_as(DUE_TARGETS).bind(now).fetch_all(db.pool()).await?)
}

/// What a [`lease`] got.
pub struct Leases {
    pub deliveries: Vec<Leased>,
    /// Fewer were due than it was allowed to take: nothing more is due now
    /// (from where it looked). False when the endpoint's slots were full.
    pub drained: bool,
}

/// What a [`lease`] asks for.
pub struct Ask<F> {
    /// At most this many deliveries.
    pub limit: i64,
    /// Due no earlier than this (0: any).
    pub from: i64,
    /// How many of the endpoint's leases held here are answered and being recorded.
    pub answered: F,
}

/// Leases up to `limit` due deliveries of one endpoint to `instance` until
/// `now + lease`, oldest due first, and never so many that the endpoint has
/// more than its `maxInFlight` leased at once across every instance: the
/// endpoint's row is locked while its live leases are counted (PostgreSQL;
/// SQLite has one writer). Concurrent instances never lease the same
/// delivery (PostgreSQL skips rows another instance is taking). Four
/// statements a call whatever the batch, each an index range, and the
/// deliveries come back with their events' bodies.
///
/// `from` is the earliest due time to look at (0: every one; see the
/// worker's marks). `answered` says how many of this endpoint's leases this instance holds for
/// deliveries whose HTTP call is over (the answer is being recorded): they
/// take no slot at the receiver. It is read after the live leases are
/// counted, and the caller must stop counting a delivery there before its
/// record commits, so a slot is never counted free twice.
pub async fn lease<F>(db: &Db, endpoint_id: &str, instance: &str, now: i64, lease: Duration, ask: Ask<F>) -> Result<Leases, ApiError>
where
    F: Fn() -> i64 + Send + 'static,
{
    let Ask { limit, from, answered } = ask;
    if limit <= 0 {
        return Ok(Leases { deliveries: Vec::new(), drained: false });
    }
    let backend = db.backend();
    let sql = sqlx::AssertSqlSafe(backend.lease_due_deliveries());
    let until = now + lease.as_millis() as i64;
    let endpoint = endpoint_id.to_string();
    let who = instance.to_string();
    let (mut leased, allowed): (Vec<Leased>, i64) = db
        .write(move |tx| {
            Box::pin(async move {
                let Some((max_in_flight,)): Option<(i64,)> =
                    sqlx::query_as(backend.lock_endpoint()).bind(&endpoint).fetch_optional(&mut *tx).await?
                else {
                    return Ok((Vec::new(), 0));
                };
                // Lapsed leases are looked for when looking from the start (a mark is at
                // most a second old): on PostgreSQL the range walks the entries of every
                // lease settled since the last vacuum, too much for each call.
                if from == 0 {
                    sqlx::query(GIVE_BACK_LAPSED).bind(&endpoint).bind(now).execute(&mut *tx).await?;
                }
                let (busy,): (i64,) = sqlx::query_as(IN_FLIGHT).bind(&endpoint).bind(now).fetch_one(&mut *tx).await?;
                let limit = limit.min(max_in_flight - (busy - answered()).max(0));
                if limit <= 0 {
                    return Ok((Vec::new(), 0));
                }
                let leased =
                    sqlx::query_as(sql).bind(until).bind(now).bind(&endpoint).bind(limit).bind(&who).bind(from).fetch_all(&mut *tx).await?;
                Ok::<_, sqlx::Error>((leased, limit))
            })
        })
        .await?;
    // RETURNING promises no order.
    leased.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
    let drained = (leased.len() as i64) < allowed;
    Ok(Leases { deliveries: leased, drained })
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub delivery_id: String,
    pub endpoint_id: String,
    pub retry_step: i64,
    pub attempted_at: i64,
    pub latency_ms: i64,
    /// None when no HTTP answer came.
    pub status: Option<u16>,
    /// The start of the answer's body (at most 4 KiB).
    pub body: String,
    pub error: Option<String>,
    /// The receiver's Retry-After, if any.
    pub retry_after: Option<Duration>,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What recording decided for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Retry scheduled in this many milliseconds.
    Retry(i64),
    /// Given up: the schedule is exhausted, or the endpoint is gone or disabled.
    Failed,
}

/// The most a receiver's `Retry-After` can delay one attempt.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(10 * 3600);

/// The retry policy, as Svix's: the schedule's delay for the failure at
/// `step` (0-based) with ±10 % jitter; a receiver's `Retry-After` may only
/// push that later (up to [`RETRY_AFTER_CAP`]), never sooner, and is never
/// jittered below what it asked for. So a receiver answering `Retry-After: 1`
/// cannot make the schedule run out in seconds, and no attempt comes before
/// the time the receiver named. None once the schedule is exhausted.
pub fn retry_delay(schedule: &[Duration], step: i64, retry_after: Option<Duration>) -> Option<i64> {
    let base = *schedule.get(usize::try_from(step).ok()?)?;
    let jitter = 0.9 + rand::random::<f64>() * 0.2;
    let scheduled = (base.as_millis() as f64 * jitter).round() as i64;
    let asked = retry_after.map_or(0, |ra| ra.min(RETRY_AFTER_CAP).as_millis() as i64);
    Some(scheduled.max(asked))
}

/// Records attempts and moves each delivery on (delivered, retry, failed);
/// a 410 disables its endpoint, as do `disable_after` of failures. Only
/// deliveries still leased by `instance` move (a lease that expired belongs to
/// whoever took it next); every attempt is recorded regardless. One
/// transaction and two statements for the whole batch (the attempts, the
/// deliveries), then one or two for each endpoint in it.
pub async fn record(
    db: &Db,
    instance: &str,
    outcomes: Vec<Outcome>,
    schedule: Vec<Duration>,
    disable_after: Duration,
) -> Result<Vec<Next>, ApiError> {
    let instance = instance.to_string();
    let backend = db.backend();
    db.write(move |tx| {
        Box::pin(async move {
            let now = now_ms();
            let decided: Vec<Next> = outcomes
                .iter()
                .map(|o| {
                    if o.delivered() {
                        Next::Delivered
                    } else if o.status == Some(410) {
                        Next::Failed
                    } else {
                        retry_delay(&schedule, o.retry_step, o.retry_after).map_or(Next::Failed, Next::Retry)
                    }
                })
                .collect();
            record_attempts(tx, backend, &instance, &outcomes).await?;
            move_deliveries(tx, backend, &instance, &outcomes, &decided, now).await?;
            for (endpoint, health) in endpoint_health(&outcomes) {
                match health {
                    Health::Gone => disable_in(tx, endpoint, DisabledReason::Gone, now).await?,
                    Health::Succeeding => {
                        sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
                            .bind(endpoint)
                            .execute(&mut *tx)
                            .await?;
                    }
                    Health::Failing { since, after_success } => {
                        // Failing since the first failure after its last success: this batch's, or an earlier one's.
                        let set = if after_success {
                            "UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1"
                        } else {
                            "UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL"
                        };
                        sqlx::query(set).bind(endpoint).bind(since).execute(&mut *tx).await?;
                        // The endpoint may be gone (deleted while the attempt was in flight).
                        let failing_since: Option<(Option<i64>,)> =
                            sqlx::query_as("SELECT failing_since FROM webhook_endpoints WHERE id = $1")
                                .bind(endpoint)
                                .fetch_optional(&mut *tx)
                                .await?;
                        if failing_since.and_then(|(since,)| since).is_some_and(|since| now - since >= disable_after.as_millis() as i64) {
                            disable_in(tx, endpoint, DisabledReason::Failing, now).await?;
                        }
                    }
                }
            }
            Ok::<_, ApiError>(decided)
        })
    })
    .await
}

/// The attempts, one INSERT for the batch; a delivery gone meanwhile (its endpoint deleted) has none.
async fn record_attempts(tx: &mut sqlx::AnyConnection, backend: Backend, instance: &str, outcomes: &[Outcome]) -> Result<(), ApiError> {
    let v = backend.json_rows(
        "$2",
        &[
            ("id", "TEXT"),
            ("delivery_id", "TEXT"),
            ("attempted_at", "BIGINT"),
            ("status_code", "BIGINT"),
            ("latency_ms", "BIGINT"),
            ("response_body", "TEXT"),
            ("error", "TEXT"),
        ],
    );
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, latency_ms, response_body, error, instance) \
         SELECT v.id, v.delivery_id, v.attempted_at, v.status_code, v.latency_ms, v.response_body, v.error, $1 FROM {v} AS v \
         WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = v.delivery_id)"
    ));
    /// One row of the batch, written straight to JSON text (no map per row, no copy of the body).
    #[derive(Serialize)]
    struct Row<'a> {
        id: String,
        delivery_id: &'a str,
        attempted_at: i64,
        status_code: Option<u16>,
        latency_ms: i64,
        response_body: &'a str,
        error: Option<&'a str>,
    }
    let rows: Vec<Row> = outcomes
        .iter()
        .map(|o| Row {
            id: new_id(),
            delivery_id: &o.delivery_id,
            attempted_at: o.attempted_at,
            status_code: o.status,
            latency_ms: o.latency_ms,
            response_body: &o.body,
            error: o.error.as_deref(),
        })
        .collect();
    sqlx::query(sql).bind(instance).bind(batch_json(&rows)?).execute(&mut *tx).await?;
    Ok(())
}

/// A batch's rows as the one JSON array parameter its statement reads ([`Backend::json_rows`]).
fn batch_json<T: Serialize>(rows: &[T]) -> Result<String, ApiError> {
    serde_json::to_string(rows).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

/// Moves deliveries still leased by instance `$1` on, as of `$2`, as the JSON
/// rows `$3` say (id, status, retry_step, next_attempt_at, last_status,
/// last_error): one UPDATE joined on the primary key alone (`leased_by` is
/// set only while pending, so no status condition is needed that could lead
/// the planner to another index).
pub fn settle_statement(backend: Backend) -> String {
    let v = backend.json_rows(
        "$3",
        &[
            ("id", "TEXT"),
            ("status", "TEXT"),
            ("retry_step", "BIGINT"),
            ("next_attempt_at", "BIGINT"),
            ("last_status", "BIGINT"),
            ("last_error", "TEXT"),
        ],
    );
    format!(
        "UPDATE webhook_deliveries SET status = v.status, attempts = webhook_deliveries.attempts + 1, retry_step = v.retry_step, \
           next_attempt_at = v.next_attempt_at, lease_until = 0, leased_by = NULL, last_status = v.last_status, last_error = v.last_error, \
           updated_at = $2, delivered_at = CASE WHEN v.status = 'delivered' THEN $2 ELSE webhook_deliveries.delivered_at END \
         FROM {v} AS v WHERE webhook_deliveries.id = v.id AND webhook_deliveries.leased_by = $1"
    )
}

/// The deliveries still leased by `instance` moved on as `decided` ([`settle_statement`]).
async fn move_deliveries(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    instance: &str,
    outcomes: &[Outcome],
    decided: &[Next],
    now: i64,
) -> Result<(), ApiError> {
    let sql = sqlx::AssertSqlSafe(settle_statement(backend));
    #[derive(Serialize)]
    struct Row<'a> {
        id: &'a str,
        status: &'static str,
        retry_step: i64,
        next_attempt_at: i64,
        last_status: Option<u16>,
        last_error: Option<&'a str>,
    }
    let rows: Vec<Row> = outcomes
        .iter()
        .zip(decided)
        .map(|(o, next)| {
            let (status, next_attempt_at, retry_step) = match next {
                Next::Delivered => (DeliveryStatus::Delivered, now, o.retry_step),
                Next::Retry(ms) => (DeliveryStatus::Pending, now + ms, o.retry_step + 1),
                Next::Failed => (DeliveryStatus::Failed, now, o.retry_step + 1),
            };
            Row {
                id: &o.delivery_id,
                status: status.as_str(),
                retry_step,
                next_attempt_at,
                last_status: o.status,
                last_error: o.error.as_deref(),
            }
        })
        .collect();
    sqlx::query(sql).bind(instance).bind(now).bind(batch_json(&rows)?).execute(&mut *tx).await?;
    Ok(())
}

/// What a batch of outcomes says of an endpoint's health.
#[derive(Debug, PartialEq, Eq)]
enum Health {
    /// It answered 410: disable it.
    Gone,
    /// Its last attempt in the batch succeeded.
    Succeeding,
    /// Its last attempt failed; `since` the first failure after its last
    /// success in the batch (`after_success`), or the batch's first failure.
    Failing { since: i64, after_success: bool },
}

/// Each endpoint's [`Health`] after the batch, taking its outcomes in the order they were attempted.
fn endpoint_health(outcomes: &[Outcome]) -> Vec<(&str, Health)> {
    let mut sorted: Vec<&Outcome> = outcomes.iter().collect();
    sorted.sort_by_key(|o| o.attempted_at);
    let mut out: Vec<(&str, Health)> = Vec::new();
    for o in sorted {
        let known = out.iter().position(|(e, _)| *e == o.endpoint_id);
        let next = match (known.map(|i| &out[i].1), o.delivered()) {
            (Some(Health::Gone), _) => Health::Gone,
            _ if o.status == Some(410) => Health::Gone,
            (_, true) => Health::Succeeding,
            (Some(Health::Succeeding), false) => Health::Failing { since: o.attempted_at, after_success: true },
            (Some(Health::Failing { since, after_success }), false) => Health::Failing { since: *since, after_success: *after_success },
            (None, false) => Health::Failing { since: o.attempted_at, after_success: false },
        };
        match known {
            Some(i) => out[i].1 = next,
            None => out.push((&o.endpoint_id, next)),
        }
    }
    out
}

/// Disables an endpoint inside a transaction; its waiting deliveries fail.
pub(crate) async fn disable_in(tx: &mut sqlx::AnyConnection, endpoint_id: &str, reason: DisabledReason, now: i64) -> Result<(), ApiError> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, disabled_at = $3, updated_at = $3 \
         WHERE id = $1 AND status = 'enabled'",
    )
    .bind(endpoint_id)
    .bind(reason)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() > 0 {
        tracing::warn!(endpoint = endpoint_id, reason = reason.as_str(), "webhook endpoint disabled");
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the endpoint was disabled', updated_at = $2, \
               lease_until = 0, leased_by = NULL \
             WHERE endpoint_id = $1 AND status = 'pending' AND lease_until <= $2",
        )
        .bind(endpoint_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Extends the leases `instance` holds on `deliveries` (those still in
/// flight there) to `until`: a live worker's deliveries stay its own however
/// long a receiver takes, while a dead worker's expire one lease period after
/// its last heartbeat and a peer sends them.
pub async fn heartbeat(db: &Db, instance: &str, deliveries: &[String], until: i64) -> Result<u64, ApiError> {
    if deliveries.is_empty() {
        return Ok(0);
    }
    // The ids as one JSON parameter, whatever their number (see `Backend::json_rows`).
    let ids = db.backend().json_rows("$3", &[("id", "TEXT")]);
    let sql = sqlx::AssertSqlSafe(db.backend().extend_leases(&format!("SELECT id FROM {ids} AS ids")));
    #[derive(Serialize)]
    struct Row<'a> {
        id: &'a str,
    }
    let rows: Vec<Row> = deliveries.iter().map(|id| Row { id }).collect();
    let done = sqlx::query(sql).bind(until).bind(instance).bind(batch_json(&rows)?).execute(db.write_pool()).await?;
    Ok(done.rows_affected())
}

/// Gives back the leases `instance` holds (at shutdown), or every lease
/// (`None`: a SQLite server starting, the only instance there is).
pub async fn release(db: &Db, instance: Option<&str>) -> Result<u64, ApiError> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = 0, leased_by = NULL \
         WHERE status = 'pending' AND lease_until > 0 AND ($1 = '' OR leased_by = $1)",
    )
    .bind(instance.unwrap_or(""))
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected())
}

/// Sends an event again to every enabled endpoint of its partner that takes
/// its type, whatever happened before (the receiver dedupes by the event id).
/// Returns how many deliveries were queued.
pub async fn resend(db: &Db, scope: Scope<'_>, event_id: &str) -> Result<u64, ApiError> {
    let found: Option<(String,)> = sqlx::query_as("SELECT partner_id FROM events WHERE id = $1 AND (partner_id = $2 OR $2 IS NULL)")
        .bind(event_id)
        .bind(scope.partner())
        .fetch_optional(db.pool())
        .await?;
    if found.is_none() {
        return Err(ApiError::not_found("No such event."));
    }
    let now = now_ms();
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, partner_id, status, next_attempt_at, created_at, updated_at) \
         SELECT e.id || '.' || w.id, e.id, w.id, e.partner_id, 'pending', $2, $2, $2 \
         FROM events e JOIN webhook_endpoints w ON w.partner_id = e.partner_id AND w.status = 'enabled' \
           AND (w.event_types = '' OR w.event_types LIKE '%,' || e.type || ',%') \
         WHERE e.id = $1 \
         ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = 'pending', retry_step = 0, next_attempt_at = $2, \
           last_error = NULL, updated_at = $2",
    )
    .bind(event_id)
    .bind(now)
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected())
}

/// Queues again, due now and with a fresh schedule, every delivery to the
/// endpoint for an event since `since_ms` that failed (given up, or failed
/// because the endpoint was disabled) or is waiting out a backoff; what is in
/// flight is left alone.
pub async fn recover(db: &Db, scope: Scope<'_>, endpoint_id: &str, since_ms: i64) -> Result<u64, ApiError> {
    let endpoint = super::get(db, scope, endpoint_id).await?;
    if endpoint.status != EndpointStatus::Enabled {
        return Err(ApiError::new(ErrorCode::EndpointDisabled, "The endpoint is disabled; enable it, then recover."));
    }
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', retry_step = 0, next_attempt_at = $3, last_error = NULL, updated_at = $3 \
         WHERE endpoint_id = $1 AND created_at >= $2 \
           AND (status = 'failed' OR (status = 'pending' AND next_attempt_at > $3 AND lease_until <= $3))",
    )
    .bind(endpoint_id)
    .bind(since_ms)
    .bind(now)
    .execute(db.write_pool())
    .await?;
    Ok(done.rows_affected())
}

/// One delivery of an event to an endpoint, with its attempts.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub endpoint_id: String,
    /// The event's type.
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<Timestamp>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    /// Newest first; only in the event's detail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[sqlx(skip)]
    pub attempt_log: Vec<Attempt>,
}

/// One HTTP attempt.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub id: String,
    pub attempted_at: String,
    /// None when no HTTP answer came (see `error`).
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    /// The first 4 KiB of the answer.
    pub response_body: String,
    pub error: Option<String>,
}

/// A [`Delivery`]'s columns; the next attempt's time only while it is pending.
const DELIVERY_COLUMNS: &str = "id, event_id, endpoint_id, (SELECT e.type FROM events e WHERE e.id = event_id) AS event_type, status, attempts, \
     CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at, last_status, last_error, created_at, delivered_at";

/// An event with its deliveries and every attempt.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDetail {
    pub event: Event,
    pub deliveries: Vec<Delivery>,
}

pub async fn event_detail(db: &Db, scope: Scope<'_>, event_id: &str) -> Result<EventDetail, ApiError> {
    let found: Option<(String,)> = sqlx::query_as("SELECT payload FROM events WHERE id = $1 AND (partner_id = $2 OR $2 IS NULL)")
        .bind(event_id)
        .bind(scope.partner())
        .fetch_optional(db.pool())
        .await?;
    let event: Event = found.and_then(|(p,)| serde_json::from_str(&p).ok()).ok_or_else(|| ApiError::not_found("No such event."))?;
    let sql = sqlx::AssertSqlSafe(format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE event_id = $1 ORDER BY created_at, id"));
    let mut deliveries: Vec<Delivery> = sqlx::query_as(sql).bind(event_id).fetch_all(db.pool()).await?;
    /// (delivery, attempt, at, status, latency, body, error)
    type AttemptRow = (String, String, i64, Option<i64>, i64, String, Option<String>);
    let attempts: Vec<AttemptRow> = sqlx::query_as(
        "SELECT a.delivery_id, a.id, a.attempted_at, a.status_code, a.latency_ms, a.response_body, a.error \
         FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1 \
         ORDER BY a.attempted_at DESC, a.id DESC",
    )
    .bind(event_id)
    .fetch_all(db.pool())
    .await?;
    for (delivery_id, id, at, status_code, latency_ms, response_body, error) in attempts {
        if let Some(d) = deliveries.iter_mut().find(|d| d.id == delivery_id) {
            d.attempt_log.push(Attempt { id, attempted_at: to_rfc3339(at), status_code, latency_ms, response_body, error });
        }
    }
    Ok(EventDetail { event, deliveries })
}

/// An endpoint's deliveries, newest first, optionally of one status, and
/// older than `before` (the `(createdAt, id)` of the last one seen).
pub async fn deliveries(
    db: &Db,
    scope: Scope<'_>,
    endpoint_id: &str,
    status: Option<DeliveryStatus>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Delivery>, ApiError> {
    super::get(db, scope, endpoint_id).await?;
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 AND (status = $2 OR $2 IS NULL) \
         AND (created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT $5"
    ));
    Ok(sqlx::query_as(sql).bind(endpoint_id).bind(status).bind(at).bind(id).bind(limit.clamp(1, 500)).fetch_all(db.pool()).await?)
}

/// Work waiting: events not yet dispatched, and deliveries pending.
pub async fn depth(db: &Db) -> Result<(i64, i64), ApiError> {
    let (events, deliveries): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM events WHERE seq IS NULL), \
                (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending')",
    )
    .fetch_one(db.pool())
    .await?;
    Ok((events, deliveries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_with_jitter_and_honour_retry_after() {
        let schedule = [Duration::from_secs(5), Duration::from_secs(300)];
        for _ in 0..100 {
            let first = retry_delay(&schedule, 0, None).unwrap();
            assert!((4_500..=5_500).contains(&first), "{first}");
            let second = retry_delay(&schedule, 1, None).unwrap();
            assert!((270_000..=330_000).contains(&second), "{second}");
            let told = retry_delay(&schedule, 0, Some(Duration::from_secs(60))).unwrap();
            assert_eq!(told, 60_000, "never sooner than asked, and not jittered below it");
            let sooner = retry_delay(&schedule, 1, Some(Duration::from_secs(1))).unwrap();
            assert!((270_000..=330_000).contains(&sooner), "a Retry-After shorter than the schedule does not shorten it: {sooner}");
            let clamped = retry_delay(&schedule, 0, Some(Duration::from_secs(86_400 * 30))).unwrap();
            assert_eq!(clamped, 36_000_000);
        }
        assert_eq!(retry_delay(&schedule, 2, None), None);
    }
}
