//! An order's screen, `/consumer/orders/{orderId}`: where the payment page
//! comes back to. The gift card (number, PIN, QR and barcode) once issued, or
//! what happened to the money: "no money was taken" is never confused with
//! "a refund is on its way". Tells the host the outcome once
//! (`payment_success`, `payment_fail`, `voucher_generation_*`).

use crate::{
    bridge,
    components::{AppHeader, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
    i18n::{Texts, t, t_with},
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use tessera_core::{
    money::{Currency, Money},
    orders::OrderState,
};

/// A gift card as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardView {
    pub number: String,
    pub pin: Option<String>,
    pub valid_until: Option<String>,
    pub qr_svg: Option<String>,
    pub barcode_svg: Option<String>,
}

/// An order as its screens show it (the purchase history, the wallet and
/// its own screen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub voucher_id: String,
    pub brand_name: String,
    pub title: String,
    pub state: OrderState,
    pub currency: String,
    pub face_value: i64,
    pub to_pay: i64,
    pub provider: String,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub card: Option<CardView>,
}

impl OrderView {
    /// An amount of this order's currency as the user reads it.
    pub fn money(&self, minor: i64) -> String {
        crate::i18n::money(minor, &self.currency)
    }

    /// What the order's status chip says, and its class.
    pub fn status_label(&self) -> (&'static str, String) {
        let key = match self.state {
            OrderState::Created | OrderState::PaymentPending => "order-status-pending",
            OrderState::Paid => "order-status-issuing",
            OrderState::Fulfilled => "order-status-completed",
            OrderState::PaymentFailed => "order-status-payment-failed",
            OrderState::FulfilmentFailed => "order-status-refund-due",
            OrderState::Refunded => "order-status-refunded",
            OrderState::Reversed => "order-status-reversed",
        };
        (self.state.as_str(), t(key))
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn view_of(o: tessera_core::orders::Order, card: Option<tessera_core::orders::GiftCard>) -> OrderView {
    let card = card.filter(|_| o.state == OrderState::Fulfilled).map(|c| CardView {
        qr_svg: tessera_core::qr::svg(&c.card_number),
        barcode_svg: tessera_core::qr::barcode_svg(&c.card_number),
        number: c.card_number,
        pin: c.card_pin,
        valid_until: c.valid_until.map(|v| v.to_rfc3339()),
    });
    OrderView {
        id: o.id,
        voucher_id: o.voucher_id,
        brand_name: o.brand_name,
        title: o.voucher_title,
        state: o.state,
        currency: o.currency.as_str().to_string(),
        face_value: o.face_value,
        to_pay: o.to_pay,
        provider: o.provider,
        failure_reason: o.failure_reason,
        created_at: o.created_at.to_rfc3339(),
        card,
    }
}

#[server]
pub async fn my_order(id: String) -> Result<OrderView, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let found = tessera_core::orders::for_user(&platform.db, &viewer.user_id, &id).await?;
    Ok(view_of(found.order, found.gift_card))
}

/// The user's purchases, newest first (an order never sent to payment is left out).
#[server]
pub async fn my_orders() -> Result<Vec<OrderView>, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let list = tessera_core::orders::history(&platform.db, &viewer.user_id).await?;
    Ok(list.into_iter().filter(|o| o.state != OrderState::Created).map(|o| view_of(o, None)).collect())
}

/// A purchase in a list: brand, title, amount, status; to its screen.
#[component]
pub fn OrderItem(o: OrderView) -> impl IntoView {
    let (state, status) = o.status_label();
    view! {
        <li class="transaction purchase" data-order-id=o.id.clone() data-state=state>
            <a class="card-link" href=href(&format!("/consumer/orders/{}", o.id))>
                <p class="merchant">{o.brand_name.clone()}</p>
                <h3 class="title"><VoucherTitle title=o.title.clone()/></h3>
                <p class="where">{t_with("order-line", &[("value", o.money(o.face_value)), ("paid", o.money(o.to_pay))])}" · "<time datetime=o.created_at.clone()>{crate::i18n::date_time(&o.created_at)}</time></p>
                <span class="chip order-status" data-state=state>{status}</span>
            </a>
        </li>
    }
}

/// `/consumer/orders/{orderId}` (`?from=payment` when the payment page sent the user here).
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let from_payment = use_query_map().read_untracked().get("from").as_deref() == Some("payment");
    let loaded = Resource::new(move || id.clone(), my_order);
    view! {
        <Title text=t("order-title")/>
        <main class="consumer order-page" data-refresh-on-return>
            <AppHeader title=t("order-title") back="/consumer/transactions"/>
            <Suspense fallback=|| view! { <Loading text=t("order-loading")/> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(o) => view! { <OrderBody o from_payment/> }.into_any(),
                        Err(e) => view! { <ErrorState title=t("order-error") error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="wallet"/>
        </main>
    }
}

#[component]
fn OrderBody(o: OrderView, from_payment: bool) -> impl IntoView {
    let paid = o.money(o.to_pay);
    let (state_class, status) = o.status_label();
    let again = format!(
        "/consumer/buy/{}?amount={}",
        o.voucher_id,
        Currency::parse(&o.currency).map_or(String::new(), |c| Money::new(o.face_value, c).major())
    );
    let outcome = match o.state {
        OrderState::Fulfilled => view! {
            <div class="outcome outcome-ok" role="status"><h3>{t("order-ready")}</h3></div>
        }
        .into_any(),
        OrderState::PaymentFailed => view! {
            <div class="outcome outcome-failed" role="alert">
                <h3>{t("order-payment-failed")}</h3>
                {o.failure_reason.clone().map(|r| view! { <p class="reason">{r}</p> })}
                <a class="button try-again" href=href(&again)>{t("order-try-again")}</a>
            </div>
        }
        .into_any(),
        OrderState::FulfilmentFailed => view! {
            <div class="outcome outcome-failed" role="alert">
                <h3>{t("order-not-issued")}</h3>
                <p class="refund">{t_with("order-refund-on-its-way", &[("amount", paid.clone())])}</p>
            </div>
        }
        .into_any(),
        OrderState::Refunded => view! {
            <div class="outcome outcome-failed" role="status">
                <h3>{t("order-not-issued")}</h3>
                <p class="refund">{t_with("order-refunded", &[("amount", paid.clone())])}</p>
            </div>
        }
        .into_any(),
        OrderState::Reversed => view! {
            <div class="outcome" role="status">
                <h3>{t("order-reversed")}</h3>
                <p class="refund">{t_with("order-refunded", &[("amount", paid.clone())])}</p>
            </div>
        }
        .into_any(),
        OrderState::Paid => view! {
            <div class="outcome" role="status"><h3>{t("order-issuing")}</h3></div>
        }
        .into_any(),
        OrderState::Created | OrderState::PaymentPending => view! {
            <div class="outcome" role="status">
                <h3>{t("order-waiting")}</h3>
                <p>{t("order-waiting-text")}</p>
                <a class="button secondary check-again" href=href(&format!("/consumer/orders/{}", o.id))>{t("order-check-again")}</a>
            </div>
        }
        .into_any(),
    };
    let card = o.card.clone().map(|c| {
        let valid = c.valid_until.clone();
        view! {
            <section class="gift-card redeemed" aria-label=t("order-card-label")>
                {c.qr_svg.clone().map(|svg| view! { <div class="qr" role="img" aria-label=t("redeem-qr-label") inner_html=svg></div> })}
                {c.barcode_svg.clone().map(|svg| view! { <div class="barcode" role="img" aria-label=t("redeem-barcode-label") inner_html=svg></div> })}
                <CardNumber number=c.number.clone() texts=crate::i18n::texts(&["order-card-number", "redeem-code-label", "copy-code", "copy-done", "copy-failed"])/>
                <dl class="facts card-facts">
                    {c.pin.clone().map(|pin| view! { <dt>{t("order-card-pin")}</dt><dd class="pin">{pin}</dd> })}
                    {valid.map(|u| view! { <dt>{t("voucher-valid-until")}</dt><dd class="valid-until"><time datetime=u.clone()>{crate::i18n::last_day(&u)}</time></dd> })}
                </dl>
                <p class="hint">{t("order-card-hint")}</p>
            </section>
        }
    });
    let figure = |minor: i64| Currency::parse(&o.currency).map(|c| crate::pages::checkout::major_of(Money::new(minor, c)));
    let (amount, paid_figure) = (figure(o.face_value), figure(o.to_pay));
    view! {
        <Title text=t("order-title")/>
        <article class="voucher-detail order" data-order-id=o.id.clone() data-state=state_class>
            <p class="merchant">{o.brand_name.clone()}</p>
            <h2 class="title"><VoucherTitle title=o.title.clone()/></h2>
            <p class="chip order-status" data-state=state_class>{status}</p>
            {outcome}
            {card}
            <dl class="facts summary">
                <dt>{t("checkout-face-value")}</dt><dd class="face-value">{o.money(o.face_value)}</dd>
                {(o.face_value != o.to_pay).then(|| view! { <dt>{t("order-discount")}</dt><dd class="discount">{format!("−{}", o.money(o.face_value - o.to_pay))}</dd> })}
                <dt class="total">{t("order-paid")}</dt><dd class="to-pay total">{paid.clone()}</dd>
                <dt>{t("order-placed")}</dt><dd><time datetime=o.created_at.clone()>{crate::i18n::date_time(&o.created_at)}</time></dd>
                <dt>{t("order-reference")}</dt><dd class="reference">{o.id.clone()}</dd>
            </dl>
        </article>
        <OrderOutcome order_id=o.id.clone() state=o.state amount paid=paid_figure currency=o.currency.clone() brand_name=o.brand_name.clone()
            provider=o.provider.to_ascii_uppercase() failure_reason=o.failure_reason.clone() from_payment/>
    }
}

/// The card's number, large, with a copy button.
#[island]
fn CardNumber(number: String, texts: Texts) -> impl IntoView {
    view! {
        <p class="code-label">{texts.get("order-card-number")}</p>
        <crate::pages::redeem::CodeView code=number texts/>
    }
}

/// Tells the host how the payment ended (once: `from=payment` is then taken
/// out of the address), and looks again while the card is being issued.
#[island]
fn OrderOutcome(
    order_id: String,
    state: OrderState,
    /// The face value and what was paid, in major units (seed 001's analytics).
    amount: Option<serde_json::Value>,
    paid: Option<serde_json::Value>,
    currency: String,
    brand_name: String,
    provider: String,
    failure_reason: Option<String>,
    from_payment: bool,
) -> impl IntoView {
    Effect::new(move |_| {
        if state == OrderState::Paid {
            // Issuing takes a moment: look again (the screen is rendered on the server).
            set_timeout(
                || {
                    #[cfg(feature = "hydrate")]
                    let _ = window().location().reload();
                },
                std::time::Duration::from_millis(1500),
            );
            return;
        }
        if !from_payment {
            return;
        }
        let settled = serde_json::json!({ "amount": amount, "amountPaid": paid, "currency": currency, "referenceId": order_id, "provider": provider });
        let told = match state {
            OrderState::Fulfilled => {
                bridge::analytics("payment_success", settled.clone());
                bridge::analytics("voucher_generation_success", serde_json::json!({ "orderId": order_id, "brandName": brand_name }));
                true
            }
            OrderState::PaymentFailed => {
                bridge::analytics(
                    "payment_fail",
                    serde_json::json!({ "amount": amount, "amountPaid": paid, "currency": currency, "referenceId": order_id, "failureReason": failure_reason }),
                );
                true
            }
            OrderState::FulfilmentFailed | OrderState::Refunded => {
                bridge::analytics("payment_success", settled.clone());
                bridge::analytics(
                    "voucher_generation_fail",
                    serde_json::json!({ "orderId": order_id, "brandName": brand_name, "failureReason": failure_reason }),
                );
                true
            }
            // Not settled yet (the provider has not said): told when it is.
            _ => false,
        };
        #[cfg(feature = "hydrate")]
        if let (true, Ok(history), Ok(href)) = (told, window().history(), window().location().href()) {
            // Told once: a reload or a return from the background does not tell the host again.
            let without = href.replace("?from=payment&", "?").replace("?from=payment", "").replace("&from=payment", "");
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&without));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = told;
    });
}
