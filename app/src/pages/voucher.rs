use crate::{
    bridge,
    components::{AppHeader, CoinBalance, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
    i18n::{Texts, t, t_with},
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use tessera_core::{
    catalog::{ClaimState, ClaimStatus, VoucherView},
    markup,
};

/// The voucher screen: the voucher as the signed-in user sees it (cohorts and
/// coupons applied) and, when it cannot be claimed now, why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VoucherScreen {
    pub voucher: VoucherView,
    pub unavailable: Option<String>,
    /// Signed out (a preview outside the partner's app): shown, not claimable.
    pub signed_in: bool,
}

#[server]
pub async fn voucher(id: String, coupon: Option<String>) -> Result<VoucherScreen, AppError> {
    let (voucher, viewer) = seen(&id, coupon.as_deref()).await?;
    let unavailable = tessera_core::claims::unavailable(&voucher, tessera_core::clock::now_ms()).map(|why| {
        t(match why {
            tessera_core::claims::Unavailable::Closed(tessera_core::claims::Closed::Expired) => "unavailable-expired",
            tessera_core::claims::Unavailable::Closed(tessera_core::claims::Closed::NotYet) => "unavailable-not-yet",
            tessera_core::claims::Unavailable::OutOfStock => "unavailable-out-of-stock",
        })
    });
    Ok(VoucherScreen { voucher, unavailable, signed_in: viewer.is_some() })
}

/// The voucher as the request's viewer sees it (cohorts and `coupon` applied),
/// or as anyone may, signed out; with the viewer.
#[cfg(feature = "ssr")]
pub(crate) async fn seen(id: &str, coupon: Option<&str>) -> Result<(VoucherView, Option<crate::session::Viewer>), AppError> {
    let platform = crate::error::platform()?;
    let viewer = crate::session::viewer_if_any().await;
    let voucher = match &viewer {
        Some(viewer) => tessera_core::catalog::voucher_for_user(&platform.db, &viewer.user_id, id, coupon).await?,
        // Codes unlock vouchers for a user: signed out, there is no one to unlock them for.
        None => tessera_core::catalog::voucher_for_anyone(&platform.db, id).await?,
    };
    Ok((voucher, viewer))
}

/// Claims the voucher into the signed-in user's wallet (or answers the open
/// claim they already hold).
#[server(endpoint = "claim_voucher")]
pub async fn claim_voucher(id: String, coupon: Option<String>) -> Result<ClaimState, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let source = tessera_core::claims::Source::Claim;
    let (claim, _) = tessera_core::claims::claim(&platform, &viewer, &id, coupon.as_deref(), source).await?;
    Ok(ClaimState { claim_id: claim.id, status: claim.status })
}

/// `/consumer/vouchers/{id}`: the voucher, and claiming it. `?claim=1` claims
/// on open (once the page is interactive); `?coupon=` unlocks a coupon.
#[component]
pub fn VoucherDetail() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let coupon = query.read_untracked().get("coupon").filter(|c| !c.is_empty());
    let auto = query.read_untracked().get("claim").as_deref() == Some("1");
    let props = serde_json::json!({ "voucherId": id }).to_string();
    let loaded = Resource::new(move || (id.clone(), coupon.clone()), |(id, coupon)| voucher(id, coupon));
    view! {
        <main class="consumer voucher-page" data-visit="visit_voucher" data-visit-props=props>
            <AppHeader title=t("voucher-title") back="/consumer"/>
            <Suspense fallback=|| view! { <Loading text=t("voucher-loading")/> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(s) => view! { <Detail v=s.voucher unavailable=s.unavailable signed_in=s.signed_in auto/> }.into_any(),
                        Err(e) => view! {
                            <Title text=t("voucher-title")/>
                            <ErrorState title=t("voucher-error") error=e/>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="home"/>
        </main>
    }
}

#[component]
fn Detail(v: VoucherView, unavailable: Option<String>, signed_in: bool, auto: bool) -> impl IntoView {
    let held = v.claim.clone().filter(|c| c.status == ClaimStatus::Active).map(|c| c.claim_id);
    let redeemed = v.claim.as_ref().is_some_and(|c| c.status == ClaimStatus::Redeemed) && v.per_user_limit <= 1;
    let coupon = leptos_router::hooks::use_query_map().read_untracked().get("coupon").filter(|c| !c.is_empty());
    view! {
        <Title text=markup::plain_text(&v.title)/>
        <article class="voucher-detail" data-voucher-id=v.id.clone()>
            {v.image_id.clone().map(|id| view! {
                <crate::components::Picture id kind=tessera_core::images::Kind::Voucher sizes="(max-width: 640px) calc(100vw - 32px), 608px" class="detail-image"/>
            })}
            <a class="merchant" href=href(&format!("/consumer/merchants/{}", v.merchant_id))>
                {v.merchant_logo_id.clone().map(|id| view! { <crate::components::Picture id kind=tessera_core::images::Kind::Logo sizes="24px" class="merchant-logo"/> })}
                {v.merchant_name.clone()}
            </a>
            <h2 class="title"><VoucherTitle title=v.title.clone()/></h2>
            <p class="description">{v.description.clone()}</p>
            <dl class="facts">
                {crate::pages::consumer_home::value_text(v.value_type, v.value, v.currency.as_deref())
                    .map(|value| view! { <dt>{t("voucher-value")}</dt><dd class="value">{value}</dd> })}
                {v.value_type.map(|kind| view! { <dt>{t("voucher-type")}</dt><dd>{crate::pages::consumer_home::value_type_label(kind)}</dd> })}
                {v.valid_until.clone().map(|u| view! {
                    <dt>{t("voucher-valid-until")}</dt>
                    <dd class="valid-until"><time datetime=u.clone()>{crate::i18n::date_time(&u)}</time></dd>
                })}
                {v.stock_left.map(|n| view! { <dt>{t("voucher-left")}</dt><dd class="stock">{tessera_core::locale::format_integer(n, crate::i18n::prefs().locale)}</dd> })}
                {v.coin_cost.map(|c| view! { <dt>{t("voucher-cost")}</dt><dd class="coin-cost">{t_with("voucher-coins", &[("count", tessera_core::locale::format_integer(c, crate::i18n::prefs().locale))])}</dd> })}
            </dl>
            {(signed_in && v.coin_cost.is_some()).then(|| view! { <CoinBalance/> })}
            {if let Some(price) = v.price.clone() {
                // A gift card: bought at the checkout, not claimed.
                let buy = crate::session::href(&match &coupon {
                    Some(c) => format!("/consumer/buy/{}?coupon={}", v.id, crate::pages::checkout::encode(c)),
                    None => format!("/consumer/buy/{}", v.id),
                });
                view! {
                    <PriceFacts price/>
                    {if signed_in {
                        view! { <a class="button buy" href=buy>{t("voucher-buy")}</a> }.into_any()
                    } else {
                        view! { <p class="notice signed-out">{t("checkout-signed-out")}</p> }.into_any()
                    }}
                }.into_any()
            } else if !signed_in {
                view! { <p class="notice signed-out">{t("voucher-signed-out")}</p> }.into_any()
            } else if redeemed {
                view! { <p class="claimed" role="status">{t("voucher-used")}</p> }.into_any()
            } else {
                view! {
                    <ClaimButton voucher_id=v.id.clone() coupon held auto unavailable
                        client_id=crate::session::link_client_id()
                        texts=crate::i18n::texts(&["claim-button", "claim-pending", "claim-in-wallet", "claim-use-now", "error-network-error"])/>
                }.into_any()
            }}
        </article>
    }
}

/// Claiming: the button, its pending and error states, and `?claim=1`.
#[island]
fn ClaimButton(
    voucher_id: String,
    coupon: Option<String>,
    held: Option<String>,
    auto: bool,
    unavailable: Option<String>,
    client_id: Option<String>,
    texts: Texts,
) -> impl IntoView {
    let ready = crate::components::hydrated();
    let texts = StoredValue::new(texts);
    let say = move |key: &str| texts.with_value(|t| t.get(key));
    let claim = Action::new(move |(id, coupon): &(String, Option<String>)| {
        let (id, coupon) = (id.clone(), coupon.clone());
        async move {
            bridge::analytics("claim_initiated", serde_json::json!({ "voucherId": id }));
            let result = claim_voucher(id.clone(), coupon).await;
            match &result {
                Ok(c) => bridge::analytics("claim_success", serde_json::json!({ "voucherId": id, "claimId": c.claim_id })),
                Err(e) => {
                    bridge::analytics("claim_fail", serde_json::json!({ "voucherId": id, "code": e.code }));
                    bridge::report(e);
                }
            }
            result
        }
    });
    let args = (voucher_id, coupon);
    if auto && held.is_none() && unavailable.is_none() {
        // Once, in the browser (effects never run on the server).
        let args = args.clone();
        Effect::new(move |_| {
            claim.dispatch(args.clone());
        });
    }
    let claimed = move || match claim.value().get() {
        Some(Ok(c)) => Some(c.claim_id),
        Some(Err(_)) => None,
        None => held.clone(),
    };
    view! {
        {move || match claimed() {
            Some(claim_id) => view! {
                <div class="claimed" role="status" data-claim-id=claim_id.clone()>
                    <p>{say("claim-in-wallet")}</p>
                    <a class="button" href=crate::session::href_with(&format!("/consumer/wallet/{claim_id}"), client_id.as_deref())>{say("claim-use-now")}</a>
                </div>
            }.into_any(),
            None if unavailable.is_some() => view! {
                // Known before any tap: no button that only fails once pressed.
                <button class="button claim" disabled=true aria-describedby="claim-unavailable">{say("claim-button")}</button>
                <p class="claim-unavailable" id="claim-unavailable" role="status">{unavailable.clone()}</p>
            }.into_any(),
            None => {
                let args = args.clone();
                view! {
                    {move || claim.value().get().and_then(Result::err).map(|e| view! {
                        <p class="claim-error" role="alert" data-code=e.code.as_str()>{if e.code == tessera_core::codes::ErrorCode::NetworkError { say("error-network-error") } else { e.message.clone() }}</p>
                    })}
                    <button class="button claim" disabled=move || !ready.get() || claim.pending().get()
                        on:click=move |_| { claim.dispatch(args.clone()); }>
                        {move || if claim.pending().get() { say("claim-pending") } else { say("claim-button") }}
                    </button>
                }.into_any()
            }
        }}
    }
}

/// What a gift card sells for: its amounts and its discount.
#[component]
fn PriceFacts(price: tessera_core::orders::Price) -> impl IntoView {
    let money = |minor: i64| crate::i18n::money(minor, price.currency.as_str());
    let amounts = match &price.model {
        tessera_core::orders::PriceModel::Denominations { values } => values.iter().map(|v| money(*v)).collect::<Vec<_>>().join(" · "),
        tessera_core::orders::PriceModel::Range { min, max, .. } => format!("{} – {}", money(*min), money(*max)),
    };
    view! {
        <dl class="facts price">
            <dt>{t("voucher-gift-card")}</dt><dd class="amounts">{amounts}</dd>
            {(price.discount_bps > 0).then(|| view! {
                <dt>{t("voucher-discount")}</dt>
                <dd class="discount">{t_with("voucher-discount-off", &[("percent", crate::pages::checkout::percent(price.discount_bps))])}</dd>
            })}
        </dl>
    }
}
