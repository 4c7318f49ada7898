//! Merchants and their outlets, as the operator manages them.

use crate::{
    clock::now_ms,
    db::{Db, nullable_f64},
    error::ApiError,
    geo::GeoPoint,
    ids::new_id,
    types::{MerchantStatus, Timestamp},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    pub id: String,
    pub name: String,
    pub description: String,
    pub logo_url: Option<String>,
    /// Its logo as uploaded (`POST /admin/images?kind=logo`), served in resized variants.
    pub logo_image_id: Option<String>,
    /// Its cover, a 16:9 picture (`POST /admin/images?kind=voucher`) across the top of its screen.
    pub cover_image_id: Option<String>,
    pub status: MerchantStatus,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MerchantInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub logo_url: Option<String>,
    /// A square logo uploaded with `POST /admin/images?kind=logo` (at least 56×56); preferred over `logoUrl`.
    #[serde(default)]
    pub logo_image_id: Option<String>,
    /// A 16:9 cover uploaded with `POST /admin/images?kind=voucher` (at least 353×199).
    #[serde(default)]
    pub cover_image_id: Option<String>,
}

/// A merchant's or an outlet's name: 1–200 characters, not only spaces.
fn check_name(name: &str) -> Option<(&'static str, String)> {
    (name.trim().is_empty() || name.len() > 200).then(|| ("name", "give a name of 1–200 characters".to_string()))
}

impl MerchantInput {
    fn validate(&self) -> Result<(), ApiError> {
        let mut bad = vec![];
        bad.extend(check_name(&self.name));
        if self.description.len() > 4000 {
            bad.push(("description", "at most 4000 characters".into()));
        }
        // The webview is served over https: an http:// image would be mixed content.
        if let Some(u) = &self.logo_url
            && !url::Url::parse(u).is_ok_and(|u| u.scheme() == "https")
        {
            bad.push(("logoUrl", "must be an https URL".into()));
        }
        if bad.is_empty() { Ok(()) } else { Err(ApiError::validation(bad)) }
    }
}

const SELECT: &str = "SELECT id, name, description, logo_url, logo_image_id, cover_image_id, status, created_at FROM merchants";

/// The pictures an input names, each of its kind.
async fn check_pictures(db: &Db, input: &MerchantInput) -> Result<(), ApiError> {
    use crate::images::{Kind, check_ref};
    check_ref(db, "logoImageId", input.logo_image_id.as_deref(), Kind::Logo).await?;
    check_ref(db, "coverImageId", input.cover_image_id.as_deref(), Kind::Voucher).await
}

pub async fn create(db: &Db, input: &MerchantInput) -> Result<Merchant, ApiError> {
    input.validate()?;
    check_pictures(db, input).await?;
    let id = new_id();
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO merchants (id, name, description, logo_url, status, created_at, updated_at, logo_image_id, cover_image_id) \
         VALUES ($1, $2, $3, $4, 'active', $5, $5, $6, $7)",
    )
    .bind(&id)
    .bind(input.name.trim())
    .bind(&input.description)
    .bind(&input.logo_url)
    .bind(now)
    .bind(&input.logo_image_id)
    .bind(&input.cover_image_id)
    .execute(&mut *tx)
    .await?;
    crate::events::enqueue_for_every_partner(
        &mut tx,
        crate::events::EventType::MerchantCreated,
        serde_json::json!({ "merchantId": id, "merchantName": input.name.trim() }),
    )
    .await?;
    tx.commit().await?;
    get(db, &id).await
}

pub async fn update(db: &Db, id: &str, input: &MerchantInput) -> Result<Merchant, ApiError> {
    input.validate()?;
    check_pictures(db, input).await?;
    let done = sqlx::query(
        "UPDATE merchants SET name = $2, description = $3, logo_url = $4, updated_at = $5, logo_image_id = $6, \
         cover_image_id = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(input.name.trim())
    .bind(&input.description)
    .bind(&input.logo_url)
    .bind(now_ms())
    .bind(&input.logo_image_id)
    .bind(&input.cover_image_id)
    .execute(db.write_pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found("No such merchant."));
    }
    get(db, id).await
}

/// Moves a merchant to `status`; disabling it tells every partner (MERCHANT_DISABLED).
pub async fn set_status(db: &Db, id: &str, status: MerchantStatus) -> Result<Merchant, ApiError> {
    let mut tx = db.begin_write().await?;
    // Only a change of status counts (and disabling twice reports once).
    let done = sqlx::query("UPDATE merchants SET status = $2, updated_at = $3 WHERE id = $1 AND status <> $2")
        .bind(id)
        .bind(status)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() > 0 && status == MerchantStatus::Disabled {
        let (name,): (String,) = sqlx::query_as("SELECT name FROM merchants WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        crate::events::enqueue_for_every_partner(
            &mut tx,
            crate::events::EventType::MerchantDisabled,
            serde_json::json!({ "merchantId": id, "merchantName": name }),
        )
        .await?;
    }
    tx.commit().await?;
    get(db, id).await
}

/// A merchant, whatever its status (the operator's view).
pub async fn get(db: &Db, id: &str) -> Result<Merchant, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1"));
    let row: Option<Merchant> = sqlx::query_as(sql).bind(id).fetch_optional(db.pool()).await?;
    row.ok_or_else(|| ApiError::not_found("No such merchant."))
}

/// A merchant as users may see it: an active one. A disabled merchant does not
/// exist for them (404, as an unknown id) — the one statement of that rule.
pub async fn get_listed(db: &Db, id: &str) -> Result<Merchant, ApiError> {
    let m = get(db, id).await?;
    if m.status != MerchantStatus::Active {
        return Err(ApiError::not_found("No such merchant."));
    }
    Ok(m)
}

/// A page of merchants by name (the console's list): whose name has `text`,
/// of `status`, after the merchant `after` (the last of the page before).
pub async fn find(
    db: &Db,
    text: Option<&str>,
    status: Option<MerchantStatus>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Merchant>, ApiError> {
    let last = match after.filter(|a| !a.is_empty()) {
        Some(id) => Some(get(db, id).await?),
        None => None,
    };
    let text = text.map(str::trim).filter(|t| !t.is_empty()).map(|t| format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 = '' OR LOWER(name) LIKE $1) AND ($2 = '' OR status = $2) AND (name > $3 OR (name = $3 AND id > $4)) \
         ORDER BY name, id LIMIT $5"
    ));
    Ok(sqlx::query_as(sql)
        .bind(text.unwrap_or_default())
        .bind(status.map(|s| s.as_str()).unwrap_or(""))
        .bind(last.as_ref().map_or("", |m| m.name.as_str()))
        .bind(last.as_ref().map_or("", |m| m.id.as_str()))
        .bind(limit.clamp(1, 500))
        .fetch_all(db.pool())
        .await?)
}

/// Merchants by name, all of them or those with `status`.
pub async fn list(db: &Db, status: Option<MerchantStatus>) -> Result<Vec<Merchant>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE (status = $1 OR $1 IS NULL) ORDER BY name, id"));
    Ok(sqlx::query_as(sql).bind(status).fetch_all(db.pool()).await?)
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Outlet {
    pub id: String,
    pub merchant_id: String,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub radius_m: i64,
    /// Metres from the `near` point, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[sqlx(skip)]
    pub distance_m: Option<f64>,
}

impl Outlet {
    pub fn point(&self) -> Option<GeoPoint> {
        Some(GeoPoint { lat: self.lat?, lng: self.lng? })
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutletInput {
    pub name: String,
    #[serde(default)]
    pub address: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// How far from the outlet a redemption is accepted, in metres (default 150).
    pub radius_m: Option<i64>,
}

impl OutletInput {
    fn validate(&self) -> Result<(), ApiError> {
        let mut bad = vec![];
        bad.extend(check_name(&self.name));
        match (self.lat, self.lng) {
            (None, None) => {}
            (Some(lat), Some(lng)) => {
                if let Err(e) = GeoPoint::new(lat, lng) {
                    bad.push(("lat", e));
                }
            }
            _ => bad.push(("lat", "give both lat and lng, or neither".into())),
        }
        if self.radius_m.is_some_and(|r| !(1..=100_000).contains(&r)) {
            bad.push(("radiusM", "must be 1–100000 metres".into()));
        }
        if bad.is_empty() { Ok(()) } else { Err(ApiError::validation(bad)) }
    }
}

const OUTLET_SELECT: &str = "SELECT id, merchant_id, name, address, lat, lng, radius_m FROM outlets";

pub async fn create_outlet(db: &Db, merchant_id: &str, input: &OutletInput) -> Result<Outlet, ApiError> {
    input.validate()?;
    get(db, merchant_id).await?;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO outlets (id, merchant_id, name, address, lat, lng, radius_m, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, CASE WHEN $5 = 1 THEN $6 END, CASE WHEN $5 = 1 THEN $7 END, $8, $9, $9)",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(input.name.trim())
    .bind(&input.address)
    .bind(nullable_f64(input.lat).0)
    .bind(nullable_f64(input.lat).1)
    .bind(nullable_f64(input.lng).1)
    .bind(input.radius_m.unwrap_or(150))
    .bind(now)
    .execute(db.write_pool())
    .await?;
    get_outlet(db, &id).await
}

pub async fn update_outlet(db: &Db, id: &str, input: &OutletInput) -> Result<Outlet, ApiError> {
    input.validate()?;
    let done = sqlx::query(
        "UPDATE outlets SET name = $2, address = $3, lat = CASE WHEN $4 = 1 THEN $5 END, \
         lng = CASE WHEN $4 = 1 THEN $6 END, radius_m = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(id)
    .bind(input.name.trim())
    .bind(&input.address)
    .bind(nullable_f64(input.lat).0)
    .bind(nullable_f64(input.lat).1)
    .bind(nullable_f64(input.lng).1)
    .bind(input.radius_m.unwrap_or(150))
    .bind(now_ms())
    .execute(db.write_pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found("No such outlet."));
    }
    get_outlet(db, id).await
}

pub async fn get_outlet(db: &Db, id: &str) -> Result<Outlet, ApiError> {
    find_outlet(db, id).await?.ok_or_else(|| ApiError::not_found("No such outlet."))
}

/// The outlet `id`, if there is one.
pub async fn find_outlet(db: &Db, id: &str) -> Result<Option<Outlet>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{OUTLET_SELECT} WHERE id = $1"));
    Ok(sqlx::query_as(sql).bind(id).fetch_optional(db.pool()).await?)
}

/// A merchant's outlets; with `near`, each carries its distance and the
/// nearest come first.
pub async fn outlets(db: &Db, merchant_id: &str, near: Option<GeoPoint>) -> Result<Vec<Outlet>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{OUTLET_SELECT} WHERE merchant_id = $1 ORDER BY name, id"));
    let mut out: Vec<Outlet> = sqlx::query_as(sql).bind(merchant_id).fetch_all(db.pool()).await?;
    if let Some(near) = near {
        for o in &mut out {
            o.distance_m = o.point().map(|p| (near.distance_m(p) * 10.0).round() / 10.0);
        }
        out.sort_by(|a, b| a.distance_m.unwrap_or(f64::MAX).total_cmp(&b.distance_m.unwrap_or(f64::MAX)));
    }
    Ok(out)
}
