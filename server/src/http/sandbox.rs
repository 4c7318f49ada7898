//! `/sandbox/{partnerId}/sso|balance|debit|reverse`: the fake partner backend
//! of sandbox partners (see `tessera_core::sandbox` for its rules). It answers
//! exactly as the contract asks a real partner backend to (SPEC §3, §7), and
//! checks `X-Tessera-Secret` like one must.

use super::AppState;
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use tessera_core::{
    partners::SECRET_HEADER,
    sandbox::{self, Debited, Reversed},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sandbox/{partner}/sso", post(sso))
        .route("/sandbox/{partner}/balance", get(balance))
        .route("/sandbox/{partner}/debit", post(debit))
        .route("/sandbox/{partner}/reverse", post(reverse))
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// The partner, if it is a sandbox partner and the call carries its secret.
async fn authorised(state: &AppState, partner: &str, headers: &HeaderMap) -> Result<(), Response> {
    let unauthorised = || answer(StatusCode::UNAUTHORIZED, json!({ "error": "Unauthorized" }));
    let found = tessera_core::partners::find_recent(&state.platform, &partner.into()).await.ok().flatten();
    let Some(integration) = found.filter(|p| p.is_sandbox()).and_then(|p| p.integration()) else {
        return Err(answer(StatusCode::NOT_FOUND, json!({ "error": "No sandbox partner here" })));
    };
    let presented = headers.get(SECRET_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    use subtle::ConstantTimeEq;
    if presented.len() == integration.secret.len() && bool::from(presented.as_bytes().ct_eq(integration.secret.as_bytes())) {
        Ok(())
    } else {
        Err(unauthorised())
    }
}

fn failed(e: tessera_core::error::ApiError) -> Response {
    e.report();
    answer(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": "Internal server error" }))
}

#[derive(Deserialize)]
struct SsoRequest {
    token: String,
}

async fn sso(State(state): State<AppState>, Path(partner): Path<String>, headers: HeaderMap, Json(r): Json<SsoRequest>) -> Response {
    if let Err(refused) = authorised(&state, &partner, &headers).await {
        return refused;
    }
    match sandbox::sso_user(&r.token) {
        Ok(Some(user)) => {
            answer(StatusCode::OK, json!({ "userId": user, "firstName": "Sandbox", "lastName": "User", "cohorts": [sandbox::COHORT] }))
        }
        Ok(None) => answer(StatusCode::OK, json!({ "userId": null })),
        Err(sandbox::FailToken) => {
            answer(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": "Internal server error (the sandbox's `fail` token)" }))
        }
    }
}

async fn balance(
    State(state): State<AppState>,
    Path(partner): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = authorised(&state, &partner, &headers).await {
        return refused;
    }
    let Some(user) = q.get("userId") else { return answer(StatusCode::NOT_FOUND, json!({ "error": "User not found" })) };
    match sandbox::balance(&state.platform.db, &partner, user).await {
        Ok(b) => answer(StatusCode::OK, json!({ "userId": user, "totalCoins": b as f64 })),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DebitRequest {
    user_id: String,
    amount: i64,
    reference_id: String,
}

async fn debit(State(state): State<AppState>, Path(partner): Path<String>, headers: HeaderMap, Json(r): Json<DebitRequest>) -> Response {
    if let Err(refused) = authorised(&state, &partner, &headers).await {
        return refused;
    }
    let result = sandbox::debit(&state.platform.db, &partner, &r.user_id, r.amount, &r.reference_id).await;
    if r.amount == sandbox::SLOW_COST {
        // Debited, but answered too late: Tessera gives up and reverses it.
        tokio::time::sleep(sandbox::SLOW).await;
    }
    match result {
        Ok(Debited::Done(txn, left)) => {
            answer(StatusCode::OK, json!({ "status": "SUCCESS", "transactionId": txn, "balance": left, "referenceId": r.reference_id }))
        }
        Ok(Debited::Refused) => answer(StatusCode::BAD_REQUEST, json!({ "error": "Insufficient balance" })),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReverseRequest {
    reference_id: String,
}

async fn reverse(
    State(state): State<AppState>,
    Path(partner): Path<String>,
    headers: HeaderMap,
    Json(r): Json<ReverseRequest>,
) -> Response {
    if let Err(refused) = authorised(&state, &partner, &headers).await {
        return refused;
    }
    match sandbox::reverse(&state.platform.db, &partner, &r.reference_id).await {
        Ok(Reversed::Done) => {
            answer(StatusCode::OK, json!({ "status": "SUCCESS", "reversalTransactionId": format!("rev-{}", r.reference_id) }))
        }
        Ok(Reversed::Already) => answer(StatusCode::OK, json!({ "status": "ALREADY_REVERSED" })),
        Ok(Reversed::NotFound) => answer(StatusCode::NOT_FOUND, json!({ "error": "Transaction not found" })),
        Err(e) => failed(e),
    }
}
