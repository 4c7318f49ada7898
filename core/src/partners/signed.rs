//! Verifying a partner's signed server call (SPEC §2): the `X-Signature`
//! over the raw request, within the time tolerance, never seen before.

use super::*;

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
    let partner = find(db, &PartnerId::new(partner_id))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownPartner, "No partner has this X-Partner-Id."))?;
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
