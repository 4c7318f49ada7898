use crate::{
    bridge,
    components::{AppHeader, CoinBalance, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
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
}

#[server]
pub async fn voucher(id: String, coupon: Option<String>) -> Result<VoucherScreen, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let voucher = tessera_core::catalog::voucher_for_user(&platform.db, &viewer.user_id, &id, coupon.as_deref()).await?;
    let unavailable = tessera_core::claims::unavailable(&voucher, tessera_core::clock::now_ms()).map(String::from);
    Ok(VoucherScreen { voucher, unavailable })
}

/// Claims the voucher into the signed-in user's wallet (or answers the open
/// claim they already hold).
#[server(endpoint = "claim_voucher")]
pub async fn claim_voucher(id: String, coupon: Option<String>) -> Result<ClaimState, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let holder = tessera_core::claims::Holder {
        partner_id: viewer.partner_id,
        user_id: viewer.user_id,
        external_user_id: viewer.external_user_id,
    };
    let source = tessera_core::claims::Source::Claim;
    let (claim, _) = tessera_core::claims::claim(&platform, &holder, &id, coupon.as_deref(), source).await?;
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
            <AppHeader title="Voucher" back="/consumer"/>
            <Suspense fallback=|| view! { <Loading text="Loading the voucher…"/> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(s) => view! { <Detail v=s.voucher unavailable=s.unavailable auto/> }.into_any(),
                        Err(e) => view! {
                            <Title text="Voucher"/>
                            <ErrorState title="This voucher could not be shown" error=e/>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="home"/>
        </main>
    }
}

#[component]
fn Detail(v: VoucherView, unavailable: Option<String>, auto: bool) -> impl IntoView {
    let held = v.claim.clone().filter(|c| c.status == ClaimStatus::Active).map(|c| c.claim_id);
    let redeemed = v.claim.as_ref().is_some_and(|c| c.status == ClaimStatus::Redeemed) && v.per_user_limit <= 1;
    let coupon = leptos_router::hooks::use_query_map().read_untracked().get("coupon").filter(|c| !c.is_empty());
    view! {
        <Title text=markup::plain_text(&v.title)/>
        <article class="voucher-detail" data-voucher-id=v.id.clone()>
            <a class="merchant" href=href(&format!("/consumer/merchants/{}", v.merchant_id))>{v.merchant_name.clone()}</a>
            <h2 class="title"><VoucherTitle title=v.title.clone()/></h2>
            <p class="description">{v.description.clone()}</p>
            <dl class="facts">
                {v.value_type.map(|t| view! { <dt>"Type"</dt><dd>{t.label()}</dd> })}
                {v.valid_until.clone().map(|u| view! { <dt>"Valid until"</dt><dd class="valid-until">{u.get(..10).unwrap_or(&u).to_string()}</dd> })}
                {v.stock_left.map(|n| view! { <dt>"Left"</dt><dd class="stock">{n}</dd> })}
                {v.coin_cost.map(|c| view! { <dt>"Cost"</dt><dd class="coin-cost">{format!("{c} coins")}</dd> })}
            </dl>
            {v.coin_cost.is_some().then(|| view! { <CoinBalance/> })}
            {if redeemed {
                view! { <p class="claimed" role="status">"You have used this voucher."</p> }.into_any()
            } else {
                view! {
                    <ClaimButton voucher_id=v.id.clone() coupon held auto unavailable
                        client_id=crate::session::link_client_id()/>
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
) -> impl IntoView {
    let ready = crate::components::hydrated();
    let claim = Action::new(move |(id, coupon): &(String, Option<String>)| {
        let (id, coupon) = (id.clone(), coupon.clone());
        async move {
            bridge::analytics("claim_initiated", serde_json::json!({ "voucherId": id }));
            let result = claim_voucher(id.clone(), coupon).await;
            match &result {
                Ok(c) => bridge::analytics("claim_success", serde_json::json!({ "voucherId": id, "claimId": c.claim_id })),
                Err(e) => bridge::analytics("claim_fail", serde_json::json!({ "voucherId": id, "code": e.code })),
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
                    <p>"In your wallet."</p>
                    <a class="button" href=crate::session::href_with(&format!("/consumer/wallet/{claim_id}"), client_id.as_deref())>"Use it now"</a>
                </div>
            }.into_any(),
            None if unavailable.is_some() => view! {
                // Known before any tap: no button that only fails once pressed.
                <button class="button claim" disabled=true aria-describedby="claim-unavailable">"Claim"</button>
                <p class="claim-unavailable" id="claim-unavailable" role="status">{unavailable.clone()}</p>
            }.into_any(),
            None => {
                let args = args.clone();
                view! {
                    {move || claim.value().get().and_then(Result::err).map(|e| view! {
                        <p class="claim-error" role="alert" data-code=e.code.clone()>{e.message.clone()}</p>
                    })}
                    <button class="button claim" disabled=move || !ready.get() || claim.pending().get()
                        on:click=move |_| { claim.dispatch(args.clone()); }>
                        {move || if claim.pending().get() { "Claiming…" } else { "Claim" }}
                    </button>
                }.into_any()
            }
        }}
    }
}
