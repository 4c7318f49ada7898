//! Invitations: a one-time link that makes an account (no email server is
//! assumed — the link is shown to whoever invites, and given on by them).
//! Only a hash of its token is kept; it works for 24 hours and once; a newer
//! invitation for the same email replaces an older one.

use super::{Person, Role, audit, by_id, check_email, check_partner_of, check_password, hash, insert_person, open_session};
use crate::{
    db::Db,
    error::{ApiError, ErrorCode},
    ids::{random_secret, sha256_hex},
    types::{PartnerId, Timestamp},
};
use serde::Serialize;

/// How long an invitation works.
pub const INVITATION_MS: i64 = 24 * 3600 * 1000;

/// An invitation as its page shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub email: String,
    pub role: Role,
    pub partner_id: Option<PartnerId>,
    pub expires_at: Timestamp,
}

/// Invites `email` with `role` (of `partner_id`, except an operator); the
/// token for the link, shown once. Someone who has an account is not invited.
pub async fn invite(
    db: &Db,
    actor: Option<&Person>,
    email: &str,
    role: Role,
    partner_id: Option<&PartnerId>,
    now: i64,
) -> Result<(Invitation, String), ApiError> {
    let email = check_email(email)?;
    check_partner_of(db, role, partner_id).await?;
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM people WHERE email = $1").bind(&email).fetch_optional(db.pool()).await?;
    if taken.is_some() {
        return Err(ApiError::new(ErrorCode::Conflict, "Someone already has an account with this email."));
    }
    let token = random_secret("inv_");
    let expires_at = now + INVITATION_MS;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM people_invitations WHERE email = $1 AND accepted_at IS NULL").bind(&email).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO people_invitations (token_hash, email, role, partner_id, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(&email)
    .bind(role)
    .bind(partner_id)
    .bind(actor.map(|a| a.id.as_str()))
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let after = serde_json::json!({ "email": email, "role": role, "partnerId": partner_id, "expiresAt": Timestamp(expires_at) });
    audit(&mut tx, actor.map(|a| a.id.as_str()), "person.invited", &email, None, Some(after)).await?;
    tx.commit().await?;
    Ok((Invitation { email, role, partner_id: partner_id.cloned(), expires_at: Timestamp(expires_at) }, token))
}

fn spent() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "This invitation is not valid: it was used, replaced, or is older than 24 hours. Ask for a new one.")
}

/// The invitation behind a link's token, while it works.
pub async fn invitation(db: &Db, token: &str, now: i64) -> Result<Invitation, ApiError> {
    let found: Option<Invitation> = sqlx::query_as(
        "SELECT email, role, partner_id, expires_at FROM people_invitations WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    found.ok_or_else(spent)
}

/// Uses an invitation: makes the account with the chosen password and signs
/// it in — all once, whoever else uses the same link at the same time.
pub async fn accept(db: &Db, token: &str, password: &str, now: i64) -> Result<(Person, String), ApiError> {
    check_password(password)?;
    let stored = hash(password)?;
    let hash_of_token = sha256_hex(token.as_bytes());
    let mut tx = db.begin_write().await?;
    let used: Option<Invitation> = sqlx::query_as(
        "UPDATE people_invitations SET accepted_at = $2 WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2 \
         RETURNING email, role, partner_id, expires_at",
    )
    .bind(&hash_of_token)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(inv) = used else { return Err(spent()) };
    let id = insert_person(&mut tx, None, &inv.email, &stored, inv.role, inv.partner_id.as_ref(), now).await?;
    let session = open_session(&mut tx, &id, now, false).await?;
    tx.commit().await?;
    Ok((by_id(db, &id).await?, session))
}
