//! Orders in the database: created from a quote, paid through the partner's
//! provider, fulfilled with a gift card or refunded. Every [`Step`] is one
//! conditional update committed with its event ([`advance`]), so a step that
//! arrives twice — a confirmation replayed, two tabs, a retry after a crash —
//! moves the order once; the recovery job ([`finish_unfinished`]) completes
//! what a crash left between two steps.

use super::{
    Line, LineKind, OrderOutcome, OrderState, Price, Quote, Step,
    supplier::{GiftCardSupplier, Supplier},
};
use crate::{
    Platform,
    claims::Holder,
    clock::now_ms,
    db::Db,
    error::{ApiError, ErrorCode, is_unique_violation},
    events::{self, EventType},
    ids::{new_id, redemption_code},
    money::{Currency, Money},
    payments::{self, Charge, Provider},
    types::{CodeSource, PartnerId, Timestamp, UserId, VoucherStatus},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An order as its user and its partner see it (never the gift card's code:
/// that is the user's, in [`OrderWithCard`]).
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub partner_id: PartnerId,
    pub user_id: UserId,
    pub voucher_id: String,
    pub voucher_title: String,
    /// The brand: the voucher's merchant.
    pub brand_name: String,
    #[schema(value_type = String, example = "INR")]
    pub currency: Currency,
    /// The gift card's value, in minor units.
    pub face_value: i64,
    /// What the user pays, in minor units: the sum of the lines.
    pub to_pay: i64,
    /// The face value, then what comes off it (negative).
    #[sqlx(skip)]
    pub lines: Vec<Line>,
    pub state: OrderState,
    /// As a partner's transaction webhook says it: PENDING, COMPLETED, FAILED, REVERSED.
    #[sqlx(skip)]
    pub status: Option<OrderOutcome>,
    /// The payment provider (`sandbox`).
    pub provider: String,
    /// Why it failed, for people.
    pub failure_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The gift card an order bought.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GiftCard {
    pub id: String,
    pub card_number: String,
    pub card_pin: Option<String>,
    pub valid_until: Option<Timestamp>,
    pub amount: i64,
    #[schema(value_type = String, example = "INR")]
    pub currency: Currency,
}

/// An order with its gift card, for its user.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderWithCard {
    #[serde(flatten)]
    pub order: Order,
    /// Once fulfilled.
    pub gift_card: Option<GiftCard>,
}

/// `POST /me/orders`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrder {
    pub voucher_id: String,
    /// The face value in minor units, one the voucher's price allows.
    pub amount: i64,
    /// The checkout's own key (1–64 characters): sending it again, from a
    /// double tap or a retry, answers the same order.
    pub checkout_key: String,
}

/// Where the user pays a payment.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStart {
    pub payment_id: String,
    pub provider: String,
    /// Open this page to pay (the sandbox's hosted page, or the provider's checkout).
    pub pay_url: String,
}

const ORDER_COLUMNS: &str = "o.id, o.partner_id, o.user_id, o.voucher_id, v.title AS voucher_title, m.name AS brand_name, \
     o.currency, o.face_value, o.to_pay, o.state, o.provider, o.failure_reason, o.created_at, o.updated_at";
const ORDER_FROM: &str = "FROM orders o JOIN vouchers v ON v.id = o.voucher_id JOIN merchants m ON m.id = v.merchant_id";

/// What buying a voucher needs to know of it, for this user.
#[derive(sqlx::FromRow)]
struct Sellable {
    title: String,
    brand_name: String,
    price: Option<Price>,
    status: VoucherStatus,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    visible: i64,
}

async fn sellable(db: &Db, holder: &Holder, voucher_id: &str) -> Result<(Price, Sellable), ApiError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT v.title, m.name AS brand_name, v.price, v.status, v.valid_from, v.valid_until, CASE WHEN {} THEN 1 ELSE 0 END AS visible \
         FROM vouchers v JOIN merchants m ON m.id = v.merchant_id WHERE v.id = $2",
        crate::catalog::visible_to("$1", "NULL")
    ));
    let found: Option<Sellable> = sqlx::query_as(sql).bind(&holder.user_id).bind(voucher_id).fetch_optional(db.pool()).await?;
    let v = found.filter(|v| v.visible == 1).ok_or_else(|| ApiError::not_found("No such voucher."))?;
    crate::claims::window(v.status == VoucherStatus::Archived, v.valid_from, v.valid_until, now_ms()).map_err(|c| c.error())?;
    let price = v.price.clone().ok_or_else(|| {
        ApiError::new(ErrorCode::VoucherNotClaimable, "This voucher has no price: claim it (POST /me/claims) instead of buying it.")
    })?;
    Ok((price, v))
}

/// The figures of buying `voucher_id` at `amount` for this user: what the checkout shows.
pub async fn quote(db: &Db, holder: &Holder, voucher_id: &str, amount: i64) -> Result<Quote, ApiError> {
    Ok(priced(db, holder, voucher_id, amount).await?.0)
}

/// The quote, and the voucher it prices.
async fn priced(db: &Db, holder: &Holder, voucher_id: &str, amount: i64) -> Result<(Quote, Sellable), ApiError> {
    let (price, voucher) = sellable(db, holder, voucher_id).await?;
    let quote = price.quote(amount).map_err(|why| ApiError::validation(vec![("amount", why)]))?;
    Ok((quote, voucher))
}

/// The provider a partner's orders are paid through.
async fn provider_for(p: &Platform, partner_id: &PartnerId) -> Result<Provider, ApiError> {
    let partner = crate::partners::find_recent(p, partner_id).await?.ok_or_else(|| ApiError::not_found("No such partner."))?;
    if partner.is_sandbox() {
        return Ok(Provider::Sandbox(payments::sandbox::Sandbox));
    }
    Provider::razorpay(p)
        .map(|r| Provider::Razorpay(Box::new(r)))
        .ok_or_else(|| ApiError::new(ErrorCode::PaymentsUnavailable, "This app's partner has no payment provider set up yet."))
}

/// Creates the user's order (or answers the one this checkout key made):
/// priced now, from the voucher's price; `created` is false for a repeat.
pub async fn create(p: &Platform, holder: &Holder, new: &NewOrder) -> Result<(Order, bool), ApiError> {
    if new.checkout_key.is_empty() || new.checkout_key.len() > 64 {
        return Err(ApiError::validation(vec![("checkoutKey", "give the checkout a key of 1–64 characters".into())]));
    }
    // The usual checkout is new: priced first; a repeat of one is found by its
    // key when pricing fails (the voucher ended since) or the insert collides.
    let (quote, voucher) = match priced(&p.db, holder, &new.voucher_id, new.amount).await {
        Ok(priced) => priced,
        Err(refused) => {
            return match by_checkout_key(&p.db, &holder.user_id, &new.checkout_key).await? {
                Some(existing) => Ok((existing, false)),
                None => Err(refused),
            };
        }
    };
    let provider = provider_for(p, &holder.partner_id).await?;
    let id = new_id();
    let now = now_ms();
    // Every line in one statement.
    let rows = (0..quote.lines.len()).map(|i| format!("($1, ${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4)).collect::<Vec<_>>();
    let lines_sql = format!("INSERT INTO order_lines (order_id, position, kind, amount) VALUES {}", rows.join(", "));
    let (order_id, partner_id, user_id, voucher_id, key, lines) = (
        id.clone(),
        holder.partner_id.clone(),
        holder.user_id.clone(),
        new.voucher_id.clone(),
        new.checkout_key.clone(),
        quote.lines.clone(),
    );
    let (currency, face_value, to_pay, provider_name) = (quote.currency, quote.face_value, quote.to_pay, provider.name());
    // One write job (SQLite commits concurrent ones together).
    let written = p
        .db
        .write(move |tx| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO orders (id, partner_id, user_id, voucher_id, currency, face_value, to_pay, state, provider, checkout_key, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'created', $8, $9, $10, $10)",
                )
                .bind(&order_id)
                .bind(&partner_id)
                .bind(&user_id)
                .bind(&voucher_id)
                .bind(currency)
                .bind(face_value)
                .bind(to_pay)
                .bind(provider_name)
                .bind(&key)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(lines_sql)).bind(&order_id);
                for (position, line) in lines.iter().enumerate() {
                    insert = insert.bind(position as i64).bind(line.kind).bind(line.amount);
                }
                insert.execute(&mut *tx).await?;
                Ok::<_, sqlx::Error>(())
            })
        })
        .await;
    match written {
        Ok(()) => {}
        // The same checkout again (a double tap, a retry): the first made it.
        Err(e) if is_unique_violation(&e) => {
            let existing = by_checkout_key(&p.db, &holder.user_id, &new.checkout_key).await?;
            return existing.map(|o| (o, false)).ok_or_else(|| ApiError::internal(anyhow::anyhow!("order vanished")));
        }
        Err(e) => return Err(e.into()),
    }
    let order = Order {
        id,
        partner_id: holder.partner_id.clone(),
        user_id: holder.user_id.clone(),
        voucher_id: new.voucher_id.clone(),
        voucher_title: voucher.title,
        brand_name: voucher.brand_name,
        currency: quote.currency,
        face_value: quote.face_value,
        to_pay: quote.to_pay,
        lines: quote.lines,
        state: OrderState::Created,
        status: Some(OrderState::Created.outcome()),
        provider: provider.name().to_string(),
        failure_reason: None,
        created_at: Timestamp(now),
        updated_at: Timestamp(now),
    };
    Ok((order, true))
}

async fn by_checkout_key(db: &Db, user_id: &UserId, key: &str) -> Result<Option<Order>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.user_id = $1 AND o.checkout_key = $2"));
    let found: Option<Order> = sqlx::query_as(sql).bind(user_id).bind(key).fetch_optional(db.pool()).await?;
    match found {
        Some(o) => Ok(Some(with_lines(db, o).await?)),
        None => Ok(None),
    }
}

async fn with_lines(db: &Db, mut order: Order) -> Result<Order, ApiError> {
    let lines: Vec<(LineKind, i64)> = sqlx::query_as("SELECT kind, amount FROM order_lines WHERE order_id = $1 ORDER BY position")
        .bind(&order.id)
        .fetch_all(db.pool())
        .await?;
    order.lines = lines.into_iter().map(|(kind, amount)| Line { kind, amount }).collect();
    order.status = Some(order.state.outcome());
    Ok(order)
}

/// One order, whoever's (the caller scopes it).
pub async fn get(db: &Db, id: &str) -> Result<Order, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.id = $1"));
    let found: Option<Order> = sqlx::query_as(sql).bind(id).fetch_optional(db.pool()).await?;
    with_lines(db, found.ok_or_else(|| ApiError::not_found("No such order."))?).await
}

/// The user's order with its gift card; another user's is a 404.
pub async fn for_user(db: &Db, user_id: &UserId, id: &str) -> Result<OrderWithCard, ApiError> {
    let order = get(db, id).await?;
    if &order.user_id != user_id {
        return Err(ApiError::not_found("No such order."));
    }
    let gift_card: Option<GiftCard> =
        sqlx::query_as("SELECT id, card_number, card_pin, valid_until, amount, currency FROM gift_cards WHERE order_id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(OrderWithCard { order, gift_card })
}

/// The partner's order (never its code); another partner's is a 404.
pub async fn for_partner(db: &Db, partner_id: &PartnerId, id: &str) -> Result<Order, ApiError> {
    let order = get(db, id).await?;
    if &order.partner_id != partner_id {
        return Err(ApiError::not_found("No such order."));
    }
    Ok(order)
}

/// The user's orders, newest first: the purchase history.
pub async fn history(db: &Db, user_id: &UserId) -> Result<Vec<Order>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.user_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT 200"
    ));
    let mut orders: Vec<Order> = sqlx::query_as(sql).bind(user_id).fetch_all(db.pool()).await?;
    // Every order's lines in one read (not one read per order).
    let lines: Vec<(String, LineKind, i64)> =
        sqlx::query_as("SELECT l.order_id, l.kind, l.amount FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.user_id = $1 ORDER BY l.order_id, l.position")
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    let mut by_order: std::collections::HashMap<String, Vec<Line>> = std::collections::HashMap::new();
    for (order_id, kind, amount) in lines {
        by_order.entry(order_id).or_default().push(Line { kind, amount });
    }
    for o in &mut orders {
        o.lines = by_order.remove(&o.id).unwrap_or_default();
        o.status = Some(o.state.outcome());
    }
    Ok(orders)
}

/// Starts paying the user's order: a payment at its provider, and the page to
/// pay it on. An order already paid, failed or finished is 409 `order_not_payable`;
/// a second payment of an order still waiting (another tab) is allowed: if
/// both succeed, the one that did not pay the order is refunded.
pub async fn pay(p: &Platform, holder: &Holder, order_id: &str) -> Result<PaymentStart, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.id = $1 AND o.user_id = $2"));
    let order: Order = sqlx::query_as(sql)
        .bind(order_id)
        .bind(&holder.user_id)
        .fetch_optional(p.db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("No such order."))?;
    if !matches!(order.state, OrderState::Created | OrderState::PaymentPending) {
        return Err(ApiError::new(ErrorCode::OrderNotPayable, format!("This order is {}: it takes no more payments.", order.state)));
    }
    let provider =
        Provider::named(p, &order.provider).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown provider {}", order.provider)))?;
    let payment_id = new_id();
    let amount = Money::new(order.to_pay, order.currency);
    let description = format!("Gift card: {} {}", order.brand_name, Money::new(order.face_value, order.currency));
    let created = provider
        .create(Charge { payment_id: &payment_id, order_id: &order.id, amount, description: &description })
        .await
        .map_err(|e| ApiError::service_unavailable(format!("The payment provider did not answer ({e}); try again.")).with_retry_after(2))?;
    let now = now_ms();
    let (id, order_id, provider_name, provider_order_id) =
        (payment_id.clone(), order.id.clone(), provider.name(), created.provider_order_id);
    // One write job (SQLite commits concurrent ones together).
    p.db.write(move |tx| {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO payments (id, order_id, provider, provider_order_id, amount, currency, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)",
            )
            .bind(&id)
            .bind(&order_id)
            .bind(provider_name)
            .bind(&provider_order_id)
            .bind(amount.minor)
            .bind(amount.currency)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            advance(tx, &order_id, Step::PaymentStarted, None, now).await?;
            Ok::<_, ApiError>(())
        })
    })
    .await?;
    Ok(PaymentStart { payment_id, provider: provider.name().to_string(), pay_url: created.pay_url })
}

/// A payment as its provider's page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Payment {
    pub id: String,
    pub order_id: String,
    pub provider: String,
    pub amount: i64,
    pub currency: Currency,
    /// `pending`, `captured`, `failed`, `refund_pending`, `refunded`.
    pub state: String,
    /// The provider's id for what it is paid against (a Razorpay `order_…`).
    pub provider_order_id: Option<String>,
}

impl Payment {
    pub fn money(&self) -> Money {
        Money::new(self.amount, self.currency)
    }
}

/// The payment a provider knows by its order id (`provider_order_id`).
pub async fn payment_at_provider(db: &Db, provider: &str, provider_order_id: &str) -> Result<Payment, ApiError> {
    let found: Option<Payment> = sqlx::query_as(
        "SELECT id, order_id, provider, amount, currency, state, provider_order_id FROM payments WHERE provider = $1 AND provider_order_id = $2",
    )
    .bind(provider)
    .bind(provider_order_id)
    .fetch_optional(db.pool())
    .await?;
    found.ok_or_else(|| ApiError::not_found("No such payment."))
}

/// Whether a provider's event was applied already (a replay).
pub async fn seen_provider_event(db: &Db, provider: &str, event_id: &str) -> Result<bool, ApiError> {
    let found: Option<(i64,)> = sqlx::query_as("SELECT received_at FROM provider_events WHERE provider = $1 AND event_id = $2")
        .bind(provider)
        .bind(event_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(found.is_some())
}

/// Records a provider's event id; false when it was recorded before (a replay).
pub async fn first_sight_of(db: &Db, provider: &str, event_id: &str) -> Result<bool, ApiError> {
    let done = sqlx::query("INSERT INTO provider_events (provider, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(provider)
        .bind(event_id)
        .bind(now_ms())
        .execute(db.write_pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One payment, by Tessera's id.
pub async fn payment(db: &Db, id: &str) -> Result<Payment, ApiError> {
    let found: Option<Payment> =
        sqlx::query_as("SELECT id, order_id, provider, amount, currency, state, provider_order_id FROM payments WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    found.ok_or_else(|| ApiError::not_found("No such payment."))
}

/// A payment's outcome, as its provider reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Captured { provider_payment_id: String, method: Option<String> },
    Failed { reason: String },
}

/// Records a payment's outcome and moves its order: a captured payment pays
/// a waiting order (or, when another payment paid it first, is refunded); a
/// failed one fails the order unless another of its payments is still alive.
/// A repeat of a recorded outcome changes nothing. Then issues the gift card
/// (or refunds) for a newly paid order. Returns the order afterwards.
pub async fn settle(p: &Platform, payment_id: &str, outcome: Settlement) -> Result<Order, ApiError> {
    let (platform, payment) = (p.clone(), payment_id.to_string());
    // One write job (SQLite commits concurrent ones together).
    let (order_id, to_fulfil, owed) =
        p.db.write(move |tx| Box::pin(async move { settle_in(&platform, tx, &payment, &outcome).await })).await?;
    if to_fulfil {
        fulfil_leased(p, &order_id).await?;
    }
    let order = get(&p.db, &order_id).await?;
    // Money owed back by this settlement is given back now (the job would, later).
    if owed || order.state == OrderState::FulfilmentFailed {
        refund_due(p).await?;
        return get(&p.db, &order_id).await;
    }
    Ok(order)
}

/// The settlement's writes: the payment's outcome, the order's step, and the
/// card when it comes at once. Answers the order, whether a supplier must be
/// asked now (the order leased to this call), and whether money is owed back.
async fn settle_in(
    p: &Platform,
    tx: &mut sqlx::AnyConnection,
    payment_id: &str,
    outcome: &Settlement,
) -> Result<(String, bool, bool), ApiError> {
    let now = now_ms();
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT order_id, state FROM payments WHERE id = $1").bind(payment_id).fetch_optional(&mut *tx).await?;
    let (order_id, state) = row.ok_or_else(|| ApiError::not_found("No such payment."))?;
    let (mut to_fulfil, mut owed) = (false, false);
    if state == "pending" {
        match outcome {
            Settlement::Captured { provider_payment_id, method } => {
                let paid = advance(tx, &order_id, Step::PaymentSucceeded, None, now).await?.is_some();
                // Captured, and it paid the order; or captured after another paid it: give it back.
                let next = if paid { "captured" } else { "refund_pending" };
                owed = !paid;
                sqlx::query(
                    "UPDATE payments SET state = $2, provider_payment_id = $3, method = $4, updated_at = $5 WHERE id = $1 AND state = 'pending'",
                )
                .bind(payment_id)
                .bind(next)
                .bind(provider_payment_id)
                .bind(method)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if paid {
                    // The card in the same transaction when it comes at once; else the
                    // order is leased to this call, which asks the supplier once committed.
                    match paid_order(tx, &order_id).await? {
                        Some(order) if instant(&order) => {
                            let supplied = supply(&order_id, &order).await;
                            issue_in(p, tx, &order_id, &order, supplied, now).await?;
                        }
                        _ => {
                            sqlx::query("UPDATE orders SET fulfilling_until = $2 WHERE id = $1")
                                .bind(&order_id)
                                .bind(now + FULFIL_LEASE_MS)
                                .execute(&mut *tx)
                                .await?;
                            to_fulfil = true;
                        }
                    }
                }
            }
            Settlement::Failed { reason } => {
                sqlx::query(
                    "UPDATE payments SET state = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1 AND state = 'pending'",
                )
                .bind(payment_id)
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let (alive,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM payments WHERE order_id = $1 AND state IN ('pending', 'captured')")
                        .bind(&order_id)
                        .fetch_one(&mut *tx)
                        .await?;
                if alive == 0 {
                    advance(tx, &order_id, Step::PaymentFailed, Some(&format!("The payment failed: {reason}. No money was taken.")), now)
                        .await?;
                }
            }
        }
    }
    Ok((order_id, to_fulfil, owed))
}

/// What fulfilment needs of a paid order.
#[derive(sqlx::FromRow)]
struct Paid {
    partner_id: PartnerId,
    user_id: UserId,
    voucher_id: String,
    face_value: i64,
    currency: Currency,
    code_source: CodeSource,
    supplier: Option<String>,
}

/// How long one fulfilment holds a paid order: a supplier slower than this
/// (or a process that died meanwhile) lets the recovery job take it over.
const FULFIL_LEASE_MS: i64 = 15_000;

/// Issues the gift card of a paid order: its code from the voucher's pool,
/// generated, or from its supplier; committed with the step to `fulfilled`
/// and `ORDER_COMPLETED`. When no card can be issued, the order moves to
/// `fulfilment_failed` and its payment is refunded. A repeat does nothing.
///
/// A supplier is called outside any transaction (it may be slow, or far): the
/// order is first leased to this call (`fulfilling_until`), so the recovery
/// job does not ask for a second card meanwhile; a process killed during the
/// call leaves the lease to lapse and the job issues the card then. The card
/// and the step are written in one transaction, and a second card for the
/// same order cannot be (`gift_cards.order_id` is unique): exactly one card,
/// or one refund. A real supplier takes the order id as its idempotency key.
pub async fn fulfil(p: &Platform, order_id: &str) -> Result<(), ApiError> {
    let started = now_ms();
    let leased = sqlx::query(
        "UPDATE orders SET fulfilling_until = $2 WHERE id = $1 AND state = 'paid' AND (fulfilling_until IS NULL OR fulfilling_until <= $3)",
    )
    .bind(order_id)
    .bind(started + FULFIL_LEASE_MS)
    .bind(started)
    .execute(p.db.write_pool())
    .await?;
    if leased.rows_affected() == 0 {
        // Not paid, or another call is issuing its card.
        return Ok(());
    }
    fulfil_leased(p, order_id).await
}

/// [`fulfil`], the order's lease held.
async fn fulfil_leased(p: &Platform, order_id: &str) -> Result<(), ApiError> {
    let mut read = p.db.pool().acquire().await?;
    let Some(paid) = paid_order(&mut read, order_id).await? else { return Ok(()) };
    drop(read);
    let supplied = supply(order_id, &paid).await;
    let mut tx = p.db.begin_write().await?;
    if issue_in(p, &mut tx, order_id, &paid, supplied, now_ms()).await? {
        tx.commit().await?;
    }
    Ok(())
}

/// What fulfilment needs of the order, while it is paid.
async fn paid_order(conn: &mut sqlx::AnyConnection, order_id: &str) -> Result<Option<Paid>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT o.partner_id, o.user_id, o.voucher_id, o.face_value, o.currency, v.code_source, v.supplier \
         FROM orders o JOIN vouchers v ON v.id = o.voucher_id WHERE o.id = $1 AND o.state = 'paid'",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Whether the card comes without waiting on anything outside this process
/// (the voucher's own codes, an instant supplier): then it is issued in the
/// very transaction that records the payment.
fn instant(paid: &Paid) -> bool {
    paid.supplier.as_deref().and_then(Supplier::named).is_none_or(|s| s.instant())
}

/// The supplier's card, or why it gave none; `None` for the voucher's own codes.
async fn supply(order_id: &str, paid: &Paid) -> Option<Result<(String, Option<String>), String>> {
    let name = paid.supplier.as_deref()?;
    let Some(supplier) = Supplier::named(name) else { return Some(Err(format!("this build has no supplier {name:?}"))) };
    let face = Money::new(paid.face_value, paid.currency);
    Some(supplier.issue(order_id, face).await.map(|card| (card.number, card.pin)).map_err(|why| why.0))
}

/// Writes the paid order's card (from the supplier's answer, or the
/// voucher's pool or a generated code) with the step to `fulfilled`; or, when
/// there is none, the step to `fulfilment_failed` and the refund owed. False
/// when nothing may be written: the order is no longer paid, or has its card.
async fn issue_in(
    p: &Platform,
    tx: &mut sqlx::AnyConnection,
    order_id: &str,
    paid: &Paid,
    supplied: Option<Result<(String, Option<String>), String>>,
    now: i64,
) -> Result<bool, ApiError> {
    let issued: Result<(String, Option<String>), String> = match supplied {
        Some(answer) => answer,
        None if paid.code_source == CodeSource::Pool => {
            let sold = sqlx::query(sqlx::AssertSqlSafe(p.db.backend().sell_pool_code().to_string()))
                .bind(order_id)
                .bind(&paid.voucher_id)
                .execute(&mut *tx)
                .await?;
            if sold.rows_affected() == 1 {
                let (code,): (String,) =
                    sqlx::query_as("SELECT code FROM voucher_codes WHERE order_id = $1").bind(order_id).fetch_one(&mut *tx).await?;
                Ok((code, None))
            } else {
                Err("every gift card code of this brand is sold".into())
            }
        }
        None => Ok((redemption_code(), None)),
    };
    match issued {
        Ok((number, pin)) => {
            // Only while the order is still paid, and only one card per order:
            // a call whose lease lapsed and was overtaken writes nothing.
            let written = sqlx::query(
                "INSERT INTO gift_cards (id, order_id, partner_id, user_id, voucher_id, card_number, card_pin, valid_until, amount, currency, created_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE EXISTS (SELECT 1 FROM orders WHERE id = $2 AND state = 'paid') \
                 ON CONFLICT (order_id) DO NOTHING",
            )
            .bind(new_id())
            .bind(order_id)
            .bind(&paid.partner_id)
            .bind(&paid.user_id)
            .bind(&paid.voucher_id)
            .bind(&number)
            .bind(&pin)
            .bind(now + CARD_VALIDITY_MS)
            .bind(paid.face_value)
            .bind(paid.currency)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if written.rows_affected() == 0 {
                return Ok(false);
            }
            advance(tx, order_id, Step::Fulfilled, None, now).await?;
        }
        Err(why) => {
            let reason = format!("The payment was received but the gift card could not be issued ({why}): a refund is on its way.");
            if advance(tx, order_id, Step::FulfilmentFailed, Some(&reason), now).await?.is_none() {
                return Ok(false);
            }
            owe_refund(tx, order_id, now).await?;
        }
    }
    Ok(true)
}

/// A gift card is valid for a year from its issue unless its supplier says otherwise.
const CARD_VALIDITY_MS: i64 = 365 * 24 * 3600 * 1000;

/// The order's captured payment is owed back: [`refund_due`] gives it back.
async fn owe_refund(tx: &mut sqlx::AnyConnection, order_id: &str, now: i64) -> Result<(), ApiError> {
    sqlx::query("UPDATE payments SET state = 'refund_pending', updated_at = $2 WHERE order_id = $1 AND state = 'captured'")
        .bind(order_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Refunds every payment due one (its order could not be fulfilled, or it
/// paid an order another payment had paid); the order of a refunded
/// unfulfilled payment moves to `refunded` with `ORDER_FAILED`. A provider
/// that does not answer leaves the refund due for the next pass.
pub async fn refund_due(p: &Platform) -> Result<u64, ApiError> {
    let due: Vec<(String, String, String, Option<String>, i64, Currency)> = sqlx::query_as(
        "SELECT id, order_id, provider, provider_payment_id, amount, currency FROM payments WHERE state = 'refund_pending' ORDER BY updated_at LIMIT 100",
    )
    .fetch_all(p.db.pool())
    .await?;
    let mut refunded = 0;
    for (payment_id, order_id, provider, provider_payment_id, amount, currency) in due {
        let Some(provider) = Provider::named(p, &provider) else { continue };
        let answer = provider.refund(provider_payment_id.as_deref().unwrap_or(&payment_id), Money::new(amount, currency)).await;
        let refund = match answer {
            Ok(r) if r.done => r,
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(payment_id, error = %e, "refund not done; will retry");
                continue;
            }
        };
        let now = now_ms();
        let mut tx = p.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE payments SET state = 'refunded', provider_refund_id = $2, updated_at = $3 WHERE id = $1 AND state = 'refund_pending'",
        )
        .bind(&payment_id)
        .bind(&refund.provider_refund_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            advance(&mut tx, &order_id, Step::Refunded, None, now).await?;
            refunded += 1;
        }
        tx.commit().await?;
    }
    Ok(refunded)
}

/// The recovery pass: fulfils paid orders a crash left unfulfilled, and
/// refunds what is due. Durable: the work is rows.
pub async fn finish_unfinished(p: &Platform) -> Result<(), ApiError> {
    let paid: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM orders WHERE state = 'paid' ORDER BY updated_at LIMIT 100").fetch_all(p.db.pool()).await?;
    for (id,) in paid {
        fulfil(p, &id).await?;
    }
    refund_due(p).await?;
    Ok(())
}

/// An operator takes an issued gift card back: `reversed`, with `ORDER_REVERSED`.
/// The money goes back too (seed 001: REVERSED is manual and refunded): its
/// captured payment is refunded by the same path as a failed fulfilment's.
pub async fn reverse(p: &Platform, order_id: &str) -> Result<Order, ApiError> {
    let now = now_ms();
    let mut tx = p.db.begin_write().await?;
    let moved = advance(&mut tx, order_id, Step::Reversed, Some("Reversed by an operator: the payment is refunded."), now).await?;
    if moved.is_some() {
        owe_refund(&mut tx, order_id, now).await?;
    }
    tx.commit().await?;
    if moved.is_none() {
        let order = get(&p.db, order_id).await?;
        return Err(ApiError::new(ErrorCode::Conflict, format!("Only a fulfilled order can be reversed; this one is {}.", order.state)));
    }
    refund_due(p).await?;
    get(&p.db, order_id).await
}

/// A page of orders, oldest first from after `after` (an order id: ids sort by
/// creation), for one partner or (the operator) all.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    pub items: Vec<Order>,
    /// Pass as `after` to read on; absent at the end.
    pub next_after: Option<String>,
}

pub async fn list(db: &Db, scope: crate::types::Scope<'_>, after: Option<&str>, limit: i64) -> Result<OrderPage, ApiError> {
    let limit = limit.clamp(1, 200);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE (o.partner_id = $1 OR $1 IS NULL) AND o.id > $2 ORDER BY o.id LIMIT $3"
    ));
    let rows: Vec<Order> = sqlx::query_as(sql).bind(scope.partner()).bind(after.unwrap_or("")).bind(limit + 1).fetch_all(db.pool()).await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::with_capacity(rows.len());
    for o in rows.into_iter().take(limit as usize) {
        items.push(with_lines(db, o).await?);
    }
    let next_after = if more { items.last().map(|o| o.id.clone()) } else { None };
    Ok(OrderPage { items, next_after })
}

/// Applies `step` to the order when its state allows (one conditional update)
/// and, when the order's outcome becomes known, writes its event in the same
/// transaction. `None` when the step did not apply (it happened already, or
/// cannot any more).
async fn advance(
    tx: &mut sqlx::AnyConnection,
    order_id: &str,
    step: Step,
    reason: Option<&str>,
    now: i64,
) -> Result<Option<OrderState>, ApiError> {
    let from = OrderState::before(step);
    let to = from.first().and_then(|s| s.after(step)).ok_or_else(|| ApiError::internal(anyhow::anyhow!("{step:?} moves nothing")))?;
    let states = from.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET state = $2, failure_reason = COALESCE($3, failure_reason), updated_at = $4 \
         WHERE id = $1 AND state IN ({states}) RETURNING partner_id, user_id"
    ));
    let moved: Option<(PartnerId, UserId)> =
        sqlx::query_as(sql).bind(order_id).bind(to).bind(reason).bind(now).fetch_optional(&mut *tx).await?;
    let Some((partner_id, user_id)) = moved else { return Ok(None) };
    let kind = match to.outcome() {
        OrderOutcome::Completed => Some(EventType::OrderCompleted),
        OrderOutcome::Failed => Some(EventType::OrderFailed),
        OrderOutcome::Reversed => Some(EventType::OrderReversed),
        OrderOutcome::Pending => None,
    };
    if let Some(kind) = kind {
        let data = event_data(tx, order_id).await?;
        events::enqueue(tx, &partner_id, kind, Some(&user_id), data).await?;
    }
    Ok(Some(to))
}

/// The order as its event reports it (Tessera's envelope: never a code).
async fn event_data(tx: &mut sqlx::AnyConnection, order_id: &str) -> Result<serde_json::Value, ApiError> {
    // One read inside the write transaction: the order, its brand, its user's
    // id at the partner, what came off it, and its card (never the code or PIN).
    let e: EventRow = sqlx::query_as(
        "SELECT o.id, o.state, o.voucher_id, m.name AS brand_name, v.merchant_id AS brand_id, o.user_id, u.external_user_id, \
         o.currency, o.face_value, o.to_pay, o.failure_reason, \
         (SELECT CAST(COALESCE(-SUM(l.amount), 0) AS BIGINT) FROM order_lines l WHERE l.order_id = o.id AND l.kind <> 'face_value') AS discount, \
         g.id AS card_id, g.valid_until AS card_valid_until, g.amount AS card_amount \
         FROM orders o JOIN vouchers v ON v.id = o.voucher_id JOIN merchants m ON m.id = v.merchant_id \
         JOIN users u ON u.id = o.user_id LEFT JOIN gift_cards g ON g.order_id = o.id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut *tx)
    .await?;
    let gift_card = e
        .card_id
        .filter(|_| e.state == OrderState::Fulfilled)
        .map(|id| json!({ "id": id, "validUntil": e.card_valid_until.map(Timestamp), "amount": e.card_amount }));
    Ok(json!({
        "orderId": e.id,
        "brandId": e.brand_id,
        "giftCard": gift_card,
        "status": e.state.outcome(),
        "state": e.state,
        "voucherId": e.voucher_id,
        "brandName": e.brand_name,
        "userId": e.user_id,
        "externalUserId": e.external_user_id,
        "currency": e.currency,
        "faceValue": e.face_value,
        "discount": e.discount,
        "amountPaid": e.to_pay,
        "failureReason": e.failure_reason,
    }))
}

/// An order as its `ORDER_*` event reports it.
#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    state: OrderState,
    voucher_id: String,
    brand_name: String,
    brand_id: String,
    user_id: UserId,
    external_user_id: Option<String>,
    currency: Currency,
    face_value: i64,
    to_pay: i64,
    failure_reason: Option<String>,
    discount: i64,
    card_id: Option<String>,
    card_valid_until: Option<i64>,
    card_amount: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_one_target_state() {
        for step in Step::ALL {
            let targets: std::collections::BTreeSet<&str> =
                OrderState::before(step).iter().filter_map(|s| s.after(step)).map(|s| s.as_str()).collect();
            assert_eq!(targets.len(), 1, "{step:?} → {targets:?}");
        }
    }
}
