//! Razorpay (UPI and cards, seed 001's market), speaking its documented API
//! (`razorpay-api.md` beside this file records what was followed, with its
//! sources): an order per payment (`POST /v1/orders`, HTTP Basic with the key
//! id and secret), Checkout's payment signature (HMAC-SHA256 of
//! `order_id|payment_id` with the key secret), webhooks signed in
//! `X-Razorpay-Signature` (HMAC-SHA256 of the raw body with the webhook
//! secret, deduplicated by `X-Razorpay-Event-Id`), and full refunds
//! (`POST /v1/payments/{id}/refund`, idempotent by `X-Refund-Idempotency`).
//! Keys come from configuration and are never logged (`Debug` hides them).
//!
//! Not wired to partners yet: the hosted Checkout page, the callback and
//! webhook routes and the configuration come next (issue 16).

use super::{Charge, Created, PaymentProvider, ProviderError, Refund};
use crate::money::Money;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

pub const NAME: &str = "razorpay";
pub const DEFAULT_BASE_URL: &str = "https://api.razorpay.com/v1";

/// A Razorpay account's keys and where its API is.
#[derive(Clone)]
pub struct Razorpay {
    base_url: String,
    key_id: String,
    key_secret: String,
    webhook_secret: String,
    outbound: crate::outbound::Outbound,
}

impl std::fmt::Debug for Razorpay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Razorpay").field("base_url", &self.base_url).field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// An answer of Razorpay's API that is not a success: `{"error": {"code", "description"}}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: String,
    description: String,
}

#[derive(Debug, Deserialize)]
struct OrderEntity {
    id: String,
}

#[derive(Debug, Deserialize)]
struct RefundEntity {
    id: String,
    status: String,
}

impl Razorpay {
    pub fn new(base_url: &str, key_id: &str, key_secret: &str, webhook_secret: &str, outbound: crate::outbound::Outbound) -> Self {
        Razorpay {
            base_url: base_url.trim_end_matches('/').to_string(),
            key_id: key_id.to_string(),
            key_secret: key_secret.to_string(),
            webhook_secret: webhook_secret.to_string(),
            outbound,
        }
    }

    /// The key id Checkout is opened with (public by design).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        idempotency: Option<&str>,
    ) -> Result<T, ProviderError> {
        let url = format!("{}{path}", self.base_url);
        let mut req = self.outbound.request(method, &url).map_err(|e| ProviderError(e.to_string()))?;
        req = req.basic_auth(&self.key_id, Some(&self.key_secret));
        if let Some(body) = body {
            req = req.json(&body);
        }
        if let Some(key) = idempotency {
            req = req.header("X-Refund-Idempotency", key);
        }
        let res = req.send().await.map_err(|e| ProviderError(format!("Razorpay did not answer: {}", crate::outbound::describe(&e))))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| ProviderError(format!("Razorpay's answer was cut: {}", crate::outbound::describe(&e))))?;
        if !status.is_success() {
            return Err(ProviderError(match serde_json::from_str::<ErrorBody>(&text) {
                Ok(e) => format!("Razorpay answered {status}: {} ({})", e.error.description, e.error.code),
                Err(_) => format!("Razorpay answered {status}"),
            }));
        }
        serde_json::from_str(&text).map_err(|e| ProviderError(format!("Razorpay's answer is not the documented entity: {e}")))
    }

    /// What became of a payment Checkout reported (a signature proves who sent
    /// it, not that it was captured): captured — capturing an authorised one
    /// for its amount —, failed, or still pending. A payment of another order
    /// than `provider_order_id` is an error.
    pub async fn confirm(&self, provider_order_id: &str, provider_payment_id: &str, amount: Money) -> Result<Confirmed, ProviderError> {
        let path = format!("/payments/{provider_payment_id}");
        let mut payment: PaymentEntityState = self.call(reqwest::Method::GET, &path, None, None).await?;
        if payment.order_id.as_deref() != Some(provider_order_id) {
            return Err(ProviderError(format!("payment {provider_payment_id} is not of order {provider_order_id}")));
        }
        if payment.status == "authorized" {
            let body = json!({ "amount": amount.minor, "currency": amount.currency });
            payment = self.call(reqwest::Method::POST, &format!("{path}/capture"), Some(body), None).await?;
        }
        Ok(match payment.status.as_str() {
            "captured" => Confirmed::Captured { method: payment.method },
            "failed" => Confirmed::Failed {
                reason: payment.error_description.filter(|d| !d.is_empty()).unwrap_or_else(|| "the payment failed".into()),
            },
            _ => Confirmed::Pending,
        })
    }

    /// Whether Checkout's `razorpay_signature` is Razorpay's for this order and
    /// payment (the order id as stored here, not as echoed by the browser).
    pub fn payment_signature_valid(&self, order_id: &str, payment_id: &str, signature: &str) -> bool {
        signature_valid(&self.key_secret, format!("{order_id}|{payment_id}").as_bytes(), signature)
    }

    /// Whether `X-Razorpay-Signature` signs this raw body with the webhook secret.
    pub fn webhook_signature_valid(&self, raw_body: &[u8], signature: &str) -> bool {
        signature_valid(&self.webhook_secret, raw_body, signature)
    }
}

/// Hex HMAC-SHA256 of `message` with `secret`, compared in constant time.
fn signature_valid(secret: &str, message: &[u8], signature_hex: &str) -> bool {
    let Ok(expected) = hex::decode(signature_hex.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.verify_slice(&expected).is_ok()
}

/// A payment's state as Razorpay's payment entity gives it.
#[derive(Debug, Deserialize)]
struct PaymentEntityState {
    status: String,
    order_id: Option<String>,
    method: Option<String>,
    error_description: Option<String>,
}

/// What [`Razorpay::confirm`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    Captured {
        method: Option<String>,
    },
    Failed {
        reason: String,
    },
    /// Neither yet (`created`): its webhook will say.
    Pending,
}

/// What a webhook reports, of what Tessera acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `payment.captured` or `order.paid`: the payment of this Razorpay order is captured.
    Captured { provider_order_id: String, provider_payment_id: String, method: Option<String> },
    /// `payment.failed`.
    Failed { provider_order_id: String, reason: String },
    /// Another event (`payment.authorized`, `refund.processed`, …): nothing to do.
    Ignored(String),
}

#[derive(Deserialize)]
struct Envelope {
    event: String,
    payload: Payload,
}

#[derive(Deserialize)]
struct Payload {
    payment: Option<Wrapped>,
}

#[derive(Deserialize)]
struct Wrapped {
    entity: PaymentEntity,
}

#[derive(Deserialize)]
struct PaymentEntity {
    id: String,
    order_id: Option<String>,
    method: Option<String>,
    error_description: Option<String>,
}

/// Reads a webhook's body (after its signature was checked).
pub fn parse_webhook(raw_body: &[u8]) -> Result<WebhookEvent, String> {
    let e: Envelope = serde_json::from_slice(raw_body).map_err(|e| format!("not a Razorpay event: {e}"))?;
    let payment = || e.payload.payment.as_ref().map(|w| &w.entity).ok_or_else(|| format!("{} carries no payment", e.event));
    match e.event.as_str() {
        "payment.captured" | "order.paid" => {
            let p = payment()?;
            let order = p.order_id.clone().ok_or("the payment has no order_id")?;
            Ok(WebhookEvent::Captured { provider_order_id: order, provider_payment_id: p.id.clone(), method: p.method.clone() })
        }
        "payment.failed" => {
            let p = payment()?;
            let order = p.order_id.clone().ok_or("the payment has no order_id")?;
            let reason = p.error_description.clone().filter(|d| !d.is_empty()).unwrap_or_else(|| "the payment failed".into());
            Ok(WebhookEvent::Failed { provider_order_id: order, reason })
        }
        other => Ok(WebhookEvent::Ignored(other.to_string())),
    }
}

impl PaymentProvider for Razorpay {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn create(&self, charge: Charge<'_>) -> Result<Created, ProviderError> {
        // The receipt is Tessera's payment id (≤ 40 characters), so a retried
        // create is recognisable in Razorpay's dashboard.
        let body = json!({
            "amount": charge.amount.minor,
            "currency": charge.amount.currency,
            "receipt": charge.payment_id,
            "notes": { "tesseraOrderId": charge.order_id, "description": charge.description },
        });
        let order: OrderEntity = self.call(reqwest::Method::POST, "/orders", Some(body), None).await?;
        Ok(Created { provider_order_id: order.id, pay_url: format!("/pay/razorpay/{}", charge.payment_id) })
    }

    async fn refund(&self, provider_payment_id: &str, amount: Money) -> Result<Refund, ProviderError> {
        let body = json!({ "amount": amount.minor, "speed": "normal" });
        let key = format!("tessera_refund_{provider_payment_id}");
        let refund: RefundEntity =
            self.call(reqwest::Method::POST, &format!("/payments/{provider_payment_id}/refund"), Some(body), Some(&key)).await?;
        if refund.status == "failed" {
            return Err(ProviderError(format!("Razorpay refused the refund {}", refund.id)));
        }
        // `pending` is processing: the money is on its way with no further step from us.
        Ok(Refund { provider_refund_id: refund.id, done: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    // The HTTP calls are tested against a fake Razorpay in the server's
    // black-box tests (server/tests/it/razorpay.rs); here, what needs none.
    const KEY_ID: &str = "rzp_test_1DP5mmOlF5G5ag";
    const KEY_SECRET: &str = "test_key_secret";
    const WEBHOOK_SECRET: &str = "whk_test_secret";

    fn adapter(base: &str, key_secret: &str) -> Razorpay {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let to = crate::outbound::Destinations { allow: vec!["127.0.0.0/8".parse().unwrap()] };
        let outbound = crate::outbound::Outbound::new(std::time::Duration::from_secs(5), &to, "tessera-test", None);
        Razorpay::new(base, KEY_ID, key_secret, WEBHOOK_SECRET, outbound)
    }

    fn charge(amount: i64) -> Charge<'static> {
        Charge {
            payment_id: "0193a5c0-7c1e-7a42-9d1b-2f6c3e8a4b10",
            order_id: "o1",
            amount: Money::new(amount, Currency::INR),
            description: "Gift card",
        }
    }

    #[tokio::test]
    async fn an_unreachable_razorpay_is_an_error_not_a_panic() {
        let err = adapter("http://127.0.0.1:9/v1", KEY_SECRET).create(charge(10_000)).await.unwrap_err();
        assert!(err.0.starts_with("Razorpay did not answer"), "{err}");
    }

    #[test]
    fn checkouts_payment_signature_is_checked_with_the_key_secret() {
        let rzp = adapter("http://127.0.0.1:9/v1", KEY_SECRET);
        // HMAC-SHA256("order_9A33XWu170gUtm|pay_29QQoUBi66xm2f", "test_key_secret"), hex.
        let good = "05a90d99a226250bdd07dcbec806d936d0ac974af71513b19a36466e7f5eb3a3";
        assert!(rzp.payment_signature_valid("order_9A33XWu170gUtm", "pay_29QQoUBi66xm2f", good));
        assert!(!rzp.payment_signature_valid("order_OTHER", "pay_29QQoUBi66xm2f", good), "another order");
        assert!(!rzp.payment_signature_valid("order_9A33XWu170gUtm", "pay_29QQoUBi66xm2f", &good.replace('5', "6")));
        assert!(!rzp.payment_signature_valid("order_9A33XWu170gUtm", "pay_29QQoUBi66xm2f", "not hex"));
    }

    #[test]
    fn a_webhook_is_verified_over_its_raw_body_and_read_as_documented() {
        let rzp = adapter("http://127.0.0.1:9/v1", KEY_SECRET);
        let body = br#"{"entity":"event","account_id":"acc_BFQ7uQEaa7j2z7","event":"payment.captured","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_DESlfW9H8K9uqM","entity":"payment","amount":100,"currency":"INR","status":"captured","order_id":"order_DESlLckIVRkHWj","method":"upi","captured":true,"notes":[],"error_code":null,"error_description":null}}},"created_at":1567674606}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
        mac.update(body);
        let signature = hex::encode(mac.finalize().into_bytes());
        assert!(rzp.webhook_signature_valid(body, &signature));
        let mut tampered = body.to_vec();
        tampered[body.len() - 3] = b'7';
        assert!(!rzp.webhook_signature_valid(&tampered, &signature), "a changed byte");
        assert_eq!(
            parse_webhook(body).unwrap(),
            WebhookEvent::Captured {
                provider_order_id: "order_DESlLckIVRkHWj".into(),
                provider_payment_id: "pay_DESlfW9H8K9uqM".into(),
                method: Some("upi".into())
            }
        );
        let failed = br#"{"entity":"event","event":"payment.failed","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_DEAU825sJlCbGa","status":"failed","order_id":"order_DEATVTRRctwEGb","method":"netbanking","captured":false,"error_code":"BAD_REQUEST_ERROR","error_description":"Payment failed","notes":[]}}},"created_at":1567674606}"#;
        assert_eq!(
            parse_webhook(failed).unwrap(),
            WebhookEvent::Failed { provider_order_id: "order_DEATVTRRctwEGb".into(), reason: "Payment failed".into() }
        );
        let refund = br#"{"entity":"event","event":"refund.processed","contains":["refund","payment"],"payload":{"refund":{"entity":{"id":"rfnd_FS8TWyPrCsa0OB"}},"payment":{"entity":{"id":"pay_FPoJKWQQ8lK13n","order_id":null}}},"created_at":1597734071}"#;
        assert_eq!(parse_webhook(refund).unwrap(), WebhookEvent::Ignored("refund.processed".into()));
        assert!(parse_webhook(b"[]").is_err());
    }
}
