//! The people who run Tessera (SPEC §12): console and portal accounts. Each
//! has a role — operator (everything), partner admin, partner developer,
//! designer (their partner's) — an email and a password kept as an argon2id
//! hash. A sign-in gives a session token kept only as its SHA-256; a session
//! ends at sign-out, after 12 hours, or when the password changes. Ten failed
//! sign-ins in a row lock the account until an operator unlocks it; an unknown
//! email and a wrong password get the same answer. Every change is written to
//! the audit log with who did it.

use crate::{
    db::Db,
    error::{ApiError, ErrorCode, is_unique_violation},
    ids::{new_id, random_secret, sha256_hex},
    types::{PartnerId, Timestamp},
};
use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use serde::{Deserialize, Serialize};

mod invitations;
mod second_factor;

pub use invitations::{Invitation, accept, invitation, invite};
pub use second_factor::{TotpSetup, begin_totp, confirm_totp, give_second_factor, pending_totp, remove_totp, totp_enabled};

crate::text_enum! {
    /// What a person may do (`people.role`).
    pub enum Role {
        /// Everything, for every partner.
        Operator = "operator",
        /// Their partner: credentials, members, endpoints, integration, theme.
        PartnerAdmin = "partner_admin",
        /// Their partner's endpoints, delivery log and sandbox; credentials read-only.
        PartnerDeveloper = "partner_developer",
        /// Their partner's theme.
        Designer = "designer",
    }
}

/// A person as the screens and the audit log know them (never their password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// Absent for an operator.
    pub partner_id: Option<PartnerId>,
    pub locked_at: Option<Timestamp>,
}

/// `POST /admin/people`: an account to make.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPerson {
    pub email: String,
    pub role: Role,
    /// The partner of an admin, developer or designer; absent for an operator.
    pub partner_id: Option<PartnerId>,
}

/// An account just made, with its password: shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonWithPassword {
    #[serde(flatten)]
    pub person: Person,
    /// Generated; give it to the person once (they sign in at `/console/login`).
    pub password: String,
}

/// How long a sign-in lasts.
pub const SESSION_MS: i64 = 12 * 3600 * 1000;
/// Failed sign-ins in a row that lock an account.
pub const LOCK_AFTER: i64 = 10;
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

const COLUMNS: &str = "id, email, role, partner_id, locked_at";

fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2: {e}")))
}

fn matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Whether text can be an email address: at most 254 characters, something
/// before the `@`, a dot in the domain, no space, control or markup character.
/// The one check for a sign-in's address and a partner's support address.
pub fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.ends_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"'".contains(c))
}

/// An address a sign-in can use, lower-cased.
fn check_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    if plausible_email(&email) { Ok(email) } else { Err(ApiError::validation(vec![("email", "is not an email address".into())])) }
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 {
        return Err(ApiError::validation(vec![("password", format!("use {MIN_PASSWORD}–1024 characters"))]));
    }
    Ok(())
}

/// A new password for a person to be given once: 24 random characters.
pub fn generated_password() -> String {
    random_secret("").chars().filter(char::is_ascii_alphanumeric).take(24).collect()
}

/// An operator belongs to no partner; anyone else to one that exists.
async fn check_partner_of(db: &Db, role: Role, partner_id: Option<&PartnerId>) -> Result<(), ApiError> {
    match (role, partner_id) {
        (Role::Operator, Some(_)) => Err(ApiError::validation(vec![("partnerId", "an operator belongs to no partner".into())])),
        (Role::Operator, None) => Ok(()),
        (_, None) => Err(ApiError::validation(vec![("partnerId", "a partner's member needs the partner's id".into())])),
        (_, Some(id)) => crate::partners::get(db, id).await.map(|_| ()),
    }
}

/// Adds a person. An operator has no partner; anyone else has one (it must exist).
pub async fn create(db: &Db, email: &str, password: &str, role: Role, partner_id: Option<&PartnerId>) -> Result<Person, ApiError> {
    let email = check_email(email)?;
    check_password(password)?;
    check_partner_of(db, role, partner_id).await?;
    let stored = hash(password)?;
    let mut tx = db.begin_write().await?;
    let id = insert_person(&mut tx, None, &email, &stored, role, partner_id, crate::clock::now_ms()).await?;
    tx.commit().await?;
    by_id(db, &id).await
}

/// Writes a new person (email checked, password hashed) and its audit line
/// in the caller's transaction; their id.
async fn insert_person(
    tx: &mut sqlx::AnyConnection,
    actor: Option<&str>,
    email: &str,
    password_hash: &str,
    role: Role,
    partner_id: Option<&PartnerId>,
    now: i64,
) -> Result<String, ApiError> {
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO people (id, email, password_hash, role, partner_id, password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6)",
    )
    .bind(&id)
    .bind(email)
    .bind(password_hash)
    .bind(role)
    .bind(partner_id)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::new(ErrorCode::Conflict, "Someone already has an account with this email."));
        }
        other => other?,
    };
    audit(tx, actor, "person.created", &id, None, Some(serde_json::json!({ "email": email, "role": role, "partnerId": partner_id })))
        .await?;
    Ok(id)
}

/// Opens a session for the person in the caller's transaction; its token.
/// With `second_factor_due` it opens nothing until the code is given.
async fn open_session(tx: &mut sqlx::AnyConnection, person_id: &str, now: i64, second_factor_due: bool) -> Result<String, ApiError> {
    let token = random_secret("pss_");
    sqlx::query(
        "INSERT INTO people_sessions (token_hash, person_id, created_at, expires_at, second_factor_due) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(person_id)
    .bind(now)
    .bind(now + SESSION_MS)
    .bind(i64::from(second_factor_due))
    .execute(&mut *tx)
    .await?;
    Ok(token)
}

pub async fn by_id(db: &Db, id: &str) -> Result<Person, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM people WHERE id = $1"));
    let found: Option<Person> = sqlx::query_as(sql).bind(id).fetch_optional(db.pool()).await?;
    found.ok_or_else(|| ApiError::not_found("No such person."))
}

fn refused() -> ApiError {
    ApiError::new(ErrorCode::SignInFailed, "The email or the password is not right.")
}

/// A session just opened: whose, its token (for an HttpOnly cookie), and
/// whether it still waits for the second factor.
#[derive(Debug)]
pub struct Session {
    pub person: Person,
    pub token: String,
    pub second_factor_due: bool,
}

/// Signs a person in with their password. With a second factor set up, the
/// session opens nothing until [`give_second_factor`].
pub async fn sign_in(db: &Db, email: &str, password: &str, now: i64) -> Result<Session, ApiError> {
    let email = email.trim().to_lowercase();
    let found: Option<(String, String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT id, password_hash, locked_at, totp_secret FROM people WHERE email = $1")
            .bind(&email)
            .fetch_optional(db.pool())
            .await?;
    let Some((id, stored, locked_at, totp)) = found else {
        // As long as a real check: the answer's time says nothing of which emails exist.
        let _ = matches(password, DUMMY_HASH);
        return Err(refused());
    };
    if locked_at.is_some() {
        return Err(ApiError::new(ErrorCode::AccountLocked, "This account is locked after too many failed sign-ins: ask an operator."));
    }
    if !matches(password, &stored) {
        failed(db, &id, now).await?;
        return Err(refused());
    }
    let second_factor_due = totp.is_some();
    let mut tx = db.begin_write().await?;
    if !second_factor_due {
        sqlx::query("UPDATE people SET failed_sign_ins = 0, updated_at = $2 WHERE id = $1").bind(&id).bind(now).execute(&mut *tx).await?;
    }
    let token = open_session(&mut tx, &id, now, second_factor_due).await?;
    let action = if second_factor_due { "person.password_accepted" } else { "person.signed_in" };
    audit(&mut tx, Some(&id), action, &id, None, None).await?;
    tx.commit().await?;
    Ok(Session { person: by_id(db, &id).await?, token, second_factor_due })
}

/// Counts a failed sign-in (a wrong password or code); the tenth in a row locks the account.
async fn failed(db: &Db, id: &str, now: i64) -> Result<(), ApiError> {
    let mut tx = db.begin_write().await?;
    let (failed,): (i64,) = sqlx::query_as(
        "UPDATE people SET failed_sign_ins = failed_sign_ins + 1, \
         locked_at = CASE WHEN failed_sign_ins + 1 >= $2 THEN $3 ELSE locked_at END, updated_at = $3 \
         WHERE id = $1 RETURNING failed_sign_ins",
    )
    .bind(id)
    .bind(LOCK_AFTER)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if failed >= LOCK_AFTER {
        audit(&mut tx, None, "person.locked", id, None, Some(serde_json::json!({ "failedSignIns": failed }))).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An argon2id hash of nothing anyone knows, checked against when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1Zl6ddODVnv2v3Mn7Dk7LZ93qDmQnNoHnUfCX9d7HgA";

/// The person behind a live session token: not expired, not ended, begun
/// after their password last changed, and not locked.
pub async fn signed_in(db: &Db, token: &str, now: i64) -> Result<Person, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM people_sessions s JOIN people p ON p.id = s.person_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.created_at >= p.password_changed_at AND p.locked_at IS NULL \
         AND s.second_factor_due = 0",
        COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
    ));
    let found: Option<Person> = sqlx::query_as(sql).bind(sha256_hex(token.as_bytes())).bind(now).fetch_optional(db.pool()).await?;
    found.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "Sign in to the console first."))
}

/// Ends a session.
pub async fn sign_out(db: &Db, token: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM people_sessions WHERE token_hash = $1").bind(sha256_hex(token.as_bytes())).execute(db.write_pool()).await?;
    Ok(())
}

/// Sets a new password: every session of the person ends.
pub async fn set_password(db: &Db, actor: Option<&str>, person_id: &str, password: &str, now: i64) -> Result<(), ApiError> {
    check_password(password)?;
    let stored = hash(password)?;
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query("UPDATE people SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1")
        .bind(person_id)
        .bind(&stored)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(ApiError::not_found("No such person."));
    }
    sqlx::query("DELETE FROM people_sessions WHERE person_id = $1").bind(person_id).execute(&mut *tx).await?;
    audit(&mut tx, actor, "person.password_changed", person_id, None, None).await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in person changes their password, giving the current one: every
/// session of theirs ends, and this browser gets a new one (its token).
pub async fn change_password(db: &Db, person: &Person, current: &str, new: &str, now: i64) -> Result<String, ApiError> {
    let (stored,): (String,) =
        sqlx::query_as("SELECT password_hash FROM people WHERE id = $1").bind(&person.id).fetch_one(db.pool()).await?;
    if !matches(current, &stored) {
        return Err(ApiError::validation(vec![("current", "is not your current password".into())]));
    }
    if current == new {
        return Err(ApiError::validation(vec![("password", "choose a password other than the current one".into())]));
    }
    set_password(db, Some(&person.id), &person.id, new, now).await?;
    let mut tx = db.begin_write().await?;
    let token = open_session(&mut tx, &person.id, now, false).await?;
    tx.commit().await?;
    Ok(token)
}

/// Unlocks an account locked by failed sign-ins.
pub async fn unlock(db: &Db, actor: Option<&str>, email: &str, now: i64) -> Result<Person, ApiError> {
    let email = email.trim().to_lowercase();
    let mut tx = db.begin_write().await?;
    let found: Option<(String,)> =
        sqlx::query_as("UPDATE people SET locked_at = NULL, failed_sign_ins = 0, updated_at = $2 WHERE email = $1 RETURNING id")
            .bind(&email)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
    let (id,) = found.ok_or_else(|| ApiError::not_found("No such person."))?;
    audit(&mut tx, actor, "person.unlocked", &id, None, None).await?;
    tx.commit().await?;
    by_id(db, &id).await
}

/// Writes one line of the audit log in the transaction of what it records.
pub async fn audit(
    tx: &mut sqlx::AnyConnection,
    actor: Option<&str>,
    action: &str,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO audit_log (id, at, actor, action, subject, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id())
        .bind(crate::clock::now_ms())
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A partner's people (every operator when `partner` is absent), by email.
pub async fn list(db: &Db, partner: Option<&PartnerId>) -> Result<Vec<Person>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM people WHERE partner_id = $1 OR ($1 IS NULL AND partner_id IS NULL) ORDER BY email"
    ));
    Ok(sqlx::query_as(sql).bind(partner).fetch_all(db.pool()).await?)
}

/// Writes one line of the audit log on its own, for an action whose own
/// writes are done (a console action through a domain function that keeps
/// its transaction to itself).
pub async fn record(
    db: &Db,
    actor: &Person,
    action: &str,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ApiError> {
    let mut tx = db.begin_write().await?;
    audit(&mut tx, Some(&actor.id), action, subject, before, after).await?;
    tx.commit().await?;
    Ok(())
}

/// One line of the audit log as operators read it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AuditLine {
    pub id: String,
    pub at: Timestamp,
    /// The person's email; absent for the command line.
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The audit log, newest first: `limit` lines older than the cursor
/// (`(at, id)` of the last line seen), optionally of one action's kind
/// (its prefix, such as `redemption.`).
pub async fn audit_log(db: &Db, action_prefix: Option<&str>, before: Option<(i64, &str)>, limit: i64) -> Result<Vec<AuditLine>, ApiError> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    let prefix = action_prefix.filter(|p| !p.is_empty()).map(|p| format!("{}%", p.replace(['%', '_'], "")));
    Ok(sqlx::query_as(
        "SELECT a.id, a.at, p.email AS actor, a.action, a.subject, a.before, a.after \
         FROM audit_log a LEFT JOIN people p ON p.id = a.actor \
         WHERE (a.at < $1 OR (a.at = $1 AND a.id < $2)) AND (a.action LIKE $3 OR $3 IS NULL) \
         ORDER BY a.at DESC, a.id DESC LIMIT $4",
    )
    .bind(at)
    .bind(id)
    .bind(prefix)
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_kept_as_an_argon2id_hash_that_only_it_matches() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(!stored.contains("correct horse"));
        assert!(matches("correct horse battery", &stored));
        assert!(!matches("correct horse batterY", &stored));
        assert_ne!(hash("correct horse battery").unwrap(), stored, "a fresh salt each time");
        assert!(PasswordHash::new(DUMMY_HASH).is_ok(), "the dummy hash parses, so an unknown email costs a real check");
        assert!(!matches("", DUMMY_HASH));
    }

    #[test]
    fn emails_and_passwords_are_checked() {
        assert_eq!(check_email(" Ops@Example.COM ").unwrap(), "ops@example.com");
        for bad in ["ops", "ops@localhost", "@example.com", "o ps@example.com", "ops@example.com."] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("twelve chars").is_ok());
        let generated = generated_password();
        assert_eq!(generated.len(), 24);
        assert!(check_password(&generated).is_ok());
    }
}
