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
    pub js: String,
    pub wasm: String,
}

impl Default for SiteFiles {
    /// A site built without fingerprints (by hand, not by scripts/lib.sh).
    fn default() -> Self {
        SiteFiles { css: "/pkg/tessera.css".into(), js: "/pkg/tessera.js".into(), wasm: "/pkg/tessera.wasm".into() }
    }
}

/// Tessera's island loader (see its comments), run with the bundle's paths.
const ISLANDS_JS: &str = include_str!("islands.js");

/// What Leptos' `HydrationScripts` puts in `<head>` for islands — the
/// bundle's preloads and the script that hydrates the islands — with
/// Tessera's loader (islands.js) and the paths the server read once at start
/// (Leptos reads `hash.txt` from disk on every page).
#[component]
fn BundleScripts() -> impl IntoView {
    // As HydrationScripts does for islands: outside an island, nothing is
    // rendered for hydration.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let files = use_context::<SiteFiles>().unwrap_or_default();
    let loader = format!("{}({:?}, {:?});", trim_script(ISLANDS_JS), files.js, files.wasm);
    view! {
        <link rel="modulepreload" href=files.js crossorigin="anonymous"/>
        <link rel="preload" href=files.wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
        <script type="module" nonce=leptos::nonce::use_nonce() inner_html=loader></script>
    }
}

/// The boot script (see its comments): inline, so it runs before anything else.
const BOOT_JS: &str = include_str!("boot.js");

/// The boot script as pages carry it: without its comment lines and
/// indentation (a third of its bytes, in every page a phone downloads and
/// parses); line breaks kept, so no statement joins the next.
fn boot_script() -> &'static str {
    static TRIMMED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| trim_script(BOOT_JS));
    &TRIMMED
}

/// The words boot.js shows when a sign-in fails, as JSON (`<` escaped, so no
/// text can close the element).
const BOOT_TEXTS: [&str; 10] = [
    "sso-title",
    "sso-again",
    "nav-close",
    "boot-expired",
    "boot-invalid",
    "boot-rate-limited",
    "boot-network",
    "boot-failed",
    "boot-unknown",
    "boot-retry",
];

fn boot_texts() -> String {
    serde_json::to_string(&i18n::texts(&BOOT_TEXTS)).unwrap_or_else(|_| "{}".into()).replace('<', "\\u003c")
}

fn trim_script(source: &str) -> String {
    source
        .lines()
        .map(str::trim)
        .filter(|line| !(line.is_empty() || line.starts_with("//") || line.starts_with("/*") && line.ends_with("*/")))
        .collect::<Vec<_>>()
        .join("\n")
}

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
                // The boot script's words for a failed sign-in, in the page's language (data, not run).
                <script type="application/json" id="tessera-boot-texts" nonce=leptos::nonce::use_nonce() inner_html=boot_texts()></script>
                // First to run: takes a token from the URL fragment before anything can see it.
                <script nonce=leptos::nonce::use_nonce() inner_html=boot_script()></script>
                <AutoReload options=options.clone()/>
                <BundleScripts/>
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
    fn the_boot_script_loses_its_comments_and_keeps_every_statement() {
        // Line-wise trimming is only safe without multi-line strings.
        for source in [super::BOOT_JS, super::ISLANDS_JS] {
            assert!(!super::trim_script(source).contains('`'), "no template literals in inline scripts (trim_script works line by line)");
        }
        let trimmed = super::boot_script();
        assert!(trimmed.len() * 4 < super::BOOT_JS.len() * 3, "{} of {} bytes", trimmed.len(), super::BOOT_JS.len());
        let code: Vec<&str> =
            super::BOOT_JS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("/*")).collect();
        assert_eq!(trimmed.lines().collect::<Vec<_>>(), code);
        assert!(trimmed.contains("tesseraBridge") && !trimmed.contains("\n\n"));
        assert_eq!(super::trim_script("  // a note\n  var a = 1; // kept\n\n  /* gone */\n  b();"), "var a = 1; // kept\nb();");
    }

    #[test]
    fn a_title_cannot_close_its_element() {
        let t = super::escape_text(r#"Tom & Jerry's </title><meta http-equiv="refresh" content="0;url=https://evil.example">"#);
        assert_eq!(
            t,
            "Tom &amp; Jerry&#39;s &lt;/title&gt;&lt;meta http-equiv=&quot;refresh&quot; content=&quot;0;url=https://evil.example&quot;&gt;"
        );
        assert!(!t.contains('<') && !t.contains('>'));
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let css_href = use_context::<SiteFiles>().unwrap_or_default().css;
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
                <Route path=path!("/consumer/buy/:id") view=pages::Checkout ssr=SsrMode::Async/>
                <Route path=path!("/consumer/orders/:id") view=pages::OrderPage ssr=SsrMode::Async/>
                <Route path=path!("/consumer/merchants/:id") view=pages::MerchantPage ssr=SsrMode::Async/>
                <Route path=path!("/consumer/wallet/:claimId") view=pages::Redeem ssr=SsrMode::Async/>
                <Route path=path!("/consumer/search") view=pages::Search ssr=SsrMode::Async/>
                <Route path=path!("/consumer/transactions") view=pages::Transactions ssr=SsrMode::Async/>
                <Route path=path!("/consumer/favorites") view=pages::Favorites ssr=SsrMode::Async/>
                <Route path=path!("/consumer/help") view=pages::Help ssr=SsrMode::Async/>
                <Route path=path!("/docs/api") view=pages::ApiReferencePage ssr=SsrMode::Async/>
                <Route path=path!("/docs") view=pages::DocsPage ssr=SsrMode::Async/>
                <Route path=path!("/docs/:page") view=pages::DocsPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
        // Last: hydrates after every other island (see its docs).
        <components::Interactive/>
    }
}
