use crate::{
    components::{ErrorState, VoucherTitle},
    error::AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use tessera_core::{
    catalog::{ClaimState, ClaimStatus, VoucherView},
    markup,
};

/// One voucher as the signed-in user sees it (cohorts and coupons applied).
#[server]
pub async fn voucher(id: String) -> Result<VoucherView, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    Ok(tessera_core::catalog::voucher_for_user(&platform.db, &viewer.user_id, &id, None).await?)
}

/// Claims the voucher into the signed-in user's wallet (or answers the open
/// claim they already hold).
#[server]
pub async fn claim_voucher(id: String) -> Result<ClaimState, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let holder = tessera_core::claims::Holder {
        partner_id: viewer.partner_id,
        user_id: viewer.user_id,
        external_user_id: viewer.external_user_id,
    };
    let (claim, _) = tessera_core::claims::claim(&platform.db, &holder, &id, None, tessera_core::claims::Source::Claim).await?;
    Ok(ClaimState { claim_id: claim.id, status: claim.status })
}

/// `/consumer/vouchers/{id}`: the voucher, and claiming it. `?claim=1` claims
/// on open (once the page is interactive).
#[component]
pub fn VoucherDetail() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let loaded = Resource::new(id, voucher);
    let claim = Action::new(|id: &String| claim_voucher(id.clone()));
    // ?claim=1: once, in the browser, when the voucher is not claimed yet.
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let wanted = query.read().get("claim").as_deref() == Some("1");
        match loaded.get() {
            Some(Ok(v)) if wanted && v.claim.as_ref().is_none_or(|c| c.status != ClaimStatus::Active) => {
                claim.dispatch(v.id.clone());
                true
            }
            Some(_) => true,
            None => false,
        }
    });

    view! {
        <main class="consumer voucher-page">
            <header class="app-header">
                <a class="back" href="/consumer">"Vouchers"</a>
            </header>
            <Suspense fallback=|| view! { <p class="state state-loading" role="status">"Loading the voucher…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(v) => view! { <Detail v claim/> }.into_any(),
                        Err(e) => view! {
                            <Title text="Voucher"/>
                            <ErrorState title="This voucher could not be shown" error=e/>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Detail(v: VoucherView, claim: Action<String, Result<ClaimState, AppError>>) -> impl IntoView {
    let id = v.id.clone();
    let held = v.claim.clone().filter(|c| c.status == ClaimStatus::Active);
    let state = move || match claim.value().get() {
        Some(Ok(c)) => Some(Ok(c)),
        Some(Err(e)) => Some(Err(e)),
        None => held.clone().map(Ok),
    };
    view! {
        <Title text=markup::plain_text(&v.title)/>
        <article class="voucher-detail" data-voucher-id=v.id.clone()>
            <p class="merchant">{v.merchant_name.clone()}</p>
            <h1 class="title"><VoucherTitle title=v.title.clone()/></h1>
            <p class="description">{v.description.clone()}</p>
            {v.valid_until.clone().map(|u| view! { <p class="valid-until">"Valid until "{u}</p> })}
            {v.stock_left.map(|n| view! { <p class="stock">{n}" left"</p> })}
            {move || match state() {
                Some(Ok(c)) => view! {
                    <p class="claimed" role="status" data-claim-id=c.claim_id.clone()>
                        "In your wallet. " <a href="/consumer/wallet">"Open the wallet"</a>
                    </p>
                }.into_any(),
                other => {
                    let id = id.clone();
                    view! {
                        {other.and_then(Result::err).map(|e| view! {
                            <p class="claim-error" role="alert" data-code=e.code.clone()>{e.message.clone()}</p>
                        })}
                        <button class="button claim" disabled=move || claim.pending().get()
                            on:click=move |_| { claim.dispatch(id.clone()); }>
                            {move || if claim.pending().get() { "Claiming…" } else { "Claim" }}
                        </button>
                    }.into_any()
                }
            }}
        </article>
    }
}
