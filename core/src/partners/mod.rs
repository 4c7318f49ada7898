//! Partners: the app companies that integrate. Their records here (create,
//! find, the short-lived cache, allowed embed origins); their stored
//! [`settings`] (theme, webview); their
//! [`secrets`] and rotation; the verification of their [`signed`] server calls
//! (SPEC §2); and the [`integration`] with their own backend.

use crate::types::PartnerId;
mod integration;
mod secrets;
mod settings;
mod signed;

pub use integration::*;
pub use secrets::*;
pub use settings::*;
pub use signed::*;

use crate::error::ErrorCode;
use crate::{
    Platform,
    clock::now_ms,
    db::Db,
    error::{ApiError, is_unique_violation},
    ids::random_secret,
    outbound::{Outbound, Refused},
    signature::{self, TOLERANCE_SECONDS},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    api_secret: String,
    api_secret_previous: Option<String>,
    api_secret_previous_until: Option<i64>,
    jwt_secret: String,
    jwt_secret_previous: Option<String>,
    jwt_secret_previous_until: Option<i64>,
    allowed_origins: String,
    sandbox: i64,
    theme: String,
    integration_base_url: Option<String>,
    integration_secret: Option<String>,
    integration_secret_previous: Option<String>,
    integration_secret_previous_until: Option<i64>,
    integration_coins: i64,
    webview: String,
    pub created_at: i64,
}

impl Partner {
    /// The secrets that verify a server call now: the current one, and the
    /// previous one during its grace period.
    pub fn api_secrets(&self, now: i64) -> Vec<&str> {
        secrets(&self.api_secret, self.api_secret_previous.as_deref(), self.api_secret_previous_until, now)
    }

    pub fn jwt_secrets(&self, now: i64) -> Vec<&str> {
        secrets(&self.jwt_secret, self.jwt_secret_previous.as_deref(), self.jwt_secret_previous_until, now)
    }

    /// The current JWT secret, for minting development tokens.
    pub fn jwt_secret(&self) -> &str {
        &self.jwt_secret
    }

    /// The partner's webview theme (the defaults if none was set).
    pub fn theme(&self) -> crate::theme::Theme {
        serde_json::from_str(&self.theme).unwrap_or_default()
    }

    /// The partner's language, time zone and support settings (defaults if none were set).
    pub fn webview(&self) -> crate::webview::WebviewSettings {
        serde_json::from_str(&self.webview).unwrap_or_default()
    }

    pub fn allowed_origins(&self) -> Vec<String> {
        serde_json::from_str(&self.allowed_origins).unwrap_or_default()
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox != 0
    }

    /// The partner's own backend, when it has one (SSO, coins).
    pub fn integration(&self) -> Option<Integration> {
        let base_url = url::Url::parse(self.integration_base_url.as_deref()?).ok()?;
        let secret = self.integration_secret.clone()?;
        let previous_secret =
            secrets(&secret, self.integration_secret_previous.as_deref(), self.integration_secret_previous_until, now_ms())
                .get(1)
                .map(|s| s.to_string());
        Some(Integration { base_url, secret, previous_secret })
    }

    /// The partner's backend when it keeps a coins ledger (`None`: no coin is
    /// ever asked for, so the wallet makes no balance call).
    pub fn coins_ledger(&self) -> Option<Integration> {
        self.integration().filter(|_| self.integration_coins != 0)
    }

    pub fn view(&self) -> PartnerView {
        PartnerView {
            id: self.id.clone(),
            name: self.name.clone(),
            allowed_origins: self.allowed_origins(),
            sandbox: self.is_sandbox(),
            api_secret_rotating: self.api_secret_previous_until.is_some_and(|u| u > now_ms()),
            jwt_secret_rotating: self.jwt_secret_previous_until.is_some_and(|u| u > now_ms()),
            integration_secret_rotating: self.integration_secret.is_some()
                && self.integration_secret_previous_until.is_some_and(|u| u > now_ms()),
            integration_base_url: self.integration_base_url.clone(),
            coins_ledger: self.integration_base_url.is_some() && self.integration_coins != 0,
            created_at: crate::clock::to_rfc3339(self.created_at),
        }
    }
}

/// A partner as the admin API shows it: never its secrets.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerView {
    pub id: PartnerId,
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub sandbox: bool,
    pub api_secret_rotating: bool,
    pub jwt_secret_rotating: bool,
    /// Whether calls to the partner's backend may still fall back to the replaced integration secret.
    pub integration_secret_rotating: bool,
    /// The partner's backend Tessera calls for SSO and coins, if set.
    pub integration_base_url: Option<String>,
    /// Whether that backend keeps the users' coins (`/balance`, `/debit`, `/reverse`).
    pub coins_ledger: bool,
    pub created_at: String,
}

/// After an `UPDATE partners … WHERE id = $1`: drops the cached row, and a
/// partner that was not there is a 404.
pub(crate) fn updated(p: &Platform, id: &PartnerId, rows_affected: u64) -> Result<(), ApiError> {
    p.partners.forget(id);
    if rows_affected == 0 {
        return Err(ApiError::not_found("No such partner."));
    }
    Ok(())
}

/// A partner's settings kept as checked JSON, one column each.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Settings {
    Theme,
    Webview,
}

/// Replaces one of a partner's JSON settings (checked by the caller); a 404 for no such partner.
pub(crate) async fn store_settings(p: &Platform, id: &PartnerId, which: Settings, value: &impl Serialize) -> Result<(), ApiError> {
    let sql = match which {
        Settings::Theme => "UPDATE partners SET theme = $2, updated_at = $3 WHERE id = $1",
        Settings::Webview => "UPDATE partners SET webview = $2, updated_at = $3 WHERE id = $1",
    };
    let done = sqlx::query(sql)
        .bind(id)
        .bind(serde_json::to_string(value).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?)
        .bind(now_ms())
        .execute(p.db.write_pool())
        .await?;
    updated(p, id, done.rows_affected())
}

/// Credentials as shown once, at creation or rotation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerCredentials {
    pub partner_id: PartnerId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<String>,
    /// The new `X-Tessera-Secret` (integration rotations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_secret: Option<String>,
    /// Until when the replaced secret still verifies (rotations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_valid_until: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPartner {
    /// Lowercase letters, digits, `-` and `_`, 3–64 characters; generated when absent.
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub sandbox: bool,
}

const COLUMNS: &str = "id, name, api_secret, api_secret_previous, api_secret_previous_until, jwt_secret, \
     jwt_secret_previous, jwt_secret_previous_until, allowed_origins, sandbox, theme, integration_base_url, \
     integration_secret, integration_secret_previous, integration_secret_previous_until, integration_coins, webview, created_at";

pub fn valid_partner_id(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_alphanumeric()
}

/// Checks an origin is `scheme://host[:port]` with nothing after it.
pub fn parse_origin(raw: &str) -> Result<String, String> {
    // `https://*.x.com` would parse as a host and become a CSP wildcard in
    // `frame-ancestors`: every subdomain of x.com could frame the webview.
    if raw.contains('*') {
        return Err(format!("{raw:?}: wildcard origins are not accepted; list each origin that embeds the webview"));
    }
    let url = url::Url::parse(raw).map_err(|_| format!("{raw:?} is not an origin like https://app.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{raw:?} must be an http(s) origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("{raw:?} must be an origin only, without a path"));
    }
    Ok(url.origin().ascii_serialization())
}

fn parse_origins(raw: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for o in raw {
        match parse_origin(o) {
            Ok(o) if !out.contains(&o) => out.push(o),
            Ok(_) => {}
            Err(e) => return Err(ApiError::validation(vec![("allowedOrigins", e)])),
        }
    }
    Ok(out)
}

pub async fn create(db: &Db, new: NewPartner) -> Result<(Partner, PartnerCredentials), ApiError> {
    let id = match new.id {
        Some(id) if valid_partner_id(&id) => PartnerId::new(id),
        Some(_) => {
            return Err(ApiError::validation(vec![(
                "id",
                "use 3–64 lowercase letters, digits, - or _, starting with a letter or digit".into(),
            )]));
        }
        None => PartnerId::new(format!("ptn_{}", &crate::ids::new_id().replace('-', "")[12..])),
    };
    let name = new.name.trim().to_string();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::validation(vec![("name", "give a name of 1–200 characters".into())]));
    }
    let origins = parse_origins(&new.allowed_origins)?;
    let api_secret = random_secret("sk_");
    let jwt_secret = random_secret("jwt_");
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO partners (id, name, api_secret, jwt_secret, allowed_origins, sandbox, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&name)
    .bind(&api_secret)
    .bind(&jwt_secret)
    .bind(serde_json::to_string(&origins).unwrap_or_else(|_| "[]".into()))
    .bind(i64::from(new.sandbox))
    .bind(now)
    .execute(db.write_pool())
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::new(ErrorCode::Conflict, format!("A partner with id {id:?} already exists.")));
        }
        Err(e) => return Err(e.into()),
    }
    let partner = find(db, &id).await?.ok_or_else(|| ApiError::internal(anyhow::anyhow!("partner vanished")))?;
    let creds = PartnerCredentials {
        partner_id: id,
        api_secret: Some(api_secret),
        jwt_secret: Some(jwt_secret),
        integration_secret: None,
        previous_valid_until: None,
    };
    Ok((partner, creds))
}

pub async fn find(db: &Db, id: &PartnerId) -> Result<Option<Partner>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM partners WHERE id = $1"));
    Ok(sqlx::query_as(sql).bind(id).fetch_optional(db.pool()).await?)
}

/// Partners read in the last few seconds, for checks made on every request
/// (the JWT of each `/me/*` call); one per [`Platform`]. A change made through this process
/// (rotation, allowed origins) drops its entry at once; other instances see it
/// within [`Cache::TTL`] — a secret rotated with no grace period stops
/// verifying there that much later.
#[derive(Debug, Default)]
pub struct Cache(std::sync::Mutex<std::collections::HashMap<PartnerId, (std::time::Instant, Partner)>>);

impl Cache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(5);

    fn get(&self, id: &PartnerId) -> Option<Partner> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).filter(|(at, _)| at.elapsed() < Self::TTL).map(|(_, p)| p.clone())
    }

    fn put(&self, partner: &Partner) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (at, _)| at.elapsed() < Self::TTL);
        }
        map.insert(partner.id.clone(), (std::time::Instant::now(), partner.clone()));
    }

    pub(crate) fn forget(&self, id: &PartnerId) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// [`find`], answered from the [`Cache`] when it read the partner moments ago.
pub async fn find_recent(p: &Platform, id: &PartnerId) -> Result<Option<Partner>, ApiError> {
    if let Some(partner) = p.partners.get(id) {
        return Ok(Some(partner));
    }
    let found = find(&p.db, id).await?;
    if let Some(partner) = &found {
        p.partners.put(partner);
    }
    Ok(found)
}

pub async fn get(db: &Db, id: &PartnerId) -> Result<Partner, ApiError> {
    find(db, id).await?.ok_or_else(|| ApiError::not_found("No such partner."))
}

pub async fn list(db: &Db) -> Result<Vec<Partner>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM partners ORDER BY created_at, id"));
    Ok(sqlx::query_as(sql).fetch_all(db.pool()).await?)
}

/// A page of partners by id (the console's list): whose id or name has
/// `text`, after the partner `after`.
pub async fn page(db: &Db, text: &str, after: &str, limit: i64) -> Result<Vec<Partner>, ApiError> {
    let text = text.trim().to_lowercase().replace(['%', '_'], "");
    let like = if text.is_empty() { String::new() } else { format!("%{text}%") };
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM partners WHERE ($1 = '' OR LOWER(id) LIKE $1 OR LOWER(name) LIKE $1) AND id > $2 ORDER BY id LIMIT $3"
    ));
    Ok(sqlx::query_as(sql).bind(like).bind(after).bind(limit.clamp(1, 500)).fetch_all(db.pool()).await?)
}

pub async fn set_allowed_origins(p: &Platform, id: &PartnerId, origins: &[String]) -> Result<Partner, ApiError> {
    let db = &p.db;
    let origins = parse_origins(origins)?;
    let done = sqlx::query("UPDATE partners SET allowed_origins = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(serde_json::to_string(&origins).unwrap_or_else(|_| "[]".into()))
        .bind(now_ms())
        .execute(db.write_pool())
        .await?;
    updated(p, id, done.rows_affected())?;
    get(db, id).await
}
