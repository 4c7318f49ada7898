//! A partner's coins ledger (SPEC §7): a voucher with a coin cost is claimed
//! only after the partner's ledger debited the user, and the debit is given
//! back when the claim then fails or its outcome is unknown.
//!
//! Every debit is written down (`coin_debits`) *before* the ledger is asked,
//! and every outcome after, so a crash at any point leaves a row the reversal
//! loop finds: a debit with no recorded outcome after `coins_unknown_after_seconds` is
//! reversed like one that timed out. Reversals are retried with backoff until
//! the ledger answers `SUCCESS` or `ALREADY_REVERSED` (or that it has no such
//! debit). The `referenceId` sent is the row's id: the ledger's idempotency key.
//! At most one debit per user and voucher is in flight (a unique index), so a
//! double tap cannot take coins twice.

use crate::error::ErrorCode;
use crate::metrics::result_of;
use crate::types::DebitState;
use crate::types::{ExternalUserId, PartnerId, UserId};
use crate::{
    Platform,
    clock::now_ms,
    error::{ApiError, is_unique_violation},
    ids::new_id,
    outbound,
    partners::Integration,
};
use serde::Deserialize;
use serde_json::json;

/// How long a reversal attempt holds its row (other instances skip it).
const LEASE_MS: i64 = 30_000;
/// Delays between reversal attempts; the last one repeats.
const BACKOFF_MS: [i64; 7] = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];

/// A debit the ledger confirmed.
#[derive(Debug, Clone)]
pub struct Debit {
    pub reference_id: String,
    pub transaction_id: Option<String>,
}

/// Who pays, for what.
pub struct Payment<'a> {
    pub partner_id: &'a PartnerId,
    pub user_id: &'a UserId,
    pub external_user_id: &'a ExternalUserId,
    pub voucher_id: &'a str,
    pub amount: i64,
    pub note: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceReply {
    total_coins: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DebitReply {
    status: String,
    transaction_id: Option<String>,
}

#[derive(Deserialize)]
struct ReverseReply {
    status: String,
}

fn unavailable(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::LedgerUnavailable,
        format!("The coins ledger did not complete the payment ({why}). Any coins taken are being given back; try again later."),
    )
}

/// The partner's coins ledger, if it has one set up: the partner (for its
/// coin image) and the integration its calls go through. The one lookup for
/// a balance and for a debit.
pub async fn ledger_of(p: &Platform, partner_id: &PartnerId) -> Result<Option<(crate::partners::Partner, Integration)>, ApiError> {
    let Some(partner) = crate::partners::find_recent(p, partner_id).await? else { return Ok(None) };
    Ok(partner.coins_ledger().map(|ledger| (partner, ledger)))
}

/// The user's coin balance in the partner's ledger.
#[tracing::instrument(skip_all)]
pub async fn balance(p: &Platform, integration: &Integration, external_user_id: &ExternalUserId) -> Result<f64, ApiError> {
    let result = ask_balance(p, integration, external_user_id).await;
    p.metrics.ledger("balance", result_of(&result, "ok"));
    result
}

async fn ask_balance(p: &Platform, integration: &Integration, external_user_id: &ExternalUserId) -> Result<f64, ApiError> {
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("userId", external_user_id.as_str()).finish();
    let answer = integration
        .call(&p.outbound, reqwest::Method::GET, &format!("balance?{query}"))
        .map_err(|e| unavailable(&e.to_string()))?
        .send(None)
        .await
        .map_err(|e| unavailable(&outbound::describe(&e)))?;
    if answer.status() != reqwest::StatusCode::OK {
        return Err(unavailable(&format!("the balance call answered HTTP {}", answer.status().as_u16())));
    }
    let reply: BalanceReply = answer.json().await.map_err(|_| unavailable("the balance answer is not {totalCoins}"))?;
    Ok(reply.total_coins)
}

/// Moves a debit from state `from` to `to`. Conditional: if the reversal loop
/// took the row meanwhile (it had no outcome for too long), the loop's state
/// stands and this answers `false`.
async fn set_state(
    p: &Platform,
    id: &str,
    from: DebitState,
    to: DebitState,
    transaction_id: Option<&str>,
    error: Option<&str>,
) -> Result<bool, ApiError> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE coin_debits SET state = $2, transaction_id = COALESCE($3, transaction_id), last_error = $4, \
         next_attempt_at = $5, updated_at = $5 WHERE id = $1 AND state = $6",
    )
    .bind(id)
    .bind(to)
    .bind(transaction_id)
    .bind(error)
    .bind(now)
    .bind(from)
    .execute(p.db.write_pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Asks the ledger to debit the user. `Ok` only when it confirmed; every
/// other outcome is recorded, and an unknown one is queued for reversal.
#[tracing::instrument(skip_all, fields(partner_id = %pay.partner_id, user_id = %pay.user_id, voucher_id = %pay.voucher_id, amount = pay.amount))]
pub async fn debit(p: &Platform, integration: &Integration, pay: &Payment<'_>) -> Result<Debit, ApiError> {
    let result = ask_debit(p, integration, pay).await;
    p.metrics.ledger("debit", result_of(&result, "ok"));
    result
}

async fn ask_debit(p: &Platform, integration: &Integration, pay: &Payment<'_>) -> Result<Debit, ApiError> {
    // Refused before anything is recorded: no call goes out, so nothing is to be given back.
    let request = integration.call(&p.outbound, reqwest::Method::POST, "debit").map_err(|e| unavailable(&e.to_string()))?;
    let id = new_id();
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO coin_debits (id, partner_id, user_id, external_user_id, voucher_id, amount, state, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'debiting', $7, $7, $7)",
    )
    .bind(&id)
    .bind(pay.partner_id)
    .bind(pay.user_id)
    .bind(pay.external_user_id)
    .bind(pay.voucher_id)
    .bind(pay.amount)
    .bind(now)
    .execute(p.db.write_pool())
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::new(ErrorCode::Conflict, "This voucher is already being paid for; try again in a moment."));
        }
        Err(e) => return Err(e.into()),
    }
    let body = json!({ "userId": pay.external_user_id, "amount": pay.amount, "referenceId": id, "note": pay.note });
    let sent = request.send(Some(&body)).await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(e) => {
            let why = outbound::describe(&e);
            set_state(p, &id, DebitState::Debiting, DebitState::Reversing, None, Some(&why)).await?;
            return Err(unavailable(&why));
        }
    };
    let status = answer.status().as_u16();
    match status {
        200 => match answer.json::<DebitReply>().await {
            Ok(reply) if reply.status == "SUCCESS" => {
                if !set_state(p, &id, DebitState::Debiting, DebitState::Debited, reply.transaction_id.as_deref(), None).await? {
                    return Err(unavailable("the ledger answered too late; the payment is being given back"));
                }
                Ok(Debit { reference_id: id, transaction_id: reply.transaction_id })
            }
            _ => {
                let why = "the debit answer is not {status: SUCCESS}";
                set_state(p, &id, DebitState::Debiting, DebitState::Reversing, None, Some(why)).await?;
                Err(unavailable(why))
            }
        },
        400 => {
            set_state(p, &id, DebitState::Debiting, DebitState::Refused, None, Some("HTTP 400: insufficient balance")).await?;
            Err(ApiError::new(ErrorCode::InsufficientCoins, "Your coin balance is below this voucher's cost.")
                .with_details(json!({ "cost": pay.amount })))
        }
        401..=499 => {
            let why = format!("HTTP {status}");
            set_state(p, &id, DebitState::Debiting, DebitState::Refused, None, Some(&why)).await?;
            Err(ApiError::new(ErrorCode::LedgerRefused, format!("The coins ledger refused the payment ({why}); no coins were taken.")))
        }
        _ => {
            // 5xx and anything else: it may or may not have debited.
            let why = format!("HTTP {status}");
            set_state(p, &id, DebitState::Debiting, DebitState::Reversing, None, Some(&why)).await?;
            Err(unavailable(&why))
        }
    }
}

/// The claim that paid with `debit` failed: give the coins back (queued now;
/// the reversal loop calls the ledger within a second).
pub async fn claim_failed(p: &Platform, debit: &Debit, why: &str) -> Result<(), ApiError> {
    set_state(p, &debit.reference_id, DebitState::Debited, DebitState::Reversing, None, Some(why)).await.map(|_| ())
}

/// In the claim's transaction: the debit is now the claim's. Fails when the
/// reversal loop took the debit for lost meanwhile (the claim then rolls back).
pub async fn attach(tx: &mut sqlx::AnyConnection, reference_id: &str, claim_id: &str, now: i64) -> Result<(), ApiError> {
    let done = sqlx::query("UPDATE coin_debits SET state = 'claimed', claim_id = $2, updated_at = $3 WHERE id = $1 AND state = 'debited'")
        .bind(reference_id)
        .bind(claim_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(unavailable("the payment took too long and is being given back"));
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Due {
    id: String,
    partner_id: PartnerId,
    external_user_id: ExternalUserId,
    amount: i64,
    state: String,
    transaction_id: Option<String>,
    attempts: i64,
    next_attempt_at: i64,
}

/// What one pass of the reversal loop did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub reversed: usize,
    pub failed: usize,
}

/// Reverses the debits that are due: queued ones, and those with no outcome
/// for `coins_unknown_after_seconds`. Safe on several instances (each row is leased).
pub async fn reverse_due(p: &Platform) -> Result<Pass, ApiError> {
    let now = now_ms();
    let due: Vec<Due> = sqlx::query_as(
        "SELECT id, partner_id, external_user_id, amount, state, transaction_id, attempts, next_attempt_at FROM coin_debits \
         WHERE (state = 'reversing' AND next_attempt_at <= $1) OR (state IN ('debiting', 'debited') AND updated_at <= $2) \
         ORDER BY next_attempt_at LIMIT 50",
    )
    .bind(now)
    .bind(now - p.config.coins_unknown_after.as_millis() as i64)
    .fetch_all(p.db.pool())
    .await?;
    let mut pass = Pass::default();
    for d in due {
        // The lease: only the instance whose update lands calls the ledger.
        let leased = sqlx::query(
            "UPDATE coin_debits SET state = 'reversing', next_attempt_at = $4, updated_at = $3 \
             WHERE id = $1 AND state = $2 AND next_attempt_at = $5",
        )
        .bind(&d.id)
        .bind(&d.state)
        .bind(now)
        .bind(now + LEASE_MS)
        .bind(d.next_attempt_at)
        .execute(p.db.write_pool())
        .await?;
        if leased.rows_affected() == 0 {
            continue;
        }
        match reverse_one(p, &d).await {
            Ok(note) => {
                sqlx::query(
                    "UPDATE coin_debits SET state = 'reversed', last_error = $2, attempts = attempts + 1, updated_at = $3 WHERE id = $1",
                )
                .bind(&d.id)
                .bind(note)
                .bind(now_ms())
                .execute(p.db.write_pool())
                .await?;
                pass.reversed += 1;
            }
            Err(why) => {
                let delay = BACKOFF_MS[(d.attempts as usize).min(BACKOFF_MS.len() - 1)];
                tracing::warn!(reference_id = %d.id, attempts = d.attempts + 1, error = %why, "coin reversal failed; will retry");
                sqlx::query(
                    "UPDATE coin_debits SET last_error = $2, attempts = attempts + 1, next_attempt_at = $3, updated_at = $4 WHERE id = $1",
                )
                .bind(&d.id)
                .bind(&why)
                .bind(now_ms() + delay)
                .bind(now_ms())
                .execute(p.db.write_pool())
                .await?;
                pass.failed += 1;
            }
        }
    }
    Ok(pass)
}

/// One reversal call: `Ok(note)` when the coins are back (or were never taken).
#[tracing::instrument(skip_all, fields(debit_id = %d.id, partner_id = %d.partner_id))]
async fn reverse_one(p: &Platform, d: &Due) -> Result<Option<&'static str>, String> {
    let result = ask_reverse(p, d).await;
    p.metrics.ledger("reverse", if result.is_ok() { "ok" } else { "failed" }.to_string());
    result
}

async fn ask_reverse(p: &Platform, d: &Due) -> Result<Option<&'static str>, String> {
    let partner = crate::partners::find_recent(p, &d.partner_id).await.map_err(|e| e.message().to_string())?;
    let integration = partner.and_then(|p| p.integration()).ok_or("the partner has no integration base URL any more")?;
    let body = json!({ "userId": d.external_user_id, "amount": d.amount, "referenceId": d.id, "transactionId": d.transaction_id });
    let answer = integration
        .call(&p.outbound, reqwest::Method::POST, "reverse")
        .map_err(|e| e.to_string())?
        .send(Some(&body))
        .await
        .map_err(|e| outbound::describe(&e))?;
    match answer.status().as_u16() {
        200 => match answer.json::<ReverseReply>().await {
            Ok(r) if r.status == "SUCCESS" => Ok(None),
            Ok(r) if r.status == "ALREADY_REVERSED" => Ok(Some("already reversed")),
            _ => Err("the reverse answer is not {status: SUCCESS | ALREADY_REVERSED}".into()),
        },
        // The ledger never recorded the debit (it timed out before): nothing to give back.
        404 => Ok(Some("the ledger has no such debit")),
        s => Err(format!("HTTP {s}")),
    }
}
