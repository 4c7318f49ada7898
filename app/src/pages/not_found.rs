use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="state state-error">
            <h1>"Page not found"</h1>
            <p>"This link does not lead anywhere. It may be out of date."</p>
            <a class="button" href="/consumer">"Go to vouchers"</a>
        </main>
    }
}
