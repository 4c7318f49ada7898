//! The HTTP surface: one axum router holding the API routes, the Leptos pages and
//! server functions, and the layers every request passes through.

mod admin;
mod console;
mod consumer;
pub mod demo;
mod errors;
mod extract;
mod health;
mod images;
mod limits;
pub mod openapi;
mod orders;
mod partner;
mod plain_page;
mod sandbox;
mod security;
mod webhooks;
pub mod webview;

use axum::{
    Router,
    extract::{FromRef, MatchedPath, State},
    http::{HeaderName, Request, StatusCode},
    middleware,
    response::Response,
    routing::{any, get},
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tessera_app::{App, shell};
use tessera_core::Platform;
use tower::ServiceBuilder;
use tower_http::{
    LatencyUnit,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

pub use errors::API_PREFIXES;

/// What handlers and server functions reach: Leptos' options and the platform.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub platform: Platform,
    pub limits: Arc<limits::Limiters>,
    pub demo: Arc<demo::DemoState>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn leptos_options(platform: &Platform) -> LeptosOptions {
    let config = &platform.config;
    let hashes = site_hashes(&config.site_root);
    LeptosOptions::builder()
        .output_name(Arc::<str>::from("tessera"))
        .site_root(Arc::<str>::from(config.site_root.to_string_lossy().as_ref()))
        .site_pkg_dir(Arc::<str>::from("pkg"))
        .site_addr(config.listen)
        // Leptos joins this to the executable's folder; an absolute path stays itself.
        .hash_files(hashes.is_some())
        .hash_file(Arc::<str>::from(config.site_root.join("pkg/hash.txt").to_string_lossy().as_ref()))
        .build()
}

/// The fingerprints `scripts/lib.sh` gave the bundle's files (`pkg/hash.txt`:
/// `js: …`, `wasm: …`, `css: …`); `None` for a site built without them.
fn site_hashes(site_root: &std::path::Path) -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(site_root.join("pkg/hash.txt")).ok()?;
    let pairs: Vec<(String, String)> =
        text.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    (!pairs.is_empty()).then_some(pairs)
}

/// Where the pages find the bundle's files.
fn site_files(site_root: &std::path::Path) -> tessera_app::SiteFiles {
    let Some(hashes) = site_hashes(site_root) else { return Default::default() };
    let path = |kind: &str, unhashed: String| {
        hashes.iter().find(|(k, _)| k == kind).map_or(unhashed, |(_, hash)| format!("/pkg/tessera.{hash}.{kind}"))
    };
    let plain = tessera_app::SiteFiles::default();
    tessera_app::SiteFiles { css: path("css", plain.css), js: path("js", plain.js), wasm: path("wasm", plain.wasm) }
}

/// `/pkg/*`, the bundle: served from the `.br`/`.gz` files compressed at build
/// time (never per request), and — their names carrying a hash of their
/// content — cached for a year. A name without a fingerprint (a hand-made
/// site) is revalidated each time instead, or a phone would run last week's
/// bundle against this week's server.
fn site_pkg(site_root: &std::path::Path) -> Router {
    let files = tower_http::services::ServeDir::new(site_root.join("pkg")).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(files).layer(middleware::from_fn(cache_site_files))
}

async fn cache_site_files(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    let fingerprinted = fingerprinted(req.uri().path());
    let mut response = next.run(req).await;
    if response.status().is_success() {
        let policy = if fingerprinted { "public, max-age=31536000, immutable" } else { "no-cache" };
        response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static(policy));
    }
    response
}

/// Every page's `Link` header: the bundle's files, so a browser starts fetching
/// them as the response's headers arrive rather than once it has tokenised
/// `<head>` (on a phone at 4× CPU that was ~120 ms later: README "Budgets").
/// `<head>` names the same files; the browser uses the one preload. `None`
/// for a site built without fingerprints (nothing worth preloading by name).
fn bundle_links(site: &tessera_app::SiteFiles) -> Option<axum::http::HeaderValue> {
    if ![&site.wasm, &site.js, &site.css].iter().all(|path| fingerprinted(path)) {
        return None;
    }
    let links = format!(
        "<{}>; rel=preload; as=fetch; type=\"application/wasm\"; crossorigin, <{}>; rel=modulepreload; crossorigin, \
         <{}>; rel=preload; as=style",
        site.wasm, site.js, site.css
    );
    axum::http::HeaderValue::from_str(&links).ok()
}

async fn link_bundle(
    State(links): State<Option<axum::http::HeaderValue>>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(req).await;
    // The webview's pages only (their policy lets the bundle's scripts run): the
    // console's and the payment pages' load none of it, and would be told so
    // by the browser for every preload refused.
    let leptos_page = response
        .headers()
        .get(axum::http::header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("'strict-dynamic'"));
    if let (Some(links), true) = (links, leptos_page) {
        response.headers_mut().append(axum::http::header::LINK, links);
    }
    response
}

/// `tessera.0123456789abcdef.wasm`: a name with a 16-hex-digit content hash.
fn fingerprinted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3 && parts[1].len() == 16 && parts[1].bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn router(platform: Platform, demo: Arc<demo::DemoState>) -> Router {
    let config = platform.config.clone();
    let limiters = Arc::new(limits::Limiters::new(config.rate_limits));
    {
        let limiters = limiters.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiters.forget_idle();
            }
        });
    }
    let state = AppState { leptos_options: leptos_options(&platform), platform: platform.clone(), limits: limiters, demo };
    let reference = tessera_core::ApiReference(Arc::new(openapi::spec()));
    let site = site_files(&config.site_root);
    let site_links = site.clone();
    let provide_platform = {
        let platform = platform.clone();
        let reference = reference.clone();
        move || {
            provide_context(platform.clone());
            provide_context(reference.clone());
            provide_context(site.clone());
            tessera_app::i18n::provide_prefs();
            security::csp_for_page();
        }
    };

    let (partner_routes, _) = partner::routes().split_for_parts();
    let spec = Arc::new(reference.0.to_string());
    let mut api =
        Router::new()
            .merge(health::routes())
            .merge(partner_routes.route_layer(middleware::from_fn_with_state(state.clone(), partner::authenticate)))
            .merge(consumer::routes())
            .merge(admin::routes())
            .merge(webview::routes())
            .merge(demo::routes())
            .merge(sandbox::routes())
            .merge(orders::pay_routes())
            .merge(console::routes())
            .merge(images::routes())
            .route(
                "/metrics",
                get(|State(s): State<AppState>| async move {
                    s.platform.metrics.render(&s.platform.db).await.map(|text| {
                        ([(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
                    })
                }),
            )
            .route(
                "/docs/search.json",
                get({
                    let index = Arc::new(serde_json::to_string(&tessera_app::pages::docs::search_index()).unwrap_or_else(|_| "[]".into()));
                    move || {
                        let index = index.clone();
                        async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], index.as_str().to_owned()) }
                    }
                }),
            )
            .route(
                "/openapi.json",
                get(move || {
                    let spec = spec.clone();
                    async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], spec.as_str().to_owned()) }
                }),
            );
    // Anything under an API prefix that no route claims is a JSON 404, never the
    // HTML page a browser would get.
    for prefix in API_PREFIXES {
        api = api.route(&format!("{prefix}/{{*rest}}"), any(errors::no_route));
        // `/me` itself is a route (the user); the other bare prefixes are not.
        if *prefix != "/me" {
            api = api.route(prefix, any(errors::no_route));
        }
    }

    let routes = generate_route_list(App);
    api.nest_service("/pkg", site_pkg(&config.site_root))
        .leptos_routes_with_context(&state, routes, provide_platform.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_platform, shell))
        .layer(middleware::from_fn_with_state(bundle_links(&site_links), link_bundle))
        .layer(middleware::from_fn_with_state(state.clone(), webview::sso_boot))
        .layer(middleware::from_fn_with_state(state.clone(), security::frame_ancestors))
        // Outside frame_ancestors: it looks the session up once for both (SessionLookup).
        .layer(middleware::from_fn_with_state(state.clone(), webview::prefs))
        .layer(middleware::from_fn(security::same_origin_writes))
        .layer(middleware::from_fn(errors::server_fn_status))
        .layer(middleware::from_fn(extract::refuse_nul))
        // Inner to outer: the body limit and the timeout answer first, the JSON
        // error mapping sees their answers, tracing and request ids wrap it all.
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        // After the general body limit: an image upload has a limit of its own.
        .merge(images::upload_routes().split_for_parts().0)
        .merge(console::upload_routes())
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, config.request_timeout))
        .layer(middleware::from_fn_with_state(errors::BodyLimit(config.body_limit_bytes), errors::json_errors_on_api_paths))
        // Pages and API answers, compressed as the client asks (the bundle comes
        // precompressed: a response that has an encoding is left as it is).
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true).quality(tower_http::CompressionLevel::Precise(3)))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request<_>| {
                            let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                            // The path only: query strings may carry tokens. Whose
                            // request it is, once authenticated (`metrics::record_caller`).
                            tracing::info_span!(
                                "request",
                                method = %req.method(),
                                path = %req.uri().path(),
                                route = route_of(req),
                                request_id = %request_id,
                                partner_id = tracing::field::Empty,
                                user_id = tracing::field::Empty,
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis)),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
        .layer(middleware::from_fn_with_state(platform.metrics.clone(), count_requests))
        .layer(middleware::from_fn(extract::close_after_unread_body))
        .with_state(state)
}

/// The route template a request matched (`/me/claims/{id}`), never the
/// concrete path; `unmatched` for what no route claims.
fn route_of<B>(req: &Request<B>) -> &str {
    req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str)
}

/// Counts and times every answered request by route template, method and status.
async fn count_requests(
    State(metrics): State<Arc<tessera_core::metrics::Metrics>>,
    req: Request<axum::body::Body>,
    next: middleware::Next,
) -> Response {
    let route = route_of(&req).to_owned();
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    metrics.http(&route, method.as_str(), res.status().as_u16(), started.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_content_hashed_names_are_immutable() {
        assert!(super::fingerprinted("/pkg/tessera.0123456789abcdef.wasm"));
        assert!(!super::fingerprinted("/pkg/tessera.wasm"));
        assert!(!super::fingerprinted("/pkg/tessera_bg.wasm"));
        assert!(!super::fingerprinted("/pkg/tessera.0123456789abcdeg.js"));
        assert!(!super::fingerprinted("/pkg/hash.txt"));
    }
}
