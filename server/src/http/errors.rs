//! JSON errors at the edge: whatever answers an API path with an error (a missing
//! route, a wrong method, an oversized body, a timeout) answers in SPEC §9's shape.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tessera_core::error::ApiError;
use tessera_core::error::ErrorCode;

/// Path prefixes whose callers are programs, which get JSON, never HTML.
pub const API_PREFIXES: &[&str] = &["/api", "/integrations", "/me", "/admin"];

/// Program-facing too, but without a catch-all 404 route of their own: the
/// sandbox's fake partner backend (`/sandbox/{partner}/…`).
const JSON_PREFIXES: &[&str] = &["/sandbox"];

/// Single program-facing paths outside those prefixes (a wrong method on them is a JSON 405).
const JSON_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics", "/openapi.json", "/consumer/session", "/demo/webhooks"];

pub(crate) fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().chain(JSON_PREFIXES).any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
        || JSON_PATHS.contains(&path)
}

pub async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("There is no {method} {} route.", uri.path()))
        .with_details(serde_json::json!({ "method": method.as_str(), "path": uri.path() }))
}

fn message_for(status: StatusCode, original: &str, limit: usize) -> String {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!("The request body is larger than the {limit} bytes allowed."),
        StatusCode::SERVICE_UNAVAILABLE => "The request took too long; please retry.".into(),
        StatusCode::METHOD_NOT_ALLOWED => "This route does not accept that method.".into(),
        s if s.is_server_error() => "Something went wrong on our side.".into(),
        // axum's rejections explain themselves ("missing field `x` …"): keep that.
        _ if !original.trim().is_empty() => original.trim().to_string(),
        s => s.canonical_reason().unwrap_or("Request failed").to_string(),
    }
}

/// Rewrites non-JSON error responses on API paths into the JSON error shape.
pub async fn json_errors_on_api_paths(axum::extract::State(limit): axum::extract::State<BodyLimit>, req: Request, next: Next) -> Response {
    let api = is_api_path(req.uri().path());
    let response = next.run(req).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("application/json"));
    if !api || !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let original = to_bytes(body, 4096).await.unwrap_or_default();
    let original = String::from_utf8_lossy(&original);
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), body = %original, "server error on an API path");
    }
    let error = ApiError::new(ErrorCode::for_status(status.as_u16()), message_for(status, &original, limit.0));
    let body = serde_json::to_vec(&error.body()).unwrap_or_default();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut out = Response::from_parts(parts, Body::from(body));
    *out.status_mut() = status;
    out.into_response()
}

/// Leptos answers every server function error (`/api/*`) with 500. Ours carry
/// a code: the response gets that code's status instead (a claim of a voucher
/// out of stock is a 409, not a server fault). The body is left as it is.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let status = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|e| e["error"]["code"].as_str().and_then(ErrorCode::parse).map(ErrorCode::status))
        .and_then(|s| StatusCode::from_u16(s).ok());
    if let Some(status) = status {
        parts.status = status;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// The configured body limit, for error messages.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);
