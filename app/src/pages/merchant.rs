use crate::{
    bridge,
    components::{AppHeader, ErrorState, Loading, TabBar},
    error::AppError,
    i18n::{Texts, t},
    pages::{
        consumer_home::{MerchantLink, VoucherList},
        redeem::OutletChoice,
    },
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use tessera_core::catalog::VoucherCard;

/// What the merchant screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MerchantData {
    pub id: String,
    pub name: String,
    pub description: String,
    pub logo_url: Option<String>,
    pub logo_image_id: Option<String>,
    pub cover_image_id: Option<String>,
    pub outlets: Vec<OutletChoice>,
    pub vouchers: Vec<VoucherCard>,
    /// Whether the user favours it; `None` when signed out.
    pub favorite: Option<bool>,
}

/// An active merchant with its outlets and the vouchers the viewer may see.
#[server]
pub async fn merchant_screen(id: String) -> Result<MerchantData, AppError> {
    let platform = crate::error::platform()?;
    let db = &platform.db;
    let merchant = tessera_core::merchants::get_listed(db, &id).await?;
    let outlets = tessera_core::merchants::outlets(db, &merchant.id, None).await?;
    let (vouchers, favorite) = match crate::session::viewer_if_any().await {
        Some(v) => {
            let query = tessera_core::catalog::CatalogQuery {
                merchant_id: Some(merchant.id.clone()),
                limit: crate::pages::consumer_home::HOME_LIMIT,
                ..Default::default()
            };
            let page = tessera_core::catalog::vouchers_for_user(db, &v.user_id, &query).await?;
            let favorites = tessera_core::favorites::list(db, &v.user_id).await?;
            (page.items.into_iter().map(VoucherCard::from).collect(), Some(favorites.iter().any(|m| m.id == merchant.id)))
        }
        None => {
            let all = tessera_core::catalog::published_vouchers(db).await?;
            (all.into_iter().filter(|c| c.merchant_id == merchant.id).collect(), None)
        }
    };
    Ok(MerchantData {
        id: merchant.id,
        name: merchant.name,
        description: merchant.description,
        logo_url: merchant.logo_url,
        logo_image_id: merchant.logo_image_id,
        cover_image_id: merchant.cover_image_id,
        outlets: crate::pages::redeem::choices(outlets),
        vouchers,
        favorite,
    })
}

/// Adds the merchant to (or removes it from) the user's favourites.
#[server(endpoint = "set_favorite")]
pub async fn set_favorite(merchant_id: String, on: bool) -> Result<bool, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    if on {
        tessera_core::favorites::add(&platform.db, &viewer.user_id, &merchant_id).await?;
    } else {
        tessera_core::favorites::remove(&platform.db, &viewer.user_id, &merchant_id).await?;
    }
    Ok(on)
}

/// The signed-in user's favourite merchants.
#[server]
pub async fn my_favorites() -> Result<Vec<MerchantLink>, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let list = tessera_core::favorites::list(&platform.db, &viewer.user_id).await?;
    Ok(list.into_iter().map(|m| MerchantLink { id: m.id, name: m.name }).collect())
}

/// `/consumer/merchants/{id}`: the merchant, its outlets, its vouchers and
/// the favourite toggle.
#[component]
pub fn MerchantPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let props = serde_json::json!({ "merchantId": id }).to_string();
    let screen = Resource::new(move || id.clone(), merchant_screen);
    view! {
        <main class="consumer merchant-page" data-visit="visit_merchant" data-visit-props=props>
            <AppHeader title=t("merchant-title") back="/consumer"/>
            <Suspense fallback=|| view! { <Loading text=t("merchant-loading")/> }>
                {move || Suspend::new(async move {
                    match screen.await {
                        Ok(m) => view! { <MerchantBody m/> }.into_any(),
                        Err(e) => view! {
                            <Title text=t("merchant-title")/>
                            <ErrorState title=t("merchant-error") error=e/>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="home"/>
        </main>
    }
}

#[component]
fn MerchantBody(m: MerchantData) -> impl IntoView {
    view! {
        <Title text=m.name.clone()/>
        <section class="merchant-head" data-merchant-id=m.id.clone()>
            {m.cover_image_id.clone().map(|id| view! {
                <crate::components::Picture id kind=tessera_core::images::Kind::Voucher sizes="(max-width: 640px) calc(100vw - 32px), 608px" class="cover"/>
            })}
            {match (m.logo_image_id.clone(), m.logo_url.clone()) {
                (Some(id), _) => Some(view! { <crate::components::Picture id kind=tessera_core::images::Kind::Logo sizes="56px" class="logo"/> }.into_any()),
                (None, Some(u)) => Some(view! { <img class="logo" src=u alt="" width="56" height="56"/> }.into_any()),
                (None, None) => None,
            }}
            <h2 class="merchant-name">{m.name.clone()}</h2>
            {m.favorite.map(|on| view! { <FavoriteToggle merchant_id=m.id.clone() on texts=crate::i18n::texts(&["favorite-on", "favorite-add"])/> })}
            <p class="description">{m.description.clone()}</p>
        </section>
        <section class="outlets-list" aria-labelledby="outlets-heading">
            <h2 id="outlets-heading">{t("merchant-outlets")}</h2>
            {if m.outlets.is_empty() {
                view! { <p class="state state-empty">{t("merchant-no-outlets")}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {m.outlets.iter().map(|o| view! {
                            <li class="outlet" data-outlet-id=o.id.clone()>
                                <span class="outlet-name">{o.name.clone()}</span>
                                <span class="outlet-address">{o.address.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="merchant-vouchers" aria-labelledby="vouchers-heading">
            <h2 id="vouchers-heading">{t("merchant-vouchers")}</h2>
            {if m.vouchers.is_empty() {
                view! { <p class="state state-empty">{t("merchant-no-vouchers")}</p> }.into_any()
            } else {
                view! { <VoucherList vouchers=m.vouchers/> }.into_any()
            }}
        </section>
    }
}

/// The favourite toggle (signed-in users only).
#[island]
fn FavoriteToggle(merchant_id: String, on: bool, texts: Texts) -> impl IntoView {
    let on = RwSignal::new(on);
    let error = RwSignal::new(None::<AppError>);
    let toggle = Action::new(move |want: &bool| {
        let (id, want) = (merchant_id.clone(), *want);
        async move {
            match set_favorite(id.clone(), want).await {
                Ok(now) => {
                    on.set(now);
                    error.set(None);
                    bridge::analytics(if now { "favorite_added" } else { "favorite_removed" }, serde_json::json!({ "merchantId": id }));
                }
                Err(e) => {
                    bridge::report(&e);
                    error.set(Some(e));
                }
            }
        }
    });
    view! {
        <button type="button" class="button favorite" aria-pressed=move || on.get().to_string()
            disabled={let ready = crate::components::hydrated(); move || !ready.get() || toggle.pending().get()}
            on:click=move |_| { toggle.dispatch(!on.get_untracked()); }>
            <crate::components::Icon glyph=crate::components::Glyph::Star/>
            <span>{move || if on.get() { texts.get("favorite-on") } else { texts.get("favorite-add") }}</span>
        </button>
        {move || error.get().map(|e| view! { <p class="favorite-error" role="alert" data-code=e.code.as_str()>{e.message.clone()}</p> })}
    }
}

/// `/consumer/favorites`: the user's favourite merchants.
#[component]
pub fn Favorites() -> impl IntoView {
    let list = Resource::new(|| (), |_| my_favorites());
    view! {
        <Title text=t("favorites-title")/>
        <main class="consumer favorites-page">
            <AppHeader title=t("favorites-title") back="/consumer"/>
            <Suspense fallback=|| view! { <Loading text=t("favorites-loading")/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.is_empty() => view! {
                            <div class="state state-empty">
                                <h2>{t("favorites-empty-title")}</h2>
                                <p>{t("favorites-empty-text")}</p>
                                <a class="button" href=href("/consumer")>{t("browse-vouchers")}</a>
                            </div>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="merchant-list">
                                {list.into_iter().map(|m| view! {
                                    <li class="merchant-item" data-merchant-id=m.id.clone()>
                                        <a class="card-link" href=href(&format!("/consumer/merchants/{}", m.id))>{m.name.clone()}</a>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorState title=t("favorites-error") error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="favorites"/>
        </main>
    }
}
