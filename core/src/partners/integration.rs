//! The partner's own backend, which Tessera calls: where it is, the secret
//! sent with each call (`X-Tessera-Secret`), and the call itself — checked by
//! the outbound guard, given the partner-backend timeout, retried once with the
//! replaced secret during a rotation. SSO and the coins ledger use it.

use super::*;
use crate::types::PartnerId;

/// The header every call to a partner's backend carries: the integration secret.
pub const SECRET_HEADER: &str = "X-Tessera-Secret";

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
    /// [`SECRET_HEADER`] and the partner-backend timeout. During a rotation's
    /// grace period, a 401 or 403 — the backend does not know the new secret
    /// yet — is tried once more with the replaced one (the backend refused
    /// without acting, so the second call is safe even for a debit).
    pub async fn send(self, body: Option<&serde_json::Value>) -> Result<reqwest::Response, reqwest::Error> {
        let request = match body {
            Some(b) => self.request.json(b),
            None => self.request,
        };
        let fallback = self.previous_secret.and_then(|previous| Some((previous, request.try_clone()?)));
        let answer = request.header(SECRET_HEADER, &self.secret).send().await?;
        match fallback {
            Some((previous, again)) if matches!(answer.status().as_u16(), 401 | 403) => again.header(SECRET_HEADER, previous).send().await,
            _ => Ok(answer),
        }
    }
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
    pub partner_id: PartnerId,
    pub base_url: Option<String>,
    /// Sent as `X-Tessera-Secret` on every call to the partner's backend; check it there.
    pub secret: Option<String>,
}

/// Sets (or clears) a partner's backend; a new secret each time it is set.
pub async fn set_integration(p: &Platform, id: &PartnerId, input: &IntegrationInput) -> Result<IntegrationCredentials, ApiError> {
    let (db, outbound) = (&p.db, &p.outbound);
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
    updated(p, id, done.rows_affected())?;
    Ok(IntegrationCredentials { partner_id: id.clone(), base_url: base, secret })
}
