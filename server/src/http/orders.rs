//! Buying gift cards (SPEC §10): the user's orders (`/me/orders`), the
//! partner's view of them (`/integrations/orders`), the operator's reversal,
//! and the sandbox provider's hosted payment page (`/pay/sandbox/{paymentId}`).

use super::plain_page::{escape, page, page_with};
use super::{
    AppState,
    extract::{ApiJson, ApiQuery, Consumer, Operator},
};
use axum::{
    Extension, Json, Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tessera_core::{
    error::ErrorCode,
    error::{ApiError, ErrorBody},
    money::Money,
    orders::{self, NewOrder, Order, OrderPage, OrderWithCard, PaymentStart, Quote, Settlement},
    partners::Partner,
    payments::{
        Provider,
        razorpay::{self, Confirmed, Razorpay, WebhookEvent},
        sandbox,
    },
    types::{PartnerId, Scope},
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
    OpenApiRouter::new().routes(routes!(partner_get_order)).routes(routes!(partner_list_orders))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_get_order)).routes(routes!(admin_list_orders)).routes(routes!(reverse_order))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct OrderQuery {
    /// `nextAfter` of the previous page.
    after: Option<String>,
    /// 1–200, default 100.
    limit: Option<i64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct AdminOrderQuery {
    /// One partner's orders only.
    partner_id: Option<PartnerId>,
    after: Option<String>,
    limit: Option<i64>,
}

/// The partner's orders, oldest first; page on with `after`.
#[utoipa::path(get, path = "/integrations/orders", tag = "partner", security(("partner_hmac" = [])),
    params(OrderQuery),
    responses((status = 200, body = OrderPage)))]
async fn partner_list_orders(
    State(s): State<AppState>,
    Extension(partner): Extension<Partner>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Json<OrderPage>, ApiError> {
    Ok(Json(orders::list(&s.platform.db, Scope::Partner(&partner.id), q.after.as_deref(), q.limit.unwrap_or(100)).await?))
}

/// Every partner's orders (or one's), oldest first; page on with `after`.
#[utoipa::path(get, path = "/admin/orders", tag = "admin", security(("operator" = [])),
    params(AdminOrderQuery),
    responses((status = 200, body = OrderPage)))]
async fn admin_list_orders(
    _: Operator,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AdminOrderQuery>,
) -> Result<Json<OrderPage>, ApiError> {
    let scope = q.partner_id.as_ref().map_or(Scope::Operator, Scope::Partner);
    Ok(Json(orders::list(&s.platform.db, scope, q.after.as_deref(), q.limit.unwrap_or(100)).await?))
}

/// The providers' pages and callbacks: not part of the API.
pub fn pay_routes() -> Router<AppState> {
    Router::new()
        .route("/pay/sandbox/{payment}", get(sandbox_page).post(sandbox_pay))
        .route("/pay/razorpay/webhook", post(razorpay_webhook))
        .route("/pay/razorpay/{payment}", get(razorpay_page))
        .route("/pay/razorpay/{payment}/callback", post(razorpay_callback))
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

/// Takes an issued gift card back and refunds its payment: the order becomes `reversed` (ORDER_REVERSED).
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
async fn sandbox_page(State(s): State<AppState>, Path(payment): Path<String>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let found = sandbox_payment(&s, &payment).await?;
    if let Some(back) = settled_back_to_webview(&found, query.as_deref()) {
        return Ok(back);
    }
    let card = tessera_core::webview::chosen_method(query.as_deref()) == Some("card");
    let (amount, state) = (found.money(), found.state);
    let note = if sandbox::pays(amount) {
        "This test payment will succeed."
    } else {
        "₹813 is the sandbox's failing amount: this payment will fail."
    };
    let form = if state == "pending" {
        format!(
            "<form method=post><fieldset><legend>Pay with</legend>\
             <label><input type=radio name=method value=upi{upi}> UPI</label> \
             <label><input type=radio name=method value=card{card}> Card</label></fieldset>\
             <button type=submit>Pay {amount}</button></form>{back}",
            upi = if card { "" } else { " checked" },
            card = if card { " checked" } else { "" },
            back = tessera_core::webview::back_to_webview(&found.order_id, query.as_deref())
                .map(|to| format!("<p><a href=\"{}\">Cancel and go back</a></p>", escape(&to)))
                .unwrap_or_default(),
        )
    } else {
        format!("<p>This payment is {state}.</p>")
    };
    page("Sandbox payment", &format!("<h1>Sandbox payment</h1><p class=amount>{amount}</p><p>{note}</p>{form}"))
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
    RawQuery(query): RawQuery,
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
    if let Some(to) = tessera_core::webview::back_to_webview(&order.id, query.as_deref()) {
        return Ok(Redirect::to(&to).into_response());
    }
    let said = outcome_text(&order);
    page("Sandbox payment", &format!("<h1>Sandbox payment</h1><p role=status>{said}</p>"))
}

/// A payment page opened again from the webview once its payment is settled
/// (the user went back to it): to the order's screen, which says how it ended.
fn settled_back_to_webview(found: &orders::Payment, query: Option<&str>) -> Option<Response> {
    (found.state != "pending")
        .then(|| tessera_core::webview::back_to_webview(&found.order_id, query))
        .flatten()
        .map(|to| Redirect::to(&to).into_response())
}

/// Razorpay with this server's keys, and one of its payments.
async fn razorpay_payment(s: &AppState, id: &str) -> Result<(Razorpay, orders::Payment), ApiError> {
    let rzp = Provider::razorpay(&s.platform).ok_or_else(|| ApiError::not_found("Razorpay is not set up on this server."))?;
    let found = orders::payment(&s.platform.db, id).await?;
    if found.provider != razorpay::NAME {
        return Err(ApiError::not_found("No such Razorpay payment."));
    }
    Ok((rzp, found))
}

/// The page that opens Razorpay's Checkout for a payment; Checkout posts
/// its outcome to the callback below.
async fn razorpay_page(State(s): State<AppState>, Path(payment): Path<String>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let (rzp, found) = razorpay_payment(&s, &payment).await?;
    if let Some(back) = settled_back_to_webview(&found, query.as_deref()) {
        return Ok(back);
    }
    let order = orders::get(&s.platform.db, &found.order_id).await?;
    let options = serde_json::json!({
        "key": rzp.key_id(),
        "amount": found.amount,
        "currency": found.currency,
        "order_id": found.provider_order_id,
        "name": order.brand_name,
        "description": format!("Gift card {}", Money::new(order.face_value, order.currency)),
        // The webview's return (return=webview…) rides along to the callback.
        "callback_url": match &query { Some(q) => format!("/pay/razorpay/{payment}/callback?{q}"), None => format!("/pay/razorpay/{payment}/callback") },
        "redirect": true,
    });
    let body = if found.state == "pending" {
        format!(
            "<h1>{}</h1><p class=amount>{}</p><button id=pay type=button>Pay with UPI or card</button>\
             <script src=\"https://checkout.razorpay.com/v1/checkout.js\" nonce={{nonce}}></script>\
             <script nonce={{nonce}}>const o={};document.getElementById('pay').onclick=()=>new Razorpay(o).open();</script>",
            escape(&order.brand_name),
            found.money(),
            options.to_string().replace('<', "\\u003c"),
        )
    } else {
        format!("<p>This payment is {}.</p>", found.state)
    };
    page_with(
        "Payment",
        &body,
        "script-src 'nonce-{nonce}' https://checkout.razorpay.com; frame-src https://api.razorpay.com https://checkout.razorpay.com; \
         connect-src https://api.razorpay.com https://lumberjack.razorpay.com; img-src https: data:; form-action 'self' https://api.razorpay.com",
    )
}

#[derive(Deserialize)]
struct CheckoutDone {
    razorpay_payment_id: Option<String>,
    razorpay_signature: Option<String>,
    #[serde(rename = "error[description]")]
    error_description: Option<String>,
}

/// Checkout's outcome, posted by the browser: trusted only once its
/// signature checks against the order id stored here, then confirmed with
/// Razorpay (a signature proves who sent it, not that it was captured).
async fn razorpay_callback(
    State(s): State<AppState>,
    Path(payment): Path<String>,
    RawQuery(query): RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (rzp, found) = razorpay_payment(&s, &payment).await?;
    let done: CheckoutDone = serde_urlencoded_form(&body)?;
    let (Some(payment_id), Some(signature)) = (done.razorpay_payment_id, done.razorpay_signature) else {
        let why = done.error_description.unwrap_or_else(|| "the payment was not completed".into());
        return page(
            "Payment",
            &format!("<h1>Payment not completed</h1><p role=status>{} No money was taken; you can try again.</p>", escape(&why)),
        );
    };
    let order_id = found.provider_order_id.clone().unwrap_or_default();
    if !rzp.payment_signature_valid(&order_id, &payment_id, &signature) {
        return Err(ApiError::new(ErrorCode::SignatureInvalid, "The payment's signature does not check: nothing was changed."));
    }
    let confirmed = rzp.confirm(&order_id, &payment_id, found.money()).await.map_err(|e| {
        ApiError::service_unavailable(format!("Razorpay could not confirm the payment ({e}); it will be confirmed by its webhook."))
            .with_retry_after(5)
    })?;
    let order = match confirmed {
        Confirmed::Captured { method } => {
            orders::settle(&s.platform, &payment, Settlement::Captured { provider_payment_id: payment_id, method }).await?
        }
        Confirmed::Failed { reason } => orders::settle(&s.platform, &payment, Settlement::Failed { reason }).await?,
        Confirmed::Pending => orders::get(&s.platform.db, &found.order_id).await?,
    };
    if let Some(to) = tessera_core::webview::back_to_webview(&order.id, query.as_deref()) {
        return Ok(Redirect::to(&to).into_response());
    }
    page("Payment", &format!("<h1>Payment</h1><p role=status>{}</p>", outcome_text(&order)))
}

/// Razorpay's webhook: verified over the raw body with the webhook secret,
/// applied once per `X-Razorpay-Event-Id` (a replay changes nothing).
async fn razorpay_webhook(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let rzp = Provider::razorpay(&s.platform).ok_or_else(|| ApiError::not_found("Razorpay is not set up on this server."))?;
    let signature = headers.get("x-razorpay-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !rzp.webhook_signature_valid(&body, signature) {
        return Err(ApiError::new(ErrorCode::SignatureInvalid, "X-Razorpay-Signature does not sign this body with the webhook secret."));
    }
    let event_id = headers.get("x-razorpay-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let event = razorpay::parse_webhook(&body).map_err(|e| ApiError::validation(vec![("body", e)]))?;
    let (provider_order_id, outcome) = match event {
        WebhookEvent::Captured { provider_order_id, provider_payment_id, method } => {
            (provider_order_id, Settlement::Captured { provider_payment_id, method })
        }
        WebhookEvent::Failed { provider_order_id, reason } => (provider_order_id, Settlement::Failed { reason }),
        WebhookEvent::Ignored(name) => return Ok(Json(serde_json::json!({ "received": true, "ignored": name }))),
    };
    if let Some(id) = &event_id
        && orders::seen_provider_event(&s.platform.db, razorpay::NAME, id).await?
    {
        return Ok(Json(serde_json::json!({ "received": true, "replay": true })));
    }
    let found = orders::payment_at_provider(&s.platform.db, razorpay::NAME, &provider_order_id).await?;
    orders::settle(&s.platform, &found.id, outcome).await?;
    // Recorded once applied: an event that failed half-way is applied again when Razorpay retries it.
    if let Some(id) = &event_id {
        orders::first_sight_of(&s.platform.db, razorpay::NAME, id).await?;
    }
    Ok(Json(serde_json::json!({ "received": true })))
}

fn outcome_text(order: &Order) -> String {
    match order.state {
        orders::OrderState::Fulfilled => "Payment received. Your gift card is ready: go back to the app.".to_string(),
        orders::OrderState::PaymentFailed => "Payment failed — no money was taken.".to_string(),
        _ => order.failure_reason.clone().unwrap_or_else(|| format!("The order is {}.", order.state)),
    }
}

fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let pairs: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned()))).collect();
    serde_json::from_value(serde_json::Value::Object(pairs)).map_err(|e| ApiError::validation(vec![("body", e.to_string())]))
}
