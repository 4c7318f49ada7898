//! Webhook endpoints, deliveries and events, for partners (`/integrations/*`,
//! their own) and the operator (`/admin/*`, any partner's). Both surfaces call
//! the same core functions; the partner's are scoped to it (another partner's
//! endpoint or event is a 404).

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, Operator},
};
use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use tessera_core::error::ErrorCode;
use tessera_core::types::PartnerId;
use tessera_core::webhooks::Scope;
use tessera_core::{
    clock::parse_rfc3339,
    error::{ApiError, ErrorBody},
    events,
    partners::Partner,
    webhooks::{
        self, Destinations, Endpoint, EndpointUpdate, EndpointWithSecret, NewEndpoint,
        queue::{self, Delivery, EventDetail},
    },
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn partner_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(p_create, p_list))
        .routes(routes!(p_get, p_update, p_delete))
        .routes(routes!(p_rotate))
        .routes(routes!(p_enable))
        .routes(routes!(p_disable))
        .routes(routes!(p_recover))
        .routes(routes!(p_deliveries))
        .routes(routes!(p_event))
        .routes(routes!(p_resend))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(a_create, a_list))
        .routes(routes!(a_get, a_update, a_delete))
        .routes(routes!(a_rotate))
        .routes(routes!(a_enable))
        .routes(routes!(a_disable))
        .routes(routes!(a_recover))
        .routes(routes!(a_deliveries))
        .routes(routes!(a_events))
        .routes(routes!(a_event))
        .routes(routes!(a_resend))
}

pub(super) fn destinations(s: &AppState) -> &Destinations {
    s.platform.outbound.destinations()
}

pub(super) fn default_in_flight(s: &AppState) -> i64 {
    i64::from(s.platform.config.webhooks.max_in_flight)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateEndpointSecret {
    /// How long the old secret also signs (default 24 h, at most 7 days).
    grace_seconds: Option<i64>,
}

/// The rotation's grace period from an optional JSON body.
fn grace_ms(body: &[u8]) -> Result<i64, ApiError> {
    let r: Option<RotateEndpointSecret> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(serde_json::from_slice(body).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.to_string()))?)
    };
    tessera_core::partners::rotation_grace_ms(r.and_then(|r| r.grace_seconds))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoverRequest {
    /// RFC 3339: deliveries of events since then that failed go out again.
    since: String,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Queued {
    /// Deliveries queued to go out.
    pub queued: u64,
}

fn since_ms(r: &RecoverRequest) -> Result<i64, ApiError> {
    parse_rfc3339(&r.since)
        .ok_or_else(|| ApiError::validation(vec![("since", "must be an RFC 3339 time like 2026-05-12T08:00:00Z".into())]))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// pending, delivered or failed.
    status: Option<tessera_core::types::DeliveryStatus>,
    /// 1–500, default 100.
    limit: Option<i64>,
}

// ---- partner surface ------------------------------------------------------

/// Add a webhook endpoint. The answer holds its signing secret: shown once.
#[utoipa::path(post, operation_id = "create_webhook_endpoint", path = "/integrations/webhook-endpoints", tag = "partner", security(("partner_hmac" = [])),
    request_body = NewEndpoint,
    responses((status = 201, body = EndpointWithSecret), (status = 422, description = "validation_failed (url not https/http, private address, unknown event type)", body = ErrorBody)))]
async fn p_create(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    ApiJson(new): ApiJson<NewEndpoint>,
) -> Result<(StatusCode, Json<EndpointWithSecret>), ApiError> {
    Ok((StatusCode::CREATED, Json(webhooks::create(&s.platform.db, destinations(&s), &p.id, new, default_in_flight(&s)).await?)))
}

/// Your webhook endpoints (never their secrets).
#[utoipa::path(get, operation_id = "list_webhook_endpoints", path = "/integrations/webhook-endpoints", tag = "partner", security(("partner_hmac" = [])),
    responses((status = 200, body = Vec<Endpoint>)))]
async fn p_list(State(s): State<AppState>, Extension(p): Extension<Partner>) -> Result<Json<Vec<Endpoint>>, ApiError> {
    Ok(Json(webhooks::list(&s.platform.db, &p.id).await?))
}

/// One of your webhook endpoints.
#[utoipa::path(get, operation_id = "get_webhook_endpoint", path = "/integrations/webhook-endpoints/{id}", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody)))]
async fn p_get(State(s): State<AppState>, Extension(p): Extension<Partner>, Path(id): Path<String>) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::get(&s.platform.db, Scope::Partner(&p.id), &id).await?))
}

/// Change an endpoint's URL, event types, description or concurrency.
#[utoipa::path(patch, operation_id = "update_webhook_endpoint", path = "/integrations/webhook-endpoints/{id}", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)), request_body = EndpointUpdate,
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn p_update(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<EndpointUpdate>,
) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::update(&s.platform.db, destinations(&s), Scope::Partner(&p.id), &id, change).await?))
}

/// Delete an endpoint, with its delivery log.
#[utoipa::path(delete, operation_id = "delete_webhook_endpoint", path = "/integrations/webhook-endpoints/{id}", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, description = "not_found", body = ErrorBody)))]
async fn p_delete(State(s): State<AppState>, Extension(p): Extension<Partner>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    webhooks::delete(&s.platform.db, Scope::Partner(&p.id), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New signing secret; the old one also signs for graceSeconds (default 24 h).
#[utoipa::path(post, operation_id = "rotate_webhook_secret", path = "/integrations/webhook-endpoints/{id}/rotate-secret", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)), request_body(content = Option<RotateEndpointSecret>),
    responses((status = 200, body = EndpointWithSecret), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn p_rotate(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<EndpointWithSecret>, ApiError> {
    Ok(Json(webhooks::rotate_secret(&s.platform.db, Scope::Partner(&p.id), &id, grace_ms(&body)?).await?))
}

/// Turn a disabled endpoint back on (then recover what failed meanwhile).
#[utoipa::path(post, operation_id = "enable_webhook_endpoint", path = "/integrations/webhook-endpoints/{id}/enable", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody)))]
async fn p_enable(State(s): State<AppState>, Extension(p): Extension<Partner>, Path(id): Path<String>) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::enable(&s.platform.db, Scope::Partner(&p.id), &id).await?))
}

/// Turn an endpoint off; deliveries waiting for it fail (recoverable).
#[utoipa::path(post, operation_id = "disable_webhook_endpoint", path = "/integrations/webhook-endpoints/{id}/disable", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody)))]
async fn p_disable(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    Path(id): Path<String>,
) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::disable(&s.platform.db, Scope::Partner(&p.id), &id).await?))
}

/// Send again every delivery to this endpoint that failed, for events since a time.
#[utoipa::path(post, operation_id = "recover_webhook_deliveries", path = "/integrations/webhook-endpoints/{id}/recover", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)), request_body = RecoverRequest,
    responses((status = 202, body = Queued), (status = 404, description = "not_found", body = ErrorBody), (status = 409, description = "endpoint_disabled", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn p_recover(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<RecoverRequest>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let queued = queue::recover(&s.platform.db, Scope::Partner(&p.id), &id, since_ms(&r)?).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

/// An endpoint's deliveries, newest first.
#[utoipa::path(get, operation_id = "list_webhook_deliveries", path = "/integrations/webhook-endpoints/{id}/deliveries", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn p_deliveries(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(queue::deliveries(&s.platform.db, Scope::Partner(&p.id), &id, q.status, None, q.limit.unwrap_or(100)).await?))
}

/// One of your events, with its deliveries and every attempt.
#[utoipa::path(get, operation_id = "get_event", path = "/integrations/events/{id}", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = EventDetail), (status = 404, description = "not_found", body = ErrorBody)))]
async fn p_event(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    Path(id): Path<String>,
) -> Result<Json<EventDetail>, ApiError> {
    Ok(Json(queue::event_detail(&s.platform.db, Scope::Partner(&p.id), &id).await?))
}

/// Deliver an event again to each of your enabled endpoints that takes its type.
#[utoipa::path(post, operation_id = "resend_event", path = "/integrations/events/{id}/resend", tag = "partner", security(("partner_hmac" = [])),
    params(("id" = String, Path)),
    responses((status = 202, body = Queued), (status = 404, description = "not_found", body = ErrorBody)))]
async fn p_resend(
    State(s): State<AppState>,
    Extension(p): Extension<Partner>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let queued = queue::resend(&s.platform.db, Scope::Partner(&p.id), &id).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

// ---- operator surface -----------------------------------------------------

/// Add a webhook endpoint to a partner. The answer holds its secret: shown once.
#[utoipa::path(post, operation_id = "admin_create_webhook_endpoint", path = "/admin/partners/{id}/webhook-endpoints", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = NewEndpoint,
    responses((status = 201, body = EndpointWithSecret), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn a_create(
    _: Operator,
    State(s): State<AppState>,
    Path(partner): Path<PartnerId>,
    ApiJson(new): ApiJson<NewEndpoint>,
) -> Result<(StatusCode, Json<EndpointWithSecret>), ApiError> {
    Ok((StatusCode::CREATED, Json(webhooks::create(&s.platform.db, destinations(&s), &partner, new, default_in_flight(&s)).await?)))
}

/// A partner's webhook endpoints.
#[utoipa::path(get, operation_id = "admin_list_webhook_endpoints", path = "/admin/partners/{id}/webhook-endpoints", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Endpoint>)))]
async fn a_list(_: Operator, State(s): State<AppState>, Path(partner): Path<PartnerId>) -> Result<Json<Vec<Endpoint>>, ApiError> {
    Ok(Json(webhooks::list(&s.platform.db, &partner).await?))
}

/// One webhook endpoint.
#[utoipa::path(get, operation_id = "admin_get_webhook_endpoint", path = "/admin/webhook-endpoints/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody)))]
async fn a_get(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::get(&s.platform.db, Scope::Operator, &id).await?))
}

/// Change a webhook endpoint.
#[utoipa::path(patch, operation_id = "admin_update_webhook_endpoint", path = "/admin/webhook-endpoints/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = EndpointUpdate,
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn a_update(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<EndpointUpdate>,
) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::update(&s.platform.db, destinations(&s), Scope::Operator, &id, change).await?))
}

/// Delete a webhook endpoint with its delivery log.
#[utoipa::path(delete, operation_id = "admin_delete_webhook_endpoint", path = "/admin/webhook-endpoints/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, description = "not_found", body = ErrorBody)))]
async fn a_delete(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    webhooks::delete(&s.platform.db, Scope::Operator, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New signing secret for an endpoint; the old one also signs for graceSeconds.
#[utoipa::path(post, operation_id = "admin_rotate_webhook_secret", path = "/admin/webhook-endpoints/{id}/rotate-secret", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body(content = Option<RotateEndpointSecret>),
    responses((status = 200, body = EndpointWithSecret), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn a_rotate(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<EndpointWithSecret>, ApiError> {
    Ok(Json(webhooks::rotate_secret(&s.platform.db, Scope::Operator, &id, grace_ms(&body)?).await?))
}

/// Re-enable a disabled endpoint.
#[utoipa::path(post, operation_id = "admin_enable_webhook_endpoint", path = "/admin/webhook-endpoints/{id}/enable", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody)))]
async fn a_enable(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::enable(&s.platform.db, Scope::Operator, &id).await?))
}

/// Disable an endpoint; deliveries waiting for it fail (recoverable).
#[utoipa::path(post, operation_id = "admin_disable_webhook_endpoint", path = "/admin/webhook-endpoints/{id}/disable", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Endpoint), (status = 404, description = "not_found", body = ErrorBody)))]
async fn a_disable(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(webhooks::disable(&s.platform.db, Scope::Operator, &id).await?))
}

/// Send again every failed delivery to an endpoint, for events since a time.
#[utoipa::path(post, operation_id = "admin_recover_webhook_deliveries", path = "/admin/webhook-endpoints/{id}/recover", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = RecoverRequest,
    responses((status = 202, body = Queued), (status = 404, description = "not_found", body = ErrorBody), (status = 409, description = "endpoint_disabled", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn a_recover(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<RecoverRequest>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let queued = queue::recover(&s.platform.db, Scope::Operator, &id, since_ms(&r)?).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

/// An endpoint's deliveries, newest first.
#[utoipa::path(get, operation_id = "admin_list_webhook_deliveries", path = "/admin/webhook-endpoints/{id}/deliveries", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn a_deliveries(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(queue::deliveries(&s.platform.db, Scope::Operator, &id, q.status, None, q.limit.unwrap_or(100)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminEventsQuery {
    /// An event id: return the events after it.
    after: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<tessera_core::types::EventType>,
    /// 1–500, default 100.
    limit: Option<i64>,
}

/// A partner's events in order.
#[utoipa::path(get, operation_id = "admin_list_events", path = "/admin/partners/{id}/events", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path), AdminEventsQuery),
    responses((status = 200, body = events::EventPage), (status = 422, description = "validation_failed", body = ErrorBody)))]
async fn a_events(
    _: Operator,
    State(s): State<AppState>,
    Path(partner): Path<PartnerId>,
    ApiQuery(q): ApiQuery<AdminEventsQuery>,
) -> Result<Json<events::EventPage>, ApiError> {
    Ok(Json(events::list(&s.platform.db, &partner, q.after.as_deref(), q.kind, q.limit.unwrap_or(100)).await?))
}

/// Any event, with its deliveries and every attempt.
#[utoipa::path(get, operation_id = "admin_get_event", path = "/admin/events/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = EventDetail), (status = 404, description = "not_found", body = ErrorBody)))]
async fn a_event(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<EventDetail>, ApiError> {
    Ok(Json(queue::event_detail(&s.platform.db, Scope::Operator, &id).await?))
}

/// Deliver an event again to each enabled endpoint of its partner that takes its type.
#[utoipa::path(post, operation_id = "admin_resend_event", path = "/admin/events/{id}/resend", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 202, body = Queued), (status = 404, description = "not_found", body = ErrorBody)))]
async fn a_resend(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let queued = queue::resend(&s.platform.db, Scope::Operator, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}
