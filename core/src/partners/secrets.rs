//! A partner's secrets and their rotation: the API secret (signed calls), the
//! JWT secret (user tokens) and the integration secret (sent to the partner's
//! backend), each replaced with a grace period during which the old one still
//! verifies (or, for the integration secret, is still sent).

use super::*;

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

pub(super) fn secrets<'a>(current: &'a str, previous: Option<&'a str>, until: Option<i64>, now: i64) -> Vec<&'a str> {
    let mut out = vec![current];
    if let (Some(prev), Some(until)) = (previous, until)
        && now < until
    {
        out.push(prev);
    }
    out
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
pub async fn rotate_secret(p: &Platform, id: &PartnerId, kind: SecretKind, grace_ms: i64) -> Result<PartnerCredentials, ApiError> {
    let db = &p.db;
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
    updated(p, id, done.rows_affected())?;
    let mut creds = PartnerCredentials {
        partner_id: id.clone(),
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
