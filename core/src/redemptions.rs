//! Redeeming a claim at an outlet (SPEC §4): where the rules about location,
//! outlets and codes are decided.

use crate::error::ErrorCode;
use crate::merchants::Outlet;
use crate::types::{CodeSource, FlagReason, RedemptionStatus, Timestamp};
use crate::types::{ExternalUserId, PartnerId, UserId};
use crate::{
    Platform,
    clock::now_ms,
    db::{AtOnce, Backend, Db, Refusal, dialect, nullable_f64},
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Redemption {
    #[sqlx(rename = "id")]
    pub redemption_id: String,
    pub status: RedemptionStatus,
    /// `gps_unavailable` (FLAGGED) or `outlet_not_geolocated` (SUCCESS), else null.
    pub flag_reason: Option<FlagReason>,
    pub code: String,
    pub claim_id: String,
    pub voucher_id: String,
    pub voucher_title: String,
    pub outlet_id: String,
    pub outlet_name: String,
    pub distance_m: Option<f64>,
    pub redeemed_at: Timestamp,
    /// The partner's id for the user (partner lookups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<ExternalUserId>,
}

const SELECT: &str = "SELECT r.id, r.status, r.flag_reason, r.code, r.claim_id, r.voucher_id, r.voucher_title, \
     r.outlet_id, r.outlet_name, r.distance_m, r.redeemed_at, u.external_user_id \
     FROM redemptions r JOIN users u ON u.id = r.user_id";

/// The user's side of the redemption's checks.
#[derive(sqlx::FromRow)]
struct ClaimFacts {
    partner_id: PartnerId,
    voucher_id: String,
    voucher_title: String,
    #[sqlx(flatten)]
    claim: Claimed,
    code_source: CodeSource,
    static_code: Option<String>,
    external_user_id: Option<ExternalUserId>,
}

/// What [`decide`] needs to know of the claim.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Claimed {
    /// The voucher's merchant: only its outlets redeem it.
    pub merchant_id: String,
    pub valid_until: Option<i64>,
    pub redeemed_at: Option<i64>,
}

/// Where the device says it is, as [`decide`] weighs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Here {
    pub point: GeoPoint,
    /// Metres; 0 when the device did not say.
    pub accuracy_m: f64,
}

impl Here {
    /// The request's location, checked: coordinates on the globe, a
    /// non-negative accuracy.
    pub fn of(location: Option<Location>) -> Result<Option<Here>, ApiError> {
        let Some(l) = location else { return Ok(None) };
        let point = GeoPoint::new(l.lat, l.lng).map_err(|e| ApiError::validation(vec![("location", e)]))?;
        if l.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
            return Err(ApiError::validation(vec![("location.accuracyM", "must be a non-negative number".into())]));
        }
        Ok(Some(Here { point, accuracy_m: l.accuracy_m.unwrap_or(0.0) }))
    }
}

/// A redemption that may go ahead: how it is recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub status: RedemptionStatus,
    pub flag_reason: Option<FlagReason>,
    /// From the outlet, to a tenth of a metre, when both places are known.
    pub distance_m: Option<f64>,
}

/// Why a redemption may not go ahead, in the order they are checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    AlreadyRedeemed,
    /// Past `valid_until`, the instant itself included ([`crate::catalog::ended`]).
    Expired,
    NoSuchOutlet,
    OutletMismatch,
    /// Farther than the outlet's radius plus the reported accuracy (at most
    /// [`MAX_ACCURACY_ALLOWANCE_M`]).
    OutOfRange {
        distance_m: f64,
        allowed_m: f64,
        outlet_id: String,
        outlet_name: String,
    },
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::AlreadyRedeemed => already_redeemed(),
            Refused::Expired => ApiError::new(ErrorCode::VoucherExpired, "This voucher is no longer valid."),
            Refused::NoSuchOutlet => ApiError::not_found("No such outlet."),
            Refused::OutletMismatch => ApiError::new(ErrorCode::OutletMismatch, "This outlet does not belong to the voucher's merchant."),
            Refused::OutOfRange { distance_m, allowed_m, outlet_id, outlet_name } => ApiError::new(
                ErrorCode::OutOfRange,
                format!(
                    "You are {} from {outlet_name}; come within {} to redeem.",
                    crate::units::format_distance(distance_m),
                    crate::units::format_distance(allowed_m)
                ),
            )
            .with_details(json!({ "distanceM": distance_m, "allowedM": allowed_m, "outletId": outlet_id })),
        }
    }
}

/// The redemption rule (SPEC §4), without the database: whether `claim` may be
/// redeemed at `outlet` (`None`: no such outlet) by a device at `here` (`None`:
/// it could not, or was not allowed to, locate itself) at `now`.
///
/// An outlet without coordinates has nothing to check a location against:
/// SUCCESS, noted `outlet_not_geolocated`. No location at a located outlet:
/// accepted and FLAGGED `gps_unavailable` for the partner's audit.
pub fn decide(claim: &Claimed, outlet: Option<&Outlet>, here: Option<Here>, now: i64) -> Result<Verdict, Refused> {
    if claim.redeemed_at.is_some() {
        return Err(Refused::AlreadyRedeemed);
    }
    if crate::catalog::ended(claim.valid_until, now) {
        return Err(Refused::Expired);
    }
    let outlet = outlet.ok_or(Refused::NoSuchOutlet)?;
    if outlet.merchant_id != claim.merchant_id {
        return Err(Refused::OutletMismatch);
    }
    let verdict = |status, flag_reason, distance_m| Ok(Verdict { status, flag_reason, distance_m });
    match (here, outlet.point()) {
        (_, None) => verdict(RedemptionStatus::Success, Some(FlagReason::OutletNotGeolocated), None),
        (None, Some(_)) => verdict(RedemptionStatus::Flagged, Some(FlagReason::GpsUnavailable), None),
        (Some(here), Some(there)) => {
            let distance_m = (here.point.distance_m(there) * 10.0).round() / 10.0;
            let allowed_m = outlet.radius_m as f64 + here.accuracy_m.min(MAX_ACCURACY_ALLOWANCE_M);
            if distance_m > allowed_m {
                return Err(Refused::OutOfRange { distance_m, allowed_m, outlet_id: outlet.id.clone(), outlet_name: outlet.name.clone() });
            }
            verdict(RedemptionStatus::Success, None, Some(distance_m))
        }
    }
}

/// Redeems the user's claim. Nothing is recorded unless it succeeds.
#[tracing::instrument(skip_all, fields(user_id, claim_id = %req.claim_id, outlet_id = %req.outlet_id))]
pub async fn redeem(p: &Platform, user_id: &UserId, req: &RedeemRequest) -> Result<Redemption, ApiError> {
    let result = redeem_once(&p.db, user_id, req).await;
    p.metrics.redemption(match &result {
        Ok(r) => r.status.as_str().to_string(),
        Err(e) => e.code().as_str().to_string(),
    });
    result
}

async fn redeem_once(db: &Db, user_id: &UserId, req: &RedeemRequest) -> Result<Redemption, ApiError> {
    let here = Here::of(req.location)?;
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
    let outlet = crate::merchants::find_outlet(db, &req.outlet_id).await?;
    let now = now_ms();
    let verdict = decide(&facts.claim, outlet.as_ref(), here, now)?;
    let outlet = outlet.expect("decide refuses a missing outlet");

    let id = new_id();
    let (lat, lng, accuracy) = match req.location {
        Some(l) => (Some(l.lat), Some(l.lng), l.accuracy_m),
        None => (None, None, None),
    };
    let write = RedemptionWrite {
        id: id.clone(),
        claim_id: req.claim_id.clone(),
        user_id: user_id.clone(),
        outlet_id: outlet.id.clone(),
        outlet_name: outlet.name.clone(),
        verdict,
        lat,
        lng,
        accuracy,
        now,
    };
    let (facts, code) = match (db.backend(), known_code(&facts)) {
        (backend, Some(code)) => db.write_at_once(move |tx| Box::pin(write.run_at_once(tx, backend, facts, code))).await?,
        (_, None) => db.write(move |tx| Box::pin(write.run(tx, facts))).await?,
    };
    Ok(Redemption {
        redemption_id: id,
        status: verdict.status,
        flag_reason: verdict.flag_reason,
        code,
        claim_id: req.claim_id.clone(),
        voucher_id: facts.voucher_id,
        voucher_title: facts.voucher_title,
        outlet_id: outlet.id,
        outlet_name: outlet.name,
        distance_m: verdict.distance_m,
        redeemed_at: Timestamp(now),
        external_user_id: None,
    })
}

/// The writes of a redemption, decided by the checks before: taken whole or not at all.
struct RedemptionWrite {
    id: String,
    claim_id: String,
    user_id: UserId,
    outlet_id: String,
    outlet_name: String,
    verdict: Verdict,
    lat: Option<f64>,
    lng: Option<f64>,
    accuracy: Option<f64>,
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
        self.bind_row(sqlx::query(dialect::INSERT_REDEMPTION), &facts, &code).execute(&mut *tx).await?;
        events::enqueue(tx, &facts.partner_id, events::EventType::RedemptionCreated, Some(&self.user_id), self.event(&facts)).await?;
        Ok((facts, code))
    }

    /// Binds the redemption row's `$1`–`$19` (see `db::dialect::INSERT_REDEMPTION`).
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
            .bind(self.verdict.status)
            .bind(self.verdict.flag_reason)
            .bind(code)
            .bind(nullable_f64(self.lat).0)
            .bind(nullable_f64(self.lat).1)
            .bind(nullable_f64(self.lng).1)
            .bind(nullable_f64(self.accuracy).0)
            .bind(nullable_f64(self.accuracy).1)
            .bind(nullable_f64(self.verdict.distance_m).0)
            .bind(nullable_f64(self.verdict.distance_m).1)
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
            "outletName": self.outlet_name, "status": self.verdict.status, "flagReason": self.verdict.flag_reason,
        })
    }

    /// The same three writes in one round trip, all or nothing (like a
    /// claim's, see `Backend::claim_at_once`): the claim is marked first and
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
        let event = events::NewEvent::new(events::EventType::RedemptionCreated, self.event(&facts));
        let AtOnce { sql, whole } = backend.redemption_at_once();
        let written = self
            .bind_row(sqlx::query(sql), &facts, &code)
            .bind(&event.id)
            .bind(events::EventType::RedemptionCreated)
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
pub async fn history(db: &Db, user_id: &UserId) -> Result<Vec<Redemption>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.user_id = $1 ORDER BY r.redeemed_at DESC, r.id"));
    let rows: Vec<Redemption> = sqlx::query_as(sql).bind(user_id).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(|r| Redemption { external_user_id: None, ..r }).collect())
}

/// The redemption of one of the user's claims, if it was redeemed.
pub async fn of_claim(db: &Db, user_id: &UserId, claim_id: &str) -> Result<Option<Redemption>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.claim_id = $1 AND r.user_id = $2"));
    let row: Option<Redemption> = sqlx::query_as(sql).bind(claim_id).bind(user_id).fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Redemption { external_user_id: None, ..r }))
}

/// A partner's redemption, code included; another partner's is a 404.
pub async fn for_partner(db: &Db, partner_id: &PartnerId, id: &str) -> Result<Redemption, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1 AND r.partner_id = $2"));
    let row: Option<Redemption> = sqlx::query_as(sql).bind(id).bind(partner_id).fetch_optional(db.pool()).await?;
    row.ok_or_else(|| ApiError::not_found("No such redemption."))
}

/// Redemptions across partners, newest first, for operators.
pub async fn list_all(db: &Db, partner_id: Option<&PartnerId>, limit: i64) -> Result<Vec<Redemption>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE (r.partner_id = $1 OR $1 IS NULL) ORDER BY r.redeemed_at DESC, r.id LIMIT $2"));
    Ok(sqlx::query_as(sql).bind(partner_id).bind(limit.clamp(1, 1000)).fetch_all(db.pool()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_796_150_000_000;

    fn claim(valid_until: Option<i64>) -> Claimed {
        Claimed { merchant_id: "m1".into(), valid_until, redeemed_at: None }
    }

    /// An outlet of merchant `m1` at (3.1478, 101.7123), or without coordinates.
    fn outlet(radius_m: i64, located: bool) -> Outlet {
        Outlet {
            id: "o1".into(),
            merchant_id: "m1".into(),
            name: "KLCC".into(),
            address: String::new(),
            lat: located.then_some(3.1478),
            lng: located.then_some(101.7123),
            radius_m,
            distance_m: None,
        }
    }

    /// `north_m` metres north of the outlet (a degree of latitude is ≈ 110.6 km there).
    fn here(north_m: f64, accuracy_m: f64) -> Here {
        Here { point: GeoPoint { lat: 3.1478 + north_m / 110_574.0, lng: 101.7123 }, accuracy_m }
    }

    #[test]
    fn the_voucher_ends_at_valid_until_itself() {
        let o = outlet(150, true);
        assert!(decide(&claim(Some(NOW + 1)), Some(&o), Some(here(0.0, 0.0)), NOW).is_ok());
        assert_eq!(decide(&claim(Some(NOW)), Some(&o), Some(here(0.0, 0.0)), NOW), Err(Refused::Expired));
        assert!(decide(&claim(None), Some(&o), Some(here(0.0, 0.0)), NOW).is_ok());
    }

    #[test]
    fn the_accuracy_widens_the_radius_by_at_most_the_cap() {
        let o = outlet(150, true);
        let at = |north, accuracy| decide(&claim(None), Some(&o), Some(here(north, accuracy)), NOW);
        assert!(at(140.0, 0.0).is_ok());
        assert!(matches!(at(160.0, 0.0), Err(Refused::OutOfRange { .. })));
        assert!(at(240.0, 100.0).is_ok());
        // A device claiming ±5 km is given 100 m, not 5 km.
        let Err(Refused::OutOfRange { allowed_m, distance_m, .. }) = at(260.0, 5_000.0) else { panic!("accepted 260 m away") };
        assert_eq!(allowed_m, 250.0);
        assert!((distance_m - 260.0).abs() < 1.0, "{distance_m}");
    }

    #[test]
    fn no_location_is_flagged_and_an_unlocated_outlet_is_noted() {
        let verdict = decide(&claim(None), Some(&outlet(150, true)), None, NOW).unwrap();
        assert_eq!((verdict.status, verdict.flag_reason), (RedemptionStatus::Flagged, Some(FlagReason::GpsUnavailable)));
        let verdict = decide(&claim(None), Some(&outlet(150, false)), Some(here(9_000.0, 0.0)), NOW).unwrap();
        assert_eq!(
            verdict,
            Verdict { status: RedemptionStatus::Success, flag_reason: Some(FlagReason::OutletNotGeolocated), distance_m: None }
        );
    }

    #[test]
    fn another_merchants_outlet_and_a_missing_one_are_refused() {
        let mut other = outlet(150, true);
        other.merchant_id = "m2".into();
        assert_eq!(decide(&claim(None), Some(&other), Some(here(0.0, 0.0)), NOW), Err(Refused::OutletMismatch));
        assert_eq!(decide(&claim(None), None, Some(here(0.0, 0.0)), NOW), Err(Refused::NoSuchOutlet));
    }

    fn location() -> impl Strategy<Value = Option<Here>> {
        proptest::option::of((-500.0f64..500.0, 0.0f64..10_000.0).prop_map(|(north, accuracy)| here(north, accuracy)))
    }

    proptest! {
        /// A redeemed claim is refused first, whatever else holds; then an
        /// ended one; then a missing or foreign outlet.
        #[test]
        fn refusals_come_in_their_order(
            redeemed in any::<bool>(), until in proptest::option::of(NOW - 5..NOW + 5), located in any::<bool>(),
            foreign in any::<bool>(), missing in any::<bool>(), at in location(),
        ) {
            let c = Claimed { redeemed_at: redeemed.then_some(NOW - 1), ..claim(until) };
            let mut o = outlet(150, located);
            if foreign { o.merchant_id = "m2".into(); }
            let verdict = decide(&c, (!missing).then_some(&o), at, NOW);
            let expected = if redeemed { Some(Refused::AlreadyRedeemed) }
                else if until.is_some_and(|u| u <= NOW) { Some(Refused::Expired) }
                else if missing { Some(Refused::NoSuchOutlet) }
                else if foreign { Some(Refused::OutletMismatch) }
                else { None };
            match expected {
                Some(refusal) => prop_assert_eq!(verdict, Err(refusal)),
                None => prop_assert!(!matches!(verdict, Err(Refused::AlreadyRedeemed | Refused::Expired | Refused::NoSuchOutlet | Refused::OutletMismatch))),
            }
        }

        /// Within the radius always passes; beyond the radius plus the cap
        /// never does; more reported accuracy never turns a yes into a no.
        #[test]
        fn distance_decides_within_the_radius_and_the_cap(radius in 1i64..1_000, north in -2_000.0f64..2_000.0, accuracy in 0.0f64..1_000.0, more in 0.0f64..1_000.0) {
            let o = outlet(radius, true);
            let with = |a| decide(&claim(None), Some(&o), Some(here(north, a)), NOW);
            let verdict = with(accuracy);
            let distance = here(north, 0.0).point.distance_m(o.point().unwrap());
            if distance < radius as f64 - 1.0 {
                prop_assert!(verdict.is_ok(), "refused {distance} m inside a {radius} m radius");
            }
            if distance > radius as f64 + MAX_ACCURACY_ALLOWANCE_M + 1.0 {
                prop_assert!(verdict.is_err(), "accepted {distance} m from a {radius} m radius");
            }
            if verdict.is_ok() {
                prop_assert!(with(accuracy + more).is_ok());
                prop_assert_eq!(verdict.unwrap().status, RedemptionStatus::Success);
            }
        }
    }
}
