//! The consumer API, `/me/*` (SPEC §4): what the webview (or a partner's own
//! UI) calls for the signed-in user.

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, Consumer},
};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde::{Deserialize, Serialize};
use tessera_core::{
    catalog::{self, CatalogQuery, VoucherPage, VoucherView},
    claims::{self, Claim, Holder, Source},
    error::ApiError,
    favorites,
    geo::GeoPoint,
    merchants::{self, Merchant, Outlet},
    redemptions::{self, RedeemRequest, Redemption},
    sessions::{self, NewSession},
    users::User,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/session", post(open_session))
        .route("/me/vouchers", get(list_vouchers))
        .route("/me/vouchers/{id}", get(get_voucher))
        .route("/me/merchants", get(list_merchants))
        .route("/me/merchants/{id}", get(get_merchant))
        .route("/me/favorites", get(list_favorites))
        .route("/me/favorites/{merchant_id}", put(add_favorite).delete(remove_favorite))
        .route("/me/claims", post(claim).get(wallet))
        .route("/me/redemptions", post(redeem).get(history))
}

async fn me(consumer: Consumer) -> Json<User> {
    Json(consumer.user)
}

/// Exchanges a partner JWT for a 24 h platform session (ending any other).
async fn open_session(State(state): State<AppState>, consumer: Consumer) -> Result<(StatusCode, Json<NewSession>), ApiError> {
    if !consumer.via_jwt {
        return Err(ApiError::bad_request("bad_request", "Open a session with a partner JWT, not with a session token."));
    }
    let session = sessions::create(&state.platform.db, &consumer.partner_id, &consumer.user.id).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

fn parse_near(near: Option<&str>) -> Result<Option<GeoPoint>, ApiError> {
    near.filter(|n| !n.is_empty()).map(|n| GeoPoint::parse_pair(n).map_err(|e| ApiError::validation(vec![("near", e)]))).transpose()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CatalogParams {
    q: Option<String>,
    merchant_id: Option<String>,
    near: Option<String>,
    cursor: Option<String>,
    coupon: Option<String>,
    limit: Option<i64>,
}

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
        limit: p.limit.unwrap_or(20),
    };
    Ok(Json(catalog::vouchers_for_user(&state.platform.db, &consumer.user.id, &query).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CouponParam {
    coupon: Option<String>,
}

async fn get_voucher(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<CouponParam>,
) -> Result<Json<VoucherView>, ApiError> {
    Ok(Json(catalog::voucher_for_user(&state.platform.db, &consumer.user.id, &id, p.coupon.as_deref()).await?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MerchantView {
    #[serde(flatten)]
    merchant: Merchant,
    favorite: bool,
    outlets: Vec<Outlet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NearParam {
    near: Option<String>,
}

async fn merchant_view(state: &AppState, merchant: Merchant, near: Option<GeoPoint>, favs: &[String]) -> Result<MerchantView, ApiError> {
    let outlets = merchants::outlets(&state.platform.db, &merchant.id, near).await?;
    let favorite = favs.contains(&merchant.id);
    Ok(MerchantView { merchant, favorite, outlets })
}

async fn favorite_ids(state: &AppState, user_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(favorites::list(&state.platform.db, user_id).await?.into_iter().map(|m| m.id).collect())
}

async fn list_merchants(
    State(state): State<AppState>,
    consumer: Consumer,
    ApiQuery(p): ApiQuery<NearParam>,
) -> Result<Json<Vec<MerchantView>>, ApiError> {
    let near = parse_near(p.near.as_deref())?;
    let favs = favorite_ids(&state, &consumer.user.id).await?;
    let mut out = Vec::new();
    for m in merchants::list(&state.platform.db, true).await? {
        out.push(merchant_view(&state, m, near, &favs).await?);
    }
    Ok(Json(out))
}

async fn get_merchant(
    State(state): State<AppState>,
    consumer: Consumer,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<NearParam>,
) -> Result<Json<MerchantView>, ApiError> {
    let near = parse_near(p.near.as_deref())?;
    let m = merchants::get(&state.platform.db, &id).await?;
    if m.status != "active" {
        return Err(ApiError::not_found("No such merchant."));
    }
    let favs = favorite_ids(&state, &consumer.user.id).await?;
    Ok(Json(merchant_view(&state, m, near, &favs).await?))
}

async fn list_favorites(State(state): State<AppState>, consumer: Consumer) -> Result<Json<Vec<Merchant>>, ApiError> {
    Ok(Json(favorites::list(&state.platform.db, &consumer.user.id).await?))
}

async fn add_favorite(State(state): State<AppState>, consumer: Consumer, Path(merchant_id): Path<String>) -> Result<StatusCode, ApiError> {
    favorites::add(&state.platform.db, &consumer.user.id, &merchant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_favorite(State(state): State<AppState>, consumer: Consumer, Path(merchant_id): Path<String>) -> Result<StatusCode, ApiError> {
    favorites::remove(&state.platform.db, &consumer.user.id, &merchant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClaimRequest {
    voucher_id: String,
    coupon: Option<String>,
}

async fn claim(State(state): State<AppState>, consumer: Consumer, ApiJson(req): ApiJson<ClaimRequest>) -> Result<Response, ApiError> {
    let holder = Holder {
        partner_id: consumer.partner_id.clone(),
        user_id: consumer.user.id.clone(),
        external_user_id: consumer.user.external_user_id.clone(),
    };
    let (claim, created) = claims::claim(&state.platform.db, &holder, &req.voucher_id, req.coupon.as_deref(), Source::Claim).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(claim)).into_response())
}

async fn wallet(State(state): State<AppState>, consumer: Consumer) -> Result<Json<Vec<Claim>>, ApiError> {
    Ok(Json(claims::wallet(&state.platform.db, &consumer.user.id).await?))
}

async fn redeem(
    State(state): State<AppState>,
    consumer: Consumer,
    ApiJson(req): ApiJson<RedeemRequest>,
) -> Result<(StatusCode, Json<Redemption>), ApiError> {
    Ok((StatusCode::CREATED, Json(redemptions::redeem(&state.platform.db, &consumer.user.id, &req).await?)))
}

async fn history(State(state): State<AppState>, consumer: Consumer) -> Result<Json<Vec<Redemption>>, ApiError> {
    Ok(Json(redemptions::history(&state.platform.db, &consumer.user.id).await?))
}
