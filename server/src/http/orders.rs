//! Buying gift cards (SPEC §10): the user's orders (`/me/orders`), the
//! partner's view of them (`/integrations/orders`), the operator's reversal,
//! and the sandbox provider's hosted payment page (`/pay/sandbox/{paymentId}`).

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, Consumer, Operator},
};
use axum::{
    Extension, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use tessera_core::{
    error::{ApiError, ErrorBody},
    orders::{self, NewOrder, Order, OrderWithCard, PaymentStart, Quote, Settlement},
    partners::Partner,
    payments::sandbox,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn consumer_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(quote))
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order))
        .routes(routes!(pay_order))
}

pub fn partner_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(partner_get_order))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_get_order)).routes(routes!(reverse_order))
}

/// The sandbox provider's hosted payment page: not part of the API.
pub fn sandbox_routes() -> Router<AppState> {
    Router::new().route("/pay/sandbox/{payment}", get(sandbox_page).post(sandbox_pay))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct QuoteQuery {
    /// The face value in minor units (paise for INR).
    amount: i64,
}

/// What buying this gift card at `amount` costs the user: the lines and the total.
#[utoipa::path(get, path = "/me/vouchers/{id}/quote", tag = "consumer", security(("bearer" = [])),
    params(("id" = String, Path), QuoteQuery),
    responses(
        (status = 200, body = Quote),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 422, description = "validation_failed (an amount the price does not allow) · voucher_not_claimable (no price)", body = ErrorBody),
    ))]
async fn quote(
    State(s): State<AppState>,
    c: Consumer,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<QuoteQuery>,
) -> Result<Json<Quote>, ApiError> {
    Ok(Json(orders::quote(&s.platform.db, &c.holder, &id, q.amount).await?))
}

/// Creates an order for a gift card at a face value its price allows. The
/// same `checkoutKey` again answers the same order (200).
#[utoipa::path(post, path = "/me/orders", tag = "consumer", security(("bearer" = [])),
    request_body = NewOrder,
    responses(
        (status = 201, body = Order),
        (status = 200, description = "the order this checkout key already made", body = Order),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 410, description = "voucher_expired", body = ErrorBody),
        (status = 422, description = "validation_failed · voucher_not_claimable", body = ErrorBody),
        (status = 501, description = "payments_unavailable", body = ErrorBody),
    ))]
async fn create_order(State(s): State<AppState>, c: Consumer, ApiJson(new): ApiJson<NewOrder>) -> Result<Response, ApiError> {
    let (order, created) = orders::create(&s.platform, &c.holder, &new).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(order)).into_response())
}

/// The user's purchase history, newest first.
#[utoipa::path(get, path = "/me/orders", tag = "consumer", security(("bearer" = [])),
    responses((status = 200, body = Vec<Order>)))]
async fn list_orders(State(s): State<AppState>, c: Consumer) -> Result<Json<Vec<Order>>, ApiError> {
    Ok(Json(orders::history(&s.platform.db, &c.holder.user_id).await?))
}

/// One of the user's orders, with its gift card once fulfilled.
#[utoipa::path(get, path = "/me/orders/{id}", tag = "consumer", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = OrderWithCard), (status = 404, description = "not_found", body = ErrorBody)))]
async fn get_order(State(s): State<AppState>, c: Consumer, Path(id): Path<String>) -> Result<Json<OrderWithCard>, ApiError> {
    Ok(Json(orders::for_user(&s.platform.db, &c.holder.user_id, &id).await?))
}

/// Starts paying an order: where to pay it (`payUrl`).
#[utoipa::path(post, path = "/me/orders/{id}/pay", tag = "consumer", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 201, body = PaymentStart),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "order_not_payable", body = ErrorBody),
        (status = 503, description = "service_unavailable (the provider did not answer; retry)", body = ErrorBody),
    ))]
async fn pay_order(State(s): State<AppState>, c: Consumer, Path(id): Path<String>) -> Result<(StatusCode, Json<PaymentStart>), ApiError> {
    Ok((StatusCode::CREATED, Json(orders::pay(&s.platform, &c.holder, &id).await?)))
}

/// One of the partner's orders (never its gift card's code).
#[utoipa::path(get, path = "/integrations/orders/{id}", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path, description = "orderId from the ORDER_* event")),
    responses((status = 200, body = Order), (status = 404, description = "not_found", body = ErrorBody)))]
async fn partner_get_order(
    State(s): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(orders::for_partner(&s.platform.db, &partner.id, &id).await?))
}

/// Any order.
#[utoipa::path(get, path = "/admin/orders/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Order), (status = 404, description = "not_found", body = ErrorBody)))]
async fn admin_get_order(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Order>, ApiError> {
    Ok(Json(orders::get(&s.platform.db, &id).await?))
}

/// Takes an issued gift card back: the order becomes `reversed` (ORDER_REVERSED).
#[utoipa::path(post, path = "/admin/orders/{id}/reverse", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = Order),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "conflict (only a fulfilled order)", body = ErrorBody),
    ))]
async fn reverse_order(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Order>, ApiError> {
    Ok(Json(orders::reverse(&s.platform, &id).await?))
}

/// A payment of the sandbox provider (another provider's is not found here).
async fn sandbox_payment(s: &AppState, id: &str) -> Result<orders::Payment, ApiError> {
    let found = orders::payment(&s.platform.db, id).await?;
    if found.provider == sandbox::NAME { Ok(found) } else { Err(ApiError::not_found("No such sandbox payment.")) }
}

/// The hosted test payment page: the amount, UPI or card, and Pay.
async fn sandbox_page(State(s): State<AppState>, Path(payment): Path<String>) -> Result<Html<String>, ApiError> {
    let found = sandbox_payment(&s, &payment).await?;
    let (amount, state) = (found.money(), found.state);
    let note = if sandbox::pays(amount) {
        "This test payment will succeed."
    } else {
        "₹813 is the sandbox's failing amount: this payment will fail."
    };
    let form = if state == "pending" {
        format!(
            "<form method=post><fieldset><legend>Pay with</legend>\
             <label><input type=radio name=method value=upi checked> UPI</label> \
             <label><input type=radio name=method value=card> Card</label></fieldset>\
             <button type=submit>Pay {amount}</button></form>"
        )
    } else {
        format!("<p>This payment is {state}.</p>")
    };
    Ok(Html(page("Sandbox payment", &format!("<h1>Sandbox payment</h1><p class=amount>{amount}</p><p>{note}</p>{form}"))))
}

#[derive(Deserialize)]
struct SandboxPay {
    method: String,
}

/// Pays a sandbox payment: succeeds, unless its amount is the failing one.
/// A form post answers a page for people; JSON answers the order.
async fn sandbox_pay(
    State(s): State<AppState>,
    Path(payment): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let asked: SandboxPay = if json {
        serde_json::from_slice(&body).map_err(|e| ApiError::validation(vec![("method", e.to_string())]))?
    } else {
        let method = url::form_urlencoded::parse(&body).find(|(k, _)| k == "method").map(|(_, v)| v.into_owned()).unwrap_or_default();
        SandboxPay { method }
    };
    if !matches!(asked.method.as_str(), "upi" | "card") {
        return Err(ApiError::validation(vec![("method", "pay with upi or card".into())]));
    }
    let amount = sandbox_payment(&s, &payment).await?.money();
    let outcome = if sandbox::pays(amount) {
        Settlement::Captured { provider_payment_id: format!("sbx_pay_{payment}"), method: Some(asked.method) }
    } else {
        Settlement::Failed { reason: "the sandbox declines ₹813".into() }
    };
    let order = orders::settle(&s.platform, &payment, outcome).await?;
    if json {
        return Ok(Json(order).into_response());
    }
    let said = match order.state {
        orders::OrderState::Fulfilled => "Payment received. Your gift card is ready: go back to the app.".to_string(),
        orders::OrderState::PaymentFailed => "Payment failed — no money was taken.".to_string(),
        _ => order.failure_reason.clone().unwrap_or_else(|| format!("The order is {}.", order.state)),
    };
    Ok(Html(page("Sandbox payment", &format!("<h1>Sandbox payment</h1><p role=status>{said}</p>"))).into_response())
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}\
         .amount{{font-size:2rem;font-weight:600}}button{{font:inherit;padding:.75rem 1.5rem;border-radius:.5rem;border:0;background:#1f4fd1;color:#fff}}\
         fieldset{{border:1px solid #ccc;border-radius:.5rem;margin:1rem 0}}</style></head><body>{body}</body></html>"
    )
}
