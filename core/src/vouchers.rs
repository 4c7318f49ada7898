//! Vouchers as the operator manages them: create, update, publish (which
//! records a VOUCHER_PUBLISHED event for every user who favorited the
//! merchant), archive, and code pools.

use crate::error::ErrorCode;
use crate::{
    catalog::ValueType,
    clock::{now_ms, parse_rfc3339},
    db::Db,
    error::{ApiError, is_unique_violation},
    ids::new_id,
    markup,
    orders::Price,
    types::{CodeSource, Timestamp, VoucherStatus},
};
use serde::{Deserialize, Serialize};

/// A voucher as the admin API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Voucher {
    pub id: String,
    pub merchant_id: String,
    pub title: String,
    pub description: String,
    pub value_type: Option<ValueType>,
    #[sqlx(rename = "value_amount")]
    pub value: Option<i64>,
    pub currency: Option<String>,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    pub total_stock: Option<i64>,
    pub claimed_count: i64,
    pub per_user_limit: i64,
    /// Coins the user pays from the partner's ledger to claim it (SPEC §7).
    pub coin_cost: Option<i64>,
    /// Filled in after the row is read (a table of its own).
    #[sqlx(skip)]
    pub cohorts: Vec<String>,
    pub unlock_code: Option<String>,
    pub code_source: CodeSource,
    pub static_code: Option<String>,
    pub status: VoucherStatus,
    pub pool_codes_free: i64,
    /// Its picture (`POST /admin/images?kind=voucher`), if any.
    pub image_id: Option<String>,
    /// Sold as a gift card at this price (SPEC §10); absent: claimed, free or for coins.
    pub price: Option<Price>,
    /// Where its gift cards come from instead of its own codes: a supplier (`sandbox`).
    pub supplier: Option<String>,
    pub created_at: Timestamp,
    pub published_at: Option<Timestamp>,
}

/// The columns of [`Voucher`] from `vouchers v` (its cohorts come separately).
const VOUCHER_COLUMNS: &str = "v.id, v.merchant_id, v.title, v.description, v.value_type, v.value_amount, \
     v.currency, v.valid_from, v.valid_until, v.total_stock, v.claimed_count, v.per_user_limit, v.coin_cost, v.unlock_code, \
     v.code_source, v.static_code, v.status, v.image_id, v.price, v.supplier, v.created_at, v.published_at, \
     (SELECT COUNT(*) FROM voucher_codes vc WHERE vc.voucher_id = v.id AND vc.claim_id IS NULL AND vc.order_id IS NULL) AS pool_codes_free";

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoucherInput {
    pub merchant_id: String,
    /// May use `{b}…{/b}`, `{r}…{/r}`, `{s}…{/s}`.
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub value_type: Option<ValueType>,
    /// PERCENT: the percentage; FIXED: the amount in minor units (cents).
    pub value: Option<i64>,
    /// ISO 4217, e.g. MYR.
    pub currency: Option<String>,
    /// RFC 3339.
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    /// Units that may be claimed in all; absent means unlimited.
    pub total_stock: Option<i64>,
    /// How many times one user may claim it (default 1).
    pub per_user_limit: Option<i64>,
    /// Coins the user pays from the partner's coins ledger to claim it; needs
    /// the partner's integration (`PUT /admin/partners/{id}/integration`).
    pub coin_cost: Option<i64>,
    /// Only users in one of these cohorts see it; empty means everyone.
    #[serde(default)]
    pub cohorts: Vec<String>,
    /// An unlisted voucher is shown only to users who enter this code.
    pub unlock_code: Option<String>,
    /// `pool` (upload codes), `generated` (default) or `static`; fixed once the voucher has been claimed.
    pub code_source: Option<String>,
    pub static_code: Option<String>,
    /// A 16:9 picture uploaded with `POST /admin/images?kind=voucher` (at least 353×199).
    pub image_id: Option<String>,
    /// Sells it as a gift card (bought in the webview's checkout, not claimed):
    /// its currency, face values in minor units and the brand discount.
    pub price: Option<Price>,
    /// Its gift cards come from this supplier instead of its own codes (`sandbox`);
    /// needs a price.
    pub supplier: Option<String>,
}

impl Voucher {
    /// The voucher as the input that would make it as it is: what an edit
    /// starts from, changing only what the person changed.
    pub fn as_input(&self) -> VoucherInput {
        VoucherInput {
            merchant_id: self.merchant_id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            value_type: self.value_type,
            value: self.value,
            currency: self.currency.clone(),
            valid_from: self.valid_from.map(Timestamp::to_rfc3339),
            valid_until: self.valid_until.map(Timestamp::to_rfc3339),
            total_stock: self.total_stock,
            per_user_limit: Some(self.per_user_limit),
            coin_cost: self.coin_cost,
            cohorts: self.cohorts.clone(),
            unlock_code: self.unlock_code.clone(),
            code_source: Some(self.code_source.as_str().to_string()),
            static_code: self.static_code.clone(),
            image_id: self.image_id.clone(),
            price: self.price.clone(),
            supplier: self.supplier.clone(),
        }
    }
}

/// The gift-card suppliers this build knows, besides a voucher's own codes.
pub use crate::orders::supplier::Supplier;

struct Checked {
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    code_source: CodeSource,
}

impl VoucherInput {
    fn check(&self) -> Result<Checked, ApiError> {
        let mut bad = vec![];
        let title = markup::plain_text(&self.title);
        if title.trim().is_empty() || self.title.len() > 300 {
            bad.push(("title", "give a title of 1–300 characters".to_string()));
        }
        if self.description.len() > 4000 {
            bad.push(("description", "at most 4000 characters".into()));
        }
        let time = |field: &'static str, v: &Option<String>, bad: &mut Vec<(&str, String)>| match v {
            None => None,
            Some(s) => parse_rfc3339(s).or_else(|| {
                bad.push((field, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z".into()));
                None
            }),
        };
        let valid_from = time("validFrom", &self.valid_from, &mut bad);
        let valid_until = time("validUntil", &self.valid_until, &mut bad);
        if let (Some(f), Some(u)) = (valid_from, valid_until)
            && u <= f
        {
            bad.push(("validUntil", "must be after validFrom".into()));
        }
        if self.total_stock.is_some_and(|s| !(0..=100_000_000).contains(&s)) {
            bad.push(("totalStock", "must be 0–100000000".into()));
        }
        if self.coin_cost.is_some_and(|c| !(1..=1_000_000_000).contains(&c)) {
            bad.push(("coinCost", "must be 1–1000000000".to_string()));
        }
        if let Some(price) = &self.price {
            if let Err((field, why)) = price.check() {
                bad.push((field, why));
            }
            if self.coin_cost.is_some() {
                bad.push(("coinCost", "a gift card with a price is paid for, not claimed for coins".into()));
            }
            if self.code_source.as_deref() == Some("static") {
                bad.push(("codeSource", "every gift card sold needs its own code: use pool or generated".into()));
            }
        }
        match (&self.supplier, &self.price) {
            (Some(s), _) if Supplier::named(s).is_none() => {
                bad.push(("supplier", format!("must be one of {}", Supplier::NAMES.join(", "))))
            }
            (Some(_), None) => bad.push(("supplier", "only a voucher with a price has a supplier".into())),
            _ => {}
        }
        if self.per_user_limit.is_some_and(|s| !(1..=1000).contains(&s)) {
            bad.push(("perUserLimit", "must be 1–1000".into()));
        }
        match (self.value_type, self.value) {
            (Some(ValueType::Percent), Some(v)) if !(1..=100).contains(&v) => bad.push(("value", "a percentage must be 1–100".into())),
            (_, Some(v)) if v < 0 => bad.push(("value", "must not be negative".into())),
            _ => {}
        }
        if let Some(c) = &self.currency
            && (c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            bad.push(("currency", "must be an ISO 4217 code such as MYR".into()));
        }
        if self.cohorts.len() > 50 || self.cohorts.iter().any(|c| c.is_empty() || c.len() > 64) {
            bad.push(("cohorts", "at most 50 cohorts of 1–64 characters".into()));
        }
        if self.unlock_code.as_ref().is_some_and(|c| c.trim().is_empty() || c.len() > 64) {
            bad.push(("unlockCode", "must be 1–64 characters".into()));
        }
        let code_source = self.code_source.as_deref().map_or(Some(CodeSource::Generated), CodeSource::parse);
        match code_source {
            Some(CodeSource::Pool | CodeSource::Generated) => {}
            Some(CodeSource::Static) if self.static_code.as_ref().is_some_and(|c| !c.trim().is_empty() && c.len() <= 64) => {}
            Some(CodeSource::Static) => bad.push(("staticCode", "a static voucher needs a code of 1–64 characters".into())),
            None => bad.push(("codeSource", "must be pool, generated or static".into())),
        }
        let code_source = code_source.unwrap_or(CodeSource::Generated);
        if bad.is_empty() { Ok(Checked { valid_from, valid_until, code_source }) } else { Err(ApiError::validation(bad)) }
    }
}

async fn set_cohorts(tx: &mut sqlx::AnyConnection, voucher_id: &str, cohorts: &[String]) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM voucher_cohorts WHERE voucher_id = $1").bind(voucher_id).execute(&mut *tx).await?;
    let mut seen = std::collections::BTreeSet::new();
    for c in cohorts.iter().filter(|c| seen.insert(c.as_str())) {
        sqlx::query("INSERT INTO voucher_cohorts (voucher_id, cohort) VALUES ($1, $2)").bind(voucher_id).bind(c).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Writes a voucher's fields (the one list of them, for create and update),
/// unless it would take the stock below the units claimed or change the code
/// source of a claimed voucher: the number of rows changed (0 when a guard held).
async fn store_fields(tx: &mut sqlx::AnyConnection, id: &str, input: &VoucherInput, c: &Checked, now: i64) -> Result<u64, ApiError> {
    let done = sqlx::query(
        "UPDATE vouchers SET title = $2, description = $3, value_type = $4, value_amount = $5, currency = $6, \
         valid_from = $7, valid_until = $8, total_stock = $9, per_user_limit = $10, unlock_code = $11, \
         code_source = $12, static_code = $13, updated_at = $14, coin_cost = $15, image_id = $16, title_plain = $17, \
         price = $18, supplier = $19 \
         WHERE id = $1 AND ($9 IS NULL OR claimed_count <= $9) \
           AND (code_source = $12 OR NOT EXISTS (SELECT 1 FROM claims c WHERE c.voucher_id = $1))",
    )
    .bind(id)
    .bind(&input.title)
    .bind(&input.description)
    .bind(input.value_type)
    .bind(input.value)
    .bind(&input.currency)
    .bind(c.valid_from)
    .bind(c.valid_until)
    .bind(input.total_stock)
    .bind(input.per_user_limit.unwrap_or(1))
    .bind(&input.unlock_code)
    .bind(c.code_source)
    .bind(&input.static_code)
    .bind(now)
    .bind(input.coin_cost)
    .bind(&input.image_id)
    .bind(markup::plain_text(&input.title))
    .bind(&input.price)
    .bind(&input.supplier)
    .execute(&mut *tx)
    .await?;
    set_cohorts(tx, id, &input.cohorts).await?;
    Ok(done.rows_affected())
}

pub async fn create(db: &Db, input: &VoucherInput) -> Result<Voucher, ApiError> {
    let c = input.check()?;
    crate::images::check_ref(db, "imageId", input.image_id.as_deref(), crate::images::Kind::Voucher).await?;
    crate::merchants::get(db, &input.merchant_id).await?;
    let id = new_id();
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    // The row, then its fields through the same statement an update uses.
    sqlx::query(
        "INSERT INTO vouchers (id, merchant_id, title, status, code_source, created_at, updated_at) \
         VALUES ($1, $2, '', 'draft', $3, $4, $4)",
    )
    .bind(&id)
    .bind(&input.merchant_id)
    .bind(c.code_source)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    store_fields(&mut tx, &id, input, &c, now).await?;
    tx.commit().await?;
    get(db, &id).await
}

/// Replaces a voucher's fields. Its merchant and its stock below what is
/// already claimed cannot change.
pub async fn update(db: &Db, id: &str, input: &VoucherInput) -> Result<Voucher, ApiError> {
    let c = input.check()?;
    crate::images::check_ref(db, "imageId", input.image_id.as_deref(), crate::images::Kind::Voucher).await?;
    let current = get(db, id).await?;
    if current.merchant_id != input.merchant_id {
        return Err(ApiError::validation(vec![("merchantId", "a voucher cannot move to another merchant".into())]));
    }
    // A claim is redeemed under the source its code came from (a pool claim holds a
    // reserved code; a generated one has none): once claimed, the source stays.
    let source_changes = current.code_source != c.code_source;
    let mut tx = db.begin_write().await?;
    if store_fields(&mut tx, id, input, &c, now_ms()).await? == 0 {
        // Which guard held (read in the same transaction, so no claim slipped in between).
        let (claims,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM claims WHERE voucher_id = $1").bind(id).fetch_one(&mut *tx).await?;
        if source_changes && claims > 0 {
            return Err(ApiError::validation(vec![("codeSource", "cannot change once the voucher has been claimed".into())]));
        }
        return Err(ApiError::validation(vec![("totalStock", "cannot go below the units already claimed".into())]));
    }
    tx.commit().await?;
    get(db, id).await
}

/// Gives the vouchers written before titles were kept in plain text theirs
/// (a few hundred per statement batch, until none is left). Idempotent.
pub async fn fill_plain_titles(db: &Db) -> Result<u64, ApiError> {
    let mut filled = 0;
    loop {
        let batch: Vec<(String, String)> =
            sqlx::query_as("SELECT id, title FROM vouchers WHERE title_plain IS NULL LIMIT 500").fetch_all(db.pool()).await?;
        if batch.is_empty() {
            return Ok(filled);
        }
        let mut tx = db.begin_write().await?;
        for (id, title) in &batch {
            sqlx::query("UPDATE vouchers SET title_plain = $2 WHERE id = $1")
                .bind(id)
                .bind(markup::plain_text(title))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        filled += batch.len() as u64;
    }
}

pub async fn get(db: &Db, id: &str) -> Result<Voucher, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {VOUCHER_COLUMNS} FROM vouchers v WHERE v.id = $1"));
    let v: Voucher =
        sqlx::query_as(sql).bind(id).fetch_optional(db.pool()).await?.ok_or_else(|| ApiError::not_found("No such voucher."))?;
    with_cohorts(db, v).await
}

pub async fn list(db: &Db, merchant_id: Option<&str>) -> Result<Vec<Voucher>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {VOUCHER_COLUMNS} FROM vouchers v WHERE ($1 = '' OR v.merchant_id = $1) ORDER BY v.created_at DESC, v.id"
    ));
    let vouchers: Vec<Voucher> = sqlx::query_as(sql).bind(merchant_id.unwrap_or("")).fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(vouchers.len());
    for v in vouchers {
        out.push(with_cohorts(db, v).await?);
    }
    Ok(out)
}

/// How a list of vouchers is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// The newest first.
    #[default]
    Newest,
    /// By title, A to Z.
    Title,
}

/// Which vouchers, in what order, from where: the console's list.
#[derive(Debug, Clone, Default)]
pub struct Find {
    pub merchant: Option<String>,
    pub status: Option<VoucherStatus>,
    /// Words in the title (case does not matter).
    pub text: Option<String>,
    pub sort: Sort,
    /// After this voucher (the last one of the page before).
    pub after: Option<String>,
}

/// A page of vouchers as `find` says (`limit` of them, their cohorts with them).
pub async fn find(db: &Db, find: &Find, limit: i64) -> Result<Vec<Voucher>, ApiError> {
    // The cursor is the last voucher itself: its sort key is read, not sent.
    let last = match find.after.as_deref().filter(|a| !a.is_empty()) {
        Some(id) => Some(get(db, id).await?),
        None => None,
    };
    let text =
        find.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(|t| format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
    let filters = "($1 = '' OR v.merchant_id = $1) AND ($2 = '' OR v.status = $2) AND ($3 = '' OR LOWER(v.title) LIKE $3)";
    // `$4` is the last voucher's sort key, `$5` its id: each order binds its own key.
    let (after, order) = match find.sort {
        Sort::Newest => ("(v.created_at < $4 OR (v.created_at = $4 AND v.id > $5))", "v.created_at DESC, v.id"),
        Sort::Title => ("(v.title > $4 OR (v.title = $4 AND v.id > $5))", "v.title, v.id"),
    };
    let sql =
        sqlx::AssertSqlSafe(format!("SELECT {VOUCHER_COLUMNS} FROM vouchers v WHERE {filters} AND {after} ORDER BY {order} LIMIT $6"));
    let q = sqlx::query_as::<_, Voucher>(sql)
        .bind(find.merchant.as_deref().unwrap_or(""))
        .bind(find.status.map(|s| s.as_str()).unwrap_or(""))
        .bind(text.as_deref().unwrap_or(""));
    let q = match find.sort {
        Sort::Newest => q.bind(last.as_ref().map_or(i64::MAX, |v| v.created_at.millis())),
        Sort::Title => q.bind(last.as_ref().map_or(String::new(), |v| v.title.clone())),
    };
    let rows = q.bind(last.as_ref().map_or(String::new(), |v| v.id.clone())).bind(limit.clamp(1, 500)).fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for v in rows {
        out.push(with_cohorts(db, v).await?);
    }
    Ok(out)
}

async fn with_cohorts(db: &Db, mut v: Voucher) -> Result<Voucher, ApiError> {
    let cohorts: Vec<(String,)> =
        sqlx::query_as("SELECT cohort FROM voucher_cohorts WHERE voucher_id = $1 ORDER BY cohort").bind(&v.id).fetch_all(db.pool()).await?;
    v.cohorts = cohorts.into_iter().map(|(c,)| c).collect();
    Ok(v)
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub voucher: Voucher,
    /// VOUCHER_PUBLISHED events, one per user who favorited the merchant and can
    /// see the voucher: the first 1 000 recorded with the publish, the rest
    /// a batch at a time within seconds (a million in about a minute on a small machine).
    pub events_enqueued: u64,
}

/// Publishes a draft and, in the same transaction, starts its fan-out: one
/// VOUCHER_PUBLISHED event per user (of every partner) who favorited the
/// merchant and can see the voucher, the first batch written now and the
/// rest by the fan-out job ([`crate::fanout`]).
pub async fn publish(db: &Db, id: &str) -> Result<Published, ApiError> {
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let done =
        sqlx::query("UPDATE vouchers SET status = 'published', published_at = $2, updated_at = $2 WHERE id = $1 AND status = 'draft'")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 0 {
        drop(tx);
        let v = get(db, id).await?;
        return Err(ApiError::new(ErrorCode::Conflict, format!("Only a draft can be published; this voucher is {}.", v.status)));
    }
    let fans = crate::fanout::start(&mut tx, db.backend(), id, now).await?;
    tx.commit().await?;
    Ok(Published { voucher: get(db, id).await?, events_enqueued: fans })
}

pub async fn archive(db: &Db, id: &str) -> Result<Voucher, ApiError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let done =
        sqlx::query("UPDATE vouchers SET status = 'archived', archived_at = $2, updated_at = $2 WHERE id = $1 AND status <> 'archived'")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() > 0 {
        let (title, merchant_id): (String, String) =
            sqlx::query_as("SELECT title, merchant_id FROM vouchers WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        crate::events::enqueue_for_every_partner(
            &mut tx,
            crate::events::EventType::VoucherArchived,
            serde_json::json!({ "voucherId": id, "voucherTitle": title, "merchantId": merchant_id }),
        )
        .await?;
    }
    tx.commit().await?;
    get(db, id).await // 404 if missing; archiving twice is a no-op
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolUpload {
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolUploaded {
    pub added: u64,
    /// Codes already in the pool, skipped.
    pub duplicates: u64,
    pub free: i64,
}

/// The titles of the published vouchers of a cohort, by title (the
/// sandbox's test products are cohort `sandbox`'s).
pub async fn titles_of_cohort(db: &Db, cohort: &str) -> Result<Vec<String>, ApiError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT v.title FROM vouchers v JOIN voucher_cohorts c ON c.voucher_id = v.id \
         WHERE c.cohort = $1 AND v.status = 'published' ORDER BY v.title",
    )
    .bind(cohort)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// The codes of a CSV file (the first column; a first line reading `code` is
/// a header), checked whole: any bad row refuses the file, saying its line.
pub fn codes_from_csv(text: &str) -> Result<Vec<String>, ApiError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut codes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, record) in reader.records().enumerate() {
        let line = |r: &csv::StringRecord| r.position().map(|p| p.line()).unwrap_or(index as u64 + 1);
        let record = record.map_err(|e| {
            let at = e.position().map(|p| p.line()).unwrap_or(index as u64 + 1);
            ApiError::validation(vec![("codes", format!("line {at}: not CSV ({e})"))])
        })?;
        let code = record.get(0).unwrap_or_default();
        if index == 0 && code.eq_ignore_ascii_case("code") {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if code.is_empty() || code.len() > 128 || code.chars().any(char::is_control) {
            return Err(ApiError::validation(vec![("codes", format!("line {}: a code is 1–128 printable characters", line(&record)))]));
        }
        if !seen.insert(code.to_string()) {
            return Err(ApiError::validation(vec![("codes", format!("line {}: {code:?} appears twice in the file", line(&record)))]));
        }
        codes.push(code.to_string());
    }
    if codes.is_empty() || codes.len() > 5000 {
        return Err(ApiError::validation(vec![("codes", format!("the file has {} codes; send 1–5000 per upload", codes.len()))]));
    }
    Ok(codes)
}

/// Adds codes to a pool voucher; codes already there are skipped.
pub async fn upload_codes(db: &Db, id: &str, upload: &PoolUpload) -> Result<PoolUploaded, ApiError> {
    let v = get(db, id).await?;
    if v.code_source != CodeSource::Pool {
        return Err(ApiError::validation(vec![("codes", "this voucher's codeSource is not pool".into())]));
    }
    if upload.codes.is_empty() || upload.codes.len() > 5000 {
        return Err(ApiError::validation(vec![("codes", "send 1–5000 codes per upload".into())]));
    }
    if upload.codes.iter().any(|c| c.trim().is_empty() || c.len() > 128) {
        return Err(ApiError::validation(vec![("codes", "each code must be 1–128 characters".into())]));
    }
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let mut added = 0;
    for code in &upload.codes {
        let r = sqlx::query(
            "INSERT INTO voucher_codes (id, voucher_id, code, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (voucher_id, code) DO NOTHING",
        )
        .bind(new_id())
        .bind(id)
        .bind(code.trim())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match r {
            Ok(r) => added += r.rows_affected(),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    tx.commit().await?;
    let free = get(db, id).await?.pool_codes_free;
    Ok(PoolUploaded { added, duplicates: upload.codes.len() as u64 - added, free })
}

#[cfg(test)]
mod tests {
    use super::codes_from_csv;

    fn refusal(text: &str) -> String {
        let e = codes_from_csv(text).unwrap_err();
        e.details()["fields"]["codes"].as_str().unwrap_or_default().to_string()
    }

    #[test]
    fn a_csv_pool_gives_its_first_column_without_the_header() {
        assert_eq!(codes_from_csv("code,note\nA1,first\n\"B,2\",second\n\n C3 \n").unwrap(), ["A1", "B,2", "C3"]);
        assert_eq!(codes_from_csv("X1\r\nX2").unwrap(), ["X1", "X2"]);
    }

    #[test]
    fn a_bad_row_refuses_the_whole_file_with_its_line() {
        assert_eq!(refusal("code\nA1\n,empty first column\nA3\n"), "line 3: a code is 1–128 printable characters");
        assert_eq!(refusal(&format!("A1\nA2\n{}\n", "x".repeat(129))), "line 3: a code is 1–128 printable characters");
        assert_eq!(refusal("A1\nA2\nA1\n"), "line 3: \"A1\" appears twice in the file");
        assert!(refusal("code\n").contains("has 0 codes"));
    }
}
