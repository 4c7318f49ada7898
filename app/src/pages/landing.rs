use leptos::prelude::*;
use leptos_meta::Title;

/// The root page of an instance: where to go from here.
#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <Title text=""/>
        <main class="landing">
            <h1>"Tessera"</h1>
            <p>"A self-hosted voucher platform. This instance is running."</p>
            <ul class="links">
                <li><a href="/consumer">"Consumer webview"</a></li>
                <li><a href="/healthz">"Health"</a>" · "<a href="/readyz">"Readiness"</a></li>
            </ul>
        </main>
    }
}
