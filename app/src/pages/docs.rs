//! `/docs`: the partner documentation, served by Tessera itself. The pages
//! are the Markdown files of `docs/` (compiled into the binary), rendered on
//! the server, with a sidebar and a search that runs in the page over an
//! index served at `/docs/search.json` (no external service).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// A page of the docs: its slug (`/docs/{slug}`), sidebar group, title and Markdown.
pub struct DocPage {
    pub slug: &'static str,
    pub group: &'static str,
    pub title: &'static str,
    pub source: &'static str,
}

macro_rules! doc {
    ($group:literal, $slug:literal, $title:literal, $file:literal) => {
        DocPage { slug: $slug, group: $group, title: $title, source: include_str!(concat!("../../../docs/", $file)) }
    };
}

/// Every page, in sidebar order. `/docs/api` (the API reference) is its own route,
/// listed last in the sidebar.
pub const PAGES: &[DocPage] = &[
    doc!("Start", "", "Overview", "index.md"),
    doc!("Start", "quickstart", "Quickstart", "quickstart.md"),
    doc!("Start", "concepts", "Concepts", "concepts.md"),
    doc!("Your server", "signing", "Signing server calls", "signing.md"),
    doc!("Your server", "jwt", "User tokens (JWT)", "jwt.md"),
    doc!("Your server", "webhooks", "Webhooks", "webhooks.md"),
    doc!("Your server", "sso", "SSO", "sso.md"),
    doc!("Your server", "coins", "Coins ledger", "coins.md"),
    doc!("Your server", "selling", "Selling gift cards", "selling.md"),
    doc!("The webview", "webview", "The webview", "webview.md"),
    doc!("The webview", "embed-web", "Web (iframe)", "embed-web.md"),
    doc!("The webview", "embed-android", "Android", "embed-android.md"),
    doc!("The webview", "embed-ios", "iOS", "embed-ios.md"),
    doc!("The webview", "embed-react-native", "React Native", "embed-react-native.md"),
    doc!("The webview", "embed-flutter", "Flutter", "embed-flutter.md"),
    doc!("The webview", "deep-links", "Deep links", "deep-links.md"),
    doc!("The webview", "theming", "Theming", "theming.md"),
    doc!("Launch", "sandbox", "Testing in the sandbox", "sandbox.md"),
    doc!("Launch", "going-live", "Going live", "going-live.md"),
    doc!("Launch", "console", "Console and portal", "console.md"),
    doc!("Launch", "configuration", "Configuration", "configuration.md"),
    doc!("Launch", "troubleshooting", "Troubleshooting", "troubleshooting.md"),
];

pub fn page(slug: &str) -> Option<&'static DocPage> {
    PAGES.iter().find(|p| p.slug == slug)
}

/// `#some-heading` ids, as GitHub makes them: lower case, spaces to `-`,
/// punctuation dropped.
pub fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' | '-' => Some('-'),
            c if c.is_alphanumeric() || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Where a link in the Markdown goes on the site: `webview.md#x` → `/docs/webview#x`
/// (links to other files and the web are left as they are).
pub fn site_link(dest: &str) -> String {
    let (path, fragment) = dest.split_once('#').map_or((dest, None), |(p, f)| (p, Some(f)));
    let file = path.rsplit('/').next().unwrap_or(path);
    match file.strip_suffix(".md") {
        Some(stem) if !path.contains("://") => {
            let slug = if stem == "index" { "" } else { stem };
            let base = if slug.is_empty() { "/docs".to_string() } else { format!("/docs/{slug}") };
            match fragment {
                Some(f) => format!("{base}#{f}"),
                None => base,
            }
        }
        _ => dest.to_string(),
    }
}

/// A page's HTML: headings get ids, links to sibling pages point at the site
/// (keeping the partner's `clientId`, so the docs stay in its theme).
#[cfg(feature = "ssr")]
pub fn render(source: &str, client: Option<&str>) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
    let mut events: Vec<Event> = Vec::new();
    let mut heading: Option<(usize, String)> = None;
    for event in Parser::new_ext(source, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                heading = Some((events.len(), String::new()));
                events.push(event);
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((at, text)) = heading.take()
                    && let Event::Start(Tag::Heading { level, classes, attrs, .. }) = events[at].clone()
                {
                    events[at] = Event::Start(Tag::Heading { level, id: Some(anchor(&text).into()), classes, attrs });
                }
                events.push(event);
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let mut dest = site_link(&dest_url);
                if let (true, Some(client)) = (dest.starts_with("/docs"), client) {
                    dest = crate::session::with_client_id(&dest, client);
                }
                events.push(Event::Start(Tag::Link { link_type, dest_url: dest.into(), title, id }));
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                if let Some((_, text)) = heading.as_mut() {
                    text.push_str(t);
                }
                events.push(event);
            }
            other => events.push(other),
        }
    }
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    out
}

/// One section of a page, for the search index.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Section {
    pub url: String,
    pub page: &'static str,
    pub heading: String,
    pub text: String,
}

/// Every section of every page (split at `##` headings), as plain text.
#[cfg(feature = "ssr")]
pub fn search_index() -> Vec<Section> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = Vec::new();
    for p in PAGES {
        let base = if p.slug.is_empty() { "/docs".to_string() } else { format!("/docs/{}", p.slug) };
        let mut current = Section { url: base.clone(), page: p.title, heading: p.title.to_string(), text: String::new() };
        let mut in_heading = false;
        let mut heading_text = String::new();
        for event in Parser::new(p.source) {
            match event {
                Event::Start(Tag::Heading { .. }) => {
                    in_heading = true;
                    heading_text.clear();
                }
                Event::End(TagEnd::Heading(_)) => {
                    in_heading = false;
                    if !current.text.trim().is_empty() {
                        out.push(current);
                    }
                    current = Section {
                        url: format!("{base}#{}", anchor(&heading_text)),
                        page: p.title,
                        heading: heading_text.clone(),
                        text: String::new(),
                    };
                }
                Event::Text(t) | Event::Code(t) => {
                    if in_heading {
                        heading_text.push_str(&t);
                    } else {
                        current.text.push_str(&t);
                        current.text.push(' ');
                    }
                }
                Event::SoftBreak | Event::HardBreak => current.text.push(' '),
                _ => {}
            }
        }
        if !current.text.trim().is_empty() {
            out.push(current);
        }
    }
    out
}

const SEARCH_JS: &str = include_str!("docs_search.js");

/// `/docs` and `/docs/{page}`.
#[component]
pub fn DocsPage() -> impl IntoView {
    let slug = use_params_map().read_untracked().get("page").unwrap_or_default();
    let found = page(&slug);
    #[cfg(feature = "ssr")]
    let html = found.map(|p| render(p.source, crate::session::client_id().as_deref())).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let html = String::new();
    #[cfg(feature = "ssr")]
    if found.is_none()
        && let Some(r) = use_context::<leptos_axum::ResponseOptions>()
    {
        r.set_status(http::StatusCode::NOT_FOUND);
    }
    let title = found.map_or("Not found", |p| p.title);
    view! {
        <Title text=format!("{title} · Docs")/>
        <DocsLayout current=slug>
            {match found {
                Some(_) => view! { <article class="docs-page" inner_html=html></article> }.into_any(),
                None => view! {
                    <article class="docs-page state state-error" data-code="not_found">
                        <h1>"No such page"</h1>
                        <p><a href=crate::session::href("/docs")>"Back to the docs"</a></p>
                    </article>
                }.into_any(),
            }}
        </DocsLayout>
    }
}

/// The docs' frame: the sidebar (pages by group, the search) and the page.
/// `current` is the slug of the page shown (`api` for the API reference).
#[component]
pub fn DocsLayout(current: String, children: Children) -> impl IntoView {
    let link = |slug: &str| crate::session::href(&if slug.is_empty() { "/docs".to_string() } else { format!("/docs/{slug}") });
    let mut groups: Vec<(&str, Vec<&DocPage>)> = Vec::new();
    for p in PAGES {
        match groups.last_mut() {
            Some((g, pages)) if *g == p.group => pages.push(p),
            _ => groups.push((p.group, vec![p])),
        }
    }
    view! {
        <div class="docs-layout">
            <nav class="docs-sidebar" aria-label="Documentation">
                <a class="docs-home" href=link("")>"Tessera docs"</a>
                <form class="docs-search" role="search" action="/docs" method="get">
                    <label for="docs-q" class="visually-hidden">"Search the docs"</label>
                    <input id="docs-q" type="search" placeholder="Search the docs" autocomplete="off"/>
                    <ol id="docs-results" hidden></ol>
                </form>
                <details class="docs-menu" open>
                    <summary>"Contents"</summary>
                    {groups.into_iter().map(|(group, pages)| view! {
                        <h2 class="docs-group">{group}</h2>
                        <ul>
                            {pages.into_iter().map(|p| view! {
                                <li><a href=link(p.slug) aria-current=(p.slug == current).then_some("page")>{p.title}</a></li>
                            }).collect_view()}
                            {(group == "Launch").then(|| view! {
                                <li><a href=link("api") aria-current=(current == "api").then_some("page")>"API reference"</a></li>
                            })}
                        </ul>
                    }).collect_view()}
                </details>
            </nav>
            {children()}
        </div>
        <script nonce=leptos::nonce::use_nonce() inner_html=SEARCH_JS></script>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn links_to_pages_become_site_links() {
        assert_eq!(site_link("webview.md"), "/docs/webview");
        assert_eq!(site_link("docs/sso.md#encode-the-token"), "/docs/sso#encode-the-token");
        assert_eq!(site_link("index.md"), "/docs");
        assert_eq!(site_link("https://example.com/a.md"), "https://example.com/a.md");
        assert_eq!(anchor("Your backend: SSO, coins, the sandbox"), "your-backend-sso-coins-the-sandbox");
    }

    /// Every link inside the docs to a docs page (and its anchor) resolves.
    /// The anchors of `/docs/api`, as api_reference.rs makes them from the
    /// OpenAPI document: operationIds, `tag-…`, `schema-…`, `error-…`.
    fn api_anchors() -> std::collections::HashSet<String> {
        let doc: serde_json::Value = serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
        let mut out: std::collections::HashSet<String> = ["errors", "schemas"].map(String::from).into();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                out.insert(op["operationId"].as_str().unwrap().to_string());
            }
        }
        for t in doc["tags"].as_array().unwrap() {
            out.insert(format!("tag-{}", t["name"].as_str().unwrap()));
        }
        for name in doc["components"]["schemas"].as_object().unwrap().keys() {
            out.insert(format!("schema-{name}"));
        }
        for e in doc["x-error-codes"].as_array().unwrap() {
            out.insert(format!("error-{}", e["code"].as_str().unwrap()));
        }
        out
    }

    #[test]
    fn every_internal_link_resolves() {
        let api = api_anchors();
        let mut api_links = 0;
        let mut checked = 0;
        for p in PAGES {
            let html = render(p.source, None);
            for href in html.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
                let href = href.replace("&amp;", "&");
                let Some(path) = href.strip_prefix("/docs") else { continue };
                let (path, fragment) = path.split_once('#').map_or((path, None), |(a, b)| (a, Some(b)));
                if path == "/api" {
                    let f = fragment.unwrap_or_default();
                    assert!(f.is_empty() || api.contains(f), "{}: {href}: the API reference has no such anchor", p.title);
                    api_links += 1;
                    continue;
                }
                let target = page(path.trim_start_matches('/')).unwrap_or_else(|| panic!("{}: {href} is no page", p.title));
                if let Some(f) = fragment {
                    assert!(render(target.source, None).contains(&format!("id=\"{f}\"")), "{}: {href} has no such heading", p.title);
                }
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} internal links were found: the check is not looking");
        assert!(api_links >= 10, "only {api_links} links to the API reference: the guides should link its operations");
    }

    /// A code the platform can answer with but the troubleshooting page does
    /// not explain fails here.
    #[test]
    fn troubleshooting_explains_every_error_code() {
        let page = page("troubleshooting").unwrap().source;
        for code in tessera_core::codes::ErrorCode::ALL {
            let status = code.status();
            assert!(page.contains(&format!("| `{code}` | {status} |")), "troubleshooting.md does not explain {code} ({status})");
        }
    }

    #[test]
    fn the_search_index_has_every_page_and_section_text() {
        let index = search_index();
        for p in PAGES {
            assert!(index.iter().any(|s| s.page == p.title), "{} missing", p.title);
        }
        let sandbox = index.iter().find(|s| s.url == "/docs/sandbox#the-demo-partner").expect("the sandbox section");
        assert!(sandbox.text.contains("Test Brand"));
    }
}
