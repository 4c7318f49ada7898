//! Partners: the app companies that integrate. Their credentials, allowed
//! embed origins, and the verification of their signed server calls (SPEC §2).

use crate::error::ErrorCode;
use crate::{
    clock::now_ms,
    db::Db,
    error::{ApiError, is_unique_violation},
    ids::random_secret,
    outbound::{Outbound, Refused},
    signature::{self, TOLERANCE_SECONDS},
};
use serde::{Deserialize, Serialize};

/// How long a replaced secret keeps verifying after a rotation, by default.
pub const DEFAULT_ROTATION_GRACE_MS: i64 = 24 * 3600 * 1000;

/// The longest grace a rotation may give the replaced secret: 7 days.
pub const MAX_ROTATION_GRACE_SECONDS: i64 = 7 * 86_400;

/// The grace period of a rotation, in milliseconds, from the `graceSeconds` a
/// caller gave (the default when none): the one rule for every secret, whether
/// rotated over the admin API, the partner API or the CLI.
pub fn rotation_grace_ms(grace_seconds: Option<i64>) -> Result<i64, ApiError> {
    match grace_seconds {
        None => Ok(DEFAULT_ROTATION_GRACE_MS),
        Some(g) if (0..=MAX_ROTATION_GRACE_SECONDS).contains(&g) => Ok(g * 1000),
        Some(_) => Err(ApiError::validation(vec![("graceSeconds", format!("must be 0–{MAX_ROTATION_GRACE_SECONDS}"))])),
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Partner {
    pub id: String,
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

fn secrets<'a>(current: &'a str, previous: Option<&'a str>, until: Option<i64>, now: i64) -> Vec<&'a str> {
    let mut out = vec![current];
    if let (Some(prev), Some(until)) = (previous, until)
        && now < until
    {
        out.push(prev);
    }
    out
}

/// A partner as the admin API shows it: never its secrets.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerView {
    pub id: String,
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

/// Where a partner's backend is and the secret Tessera sends it.
#[derive(Debug, Clone)]
pub struct Integration {
    pub base_url: url::Url,
    pub secret: String,
    /// The replaced secret, during its rotation's grace period only.
    pub previous_secret: Option<String>,
}

impl Integration {
    /// `{base}/{path}` (the base's own path kept: `https://api.example.com/tessera` + `sso`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url.as_str().trim_end_matches('/'))
    }

    /// A call to the partner's backend at `{base}/{path}`, checked now: refused
    /// (nothing sent) when the URL points at a network calls may not reach.
    pub fn call(&self, outbound: &Outbound, method: reqwest::Method, path: &str) -> Result<Call, Refused> {
        // The client's own timeout: `partner_backend_timeout_seconds`.
        let request = outbound.request(method, &self.url(path))?;
        Ok(Call { request, secret: self.secret.clone(), previous_secret: self.previous_secret.clone() })
    }
}

/// A checked call to a partner's backend, ready to send.
pub struct Call {
    request: reqwest::RequestBuilder,
    secret: String,
    previous_secret: Option<String>,
}

impl Call {
    /// Sends `body` (JSON, if any) with the integration secret in
    /// [`crate::coins::SECRET_HEADER`] and the partner-backend timeout. During a rotation's
    /// grace period, a 401 or 403 — the backend does not know the new secret
    /// yet — is tried once more with the replaced one (the backend refused
    /// without acting, so the second call is safe even for a debit).
    pub async fn send(self, body: Option<&serde_json::Value>) -> Result<reqwest::Response, reqwest::Error> {
        let request = match body {
            Some(b) => self.request.json(b),
            None => self.request,
        };
        let fallback = self.previous_secret.and_then(|previous| Some((previous, request.try_clone()?)));
        let answer = request.header(crate::coins::SECRET_HEADER, &self.secret).send().await?;
        match fallback {
            Some((previous, again)) if matches!(answer.status().as_u16(), 401 | 403) => {
                again.header(crate::coins::SECRET_HEADER, previous).send().await
            }
            _ => Ok(answer),
        }
    }
}

/// After an `UPDATE partners … WHERE id = $1`: drops the cached row, and a
/// partner that was not there is a 404.
pub(crate) fn updated(db: &Db, id: &str, rows_affected: u64) -> Result<(), ApiError> {
    db.partners.forget(id);
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
pub(crate) async fn store_settings(db: &Db, id: &str, which: Settings, value: &impl Serialize) -> Result<(), ApiError> {
    let sql = match which {
        Settings::Theme => "UPDATE partners SET theme = $2, updated_at = $3 WHERE id = $1",
        Settings::Webview => "UPDATE partners SET webview = $2, updated_at = $3 WHERE id = $1",
    };
    let done = sqlx::query(sql)
        .bind(id)
        .bind(serde_json::to_string(value).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?)
        .bind(now_ms())
        .execute(db.write_pool())
        .await?;
    updated(db, id, done.rows_affected())
}

/// Sets the partner's backend base URL (`None` removes it); answers the new
/// integration secret, shown once.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrationInput {
    /// `https://…` (or `http://…`), e.g. `https://api.example.com/tessera`; null removes it.
    pub base_url: Option<String>,
    /// Whether the backend keeps a coins ledger (default true); false for a
    /// backend that answers `/sso` only.
    #[serde(default)]
    pub coins_ledger: Option<bool>,
}

/// The integration as set, with its secret (shown once).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationCredentials {
    pub partner_id: String,
    pub base_url: Option<String>,
    /// Sent as `X-Tessera-Secret` on every call to the partner's backend; check it there.
    pub secret: Option<String>,
}

/// Sets (or clears) a partner's backend; a new secret each time it is set.
pub async fn set_integration(db: &Db, outbound: &Outbound, id: &str, input: &IntegrationInput) -> Result<IntegrationCredentials, ApiError> {
    let refused = |why: String| ApiError::validation(vec![("baseUrl", why)]);
    let base = match input.base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(raw) => {
            let u = outbound.check_for_save(raw).await.map_err(refused)?;
            if u.query().is_some() || u.fragment().is_some() {
                return Err(refused(
                    "must be an http(s) URL without query or fragment; Tessera appends /sso, /balance, /debit and /reverse".into(),
                ));
            }
            Some(u.as_str().trim_end_matches('/').to_string())
        }
    };
    let secret = base.as_ref().map(|_| random_secret("its_"));
    // The secret it replaces keeps working for the default grace period (a
    // backend refusing the new one is called again with it), as on rotation.
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE partners SET integration_base_url = $2, \
         integration_secret_previous = CASE WHEN $2 IS NULL THEN NULL ELSE integration_secret END, \
         integration_secret_previous_until = CASE WHEN $2 IS NULL OR integration_secret IS NULL THEN NULL ELSE $6 END, \
         integration_secret = $3, integration_coins = $4, updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(&base)
    .bind(&secret)
    .bind(i64::from(input.coins_ledger.unwrap_or(true)))
    .bind(now)
    .bind(now + DEFAULT_ROTATION_GRACE_MS)
    .execute(db.write_pool())
    .await?;
    updated(db, id, done.rows_affected())?;
    Ok(IntegrationCredentials { partner_id: id.to_string(), base_url: base, secret })
}

/// Credentials as shown once, at creation or rotation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerCredentials {
    pub partner_id: String,
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
        Some(id) if valid_partner_id(&id) => id,
        Some(_) => {
            return Err(ApiError::validation(vec![(
                "id",
                "use 3–64 lowercase letters, digits, - or _, starting with a letter or digit".into(),
            )]));
        }
        None => format!("ptn_{}", &crate::ids::new_id().replace('-', "")[12..]),
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

pub async fn find(db: &Db, id: &str) -> Result<Option<Partner>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM partners WHERE id = $1"));
    Ok(sqlx::query_as(sql).bind(id).fetch_optional(db.pool()).await?)
}

/// Partners read in the last few seconds, for checks made on every request
/// (the JWT of each `/me/*` call). A change made through this process
/// (rotation, allowed origins) drops its entry at once; other instances see it
/// within [`Cache::TTL`] — a secret rotated with no grace period stops
/// verifying there that much later.
#[derive(Debug, Default)]
pub struct Cache(std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Partner)>>);

impl Cache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(5);

    fn get(&self, id: &str) -> Option<Partner> {
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

    pub(crate) fn forget(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// [`find`], answered from the [`Cache`] when it read the partner moments ago.
pub async fn find_recent(db: &Db, id: &str) -> Result<Option<Partner>, ApiError> {
    if let Some(p) = db.partners.get(id) {
        return Ok(Some(p));
    }
    let found = find(db, id).await?;
    if let Some(p) = &found {
        db.partners.put(p);
    }
    Ok(found)
}

pub async fn get(db: &Db, id: &str) -> Result<Partner, ApiError> {
    find(db, id).await?.ok_or_else(|| ApiError::not_found("No such partner."))
}

pub async fn list(db: &Db) -> Result<Vec<Partner>, ApiError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM partners ORDER BY created_at, id"));
    Ok(sqlx::query_as(sql).fetch_all(db.pool()).await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    Api,
    Jwt,
    /// The `X-Tessera-Secret` sent to the partner's backend (SSO, coins).
    Integration,
}

/// Replaces a secret; the old one keeps verifying (or, for the integration
/// secret, is sent when the backend refuses the new one) for `grace_ms`.
pub async fn rotate_secret(db: &Db, id: &str, kind: SecretKind, grace_ms: i64) -> Result<PartnerCredentials, ApiError> {
    let now = now_ms();
    let until = now + grace_ms.max(0);
    let (prefix, sql) = match kind {
        SecretKind::Api => (
            "sk_",
            "UPDATE partners SET api_secret_previous = api_secret, api_secret_previous_until = $2, \
             api_secret = $3, updated_at = $4 WHERE id = $1",
        ),
        SecretKind::Jwt => (
            "jwt_",
            "UPDATE partners SET jwt_secret_previous = jwt_secret, jwt_secret_previous_until = $2, \
             jwt_secret = $3, updated_at = $4 WHERE id = $1",
        ),
        SecretKind::Integration => (
            "its_",
            "UPDATE partners SET integration_secret_previous = integration_secret, integration_secret_previous_until = $2, \
             integration_secret = $3, updated_at = $4 WHERE id = $1 AND integration_secret IS NOT NULL",
        ),
    };
    let secret = random_secret(prefix);
    let done = sqlx::query(sql).bind(id).bind(until).bind(&secret).bind(now).execute(db.write_pool()).await?;
    if done.rows_affected() == 0 && kind == SecretKind::Integration {
        get(db, id).await?;
        return Err(ApiError::validation(vec![(
            "kind",
            "this partner has no backend set up, so no integration secret to rotate; PUT /admin/partners/{id}/integration first".into(),
        )]));
    }
    updated(db, id, done.rows_affected())?;
    let mut creds = PartnerCredentials {
        partner_id: id.to_string(),
        api_secret: None,
        jwt_secret: None,
        integration_secret: None,
        previous_valid_until: Some(crate::clock::to_rfc3339(until)),
    };
    match kind {
        SecretKind::Api => creds.api_secret = Some(secret),
        SecretKind::Jwt => creds.jwt_secret = Some(secret),
        SecretKind::Integration => creds.integration_secret = Some(secret),
    }
    Ok(creds)
}

pub async fn set_allowed_origins(db: &Db, id: &str, origins: &[String]) -> Result<Partner, ApiError> {
    let origins = parse_origins(origins)?;
    let done = sqlx::query("UPDATE partners SET allowed_origins = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(serde_json::to_string(&origins).unwrap_or_else(|_| "[]".into()))
        .bind(now_ms())
        .execute(db.write_pool())
        .await?;
    updated(db, id, done.rows_affected())?;
    get(db, id).await
}

/// What a partner's signed request carries, as read off the wire.
pub struct SignedRequest<'a> {
    pub partner_id: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a [u8],
}

/// Verifies a partner's server call (SPEC §2) and returns the partner.
pub async fn authenticate(db: &Db, req: SignedRequest<'_>, now_ms: i64) -> Result<Partner, ApiError> {
    let (Some(partner_id), Some(header)) = (req.partner_id, req.signature) else {
        return Err(ApiError::new(
            ErrorCode::SignatureMissing,
            "Send X-Partner-Id and X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>.",
        ));
    };
    let partner =
        find(db, partner_id).await?.ok_or_else(|| ApiError::new(ErrorCode::UnknownPartner, "No partner has this X-Partner-Id."))?;
    let parsed = signature::parse_header(header)
        .map_err(|e| ApiError::new(ErrorCode::SignatureInvalid, format!("X-Signature is malformed: {e}.")))?;
    let t = parsed.timestamp.to_string();
    let parts = signature::partner_request_parts(&t, req.method, req.path_and_query, req.body);
    let Some(matched) = signature::matching(&parsed, &partner.api_secrets(now_ms), &parts) else {
        return Err(ApiError::new(
            ErrorCode::SignatureInvalid,
            "X-Signature does not match. Sign \"<t>.<METHOD>.<path?query>.<raw body>\" with your API secret, \
             using the body bytes exactly as sent.",
        ));
    };
    let now_s = now_ms.div_euclid(1000);
    let skew = (now_s - parsed.timestamp).abs();
    if skew > TOLERANCE_SECONDS {
        return Err(ApiError::new(ErrorCode::SignatureExpired, "The signature's t is more than 300 seconds from the server's clock.")
            .with_details(serde_json::json!({ "serverTime": now_s, "t": parsed.timestamp })));
    }
    // Replay: each signature is good once. The one remembered is the one that
    // verified (junk `v1=` entries before it must not make it new again); kept
    // until it would expire anyway.
    let sig_hex = hex::encode(matched);
    let expires = (parsed.timestamp + TOLERANCE_SECONDS + 1) * 1000;
    let fresh = sqlx::query(
        "INSERT INTO seen_signatures (partner_id, signature, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (partner_id, signature) DO NOTHING",
    )
    .bind(&partner.id)
    .bind(&sig_hex)
    .bind(expires)
    .execute(db.write_pool())
    .await?;
    if fresh.rows_affected() == 0 {
        return Err(ApiError::new(
            ErrorCode::SignatureReplayed,
            "This signature was already used. Sign every request anew, with the current time.",
        ));
    }
    Ok(partner)
}

/// Forgets signatures that could no longer pass the time check.
pub async fn prune_seen_signatures(db: &Db, now_ms: i64) -> Result<u64, ApiError> {
    Ok(sqlx::query("DELETE FROM seen_signatures WHERE expires_at < $1").bind(now_ms).execute(db.write_pool()).await?.rows_affected())
}
