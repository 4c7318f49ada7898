//! The four ways a webhook can be signed (SPEC §5), chosen per endpoint, and
//! their verification (for `tessera webhook verify` and our own tests of
//! receivers).

use crate::signature::{self, SignatureHeader};
use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};

/// How an endpoint's deliveries are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// `X-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; two
    /// `v1` entries while a secret rotates.
    Tessera,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature: v1,<base64>` (space-separated while rotating). The
    /// secret is `whsec_<base64 key>`.
    StandardWebhooks,
    /// `X-Verify: <base64 HMAC-SHA256(secret, body)>`.
    Hubble,
    /// `X-Spaaza-Hmac-SHA256: <base64 HMAC-SHA256(secret, body)>`.
    Spaaza,
}

crate::sql_text!(Scheme);

impl Scheme {
    pub const ALL: [Scheme; 4] = [Scheme::Tessera, Scheme::StandardWebhooks, Scheme::Hubble, Scheme::Spaaza];

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Tessera => "tessera",
            Scheme::StandardWebhooks => "standard-webhooks",
            Scheme::Hubble => "hubble",
            Scheme::Spaaza => "spaaza",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// A fresh secret in the form the scheme's receivers expect.
    pub fn new_secret(self) -> String {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        match self {
            // The Standard Webhooks libraries decode the key from base64.
            Scheme::StandardWebhooks => format!("whsec_{}", STANDARD.encode(key)),
            // The others use the secret's characters as the HMAC key, as seeds
            // 001–003 show.
            _ => format!("whk_{}", hex::encode(key)),
        }
    }

    /// Checks a secret an operator supplies (e.g. carried over from another
    /// provider).
    pub fn check_secret(self, secret: &str) -> Result<(), String> {
        match self {
            _ if secret.len() > 256 => Err("must be at most 256 characters".into()),
            Scheme::StandardWebhooks => {
                standardwebhooks::Webhook::new(secret).map(|_| ()).map_err(|_| "must be whsec_ followed by a base64 key".into())
            }
            _ if secret.len() < 16 => Err("must be at least 16 characters".into()),
            _ => Ok(()),
        }
    }
}

/// The headers a delivery carries, signed with `secrets` (the current one
/// first, then the one being rotated out, if any).
pub fn sign(scheme: Scheme, secrets: &[&str], event_id: &str, timestamp: i64, body: &[u8]) -> Result<Vec<(&'static str, String)>, String> {
    let current = *secrets.first().ok_or("no secret")?;
    let base64_mac = |secret: &str| STANDARD.encode(signature::mac(secret.as_bytes(), &[body]));
    Ok(match scheme {
        Scheme::Tessera => {
            let t = timestamp.to_string();
            let v1: Vec<String> =
                secrets.iter().map(|s| format!("v1={}", hex::encode(signature::mac(s.as_bytes(), &[t.as_bytes(), body])))).collect();
            vec![("x-signature", format!("t={t},{}", v1.join(","))), ("x-tessera-event-id", event_id.to_string())]
        }
        Scheme::StandardWebhooks => {
            let mut signatures = Vec::new();
            for secret in secrets {
                let hook = standardwebhooks::Webhook::new(secret).map_err(|e| format!("the endpoint secret is not usable: {e}"))?;
                signatures.push(hook.sign(event_id, timestamp, body).map_err(|e| e.to_string())?);
            }
            vec![
                (standardwebhooks::HEADER_WEBHOOK_ID, event_id.to_string()),
                (standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string()),
                (standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signatures.join(" ")),
            ]
        }
        // One header value only: these schemes sign with the current secret.
        Scheme::Hubble => vec![("x-verify", base64_mac(current))],
        Scheme::Spaaza => vec![("x-spaaza-hmac-sha256", base64_mac(current))],
    })
}

/// Checks a received body and headers against a secret. `now` is Unix
/// seconds; `None` skips the timestamp window (to check a captured body).
pub fn verify(scheme: Scheme, secret: &str, headers: &HeaderMap, body: &[u8], now: Option<i64>) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .ok_or_else(|| format!("the {name} header is missing"))?
            .to_str()
            .map_err(|_| format!("the {name} header is not text"))
    };
    let fresh = |t: i64| match now {
        Some(now) if (now - t).abs() > signature::TOLERANCE_SECONDS => Err(format!(
            "the timestamp {t} is {} s from now (more than {} s): a stale or replayed delivery, or a clock off",
            now - t,
            signature::TOLERANCE_SECONDS
        )),
        _ => Ok(()),
    };
    let base64_matches = |got: &str| {
        use subtle::ConstantTimeEq;
        let expected = STANDARD.encode(signature::mac(secret.as_bytes(), &[body]));
        if bool::from(got.trim().as_bytes().ct_eq(expected.as_bytes())) {
            Ok(())
        } else {
            Err("the signature does not match this body and secret (was the body re-serialised, or the secret another?)".to_string())
        }
    };
    match scheme {
        Scheme::Tessera => {
            let parsed: SignatureHeader = signature::parse_header(header("x-signature")?).map_err(|e| e.to_string())?;
            fresh(parsed.timestamp)?;
            let t = parsed.timestamp.to_string();
            if signature::matches(&parsed, &[secret], &[t.as_bytes(), body]) {
                Ok(())
            } else {
                Err("no v1 signature matches this body and secret (was the body re-serialised, or the secret another?)".into())
            }
        }
        Scheme::StandardWebhooks => {
            let hook = standardwebhooks::Webhook::new(secret).map_err(|_| "the secret must be whsec_ followed by base64".to_string())?;
            let t: i64 = header("webhook-timestamp")?.parse().map_err(|_| "webhook-timestamp is not a number".to_string())?;
            fresh(t)?;
            // Signed the crate's way; compared in constant time, as its own verifier does.
            let expected = hook.sign(header("webhook-id")?, t, body).map_err(|e| e.to_string())?;
            let matched = header("webhook-signature")?.split(' ').any(|got| {
                use subtle::ConstantTimeEq;
                bool::from(got.as_bytes().ct_eq(expected.as_bytes()))
            });
            if matched { Ok(()) } else { Err("no v1 signature matches this body and secret".into()) }
        }
        Scheme::Hubble => base64_matches(header("x-verify")?),
        Scheme::Spaaza => base64_matches(header("x-spaaza-hmac-sha256")?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_map(headers: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn every_scheme_verifies_what_it_signs_and_nothing_else() {
        let now = 1_764_000_000;
        for scheme in Scheme::ALL {
            let secret = scheme.new_secret();
            scheme.check_secret(&secret).unwrap();
            let body = br#"{"id":"e1","type":"CLAIM_CREATED"}"#;
            let headers = as_map(&sign(scheme, &[&secret], "e1", now, body).unwrap());
            verify(scheme, &secret, &headers, body, Some(now)).unwrap();
            verify(scheme, &secret, &headers, body, None).unwrap();
            let other = scheme.new_secret();
            assert!(verify(scheme, &other, &headers, body, Some(now)).is_err(), "{scheme:?} accepted another secret");
            assert!(verify(scheme, &secret, &headers, b"{}", Some(now)).is_err(), "{scheme:?} accepted another body");
        }
    }

    #[test]
    fn timestamped_schemes_refuse_stale_deliveries_and_rotation_signs_twice() {
        let now = 1_764_000_000;
        for scheme in [Scheme::Tessera, Scheme::StandardWebhooks] {
            let (new, old) = (scheme.new_secret(), scheme.new_secret());
            let headers = as_map(&sign(scheme, &[&new, &old], "e1", now - 301, b"{}").unwrap());
            assert!(verify(scheme, &new, &headers, b"{}", Some(now)).is_err());
            verify(scheme, &new, &headers, b"{}", Some(now - 300)).unwrap();
            verify(scheme, &old, &headers, b"{}", Some(now - 300)).unwrap();
        }
    }
}
