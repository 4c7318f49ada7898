//! `Idempotency-Key` on partner POSTs (SPEC §2): the same key and request
//! replay the first response for 24 h; the same key with another request is
//! refused. The key is taken before the work starts, so two concurrent
//! requests with one key never both run.

use crate::error::ErrorCode;
use crate::types::PartnerId;
use crate::{clock::now_ms, db::Db, error::ApiError};

pub const WINDOW_MS: i64 = 24 * 3600 * 1000;

pub enum Begin {
    /// First use of the key: do the work, then `complete` (or `abandon`).
    Proceed,
    /// Seen before: answer with this.
    Replay { status: u16, body: String },
}

pub fn validate_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ApiError::validation(vec![("Idempotency-Key", "use 1–255 visible ASCII characters, such as a UUID".into())]));
    }
    Ok(())
}

pub async fn begin(db: &Db, partner_id: &PartnerId, key: &str, request_hash: &str) -> Result<Begin, ApiError> {
    validate_key(key)?;
    let now = now_ms();
    // An expired record no longer counts.
    sqlx::query("DELETE FROM idempotency_keys WHERE partner_id = $1 AND key = $2 AND created_at < $3")
        .bind(partner_id)
        .bind(key)
        .bind(now - WINDOW_MS)
        .execute(db.write_pool())
        .await?;
    let taken = sqlx::query(
        "INSERT INTO idempotency_keys (partner_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (partner_id, key) DO NOTHING",
    )
    .bind(partner_id)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(db.write_pool())
    .await?;
    if taken.rows_affected() == 1 {
        return Ok(Begin::Proceed);
    }
    let row: Option<(String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT request_hash, status, response_body FROM idempotency_keys WHERE partner_id = $1 AND key = $2")
            .bind(partner_id)
            .bind(key)
            .fetch_optional(db.pool())
            .await?;
    match row {
        None => Err(ApiError::new(ErrorCode::IdempotencyInProgress, "This Idempotency-Key is being released; retry.")),
        Some((hash, _, _)) if hash != request_hash => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
        )),
        Some((_, Some(status), Some(body))) => Ok(Begin::Replay { status: status as u16, body }),
        Some(_) => Err(ApiError::new(
            ErrorCode::IdempotencyInProgress,
            "A request with this Idempotency-Key is still being handled; retry shortly.",
        )),
    }
}

pub async fn complete(db: &Db, partner_id: &PartnerId, key: &str, status: u16, body: &str) -> Result<(), ApiError> {
    sqlx::query("UPDATE idempotency_keys SET status = $3, response_body = $4 WHERE partner_id = $1 AND key = $2")
        .bind(partner_id)
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(db.write_pool())
        .await?;
    Ok(())
}

/// Releases the key after a server fault, so the partner's retry runs again.
pub async fn abandon(db: &Db, partner_id: &PartnerId, key: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM idempotency_keys WHERE partner_id = $1 AND key = $2")
        .bind(partner_id)
        .bind(key)
        .execute(db.write_pool())
        .await?;
    Ok(())
}

pub async fn prune(db: &Db, now: i64) -> Result<u64, ApiError> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(now - WINDOW_MS)
        .execute(db.write_pool())
        .await?
        .rows_affected())
}
