//! End users, per partner: provisioning (upsert with partial updates), lookup,
//! erasure, just-in-time creation from a token.

use crate::error::ErrorCode;
use crate::types::{ExternalUserId, PartnerId, UserId};
use crate::{
    clock::{now_ms, to_rfc3339},
    db::Db,
    error::{ApiError, is_unique_violation},
    ids::new_id,
    patch::Patch,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Tessera's id for the user (appears in webhooks as `userId`).
    pub id: UserId,
    pub external_user_id: ExternalUserId,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub locale: Option<String>,
    pub cohorts: Vec<String>,
    pub marketing_opt_in: Option<bool>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    external_user_id: Option<ExternalUserId>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone_number: Option<String>,
    locale: Option<String>,
    marketing_opt_in: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// `POST /integrations/users`: absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserUpsert {
    pub external_user_id: ExternalUserId,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub first_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub last_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub phone_number: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub locale: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub cohorts: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub marketing_opt_in: Patch<bool>,
}

pub fn validate_external_user_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 128 {
        return Err("must be 1–128 characters".into());
    }
    if id.chars().any(|c| c.is_control() || c.is_whitespace() || c == '/') {
        return Err("must not contain spaces, control characters or '/'".into());
    }
    Ok(())
}

fn validate_cohorts(cohorts: &[String]) -> Result<(), String> {
    if cohorts.len() > 50 {
        return Err("at most 50 cohorts".into());
    }
    if cohorts.iter().any(|c| c.is_empty() || c.len() > 64 || c.chars().any(char::is_control)) {
        return Err("each cohort must be 1–64 characters".into());
    }
    Ok(())
}

impl UserUpsert {
    fn validate(&self) -> Result<(), ApiError> {
        let bad = self.problems();
        if bad.is_empty() { Ok(()) } else { Err(ApiError::validation(bad)) }
    }

    /// The fields that are not valid, each with why.
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut bad = Vec::new();
        if let Err(e) = validate_external_user_id(self.external_user_id.as_str()) {
            bad.push(("externalUserId", e));
        }
        if let Some(email) = self.email.value() {
            let ok = email.len() <= 254
                && email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
                && !email.chars().any(char::is_whitespace);
            if !ok {
                bad.push(("email", "is not an email address".into()));
            }
        }
        for (name, value) in [("firstName", &self.first_name), ("lastName", &self.last_name)] {
            if value.value().is_some_and(|v| v.chars().count() > 100) {
                bad.push((name, "at most 100 characters".into()));
            }
        }
        if let Some(phone) = self.phone_number.value() {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !(6..=15).contains(&digits) || phone.chars().any(|c| !(c.is_ascii_digit() || " +-()".contains(c))) {
                bad.push(("phoneNumber", "is not a phone number".into()));
            }
        }
        if let Some(locale) = self.locale.value() {
            let ok = (2..=35).contains(&locale.len()) && locale.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                bad.push(("locale", "is not a locale such as en-MY".into()));
            }
        }
        if let Some(c) = self.cohorts.value()
            && let Err(e) = validate_cohorts(c)
        {
            bad.push(("cohorts", e));
        }
        bad
    }
}

const SELECT: &str = "SELECT id, external_user_id, email, first_name, last_name, phone_number, locale, \
     marketing_opt_in, created_at, updated_at FROM users";

async fn load(exec: &mut sqlx::AnyConnection, row: UserRow) -> Result<User, ApiError> {
    let cohorts: Vec<(String,)> =
        sqlx::query_as("SELECT cohort FROM user_cohorts WHERE user_id = $1 ORDER BY cohort").bind(&row.id).fetch_all(&mut *exec).await?;
    Ok(User {
        id: row.id,
        external_user_id: row.external_user_id.unwrap_or_default(),
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        phone_number: row.phone_number,
        locale: row.locale,
        cohorts: cohorts.into_iter().map(|(c,)| c).collect(),
        marketing_opt_in: row.marketing_opt_in.map(|v| v != 0),
        created_at: to_rfc3339(row.created_at),
        updated_at: to_rfc3339(row.updated_at),
    })
}

async fn find_row(
    conn: &mut sqlx::AnyConnection,
    partner_id: &PartnerId,
    external_user_id: &ExternalUserId,
) -> Result<Option<UserRow>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE partner_id = $1 AND external_user_id = $2"));
    Ok(sqlx::query_as(sql).bind(partner_id).bind(external_user_id).fetch_optional(&mut *conn).await?)
}

/// The partner's user, or 404 (an erased user is gone, as is another partner's).
/// The partner's user `external_user_id` as a claim's holder (404 when unknown).
pub async fn holder(db: &Db, partner_id: &PartnerId, external_user_id: &ExternalUserId) -> Result<crate::claims::Holder, ApiError> {
    let user = get(db, partner_id, external_user_id).await?;
    Ok(crate::claims::Holder { partner_id: partner_id.clone(), user_id: user.id, external_user_id: external_user_id.clone() })
}

pub async fn get(db: &Db, partner_id: &PartnerId, external_user_id: &ExternalUserId) -> Result<User, ApiError> {
    let mut conn = db.pool().acquire().await?;
    let row =
        find_row(&mut conn, partner_id, external_user_id).await?.ok_or_else(|| ApiError::not_found("No user with this externalUserId."))?;
    load(&mut conn, row).await
}

pub async fn get_by_id(db: &Db, user_id: &UserId) -> Result<User, ApiError> {
    let mut conn = db.pool().acquire().await?;
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1 AND erased_at IS NULL"));
    let row: UserRow =
        sqlx::query_as(sql).bind(user_id).fetch_optional(&mut *conn).await?.ok_or_else(|| ApiError::not_found("No such user."))?;
    load(&mut conn, row).await
}

async fn set_cohorts(tx: &mut sqlx::AnyConnection, user_id: &UserId, cohorts: &[String]) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM user_cohorts WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
    let mut seen = std::collections::BTreeSet::new();
    for c in cohorts.iter().filter(|c| seen.insert(c.as_str())) {
        sqlx::query("INSERT INTO user_cohorts (user_id, cohort) VALUES ($1, $2)").bind(user_id).bind(c).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Creates or updates a user; returns it and whether it was created.
pub async fn upsert(db: &Db, partner_id: &PartnerId, input: &UserUpsert) -> Result<(User, bool), ApiError> {
    input.validate()?;
    // A concurrent upsert of the same new user makes one insert fail on the
    // unique index; the retry then finds the row and updates it.
    for _ in 0..3 {
        let mut tx = db.begin_write().await?;
        let now = now_ms();
        let (email_w, email) = input.email.as_write();
        let (first_w, first) = input.first_name.as_write();
        let (last_w, last) = input.last_name.as_write();
        let (phone_w, phone) = input.phone_number.as_write();
        let (locale_w, locale) = input.locale.as_write();
        let (opt_w, opt) = input.marketing_opt_in.as_write();
        let opt = opt.map(|b| i64::from(*b));
        let updated = sqlx::query(
            "UPDATE users SET \
               email = CASE WHEN $3 = 1 THEN $4 ELSE email END, \
               first_name = CASE WHEN $5 = 1 THEN $6 ELSE first_name END, \
               last_name = CASE WHEN $7 = 1 THEN $8 ELSE last_name END, \
               phone_number = CASE WHEN $9 = 1 THEN $10 ELSE phone_number END, \
               locale = CASE WHEN $11 = 1 THEN $12 ELSE locale END, \
               marketing_opt_in = CASE WHEN $13 = 1 THEN $14 ELSE marketing_opt_in END, \
               updated_at = $15 \
             WHERE partner_id = $1 AND external_user_id = $2",
        )
        .bind(partner_id)
        .bind(&input.external_user_id)
        .bind(email_w)
        .bind(email)
        .bind(first_w)
        .bind(first)
        .bind(last_w)
        .bind(last)
        .bind(phone_w)
        .bind(phone)
        .bind(locale_w)
        .bind(locale)
        .bind(opt_w)
        .bind(opt)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let created = if updated.rows_affected() == 1 {
            false
        } else {
            let id = new_id();
            let inserted = sqlx::query(
                "INSERT INTO users (id, partner_id, external_user_id, email, first_name, last_name, phone_number, \
                 locale, marketing_opt_in, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(&id)
            .bind(partner_id)
            .bind(&input.external_user_id)
            .bind(email)
            .bind(first)
            .bind(last)
            .bind(phone)
            .bind(locale)
            .bind(opt)
            .bind(now)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => true,
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        };
        let row = find_row(&mut tx, partner_id, &input.external_user_id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("upserted user not found")))?;
        if let Some(cohorts) = input.cohorts.value() {
            set_cohorts(&mut tx, &row.id, cohorts).await?;
        } else if matches!(input.cohorts, Patch::Null) {
            set_cohorts(&mut tx, &row.id, &[]).await?;
        }
        let user = load(&mut tx, row).await?;
        tx.commit().await?;
        return Ok((user, created));
    }
    Err(ApiError::new(ErrorCode::Conflict, "The user is being changed concurrently; retry."))
}

/// Who a request acts for: enough to authorise it, without the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub id: UserId,
    pub external_user_id: ExternalUserId,
}

/// Like [`ensure`], for the hot path: a token that carries no profile facts
/// costs one indexed read once the user exists.
pub async fn ensure_ref(
    db: &Db,
    partner_id: &PartnerId,
    external_user_id: &ExternalUserId,
    profile: &Profile,
) -> Result<UserRef, ApiError> {
    if profile.is_empty() {
        let row: Option<(UserId,)> = sqlx::query_as("SELECT id FROM users WHERE partner_id = $1 AND external_user_id = $2")
            .bind(partner_id)
            .bind(external_user_id)
            .fetch_optional(db.pool())
            .await?;
        if let Some((id,)) = row {
            return Ok(UserRef { id, external_user_id: external_user_id.clone() });
        }
    }
    let user = ensure(db, partner_id, external_user_id, profile).await?;
    Ok(UserRef { id: user.id, external_user_id: user.external_user_id })
}

/// Profile facts a token or SSO reply may carry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub cohorts: Option<Vec<String>>,
    /// BCP 47, e.g. `ms-MY`: the webview speaks it when it ships that language.
    pub locale: Option<String>,
}

impl Profile {
    /// Carries no fact to write.
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.phone_number.is_none()
            && self.cohorts.is_none()
            && self.locale.is_none()
    }
}

/// The user behind a verified token: created on first sight, profile facts
/// the token carries written through.
pub async fn ensure(db: &Db, partner_id: &PartnerId, external_user_id: &ExternalUserId, profile: &Profile) -> Result<User, ApiError> {
    if profile.is_empty() {
        let mut conn = db.pool().acquire().await?;
        if let Some(row) = find_row(&mut conn, partner_id, external_user_id).await? {
            return load(&mut conn, row).await;
        }
    }
    let patch = |v: &Option<String>| v.clone().map_or(Patch::Absent, Patch::Value);
    let upsert = UserUpsert {
        external_user_id: external_user_id.clone(),
        email: patch(&profile.email),
        first_name: patch(&profile.first_name),
        last_name: patch(&profile.last_name),
        phone_number: patch(&profile.phone_number),
        locale: patch(&profile.locale),
        cohorts: profile.cohorts.clone().map_or(Patch::Absent, Patch::Value),
        ..UserUpsert::default()
    };
    upsert_lenient(db, partner_id, upsert).await
}

/// A token's profile facts are the partner's word; one bad field (say, an odd
/// email) should not lock the user out, so that field is dropped and the rest
/// written. (A bad externalUserId is refused by `upsert` itself.)
async fn upsert_lenient(db: &Db, partner_id: &PartnerId, mut input: UserUpsert) -> Result<User, ApiError> {
    for (field, _) in input.problems() {
        match field {
            "email" => input.email = Patch::Absent,
            "firstName" => input.first_name = Patch::Absent,
            "lastName" => input.last_name = Patch::Absent,
            "phoneNumber" => input.phone_number = Patch::Absent,
            "locale" => input.locale = Patch::Absent,
            "cohorts" => input.cohorts = Patch::Absent,
            _ => {}
        }
    }
    Ok(upsert(db, partner_id, &input).await?.0)
}

/// Erases a user's personal data — profile, cohorts, favourites, redemption
/// coordinates, their externalUserId in stored events and settled coin debits —
/// and ends their sessions; claims, redemptions and events stay, tied to an
/// anonymous row. Idempotent.
pub async fn erase(db: &Db, partner_id: &PartnerId, external_user_id: &ExternalUserId) -> Result<(), ApiError> {
    let mut tx = db.begin_write().await?;
    let Some(row) = find_row(&mut tx, partner_id, external_user_id).await? else {
        return Ok(());
    };
    let now = now_ms();
    sqlx::query(
        "UPDATE users SET external_user_id = NULL, email = NULL, first_name = NULL, last_name = NULL, \
         phone_number = NULL, locale = NULL, marketing_opt_in = NULL, erased_at = $2, updated_at = $2 WHERE id = $1",
    )
    .bind(&row.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM user_cohorts WHERE user_id = $1").bind(&row.id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM favorites WHERE user_id = $1").bind(&row.id).execute(&mut *tx).await?;
    // Where they were: a redemption keeps its outlet, status and distance (the
    // audit needs them), not the user's coordinates.
    sqlx::query("UPDATE redemptions SET lat = NULL, lng = NULL, accuracy_m = NULL WHERE user_id = $1")
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
    // Who they were: the events stay (delivered or not) under the anonymous
    // user id, without the partner's id for the person.
    sqlx::query(db.backend().forget_external_user_in_events()).bind(&row.id).execute(&mut *tx).await?;
    // A settled coin debit no longer needs the id to reach the partner's ledger;
    // one still being reversed keeps it until the reversal is done.
    sqlx::query("UPDATE coin_debits SET external_user_id = '' WHERE user_id = $1 AND state IN ('claimed', 'reversed')")
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
    crate::sessions::end_all(&mut tx, &row.id, now).await?;
    crate::tokens::cut_off(&mut tx, partner_id, external_user_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the user's webview session now.
pub async fn logout(db: &Db, partner_id: &PartnerId, external_user_id: &ExternalUserId) -> Result<(), ApiError> {
    let mut tx = db.begin_write().await?;
    let row =
        find_row(&mut tx, partner_id, external_user_id).await?.ok_or_else(|| ApiError::not_found("No user with this externalUserId."))?;
    let now = now_ms();
    crate::sessions::end_all(&mut tx, &row.id, now).await?;
    crate::tokens::cut_off(&mut tx, partner_id, external_user_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The language a live user's partner gave them (`locale`), if any.
pub async fn locale_of(db: &Db, user_id: &UserId) -> Result<Option<String>, ApiError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT locale FROM users WHERE id = $1 AND erased_at IS NULL").bind(user_id).fetch_optional(db.pool()).await?;
    Ok(row.and_then(|(l,)| l))
}
