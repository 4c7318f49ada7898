//! `/docs`: the partner documentation, served by Tessera itself. The pages
//! are the Markdown files of `docs/` (compiled into the binary), rendered on
//! the server, with a sidebar and a search that runs in the page over an
//! index served at `/docs/search.json` (no external service).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// A page of the docs: its slug (`/docs/{slug}`), title and Markdown.
pub struct DocPage {
    pub slug: &'static str,
    pub title: &'static str,
    pub source: &'static str,
}

/// Every page, in sidebar order. `/docs/api` (the API reference) is its own route.
pub const PAGES: &[DocPage] = &[
    DocPage { slug: "", title: "Overview", source: include_str!("../../../docs/index.md") },
    DocPage { slug: "quickstart", title: "Quickstart", source: include_str!("../../../docs/quickstart.md") },
    DocPage { slug: "concepts", title: "Concepts", source: include_str!("../../../docs/concepts.md") },
    DocPage { slug: "webview", title: "The webview", source: include_str!("../../../docs/webview.md") },
    DocPage { slug: "webhooks", title: "Webhooks", source: include_str!("../../../docs/webhooks.md") },
    DocPage { slug: "integrations", title: "SSO and coins", source: include_str!("../../../docs/integrations.md") },
    DocPage { slug: "configuration", title: "Configuration", source: include_str!("../../../docs/configuration.md") },
    DocPage { slug: "going-live", title: "Going live", source: include_str!("../../../docs/going-live.md") },
    DocPage { slug: "troubleshooting", title: "Troubleshooting", source: include_str!("../../../docs/troubleshooting.md") },
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

/// A page's HTML: headings get ids, links to sibling pages point at the site.
#[cfg(feature = "ssr")]
pub fn render(source: &str) -> String {
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
                if let Some((at, text)) = heading.take() {
                    if let Event::Start(Tag::Heading { level, classes, attrs, .. }) = events[at].clone() {
                        events[at] = Event::Start(Tag::Heading { level, id: Some(anchor(&text).into()), classes, attrs });
                    }
                }
                events.push(event);
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                events.push(Event::Start(Tag::Link { link_type, dest_url: site_link(&dest_url).into(), title, id }));
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
                    current = Section { url: format!("{base}#{}", anchor(&heading_text)), page: p.title, heading: heading_text.clone(), text: String::new() };
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
    let html = found.map(|p| render(p.source)).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let html = String::new();
    #[cfg(feature = "ssr")]
    if found.is_none() {
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let title = found.map_or("Not found", |p| p.title);
    view! {
        <Title text=format!("{title} · Docs")/>
        <div class="docs-layout">
            <nav class="docs-sidebar" aria-label="Documentation">
                <a class="docs-home" href="/docs">"Tessera docs"</a>
                <form class="docs-search" role="search" action="/docs" method="get">
                    <label for="docs-q" class="visually-hidden">"Search the docs"</label>
                    <input id="docs-q" type="search" placeholder="Search the docs" autocomplete="off"/>
                    <ol id="docs-results" hidden></ol>
                </form>
                <ul>
                    {PAGES.iter().map(|p| {
                        let href = if p.slug.is_empty() { "/docs".to_string() } else { format!("/docs/{}", p.slug) };
                        view! { <li><a href=href aria-current=(p.slug == slug).then_some("page")>{p.title}</a></li> }
                    }).collect_view()}
                    <li><a href="/docs/api">"API reference"</a></li>
                </ul>
            </nav>
            {match found {
                Some(_) => view! { <article class="docs-page" inner_html=html></article> }.into_any(),
                None => view! {
                    <article class="docs-page state state-error" data-code="not_found">
                        <h1>"No such page"</h1>
                        <p><a href="/docs">"Back to the docs"</a></p>
                    </article>
                }.into_any(),
            }}
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
        assert_eq!(site_link("docs/integrations.md#the-sandbox"), "/docs/integrations#the-sandbox");
        assert_eq!(site_link("index.md"), "/docs");
        assert_eq!(site_link("https://example.com/a.md"), "https://example.com/a.md");
        assert_eq!(anchor("Your backend: SSO, coins, the sandbox"), "your-backend-sso-coins-the-sandbox");
    }

    /// Every link inside the docs to a docs page (and its anchor) resolves.
    #[test]
    fn every_internal_link_resolves() {
        let mut checked = 0;
        for p in PAGES {
            let html = render(p.source);
            for href in html.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
                let href = href.replace("&amp;", "&");
                let Some(path) = href.strip_prefix("/docs") else { continue };
                let (path, fragment) = path.split_once('#').map_or((path, None), |(a, b)| (a, Some(b)));
                if path == "/api" {
                    continue; // its own route (tested with the OpenAPI document)
                }
                let target = page(path.trim_start_matches('/')).unwrap_or_else(|| panic!("{}: {href} is no page", p.title));
                if let Some(f) = fragment {
                    assert!(render(target.source).contains(&format!("id=\"{f}\"")), "{}: {href} has no such heading", p.title);
                }
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} internal links were found: the check is not looking");
    }

    /// A code the platform can answer with but the troubleshooting page does
    /// not explain fails here.
    #[test]
    fn troubleshooting_explains_every_error_code() {
        let page = page("troubleshooting").unwrap().source;
        for (code, status, _) in tessera_core::error::CATALOGUE {
            assert!(page.contains(&format!("| `{code}` | {status} |")), "troubleshooting.md does not explain {code} ({status})");
        }
    }

    #[test]
    fn the_search_index_has_every_page_and_section_text() {
        let index = search_index();
        for p in PAGES {
            assert!(index.iter().any(|s| s.page == p.title), "{} missing", p.title);
        }
        let sandbox = index.iter().find(|s| s.url == "/docs/integrations#the-sandbox").expect("the sandbox section");
        assert!(sandbox.text.contains("Test Brand"));
    }
}
