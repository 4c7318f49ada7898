//! Buying a gift card (SPEC §10, seed 001 §8.2): `/consumer/buy/{voucherId}`
//! — the amount, what comes off it, what the user pays, and how — then the
//! provider's payment page, which comes back to the order's screen
//! (`pages::order`).

use crate::{
    bridge,
    components::{AppHeader, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
    i18n::{Locale, Texts, t},
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use tessera_core::{
    catalog::VoucherView,
    markup,
    money::Money,
    orders::{Price, PriceModel, Quote},
};

/// What the checkout screen needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutScreen {
    pub voucher: VoucherView,
    /// Why it cannot be bought now (ended, not begun), if so.
    pub unavailable: Option<String>,
    pub signed_in: bool,
    /// This visit's key: a double tap or a retry of the same amount makes one order.
    pub checkout_key: String,
}

#[server]
pub async fn checkout(id: String, coupon: Option<String>) -> Result<CheckoutScreen, AppError> {
    let (voucher, viewer) = crate::pages::voucher::seen(&id, coupon.as_deref()).await?;
    let unavailable = tessera_core::claims::unavailable(&voucher, tessera_core::clock::now_ms())
        .and_then(|why| match why {
            tessera_core::claims::Unavailable::Closed(tessera_core::claims::Closed::Expired) => Some("unavailable-expired"),
            tessera_core::claims::Unavailable::Closed(tessera_core::claims::Closed::NotYet) => Some("unavailable-not-yet"),
            // A gift card's stock is its supplier's (or its pool's, checked when it is issued).
            tessera_core::claims::Unavailable::OutOfStock => None,
        })
        .map(t);
    Ok(CheckoutScreen { voucher, unavailable, signed_in: viewer.is_some(), checkout_key: tessera_core::ids::new_id() })
}

/// Where the user pays the order just made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    pub order_id: String,
    /// The provider's page, coming back to the order's screen when paid.
    pub pay_url: String,
    /// `SANDBOX`, `RAZORPAY`: as seed 001's analytics name it.
    pub provider: String,
}

/// Creates the order (once per checkout key and amount) and a payment for it.
#[server(endpoint = "start_purchase")]
pub async fn start_purchase(
    voucher_id: String,
    amount: i64,
    method: String,
    checkout_key: String,
    client_id: Option<String>,
) -> Result<Started, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    if !matches!(method.as_str(), "upi" | "card") {
        return Err(tessera_core::error::ApiError::validation(vec![("method", "pay with upi or card".into())]).into());
    }
    let new = tessera_core::orders::NewOrder { voucher_id, amount, checkout_key: format!("{checkout_key}-{amount}") };
    let (order, _) = tessera_core::orders::create(&platform, &viewer, &new).await?;
    let start = tessera_core::orders::pay(&platform, &viewer, &order.id).await?;
    let pay_url = tessera_core::webview::pay_url_from_webview(&start.pay_url, &method, client_id.as_deref());
    Ok(Started { pay_url, order_id: order.id, provider: start.provider.to_ascii_uppercase() })
}

/// `/consumer/buy/{voucherId}?amount=&coupon=&skipToPayment=`: the checkout.
/// `amount` (major units, `500` is ₹500) pre-fills an amount the price
/// allows; `skipToPayment=true` goes to the payment page once interactive.
#[component]
pub fn Checkout() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let coupon = query.read_untracked().get("coupon").filter(|c| !c.is_empty());
    let loaded = Resource::new(move || (id.clone(), coupon.clone()), |(id, coupon)| checkout(id, coupon));
    view! {
        <Suspense fallback=|| view! { <Loading text=t("checkout-loading")/> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(s) => view! { <CheckoutBody s/> }.into_any(),
                    Err(e) => view! {
                        <Title text=t("checkout-title")/>
                        <main class="consumer checkout-page">
                            <AppHeader title=t("checkout-title") back="/consumer"/>
                            <ErrorState title=t("checkout-error") error=e/>
                            <TabBar current="home"/>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The amount a deep link asks for, if the price sells it; else why not.
fn asked_amount(price: &Price, asked: Option<&str>) -> (i64, Option<String>) {
    let Some(asked) = asked.filter(|a| !a.is_empty()) else { return (price.model.smallest(), None) };
    match Money::parse_major(asked, price.currency).filter(|m| price.model.allows(m.minor)) {
        Some(m) => (m.minor, None),
        None => (price.model.smallest(), Some(crate::i18n::t_with("checkout-amount-not-sold", &[("amount", asked.to_string())]))),
    }
}

#[component]
fn CheckoutBody(s: CheckoutScreen) -> impl IntoView {
    let query = use_query_map();
    let v = s.voucher;
    let back = format!("/consumer/vouchers/{}", v.id);
    let coupon = query.read_untracked().get("coupon").filter(|c| !c.is_empty());
    let Some(price) = v.price.clone() else {
        // Not sold: claimed on its own screen.
        return view! {
            <Title text=t("checkout-title")/>
            <main class="consumer checkout-page">
                <AppHeader title=t("checkout-title") back="/consumer"/>
                <div class="state">
                    <h2>{t("checkout-not-sold-title")}</h2>
                    <p>{t("checkout-not-sold-text")}</p>
                    <a class="button" href=href(&back)>{t("checkout-see-voucher")}</a>
                </div>
                <TabBar current="home"/>
            </main>
        }
        .into_any();
    };
    let (amount, amount_note) = asked_amount(&price, query.read_untracked().get("amount").as_deref());
    let skip = query.read_untracked().get("skipToPayment").as_deref() == Some("true") && amount_note.is_none();
    let opening = price.quote(amount).ok();
    let visit = serde_json::json!({
        "voucherId": v.id,
        "brandName": v.merchant_name,
        "currency": price.currency.as_str(),
        "amount": opening.as_ref().map(|q| major(q.face_value, &price)),
        "discount": opening.as_ref().map(|q| major(q.discount, &price)),
        "toPay": opening.as_ref().map(|q| major(q.to_pay, &price)),
        "coupon": coupon,
    })
    .to_string();
    let locale = crate::i18n::prefs().locale;
    view! {
        <Title text=markup::plain_text(&v.title)/>
        <main class="consumer checkout-page" data-visit="visit_checkout_summary" data-visit-props=visit data-fresh-on-back>
            <AppHeader title=t("checkout-title") back="/consumer"/>
            <article class="voucher-detail checkout" data-voucher-id=v.id.clone()>
                {v.image_id.clone().map(|id| view! {
                    <crate::components::Picture id kind=tessera_core::images::Kind::Voucher sizes="(max-width: 640px) calc(100vw - 32px), 608px" class="detail-image"/>
                })}
                <p class="merchant">{v.merchant_name.clone()}</p>
                <h2 class="title"><VoucherTitle title=v.title.clone()/></h2>
                {if !s.signed_in {
                    view! { <p class="notice signed-out">{t("checkout-signed-out")}</p> }.into_any()
                } else {
                    view! {
                        <CheckoutForm voucher_id=v.id.clone() brand_name=v.merchant_name.clone() price amount amount_note skip
                            unavailable=s.unavailable checkout_key=s.checkout_key locale
                            client_id=crate::session::link_client_id() texts=checkout_texts()/>
                    }.into_any()
                }}
            </article>
            <TabBar current="home"/>
        </main>
    }
    .into_any()
}

/// An amount in major units as analytics carry it (seed 001: `"amount": 500`;
/// `475.5` for ₹475.50): a display figure for the host's analytics, never
/// computed with.
pub(crate) fn major(minor: i64, price: &Price) -> serde_json::Value {
    major_of(Money::new(minor, price.currency))
}

pub(crate) fn major_of(m: Money) -> serde_json::Value {
    let per = m.currency.minor_per_major();
    if m.minor % per == 0 {
        serde_json::Value::from(m.minor / per)
    } else {
        serde_json::from_str(&m.major()).unwrap_or(serde_json::Value::Null)
    }
}

const CHECKOUT_TEXTS: [&str; 13] = [
    "checkout-amount",
    "checkout-amount-range",
    "checkout-amount-invalid",
    "checkout-face-value",
    "checkout-discount",
    "checkout-to-pay",
    "checkout-pay-with",
    "checkout-upi",
    "checkout-card",
    "checkout-pay",
    "checkout-paying",
    "checkout-secure",
    "error-network-error",
];

fn checkout_texts() -> Texts {
    crate::i18n::texts(&CHECKOUT_TEXTS)
}

/// "5%", "2.5%" of basis points.
pub(crate) fn percent(bps: u32) -> String {
    let (whole, hundredths) = (bps / 100, bps % 100);
    match hundredths {
        0 => format!("{whole}%"),
        h if h % 10 == 0 => format!("{whole}.{}%", h / 10),
        h => format!("{whole}.{h:02}%"),
    }
}

/// The amount picker, the figures and Pay: computed here from the price (the
/// same pure [`Price::quote`] the server creates the order with).
#[island]
#[allow(clippy::too_many_arguments)]
fn CheckoutForm(
    voucher_id: String,
    brand_name: String,
    price: Price,
    amount: i64,
    amount_note: Option<String>,
    skip: bool,
    unavailable: Option<String>,
    checkout_key: String,
    locale: Locale,
    client_id: Option<String>,
    texts: Texts,
) -> impl IntoView {
    let ready = crate::components::hydrated();
    let texts = StoredValue::new(texts);
    let say = move |key: &str| texts.with_value(|t| t.get(key));
    let currency = price.currency;
    let money = move |minor: i64| tessera_core::locale::format_money(minor, currency.as_str(), locale);
    let price = StoredValue::new(price);
    let chosen = RwSignal::new(Some(amount));
    let method = RwSignal::new("upi".to_string());
    let quote = move || chosen.get().and_then(|a| price.with_value(|p| p.quote(a).ok()));
    let pay = Action::new(move |(amount, method): &(i64, String)| {
        let (amount, method) = (*amount, method.clone());
        let (voucher_id, key, client_id, brand) = (voucher_id.clone(), checkout_key.clone(), client_id.clone(), brand_name.clone());
        async move {
            let (face, paid) = price.with_value(|p| (major(amount, p), p.quote(amount).ok().map(|q| major(q.to_pay, p))));
            bridge::analytics(
                "payment_initiated",
                serde_json::json!({
                    "voucherId": voucher_id, "brandName": brand, "amount": face, "amountPaid": paid,
                    "currency": currency.as_str(), "paymentMode": method.to_ascii_uppercase(),
                }),
            );
            let started = start_purchase(voucher_id, amount, method, key, client_id).await;
            match &started {
                Ok(s) => {
                    #[cfg(feature = "hydrate")]
                    let _ = window().location().assign(&s.pay_url);
                    #[cfg(not(feature = "hydrate"))]
                    let _ = s;
                }
                Err(e) => bridge::report(e),
            }
            started
        }
    });
    if skip && unavailable.is_none() {
        // Once, in the browser: straight to the payment page.
        Effect::new(move |_| {
            pay.dispatch((amount, "upi".to_string()));
        });
    }
    let picker = price.with_value(|p| match &p.model {
        PriceModel::Denominations { values } => {
            let values = values.clone();
            view! {
                <fieldset class="amounts">
                    <legend>{say("checkout-amount")}</legend>
                    <div class="amount-choices">
                        {values.into_iter().map(|value| view! {
                            <label class="amount-choice">
                                <input type="radio" name="amount" value=value.to_string() checked=value == amount
                                    on:change=move |_| chosen.set(Some(value))/>
                                <span>{money(value)}</span>
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
            }
            .into_any()
        }
        PriceModel::Range { min, max, step } => {
            let (min, max, step) = (*min, *max, *step);
            let hint = texts.with_value(|t| t.fill("checkout-amount-range", &[("min", &money(min)), ("max", &money(max))]));
            let major_of = move |minor: i64| Money::new(minor, currency).major();
            view! {
                <div class="field amount-field">
                    <label for="checkout-amount">{say("checkout-amount")}</label>
                    <input id="checkout-amount" type="number" inputmode="decimal" aria-describedby="checkout-amount-hint"
                        min=major_of(min) max=major_of(max) step=major_of(step) value=major_of(amount)
                        aria-invalid=move || chosen.get().is_none().to_string()
                        on:input=move |ev| {
                            let typed = event_target_value(&ev);
                            chosen.set(Money::parse_major(&typed, currency).map(|m| m.minor).filter(|m| price.with_value(|p| p.model.allows(*m))));
                        }/>
                    <p class="hint" id="checkout-amount-hint">{hint}</p>
                    {move || chosen.get().is_none().then(|| view! {
                        <p class="amount-invalid" role="alert">{price.with_value(|p| texts.with_value(|t| t.fill("checkout-amount-invalid", &[("amounts", &describe(&p.model, money))])))}</p>
                    })}
                </div>
            }
            .into_any()
        }
    });
    let summary = move || {
        quote().map(|q: Quote| {
            let bps = price.with_value(|p| p.discount_bps);
            view! {
                <dl class="facts summary">
                    <dt>{say("checkout-face-value")}</dt><dd class="face-value">{money(q.face_value)}</dd>
                    {(q.discount > 0).then(|| view! {
                        <dt>{texts.with_value(|t| t.fill("checkout-discount", &[("percent", &percent(bps))]))}</dt>
                        <dd class="discount">{format!("−{}", money(q.discount))}</dd>
                    })}
                    <dt class="total">{say("checkout-to-pay")}</dt><dd class="to-pay total">{money(q.to_pay)}</dd>
                </dl>
            }
        })
    };
    view! {
        {amount_note.map(|n| view! { <p class="notice amount-note" role="status">{n}</p> })}
        {picker}
        {summary}
        <fieldset class="methods">
            <legend>{say("checkout-pay-with")}</legend>
            <label class="pay-method"><input type="radio" name="method" value="upi" checked=true on:change=move |_| method.set("upi".into())/>" "{say("checkout-upi")}</label>
            <label class="pay-method"><input type="radio" name="method" value="card" on:change=move |_| method.set("card".into())/>" "{say("checkout-card")}</label>
        </fieldset>
        {move || pay.value().get().and_then(Result::err).map(|e| view! {
            // The server's message is in the user's language; only a lost connection is known here alone.
            <p class="claim-error pay-error" role="alert" data-code=e.code.as_str()>
                {if e.code == tessera_core::codes::ErrorCode::NetworkError { say("error-network-error") } else { e.message.clone() }}
            </p>
        })}
        {unavailable.clone().map(|why| view! { <p class="claim-unavailable" id="pay-unavailable" role="status">{why}</p> })}
        <button class="button pay" type="button"
            disabled=move || !ready.get() || unavailable.is_some() || quote().is_none() || pay.pending().get() || matches!(pay.value().get(), Some(Ok(_)))
            on:click=move |_| { if let Some(a) = chosen.get_untracked() { pay.dispatch((a, method.get_untracked())); } }>
            {move || if pay.pending().get() || matches!(pay.value().get(), Some(Ok(_))) {
                say("checkout-paying")
            } else {
                texts.with_value(|t| t.fill("checkout-pay", &[("amount", &quote().map(|q| money(q.to_pay)).unwrap_or_default())]))
            }}
        </button>
        <p class="hint secure">{say("checkout-secure")}</p>
    }
}

/// A value for a URL's query.
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The amounts a price sells, as a person reads them.
fn describe(model: &PriceModel, money: impl Fn(i64) -> String) -> String {
    match model {
        PriceModel::Denominations { values } => values.iter().map(|v| money(*v)).collect::<Vec<_>>().join(", "),
        PriceModel::Range { min, max, step } => format!("{} – {} ({})", money(*min), money(*max), money(*step)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::money::Currency;

    #[test]
    fn a_percentage_of_basis_points_reads_without_trailing_zeros() {
        assert_eq!(percent(500), "5%");
        assert_eq!(percent(250), "2.5%");
        assert_eq!(percent(1_234), "12.34%");
        assert_eq!(percent(10_000), "100%");
        assert_eq!(percent(5), "0.05%");
    }

    #[test]
    fn a_coupon_is_encoded_for_the_query() {
        assert_eq!(encode("SAVE20"), "SAVE20");
        assert_eq!(encode("a+b&c d/é"), "a%2Bb%26c%20d%2F%C3%A9");
    }

    #[test]
    fn analytics_amounts_are_major_units_whole_when_they_can_be() {
        assert_eq!(major_of(Money::new(50_000, Currency::INR)).to_string(), "500");
        assert_eq!(major_of(Money::new(47_550, Currency::INR)).to_string(), "475.5");
        assert_eq!(major_of(Money::new(47_501, Currency::INR)).to_string(), "475.01");
    }

    #[test]
    fn a_deep_link_amount_is_taken_only_when_the_price_sells_it() {
        let price =
            Price { currency: Currency::INR, model: PriceModel::Range { min: 10_000, max: 500_000, step: 5_000 }, discount_bps: 300 };
        assert_eq!(asked_amount(&price, Some("500")), (50_000, None));
        assert_eq!(asked_amount(&price, None), (10_000, None));
        assert_eq!(asked_amount(&price, Some("")), (10_000, None));
        for refused in ["525", "50", "abc", "-500", "6000"] {
            let (amount, note) = asked_amount(&price, Some(refused));
            assert_eq!(amount, 10_000, "{refused}");
            assert!(note.is_some(), "{refused}");
        }
    }
}
