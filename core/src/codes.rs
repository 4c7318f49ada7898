//! The closed set of error codes (SPEC §9): each with its HTTP status and what
//! it means. Every error the platform answers with carries one; the OpenAPI
//! document and the troubleshooting page list [`ErrorCode::ALL`]. Compiled for
//! the browser too, so the webview's islands speak the same codes.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, $description:literal;)*) => {
        /// A stable, snake_case error code. Serialised as its code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the catalogue's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as sent: `not_found`.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status an error with this code is answered with.
            pub const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// What it means, for the API reference.
            pub const fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $description,)* }
            }
        }
    };
}

error_codes! {
    BadRequest = "bad_request", 400, "The request could not be read.";
    InvalidJson = "invalid_json", 400, "The body is not valid JSON, or not the JSON this route takes.";
    SignatureMissing = "signature_missing", 401, "X-Partner-Id or X-Signature is missing.";
    SignatureInvalid = "signature_invalid", 401, "X-Signature is malformed or does not match the request; check the secret and that the body is signed byte for byte.";
    SignatureExpired = "signature_expired", 401, "The signature's t is more than 300 s from the server's clock; check the signer's clock.";
    SignatureReplayed = "signature_replayed", 401, "This exact signature was already used; sign every request anew.";
    UnknownPartner = "unknown_partner", 401, "No partner has this X-Partner-Id.";
    AuthenticationRequired = "authentication_required", 401, "No Authorization: Bearer token was sent.";
    TokenInvalid = "token_invalid", 401, "The token is malformed, signed with another key or algorithm, or its claims are out of bounds.";
    TokenExpired = "token_expired", 401, "The token's exp has passed (30 s leeway).";
    TokenUnknownIssuer = "token_unknown_issuer", 401, "The token's iss is not a partner id.";
    SessionRequired = "session_required", 401, "A webview screen that needs the user was opened without a session: open it with #token=… from the app.";
    SsoRefused = "sso_refused", 401, "The partner's SSO endpoint answered {\"userId\": null}: the token is not (or no longer) valid.";
    SsoFailed = "sso_failed", 502, "The partner's SSO endpoint answered another status, a body that is not {userId}, or nothing within the partner-backend timeout (5 s by default).";
    SsoUnavailable = "sso_unavailable", 501, "The partner has no SSO endpoint (integration base URL) set up.";
    SessionExpired = "session_expired", 401, "The session ended (expired, replaced, logged out); open the webview with a new token.";
    OperatorTokenInvalid = "operator_token_invalid", 401, "The admin API needs the operator token as a Bearer token.";
    AdminDisabled = "admin_disabled", 403, "No operator token is configured: the admin API is off.";
    CrossSiteRequest = "cross_site_request", 403, "A webview call came from another site's page; it must come from the webview itself.";
    SignInFailed = "sign_in_failed", 401, "The email and password of a console or portal account do not match (the same answer for an unknown email).";
    AccountLocked = "account_locked", 403, "A console or portal account locked after too many failed sign-ins: an operator unlocks it.";
    InsufficientCoins = "insufficient_coins", 402, "The user's coin balance is below the voucher's cost.";
    NotFound = "not_found", 404, "No such route or resource, or it belongs to another partner; for a user, also a voucher they may not see (a draft, another cohort's, an unlisted one without its code).";
    MethodNotAllowed = "method_not_allowed", 405, "This route does not accept that method.";
    OutOfStock = "out_of_stock", 409, "Every unit of the voucher has been claimed.";
    LimitReached = "limit_reached", 409, "The user has claimed this voucher as many times as allowed.";
    AlreadyRedeemed = "already_redeemed", 409, "The claim was already redeemed.";
    IdempotencyInProgress = "idempotency_in_progress", 409, "A request with this Idempotency-Key is still being handled; retry shortly.";
    Conflict = "conflict", 409, "The change conflicts with the current state.";
    OrderNotPayable = "order_not_payable", 409, "The order is not waiting for a payment any more (paid, failed or finished): open it to see its state.";
    EndpointDisabled = "endpoint_disabled", 409, "The webhook endpoint is disabled; enable it first.";
    VoucherExpired = "voucher_expired", 410, "The voucher is no longer valid.";
    PayloadTooLarge = "payload_too_large", 413, "The body is larger than 64 KiB.";
    UnsupportedMediaType = "unsupported_media_type", 415, "Send the body as application/json.";
    ValidationFailed = "validation_failed", 422, "Some fields are invalid; details.fields says which.";
    IdempotencyKeyReused = "idempotency_key_reused", 422, "This Idempotency-Key was used with a different request.";
    OutOfRange = "out_of_range", 422, "The user is farther from the outlet than its radius allows; details.distanceM says how far.";
    OutletMismatch = "outlet_mismatch", 422, "The outlet belongs to another merchant than the voucher.";
    VoucherNotClaimable = "voucher_not_claimable", 422, "The voucher is not valid yet (before its validFrom), or it is a gift card with a price (bought through POST /me/orders, not claimed). A draft, or a voucher not visible to this user (cohorts, unlock code), is a 404 not_found instead: it does not reveal that a hidden voucher exists.";
    RateLimited = "rate_limited", 429, "Too many requests; wait for Retry-After seconds.";
    InternalError = "internal_error", 500, "A fault on the server; it was logged.";
    PaymentsUnavailable = "payments_unavailable", 501, "The partner has no payment provider set up: only sandbox partners pay through the built-in sandbox.";
    CoinsUnavailable = "coins_unavailable", 501, "The voucher has a coin cost and its partner has no coins ledger set up (PUT /admin/partners/{id}/integration).";
    LedgerRefused = "ledger_refused", 502, "The partner's coins ledger refused the debit (HTTP 401, 404, …): no coins were taken.";
    LedgerUnavailable = "ledger_unavailable", 503, "The partner's coins ledger did not complete the debit (timeout, 5xx, a reply that is not a debit); any coins taken are given back.";
    ServiceUnavailable = "service_unavailable", 503, "The server is busy or the request took too long; retry.";
    NotReady = "not_ready", 503, "The database is not reachable.";
    Unauthorized = "unauthorized", 401, "Authentication failed in a way no more specific code describes.";
    Forbidden = "forbidden", 403, "This request is not allowed.";
    NotAcceptable = "not_acceptable", 406, "The route cannot answer in a format the Accept header allows.";
    RequestTimeout = "request_timeout", 408, "The request was not received in time.";
    RequestFailed = "request_failed", 400, "The request failed with a status no more specific code describes.";
    NetworkError = "network_error", 503, "Raised in the webview, never sent by the server: Tessera could not be reached (no connection, or the answer did not arrive).";
}

impl ErrorCode {
    /// The code named `code`, if it is one.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// The code for an answer that carries only a status (an edge rejection):
    /// the most specific code of that status.
    pub fn for_status(status: u16) -> ErrorCode {
        match status {
            400 => ErrorCode::BadRequest,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            406 => ErrorCode::NotAcceptable,
            408 => ErrorCode::RequestTimeout,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::ValidationFailed,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::ServiceUnavailable,
            s if s >= 500 => ErrorCode::InternalError,
            _ => ErrorCode::RequestFailed,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(code.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::String(code.as_str().into()));
            assert!((400..600).contains(&code.status()), "{code}: {}", code.status());
            assert!(!code.description().is_empty());
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }

    #[test]
    fn an_edge_status_gets_a_code_of_that_status() {
        for status in [400, 401, 403, 404, 405, 406, 408, 413, 415, 422, 429, 503, 500] {
            assert_eq!(ErrorCode::for_status(status).status(), status, "{status}");
        }
        assert_eq!(ErrorCode::for_status(418), ErrorCode::RequestFailed);
    }
}
