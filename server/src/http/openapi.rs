//! The OpenAPI 3.1 document, generated from the handlers' annotations, with
//! what annotations cannot say added here: security schemes, the error catalogue.
//! A copy is committed at `docs/openapi.json`; a test fails when it drifts.

use super::{AppState, admin, consumer, health, partner, webview};
use serde_json::{Value, json};
use tessera_core::error::ErrorCode;
use utoipa_axum::router::OpenApiRouter;

pub fn spec() -> Value {
    let (_, api) = OpenApiRouter::<AppState>::new()
        .merge(health::routes())
        .merge(partner::routes())
        .merge(consumer::routes())
        .merge(admin::routes())
        .merge(super::images::upload_routes())
        .merge(super::images::routes())
        .merge(webview::routes())
        .split_for_parts();
    let mut doc = serde_json::to_value(&api).expect("the OpenAPI document serialises");
    doc["info"] = json!({
        "title": "Tessera API",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "The partner server API (/integrations, HMAC-signed), the consumer API (/me, partner JWT or \
                        session), and the operator's admin API (/admin). Every error is \
                        {\"error\": {\"code\", \"message\", \"details\"}}; the codes are listed in ErrorDetail.code \
                        and in x-error-codes.",
        "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
    });
    doc["tags"] = json!([
        { "name": "partner", "description": "Server to server. Every call carries X-Partner-Id and X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(apiSecret, \"<t>.<METHOD>.<path?query>.<raw body>\")>. Signatures older or newer than 300 s, or seen before, are refused." },
        { "name": "consumer", "description": "For the signed-in end user: Authorization: Bearer <partner JWT (HS256, iss = partner id, sub = externalUserId, exp ≤ 1 h after iat)> or <session token>." },
        { "name": "admin", "description": "For the operator: Authorization: Bearer <operator token> (TESSERA_OPERATOR_TOKEN)." },
        { "name": "webview", "description": "The embedded webview's own calls (docs/webview.md): its session is an HttpOnly cookie opened from a partner JWT." },
        { "name": "operations", "description": "Health and readiness probes." },
    ]);
    doc["components"]["securitySchemes"] = json!({
        "partner_hmac": { "type": "apiKey", "in": "header", "name": "X-Signature",
            "description": "With X-Partner-Id. t=<unix seconds>,v1=<hex HMAC-SHA256(apiSecret, \"<t>.<METHOD>.<path?query>.<raw body>\")>" },
        "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT or ses_… session token" },
        "operator": { "type": "http", "scheme": "bearer", "description": "The operator token" },
    });
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let table: String = ErrorCode::ALL.iter().map(|c| format!("- `{c}` ({}): {}\n", c.status(), c.description())).collect();
    doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"] = json!({
        "type": "string", "enum": codes, "description": format!("A stable code:\n\n{table}"),
    });
    doc["x-error-codes"] =
        ErrorCode::ALL.iter().map(|c| json!({ "code": c.as_str(), "status": c.status(), "description": c.description() })).collect();
    edge_responses(&mut doc);
    doc
}

/// What the edge answers before a handler runs, on every operation it applies
/// to, written once here rather than on each handler: a body that is not the
/// route's JSON (400), too large (413) or not JSON at all (415); a query
/// parameter out of bounds (422); the refusals of the operation's
/// authentication (401, 403) and its rate limit (429), from its security
/// scheme; and on every partner POST, the `Idempotency-Key` it may carry
/// (SPEC §2) with its refusals.
fn edge_responses(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            let takes_body = op.get("requestBody").is_some();
            let takes_query = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let partner = path.starts_with("/integrations/");
            let idempotent = partner && method == "post";
            if idempotent && !op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key")) {
                let key = json!({
                    "name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "Replays the first response for 24 h (1–255 visible ASCII characters)",
                    "schema": { "type": ["string", "null"] },
                });
                match op["parameters"].as_array_mut() {
                    Some(ps) => ps.push(key),
                    None => op["parameters"] = json!([key]),
                }
            }
            let schemes: Vec<String> =
                op["security"].as_array().into_iter().flatten().filter_map(|r| r.as_object()).flat_map(|r| r.keys().cloned()).collect();
            // `label` is a code, optionally with a note: `rate_limited (per user)`.
            let mut add = |status: &str, label: &str| {
                let code = label.split(' ').next().unwrap_or(label);
                let response = &mut op["responses"][status];
                match response["description"].as_str() {
                    Some(listed) if listed.split(['·', '(']).any(|w| w.trim() == code) => {}
                    Some(listed) => response["description"] = json!(format!("{listed} · {label}")),
                    None => {
                        *response = json!({
                            "description": label,
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } },
                        })
                    }
                }
            };
            if takes_body {
                add("400", "invalid_json");
                add("413", "payload_too_large");
                add("415", "unsupported_media_type");
            }
            if takes_query {
                add("422", "validation_failed");
            }
            // Who may call it, and the refusals of that authentication, from its security scheme.
            for scheme in &schemes {
                let refusals: &[(&str, &str)] = match scheme.as_str() {
                    "partner_hmac" => &[
                        ("401", "signature_missing"),
                        ("401", "signature_invalid"),
                        ("401", "signature_expired"),
                        ("401", "signature_replayed"),
                        ("401", "unknown_partner"),
                        ("429", "rate_limited (per partner)"),
                    ],
                    "bearer" => &[
                        ("401", "authentication_required"),
                        ("401", "token_invalid"),
                        ("401", "token_expired"),
                        ("401", "token_unknown_issuer"),
                        ("401", "session_expired"),
                        ("429", "rate_limited (per user)"),
                    ],
                    "operator" => &[("401", "operator_token_invalid"), ("403", "admin_disabled")],
                    _ => &[],
                };
                for (status, label) in refusals {
                    add(status, label);
                }
            }
            if idempotent {
                add("409", "idempotency_in_progress");
                add("422", "validation_failed");
                add("422", "idempotency_key_reused");
            }
        }
    }
}

/// The document as committed in docs/openapi.json (`tessera openapi --write`).
pub fn document() -> String {
    serde_json::to_string_pretty(&spec()).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed document must be what the code generates (scripts/test also runs
    /// `tessera openapi --check`). To update it: `target/debug/tessera openapi --write`.
    #[test]
    fn committed_openapi_matches_the_code() {
        let committed_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
        let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
        assert!(committed == document(), "docs/openapi.json is out of date; run `target/debug/tessera openapi --write` and commit it");
    }

    #[test]
    fn the_document_is_openapi_3_1_and_names_every_error_code() {
        let doc = spec();
        assert_eq!(doc["openapi"], "3.1.0");
        let text = doc.to_string();
        for code in ErrorCode::ALL {
            assert!(text.contains(&format!("\"{code}\"")), "{code} missing");
        }
        // Error codes the routes document in their responses all exist in the catalogue.
        let known: std::collections::HashSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, resp) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let desc = resp["description"].as_str().unwrap_or_default();
                        // "code · code (a note)": the codes are outside the parentheses.
                        let mut bare = String::new();
                        let mut depth = 0;
                        for ch in desc.chars() {
                            match ch {
                                '(' => depth += 1,
                                ')' => depth -= 1,
                                _ if depth == 0 => bare.push(ch),
                                _ => {}
                            }
                        }
                        let listed: Vec<String> = bare.split('·').map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
                        assert!(!listed.is_empty(), "{method} {path} {status} lists no error code");
                        for word in &listed {
                            assert!(known.contains(word.as_str()), "{method} {path} {status} names unknown code {word}");
                        }
                    }
                }
            }
        }
        // operationIds are unique (OpenAPI requires it; /docs/api anchors on them).
        let mut ids = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
                assert!(ids.insert(id.to_string()), "{method} {path}: operationId {id} is used twice");
            }
        }
        // The edge's own refusals are listed where they can happen.
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if path.starts_with("/integrations/") && method == "post" {
                    let key = op["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == "Idempotency-Key"));
                    assert!(key.is_some(), "{method} {path} takes an Idempotency-Key but does not say so");
                    let desc = op["responses"]["422"]["description"].as_str().unwrap_or_default();
                    assert!(desc.contains("idempotency_key_reused"), "{method} {path}: 422 does not list idempotency_key_reused");
                }
                if op.get("requestBody").is_some() {
                    for (status, code) in [("400", "invalid_json"), ("413", "payload_too_large"), ("415", "unsupported_media_type")] {
                        let desc = op["responses"][status]["description"].as_str().unwrap_or_default();
                        assert!(desc.contains(code), "{method} {path} takes a body but its {status} does not list {code}");
                    }
                }
            }
        }
        for route in ["/integrations/users", "/me/claims", "/me/redemptions", "/admin/vouchers/{id}/publish", "/readyz"] {
            assert!(doc["paths"][route].is_object(), "{route} undocumented");
        }
    }
}
