//! Security headers on pages (SPEC §6): a Content-Security-Policy with a
//! per-response nonce, `frame-ancestors` limited to this origin and the
//! partner's allowed origins, and no Referer ever leaving a page (a URL could carry a token).
//!
//! Two halves: Leptos renders the page with a fresh nonce on every inline and
//! module script, and [`csp_for_page`] — called inside the render's context —
//! puts the same nonce in the header. [`frame_ancestors`] then knows the
//! partner (from `clientId`) and fills in who may frame the page.

use super::AppState;
use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use leptos::prelude::use_context;
use tessera_core::error::ErrorCode;

/// The policy for a page rendered with `nonce`; `frame-ancestors` is completed
/// by [`frame_ancestors`].
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data: https:; font-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )
}

/// Called in the Leptos render context of every page: sets the CSP header with
/// the nonce this response's scripts carry. Outside a page render (server
/// functions) there is no nonce and nothing to do.
pub fn csp_for_page() {
    if let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
        && let Ok(value) = HeaderValue::from_str(&policy(&nonce.to_string()))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Who may frame this page: this origin (the /demo page) and the allowed
/// origins of the partner whose page it is — the session's partner for a
/// signed-in user, else the partner named by `clientId`. A `clientId` that
/// names another partner than the session's is refused: nobody else may
/// frame the page (partner B's origins never frame partner A's user).
/// Native webviews are top-level and unaffected.
pub async fn frame_ancestors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let client = tessera_core::webview::client_id(req.uri().query());
    let looked_up = req.extensions().get::<super::webview::SessionLookup>().map(|s| s.0.as_ref().map(|o| o.partner_id.clone()));
    let session =
        req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(tessera_app::session::token_in).map(str::to_owned);
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let Some(csp) = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return response;
    };
    // Only pages carry a CSP: the session is looked up for them alone.
    let signed_in = match (looked_up, session) {
        (Some(found), _) => found,
        (None, Some(token)) => {
            let now = tessera_core::clock::now_ms();
            tessera_core::sessions::authenticate(&state.platform.db, &token, now).await.ok().map(|o| o.partner_id)
        }
        (None, None) => None,
    };
    let framer = match (signed_in, client) {
        (Some(session), Some(named)) if session != named => None,
        (Some(session), _) => Some(session),
        (None, named) => named,
    };
    let origins = match framer {
        Some(id) => {
            tessera_core::partners::find_recent(&state.platform, &id).await.ok().flatten().map(|p| p.allowed_origins()).unwrap_or_default()
        }
        None => Vec::new(),
    };
    if !origins.is_empty() {
        let sources = origins.join(" ");
        if let Ok(value) = HeaderValue::from_str(&csp.replace("frame-ancestors 'self'", &format!("frame-ancestors 'self' {sources}"))) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// Server functions (`/api/*`) act with the webview's session cookie, which a
/// framed webview needs as `SameSite=None` — so a page elsewhere could make a
/// browser send it. State-changing calls must come from the page itself: a
/// POST whose `Origin` names another host, or that the browser marks
/// `Sec-Fetch-Site: cross-site`, is refused (403 `cross_site_request`).
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    use axum::response::IntoResponse;
    let is_write = req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD;
    // The webview's server functions, and the console's forms and calls.
    if is_write
        && (req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/console/") || req.uri().path().starts_with("/portal"))
    {
        let headers = req.headers();
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(|o| {
            url::Url::parse(o)
                .ok()
                .map(|u| format!("{}{}", u.host_str().unwrap_or(""), u.port().map(|p| format!(":{p}")).unwrap_or_default()))
        });
        let fetch_site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
        // A form posted from a page with `Referrer-Policy: no-referrer` (ours)
        // says `Origin: null`: then only the browser's Sec-Fetch-Site vouches.
        let opaque = headers.get(header::ORIGIN).is_some_and(|v| v.as_bytes() == b"null");
        let cross_origin = if opaque {
            fetch_site != Some(b"same-origin".as_slice())
        } else {
            matches!(&origin_host, Some(found) if found.as_deref() != Some(host))
        };
        let cross_site = fetch_site == Some(b"cross-site".as_slice());
        if cross_origin || cross_site {
            return tessera_core::error::ApiError::new(ErrorCode::CrossSiteRequest, "This call must come from this server's own pages.")
                .into_response();
        }
    }
    next.run(req).await
}
