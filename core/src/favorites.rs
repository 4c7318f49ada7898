//! Favourite merchants: they decide who hears of a newly published voucher.

use crate::types::UserId;
use crate::{clock::now_ms, db::Db, error::ApiError, merchants::Merchant};

pub async fn add(db: &Db, user_id: &UserId, merchant_id: &str) -> Result<(), ApiError> {
    crate::merchants::get_listed(db, merchant_id).await?;
    sqlx::query(
        "INSERT INTO favorites (user_id, merchant_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, merchant_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(merchant_id)
    .bind(now_ms())
    .execute(db.write_pool())
    .await?;
    Ok(())
}

pub async fn remove(db: &Db, user_id: &UserId, merchant_id: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM favorites WHERE user_id = $1 AND merchant_id = $2")
        .bind(user_id)
        .bind(merchant_id)
        .execute(db.write_pool())
        .await?;
    Ok(())
}

pub async fn list(db: &Db, user_id: &UserId) -> Result<Vec<Merchant>, ApiError> {
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT f.merchant_id FROM favorites f JOIN merchants m ON m.id = f.merchant_id \
         WHERE f.user_id = $1 AND m.status = 'active' ORDER BY f.created_at DESC",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        out.push(crate::merchants::get(db, &id).await?);
    }
    Ok(out)
}
