//! Claiming a voucher into a wallet — by the user (`POST /me/claims`) or by the
//! partner's server (`POST /integrations/users/{id}/vouchers`).
//!
//! The guarantees hold under any concurrency, on both engines, because the
//! database enforces them: stock by a conditional UPDATE of the voucher's
//! counter, one open claim per (user, voucher) and the per-user limit by unique
//! indexes, a pool code per claim by a unique column.

use crate::error::ErrorCode;
use crate::types::{CodeSource, VoucherStatus};
use crate::types::{ExternalUserId, PartnerId, UserId};
use crate::{
    Platform,
    catalog::{ClaimStatus, server::visible},
    clock::{now_ms, to_rfc3339},
    db::{AtOnce, Backend, Db, Refusal},
    error::{ApiError, is_unique_violation},
    events,
    ids::new_id,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A claim in the wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub id: String,
    pub voucher_id: String,
    /// Snapshot at claim time, with markup.
    pub voucher_title: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub status: ClaimStatus,
    /// `claim` (the user claimed it) or `issue` (the partner issued it).
    pub source: String,
    pub claimed_at: String,
    pub redeemed_at: Option<String>,
    pub valid_until: Option<String>,
    pub redemption_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: String,
    voucher_id: String,
    voucher_title: String,
    merchant_id: String,
    merchant_name: String,
    source: String,
    created_at: i64,
    redeemed_at: Option<i64>,
    valid_until: Option<i64>,
    redemption_id: Option<String>,
}

impl ClaimRow {
    fn into_claim(self, now: i64) -> Claim {
        let status = ClaimStatus::of(self.redeemed_at, self.valid_until, now);
        Claim {
            id: self.id,
            voucher_id: self.voucher_id,
            voucher_title: self.voucher_title,
            merchant_id: self.merchant_id,
            merchant_name: self.merchant_name,
            status,
            source: self.source,
            claimed_at: to_rfc3339(self.created_at),
            redeemed_at: self.redeemed_at.map(to_rfc3339),
            valid_until: self.valid_until.map(to_rfc3339),
            redemption_id: self.redemption_id,
        }
    }
}

const CLAIM_SELECT: &str = "SELECT c.id, c.voucher_id, c.voucher_title, v.merchant_id, m.name AS merchant_name, c.source, \
     c.created_at, c.redeemed_at, v.valid_until, r.id AS redemption_id \
     FROM claims c JOIN vouchers v ON v.id = c.voucher_id JOIN merchants m ON m.id = v.merchant_id \
     LEFT JOIN redemptions r ON r.claim_id = c.id";

/// The user whose wallet a claim goes into.
#[derive(Debug, Clone)]
pub struct Holder {
    pub partner_id: PartnerId,
    pub user_id: UserId,
    pub external_user_id: ExternalUserId,
}

/// How a claim came about, which decides its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Claim,
    Issue,
}

impl Source {
    /// As `claims.source` stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Claim => "claim",
            Source::Issue => "issue",
        }
    }
}

/// What the claim rule needs to know of a voucher and of the user's claims of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimable {
    pub title: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub per_user_limit: i64,
    pub code_source: CodeSource,
    pub status: VoucherStatus,
    pub coin_cost: Option<i64>,
    /// 1 when it has a price: a gift card bought through the checkout, not claimed.
    pub sold: i64,
    /// 1 when the user may see it (cohorts, unlock code, merchant active), else 0.
    pub visible: i64,
    /// 1 while units are left, else 0.
    pub in_stock: i64,
    /// How many times the user claimed it.
    pub claimed: i64,
    /// The user's open (unredeemed) claim of it, if any.
    pub open_claim: Option<String>,
}

/// What a claim that may go ahead does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The user holds an open claim of it already: that claim is the answer (200).
    Existing(String),
    /// A new claim, the user's `seq`-th of this voucher: paid with `coins` first
    /// (a user's claim of a coin-priced voucher; a partner issuing pays nothing),
    /// with a code reserved from the pool when `from_pool`.
    New { seq: i64, coins: Option<i64>, from_pool: bool },
}

/// Why a voucher cannot be claimed, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A draft, or hidden from the user (another cohort, unlisted without its
    /// code): the same 404 as an unknown id, so a hidden voucher is not revealed.
    NotFound,
    Closed(Closed),
    LimitReached {
        per_user_limit: i64,
    },
    OutOfStock,
    /// A gift card with a price: bought through the checkout (a partner may still issue it).
    Sold,
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::NotFound => ApiError::not_found("No such voucher."),
            Refused::Closed(closed) => closed.error(),
            Refused::LimitReached { per_user_limit } => limit_reached().with_details(json!({ "perUserLimit": per_user_limit })),
            Refused::OutOfStock => out_of_stock(),
            Refused::Sold => ApiError::new(
                ErrorCode::VoucherNotClaimable,
                "This gift card is bought, not claimed: open its checkout (/consumer/buy/{voucherId}) or POST /me/orders.",
            ),
        }
    }
}

fn limit_reached() -> ApiError {
    ApiError::new(ErrorCode::LimitReached, "You have claimed this voucher as many times as allowed.")
}

fn out_of_stock() -> ApiError {
    ApiError::new(ErrorCode::OutOfStock, "Every unit of this voucher has been claimed.")
}

/// The claim rule, without the database: what claiming `voucher` (`None`: no
/// such voucher) by `source` at `now` does. A partner may issue a voucher the
/// user cannot see (an unlisted one), never a draft, and never outside the
/// lifecycle, the validity window, the stock or the per-user limit. An
/// archived voucher is "expired", not "not found": the user may hold it.
pub fn check(voucher: Option<&Claimable>, source: Source, now: i64) -> Result<Plan, Refused> {
    let v = voucher.ok_or(Refused::NotFound)?;
    let archived = v.status == VoucherStatus::Archived;
    if v.status == VoucherStatus::Draft || (v.visible != 1 && source != Source::Issue && !archived) {
        return Err(Refused::NotFound);
    }
    if v.sold == 1 && source == Source::Claim {
        return Err(Refused::Sold);
    }
    if let Some(claim_id) = &v.open_claim {
        return Ok(Plan::Existing(claim_id.clone()));
    }
    window(archived, v.valid_from, v.valid_until, now).map_err(Refused::Closed)?;
    if v.claimed >= v.per_user_limit {
        return Err(Refused::LimitReached { per_user_limit: v.per_user_limit });
    }
    if v.in_stock != 1 {
        return Err(Refused::OutOfStock);
    }
    let coins = v.coin_cost.filter(|_| source == Source::Claim);
    Ok(Plan::New { seq: v.claimed + 1, coins, from_pool: v.code_source == CodeSource::Pool })
}

async fn open_claim(conn: &mut sqlx::AnyConnection, user_id: &UserId, voucher_id: &str) -> Result<Option<Claim>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{CLAIM_SELECT} WHERE c.user_id = $1 AND c.voucher_id = $2 AND c.redeemed_at IS NULL"));
    let row: Option<ClaimRow> = sqlx::query_as(sql).bind(user_id).bind(voucher_id).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.into_claim(now_ms())))
}

/// Why a voucher is closed to claims at `now`, whoever asks: archived or past
/// `valid_until` (the instant itself included), or before `valid_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Expired,
    NotYet,
}

impl Closed {
    pub fn error(self) -> ApiError {
        match self {
            Closed::Expired => ApiError::new(ErrorCode::VoucherExpired, "This voucher is no longer valid."),
            Closed::NotYet => ApiError::new(ErrorCode::VoucherNotClaimable, "This voucher cannot be claimed yet."),
        }
    }

    /// For the person on the voucher screen, before any tap.
    pub fn message(self) -> &'static str {
        match self {
            Closed::Expired => "This voucher has expired.",
            Closed::NotYet => "This voucher cannot be claimed yet.",
        }
    }
}

/// The validity window's verdict (pure: the claim path and the screens share it).
pub fn window(archived: bool, valid_from: Option<i64>, valid_until: Option<i64>, now: i64) -> Result<(), Closed> {
    if archived || crate::catalog::ended(valid_until, now) {
        return Err(Closed::Expired);
    }
    if valid_from.is_some_and(|f| f > now) {
        return Err(Closed::NotYet);
    }
    Ok(())
}

/// Why a voucher cannot be claimed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    Closed(Closed),
    OutOfStock,
}

impl Unavailable {
    pub fn message(self) -> &'static str {
        match self {
            Unavailable::Closed(c) => c.message(),
            Unavailable::OutOfStock => "Out of stock: every unit has been claimed.",
        }
    }
}

/// What keeps the user from claiming `v` now, known before any tap: its
/// window, or no stock left.
pub fn unavailable(v: &crate::catalog::VoucherView, now: i64) -> Option<Unavailable> {
    let at = |t: &Option<String>| t.as_deref().and_then(crate::clock::parse_rfc3339);
    if let Err(closed) = window(false, at(&v.valid_from), at(&v.valid_until), now) {
        return Some(Unavailable::Closed(closed));
    }
    (v.stock_left == Some(0)).then_some(Unavailable::OutOfStock)
}

/// Claims a voucher for the holder. Returns the claim and whether it is new
/// (201) or the holder's open claim of it already (200).
///
/// A voucher with a coin cost is paid from the partner's coins ledger first
/// (see [`crate::coins`]); a partner issuing one pays nothing.
#[tracing::instrument(skip_all, fields(partner_id = %holder.partner_id, user_id = %holder.user_id, voucher_id, source = source.as_str()))]
pub async fn claim(
    p: &Platform,
    holder: &Holder,
    voucher_id: &str,
    coupon: Option<&str>,
    source: Source,
) -> Result<(Claim, bool), ApiError> {
    let result = claim_with_retries(p, holder, voucher_id, coupon, source).await;
    let outcome = match &result {
        Ok((_, true)) => "created".to_string(),
        Ok((_, false)) => "existing".to_string(),
        Err(e) => e.code().as_str().to_string(),
    };
    p.metrics.claim(source.as_str(), outcome);
    result
}

async fn claim_with_retries(
    p: &Platform,
    holder: &Holder,
    voucher_id: &str,
    coupon: Option<&str>,
    source: Source,
) -> Result<(Claim, bool), ApiError> {
    let db = &p.db;
    // A concurrent claim by the same user loses on the unique index; it then
    // answers with the winner's claim.
    for _ in 0..3 {
        match try_claim(p, holder, voucher_id, coupon, source).await {
            Err(ClaimError::Raced) => {
                let mut conn = db.pool().acquire().await?;
                if let Some(existing) = open_claim(&mut conn, &holder.user_id, voucher_id).await? {
                    return Ok((existing, false));
                }
            }
            Err(ClaimError::Api(e)) => {
                // A concurrent request of the same user may have claimed between
                // our reads (READ COMMITTED sees each statement's own snapshot):
                // then the honest answer is that claim, not a refusal.
                if matches!(e.code(), ErrorCode::LimitReached | ErrorCode::OutOfStock) {
                    let mut conn = db.pool().acquire().await?;
                    if let Some(existing) = open_claim(&mut conn, &holder.user_id, voucher_id).await? {
                        return Ok((existing, false));
                    }
                }
                return Err(e);
            }
            Ok(done) => return Ok(done),
        }
    }
    Err(limit_reached())
}

enum ClaimError {
    Raced,
    Api(ApiError),
}

impl<E: Into<ApiError>> From<E> for ClaimError {
    fn from(e: E) -> Self {
        ClaimError::Api(e.into())
    }
}

async fn try_claim(
    p: &Platform,
    holder: &Holder,
    voucher_id: &str,
    coupon: Option<&str>,
    source: Source,
) -> Result<(Claim, bool), ClaimError> {
    let db = &p.db;
    let now = now_ms();
    // Decide with plain reads first, outside the write transaction: the writes
    // below re-check everything that matters atomically (the stock by a
    // conditional UPDATE, the limit and the one open claim by unique indexes),
    // so a race only turns into `Raced` or a refusal, never a broken guarantee.
    let mut conn = db.pool().acquire().await?;
    // Issued vouchers skip visibility (a partner may issue an unlisted voucher),
    // never the lifecycle, the validity window, the stock or the limit.
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT v.title, v.merchant_id, m.name AS merchant_name, v.valid_from, v.valid_until, v.per_user_limit, \
         v.code_source, v.status, v.coin_cost, CASE WHEN v.price IS NULL THEN 0 ELSE 1 END AS sold, \
         CASE WHEN {} THEN 1 ELSE 0 END AS visible, \
         CASE WHEN v.total_stock IS NULL OR v.claimed_count < v.total_stock THEN 1 ELSE 0 END AS in_stock, \
         (SELECT COUNT(*) FROM claims c WHERE c.user_id = $1 AND c.voucher_id = v.id) AS claimed, \
         (SELECT MAX(c.id) FROM claims c WHERE c.user_id = $1 AND c.voucher_id = v.id AND c.redeemed_at IS NULL) AS open_claim \
         FROM vouchers v JOIN merchants m ON m.id = v.merchant_id WHERE v.id = $2",
        visible()
    ));
    let found: Option<Claimable> =
        sqlx::query_as(sql).bind(&holder.user_id).bind(voucher_id).bind(coupon.unwrap_or("")).fetch_optional(&mut *conn).await?;
    let plan = check(found.as_ref(), source, now);
    let (seq, coins, from_pool) = match plan {
        Err(refused) => return Err(ApiError::from(refused).into()),
        Ok(Plan::Existing(_)) => {
            // The open claim may have been redeemed since the read: then the
            // next attempt decides afresh.
            return match open_claim(&mut conn, &holder.user_id, voucher_id).await? {
                Some(existing) => Ok((existing, false)),
                None => Err(ClaimError::Raced),
            };
        }
        Ok(Plan::New { seq, coins, from_pool }) => (seq, coins, from_pool),
    };
    drop(conn);
    let v = found.expect("a plan is made for a voucher");
    // Paid in coins: debited before the claim commits, given back if it does not.
    let debit = match coins {
        Some(cost) => {
            let Some((_, integration)) = crate::coins::ledger_of(p, &holder.partner_id).await? else {
                return Err(ApiError::new(
                    ErrorCode::CoinsUnavailable,
                    "This voucher costs coins and the partner has no coins ledger set up.",
                )
                .into());
            };
            let note = format!("Voucher: {}", crate::markup::plain_text(&v.title));
            let payment = crate::coins::Payment {
                partner_id: &holder.partner_id,
                user_id: &holder.user_id,
                external_user_id: &holder.external_user_id,
                voucher_id,
                amount: cost,
                note: &note,
            };
            Some(crate::coins::debit(p, &integration, &payment).await?)
        }
        None => None,
    };

    let claim_id = new_id();
    let source_name = source.as_str();
    let kind = match source {
        Source::Claim => events::EventType::ClaimCreated,
        Source::Issue => events::EventType::VoucherIssued,
    };
    let data = json!({
        "userId": holder.user_id, "externalUserId": holder.external_user_id, "claimId": claim_id,
        "voucherId": voucher_id, "voucherTitle": v.title, "merchantId": v.merchant_id,
    });
    let write = ClaimWrite {
        claim_id: claim_id.clone(),
        partner_id: holder.partner_id.clone(),
        user_id: holder.user_id.clone(),
        voucher_id: voucher_id.to_string(),
        seq,
        source: source_name,
        title: v.title.clone(),
        from_pool,
        reserve_pool_code: db.backend().reserve_pool_code(),
        coin_debit: debit.as_ref().map(|d| d.reference_id.clone()),
        backend: db.backend(),
        now,
    };
    let written = if !write.from_pool && write.coin_debit.is_none() {
        db.write_at_once(move |tx| Box::pin(write.run_at_once(tx, kind, data))).await
    } else {
        db.write(move |tx| Box::pin(write.run(tx, kind, data))).await
    };
    if let (Err(e), Some(debit)) = (&written, &debit) {
        let why = match e {
            ClaimError::Raced => "the claim raced another".to_string(),
            ClaimError::Api(e) => format!("the claim failed: {}", e.code()),
        };
        crate::coins::claim_failed(p, debit, &why).await?;
    }
    written?;
    let claim = Claim {
        id: claim_id,
        voucher_id: voucher_id.to_string(),
        voucher_title: v.title,
        merchant_id: v.merchant_id,
        merchant_name: v.merchant_name,
        status: ClaimStatus::of(None, v.valid_until, now),
        source: source_name.into(),
        claimed_at: to_rfc3339(now),
        redeemed_at: None,
        valid_until: v.valid_until.map(to_rfc3339),
        redemption_id: None,
    };
    Ok((claim, true))
}

/// The writes of a claim, decided by the reads before: taken whole or not at all.
struct ClaimWrite {
    claim_id: String,
    partner_id: PartnerId,
    user_id: UserId,
    voucher_id: String,
    seq: i64,
    source: &'static str,
    title: String,
    from_pool: bool,
    reserve_pool_code: &'static str,
    /// The coin debit that paid for it, if any.
    coin_debit: Option<String>,
    /// The common claim is written in one round trip, as this engine's
    /// dialect says ([`Backend::claim_at_once`]).
    backend: Backend,
    now: i64,
}

impl ClaimWrite {
    async fn run(self, tx: &mut sqlx::AnyConnection, kind: events::EventType, data: serde_json::Value) -> Result<(), ClaimError> {
        let stock = sqlx::query(
            "UPDATE vouchers SET claimed_count = claimed_count + 1 \
             WHERE id = $1 AND status = 'published' AND (total_stock IS NULL OR claimed_count < total_stock)",
        )
        .bind(&self.voucher_id)
        .execute(&mut *tx)
        .await?;
        if stock.rows_affected() == 0 {
            return Err(out_of_stock().into());
        }
        let inserted = self
            .bind_claim(sqlx::query(
                "INSERT INTO claims (id, partner_id, user_id, voucher_id, seq, source, voucher_title, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            ))
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(ClaimError::Raced),
            Err(e) => return Err(e.into()),
        }
        if self.from_pool {
            let reserved = sqlx::query(self.reserve_pool_code).bind(&self.claim_id).bind(&self.voucher_id).execute(&mut *tx).await?;
            if reserved.rows_affected() == 0 {
                return Err(ApiError::new(ErrorCode::OutOfStock, "Every code of this voucher has been given out.").into());
            }
        }
        if let Some(reference_id) = &self.coin_debit {
            crate::coins::attach(tx, reference_id, &self.claim_id, self.now).await?;
        }
        events::enqueue(tx, &self.partner_id, kind, Some(&self.user_id), data).await?;
        Ok(())
    }

    /// Binds the claim row's `$1`–`$8` (id, partner, user, voucher, seq, source, title, time).
    fn bind_claim<'q>(
        &'q self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        q.bind(&self.claim_id)
            .bind(&self.partner_id)
            .bind(&self.user_id)
            .bind(&self.voucher_id)
            .bind(self.seq)
            .bind(self.source)
            .bind(&self.title)
            .bind(self.now)
    }

    async fn run_at_once(
        self,
        tx: &mut sqlx::AnyConnection,
        kind: events::EventType,
        data: serde_json::Value,
    ) -> Result<(), Refusal<ClaimError>> {
        let event = events::NewEvent::new(kind, data);
        let AtOnce { sql, whole } = self.backend.claim_at_once();
        let written =
            self.bind_claim(sqlx::query(sql)).bind(&event.id).bind(kind).bind(event.payload).bind(event.created_at).execute(&mut *tx).await;
        match written {
            Ok(done) if done.rows_affected() == whole => Ok(()),
            Ok(done) if done.rows_affected() == 0 => Err(Refusal::Clean(out_of_stock().into())),
            Ok(done) => Err(Refusal::Partial(
                ApiError::internal(anyhow::anyhow!("a claim changed {} rows, not {whole}", done.rows_affected())).into(),
            )),
            // Only the claim's insert can break a unique index, and then nothing
            // is written: it is the SQLite script's first statement, and the
            // PostgreSQL statement fails as a whole.
            Err(e) if is_unique_violation(&e) => Err(Refusal::Clean(ClaimError::Raced)),
            Err(e) => Err(Refusal::Partial(e.into())),
        }
    }
}

/// One claim of the user's wallet; another user's is a 404.
pub async fn for_user(db: &Db, user_id: &UserId, claim_id: &str) -> Result<Claim, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{CLAIM_SELECT} WHERE c.id = $1 AND c.user_id = $2"));
    let row: Option<ClaimRow> = sqlx::query_as(sql).bind(claim_id).bind(user_id).fetch_optional(db.pool()).await?;
    row.map(|r| r.into_claim(now_ms())).ok_or_else(|| ApiError::not_found("No such claim in your wallet."))
}

/// The user's wallet, newest first.
pub async fn wallet(db: &Db, user_id: &UserId) -> Result<Vec<Claim>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{CLAIM_SELECT} WHERE c.user_id = $1 ORDER BY c.created_at DESC, c.id"));
    let rows: Vec<ClaimRow> = sqlx::query_as(sql).bind(user_id).fetch_all(db.pool()).await?;
    let now = now_ms();
    Ok(rows.into_iter().map(|r| r.into_claim(now)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_796_150_000_000;

    fn voucher() -> Claimable {
        Claimable {
            title: "Free coffee".into(),
            merchant_id: "m1".into(),
            merchant_name: "Kopi".into(),
            valid_from: None,
            valid_until: None,
            per_user_limit: 1,
            code_source: CodeSource::Generated,
            status: VoucherStatus::Published,
            coin_cost: None,
            sold: 0,
            visible: 1,
            in_stock: 1,
            claimed: 0,
            open_claim: None,
        }
    }

    #[test]
    fn drafts_and_hidden_vouchers_are_not_found_and_issuing_skips_only_visibility() {
        let draft = Claimable { status: VoucherStatus::Draft, ..voucher() };
        assert_eq!(check(Some(&draft), Source::Issue, NOW), Err(Refused::NotFound));
        assert_eq!(check(None, Source::Claim, NOW), Err(Refused::NotFound));
        let hidden = Claimable { visible: 0, ..voucher() };
        assert_eq!(check(Some(&hidden), Source::Claim, NOW), Err(Refused::NotFound));
        assert!(matches!(check(Some(&hidden), Source::Issue, NOW), Ok(Plan::New { seq: 1, .. })));
        let archived = Claimable { status: VoucherStatus::Archived, visible: 0, ..voucher() };
        assert_eq!(check(Some(&archived), Source::Claim, NOW), Err(Refused::Closed(Closed::Expired)));
    }

    #[test]
    fn an_open_claim_answers_before_the_window_the_limit_or_the_stock() {
        let held = Claimable { open_claim: Some("c1".into()), claimed: 1, in_stock: 0, valid_until: Some(NOW), ..voucher() };
        assert_eq!(check(Some(&held), Source::Claim, NOW), Ok(Plan::Existing("c1".into())));
    }

    #[test]
    fn coins_are_paid_by_the_user_not_by_the_issuing_partner() {
        let priced = Claimable { coin_cost: Some(50), code_source: CodeSource::Pool, ..voucher() };
        assert_eq!(check(Some(&priced), Source::Claim, NOW), Ok(Plan::New { seq: 1, coins: Some(50), from_pool: true }));
        assert_eq!(check(Some(&priced), Source::Issue, NOW), Ok(Plan::New { seq: 1, coins: None, from_pool: true }));
    }

    #[test]
    fn a_gift_card_with_a_price_is_bought_not_claimed_though_a_partner_may_issue_it() {
        let sold = Claimable { sold: 1, ..voucher() };
        assert_eq!(check(Some(&sold), Source::Claim, NOW), Err(Refused::Sold));
        assert!(matches!(check(Some(&sold), Source::Issue, NOW), Ok(Plan::New { seq: 1, coins: None, .. })));
        let hidden = Claimable { sold: 1, visible: 0, ..voucher() };
        assert_eq!(check(Some(&hidden), Source::Claim, NOW), Err(Refused::NotFound), "hidden first: not revealed");
    }

    fn status() -> impl Strategy<Value = VoucherStatus> {
        proptest::sample::select(VoucherStatus::ALL)
    }

    proptest! {
        /// Whatever the voucher, a plan is made only for a voucher that is not a
        /// draft, that the claimer may see (or a partner issues), in its window,
        /// under the limit and in stock — or for the open claim the user holds.
        #[test]
        fn a_new_claim_is_planned_only_when_every_rule_allows_it(
            status in status(), visible in 0i64..2, in_stock in 0i64..2, claimed in 0i64..4, per_user_limit in 1i64..4,
            from in proptest::option::of(NOW - 3..NOW + 3), until in proptest::option::of(NOW - 3..NOW + 3),
            open in any::<bool>(), issue in any::<bool>(), coin_cost in proptest::option::of(1i64..100),
        ) {
            let v = Claimable {
                status, visible, in_stock, claimed, per_user_limit, valid_from: from, valid_until: until, coin_cost,
                open_claim: open.then(|| "c1".to_string()), ..voucher()
            };
            let source = if issue { Source::Issue } else { Source::Claim };
            let shown = status != VoucherStatus::Draft && (visible == 1 || issue || status == VoucherStatus::Archived);
            match check(Some(&v), source, NOW) {
                Ok(Plan::Existing(id)) => {
                    prop_assert!(shown && open);
                    prop_assert_eq!(id, "c1");
                }
                Ok(Plan::New { seq, coins, .. }) => {
                    prop_assert!(shown && !open);
                    prop_assert_eq!(status, VoucherStatus::Published);
                    prop_assert!(until.is_none_or(|u| u > NOW) && from.is_none_or(|f| f <= NOW));
                    prop_assert!(claimed < per_user_limit && in_stock == 1);
                    prop_assert_eq!(seq, claimed + 1);
                    prop_assert_eq!(coins, if issue { None } else { coin_cost });
                }
                Err(Refused::NotFound) => prop_assert!(!shown),
                Err(Refused::Closed(_)) => prop_assert!(
                    shown && !open
                        && (status == VoucherStatus::Archived || until.is_some_and(|u| u <= NOW) || from.is_some_and(|f| f > NOW))
                ),
                Err(Refused::LimitReached { per_user_limit: limit }) => {
                    prop_assert!(shown && !open && claimed >= per_user_limit);
                    prop_assert_eq!(limit, per_user_limit);
                }
                Err(Refused::OutOfStock) => prop_assert!(shown && !open && in_stock == 0 && claimed < per_user_limit),
                Err(Refused::Sold) => prop_assert!(false, "no voucher here has a price"),
            }
        }
    }

    #[test]
    fn the_window_closes_at_valid_until_itself_and_opens_at_valid_from() {
        assert_eq!(window(false, None, Some(1_000), 999), Ok(()));
        assert_eq!(window(false, None, Some(1_000), 1_000), Err(Closed::Expired));
        assert_eq!(window(false, Some(1_000), None, 1_000), Ok(()));
        assert_eq!(window(false, Some(1_000), None, 999), Err(Closed::NotYet));
        assert_eq!(window(true, None, None, 0), Err(Closed::Expired));
    }
}
