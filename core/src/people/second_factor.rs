//! The optional second factor: a TOTP (RFC 6238: SHA-1, 6 digits, 30 s, as
//! every authenticator app reads it). Set up in two steps — a secret is
//! proposed, then kept once its owner gives a code from it — and asked for
//! after the password at every sign-in. A code is taken once (the last time
//! step used is kept), one step of clock drift either way is allowed, and a
//! wrong code counts as a failed sign-in towards the lock.

use super::{Person, audit, by_id, failed, matches};
use crate::{
    db::Db,
    error::{ApiError, ErrorCode},
    ids::sha256_hex,
};
use totp_rs::{Algorithm, Secret, TOTP};

const STEP_SECONDS: u64 = 30;

/// A secret proposed to its owner: as text and as the `otpauth://` address
/// their app reads from a QR code.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub url: String,
}

fn totp(secret_base32: &str, email: &str) -> Result<TOTP, ApiError> {
    let bytes =
        Secret::Encoded(secret_base32.to_string()).to_bytes().map_err(|e| ApiError::internal(anyhow::anyhow!("totp secret: {e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes, Some("Tessera".into()), email.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("totp: {e}")))
}

/// The time step a code belongs to, if it is right for a step after `last_step`
/// within one step of `now_ms`.
fn matching_step(t: &TOTP, code: &str, now_ms: i64, last_step: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    let now_step = now_ms.max(0) / 1000 / STEP_SECONDS as i64;
    (now_step - 1..=now_step + 1).filter(|step| *step > last_step).find(|step| {
        let expected = t.generate(*step as u64 * STEP_SECONDS);
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into()
    })
}

pub async fn totp_enabled(db: &Db, person: &Person) -> Result<bool, ApiError> {
    let (secret,): (Option<String>,) =
        sqlx::query_as("SELECT totp_secret FROM people WHERE id = $1").bind(&person.id).fetch_one(db.pool()).await?;
    Ok(secret.is_some())
}

/// Proposes a new secret (kept aside until confirmed).
pub async fn begin_totp(db: &Db, person: &Person, now: i64) -> Result<TotpSetup, ApiError> {
    let raw: [u8; 20] = rand::random();
    let secret = Secret::Raw(raw.to_vec()).to_encoded().to_string();
    let url = totp(&secret, &person.email)?.get_url();
    sqlx::query("UPDATE people SET totp_pending = $2, updated_at = $3 WHERE id = $1")
        .bind(&person.id)
        .bind(&secret)
        .bind(now)
        .execute(db.write_pool())
        .await?;
    Ok(TotpSetup { secret, url })
}

/// The secret being set up, if any.
pub async fn pending_totp(db: &Db, person: &Person) -> Result<Option<TotpSetup>, ApiError> {
    let (pending,): (Option<String>,) =
        sqlx::query_as("SELECT totp_pending FROM people WHERE id = $1").bind(&person.id).fetch_one(db.pool()).await?;
    pending.map(|secret| Ok(TotpSetup { url: totp(&secret, &person.email)?.get_url(), secret })).transpose()
}

/// Keeps the proposed secret once a code from it is right.
pub async fn confirm_totp(db: &Db, person: &Person, code: &str, now: i64) -> Result<(), ApiError> {
    let (pending,): (Option<String>,) =
        sqlx::query_as("SELECT totp_pending FROM people WHERE id = $1").bind(&person.id).fetch_one(db.pool()).await?;
    let pending = pending.ok_or_else(|| ApiError::new(ErrorCode::Conflict, "Start setting up the authenticator app again."))?;
    let Some(step) = matching_step(&totp(&pending, &person.email)?, code, now, 0) else {
        return Err(ApiError::validation(vec![("code", "is not the code your app shows now; check the time on your phone".into())]));
    };
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE people SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2, updated_at = $3 WHERE id = $1")
        .bind(&person.id)
        .bind(step)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, Some(&person.id), "person.second_factor_on", &person.id, None, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns the second factor off, with the password.
pub async fn remove_totp(db: &Db, person: &Person, password: &str, now: i64) -> Result<(), ApiError> {
    let (stored,): (String,) =
        sqlx::query_as("SELECT password_hash FROM people WHERE id = $1").bind(&person.id).fetch_one(db.pool()).await?;
    if !matches(password, &stored) {
        return Err(ApiError::validation(vec![("password", "is not your password".into())]));
    }
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE people SET totp_secret = NULL, totp_pending = NULL, updated_at = $2 WHERE id = $1")
        .bind(&person.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, Some(&person.id), "person.second_factor_off", &person.id, None, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Completes a sign-in waiting for its second factor; the person, signed in.
pub async fn give_second_factor(db: &Db, session_token: &str, code: &str, now: i64) -> Result<Person, ApiError> {
    let hash = sha256_hex(session_token.as_bytes());
    let found: Option<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT p.id, p.email, p.totp_secret, p.totp_last_step FROM people_sessions s JOIN people p ON p.id = s.person_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.second_factor_due = 1 AND p.locked_at IS NULL",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some((id, email, Some(secret), last_step)) = found else {
        return Err(ApiError::new(ErrorCode::Unauthorized, "Sign in again: this sign-in is over."));
    };
    let Some(step) = matching_step(&totp(&secret, &email)?, code, now, last_step) else {
        failed(db, &id, now).await?;
        return Err(ApiError::new(ErrorCode::SignInFailed, "That code is not right; use the one your app shows now."));
    };
    let mut tx = db.begin_write().await?;
    // Taken once: only if no other sign-in used this step (or a later one) meanwhile.
    let taken =
        sqlx::query("UPDATE people SET totp_last_step = $2, failed_sign_ins = 0, updated_at = $3 WHERE id = $1 AND totp_last_step < $2")
            .bind(&id)
            .bind(step)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    if taken.rows_affected() == 0 {
        return Err(ApiError::new(ErrorCode::SignInFailed, "That code was used already; wait for the next one."));
    }
    sqlx::query("UPDATE people_sessions SET second_factor_due = 0 WHERE token_hash = $1").bind(&hash).execute(&mut *tx).await?;
    audit(&mut tx, Some(&id), "person.signed_in", &id, None, None).await?;
    tx.commit().await?;
    by_id(db, &id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_right_for_its_step_and_one_either_side_and_taken_once() {
        let secret = Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        let t = totp(&secret, "ops@example.com").unwrap();
        // RFC 6238's SHA-1 vector at T = 59 s is 94287082; six digits: 287082.
        assert_eq!(t.generate(59), "287082");
        let at = |s: i64| s * 1000;
        assert_eq!(matching_step(&t, "287082", at(59), 0), Some(1));
        assert_eq!(matching_step(&t, "287 082", at(59 + 30), 0), Some(1), "a step late is taken");
        assert_eq!(matching_step(&t, "287082", at(59 + 60), 0), None, "two steps late is not");
        assert_eq!(matching_step(&t, "287082", at(59), 1), None, "a step used is not taken again");
        assert_eq!(matching_step(&t, "000000", at(59), 0), None);
        assert!(t.get_url().starts_with("otpauth://totp/Tessera:ops%40example.com?secret="), "{}", t.get_url());
    }
}
