use super::{Glyph, Icon};
use crate::{i18n::t, session::href};
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
                Some(path) => view! {
                    <a class="header-button back" href=href(path) aria-label=t("nav-back")><Icon glyph=Glyph::Back/></a>
                }.into_any(),
                None => view! {
                    <button type="button" class="header-button close" data-bridge-close aria-label=t("nav-close")><Icon glyph=Glyph::Close/></button>
                }.into_any(),
            }}
            <h1>{title}</h1>
            <a class="header-button wallet-link" href=href("/consumer/wallet") aria-label=t("nav-wallet")><Icon glyph=Glyph::Wallet/></a>
        </header>
    }
}

/// The tabs at the bottom of every screen.
#[component]
pub fn TabBar(current: &'static str) -> impl IntoView {
    let tabs = [
        ("home", "/consumer", t("tab-home"), Glyph::Home),
        ("search", "/consumer/search", t("tab-search"), Glyph::Search),
        ("wallet", "/consumer/wallet", t("tab-wallet"), Glyph::Wallet),
        ("favorites", "/consumer/favorites", t("tab-favorites"), Glyph::Star),
        ("help", "/consumer/help", t("tab-help"), Glyph::Help),
    ];
    view! {
        <nav class="tab-bar" aria-label=t("tabs-label")>
            {tabs.into_iter().map(|(key, path, label, glyph)| view! {
                <a href=href(path) aria-current=(key == current).then_some("page")><Icon glyph/><span>{label}</span></a>
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
