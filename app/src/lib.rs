//! Tessera's user interface: Leptos components, routes and server functions.
//!
//! Rendered on the server (feature `ssr`, linked into the `tessera` binary).
//! Islands architecture: pages are server components and ship no code; only
//! the interactive parts (`#[island]`: claim, redeem, favourite, live filter)
//! hydrate in the browser (feature `hydrate`, built to WASM by
//! `tessera-frontend`), which keeps the webview's bundle small.
//! Server functions are thin: they call `tessera-core`, the same functions the
//! REST API calls.

pub mod bridge;
pub mod components;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// Where the bundle's files are (their names carry a hash of their content,
/// so browsers keep them for a year); provided by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFiles {
    pub css: String,
}

/// The boot script (see its comments): inline, so it runs before anything else.
const BOOT_JS: &str = include_str!("boot.js");

/// The HTML document around every page, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=i18n::prefs().locale.tag() dir=i18n::prefs().locale.dir()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // First: takes a token from the URL fragment before anything can see it.
                <script nonce=leptos::nonce::use_nonce() inner_html=BOOT_JS></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The document title of a page: `{page} · Tessera`, escaped. leptos_meta
/// writes the title into the server's HTML as it is, so a voucher title or a
/// merchant name with `</title><meta http-equiv=refresh …>` would otherwise
/// become markup in `<head>`. In the browser the same text is set as
/// `document.title`, which takes plain text: nothing to escape there.
pub fn page_title(page: String) -> String {
    let title = if page.is_empty() { "Tessera".to_string() } else { format!("{page} · Tessera") };
    if cfg!(feature = "ssr") { escape_text(&title) } else { title }
}

/// Text as HTML character data: `&`, `<`, `>` and quotes as references.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_title_cannot_close_its_element() {
        let t = super::escape_text(r#"Tom & Jerry's </title><meta http-equiv="refresh" content="0;url=https://evil.example">"#);
        assert_eq!(t, "Tom &amp; Jerry&#39;s &lt;/title&gt;&lt;meta http-equiv=&quot;refresh&quot; content=&quot;0;url=https://evil.example&quot;&gt;");
        assert!(!t.contains('<') && !t.contains('>'));
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let css_href = use_context::<SiteFiles>().map_or_else(|| "/pkg/tessera.css".to_string(), |f| f.css);
    view! {
        <Stylesheet id="tessera-css" href=css_href/>
        <Title formatter=page_title/>
        <components::PartnerFrame/>
        <components::SsoRefusal/>
        <Router>
            // Async SSR: the server waits for the data, so every page is complete
            // HTML, readable without JavaScript and before the WASM arrives.
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::Landing ssr=SsrMode::Async/>
                <Route path=path!("/consumer") view=pages::ConsumerHome ssr=SsrMode::Async/>
                <Route path=path!("/consumer/wallet") view=pages::Wallet ssr=SsrMode::Async/>
                <Route path=path!("/consumer/vouchers/:id") view=pages::VoucherDetail ssr=SsrMode::Async/>
                <Route path=path!("/consumer/merchants/:id") view=pages::MerchantPage ssr=SsrMode::Async/>
                <Route path=path!("/consumer/wallet/:claimId") view=pages::Redeem ssr=SsrMode::Async/>
                <Route path=path!("/consumer/search") view=pages::Search ssr=SsrMode::Async/>
                <Route path=path!("/consumer/transactions") view=pages::Transactions ssr=SsrMode::Async/>
                <Route path=path!("/consumer/favorites") view=pages::Favorites ssr=SsrMode::Async/>
                <Route path=path!("/consumer/help") view=pages::Help ssr=SsrMode::Async/>
                <Route path=path!("/consumer/theme-editor") view=pages::ThemeEditorPage ssr=SsrMode::Async/>
                <Route path=path!("/docs/api") view=pages::ApiReferencePage ssr=SsrMode::Async/>
                <Route path=path!("/docs") view=pages::DocsPage ssr=SsrMode::Async/>
                <Route path=path!("/docs/:page") view=pages::DocsPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
        // Last: hydrates after every other island (see its docs).
        <components::Interactive/>
    }
}
