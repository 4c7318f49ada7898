//! The one error type every handler returns, answering with SPEC §9's shape:
//! `{"error": {"code": "snake_case", "message": "…", "details": {…}}}`.
//!
//! Client errors carry a stable code and a message for a person. Anything
//! unexpected is logged with its cause and answered as an opaque 500.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use std::borrow::Cow;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
    details: Value,
    /// Set only for server faults: logged, never sent.
    cause: Option<anyhow::Error>,
    /// Seconds for a `Retry-After` header (429, 503).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Self { status, code: code.into(), message: message.into(), details: json!({}), cause: None, retry_after: None }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A fault on our side. The cause goes to the log; the caller sees a 500.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on our side. It has been logged; please retry later.",
            )
        }
    }

    pub fn service_unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn details(&self) -> &Value {
        &self.details
    }

    /// Logs the cause of a server fault; client errors are the caller's business.
    pub fn report(&self) {
        if let Some(cause) = &self.cause {
            // `{:#}`: the cause chain on one line, without a backtrace.
            tracing::error!(error = %format!("{cause:#}"), code = %self.code, "request failed");
        }
    }

    /// The JSON body this error is sent as.
    pub fn body(&self) -> Value {
        json!({ "error": { "code": self.code, "message": self.message, "details": self.details } })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if is_transient(&e) {
            // Not the caller's fault and not a bug: the database is restarting,
            // unreachable or saturated for a moment. Retry is the right answer.
            tracing::warn!(error = %e, "database unavailable");
            return Self::service_unavailable("The database is unavailable for a moment; please retry shortly.").with_retry_after(1);
        }
        if is_unstorable_text(&e) {
            // The edges refuse NUL characters; this is the backstop.
            return Self::bad_request("bad_request", "The request carries text that cannot be stored (a NUL character).");
        }
        Self::internal(e)
    }
}

/// A database error that a retry can cure: the pool is exhausted or closed,
/// the connection broke, or the server is shutting down, starting up or
/// refusing connections (SQLSTATE class 08, 57P01–57P03, 53300; SQLite busy).
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => is_transient_code(&code),
            None => false,
        },
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs are five characters; SQLite's extended result
/// codes are decimal numbers of at most four digits.
fn is_transient_code(code: &str) -> bool {
    if code.len() == 5 {
        return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01");
    }
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
    code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    #[test]
    fn connection_faults_are_transient_and_bugs_are_not() {
        for code in ["08006", "08001", "57P01", "57P03", "53300", "40001", "5", "517", "6", "262"] {
            assert!(super::is_transient_code(code), "{code}");
        }
        for code in ["23505", "22021", "42P01", "2067", "19", "1", "57014"] {
            assert!(!super::is_transient_code(code), "{code}");
        }
    }
}

/// PostgreSQL refused a text value: NUL (`22021`) or a character its encoding lacks (`22P05`).
fn is_unstorable_text(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("22021" | "22P05")))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.report();
        let mut res = (self.status, Json(self.body())).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, s.into());
        }
        res
    }
}

impl ApiError {
    /// 422 with one message per invalid field: `details.fields.<name>`.
    pub fn validation(fields: Vec<(&str, String)>) -> Self {
        let map: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Some fields are not valid.")
            .with_details(json!({ "fields": map }))
    }

    pub fn unauthorized(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
}

/// Whether a database error is a unique-constraint violation (by kind, never by
/// the text of the message).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// The error body, for the API reference.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code; the full list is in this schema's enum.
    pub code: String,
    /// For people: what went wrong and what to do.
    pub message: String,
    /// Machine-readable facts, e.g. `fields` for `validation_failed`.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// The HTTP status of an error code of the [`CATALOGUE`].
pub fn status_of(code: &str) -> Option<u16> {
    CATALOGUE.iter().find(|(c, _, _)| *c == code).map(|(_, s, _)| *s)
}

/// Every error code the API answers with, its status and what it means. The
/// OpenAPI document and the troubleshooting docs are generated from this list.
pub const CATALOGUE: &[(&str, u16, &str)] = &[
    ("bad_request", 400, "The request could not be read."),
    ("invalid_json", 400, "The body is not valid JSON, or not the JSON this route takes."),
    ("signature_missing", 401, "X-Partner-Id or X-Signature is missing."),
    (
        "signature_invalid",
        401,
        "X-Signature is malformed or does not match the request; check the secret and that the body is signed byte for byte.",
    ),
    ("signature_expired", 401, "The signature's t is more than 300 s from the server's clock; check the signer's clock."),
    ("signature_replayed", 401, "This exact signature was already used; sign every request anew."),
    ("unknown_partner", 401, "No partner has this X-Partner-Id."),
    ("authentication_required", 401, "No Authorization: Bearer token was sent."),
    ("token_invalid", 401, "The token is malformed, signed with another key or algorithm, or its claims are out of bounds."),
    ("token_expired", 401, "The token's exp has passed (30 s leeway)."),
    ("token_unknown_issuer", 401, "The token's iss is not a partner id."),
    ("session_required", 401, "A webview screen that needs the user was opened without a session: open it with #token=… from the app."),
    ("sso_refused", 401, "The partner's SSO endpoint answered {\"userId\": null}: the token is not (or no longer) valid."),
    ("sso_failed", 502, "The partner's SSO endpoint answered another status, a body that is not {userId}, or nothing within 5 s."),
    ("sso_unavailable", 501, "The partner has no SSO endpoint (integration base URL) set up."),
    ("session_expired", 401, "The session ended (expired, replaced, logged out); open the webview with a new token."),
    ("operator_token_invalid", 401, "The admin API needs the operator token as a Bearer token."),
    ("admin_disabled", 403, "No operator token is configured: the admin API is off."),
    ("cross_site_request", 403, "A webview call came from another site's page; it must come from the webview itself."),
    ("insufficient_coins", 402, "The user's coin balance is below the voucher's cost."),
    (
        "not_found",
        404,
        "No such route or resource, or it belongs to another partner; for a user, also a voucher they may not see (a draft, another cohort's, an unlisted one without its code).",
    ),
    ("method_not_allowed", 405, "This route does not accept that method."),
    ("out_of_stock", 409, "Every unit of the voucher has been claimed."),
    ("limit_reached", 409, "The user has claimed this voucher as many times as allowed."),
    ("already_redeemed", 409, "The claim was already redeemed."),
    ("idempotency_in_progress", 409, "A request with this Idempotency-Key is still being handled; retry shortly."),
    ("conflict", 409, "The change conflicts with the current state."),
    ("endpoint_disabled", 409, "The webhook endpoint is disabled; enable it first."),
    ("voucher_expired", 410, "The voucher is no longer valid."),
    ("payload_too_large", 413, "The body is larger than 64 KiB."),
    ("unsupported_media_type", 415, "Send the body as application/json."),
    ("validation_failed", 422, "Some fields are invalid; details.fields says which."),
    ("idempotency_key_reused", 422, "This Idempotency-Key was used with a different request."),
    ("out_of_range", 422, "The user is farther from the outlet than its radius allows; details.distanceM says how far."),
    ("outlet_mismatch", 422, "The outlet belongs to another merchant than the voucher."),
    (
        "voucher_not_claimable",
        422,
        "The voucher is not valid yet (before its validFrom). A draft, or a voucher not visible to this user (cohorts, unlock code), is a 404 not_found instead: it does not reveal that a hidden voucher exists.",
    ),
    ("rate_limited", 429, "Too many requests; wait for Retry-After seconds."),
    ("internal_error", 500, "A fault on the server; it was logged."),
    (
        "coins_unavailable",
        501,
        "The voucher has a coin cost and its partner has no coins ledger set up (PUT /admin/partners/{id}/integration).",
    ),
    ("ledger_refused", 502, "The partner's coins ledger refused the debit (HTTP 401, 404, …): no coins were taken."),
    (
        "ledger_unavailable",
        503,
        "The partner's coins ledger did not complete the debit (timeout, 5xx, a reply that is not a debit); any coins taken are given back.",
    ),
    ("service_unavailable", 503, "The server is busy or the request took too long; retry."),
    ("not_ready", 503, "The database is not reachable."),
];
