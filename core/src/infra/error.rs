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

pub use crate::codes::ErrorCode;

#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    details: Value,
    /// Set only for server faults: logged, never sent.
    cause: Option<anyhow::Error>,
    /// Seconds for a `Retry-After` header (429, 503).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `code`, answered with the code's status.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into(), details: json!({}), cause: None, retry_after: None }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// A fault on our side. The cause goes to the log; the caller sees a 500.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(ErrorCode::InternalError, "Something went wrong on our side. It has been logged; please retry later.")
        }
    }

    pub fn service_unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, message)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn details(&self) -> &Value {
        &self.details
    }

    /// Seconds for the `Retry-After` header, when a retry is the cure.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
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
        write!(f, "{} {}: {}", self.code.status(), self.code, self.message)
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
            return Self::new(ErrorCode::BadRequest, "The request carries text that cannot be stored (a NUL character).");
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
        let mut res = (self.status(), Json(self.body())).into_response();
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
        Self::new(ErrorCode::ValidationFailed, "Some fields are not valid.").with_details(json!({ "fields": map }))
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
