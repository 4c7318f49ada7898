use crate::{
    components::{AppHeader, CoinBalance, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
    i18n::{t, t_with},
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use tessera_core::{catalog::ClaimStatus, orders::OrderState};

/// A claim as the wallet shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletItem {
    pub claim_id: String,
    pub voucher_id: String,
    pub title: String,
    pub merchant_name: String,
    pub status: ClaimStatus,
    pub claimed_at: String,
    pub valid_until: Option<String>,
}

/// The signed-in user's wallet, newest first.
#[server]
pub async fn my_wallet() -> Result<Vec<WalletItem>, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let claims = tessera_core::claims::wallet(&platform.db, &viewer.user_id).await?;
    Ok(claims
        .into_iter()
        .map(|c| WalletItem {
            claim_id: c.id,
            voucher_id: c.voucher_id,
            title: c.voucher_title,
            merchant_name: c.merchant_name,
            status: c.status,
            claimed_at: c.claimed_at,
            valid_until: c.valid_until,
        })
        .collect())
}

/// `/consumer/wallet`: the user's claims by status, rendered on the server
/// from the session cookie; refreshed when the app returns from the background.
#[component]
pub fn Wallet() -> impl IntoView {
    let wallet = Resource::new(|| (), |_| async { Ok::<_, AppError>((my_wallet().await?, crate::pages::order::my_orders().await?)) });
    view! {
        <Title text=t("wallet-title")/>
        <main class="consumer wallet" data-visit="visit_wallet" data-refresh-on-return>
            <AppHeader title=t("wallet-title") back="/consumer"/>
            <CoinBalance/>
            <Suspense fallback=|| view! { <Loading text=t("wallet-loading")/> }>
                {move || Suspend::new(async move {
                    match wallet.await {
                        Ok((items, orders)) if items.is_empty() && !orders.iter().any(|o| o.state == OrderState::Fulfilled) => view! {
                            <div class="state state-empty">
                                <h2>{t("wallet-empty-title")}</h2>
                                <p>{t("wallet-empty-text")}</p>
                                <a class="button" href=href("/consumer")>{t("browse-vouchers")}</a>
                            </div>
                        }.into_any(),
                        Ok((items, orders)) => view! {
                            <GiftCards orders/>
                            <Section label=t("wallet-active") status=ClaimStatus::Active items=items.clone()/>
                            <Section label=t("wallet-redeemed") status=ClaimStatus::Redeemed items=items.clone()/>
                            <Section label=t("wallet-expired") status=ClaimStatus::Expired items/>
                            <p class="more"><a href=href("/consumer/transactions")>{t("wallet-history")}</a></p>
                        }.into_any(),
                        Err(e) => view! {
                            <ErrorState title=t("wallet-error") error=e/>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="wallet"/>
        </main>
    }
}

#[component]
fn Section(label: String, status: ClaimStatus, items: Vec<WalletItem>) -> impl IntoView {
    let items: Vec<WalletItem> = items.into_iter().filter(|i| i.status == status).collect();
    (!items.is_empty()).then(|| {
        let count = items.len();
        view! {
            <section class="wallet-section" data-status=match status { ClaimStatus::Active => "active", ClaimStatus::Redeemed => "redeemed", ClaimStatus::Expired => "expired" }>
                <h2>{label}" "<span class="count">{count}</span></h2>
                <ul class="wallet-list">
                    {items.into_iter().map(|item| view! {
                        <li class="wallet-item" data-claim-id=item.claim_id.clone()>
                            <a class="card-link" href=href(&format!("/consumer/wallet/{}", item.claim_id))>
                                <p class="merchant">{item.merchant_name.clone()}</p>
                                <h3 class="title"><VoucherTitle title=item.title.clone()/></h3>
                                {item.valid_until.clone().map(|u| view! { <p class="valid-until">{t_with("valid-until", &[("date", crate::i18n::last_day(&u))])}</p> })}
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// The gift cards the user bought (issued, not taken back).
#[component]
fn GiftCards(orders: Vec<crate::pages::order::OrderView>) -> impl IntoView {
    let cards: Vec<_> = orders.into_iter().filter(|o| o.state == OrderState::Fulfilled).collect();
    (!cards.is_empty()).then(|| {
        let count = cards.len();
        view! {
            <section class="wallet-section" data-status="gift-cards">
                <h2>{t("wallet-gift-cards")}" "<span class="count">{count}</span></h2>
                <ul class="wallet-list">
                    {cards.into_iter().map(|o| view! {
                        <li class="wallet-item gift-card-item" data-order-id=o.id.clone()>
                            <a class="card-link" href=href(&format!("/consumer/orders/{}", o.id))>
                                <p class="merchant">{o.brand_name.clone()}</p>
                                <h3 class="title"><VoucherTitle title=o.title.clone()/></h3>
                                <p class="valid-until">{t_with("wallet-gift-card-value", &[("value", o.money(o.face_value))])}</p>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}
