//! The consumer API, `/me/*` (SPEC §4): what the webview (or a partner's own
//! UI) calls for the signed-in user.

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, Consumer},
};
use axum::{
    Json,
    extract::{ConnectInfo, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use tessera_core::error::ErrorBody;
use tessera_core::error::ErrorCode;
use tessera_core::types::UserId;
use tessera_core::{
    catalog::{self, CatalogQuery, VoucherPage, VoucherView},
    claims::{self, Claim, Source},
    error::ApiError,
    favorites,
    geo::GeoPoint,
    merchants::{self, Merchant, Outlet},
    redemptions::{self, RedeemRequest, Redemption},
    sessions::{self, NewSession},
    users::User,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(open_session))
        .routes(routes!(list_vouchers))
        .routes(routes!(get_voucher))
        .routes(routes!(list_merchants))
        .routes(routes!(get_merchant))
        .routes(routes!(list_favorites))
        .routes(routes!(add_favorite, remove_favorite))
        .routes(routes!(claim, wallet))
        .routes(routes!(redeem, history))
        .merge(super::orders::consumer_routes())
}

/// The signed-in user (created just in time from a first JWT).
#[utoipa::path(get, path = "/me", tag = "consumer", security(("bearer" = [])),
    responses(
        (status = 200, body = User),
    ))]
async fn me(State(state): State<AppState>, consumer: Consumer) -> Result<Json<User>, ApiError> {
    Ok(Json(tessera_core::users::get_by_id(&state.platform.db, &consumer.holder.user_id).await?))
}

/// Exchanges a partner JWT for a 24 h platform session (ending any other).
/// Exchange a partner JWT for a 24 h platform session; any other session of the user ends.
#[utoipa::path(post, path = "/me/session", tag = "consumer", security(("bearer" = [])),
    responses(
        (status = 201, body = NewSession),
        (status = 400, description = "bad_request (a session cannot open a session)", body = ErrorBody),
        (status = 429, description = "rate_limited (per client address, and per user)", body = ErrorBody),
    ))]
async fn open_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    consumer: Consumer,
) -> Result<(StatusCode, Json<NewSession>), ApiError> {
    Ok((StatusCode::CREATED, Json(open_session_for(&state, peer, &consumer).await?)))
}

/// Opens a session from a partner JWT (the API's and the webview's way alike):
/// rate-limited per client address; a session cannot open another.
pub(super) async fn open_session_for(state: &AppState, peer: std::net::SocketAddr, consumer: &Consumer) -> Result<NewSession, ApiError> {
    state.limits.session(peer.ip())?;
    if !consumer.via_jwt {
        return Err(ApiError::new(ErrorCode::BadRequest, "Open a session with a partner JWT, not with a session token."));
    }
    sessions::create(&state.platform.db, &consumer.holder.partner_id, &consumer.holder.user_id).await
}

fn parse_near(near: Option<&str>) -> Result<Option<GeoPoint>, ApiError> {
    near.filter(|n| !n.is_empty()).map(|n| GeoPoint::parse_pair(n).map_err(|e| ApiError::validation(vec![("near", e)]))).transpose()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct CatalogParams {
    q: Option<String>,
    merchant_id: Option<String>,
    near: Option<String>,
    cursor: Option<String>,
    coupon: Option<String>,
    limit: Option<i64>,
}

/// The claimable catalog: published, in validity, in stock, cohort-matched, unlocked; each with the user’s claim state.
#[utoipa::path(get, path = "/me/vouchers", tag = "consumer", security(("bearer" = [])),
    params(CatalogParams),
    responses(
        (status = 200, body = VoucherPage),
        (status = 422, description = "validation_failed (near, cursor)", body = ErrorBody),
    ))]
async fn list_vouchers(
    State(state): State<AppState>,
    consumer: Consumer,
    ApiQuery(p): ApiQuery<CatalogParams>,
) -> Result<Json<VoucherPage>, ApiError> {
    let query = CatalogQuery {
        near: parse_near(p.near.as_deref())?,
        q: p.q,
        merchant_id: p.merchant_id,
        cursor: p.cursor,
        coupon: p.coupon,
        unlocked_only: false,
        limit: p.limit.unwrap_or(20),
    };
    Ok(Json(catalog::vouchers_for_user(&state.platform.db, &consumer.holder.user_id, &query).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CouponParam {
    coupon: Option<String>,
}

/// One voucher: visible to the user, or one they hold.
#[utoipa::path(get, path = "/me/vouchers/{id}", tag = "consumer", security(("bearer" = [])),
    params(("id" = String, Path), CouponParam),
    responses(
        (status = 200, body = VoucherView),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
async fn get_voucher(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<CouponParam>,
) -> Result<Json<VoucherView>, ApiError> {
    Ok(Json(catalog::voucher_for_user(&state.platform.db, &consumer.holder.user_id, &id, p.coupon.as_deref()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MerchantView {
    #[serde(flatten)]
    merchant: Merchant,
    favorite: bool,
    outlets: Vec<Outlet>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct NearParam {
    /// `lat,lng`, e.g. `3.1579,101.7123`
    near: Option<String>,
}

async fn merchant_view(state: &AppState, merchant: Merchant, near: Option<GeoPoint>, favs: &[String]) -> Result<MerchantView, ApiError> {
    let outlets = merchants::outlets(&state.platform.db, &merchant.id, near).await?;
    let favorite = favs.contains(&merchant.id);
    Ok(MerchantView { merchant, favorite, outlets })
}

async fn favorite_ids(state: &AppState, user_id: &UserId) -> Result<Vec<String>, ApiError> {
    Ok(favorites::list(&state.platform.db, user_id).await?.into_iter().map(|m| m.id).collect())
}

/// Active merchants with their outlets (nearest first, with distance, when `near` is given).
#[utoipa::path(get, path = "/me/merchants", tag = "consumer", security(("bearer" = [])),
    params(NearParam),
    responses(
        (status = 200, body = Vec<MerchantView>),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
async fn list_merchants(
    State(state): State<AppState>,
    consumer: Consumer,
    ApiQuery(p): ApiQuery<NearParam>,
) -> Result<Json<Vec<MerchantView>>, ApiError> {
    let near = parse_near(p.near.as_deref())?;
    let favs = favorite_ids(&state, &consumer.holder.user_id).await?;
    let mut out = Vec::new();
    for m in merchants::list(&state.platform.db, Some(tessera_core::types::MerchantStatus::Active)).await? {
        out.push(merchant_view(&state, m, near, &favs).await?);
    }
    Ok(Json(out))
}

/// A merchant with its outlets.
#[utoipa::path(get, path = "/me/merchants/{id}", tag = "consumer", security(("bearer" = [])),
    params(("id" = String, Path), NearParam),
    responses(
        (status = 200, body = MerchantView),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
async fn get_merchant(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<NearParam>,
) -> Result<Json<MerchantView>, ApiError> {
    let near = parse_near(p.near.as_deref())?;
    let m = merchants::get_listed(&state.platform.db, &id).await?;
    let favs = favorite_ids(&state, &consumer.holder.user_id).await?;
    Ok(Json(merchant_view(&state, m, near, &favs).await?))
}

/// The user’s favourite merchants.
#[utoipa::path(get, path = "/me/favorites", tag = "consumer", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Merchant>),
    ))]
async fn list_favorites(State(state): State<AppState>, consumer: Consumer) -> Result<Json<Vec<Merchant>>, ApiError> {
    Ok(Json(favorites::list(&state.platform.db, &consumer.holder.user_id).await?))
}

/// Favourite a merchant: the user hears of its newly published vouchers. Idempotent.
#[utoipa::path(put, path = "/me/favorites/{merchant_id}", tag = "consumer", security(("bearer" = [])),
    params(("merchant_id" = String, Path)),
    responses(
        (status = 204, description = "Favourited"),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
async fn add_favorite(State(state): State<AppState>, consumer: Consumer, Path(merchant_id): Path<String>) -> Result<StatusCode, ApiError> {
    favorites::add(&state.platform.db, &consumer.holder.user_id, &merchant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unfavourite a merchant. Idempotent.
#[utoipa::path(delete, path = "/me/favorites/{merchant_id}", tag = "consumer", security(("bearer" = [])),
    params(("merchant_id" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
    ))]
async fn remove_favorite(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(merchant_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    favorites::remove(&state.platform.db, &consumer.holder.user_id, &merchant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClaimRequest {
    voucher_id: String,
    coupon: Option<String>,
}

/// Claim a voucher into the wallet. Emits CLAIM_CREATED; claiming again answers the same open claim.
/// A voucher with a coin cost is paid from the partner's coins ledger first (SPEC §7).
#[utoipa::path(post, path = "/me/claims", tag = "consumer", security(("bearer" = [])),
    request_body = ClaimRequest,
    responses(
        (status = 201, description = "Claimed", body = Claim),
        (status = 200, description = "Already held", body = Claim),
        (status = 400, description = "invalid_json", body = ErrorBody),
        (status = 402, description = "insufficient_coins", body = ErrorBody),
        (status = 404, description = "not_found (no such voucher, a draft, or one this user may not see: another cohort's, unlisted without its code)", body = ErrorBody),
        (status = 409, description = "out_of_stock · limit_reached · conflict (a coin payment for it is in flight)", body = ErrorBody),
        (status = 410, description = "voucher_expired", body = ErrorBody),
        (status = 422, description = "voucher_not_claimable (not valid yet)", body = ErrorBody),
        (status = 501, description = "coins_unavailable", body = ErrorBody),
        (status = 502, description = "ledger_refused", body = ErrorBody),
        (status = 503, description = "ledger_unavailable", body = ErrorBody),
    ))]
async fn claim(State(state): State<AppState>, consumer: Consumer, ApiJson(req): ApiJson<ClaimRequest>) -> Result<Response, ApiError> {
    let (claim, created) = claims::claim(&state.platform, &consumer.holder, &req.voucher_id, req.coupon.as_deref(), Source::Claim).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(claim)).into_response())
}

/// The wallet: active, redeemed and expired claims, newest first.
#[utoipa::path(get, path = "/me/claims", tag = "consumer", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Claim>),
    ))]
async fn wallet(State(state): State<AppState>, consumer: Consumer) -> Result<Json<Vec<Claim>>, ApiError> {
    Ok(Json(claims::wallet(&state.platform.db, &consumer.holder.user_id).await?))
}

/// Redeem a claim at an outlet. No location: FLAGGED gps_unavailable. Outlet without coordinates: SUCCESS outlet_not_geolocated. Emits REDEMPTION_CREATED (without the code).
#[utoipa::path(post, path = "/me/redemptions", tag = "consumer", security(("bearer" = [])),
    request_body = RedeemRequest,
    responses(
        (status = 201, body = Redemption),
        (status = 400, description = "invalid_json", body = ErrorBody),
        (status = 404, description = "not_found (claim or outlet)", body = ErrorBody),
        (status = 409, description = "already_redeemed", body = ErrorBody),
        (status = 410, description = "voucher_expired", body = ErrorBody),
        (status = 422, description = "out_of_range (details.distanceM, details.allowedM) · outlet_mismatch · validation_failed", body = ErrorBody),
    ))]
async fn redeem(
    State(state): State<AppState>,
    consumer: Consumer,
    ApiJson(req): ApiJson<RedeemRequest>,
) -> Result<(StatusCode, Json<Redemption>), ApiError> {
    Ok((StatusCode::CREATED, Json(redemptions::redeem(&state.platform, &consumer.holder.user_id, &req).await?)))
}

/// The user’s redemptions, newest first.
#[utoipa::path(get, path = "/me/redemptions", tag = "consumer", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Redemption>),
    ))]
async fn history(State(state): State<AppState>, consumer: Consumer) -> Result<Json<Vec<Redemption>>, ApiError> {
    Ok(Json(redemptions::history(&state.platform.db, &consumer.holder.user_id).await?))
}
