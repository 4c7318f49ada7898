//! The operator's API, `/admin/*`: partners, merchants, outlets, vouchers,
//! users and redemptions. Authenticated by the operator token.

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, Operator},
};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;
use tessera_core::error::ErrorBody;
use tessera_core::types::{ExternalUserId, PartnerId};
use tessera_core::{
    error::ApiError,
    merchants::{self, Merchant, MerchantInput, Outlet, OutletInput},
    partners::{self, NewPartner, PartnerCredentials, PartnerView, SecretKind},
    redemptions::{self, Redemption},
    theme::Theme,
    users::{self, User},
    vouchers::{self, PoolUpload, PoolUploaded, Published, Voucher, VoucherInput},
    webview::WebviewSettings,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_partner, list_partners))
        .routes(routes!(get_partner))
        .routes(routes!(rotate_secret))
        .routes(routes!(set_origins))
        .routes(routes!(set_integration))
        .routes(routes!(get_theme, set_theme))
        .routes(routes!(get_webview, set_webview))
        .routes(routes!(get_user))
        .routes(routes!(create_merchant, list_merchants))
        .routes(routes!(get_merchant, update_merchant))
        .routes(routes!(disable_merchant))
        .routes(routes!(enable_merchant))
        .routes(routes!(create_outlet, list_outlets))
        .routes(routes!(get_outlet, update_outlet))
        .routes(routes!(create_voucher, list_vouchers))
        .routes(routes!(get_voucher, update_voucher))
        .routes(routes!(publish_voucher))
        .routes(routes!(archive_voucher))
        .routes(routes!(upload_codes))
        .routes(routes!(list_redemptions))
        .routes(routes!(create_person))
        .merge(super::webhooks::admin_routes())
        .merge(super::orders::admin_routes())
}

type Db<'a> = &'a tessera_core::db::Db;

fn db(state: &AppState) -> Db<'_> {
    &state.platform.db
}

/// Create a partner. The answer holds its API and JWT secrets: they are shown once.
#[utoipa::path(post, path = "/admin/partners", tag = "admin", security(("operator" = [])),
    request_body = NewPartner,
    responses((status = 201, body = PartnerCredentials), (status = 409, description = "conflict (id taken)", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn create_partner(
    _: Operator,
    State(s): State<AppState>,
    ApiJson(new): ApiJson<NewPartner>,
) -> Result<(StatusCode, Json<PartnerCredentials>), ApiError> {
    let (_, creds) = partners::create(db(&s), new).await?;
    Ok((StatusCode::CREATED, Json(creds)))
}

/// Make a console or portal account with a generated password (shown once).
#[utoipa::path(post, path = "/admin/people", tag = "admin", security(("operator" = [])),
    request_body = tessera_core::people::NewPerson,
    responses(
        (status = 201, body = tessera_core::people::PersonWithPassword),
        (status = 404, description = "not_found (no such partner)", body = ErrorBody),
        (status = 409, description = "conflict (the email has an account)", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
async fn create_person(
    _: Operator,
    State(s): State<AppState>,
    ApiJson(new): ApiJson<tessera_core::people::NewPerson>,
) -> Result<(StatusCode, Json<tessera_core::people::PersonWithPassword>), ApiError> {
    use tessera_core::people;
    let password = people::generated_password();
    let person = people::create(db(&s), &new.email, &password, new.role, new.partner_id.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(people::PersonWithPassword { person, password })))
}

/// Every partner (never their secrets).
#[utoipa::path(get, path = "/admin/partners", tag = "admin", security(("operator" = [])),
    responses((status = 200, body = Vec<PartnerView>), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn list_partners(_: Operator, State(s): State<AppState>) -> Result<Json<Vec<PartnerView>>, ApiError> {
    Ok(Json(partners::list(db(&s)).await?.iter().map(|p| p.view()).collect()))
}

/// One partner.
#[utoipa::path(get, path = "/admin/partners/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PartnerView), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn get_partner(_: Operator, State(s): State<AppState>, Path(id): Path<PartnerId>) -> Result<Json<PartnerView>, ApiError> {
    Ok(Json(partners::get(db(&s), &id).await?.view()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotateRequest {
    kind: SecretKind,
    /// How long the old secret keeps verifying (default 24 h, at most 7 days).
    grace_seconds: Option<i64>,
}

/// Replace the API, JWT or integration secret; the old one keeps verifying for graceSeconds (default 24 h) — for the integration secret, a call the partner's backend refuses with 401/403 is made again with it.
#[utoipa::path(post, path = "/admin/partners/{id}/rotate-secret", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = RotateRequest,
    responses((status = 200, body = PartnerCredentials), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn rotate_secret(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<PartnerId>,
    ApiJson(r): ApiJson<RotateRequest>,
) -> Result<Json<PartnerCredentials>, ApiError> {
    let grace = partners::rotation_grace_ms(r.grace_seconds)?;
    Ok(Json(partners::rotate_secret(&s.platform, &id, r.kind, grace).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OriginsRequest {
    allowed_origins: Vec<String>,
}

/// Set (or, with `baseUrl: null`, remove) the partner's backend for SSO and
/// the coins ledger. Answers a new integration secret, shown once: the partner
/// checks it in the `X-Tessera-Secret` header of every call. A secret it replaces
/// is still sent for 24 h when the backend refuses the new one (401/403).
#[utoipa::path(put, path = "/admin/partners/{id}/integration", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = partners::IntegrationInput,
    responses((status = 200, body = partners::IntegrationCredentials), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn set_integration(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<PartnerId>,
    ApiJson(r): ApiJson<partners::IntegrationInput>,
) -> Result<Json<partners::IntegrationCredentials>, ApiError> {
    Ok(Json(partners::set_integration(&s.platform, &id, &r).await?))
}

/// Set the origins allowed to embed the webview.
#[utoipa::path(put, path = "/admin/partners/{id}/allowed-origins", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = OriginsRequest,
    responses((status = 200, body = PartnerView), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn set_origins(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<PartnerId>,
    ApiJson(r): ApiJson<OriginsRequest>,
) -> Result<Json<PartnerView>, ApiError> {
    Ok(Json(partners::set_allowed_origins(&s.platform, &id, &r.allowed_origins).await?.view()))
}

/// A partner's webview theme (defaults where nothing is set).
#[utoipa::path(get, path = "/admin/partners/{id}/theme", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Theme), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn get_theme(_: Operator, State(s): State<AppState>, Path(id): Path<PartnerId>) -> Result<Json<Theme>, ApiError> {
    Ok(Json(partners::theme(db(&s), &id).await?))
}

/// Replace a partner's webview theme: colours as hex, sizes in range, https images.
#[utoipa::path(put, path = "/admin/partners/{id}/theme", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = Theme,
    responses((status = 200, body = Theme), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn set_theme(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<PartnerId>,
    ApiJson(t): ApiJson<Theme>,
) -> Result<Json<Theme>, ApiError> {
    Ok(Json(partners::set_theme(&s.platform, &id, &t).await?))
}

/// A partner's webview settings: default language, time zone, support contact.
#[utoipa::path(get, path = "/admin/partners/{id}/webview", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = WebviewSettings), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn get_webview(_: Operator, State(s): State<AppState>, Path(id): Path<PartnerId>) -> Result<Json<WebviewSettings>, ApiError> {
    Ok(Json(partners::webview_settings(db(&s), &id).await?))
}

/// Replace a partner's webview settings: a shipped language (`en`, `ms`, `hi`),
/// an IANA time zone, an email address and an https help URL.
#[utoipa::path(put, path = "/admin/partners/{id}/webview", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = WebviewSettings,
    responses((status = 200, body = WebviewSettings), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn set_webview(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<PartnerId>,
    ApiJson(w): ApiJson<WebviewSettings>,
) -> Result<Json<WebviewSettings>, ApiError> {
    Ok(Json(partners::set_webview_settings(&s.platform, &id, &w).await?))
}

/// Look a partner’s user up.
#[utoipa::path(get, operation_id = "admin_get_user", path = "/admin/partners/{id}/users/{external_user_id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path), ("external_user_id" = String, Path)),
    responses((status = 200, body = User), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn get_user(
    _: Operator,
    State(s): State<AppState>,
    Path((id, ext)): Path<(PartnerId, ExternalUserId)>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(users::get(db(&s), &id, &ext).await?))
}

/// Create a merchant.
#[utoipa::path(post, path = "/admin/merchants", tag = "admin", security(("operator" = [])),
    request_body = MerchantInput,
    responses((status = 201, body = Merchant), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn create_merchant(
    _: Operator,
    State(s): State<AppState>,
    ApiJson(m): ApiJson<MerchantInput>,
) -> Result<(StatusCode, Json<Merchant>), ApiError> {
    Ok((StatusCode::CREATED, Json(merchants::create(db(&s), &m).await?)))
}

/// Every merchant.
#[utoipa::path(get, operation_id = "admin_list_merchants", path = "/admin/merchants", tag = "admin", security(("operator" = [])),
    responses((status = 200, body = Vec<Merchant>), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn list_merchants(_: Operator, State(s): State<AppState>) -> Result<Json<Vec<Merchant>>, ApiError> {
    Ok(Json(merchants::list(db(&s), None).await?))
}

/// One merchant.
#[utoipa::path(get, operation_id = "admin_get_merchant", path = "/admin/merchants/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Merchant), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn get_merchant(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::get(db(&s), &id).await?))
}

/// Replace a merchant’s details.
#[utoipa::path(put, path = "/admin/merchants/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = MerchantInput,
    responses((status = 200, body = Merchant), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn update_merchant(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(m): ApiJson<MerchantInput>,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::update(db(&s), &id, &m).await?))
}

/// Hide a merchant and its vouchers from users.
#[utoipa::path(post, path = "/admin/merchants/{id}/disable", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Merchant), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn disable_merchant(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::set_status(db(&s), &id, tessera_core::types::MerchantStatus::Disabled).await?))
}

/// Show a disabled merchant again.
#[utoipa::path(post, path = "/admin/merchants/{id}/enable", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Merchant), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn enable_merchant(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::set_status(db(&s), &id, tessera_core::types::MerchantStatus::Active).await?))
}

/// Add an outlet (coordinates optional).
#[utoipa::path(post, path = "/admin/merchants/{id}/outlets", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = OutletInput,
    responses((status = 201, body = Outlet), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn create_outlet(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(o): ApiJson<OutletInput>,
) -> Result<(StatusCode, Json<Outlet>), ApiError> {
    Ok((StatusCode::CREATED, Json(merchants::create_outlet(db(&s), &id, &o).await?)))
}

/// A merchant’s outlets.
#[utoipa::path(get, path = "/admin/merchants/{id}/outlets", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Outlet>), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn list_outlets(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Vec<Outlet>>, ApiError> {
    merchants::get(db(&s), &id).await?;
    Ok(Json(merchants::outlets(db(&s), &id, None).await?))
}

/// One outlet.
#[utoipa::path(get, path = "/admin/outlets/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Outlet), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn get_outlet(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Outlet>, ApiError> {
    Ok(Json(merchants::get_outlet(db(&s), &id).await?))
}

/// Replace an outlet’s details.
#[utoipa::path(put, path = "/admin/outlets/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = OutletInput,
    responses((status = 200, body = Outlet), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn update_outlet(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(o): ApiJson<OutletInput>,
) -> Result<Json<Outlet>, ApiError> {
    Ok(Json(merchants::update_outlet(db(&s), &id, &o).await?))
}

/// Create a voucher as a draft.
#[utoipa::path(post, path = "/admin/vouchers", tag = "admin", security(("operator" = [])),
    request_body = VoucherInput,
    responses((status = 201, body = Voucher), (status = 404, description = "not_found (merchant)", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn create_voucher(
    _: Operator,
    State(s): State<AppState>,
    ApiJson(v): ApiJson<VoucherInput>,
) -> Result<(StatusCode, Json<Voucher>), ApiError> {
    Ok((StatusCode::CREATED, Json(vouchers::create(db(&s), &v).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct VoucherFilter {
    merchant_id: Option<String>,
}

/// Vouchers, newest first, optionally of one merchant.
#[utoipa::path(get, operation_id = "admin_list_vouchers", path = "/admin/vouchers", tag = "admin", security(("operator" = [])),
    params(VoucherFilter),
    responses((status = 200, body = Vec<Voucher>), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn list_vouchers(
    _: Operator,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<VoucherFilter>,
) -> Result<Json<Vec<Voucher>>, ApiError> {
    Ok(Json(vouchers::list(db(&s), f.merchant_id.as_deref()).await?))
}

/// One voucher.
#[utoipa::path(get, operation_id = "admin_get_voucher", path = "/admin/vouchers/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Voucher), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn get_voucher(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Voucher>, ApiError> {
    Ok(Json(vouchers::get(db(&s), &id).await?))
}

/// Replace a voucher’s fields (its merchant stays; stock cannot go below what is claimed).
#[utoipa::path(put, path = "/admin/vouchers/{id}", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = VoucherInput,
    responses((status = 200, body = Voucher), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn update_voucher(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(v): ApiJson<VoucherInput>,
) -> Result<Json<Voucher>, ApiError> {
    Ok(Json(vouchers::update(db(&s), &id, &v).await?))
}

/// Publish a draft; records VOUCHER_PUBLISHED for every user who favorited the merchant, in the same transaction.
#[utoipa::path(post, path = "/admin/vouchers/{id}/publish", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Published), (status = 404, description = "not_found", body = ErrorBody), (status = 409, description = "conflict (not a draft)", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn publish_voucher(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Published>, ApiError> {
    Ok(Json(vouchers::publish(db(&s), &id).await?))
}

/// Archive a voucher: no longer shown or claimable. Idempotent.
#[utoipa::path(post, path = "/admin/vouchers/{id}/archive", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Voucher), (status = 404, description = "not_found", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn archive_voucher(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Voucher>, ApiError> {
    Ok(Json(vouchers::archive(db(&s), &id).await?))
}

/// Add codes to a pool voucher; codes already there are skipped.
#[utoipa::path(post, path = "/admin/vouchers/{id}/codes", tag = "admin", security(("operator" = [])),
    params(("id" = String, Path)), request_body = PoolUpload,
    responses((status = 200, body = PoolUploaded), (status = 404, description = "not_found", body = ErrorBody), (status = 422, description = "validation_failed", body = ErrorBody), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn upload_codes(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(u): ApiJson<PoolUpload>,
) -> Result<Json<PoolUploaded>, ApiError> {
    Ok(Json(vouchers::upload_codes(db(&s), &id, &u).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct RedemptionFilter {
    partner_id: Option<PartnerId>,
    limit: Option<i64>,
}

/// Redemptions, newest first.
#[utoipa::path(get, path = "/admin/redemptions", tag = "admin", security(("operator" = [])),
    params(RedemptionFilter),
    responses((status = 200, body = Vec<Redemption>), (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn list_redemptions(
    _: Operator,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<RedemptionFilter>,
) -> Result<Json<Vec<Redemption>>, ApiError> {
    Ok(Json(redemptions::list_all(db(&s), f.partner_id.as_ref(), f.limit.unwrap_or(100)).await?))
}
