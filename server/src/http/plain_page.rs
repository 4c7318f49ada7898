//! Small server-rendered pages that are not the webview: the payment
//! providers' pages and the console's sign-in. Their style by nonce, nothing
//! else loaded, forms posted to this server only, never cached.

use axum::{
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use tessera_core::error::ApiError;

/// Text as HTML character data or an attribute value.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A page framed only where the webview may be (`frame-ancestors` is
/// completed with the partner's origins).
pub fn page(title: &str, body: &str) -> Result<Response, ApiError> {
    page_with(title, body, "")
}

/// [`page`], with more sources (`{nonce}` in `body` and `sources` is the page's nonce).
pub fn page_with(title: &str, body: &str, sources: &str) -> Result<Response, ApiError> {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let body = body.replace("{nonce}", &nonce);
    let sources = sources.replace("{nonce}", &nonce);
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style nonce={nonce}>:root{{color-scheme:light dark}}body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}}\
         @media (prefers-color-scheme:dark){{body{{color:#f3f4f6;background:#0b1220}}a{{color:#93b4ff}}}}\
         .amount{{font-size:2rem;font-weight:600}}button{{font:inherit;padding:.75rem 1.5rem;border-radius:.5rem;border:0;background:#1f4fd1;color:#fff}}\
         fieldset{{border:1px solid #ccc;border-radius:.5rem;margin:1rem 0}}\
         input[type=email],input[type=password]{{font:inherit;width:100%;max-width:22rem;padding:.5rem .625rem;border:1px solid #767676;border-radius:.375rem}}\
         .error{{color:#b91c1c;font-weight:600}}@media (prefers-color-scheme:dark){{.error{{color:#fca5a5}}}}</style></head><body>{body}</body></html>"
    );
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; object-src 'none'; frame-ancestors 'self'; {}",
        if sources.contains("form-action") { sources.clone() } else { format!("form-action 'self'; {sources}") }
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
