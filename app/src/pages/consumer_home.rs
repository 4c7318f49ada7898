use crate::{
    components::{AppHeader, ErrorState, Loading, Picture, TabBar, VoucherTitle},
    error::AppError,
    i18n::{t, t_with},
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use tessera_core::{
    catalog::{ValueType, VoucherCard},
    images::Kind,
};

/// How many vouchers the home page lists (the catalog's first page).
pub const HOME_LIMIT: i64 = 100;

/// A merchant as a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MerchantLink {
    pub id: String,
    pub name: String,
}

/// A theme banner: an image and the deep link it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BannerLink {
    pub image_id: Option<String>,
    pub image_url: Option<String>,
    pub alt: String,
    pub link: String,
}

/// Everything the home screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeData {
    pub signed_in: bool,
    pub vouchers: Vec<VoucherCard>,
    /// `?coupon=CODE`: the unlisted vouchers that code unlocks (`None`: no code given).
    pub unlocked: Option<Vec<VoucherCard>>,
    pub favorites: Vec<MerchantLink>,
    pub banners: Vec<BannerLink>,
    pub search_placeholder: Option<String>,
}

/// The home screen: for a signed-in user their catalog (cohorts applied) and
/// favourite merchants; signed out, what anyone may see.
#[server]
pub async fn home() -> Result<HomeData, AppError> {
    let platform = crate::error::platform()?;
    let db = &platform.db;
    let viewer = crate::session::viewer_if_any().await;
    let coupon = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.uri.query().map(str::to_owned))
        .and_then(|q| url_param(&q, "coupon"))
        .filter(|c| !c.is_empty() && c.len() <= 100);
    let (vouchers, favorites, unlocked) = match &viewer {
        Some(v) => {
            let query = tessera_core::catalog::CatalogQuery { limit: HOME_LIMIT, ..Default::default() };
            let page = tessera_core::catalog::vouchers_for_user(db, &v.user_id, &query).await?;
            let favorites = tessera_core::favorites::list(db, &v.user_id).await?;
            let vouchers: Vec<VoucherCard> = page.items.into_iter().map(VoucherCard::from).collect();
            let unlocked = match &coupon {
                Some(code) => {
                    let query = tessera_core::catalog::CatalogQuery {
                        limit: HOME_LIMIT,
                        coupon: Some(code.clone()),
                        unlocked_only: true,
                        ..Default::default()
                    };
                    let page = tessera_core::catalog::vouchers_for_user(db, &v.user_id, &query).await?;
                    Some(page.items.into_iter().map(VoucherCard::from).collect())
                }
                None => None,
            };
            (vouchers, favorites.into_iter().map(|m| MerchantLink { id: m.id, name: m.name }).collect(), unlocked)
        }
        // Codes unlock vouchers for a user: signed out, there is no one to unlock them for.
        None => (tessera_core::catalog::published_vouchers(db).await?, Vec::new(), None),
    };
    let theme = crate::session::partner().await.map(|p| p.theme()).unwrap_or_default();
    Ok(HomeData {
        signed_in: viewer.is_some(),
        vouchers,
        unlocked,
        favorites,
        banners: theme
            .banners
            .into_iter()
            .map(|b| BannerLink { image_id: b.image_id, image_url: b.image_url, alt: b.alt, link: b.link })
            .collect(),
        search_placeholder: theme.search_placeholder,
    })
}

/// One query parameter's value, decoded.
#[cfg(feature = "ssr")]
fn url_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// `/consumer`: featured vouchers, favourite merchants, categories by value
/// type and the whole catalog, rendered on the server. A small island filters
/// the list as the user types; without JavaScript the search form submits.
#[component]
pub fn ConsumerHome() -> impl IntoView {
    let data = Resource::new(|| (), |_| home());
    view! {
        <Title text=t("home-title")/>
        <main class="consumer home" data-visit="visit_home">
            <AppHeader title=t("home-title")/>
            <Suspense fallback=|| view! { <Loading text=t("home-loading")/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(home) => view! { <HomeBody home/> }.into_any(),
                        Err(e) => view! { <ErrorState title=t("home-error") error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="home"/>
        </main>
    }
}

#[component]
fn HomeBody(home: HomeData) -> impl IntoView {
    let total = home.vouchers.len();
    let placeholder = home.search_placeholder.clone().unwrap_or_else(|| t("search-placeholder"));
    let categories: Vec<(ValueType, usize)> = [ValueType::Percent, ValueType::Fixed, ValueType::FreeItem, ValueType::Bogo]
        .into_iter()
        .map(|t| (t, home.vouchers.iter().filter(|v| v.value_type == Some(t)).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let featured: Vec<VoucherCard> = home.vouchers.iter().take(4).cloned().collect();
    view! {
        <form class="search" action=href("/consumer/search") method="get" role="search">
            <label for="voucher-filter" class="visually-hidden">{t("home-filter-label")}</label>
            <crate::pages::search::LiveFilter placeholder total texts={
                let mut texts = crate::i18n::texts(&["voucher-count-of"]);
                // The whole list's count, as the page says it (plural rules applied on the server).
                texts.extend(crate::i18n::Texts::one("voucher-count", t_with("voucher-count", &[("count", total.to_string())])));
                texts
            }/>
        </form>
        {home.unlocked.clone().map(|unlocked| view! {
            <section class="unlocked" aria-labelledby="unlocked-heading">
                <h2 id="unlocked-heading">{t("home-unlocked")}</h2>
                {if unlocked.is_empty() {
                    view! { <p class="state state-empty">{t("home-unlocked-none")}</p> }.into_any()
                } else {
                    view! { <VoucherList vouchers=unlocked/> }.into_any()
                }}
            </section>
        })}
        {(!home.banners.is_empty()).then(|| view! {
            <section class="banners" aria-label=t("home-offers")>
                {home.banners.iter().map(|b| {
                    // A banner stored before `alt` was asked for is named by the section's heading.
                    let name = if b.alt.trim().is_empty() { t("home-offers") } else { b.alt.clone() };
                    let picture = match (&b.image_id, &b.image_url) {
                        (Some(id), _) => view! {
                            <Picture id=id.clone() kind=Kind::Voucher sizes="(max-width: 640px) calc(100vw - 32px), 353px" class="banner-image" alt=name/>
                        }.into_any(),
                        (None, url) => view! {
                            <img class="banner-image" src=url.clone().unwrap_or_default() alt=name width="353" height="199" loading="lazy"/>
                        }.into_any(),
                    };
                    view! { <a class="banner" href=href(&b.link)>{picture}</a> }
                }).collect_view()}
            </section>
        })}
        {if total == 0 {
            view! {
                <div class="state state-empty">
                    <h2>{t("home-empty-title")}</h2>
                    <p>{t("home-empty-text")}</p>
                </div>
            }.into_any()
        } else {
            view! {
                <section class="featured" aria-labelledby="featured-heading">
                    <h2 id="featured-heading">{t("home-featured")}</h2>
                    <ul class="featured-strip">
                        {featured.into_iter().map(|card| view! {
                            <li class="featured-card">
                                <a href=href(&format!("/consumer/vouchers/{}", card.id))>
                                    <span class="merchant">{card.merchant_name.clone()}</span>
                                    <span class="title"><VoucherTitle title=card.title.clone()/></span>
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
                {(!home.favorites.is_empty()).then(|| view! {
                    <section class="favorite-merchants" aria-labelledby="favorites-heading">
                        <h2 id="favorites-heading">{t("home-favorites")}</h2>
                        <ul class="chips">
                            {home.favorites.iter().map(|m| view! {
                                <li><a class="chip" href=href(&format!("/consumer/merchants/{}", m.id))>{m.name.clone()}</a></li>
                            }).collect_view()}
                        </ul>
                    </section>
                })}
                <section class="categories" aria-labelledby="categories-heading">
                    <h2 id="categories-heading">{t("home-categories")}</h2>
                    <ul class="chips">
                        {categories.into_iter().map(|(t, n)| view! {
                            <li><a class="chip" href=href(&format!("/consumer/search?type={}", t.as_str()))>{value_type_label(t)}" "<span class="count">{n}</span></a></li>
                        }).collect_view()}
                    </ul>
                </section>
                <section class="all" aria-labelledby="all-heading">
                    <h2 id="all-heading">{t("home-all")}</h2>
                    <p class="result-count" aria-live="polite" data-total=total>{t_with("voucher-count", &[("count", total.to_string())])}</p>
                    <VoucherList vouchers=home.vouchers/>
                    <p class="state state-empty no-match" hidden>{t("home-no-match")}</p>
                </section>
            }.into_any()
        }}
    }
}

/// Voucher cards, each a link to its voucher. `data-search` is what the live
/// filter matches against (plain text, lower case).
#[component]
pub fn VoucherList(vouchers: Vec<VoucherCard>) -> impl IntoView {
    view! {
        <ul class="voucher-list">
            {vouchers.into_iter().map(|card| view! { <VoucherCardView card/> }).collect_view()}
        </ul>
    }
}

#[component]
fn VoucherCardView(card: VoucherCard) -> impl IntoView {
    let value = value_text(card.value_type, card.value, card.currency.as_deref());
    let valid_until = card.valid_until.as_deref().map(|u| t_with("valid-until", &[("date", crate::i18n::last_day(u))]));
    let search = format!("{} {}", tessera_core::markup::plain_text(&card.title), card.merchant_name).to_lowercase();
    view! {
        <li class="voucher-card" data-voucher-id=card.id.clone() data-search=search>
            <a class="card-link" href=href(&format!("/consumer/vouchers/{}", card.id))>
                {card.image_id.clone().map(|id| view! {
                    <Picture id kind=Kind::Voucher sizes="(max-width: 640px) calc(100vw - 32px), 353px" class="card-image"/>
                })}
                <p class="merchant">
                    {card.merchant_logo_id.clone().map(|id| view! { <Picture id kind=Kind::Logo sizes="24px" class="merchant-logo"/> })}
                    {card.merchant_name.clone()}
                </p>
                <h3 class="title"><VoucherTitle title=card.title.clone()/></h3>
                <p class="description">{card.description.clone()}</p>
                <p class="card-facts">
                    {value.map(|v| view! { <span class="value">{v}</span> })}
                    {valid_until.map(|v| view! { <span class="valid-until">{v}</span> })}
                </p>
            </a>
        </li>
    }
}

/// A category's name in the user's language.
pub fn value_type_label(v: ValueType) -> String {
    t(match v {
        ValueType::FreeItem => "value-type-free-item",
        ValueType::Percent => "value-type-percent",
        ValueType::Fixed => "value-type-fixed",
        ValueType::Bogo => "value-type-bogo",
    })
}

/// What a voucher is worth, as a person says it: "RM 5 off", "20% off", "Free".
pub fn value_text(value_type: Option<ValueType>, value: Option<i64>, currency: Option<&str>) -> Option<String> {
    match (value_type?, value, currency) {
        (ValueType::Fixed, Some(minor), Some(currency)) => Some(t_with("value-fixed", &[("amount", crate::i18n::money(minor, currency))])),
        (ValueType::Percent, Some(percent), _) => Some(t_with("value-percent", &[("percent", percent.to_string())])),
        (ValueType::FreeItem, ..) => Some(t("value-free-item")),
        (ValueType::Bogo, ..) => Some(t("value-bogo")),
        (t, ..) => Some(value_type_label(t)),
    }
}
