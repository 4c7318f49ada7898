//! The operator's API, `/admin/*`: partners, merchants, outlets, vouchers,
//! users and redemptions. Authenticated by the operator token.

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, Operator},
};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post, put},
};
use serde::Deserialize;
use tessera_core::{
    error::ApiError,
    merchants::{self, Merchant, MerchantInput, Outlet, OutletInput},
    partners::{self, NewPartner, PartnerCredentials, PartnerView, SecretKind},
    redemptions::{self, Redemption},
    users::{self, User},
    vouchers::{self, PoolUpload, PoolUploaded, Published, Voucher, VoucherInput},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/partners", post(create_partner).get(list_partners))
        .route("/admin/partners/{id}", get(get_partner))
        .route("/admin/partners/{id}/rotate-secret", post(rotate_secret))
        .route("/admin/partners/{id}/allowed-origins", put(set_origins))
        .route("/admin/partners/{id}/users/{external_user_id}", get(get_user))
        .route("/admin/merchants", post(create_merchant).get(list_merchants))
        .route("/admin/merchants/{id}", get(get_merchant).put(update_merchant))
        .route("/admin/merchants/{id}/disable", post(disable_merchant))
        .route("/admin/merchants/{id}/enable", post(enable_merchant))
        .route("/admin/merchants/{id}/outlets", post(create_outlet).get(list_outlets))
        .route("/admin/outlets/{id}", get(get_outlet).put(update_outlet))
        .route("/admin/vouchers", post(create_voucher).get(list_vouchers))
        .route("/admin/vouchers/{id}", get(get_voucher).put(update_voucher))
        .route("/admin/vouchers/{id}/publish", post(publish_voucher))
        .route("/admin/vouchers/{id}/archive", post(archive_voucher))
        .route("/admin/vouchers/{id}/codes", post(upload_codes))
        .route("/admin/redemptions", get(list_redemptions))
}

type Db<'a> = &'a tessera_core::db::Db;

fn db(state: &AppState) -> Db<'_> {
    &state.platform.db
}

async fn create_partner(_: Operator, State(s): State<AppState>, ApiJson(new): ApiJson<NewPartner>) -> Result<(StatusCode, Json<PartnerCredentials>), ApiError> {
    let (_, creds) = partners::create(db(&s), new).await?;
    Ok((StatusCode::CREATED, Json(creds)))
}

async fn list_partners(_: Operator, State(s): State<AppState>) -> Result<Json<Vec<PartnerView>>, ApiError> {
    Ok(Json(partners::list(db(&s)).await?.iter().map(|p| p.view()).collect()))
}

async fn get_partner(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<PartnerView>, ApiError> {
    Ok(Json(partners::get(db(&s), &id).await?.view()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotateRequest {
    kind: SecretKind,
    /// How long the old secret keeps verifying (default 24 h, at most 7 days).
    grace_seconds: Option<i64>,
}

async fn rotate_secret(
    _: Operator,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<RotateRequest>,
) -> Result<Json<PartnerCredentials>, ApiError> {
    let grace = match r.grace_seconds {
        None => partners::DEFAULT_ROTATION_GRACE_MS,
        Some(g) if (0..=7 * 86_400).contains(&g) => g * 1000,
        Some(_) => return Err(ApiError::validation(vec![("graceSeconds", "must be 0–604800".into())])),
    };
    Ok(Json(partners::rotate_secret(db(&s), &id, r.kind, grace).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OriginsRequest {
    allowed_origins: Vec<String>,
}

async fn set_origins(_: Operator, State(s): State<AppState>, Path(id): Path<String>, ApiJson(r): ApiJson<OriginsRequest>) -> Result<Json<PartnerView>, ApiError> {
    Ok(Json(partners::set_allowed_origins(db(&s), &id, &r.allowed_origins).await?.view()))
}

async fn get_user(_: Operator, State(s): State<AppState>, Path((id, ext)): Path<(String, String)>) -> Result<Json<User>, ApiError> {
    Ok(Json(users::get(db(&s), &id, &ext).await?))
}

async fn create_merchant(_: Operator, State(s): State<AppState>, ApiJson(m): ApiJson<MerchantInput>) -> Result<(StatusCode, Json<Merchant>), ApiError> {
    Ok((StatusCode::CREATED, Json(merchants::create(db(&s), &m).await?)))
}

async fn list_merchants(_: Operator, State(s): State<AppState>) -> Result<Json<Vec<Merchant>>, ApiError> {
    Ok(Json(merchants::list(db(&s), false).await?))
}

async fn get_merchant(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::get(db(&s), &id).await?))
}

async fn update_merchant(_: Operator, State(s): State<AppState>, Path(id): Path<String>, ApiJson(m): ApiJson<MerchantInput>) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::update(db(&s), &id, &m).await?))
}

async fn disable_merchant(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::set_status(db(&s), &id, false).await?))
}

async fn enable_merchant(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(merchants::set_status(db(&s), &id, true).await?))
}

async fn create_outlet(_: Operator, State(s): State<AppState>, Path(id): Path<String>, ApiJson(o): ApiJson<OutletInput>) -> Result<(StatusCode, Json<Outlet>), ApiError> {
    Ok((StatusCode::CREATED, Json(merchants::create_outlet(db(&s), &id, &o).await?)))
}

async fn list_outlets(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Vec<Outlet>>, ApiError> {
    merchants::get(db(&s), &id).await?;
    Ok(Json(merchants::outlets(db(&s), &id, None).await?))
}

async fn get_outlet(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Outlet>, ApiError> {
    Ok(Json(merchants::get_outlet(db(&s), &id).await?))
}

async fn update_outlet(_: Operator, State(s): State<AppState>, Path(id): Path<String>, ApiJson(o): ApiJson<OutletInput>) -> Result<Json<Outlet>, ApiError> {
    Ok(Json(merchants::update_outlet(db(&s), &id, &o).await?))
}

async fn create_voucher(_: Operator, State(s): State<AppState>, ApiJson(v): ApiJson<VoucherInput>) -> Result<(StatusCode, Json<Voucher>), ApiError> {
    Ok((StatusCode::CREATED, Json(vouchers::create(db(&s), &v).await?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VoucherFilter {
    merchant_id: Option<String>,
}

async fn list_vouchers(_: Operator, State(s): State<AppState>, ApiQuery(f): ApiQuery<VoucherFilter>) -> Result<Json<Vec<Voucher>>, ApiError> {
    Ok(Json(vouchers::list(db(&s), f.merchant_id.as_deref()).await?))
}

async fn get_voucher(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Voucher>, ApiError> {
    Ok(Json(vouchers::get(db(&s), &id).await?))
}

async fn update_voucher(_: Operator, State(s): State<AppState>, Path(id): Path<String>, ApiJson(v): ApiJson<VoucherInput>) -> Result<Json<Voucher>, ApiError> {
    Ok(Json(vouchers::update(db(&s), &id, &v).await?))
}

async fn publish_voucher(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Published>, ApiError> {
    Ok(Json(vouchers::publish(db(&s), &id).await?))
}

async fn archive_voucher(_: Operator, State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Voucher>, ApiError> {
    Ok(Json(vouchers::archive(db(&s), &id).await?))
}

async fn upload_codes(_: Operator, State(s): State<AppState>, Path(id): Path<String>, ApiJson(u): ApiJson<PoolUpload>) -> Result<Json<PoolUploaded>, ApiError> {
    Ok(Json(vouchers::upload_codes(db(&s), &id, &u).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RedemptionFilter {
    partner_id: Option<String>,
    limit: Option<i64>,
}

async fn list_redemptions(_: Operator, State(s): State<AppState>, ApiQuery(f): ApiQuery<RedemptionFilter>) -> Result<Json<Vec<Redemption>>, ApiError> {
    Ok(Json(redemptions::list_all(db(&s), f.partner_id.as_deref(), f.limit.unwrap_or(100)).await?))
}
