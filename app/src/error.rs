//! The error server functions return to the UI: a stable code and a message
//! a person can read. Faults on the server are logged there, not shipped here.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use tessera_core::codes::ErrorCode;

/// On the wire it has the platform's one error shape (SPEC §9):
/// `{"error": {"code": "…", "message": "…", "details": {}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "Wire", from = "Wire")]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into() }
    }
}

#[derive(Serialize, Deserialize)]
struct Wire {
    error: WireError,
}

#[derive(Serialize, Deserialize)]
struct WireError {
    code: String,
    message: String,
    /// Always an object, as in every other error; a screen shows the message alone.
    #[serde(default)]
    details: serde_json::Map<String, serde_json::Value>,
}

impl From<AppError> for Wire {
    fn from(e: AppError) -> Self {
        Wire { error: WireError { code: e.code.as_str().to_string(), message: e.message, details: Default::default() } }
    }
}

impl From<Wire> for AppError {
    fn from(w: Wire) -> Self {
        // A code this build does not know (a newer server) still fails visibly.
        AppError { code: ErrorCode::parse(&w.error.code).unwrap_or(ErrorCode::RequestFailed), message: w.error.message }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let code = match &value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => ErrorCode::NetworkError,
            // The caller sent arguments the function cannot read: a 400, not a fault.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => ErrorCode::BadRequest,
            // On the server, what fails to deserialize is the caller's request (a
            // body that is not UTF-8); in the browser it is the server's answer.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => ErrorCode::BadRequest,
            _ => ErrorCode::RequestFailed,
        };
        AppError::new(code, value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<tessera_core::error::ApiError> for AppError {
    fn from(e: tessera_core::error::ApiError) -> Self {
        e.report();
        // A screen shows one message: name the invalid fields in it.
        let fields = e
            .details()
            .get("fields")
            .and_then(|f| f.as_object())
            .map(|f| f.iter().map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join("; "));
        let message = match fields {
            Some(fields) if !fields.is_empty() => format!("{} {fields}.", e.message()),
            // In the user's language when the catalog words this code.
            _ => crate::i18n::error_message(e.code()).unwrap_or_else(|| e.message().to_string()),
        };
        AppError::new(e.code(), message)
    }
}

/// The platform the server function runs against; provided by the server.
#[cfg(feature = "ssr")]
pub fn platform() -> Result<tessera_core::Platform, AppError> {
    leptos::prelude::use_context::<tessera_core::Platform>()
        .ok_or_else(|| AppError::new(ErrorCode::InternalError, "The platform is not available to this request."))
}
