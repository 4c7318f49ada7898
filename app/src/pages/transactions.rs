use crate::{
    components::{AppHeader, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
    i18n::{t, t_with},
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use tessera_core::types::RedemptionStatus;

/// A past redemption as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub claim_id: String,
    pub title: String,
    pub outlet_name: String,
    pub status: RedemptionStatus,
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
        .map(|r| Transaction {
            claim_id: r.claim_id,
            title: r.voucher_title,
            outlet_name: r.outlet_name,
            status: r.status,
            redeemed_at: r.redeemed_at.to_rfc3339(),
        })
        .collect())
}

/// `/consumer/transactions`: every redemption, with where and when.
#[component]
pub fn Transactions() -> impl IntoView {
    let list = Resource::new(|| (), |_| async { Ok::<_, AppError>((my_transactions().await?, crate::pages::order::my_orders().await?)) });
    view! {
        <Title text=t("transactions-title")/>
        <main class="consumer transactions-page" data-refresh-on-return>
            <AppHeader title=t("transactions-title") back="/consumer/wallet"/>
            <Suspense fallback=|| view! { <Loading text=t("transactions-loading")/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok((list, orders)) if list.is_empty() && orders.is_empty() => view! {
                            <div class="state state-empty">
                                <h2>{t("transactions-empty-title")}</h2>
                                <p>{t("transactions-empty-text")}</p>
                            </div>
                        }.into_any(),
                        Ok((list, orders)) => view! {
                            {(!orders.is_empty()).then(|| view! {
                                <h2 class="list-heading">{t("transactions-purchases")}</h2>
                                <ul class="transaction-list purchases">
                                    {orders.into_iter().map(|o| view! { <crate::pages::order::OrderItem o/> }).collect_view()}
                                </ul>
                                <h2 class="list-heading">{t("transactions-redemptions")}</h2>
                            })}
                            {list.is_empty().then(|| view! { <p class="notice">{t("transactions-empty-text")}</p> })}
                            <ul class="transaction-list">
                                {list.into_iter().map(|t| view! {
                                    <li class="transaction" data-status=t.status.as_str()>
                                        <a class="card-link" href=href(&format!("/consumer/wallet/{}", t.claim_id))>
                                            <h3 class="title"><VoucherTitle title=t.title.clone()/></h3>
                                            <p class="where">{t.outlet_name.clone()}" · "<time datetime=t.redeemed_at.clone()>{crate::i18n::date_time(&t.redeemed_at)}</time></p>
                                            {(t.status == RedemptionStatus::Flagged).then(|| view! { <span class="chip flagged">{crate::i18n::t("transactions-flagged")}</span> })}
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorState title=t("transactions-error") error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="wallet"/>
        </main>
    }
}

/// `/consumer/help`: how vouchers work, in a few questions.
/// The partner's own support, for the help screen (SPEC §13).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HelpContact {
    pub email: Option<String>,
    pub url: Option<String>,
    pub text: Option<String>,
}

#[server]
pub async fn support_contact() -> Result<HelpContact, AppError> {
    let settings = crate::session::partner().await.map(|p| p.webview()).unwrap_or_default();
    Ok(HelpContact { email: settings.support_email, url: settings.support_url, text: settings.help_text })
}

#[component]
pub fn Help() -> impl IntoView {
    let faq = [
        ("help-q-use", "help-a-use"),
        ("help-q-location", "help-a-location"),
        ("help-q-gone", "help-a-gone"),
        ("help-q-code", "help-a-code"),
        ("help-q-wrong", "help-a-wrong"),
    ];
    let contact = Resource::new(|| (), |_| support_contact());
    view! {
        <Title text=t("help-title")/>
        <main class="consumer help-page">
            <AppHeader title=t("help-title") back="/consumer"/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let s = contact.await.unwrap_or_default();
                    let any = s.email.is_some() || s.url.is_some() || s.text.is_some();
                    any.then(|| view! {
                        <section class="support" aria-labelledby="support-heading">
                            <h2 id="support-heading">{t("help-contact")}</h2>
                            {s.text.map(|text| view! { <p class="support-text">{text}</p> })}
                            {s.email.map(|email| view! {
                                <a class="button support-email" href=format!("mailto:{email}")>{t_with("help-contact-email", &[("email", email.clone())])}</a>
                            })}
                            {s.url.map(|url| view! {
                                <a class="button secondary support-url" href=url target="_blank" rel="noopener">{t("help-contact-site")}</a>
                            })}
                        </section>
                    })
                })}
            </Suspense>
            <section class="faq">
                {faq.into_iter().map(|(q, a)| view! {
                    <details>
                        <summary>{t(q)}</summary>
                        <p>{t(a)}</p>
                    </details>
                }).collect_view()}
            </section>
            <TabBar current="help"/>
        </main>
    }
}
