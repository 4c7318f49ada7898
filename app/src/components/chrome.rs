use crate::session::href;
use leptos::prelude::*;

/// The screen's header: a back link (or, at the root, the close control that
/// asks the host app to close the webview), the title, and a wallet shortcut.
#[component]
pub fn AppHeader(
    #[prop(into)] title: String,
    /// Where "back" goes; `None` at the root, where the control closes the webview.
    #[prop(optional)]
    back: Option<&'static str>,
) -> impl IntoView {
    view! {
        <header class="app-header">
            {match back {
                Some(path) => view! { <a class="header-button back" href=href(path) aria-label="Back">"‹"</a> }.into_any(),
                None => view! {
                    <button type="button" class="header-button close" data-bridge-close aria-label="Close">"×"</button>
                }.into_any(),
            }}
            <h1>{title}</h1>
            <a class="header-button wallet-link" href=href("/consumer/wallet") aria-label="Wallet">"▤"</a>
        </header>
    }
}

/// The tabs at the bottom of every screen.
#[component]
pub fn TabBar(current: &'static str) -> impl IntoView {
    let tabs = [
        ("home", "/consumer", "Home"),
        ("search", "/consumer/search", "Search"),
        ("wallet", "/consumer/wallet", "Wallet"),
        ("favorites", "/consumer/favorites", "Favourites"),
        ("help", "/consumer/help", "Help"),
    ];
    view! {
        <nav class="tab-bar" aria-label="Sections">
            {tabs.into_iter().map(|(key, path, label)| view! {
                <a href=href(path) aria-current=(key == current).then_some("page")>{label}</a>
            }).collect_view()}
        </nav>
    }
}

/// A screen's loading state, shown while the server waits for data (only
/// seen when a page streams).
#[component]
pub fn Loading(#[prop(into)] text: String) -> impl IntoView {
    view! { <p class="state state-loading" role="status">{text}</p> }
}
