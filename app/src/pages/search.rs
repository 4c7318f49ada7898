use crate::{
    components::{AppHeader, ErrorState, Loading, TabBar},
    error::AppError,
    i18n::{Texts, t, t_with},
    pages::consumer_home::VoucherList,
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use tessera_core::catalog::{ValueType, VoucherCard};

/// Longest query accepted; longer ones are cut (a search box, not an API).
#[cfg(feature = "ssr")]
const MAX_QUERY: usize = 100;

/// Vouchers matching `q` (title, merchant, description; an unlock code reveals
/// its coupon) and, if given, of one value type.
#[server]
pub async fn search_vouchers(q: String, value_type: Option<String>) -> Result<Vec<VoucherCard>, AppError> {
    let platform = crate::error::platform()?;
    let db = &platform.db;
    let q: String = q.trim().chars().take(MAX_QUERY).collect();
    let wanted = match value_type.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(ValueType::parse(t).ok_or_else(|| AppError {
            code: tessera_core::codes::ErrorCode::ValidationFailed,
            message: t_with("search-unknown-category", &[("category", t.to_string())]),
        })?),
        None => None,
    };
    let viewer = crate::session::viewer_if_any().await;
    let limit = crate::pages::consumer_home::HOME_LIMIT;
    Ok(tessera_core::catalog::search(db, viewer.as_ref().map(|v| v.user_id.as_str()), &q, wanted, limit).await?)
}

/// `/consumer/search?q=…&type=…`: a plain GET form, so it works without
/// JavaScript and every search is a deep link.
#[component]
pub fn Search() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let value_type = move || query.read().get("type");
    let results = Resource::new(move || (q(), value_type()), |(q, t)| search_vouchers(q, t));
    let props = serde_json::json!({ "query": q(), "type": value_type() }).to_string();
    let heading = value_type()
        .and_then(|t| ValueType::parse(&t))
        .map(crate::pages::consumer_home::value_type_label)
        .unwrap_or_else(|| t("search-title"));
    view! {
        <Title text=heading.clone()/>
        <main class="consumer search-page" data-visit="search" data-visit-props=props>
            <AppHeader title=heading back="/consumer"/>
            <form class="search" action=href("/consumer/search") method="get" role="search">
                <label for="search-q" class="visually-hidden">{t("search-label")}</label>
                <input id="search-q" name="q" type="search" value=q() placeholder=t("search-placeholder") autocomplete="off" maxlength="100"/>
                {value_type().map(|t| view! { <input type="hidden" name="type" value=t/> })}
                <button class="button" type="submit">{t("search-button")}</button>
            </form>
            <Suspense fallback=|| view! { <Loading text=t("search-loading")/> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(list) if list.is_empty() => view! {
                            <div class="state state-empty">
                                <h2>{t("search-empty-title")}</h2>
                                <p>{t("search-empty-text")}</p>
                            </div>
                        }.into_any(),
                        Ok(list) => {
                            let n = list.len();
                            view! {
                                <p class="result-count">{t_with("voucher-count", &[("count", n.to_string())])}</p>
                                <VoucherList vouchers=list/>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorState title=t("search-error") error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <TabBar current="search"/>
        </main>
    }
}

/// The home page's search box. Server-rendered as a plain input of a GET
/// form; once hydrated it filters the cards on the page as the user types.
#[island]
pub fn LiveFilter(placeholder: String, total: usize, texts: Texts) -> impl IntoView {
    let on_input = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        filter_cards(&event_target_value(&ev), total, &texts);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, total, &texts);
    };
    view! {
        <input id="voucher-filter" name="q" type="search" placeholder=placeholder autocomplete="off" maxlength="100" on:input=on_input/>
    }
}

#[cfg(feature = "hydrate")]
fn filter_cards(text: &str, total: usize, texts: &Texts) {
    use wasm_bindgen::JsCast;
    let needle = text.trim().to_lowercase();
    let document = document();
    let mut shown = 0;
    if let Ok(cards) = document.query_selector_all(".voucher-card[data-search]") {
        for i in 0..cards.length() {
            let Some(card) = cards.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) else { continue };
            let hay = card.get_attribute("data-search").unwrap_or_default();
            let visible = needle.is_empty() || hay.contains(&needle);
            card.set_hidden(!visible);
            shown += usize::from(visible);
        }
    }
    if let Ok(Some(count)) = document.query_selector(".result-count") {
        let all = texts.get("voucher-count");
        let (shown, total) = (shown.to_string(), total.to_string());
        let text = if shown == total { all } else { texts.fill("voucher-count-of", &[("shown", &shown), ("total", &total)]) };
        count.set_text_content(Some(&text));
    }
    if let Ok(Some(empty)) = document.query_selector(".no-match")
        && let Ok(el) = empty.dyn_into::<web_sys::HtmlElement>()
    {
        el.set_hidden(shown > 0);
    }
}
