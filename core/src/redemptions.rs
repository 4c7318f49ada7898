//! Redeeming a claim at an outlet (SPEC §4): where the rules about location,
//! outlets and codes are decided.

use crate::error::ErrorCode;
use crate::types::CodeSource;
use crate::{
    clock::{now_ms, to_rfc3339},
    db::{Backend, Db, Refusal, nullable_f64},
    error::ApiError,
    events,
    geo::GeoPoint,
    ids::{new_id, redemption_code},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A reported accuracy widens the accepted radius, by at most this much.
pub const MAX_ACCURACY_ALLOWANCE_M: f64 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
    /// The device's reported accuracy radius in metres.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedeemRequest {
    pub claim_id: String,
    pub outlet_id: String,
    /// `null` when the device could not (or was not allowed to) locate itself:
    /// the redemption is accepted and FLAGGED `gps_unavailable`.
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redemption {
    pub redemption_id: String,
    /// `SUCCESS` or `FLAGGED`.
    pub status: String,
    /// `gps_unavailable` (FLAGGED) or `outlet_not_geolocated` (SUCCESS), else null.
    pub flag_reason: Option<String>,
    pub code: String,
    pub claim_id: String,
    pub voucher_id: String,
    pub voucher_title: String,
    pub outlet_id: String,
    pub outlet_name: String,
    pub distance_m: Option<f64>,
    pub redeemed_at: String,
    /// The partner's id for the user (partner lookups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RedemptionRow {
    id: String,
    status: String,
    flag_reason: Option<String>,
    code: String,
    claim_id: String,
    voucher_id: String,
    voucher_title: String,
    outlet_id: String,
    outlet_name: String,
    distance_m: Option<f64>,
    redeemed_at: i64,
    external_user_id: Option<String>,
}

impl From<RedemptionRow> for Redemption {
    fn from(r: RedemptionRow) -> Self {
        Redemption {
            redemption_id: r.id,
            status: r.status,
            flag_reason: r.flag_reason,
            code: r.code,
            claim_id: r.claim_id,
            voucher_id: r.voucher_id,
            voucher_title: r.voucher_title,
            outlet_id: r.outlet_id,
            outlet_name: r.outlet_name,
            distance_m: r.distance_m,
            redeemed_at: to_rfc3339(r.redeemed_at),
            external_user_id: r.external_user_id,
        }
    }
}

const SELECT: &str = "SELECT r.id, r.status, r.flag_reason, r.code, r.claim_id, r.voucher_id, r.voucher_title, \
     r.outlet_id, r.outlet_name, r.distance_m, r.redeemed_at, u.external_user_id \
     FROM redemptions r JOIN users u ON u.id = r.user_id";

#[derive(sqlx::FromRow)]
struct ClaimFacts {
    partner_id: String,
    voucher_id: String,
    voucher_title: String,
    merchant_id: String,
    valid_until: Option<i64>,
    code_source: CodeSource,
    static_code: Option<String>,
    redeemed_at: Option<i64>,
    external_user_id: Option<String>,
}

/// Redeems the user's claim. Nothing is recorded unless it succeeds.
pub async fn redeem(db: &Db, user_id: &str, req: &RedeemRequest) -> Result<Redemption, ApiError> {
    let location = match req.location {
        None => None,
        Some(l) => {
            let point = GeoPoint::new(l.lat, l.lng).map_err(|e| ApiError::validation(vec![("location", e)]))?;
            if l.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
                return Err(ApiError::validation(vec![("location.accuracyM", "must be a non-negative number".into())]));
            }
            Some((point, l.accuracy_m.unwrap_or(0.0)))
        }
    };
    let facts: ClaimFacts = sqlx::query_as(
        "SELECT c.partner_id, c.voucher_id, c.voucher_title, v.merchant_id, v.valid_until, v.code_source, v.static_code, \
         c.redeemed_at, u.external_user_id \
         FROM claims c JOIN vouchers v ON v.id = c.voucher_id JOIN users u ON u.id = c.user_id \
         WHERE c.id = $1 AND c.user_id = $2",
    )
    .bind(&req.claim_id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("No such claim in this wallet."))?;
    if facts.redeemed_at.is_some() {
        return Err(already_redeemed());
    }
    let now = now_ms();
    if facts.valid_until.is_some_and(|u| u <= now) {
        return Err(ApiError::new(ErrorCode::VoucherExpired, "This voucher is no longer valid."));
    }
    let outlet = crate::merchants::get_outlet(db, &req.outlet_id).await?;
    if outlet.merchant_id != facts.merchant_id {
        return Err(ApiError::new(ErrorCode::OutletMismatch, "This outlet does not belong to the voucher's merchant."));
    }
    let (status, flag_reason, distance) = match (location, outlet.point()) {
        // Nothing to check a location against: the webview does not even ask for one.
        (_, None) => ("SUCCESS", Some("outlet_not_geolocated"), None),
        (None, Some(_)) => ("FLAGGED", Some("gps_unavailable"), None),
        (Some((here, accuracy)), Some(there)) => {
            let distance = (here.distance_m(there) * 10.0).round() / 10.0;
            let allowed = outlet.radius_m as f64 + accuracy.min(MAX_ACCURACY_ALLOWANCE_M);
            if distance > allowed {
                return Err(ApiError::new(
                    ErrorCode::OutOfRange,
                    format!(
                        "You are {} from {}; come within {} to redeem.",
                        crate::units::format_distance(distance),
                        outlet.name,
                        crate::units::format_distance(allowed)
                    ),
                )
                .with_details(json!({ "distanceM": distance, "allowedM": allowed, "outletId": outlet.id })));
            }
            ("SUCCESS", None, Some(distance))
        }
    };

    let id = new_id();
    let (lat, lng, accuracy) = match req.location {
        Some(l) => (Some(l.lat), Some(l.lng), l.accuracy_m),
        None => (None, None, None),
    };
    let write = RedemptionWrite {
        id: id.clone(),
        claim_id: req.claim_id.clone(),
        user_id: user_id.to_string(),
        outlet_id: outlet.id.clone(),
        outlet_name: outlet.name.clone(),
        status,
        flag_reason,
        lat,
        lng,
        accuracy,
        distance,
        now,
    };
    let (facts, code) = match (db.backend(), known_code(&facts)) {
        (backend, Some(code)) => db.write_at_once(move |tx| Box::pin(write.run_at_once(tx, backend, facts, code))).await?,
        (_, None) => db.write(move |tx| Box::pin(write.run(tx, facts))).await?,
    };
    Ok(Redemption {
        redemption_id: id,
        status: status.into(),
        flag_reason: flag_reason.map(Into::into),
        code,
        claim_id: req.claim_id.clone(),
        voucher_id: facts.voucher_id,
        voucher_title: facts.voucher_title,
        outlet_id: outlet.id,
        outlet_name: outlet.name,
        distance_m: distance,
        redeemed_at: to_rfc3339(now),
        external_user_id: None,
    })
}

/// The redemption row's insert, without its values (both write paths share it).
macro_rules! insert_redemption {
    () => {
        "INSERT INTO redemptions (id, claim_id, partner_id, user_id, voucher_id, outlet_id, status, flag_reason, code, \
         lat, lng, accuracy_m, distance_m, voucher_title, outlet_name, redeemed_at)"
    };
}

/// Its values, as `RedemptionWrite::bind_row` binds them (nullable floats as
/// `(present, value)` pairs).
macro_rules! redemption_values {
    () => {
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10 = 1 THEN $11 END, CASE WHEN $10 = 1 THEN $12 END, \
         CASE WHEN $13 = 1 THEN $14 END, CASE WHEN $15 = 1 THEN $16 END, $17, $18, $19"
    };
}

/// The writes of a redemption, decided by the checks before: taken whole or not at all.
struct RedemptionWrite {
    id: String,
    claim_id: String,
    user_id: String,
    outlet_id: String,
    outlet_name: String,
    status: &'static str,
    flag_reason: Option<&'static str>,
    lat: Option<f64>,
    lng: Option<f64>,
    accuracy: Option<f64>,
    distance: Option<f64>,
    now: i64,
}

impl RedemptionWrite {
    async fn run(self, tx: &mut sqlx::AnyConnection, facts: ClaimFacts) -> Result<(ClaimFacts, String), ApiError> {
        // The claim is marked first, conditionally: of any number of concurrent
        // redemptions exactly one sees a row change.
        let marked = sqlx::query("UPDATE claims SET redeemed_at = $2 WHERE id = $1 AND redeemed_at IS NULL")
            .bind(&self.claim_id)
            .bind(self.now)
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() == 0 {
            return Err(already_redeemed());
        }
        let code = match known_code(&facts) {
            Some(code) => code,
            None => {
                let (code,): (String,) = sqlx::query_as("SELECT code FROM voucher_codes WHERE claim_id = $1")
                    .bind(&self.claim_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("pool claim without a reserved code")))?;
                code
            }
        };
        self.bind_row(sqlx::query(concat!(insert_redemption!(), " VALUES (", redemption_values!(), ")")), &facts, &code)
            .execute(&mut *tx)
            .await?;
        events::enqueue(tx, &facts.partner_id, events::REDEMPTION_CREATED, Some(&self.user_id), self.event(&facts)).await?;
        Ok((facts, code))
    }

    /// Binds the redemption row's `$1`–`$19` (see `redemption_values!`).
    fn bind_row<'q>(
        &'q self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        facts: &'q ClaimFacts,
        code: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        q.bind(&self.id)
            .bind(&self.claim_id)
            .bind(&facts.partner_id)
            .bind(&self.user_id)
            .bind(&facts.voucher_id)
            .bind(&self.outlet_id)
            .bind(self.status)
            .bind(self.flag_reason)
            .bind(code)
            .bind(nullable_f64(self.lat).0)
            .bind(nullable_f64(self.lat).1)
            .bind(nullable_f64(self.lng).1)
            .bind(nullable_f64(self.accuracy).0)
            .bind(nullable_f64(self.accuracy).1)
            .bind(nullable_f64(self.distance).0)
            .bind(nullable_f64(self.distance).1)
            .bind(&facts.voucher_title)
            .bind(&self.outlet_name)
            .bind(self.now)
    }

    /// The `REDEMPTION_CREATED` data. The code stays out of the event: it is
    /// the user's, not the partner's backend's.
    fn event(&self, facts: &ClaimFacts) -> serde_json::Value {
        json!({
            "userId": self.user_id, "externalUserId": facts.external_user_id, "redemptionId": self.id,
            "voucherId": facts.voucher_id, "voucherTitle": facts.voucher_title, "outletId": self.outlet_id,
            "outletName": self.outlet_name, "status": self.status, "flagReason": self.flag_reason,
        })
    }

    /// The same three writes in one round trip, all or nothing (like a
    /// claim's, see `claims::CLAIM_AT_ONCE`): the claim is marked first and
    /// conditionally — a second redemption changes no row there, before
    /// anything is written — then the redemption and the event only if the
    /// write before happened. On SQLite a script without a savepoint (3 rows
    /// changed, or none); on PostgreSQL one statement of chained CTEs outside a
    /// transaction (its one event inserted, or nothing).
    async fn run_at_once(
        self,
        tx: &mut sqlx::AnyConnection,
        backend: Backend,
        facts: ClaimFacts,
        code: String,
    ) -> Result<(ClaimFacts, String), Refusal<ApiError>> {
        let event = events::NewEvent::new(events::REDEMPTION_CREATED, self.event(&facts));
        let sqlite = concat!(
            "UPDATE claims SET redeemed_at = $19 WHERE id = $2 AND redeemed_at IS NULL; ",
            insert_redemption!(),
            " SELECT ",
            redemption_values!(),
            " WHERE changes() = 1; \
             INSERT INTO events (id, partner_id, type, user_id, payload, created_at) \
             SELECT $20, $3, $21, $4, $22, $23 WHERE changes() = 1"
        );
        let postgres = concat!(
            "WITH marked AS (UPDATE claims SET redeemed_at = $19 WHERE id = $2 AND redeemed_at IS NULL RETURNING id), \
             redemption AS (",
            insert_redemption!(),
            " SELECT ",
            redemption_values!(),
            " FROM marked RETURNING id) \
             INSERT INTO events (id, partner_id, type, user_id, payload, created_at) \
             SELECT $20, $3, $21, $4, $22, $23 FROM redemption"
        );
        let (sql, whole) = match backend {
            Backend::Sqlite => (sqlite, 3),
            Backend::Postgres => (postgres, 1),
        };
        let written = self
            .bind_row(sqlx::query(sql), &facts, &code)
            .bind(&event.id)
            .bind(events::REDEMPTION_CREATED)
            .bind(event.payload)
            .bind(event.created_at)
            .execute(&mut *tx)
            .await;
        match written {
            Ok(done) if done.rows_affected() == whole => Ok((facts, code)),
            Ok(done) if done.rows_affected() == 0 => Err(Refusal::Clean(already_redeemed())),
            Ok(done) => Err(Refusal::Partial(ApiError::internal(anyhow::anyhow!(
                "a redemption changed {} rows, not {whole}",
                done.rows_affected()
            )))),
            Err(e) => Err(Refusal::Partial(e.into())),
        }
    }
}

/// The code a redemption gives when it is known before writing: a static code
/// or a new generated one; `None` for a pool code (reserved at claim time).
fn known_code(facts: &ClaimFacts) -> Option<String> {
    match facts.code_source {
        CodeSource::Pool => None,
        CodeSource::Static => Some(facts.static_code.clone().unwrap_or_default()),
        CodeSource::Generated => Some(redemption_code()),
    }
}

fn already_redeemed() -> ApiError {
    ApiError::new(ErrorCode::AlreadyRedeemed, "This voucher was already redeemed.")
}

/// The user's redemptions, newest first.
pub async fn history(db: &Db, user_id: &str) -> Result<Vec<Redemption>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.user_id = $1 ORDER BY r.redeemed_at DESC, r.id"));
    let rows: Vec<RedemptionRow> = sqlx::query_as(sql).bind(user_id).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(|r| Redemption { external_user_id: None, ..r.into() }).collect())
}

/// The redemption of one of the user's claims, if it was redeemed.
pub async fn of_claim(db: &Db, user_id: &str, claim_id: &str) -> Result<Option<Redemption>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.claim_id = $1 AND r.user_id = $2"));
    let row: Option<RedemptionRow> = sqlx::query_as(sql).bind(claim_id).bind(user_id).fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Redemption { external_user_id: None, ..r.into() }))
}

/// A partner's redemption, code included; another partner's is a 404.
pub async fn for_partner(db: &Db, partner_id: &str, id: &str) -> Result<Redemption, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1 AND r.partner_id = $2"));
    let row: Option<RedemptionRow> = sqlx::query_as(sql).bind(id).bind(partner_id).fetch_optional(db.pool()).await?;
    row.map(Redemption::from).ok_or_else(|| ApiError::not_found("No such redemption."))
}

/// Redemptions across partners, newest first, for operators.
pub async fn list_all(db: &Db, partner_id: Option<&str>, limit: i64) -> Result<Vec<Redemption>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE ($1 = '' OR r.partner_id = $1) ORDER BY r.redeemed_at DESC, r.id LIMIT $2"));
    let rows: Vec<RedemptionRow> =
        sqlx::query_as(sql).bind(partner_id.unwrap_or("")).bind(limit.clamp(1, 1000)).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(Redemption::from).collect())
}
