//! The fake partner backend every sandbox partner gets (SPEC §7, seed 001's
//! staging test brands): SSO and a coins ledger served by Tessera itself at
//! `/sandbox/{partnerId}/…`, so the whole flow runs locally with no partner
//! code. Deterministic:
//!
//! - SSO: the token is the user's id (`[A-Za-z0-9_-]`, 1–64), in cohort
//!   `sandbox`; the token `refuse` answers `{"userId": null}`; `fail` answers 500.
//! - Balance: every user starts with [`START_BALANCE`] coins.
//! - Debit: a cost of [`REFUSED_COST`] is refused (400), a cost of
//!   [`SLOW_COST`] is debited but answered after [`SLOW`] (past Tessera's 5 s
//!   timeout, so Tessera reverses it); otherwise debited if the balance covers it.
//! - Reverse: gives the coins back once; `ALREADY_REVERSED` after.

use crate::{clock::now_ms, db::Db, error::ApiError, error::is_unique_violation};
use std::time::Duration;

pub const START_BALANCE: i64 = 1000;
pub const REFUSED_COST: i64 = 999;
pub const SLOW_COST: i64 = 777;
pub const SLOW: Duration = Duration::from_secs(7);
/// The cohort sandbox users are in (the test brands' vouchers are for it).
pub const COHORT: &str = "sandbox";

/// The `fail` token: the sandbox's SSO answers it with a 500.
#[derive(Debug, PartialEq, Eq)]
pub struct FailToken;

/// Who an SSO token is, by the rules above; `Err(FailToken)` for the `fail` token.
pub fn sso_user(token: &str) -> Result<Option<String>, FailToken> {
    match token {
        "fail" => Err(FailToken),
        "refuse" => Ok(None),
        t if (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            Ok(Some(t.to_string()))
        }
        _ => Ok(None),
    }
}

/// The user's balance (starting at [`START_BALANCE`]).
pub async fn balance(db: &Db, partner_id: &str, user_id: &str) -> Result<i64, ApiError> {
    sqlx::query(
        "INSERT INTO sandbox_balances (partner_id, user_id, balance) VALUES ($1, $2, $3) ON CONFLICT (partner_id, user_id) DO NOTHING",
    )
    .bind(partner_id)
    .bind(user_id)
    .bind(START_BALANCE)
    .execute(db.write_pool())
    .await?;
    let (b,): (i64,) = sqlx::query_as("SELECT balance FROM sandbox_balances WHERE partner_id = $1 AND user_id = $2")
        .bind(partner_id)
        .bind(user_id)
        .fetch_one(db.write_pool())
        .await?;
    Ok(b)
}

/// What a debit came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Debited {
    /// (transactionId, balance after)
    Done(String, i64),
    Refused,
}

/// Debits `amount` once per `reference_id` (a repeat answers the first result).
pub async fn debit(db: &Db, partner_id: &str, user_id: &str, amount: i64, reference_id: &str) -> Result<Debited, ApiError> {
    let current = balance(db, partner_id, user_id).await?;
    if amount == REFUSED_COST || amount <= 0 {
        return Ok(Debited::Refused);
    }
    let mut tx = db.begin_write().await?;
    let recorded =
        sqlx::query("INSERT INTO sandbox_debits (reference_id, partner_id, user_id, amount, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(reference_id)
            .bind(partner_id)
            .bind(user_id)
            .bind(amount)
            .bind(now_ms())
            .execute(&mut *tx)
            .await;
    match recorded {
        Err(e) if is_unique_violation(&e) => return Ok(Debited::Done(format!("sbx-{reference_id}"), current)),
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    let taken = sqlx::query("UPDATE sandbox_balances SET balance = balance - $3 WHERE partner_id = $1 AND user_id = $2 AND balance >= $3")
        .bind(partner_id)
        .bind(user_id)
        .bind(amount)
        .execute(&mut *tx)
        .await?;
    if taken.rows_affected() == 0 {
        return Ok(Debited::Refused); // dropping tx rolls the record back
    }
    tx.commit().await?;
    Ok(Debited::Done(format!("sbx-{reference_id}"), current - amount))
}

/// What a reversal came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Reversed {
    Done,
    Already,
    NotFound,
}

pub async fn reverse(db: &Db, partner_id: &str, reference_id: &str) -> Result<Reversed, ApiError> {
    let mut tx = db.begin_write().await?;
    let found: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT user_id, amount, reversed FROM sandbox_debits WHERE reference_id = $1 AND partner_id = $2")
            .bind(reference_id)
            .bind(partner_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((user_id, amount, reversed)) = found else { return Ok(Reversed::NotFound) };
    if reversed != 0 {
        return Ok(Reversed::Already);
    }
    sqlx::query("UPDATE sandbox_debits SET reversed = 1 WHERE reference_id = $1").bind(reference_id).execute(&mut *tx).await?;
    sqlx::query("UPDATE sandbox_balances SET balance = balance + $3 WHERE partner_id = $1 AND user_id = $2")
        .bind(partner_id)
        .bind(&user_id)
        .bind(amount)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Reversed::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sso_tokens_behave_as_documented() {
        assert_eq!(sso_user("ana-1"), Ok(Some("ana-1".into())));
        assert_eq!(sso_user("refuse"), Ok(None));
        assert_eq!(sso_user("fail"), Err(FailToken));
        assert_eq!(sso_user("has space"), Ok(None));
        assert_eq!(sso_user(""), Ok(None));
    }
}
