//! Reviewing FLAGGED redemptions (SPEC §12): a redemption accepted without a
//! location waits in a queue until an operator approves or rejects it. The
//! verdict is final, recorded once (a second review is a conflict), told to
//! the user's partner as `REDEMPTION_REVIEWED` and written to the audit log —
//! all in one transaction.

use crate::{
    db::Db,
    error::{ApiError, ErrorCode},
    events,
    people::{self, Person},
    types::{ExternalUserId, FlagReason, PartnerId, ReviewVerdict, Timestamp, UserId},
};
use serde::Serialize;
use serde_json::json;

/// A FLAGGED redemption waiting for a verdict, with what the reviewer weighs.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Waiting {
    pub id: String,
    pub partner_id: PartnerId,
    pub external_user_id: Option<ExternalUserId>,
    pub voucher_title: String,
    pub outlet_id: String,
    pub outlet_name: String,
    pub flag_reason: Option<FlagReason>,
    /// The device's reported accuracy, when it gave a location.
    pub accuracy_m: Option<f64>,
    pub distance_m: Option<f64>,
    /// The outlet's geofence.
    pub radius_m: i64,
    pub redeemed_at: Timestamp,
}

/// Where the queue goes on: after the redemption at this time with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    pub redeemed_at: i64,
    pub id: String,
}

impl After {
    /// The cursor as an address carries it: `<ms>.<id>`.
    pub fn token(&self) -> String {
        format!("{}.{}", self.redeemed_at, self.id)
    }

    pub fn parse(token: &str) -> Option<After> {
        let (at, id) = token.split_once('.')?;
        Some(After { redeemed_at: at.parse().ok()?, id: id.to_string() })
    }
}

/// The oldest waiting redemptions first (of one partner, or all), `limit`
/// of them after the cursor.
pub async fn queue(db: &Db, partner: Option<&PartnerId>, after: Option<&After>, limit: i64) -> Result<Vec<Waiting>, ApiError> {
    let (after_at, after_id) = after.map(|a| (a.redeemed_at, a.id.as_str())).unwrap_or((i64::MIN, ""));
    Ok(sqlx::query_as(
        "SELECT r.id, r.partner_id, u.external_user_id, r.voucher_title, r.outlet_id, r.outlet_name, r.flag_reason, \
                r.accuracy_m, r.distance_m, o.radius_m, r.redeemed_at \
         FROM redemptions r JOIN users u ON u.id = r.user_id JOIN outlets o ON o.id = r.outlet_id \
         WHERE r.status = 'FLAGGED' AND r.reviewed_at IS NULL AND (r.partner_id = $1 OR $1 IS NULL) \
           AND (r.redeemed_at > $2 OR (r.redeemed_at = $2 AND r.id > $3)) \
         ORDER BY r.redeemed_at, r.id LIMIT $4",
    )
    .bind(partner)
    .bind(after_at)
    .bind(after_id)
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?)
}

/// How many wait, of one partner or all.
pub async fn waiting(db: &Db, partner: Option<&PartnerId>) -> Result<i64, ApiError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM redemptions WHERE status = 'FLAGGED' AND reviewed_at IS NULL AND (partner_id = $1 OR $1 IS NULL)",
    )
    .bind(partner)
    .fetch_one(db.pool())
    .await?;
    Ok(n)
}

/// The `REDEMPTION_REVIEWED` event's data, as partners receive it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reviewed {
    pub redemption_id: String,
    pub verdict: ReviewVerdict,
    pub note: Option<String>,
    pub reviewed_at: Timestamp,
}

/// Records `reviewer`'s verdict on a FLAGGED redemption, with its event and
/// its audit line. Unknown or not FLAGGED: 404; reviewed before: 409.
pub async fn decide(
    db: &Db,
    reviewer: &Person,
    id: &str,
    verdict: ReviewVerdict,
    note: Option<&str>,
    now: i64,
) -> Result<Reviewed, ApiError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::validation(vec![("note", "must be at most 500 characters".into())]));
    }
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query(
        "UPDATE redemptions SET review_verdict = $1, reviewed_at = $2, reviewed_by = $3, review_note = $4 \
         WHERE id = $5 AND status = 'FLAGGED' AND reviewed_at IS NULL",
    )
    .bind(verdict)
    .bind(now)
    .bind(&reviewer.id)
    .bind(note)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    type Facts = (PartnerId, UserId, Option<ExternalUserId>, String, String, Option<String>);
    let facts: Option<Facts> = sqlx::query_as(
        "SELECT r.partner_id, r.user_id, u.external_user_id, r.voucher_id, r.outlet_id, r.review_verdict \
         FROM redemptions r JOIN users u ON u.id = r.user_id WHERE r.id = $1 AND r.status = 'FLAGGED'",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((partner, user, external_user_id, voucher_id, outlet_id, _)) = facts else {
        return Err(ApiError::not_found("No such FLAGGED redemption."));
    };
    if changed.rows_affected() == 0 {
        return Err(ApiError::new(ErrorCode::Conflict, "This redemption was reviewed already."));
    }
    let reviewed = Reviewed { redemption_id: id.to_string(), verdict, note: note.map(str::to_string), reviewed_at: Timestamp(now) };
    events::enqueue(
        &mut tx,
        &partner,
        events::EventType::RedemptionReviewed,
        Some(&user),
        json!({
            "redemptionId": id, "userId": user, "externalUserId": external_user_id, "voucherId": voucher_id,
            "outletId": outlet_id, "verdict": verdict, "note": reviewed.note, "reviewedAt": reviewed.reviewed_at,
        }),
    )
    .await?;
    let action = format!("redemption.{verdict}");
    people::audit(
        &mut tx,
        Some(&reviewer.id),
        &action,
        id,
        Some(json!({"status": "FLAGGED"})),
        Some(serde_json::to_value(&reviewed).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(reviewed)
}
