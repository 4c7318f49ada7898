use crate::{
    components::{AppHeader, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// A past redemption as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub claim_id: String,
    pub title: String,
    pub outlet_name: String,
    pub status: String,
    pub redeemed_at: String,
}

/// The signed-in user's redemptions, newest first.
#[server]
pub async fn my_transactions() -> Result<Vec<Transaction>, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let list = tessera_core::redemptions::history(&platform.db, &viewer.user_id).await?;
    Ok(list
        .into_iter()
        .map(|r| Transaction { claim_id: r.claim_id, title: r.voucher_title, outlet_name: r.outlet_name, status: r.status, redeemed_at: r.redeemed_at })
        .collect())
}

/// `/consumer/transactions`: every redemption, with where and when.
#[component]
pub fn Transactions() -> impl IntoView {
    let list = Resource::new(|| (), |_| my_transactions());
    view! {
        <Title text="Transactions"/>
        <main class="consumer transactions-page" data-refresh-on-return>
            <AppHeader title="Transactions" back="/consumer/wallet"/>
            <Suspense fallback=|| view! { <Loading text="Loading your history…"/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.is_empty() => view! {
                            <div class="state state-empty">
                                <h2>"No redemptions yet"</h2>
                                <p>"Vouchers you redeem at an outlet are listed here."</p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="transaction-list">
                                {list.into_iter().map(|t| view! {
                                    <li class="transaction" data-status=t.status.clone()>
                                        <a class="card-link" href=href(&format!("/consumer/wallet/{}", t.claim_id))>
                                            <h3 class="title"><VoucherTitle title=t.title.clone()/></h3>
                                            <p class="where">{t.outlet_name.clone()}" · "<time datetime=t.redeemed_at.clone()>{t.redeemed_at.get(..16).unwrap_or(&t.redeemed_at).replace('T', " ")}</time></p>
                                            {(t.status == "FLAGGED").then(|| view! { <span class="chip flagged">"Unverified location"</span> })}
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorState title="Your history could not be shown" error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="wallet"/>
        </main>
    }
}

/// `/consumer/help`: how vouchers work, in a few questions.
#[component]
pub fn Help() -> impl IntoView {
    let faq = [
        ("How do I use a voucher?", "Claim it, then open it in your wallet at the outlet and tap Redeem now. Show the code at the counter."),
        ("Why does it ask for my location?", "Only when you redeem: it confirms you are at the outlet. If you do not share it, the voucher is still redeemed and the merchant may ask to check it."),
        ("A voucher disappeared from the list", "It may have run out, expired, or been withdrawn by the merchant. Vouchers already in your wallet stay there until they expire."),
        ("I cannot find a voucher someone told me about", "Some vouchers are unlocked by a code: type the code in Search."),
        ("Something went wrong", "Close this screen and open it again from the app. If it keeps happening, contact the app's support and tell them the code shown with the error."),
    ];
    view! {
        <Title text="Help"/>
        <main class="consumer help-page">
            <AppHeader title="Help" back="/consumer"/>
            <section class="faq">
                {faq.into_iter().map(|(q, a)| view! {
                    <details>
                        <summary>{q}</summary>
                        <p>{a}</p>
                    </details>
                }).collect_view()}
            </section>
            <TabBar current="help"/>
        </main>
    }
}
