//! The partner server API, `/integrations/*` (SPEC §2): HMAC-signed calls.

use super::{
    AppState,
    extract::{ApiJson, ApiQuery},
};
use axum::{
    Extension, Json,
    body::{Body, Bytes, to_bytes},
    extract::{Path, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tessera_core::error::ErrorBody;
use tessera_core::error::ErrorCode;
use tessera_core::types::ExternalUserId;
use tessera_core::{
    claims::{self, Source},
    clock::now_ms,
    error::ApiError,
    events, idempotency,
    ids::sha256_hex,
    partners::{self, Partner, SignedRequest},
    redemptions,
    users::{self, UserUpsert},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes, without authentication: `router` adds the signature check.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upsert_user))
        .routes(routes!(get_user, delete_user))
        .routes(routes!(logout_user))
        .routes(routes!(issue_voucher))
        .routes(routes!(get_redemption))
        .routes(routes!(list_events))
        .merge(super::webhooks::partner_routes())
        .merge(super::orders::partner_routes())
}

/// Verifies the signature over the raw body, then (for POSTs with an
/// `Idempotency-Key`) replays or records the response.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    let limit = state.platform.config.body_limit_bytes;
    let bytes: Bytes = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, format!("The request body is larger than the {limit} bytes allowed.")))?;
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
    tessera_core::metrics::record_caller(&partner.id, None);
    state.limits.partner(&partner.id)?;
    // A key that is sent but unreadable (non-ASCII) is refused by `begin`, never
    // ignored: ignoring it would let the caller's retry run the work twice.
    let key = match parts.headers.get("idempotency-key") {
        Some(v) if parts.method == Method::POST => Some(v.to_str().unwrap_or_default().to_string()),
        _ => None,
    };
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

/// Create or update a user. Absent fields stay as they are; `null` clears one.
#[utoipa::path(post, path = "/integrations/users", tag = "partner", security(("partner_hmac" = [])),
    request_body = UserUpsert,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h")),
    responses(
        (status = 201, description = "Created", body = users::User),
        (status = 200, description = "Updated", body = users::User),
        (status = 400, description = "invalid_json", body = ErrorBody),
        (status = 409, description = "idempotency_in_progress", body = ErrorBody),
        (status = 422, description = "validation_failed · idempotency_key_reused", body = ErrorBody),
    ))]
async fn upsert_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    ApiJson(input): ApiJson<UserUpsert>,
) -> Result<Response, ApiError> {
    let (user, created) = users::upsert(&state.platform.db, &partner.id, &input).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(user)).into_response())
}

/// The user as the platform holds it.
#[utoipa::path(get, path = "/integrations/users/{external_user_id}", tag = "partner", security(("partner_hmac" = [])),
    params(("external_user_id" = String, Path, description = "Your id for the user")),
    responses(
        (status = 200, body = users::User),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
async fn get_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<ExternalUserId>,
) -> Result<Json<users::User>, ApiError> {
    Ok(Json(users::get(&state.platform.db, &partner.id, &external_user_id).await?))
}

/// Erase the user's personal data (profile, cohorts, favourites, redemption coordinates, their externalUserId in stored events) and end their sessions and the JWTs minted for them before; claims, redemptions and events stay, anonymised. Idempotent.
#[utoipa::path(delete, path = "/integrations/users/{external_user_id}", tag = "partner", security(("partner_hmac" = [])),
    params(("external_user_id" = String, Path, description = "Your id for the user")),
    responses(
        (status = 204, description = "Erased (or already gone)"),
    ))]
async fn delete_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<ExternalUserId>,
) -> Result<StatusCode, ApiError> {
    users::erase(&state.platform.db, &partner.id, &external_user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End the user's webview session now, and every JWT you minted for them before it.
#[utoipa::path(post, path = "/integrations/users/{external_user_id}/logout", tag = "partner", security(("partner_hmac" = [])),
    params(("external_user_id" = String, Path, description = "Your id for the user")),
    responses(
        (status = 204, description = "Logged out"),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
async fn logout_user(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<ExternalUserId>,
) -> Result<StatusCode, ApiError> {
    users::logout(&state.platform.db, &partner.id, &external_user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IssueRequest {
    voucher_id: String,
}

/// Issue a voucher straight into the user's wallet (birthday, goodwill). Emits `VOUCHER_ISSUED`.
#[utoipa::path(post, path = "/integrations/users/{external_user_id}/vouchers", tag = "partner", security(("partner_hmac" = [])),
    params(("external_user_id" = String, Path, description = "Your id for the user"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h")),
    request_body = IssueRequest,
    responses(
        (status = 201, description = "Issued", body = claims::Claim),
        (status = 200, description = "The user already holds an open claim of it", body = claims::Claim),
        (status = 404, description = "not_found (user or voucher)", body = ErrorBody),
        (status = 409, description = "out_of_stock · limit_reached", body = ErrorBody),
        (status = 410, description = "voucher_expired", body = ErrorBody),
        (status = 422, description = "voucher_not_claimable (not valid yet) · idempotency_key_reused", body = ErrorBody),
    ))]
async fn issue_voucher(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(external_user_id): Path<ExternalUserId>,
    ApiJson(input): ApiJson<IssueRequest>,
) -> Result<Response, ApiError> {
    let holder = users::holder(&state.platform.db, &partner.id, &external_user_id).await?;
    let (claim, created) = claims::claim(&state.platform, &holder, &input.voucher_id, None, Source::Issue).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(claim)).into_response())
}

/// A redemption, including the code dispensed to the user.
#[utoipa::path(get, path = "/integrations/redemptions/{id}", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path, description = "redemptionId from the REDEMPTION_CREATED event")),
    responses(
        (status = 200, body = redemptions::Redemption),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
async fn get_redemption(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    Path(id): Path<String>,
) -> Result<Json<redemptions::Redemption>, ApiError> {
    Ok(Json(redemptions::for_partner(&state.platform.db, &partner.id, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// An event id (`nextAfter` of a page, the last item you read, or an event you received): the events after it in the feed's order, which never skips one that commits later.
    after: Option<String>,
    /// One of the event types: CLAIM_CREATED, REDEMPTION_CREATED, VOUCHER_PUBLISHED, VOUCHER_ISSUED, MERCHANT_CREATED, MERCHANT_DISABLED, VOUCHER_ARCHIVED.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<tessera_core::types::EventType>,
    /// 1–500, default 100.
    limit: Option<i64>,
}

/// Your events in order, to catch up on what webhooks reported.
#[utoipa::path(get, path = "/integrations/events", tag = "partner", security(("partner_hmac" = [])),
    params(EventsQuery),
    responses(
        (status = 200, body = events::EventPage),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
async fn list_events(
    State(state): State<AppState>,
    Extension(partner): Extension<Partner>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<events::EventPage>, ApiError> {
    let page = events::list(&state.platform.db, &partner.id, q.after.as_deref(), q.kind, q.limit.unwrap_or(100)).await?;
    Ok(Json(page))
}
