//! The partner server API, `/integrations/*` (SPEC §2): HMAC-signed calls.

use super::{
    AppState,
    extract::{ApiJson, ApiQuery},
};
use axum::{
    Extension, Json, Router,
    body::{Body, Bytes, to_bytes},
    extract::{Path, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tessera_core::{
    claims::{self, Holder, Source},
    clock::now_ms,
    error::ApiError,
    events, idempotency,
    ids::sha256_hex,
    partners::{self, Partner, SignedRequest},
    redemptions,
    users::{self, UserUpsert},
};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/integrations/users", post(upsert_user))
        .route("/integrations/users/{external_user_id}", get(get_user).delete(delete_user))
        .route("/integrations/users/{external_user_id}/logout", post(logout_user))
        .route("/integrations/users/{external_user_id}/vouchers", post(issue_voucher))
        .route("/integrations/redemptions/{id}", get(get_redemption))
        .route("/integrations/events", get(list_events))
        .route_layer(middleware::from_fn_with_state(state, authenticate))
}

/// Verifies the signature over the raw body, then (for POSTs with an
/// `Idempotency-Key`) replays or records the response.
async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    let limit = state.platform.config.body_limit_bytes;
    let bytes: Bytes = to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("The request body is larger than the {limit} bytes allowed."))
    })?;
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let db = &state.platform.db;
    let partner = partners::authenticate(
        db,
        SignedRequest {
            partner_id: header("x-partner-id"),
            signature: header("x-signature"),
            method: parts.method.as_str(),
            path_and_query,
            body: &bytes,
        },
        now_ms(),
    )
    .await?;
    let key = (parts.method == Method::POST).then(|| header("idempotency-key").map(str::to_string)).flatten();
    let request_hash = sha256_hex(&[parts.method.as_str().as_bytes(), b"\n", path_and_query.as_bytes(), b"\n", &bytes].concat());
    let partner_id = partner.id.clone();
    parts.extensions.insert(partner);
    let req = Request::from_parts(parts, Body::from(bytes));
    let Some(key) = key else {
        return Ok(next.run(req).await);
    };
    match idempotency::begin(db, &partner_id, &key, &request_hash).await? {
        idempotency::Begin::Replay { status, body } => {
            let mut res = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(res)
        }
        idempotency::Begin::Proceed => {
            let res = next.run(req).await;
            let (parts, body) = res.into_parts();
            let bytes = to_bytes(body, 1 << 20).await.unwrap_or_default();
            if parts.status.is_server_error() {
                idempotency::abandon(db, &partner_id, &key).await?;
            } else {
                idempotency::complete(db, &partner_id, &key, parts.status.as_u16(), &String::from_utf8_lossy(&bytes)).await?;
            }
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
    }
}

async fn upsert_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    ApiJson(input): ApiJson<UserUpsert>,
) -> Result<Response, ApiError> {
    let (user, created) = users::upsert(&state.platform.db, &partner.id, &input).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(user)).into_response())
}

async fn get_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<String>,
) -> Result<Json<users::User>, ApiError> {
    Ok(Json(users::get(&state.platform.db, &partner.id, &external_user_id).await?))
}

async fn delete_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    users::erase(&state.platform.db, &partner.id, &external_user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    users::logout(&state.platform.db, &partner.id, &external_user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IssueRequest {
    voucher_id: String,
}

async fn issue_voucher(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<String>,
    ApiJson(input): ApiJson<IssueRequest>,
) -> Result<Response, ApiError> {
    let db = &state.platform.db;
    let user = users::get(db, &partner.id, &external_user_id).await?;
    let holder = Holder { partner_id: partner.id.clone(), user_id: user.id, external_user_id };
    let (claim, created) = claims::claim(db, &holder, &input.voucher_id, None, Source::Issue).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(claim)).into_response())
}

async fn get_redemption(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(id): Path<String>,
) -> Result<Json<redemptions::Redemption>, ApiError> {
    Ok(Json(redemptions::for_partner(&state.platform.db, &partner.id, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<i64>,
}

async fn list_events(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<events::EventPage>, ApiError> {
    let page = events::list(&state.platform.db, &partner.id, q.after.as_deref(), q.kind.as_deref(), q.limit.unwrap_or(100)).await?;
    Ok(Json(page))
}
