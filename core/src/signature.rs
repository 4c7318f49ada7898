//! HMAC-SHA256 signatures in the `t=<unix>,v1=<hex>[,v1=<hex>…]` header form,
//! used by partners to sign server calls (SPEC §2) and by Tessera to sign
//! webhooks (SPEC §5, scheme `tessera`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Allowed clock difference between the signer and us.
pub const TOLERANCE_SECONDS: i64 = 300;

/// A parsed signature header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    /// Every `v1` entry (two while a secret rotates), decoded from hex.
    pub v1: Vec<[u8; 32]>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the signature header has no t= timestamp")]
    MissingTimestamp,
    #[error("the t= timestamp is not a whole number of seconds")]
    BadTimestamp,
    #[error("the signature header has no v1= signature")]
    MissingSignature,
    #[error("a v1= signature is not 64 hex characters")]
    BadSignature,
}

/// Parses `t=1700000000,v1=ab…`. Unknown keys (future versions) are ignored;
/// whitespace around entries is tolerated.
pub fn parse_header(header: &str) -> Result<SignatureHeader, HeaderError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else { continue };
        match key.trim() {
            "t" => {
                let t = value.trim();
                if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(HeaderError::BadTimestamp);
                }
                timestamp = Some(t.parse::<i64>().map_err(|_| HeaderError::BadTimestamp)?);
            }
            "v1" => {
                let mut sig = [0u8; 32];
                hex::decode_to_slice(value.trim(), &mut sig).map_err(|_| HeaderError::BadSignature)?;
                v1.push(sig);
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(HeaderError::MissingTimestamp)?;
    if v1.is_empty() {
        return Err(HeaderError::MissingSignature);
    }
    Ok(SignatureHeader { timestamp, v1 })
}

/// HMAC-SHA256 of the parts joined with `.`.
pub fn mac(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            m.update(b".");
        }
        m.update(part);
    }
    m.finalize().into_bytes().into()
}

/// The `v1` in the header that is the MAC of `parts` under one of `secrets`,
/// if any. Constant-time per comparison. Replay protection must remember
/// this one: any other `v1` in the header is whatever the sender put there.
pub fn matching(header: &SignatureHeader, secrets: &[&str], parts: &[&[u8]]) -> Option<[u8; 32]> {
    use subtle::ConstantTimeEq;
    secrets.iter().find_map(|secret| {
        let expected = mac(secret.as_bytes(), parts);
        header.v1.iter().find(|got| bool::from(got.ct_eq(&expected))).copied()
    })
}

/// True if any `v1` in the header is the MAC of `parts` under any of `secrets`.
pub fn matches(header: &SignatureHeader, secrets: &[&str], parts: &[&[u8]]) -> bool {
    matching(header, secrets, parts).is_some()
}

/// The partner-request message: `<t>.<METHOD>.<path?query>.<raw body>`.
pub fn partner_request_parts<'a>(t: &'a str, method: &'a str, path_and_query: &'a str, body: &'a [u8]) -> [&'a [u8]; 4] {
    [t.as_bytes(), method.as_bytes(), path_and_query.as_bytes(), body]
}

/// Signs a partner request, as a partner's backend does: the header value.
pub fn sign_partner_request(secret: &str, t: i64, method: &str, path_and_query: &str, body: &[u8]) -> String {
    let t = t.to_string();
    let sig = mac(secret.as_bytes(), &partner_request_parts(&t, method, path_and_query, body));
    format!("t={t},v1={}", hex::encode(sig))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_form() {
        let h = parse_header(&format!("t=1700000000,v1={}", "ab".repeat(32))).unwrap();
        assert_eq!(h.timestamp, 1_700_000_000);
        assert_eq!(h.v1, vec![[0xab; 32]]);
        let two = parse_header(&format!("t=1, v1={}, v1={}", "00".repeat(32), "ff".repeat(32))).unwrap();
        assert_eq!(two.v1.len(), 2);
    }

    #[test]
    fn refuses_malformed_headers() {
        assert_eq!(parse_header(""), Err(HeaderError::MissingTimestamp));
        assert_eq!(parse_header("v1=00"), Err(HeaderError::BadSignature));
        assert_eq!(parse_header(&format!("v1={}", "00".repeat(32))), Err(HeaderError::MissingTimestamp));
        assert_eq!(parse_header("t=abc,v1=00"), Err(HeaderError::BadTimestamp));
        assert_eq!(parse_header("t=-5,v1=00"), Err(HeaderError::BadTimestamp));
        assert_eq!(parse_header("t=5"), Err(HeaderError::MissingSignature));
        assert_eq!(parse_header(&format!("t=5,v1={}", "zz".repeat(32))), Err(HeaderError::BadSignature));
    }

    #[test]
    fn signing_and_verifying_agree_and_any_change_breaks_it() {
        let header = sign_partner_request("sk_test", 1_700_000_000, "POST", "/integrations/users?x=1", b"{\"a\":1}");
        let parsed = parse_header(&header).unwrap();
        let ok = |m: &str, p: &str, b: &[u8]| matches(&parsed, &["sk_other", "sk_test"], &partner_request_parts("1700000000", m, p, b));
        assert!(ok("POST", "/integrations/users?x=1", b"{\"a\":1}"));
        assert!(!ok("PUT", "/integrations/users?x=1", b"{\"a\":1}"));
        assert!(!ok("POST", "/integrations/users?x=2", b"{\"a\":1}"));
        assert!(!ok("POST", "/integrations/users?x=1", b"{\"a\": 1}"));
        assert!(!matches(&parsed, &["sk_other"], &partner_request_parts("1700000000", "POST", "/integrations/users?x=1", b"{\"a\":1}")));
    }

    #[test]
    fn the_matching_signature_is_the_one_named_whatever_precedes_it() {
        let header = sign_partner_request("sk_test", 1_700_000_000, "POST", "/p", b"{}");
        let real = parse_header(&header).unwrap().v1[0];
        let junk = format!("t=1700000000,v1={},v1={},{}", "00".repeat(32), "11".repeat(32), header.split_once(',').unwrap().1);
        let parsed = parse_header(&junk).unwrap();
        assert_eq!(parsed.v1.len(), 3);
        assert_eq!(matching(&parsed, &["sk_test"], &partner_request_parts("1700000000", "POST", "/p", b"{}")), Some(real));
        assert_eq!(matching(&parsed, &["sk_other"], &partner_request_parts("1700000000", "POST", "/p", b"{}")), None);
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,200}") {
            let _ = parse_header(&s);
        }

        #[test]
        fn parser_reads_back_what_was_signed(t in 0i64..10_000_000_000, body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let header = sign_partner_request("secret", t, "POST", "/p", &body);
            let parsed = parse_header(&header).unwrap();
            prop_assert_eq!(parsed.timestamp, t);
            prop_assert!(matches(&parsed, &["secret"], &partner_request_parts(&t.to_string(), "POST", "/p", &body)));
        }
    }
}
