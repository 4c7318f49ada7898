//! The voucher catalog as end users browse it.

use serde::{Deserialize, Serialize};

/// What kind of value a voucher gives; informational, shown as a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueType {
    FreeItem,
    Percent,
    Fixed,
    Bogo,
}

#[cfg(feature = "server")]
crate::sql_text!(ValueType);

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::FreeItem => "FREE_ITEM",
            ValueType::Percent => "PERCENT",
            ValueType::Fixed => "FIXED",
            ValueType::Bogo => "BOGO",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::FreeItem, Self::Percent, Self::Fixed, Self::Bogo].into_iter().find(|v| v.as_str() == s)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            ValueType::FreeItem => "Free item",
            ValueType::Percent => "Percent off",
            ValueType::Fixed => "Money off",
            ValueType::Bogo => "Buy one, get one",
        }
    }
}

/// A published voucher as a card in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherCard {
    pub id: String,
    pub merchant_id: String,
    pub merchant_name: String,
    /// With `{b}{r}{s}` markup; see [`crate::markup`].
    pub title: String,
    pub description: String,
    pub value_type: Option<ValueType>,
    /// PERCENT: the percentage; FIXED: minor units of `currency`.
    #[serde(default)]
    pub value: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Its picture and its merchant's logo, served by `/images/{id}/{width}`.
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub merchant_logo_id: Option<String>,
}

/// Whether a voucher valid until `valid_until` has ended at `now`: the
/// instant itself included. Every check of the end of validity is this one —
/// claims, redemptions, wallet states — and the SQL of the lists
/// (`server::open_at`) states the same boundary.
pub fn ended(valid_until: Option<i64>, now: i64) -> bool {
    valid_until.is_some_and(|u| u <= now)
}

/// Where a user stands with a voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimStatus {
    Active,
    Redeemed,
    Expired,
}

impl ClaimStatus {
    /// A claim's status from its redemption time and its voucher's end of validity.
    pub fn of(redeemed_at: Option<i64>, valid_until: Option<i64>, now: i64) -> Self {
        if redeemed_at.is_some() {
            ClaimStatus::Redeemed
        } else if ended(valid_until, now) {
            ClaimStatus::Expired
        } else {
            ClaimStatus::Active
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClaimState {
    pub claim_id: String,
    pub status: ClaimStatus,
}

/// A voucher as an end user sees it (`/me/vouchers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoucherView {
    pub id: String,
    pub merchant_id: String,
    pub merchant_name: String,
    /// With `{b}{r}{s}` markup.
    pub title: String,
    pub description: String,
    pub value_type: Option<ValueType>,
    pub value: Option<i64>,
    pub currency: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    /// Units left to claim; absent when unlimited.
    pub stock_left: Option<i64>,
    pub per_user_limit: i64,
    pub coin_cost: Option<i64>,
    /// The user's latest claim of it, if any.
    pub claim: Option<ClaimState>,
    /// Metres to the merchant's nearest outlet, when `near` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Its picture (16:9) and its merchant's logo (square): `GET /images/{id}/{width}`,
    /// `width` 353, 706 or 1059 for a picture and 56, 112 or 168 for a logo.
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub merchant_logo_id: Option<String>,
    /// Sold as a gift card at this price (SPEC §10): bought through
    /// `POST /me/orders`, not claimed. Absent: claimed (free or for coins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<crate::orders::Price>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoucherPage {
    pub items: Vec<VoucherView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl From<VoucherView> for VoucherCard {
    fn from(v: VoucherView) -> Self {
        VoucherCard {
            id: v.id,
            merchant_id: v.merchant_id,
            merchant_name: v.merchant_name,
            title: v.title,
            description: v.description,
            value_type: v.value_type,
            value: v.value,
            currency: v.currency,
            valid_until: v.valid_until,
            image_id: v.image_id,
            merchant_logo_id: v.merchant_logo_id,
        }
    }
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
pub(crate) mod server {
    use super::*;
    use crate::{
        clock::{now_ms, to_rfc3339},
        db::Db,
        error::ApiError,
        geo::GeoPoint,
    };
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    #[derive(sqlx::FromRow)]
    struct CardRow {
        id: String,
        merchant_id: String,
        merchant_name: String,
        title: String,
        description: String,
        value_type: Option<String>,
        value_amount: Option<i64>,
        currency: Option<String>,
        valid_until: Option<i64>,
        image_id: Option<String>,
        merchant_logo_id: Option<String>,
    }

    impl From<CardRow> for VoucherCard {
        fn from(r: CardRow) -> Self {
            VoucherCard {
                id: r.id,
                merchant_id: r.merchant_id,
                merchant_name: r.merchant_name,
                title: r.title,
                description: r.description,
                value_type: r.value_type.as_deref().and_then(ValueType::parse),
                value: r.value_amount,
                currency: r.currency,
                valid_until: r.valid_until.map(to_rfc3339),
                image_id: r.image_id,
                merchant_logo_id: r.merchant_logo_id,
            }
        }
    }

    /// A [`CardRow`] of `vouchers v` with its merchant `m`.
    const CARD_SELECT: &str = "SELECT v.id, v.merchant_id, m.name AS merchant_name, v.title, v.description, v.value_type, \
         v.value_amount, v.currency, v.valid_until, v.image_id, m.logo_image_id AS merchant_logo_id \
         FROM vouchers v JOIN merchants m ON m.id = v.merchant_id";

    /// The public catalog, newest first: what a user in no cohort, without a
    /// coupon, may see — published vouchers of active merchants that no cohort
    /// and no unlock code restrict.
    pub async fn published_vouchers(db: &Db) -> Result<Vec<VoucherCard>, ApiError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{CARD_SELECT} WHERE {} \
               AND {open} \
             ORDER BY v.published_at DESC, v.id",
            visible_to("NULL", "NULL"),
            open = open_at("$1")
        ));
        let rows: Vec<CardRow> = sqlx::query_as(sql).bind(now_ms()).fetch_all(db.pool()).await?;
        Ok(rows.into_iter().map(VoucherCard::from).collect())
    }

    /// The search, for anyone: what `viewer` (`None`: signed out) could claim —
    /// visible to them, in its validity window, in stock — whose plain title
    /// (without markup), merchant or description contains `q`, or whose unlock
    /// code is `q` (signed in only), optionally of one value type; newest first.
    pub async fn search(
        db: &Db,
        viewer: Option<&str>,
        q: &str,
        value_type: Option<ValueType>,
        limit: i64,
    ) -> Result<Vec<VoucherCard>, ApiError> {
        let q = q.trim();
        let sql = sqlx::AssertSqlSafe(format!(
            "{CARD_SELECT} WHERE {} \
               AND {open} \
               AND (v.total_stock IS NULL OR v.claimed_count < v.total_stock) \
               AND ($4 = '' OR lower(COALESCE(v.title_plain, v.title)) LIKE $5 ESCAPE '\\' OR lower(m.name) LIKE $5 ESCAPE '\\' \
                    OR lower(v.description) LIKE $5 ESCAPE '\\' OR v.unlock_code = $2) \
               AND ($6 = '' OR v.value_type = $6) \
             ORDER BY v.published_at DESC, v.id LIMIT $7",
            visible_to("$1", "$2"),
            open = open_at("$3")
        ));
        // Signed out, nobody's cohorts match and an unlock code reveals nothing.
        let coupon = viewer.and((!q.is_empty()).then_some(q));
        let rows: Vec<CardRow> = sqlx::query_as(sql)
            .bind(viewer)
            .bind(coupon)
            .bind(now_ms())
            .bind(q)
            .bind(like_pattern(q))
            .bind(value_type.map_or("", ValueType::as_str))
            .bind(limit.clamp(1, 100))
            .fetch_all(db.pool())
            .await?;
        Ok(rows.into_iter().map(VoucherCard::from).collect())
    }

    /// What `/me/vouchers` filters by.
    #[derive(Debug, Clone, Default)]
    pub struct CatalogQuery {
        pub q: Option<String>,
        pub merchant_id: Option<String>,
        pub near: Option<GeoPoint>,
        pub cursor: Option<String>,
        pub coupon: Option<String>,
        /// Only what `coupon` unlocks: the unlisted vouchers whose code it is.
        pub unlocked_only: bool,
        pub limit: i64,
    }

    #[derive(sqlx::FromRow)]
    struct ViewRow {
        id: String,
        merchant_id: String,
        merchant_name: String,
        title: String,
        description: String,
        value_type: Option<String>,
        value_amount: Option<i64>,
        currency: Option<String>,
        valid_from: Option<i64>,
        valid_until: Option<i64>,
        total_stock: Option<i64>,
        claimed_count: i64,
        per_user_limit: i64,
        coin_cost: Option<i64>,
        published_at: Option<i64>,
        image_id: Option<String>,
        merchant_logo_id: Option<String>,
        price: Option<crate::orders::Price>,
        claim_id: Option<String>,
        claim_redeemed_at: Option<i64>,
    }

    impl ViewRow {
        fn into_view(self, now: i64) -> VoucherView {
            let claim = self
                .claim_id
                .map(|claim_id| ClaimState { claim_id, status: ClaimStatus::of(self.claim_redeemed_at, self.valid_until, now) });
            VoucherView {
                id: self.id,
                merchant_id: self.merchant_id,
                merchant_name: self.merchant_name,
                title: self.title,
                description: self.description,
                value_type: self.value_type.as_deref().and_then(ValueType::parse),
                value: self.value_amount,
                currency: self.currency,
                valid_from: self.valid_from.map(to_rfc3339),
                valid_until: self.valid_until.map(to_rfc3339),
                stock_left: self.total_stock.map(|t| (t - self.claimed_count).max(0)),
                per_user_limit: self.per_user_limit,
                coin_cost: self.coin_cost,
                claim,
                distance_m: None,
                image_id: self.image_id,
                merchant_logo_id: self.merchant_logo_id,
                price: self.price,
            }
        }
    }

    const VIEW_SELECT: &str = "SELECT v.id, v.merchant_id, m.name AS merchant_name, v.title, v.description, v.value_type, \
         v.value_amount, v.currency, v.valid_from, v.valid_until, v.total_stock, v.claimed_count, v.per_user_limit, \
         v.coin_cost, v.published_at, v.image_id, m.logo_image_id AS merchant_logo_id, v.price, \
         (SELECT c.id FROM claims c WHERE c.user_id = $1 AND c.voucher_id = v.id ORDER BY c.seq DESC LIMIT 1) AS claim_id, \
         (SELECT c.redeemed_at FROM claims c WHERE c.user_id = $1 AND c.voucher_id = v.id ORDER BY c.seq DESC LIMIT 1) AS claim_redeemed_at \
         FROM vouchers v JOIN merchants m ON m.id = v.merchant_id";

    /// The visibility rule, written once: a voucher is visible to `user` (an SQL
    /// expression: a bind like `$1`, a column like `u.id`, or `NULL` for nobody in
    /// particular) holding `coupon` (likewise; `NULL` holds none) when it is
    /// published, its merchant is active, its unlock code (if any) is the coupon,
    /// and its cohorts (if any) include one of the user's. Nobody's cohorts match
    /// the NULL user and no code equals NULL, so `visible_to("NULL", "NULL")` is
    /// what anyone, signed out, may see.
    pub(crate) fn visible_to(user: &str, coupon: &str) -> String {
        format!("(v.status = 'published' AND m.status = 'active' AND {})", open_to(user, coupon))
    }

    /// [`visible_to`] without the voucher's and merchant's status: its unlock
    /// code and cohorts admit `user` holding `coupon`.
    pub(crate) fn open_to(user: &str, coupon: &str) -> String {
        format!(
            "((v.unlock_code IS NULL OR v.unlock_code = {coupon}) \
             AND (NOT EXISTS (SELECT 1 FROM voucher_cohorts vc WHERE vc.voucher_id = v.id) \
                  OR EXISTS (SELECT 1 FROM voucher_cohorts vc JOIN user_cohorts uc ON uc.cohort = vc.cohort \
                             WHERE vc.voucher_id = v.id AND uc.user_id = {user})))"
        )
    }

    /// In the validity window at the instant bound as `now` (a `$n`): begun,
    /// and not [`ended`] — `valid_until` itself is already closed.
    pub(crate) fn open_at(now: &str) -> String {
        format!("(v.valid_from IS NULL OR v.valid_from <= {now}) AND (v.valid_until IS NULL OR v.valid_until > {now})")
    }

    /// Visible to user $1 holding coupon $3 (the binds of the screens' queries).
    pub(crate) fn visible() -> String {
        visible_to("$1", "$3")
    }

    fn encode_cursor(published_at: i64, id: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{published_at}|{id}"))
    }

    fn decode_cursor(c: &str) -> Option<(i64, String)> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(c).ok()?).ok()?;
        let (t, id) = raw.split_once('|')?;
        Some((t.parse().ok()?, id.to_string()))
    }

    fn like_pattern(q: &str) -> String {
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    }

    /// The claimable catalog for a user: visible, in its validity window, in stock.
    pub async fn vouchers_for_user(db: &Db, user_id: &crate::types::UserId, query: &CatalogQuery) -> Result<VoucherPage, ApiError> {
        let now = now_ms();
        let limit = if query.limit <= 0 { 20 } else { query.limit.min(100) };
        let (cursor_t, cursor_id) = match &query.cursor {
            None => (i64::MAX, String::new()),
            Some(c) => {
                decode_cursor(c).ok_or_else(|| ApiError::validation(vec![("cursor", "is not a cursor this API returned".into())]))?
            }
        };
        let q = query.q.as_deref().map(str::trim).unwrap_or("");
        let sql = sqlx::AssertSqlSafe(format!(
            "{VIEW_SELECT} WHERE {} \
             AND {open} \
             AND (v.total_stock IS NULL OR v.claimed_count < v.total_stock) \
             AND ($4 = '' OR v.merchant_id = $4) \
             AND ($5 = '' OR lower(COALESCE(v.title_plain, v.title)) LIKE $6 ESCAPE '\\' OR lower(m.name) LIKE $6 ESCAPE '\\' \
                  OR lower(v.description) LIKE $6 ESCAPE '\\' OR v.unlock_code = $5) \
             AND (v.published_at < $7 OR (v.published_at = $7 AND v.id > $8)) \
             AND ($10 = 0 OR v.unlock_code = $3) \
             ORDER BY v.published_at DESC, v.id LIMIT $9",
            visible(),
            open = open_at("$2")
        ));
        let coupon = query.coupon.as_deref().filter(|c| !c.is_empty()).or((!q.is_empty()).then_some(q)).unwrap_or("");
        let rows: Vec<ViewRow> = sqlx::query_as(sql)
            .bind(user_id)
            .bind(now)
            .bind(coupon)
            .bind(query.merchant_id.as_deref().unwrap_or(""))
            .bind(q)
            .bind(like_pattern(q))
            .bind(cursor_t)
            .bind(cursor_id)
            .bind(limit + 1)
            .bind(i64::from(query.unlocked_only))
            .fetch_all(db.pool())
            .await?;
        let more = rows.len() as i64 > limit;
        let next_cursor = if more { rows.get(limit as usize - 1).map(|r| encode_cursor(r.published_at.unwrap_or(0), &r.id)) } else { None };
        let mut items: Vec<VoucherView> = rows.into_iter().take(limit as usize).map(|r| r.into_view(now)).collect();
        if let Some(near) = query.near {
            for v in &mut items {
                let outlets = crate::merchants::outlets(db, &v.merchant_id, Some(near)).await?;
                v.distance_m = outlets.iter().filter_map(|o| o.distance_m).reduce(f64::min);
            }
        }
        Ok(VoucherPage { items, next_cursor })
    }

    /// One voucher as the user sees it: visible to them, or one they have claimed.
    /// A voucher as anyone may see it, signed out: what [`published_vouchers`]
    /// could list (published, merchant active, no cohort, no unlock code), with no
    /// claim. Nobody's cohorts or claims match the NULL user.
    pub async fn voucher_for_anyone(db: &Db, voucher_id: &str) -> Result<VoucherView, ApiError> {
        let sql = sqlx::AssertSqlSafe(format!("{VIEW_SELECT} WHERE v.id = $4 AND {}", visible_to("NULL", "NULL")));
        let row: Option<ViewRow> =
            sqlx::query_as(sql).bind(None::<String>).bind(now_ms()).bind("").bind(voucher_id).fetch_optional(db.pool()).await?;
        row.map(|r| r.into_view(now_ms())).ok_or_else(|| ApiError::not_found("No such voucher."))
    }

    pub async fn voucher_for_user(
        db: &Db,
        user_id: &crate::types::UserId,
        voucher_id: &str,
        coupon: Option<&str>,
    ) -> Result<VoucherView, ApiError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{VIEW_SELECT} WHERE v.id = $4 AND ({} OR EXISTS (SELECT 1 FROM claims c WHERE c.user_id = $1 AND c.voucher_id = v.id))",
            visible()
        ));
        let row: Option<ViewRow> =
            sqlx::query_as(sql).bind(user_id).bind(now_ms()).bind(coupon.unwrap_or("")).bind(voucher_id).fetch_optional(db.pool()).await?;
        row.map(|r| r.into_view(now_ms())).ok_or_else(|| ApiError::not_found("No such voucher."))
    }
}
