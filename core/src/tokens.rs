//! Partner-minted JWTs (SPEC §3): HS256 with the partner's JWT secret,
//! `iss` = partner id, `sub` = externalUserId, `exp` at most an hour after `iat`.

use crate::error::ErrorCode;
use crate::types::{ExternalUserId, PartnerId, UserId};
use crate::{
    Platform,
    db::Db,
    error::ApiError,
    partners::{self, Partner},
    users::{Profile, validate_external_user_id},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

pub const LEEWAY_SECONDS: i64 = 30;
pub const MAX_LIFETIME_SECONDS: i64 = 3600;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: ExternalUserId,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// OpenID Connect's `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohorts: Option<Vec<String>>,
    /// The user's language (BCP 47), e.g. `ms-MY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl Claims {
    pub fn profile(&self) -> Profile {
        Profile {
            email: self.email.clone(),
            first_name: self.given_name.clone(),
            last_name: self.family_name.clone(),
            phone_number: self.phone_number.clone(),
            cohorts: self.cohorts.clone(),
            locale: self.locale.clone(),
        }
    }
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(ErrorCode::TokenInvalid, message)
}

/// Reads `iss` before verifying, only to know whose secret verifies the rest.
fn unverified_issuer(token: &str) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    let payload = token.split('.').nth(1).ok_or_else(|| invalid("The token is not a JWT."))?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).map_err(|_| invalid("The token is not a JWT."))?;
    let iss: Iss = serde_json::from_slice(&bytes).map_err(|_| invalid("The token's claims are not JSON."))?;
    iss.iss.ok_or_else(|| invalid("The token has no iss claim (it must be your partner id)."))
}

/// Verifies a partner JWT's signature and claims strictly; returns the
/// partner and the claims. Whether the user was signed out since it was
/// issued is [`holder`]'s to check (with the user's read).
async fn verify(p: &Platform, token: &str, now_s: i64) -> Result<(Partner, Claims), ApiError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| invalid("The token's header is not valid, or names an algorithm other than HS256."))?;
    if header.alg != Algorithm::HS256 {
        return Err(invalid(format!("The token is signed with {:?}; only HS256 is accepted.", header.alg)));
    }
    let issuer = PartnerId::new(unverified_issuer(token)?);
    // Looked up only when it could be a partner id at all: an unverified
    // claim must not reach the database with whatever it holds (a NUL, say).
    if !partners::valid_partner_id(issuer.as_str()) {
        return Err(ApiError::new(ErrorCode::TokenUnknownIssuer, "The token's iss is not a known partner id."));
    }
    let partner = partners::find_recent(p, &issuer)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::TokenUnknownIssuer, "The token's iss is not a known partner id."))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECONDS as u64;
    validation.set_issuer(&[&partner.id]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation.validate_nbf = true;
    let mut last = None;
    let mut claims = None;
    for secret in partner.jwt_secrets(now_s * 1000) {
        match jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let claims = match (claims, last) {
        (Some(c), _) => c,
        (None, Some(e)) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
            return Err(ApiError::new(ErrorCode::TokenExpired, "The token has expired; mint a new one."));
        }
        (None, Some(e)) if matches!(e.kind(), ErrorKind::InvalidSignature) => {
            return Err(invalid("The token's signature does not verify with this partner's JWT secret."));
        }
        (None, e) => return Err(invalid(format!("The token is not valid ({}).", e.map(|e| e.to_string()).unwrap_or_default()))),
    };
    if let Some(iat) = claims.iat {
        if iat > now_s + LEEWAY_SECONDS {
            return Err(invalid("The token's iat is in the future; check the minting server's clock."));
        }
        if claims.exp - iat > MAX_LIFETIME_SECONDS {
            return Err(invalid("The token lives longer than one hour (exp − iat > 3600)."));
        }
    } else if claims.exp > now_s + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS {
        return Err(invalid("The token's exp is more than one hour away."));
    }
    validate_external_user_id(claims.sub.as_str()).map_err(|e| invalid(format!("The token's sub {e}.")))?;
    Ok((partner, claims))
}

/// The token was issued before the user was signed out (`cutoff_ms`: their
/// last logout or erasure, if any).
fn check_cutoff(claims: &Claims, cutoff_ms: Option<i64>) -> Result<(), ApiError> {
    match cutoff_ms {
        Some(cutoff_ms) if issued_before(claims, cutoff_ms) => Err(ApiError::new(
            ErrorCode::TokenExpired,
            "The token was issued before the user was signed out (logout or deletion); mint a new one.",
        )),
        _ => Ok(()),
    }
}

/// Whether a token was issued before `cutoff_ms` (a logout or an erasure). `iat` is
/// in whole seconds, so a token of the cutoff's own second still counts as after it
/// (as Firebase's token revocation does); a token without `iat` is taken to be as
/// old as it may be (an hour before its `exp`).
pub fn issued_before(claims: &Claims, cutoff_ms: i64) -> bool {
    let issued_s = claims.iat.unwrap_or(claims.exp - MAX_LIFETIME_SECONDS);
    issued_s < cutoff_ms.div_euclid(1000)
}

/// The key a user's cutoff is kept under: their externalUserId, hashed (an erased
/// user's id is not kept in clear).
fn subject_hash(external_user_id: &ExternalUserId) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(external_user_id.as_str().as_bytes()))
}

/// The user's cutoff ([`check_cutoff`]) and their id if they exist, in one
/// read: every request a JWT carries asks both, and on SQLite each read is a
/// round trip to a connection's thread (the handoffs were a third of the
/// server's CPU under claims, measured with `perf`).
async fn cutoff_and_user(
    db: &Db,
    partner_id: &PartnerId,
    external_user_id: &ExternalUserId,
) -> Result<(Option<i64>, Option<UserId>), ApiError> {
    let row: (Option<i64>, Option<UserId>) = sqlx::query_as(
        "SELECT (SELECT cutoff_ms FROM token_cutoffs WHERE partner_id = $1 AND subject_hash = $2), \
         (SELECT id FROM users WHERE partner_id = $1 AND external_user_id = $3)",
    )
    .bind(partner_id)
    .bind(subject_hash(external_user_id))
    .bind(external_user_id)
    .fetch_one(db.pool())
    .await?;
    Ok(row)
}

/// From now on, the user's tokens issued before `now_ms` are refused (logout, erasure).
pub async fn cut_off(
    tx: &mut sqlx::AnyConnection,
    partner_id: &PartnerId,
    external_user_id: &ExternalUserId,
    now_ms: i64,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO token_cutoffs (partner_id, subject_hash, cutoff_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (partner_id, subject_hash) DO UPDATE SET cutoff_ms = excluded.cutoff_ms",
    )
    .bind(partner_id)
    .bind(subject_hash(external_user_id))
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Mints a token as a partner's backend would (development and tests).
pub fn mint(secret: &str, partner_id: &PartnerId, external_user_id: &ExternalUserId, now_s: i64, ttl_s: i64) -> String {
    let claims =
        Claims { iss: partner_id.to_string(), sub: external_user_id.clone(), iat: Some(now_s), exp: now_s + ttl_s, ..Claims::default() };
    mint_claims(secret, &claims)
}

pub fn mint_claims(secret: &str, claims: &Claims) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("HS256 encoding cannot fail")
}

/// The user a partner JWT is for (created on first sight, its profile
/// claims written through), as claims and pages need them.
pub async fn holder(p: &Platform, token: &str, now_s: i64) -> Result<crate::claims::Holder, ApiError> {
    let (partner, claims) = verify(p, token, now_s).await?;
    let (cutoff_ms, known) = cutoff_and_user(&p.db, &partner.id, &claims.sub).await?;
    check_cutoff(&claims, cutoff_ms)?;
    let profile = claims.profile();
    let user = match known {
        Some(id) if profile.is_empty() => crate::users::UserRef { id, external_user_id: claims.sub.clone() },
        _ => crate::users::ensure_ref(&p.db, &partner.id, &claims.sub, &profile).await?,
    };
    let holder = crate::claims::Holder { partner_id: partner.id, user_id: user.id, external_user_id: user.external_user_id };
    crate::metrics::record_caller(&holder.partner_id, Some(&holder.user_id));
    Ok(holder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iat: Option<i64>, exp: i64) -> Claims {
        Claims { iss: "p".into(), sub: "u".into(), exp, iat, ..Claims::default() }
    }

    #[test]
    fn a_token_is_cut_off_by_the_second_it_was_issued() {
        let cutoff_ms = 1_000_000_500; // 1 000 000.5 s
        assert!(issued_before(&claims(Some(999_999), 1_000_600), cutoff_ms));
        // The cutoff's own second, and after: still good.
        assert!(!issued_before(&claims(Some(1_000_000), 1_000_600), cutoff_ms));
        assert!(!issued_before(&claims(Some(1_000_001), 1_000_600), cutoff_ms));
        // Without iat: as old as it may be, an hour before exp.
        assert!(issued_before(&claims(None, 1_003_599), cutoff_ms));
        assert!(!issued_before(&claims(None, 1_003_600), cutoff_ms));
    }
}
