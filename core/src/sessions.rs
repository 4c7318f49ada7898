//! Platform sessions: what a verified partner JWT (or SSO reply) is exchanged
//! for. 24 h, one active per user (a new one ends the old), ended by logout
//! or erasure. Only a hash of the token is stored.

use crate::error::ErrorCode;
use crate::types::{ExternalUserId, PartnerId, UserId};
use crate::{
    clock::{now_ms, to_rfc3339},
    db::Db,
    error::{ApiError, is_unique_violation},
    ids::{random_secret, sha256_hex},
};
use serde::{Deserialize, Serialize};

pub const SESSION_TTL_MS: i64 = 24 * 3600 * 1000;
/// Session tokens carry this prefix, so a bearer token is told from a JWT at a glance.
pub const TOKEN_PREFIX: &str = "ses_";

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewSession {
    /// Send as `Authorization: Bearer <sessionToken>`. Shown once.
    pub session_token: String,
    pub expires_at: String,
    pub user_id: UserId,
}

/// Who a valid session belongs to.
#[derive(Debug, Clone)]
pub struct SessionOwner {
    pub partner_id: PartnerId,
    pub user_id: UserId,
}

pub async fn end_all(tx: &mut sqlx::AnyConnection, user_id: &UserId, now: i64) -> Result<(), ApiError> {
    sqlx::query("UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL")
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Opens a session for the user, ending any other.
pub async fn create(db: &Db, partner_id: &PartnerId, user_id: &UserId) -> Result<NewSession, ApiError> {
    // Two concurrent openings race on the one-active-session index; the loser retries
    // and ends the winner's, as a later opening would.
    for _ in 0..3 {
        let token = random_secret(TOKEN_PREFIX);
        let now = now_ms();
        let expires = now + SESSION_TTL_MS;
        let mut tx = db.begin_write().await?;
        end_all(&mut tx, user_id, now).await?;
        let inserted = sqlx::query("INSERT INTO sessions (id, partner_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(sha256_hex(token.as_bytes()))
            .bind(partner_id)
            .bind(user_id)
            .bind(now)
            .bind(expires)
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(_) => {
                tx.commit().await?;
                return Ok(NewSession { session_token: token, expires_at: to_rfc3339(expires), user_id: user_id.clone() });
            }
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(ErrorCode::Conflict, "Sessions for this user are being opened concurrently; retry."))
}

/// The owner of a live session token, or 401 `session_expired`.
pub async fn authenticate(db: &Db, token: &str, now: i64) -> Result<SessionOwner, ApiError> {
    let row: Option<(PartnerId, UserId)> =
        sqlx::query_as("SELECT partner_id, user_id FROM sessions WHERE id = $1 AND ended_at IS NULL AND expires_at > $2")
            .bind(sha256_hex(token.as_bytes()))
            .bind(now)
            .fetch_optional(db.pool())
            .await?;
    row.map(|(partner_id, user_id)| SessionOwner { partner_id, user_id }).ok_or_else(ended)
}

fn ended() -> ApiError {
    ApiError::new(
        ErrorCode::SessionExpired,
        "This session has ended (expired, replaced by a newer one, or logged out). Open the webview with a new token.",
    )
}

/// The user behind a live session token, as claims and pages need them
/// (the webview's cookie, or `Authorization: Bearer ses_…`). A session whose
/// user was erased since is ended too: 401 `session_expired`.
pub async fn holder(db: &Db, token: &str, now: i64) -> Result<crate::claims::Holder, ApiError> {
    // The session and its user in one read: every webview request asks both, and on
    // SQLite each read is a round trip to a connection's thread (see tokens::cutoff_and_user).
    #[derive(sqlx::FromRow)]
    struct Row {
        partner_id: PartnerId,
        user_id: UserId,
        /// The user's row, if it is still there, and whether it was erased.
        found: Option<UserId>,
        external_user_id: Option<ExternalUserId>,
        erased_at: Option<i64>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT s.partner_id, s.user_id, u.id AS found, u.external_user_id, u.erased_at \
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.ended_at IS NULL AND s.expires_at > $2",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let (partner_id, user_id, external_user_id) = match row {
        None => return Err(ended()),
        Some(Row { partner_id, user_id, found: Some(_), external_user_id, erased_at: None }) => {
            (partner_id, user_id, external_user_id.unwrap_or_default())
        }
        Some(_) => return Err(ApiError::new(ErrorCode::SessionExpired, "This session's user no longer exists.")),
    };
    let holder = crate::claims::Holder { partner_id, user_id, external_user_id };
    crate::metrics::record_caller(&holder.partner_id, Some(&holder.user_id));
    Ok(holder)
}
