//! Extractors: JSON bodies and query strings that fail with SPEC §9 errors,
//! and the three identities — consumer, operator (partner is a middleware,
//! because its signature covers the raw body).

use super::AppState;
use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use tessera_core::error::ErrorCode;
use tessera_core::{claims::Holder, clock::now_ms, error::ApiError, sessions, tokens};

/// A JSON body; malformed or mistyped JSON is a 400 `invalid_json` naming the problem.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::new(ErrorCode::UnsupportedMediaType, "Send the body as JSON with Content-Type: application/json."))
            }
            Err(JsonRejection::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large."))
            }
            Err(e) => Err(ApiError::new(ErrorCode::InvalidJson, e.body_text())),
        }
    }
}

/// A query string; a bad parameter is a 422 `validation_failed`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::validation(vec![("query", e.body_text())]))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The end user behind a `/me/*` call: a partner JWT (the user is created on
/// first sight) or a platform session token, as `Authorization: Bearer`.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// The partner, the user and the partner's id for them.
    pub holder: Holder,
    /// Set when the caller authenticated with a JWT (which can open a session).
    pub via_jwt: bool,
}

impl FromRequestParts<AppState> for Consumer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::new(ErrorCode::AuthenticationRequired, "Send Authorization: Bearer <partner JWT or session token>.")
        })?;
        let db = &state.platform.db;
        let via_jwt = !token.starts_with(sessions::TOKEN_PREFIX);
        let holder = if via_jwt {
            tokens::holder(&state.platform, token, now_ms() / 1000).await?
        } else {
            sessions::holder(db, token, now_ms()).await?
        };
        state.limits.user(&holder.user_id)?;
        Ok(Consumer { holder, via_jwt })
    }
}

/// The operator, by the configured bearer token.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = &state.platform.config.operator_token else {
            return Err(ApiError::new(ErrorCode::AdminDisabled, "The admin API is off: set TESSERA_OPERATOR_TOKEN to turn it on."));
        };
        match bearer(parts) {
            Some(t) if expected.matches(t) => Ok(Operator),
            _ => Err(ApiError::new(ErrorCode::OperatorTokenInvalid, "Send the operator token as Authorization: Bearer <token>.")),
        }
    }
}

/// Refuses a NUL character anywhere a request carries text — the path, the
/// query, a JSON or form body — with 400 `bad_request`, before any of it
/// reaches the database. PostgreSQL cannot store NUL in text (SQLite can),
/// so without this the same input was a 500 on one engine and stored on the
/// other. Bodies are already bounded by the body limit outside this layer.
pub async fn refuse_nul(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let refused = || {
        ApiError::new(ErrorCode::BadRequest, "The request contains a NUL character (%00 or \\u0000), which no field accepts.")
            .into_response()
    };
    let uri = req.uri();
    if contains_percent_nul(uri.path()) || uri.query().is_some_and(contains_percent_nul) {
        return refused();
    }
    let textual = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|ct| ct.ends_with("json") || ct == "application/x-www-form-urlencoded" || ct.starts_with("text/"));
    if !textual {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        // Too large (the limit outside) or the client went away: answered as before.
        Err(e) => {
            return ApiError::new(ErrorCode::PayloadTooLarge, format!("The request body could not be read: {e}.")).into_response();
        }
    };
    if bytes.contains(&0) || contains_percent_nul_bytes(&bytes) || contains_json_nul(&bytes) {
        return refused();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

fn contains_percent_nul(s: &str) -> bool {
    contains_percent_nul_bytes(s.as_bytes())
}

fn contains_percent_nul_bytes(b: &[u8]) -> bool {
    b.windows(3).any(|w| w == b"%00")
}

/// `\u0000` as a JSON escape (an odd run of backslashes before the `u`), not
/// the escaped text `\\u0000`.
fn contains_json_nul(b: &[u8]) -> bool {
    b.windows(5).enumerate().any(|(i, w)| {
        w == b"u0000" && {
            let backslashes = b[..i].iter().rev().take_while(|&&c| c == b'\\').count();
            backslashes % 2 == 1
        }
    })
}

/// An answer given before the request's body was read to its end — a refused
/// token on an upload, a body over the limit — says `Connection: close`. The
/// server does not read a body nobody wants (hyper drains what has already
/// arrived and otherwise closes the connection once it has answered); without
/// the header the client puts the connection back in its pool, and its next
/// request can go out on a socket that is closing ("connection closed before
/// message completed"). Bodiless requests pass untouched.
pub async fn close_after_unread_body(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use hyper::body::Body as _;
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let read = Arc::new(AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(ReadToEnd { inner: body, read: read.clone() });
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if !read.load(Ordering::Acquire) {
        res.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    }
    res
}

/// A request body that records whether it was read to its end.
struct ReadToEnd {
    inner: axum::body::Body,
    read: Arc<AtomicBool>,
}

impl hyper::body::Body for ReadToEnd {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let frame = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(frame, std::task::Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.store(true, Ordering::Release);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nul_in_every_spelling_and_nothing_else() {
        assert!(contains_percent_nul("/consumer/vouchers/a%00b"));
        assert!(contains_json_nul(br#"{"name":"a\u0000"}"#));
        assert!(contains_json_nul(br#"{"name":"\\\u0000"}"#));
        assert!(!contains_json_nul(br#"{"name":"\\u0000"}"#), "an escaped backslash then text");
        assert!(!contains_json_nul(br#"{"name":"u0000"}"#));
        assert!(!contains_percent_nul("/x?q=%2500"), "an encoded percent sign then 00");
    }
}
