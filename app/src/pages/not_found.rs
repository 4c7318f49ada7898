use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text=crate::i18n::t("not-found-title")/>
        <main class="state state-error">
            <h1>{crate::i18n::t("not-found-title")}</h1>
            <p>{crate::i18n::t("not-found-text")}</p>
            <a class="button" href="/consumer">{crate::i18n::t("not-found-home")}</a>
        </main>
    }
}
