//! Payload profiles (SPEC §10): the body an endpoint receives, chosen per
//! endpoint. `tessera` sends the event's envelope as it is stored. `hubble`
//! sends seed 001's transaction body for the order events and its brand
//! events for the merchant ones; `spaaza` sends seed 002's
//! `shopper.voucher-issued` for `VOUCHER_ISSUED`. An event a profile has no
//! body for goes out in Tessera's envelope. Pure: the worker renders each
//! delivery from the stored envelope (and, for a hubble endpoint that opted
//! in, the card's code and PIN read at sending time — never stored in an event).

use crate::types::EventType;
use serde_json::{Value, json};

crate::text_enum! {
    /// What an endpoint's deliveries look like (`webhook_endpoints.payload_profile`).
    pub enum PayloadProfile {
        /// Tessera's envelope `{id, type, createdAt, data}` (never a code).
        Tessera = "tessera",
        /// Seed 001's transaction body (`ORDER_*`) and brand events (`MERCHANT_*`).
        Hubble = "hubble",
        /// Seed 002's `shopper.voucher-issued` (`VOUCHER_ISSUED`).
        Spaaza = "spaaza",
    }
}

/// A gift card's code and PIN, for a hubble endpoint that opted in (`includeCodes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardCodes {
    pub card_number: String,
    pub card_pin: Option<String>,
}

impl PayloadProfile {
    /// Whether the delivery of `envelope` needs the card's codes read first:
    /// an `ORDER_COMPLETED` to a hubble endpoint that opted in.
    pub fn wants_codes(self, include_codes: bool, envelope: &str) -> bool {
        self == PayloadProfile::Hubble
            && include_codes
            && serde_json::from_str::<Value>(envelope).is_ok_and(|e| e["type"] == EventType::OrderCompleted.as_str())
    }

    /// The body to send for `envelope` (the stored event, JSON).
    pub fn render(self, envelope: &str, codes: Option<&CardCodes>) -> String {
        let Ok(event) = serde_json::from_str::<Value>(envelope) else { return envelope.to_string() };
        let kind = event["type"].as_str().and_then(EventType::parse);
        let body = match (self, kind) {
            (PayloadProfile::Hubble, Some(EventType::OrderCompleted | EventType::OrderFailed | EventType::OrderReversed)) => {
                Some(hubble_transaction(&event, codes))
            }
            (PayloadProfile::Hubble, Some(EventType::MerchantCreated)) => Some(hubble_brand(&event, "NEW_BRAND_CREATED")),
            (PayloadProfile::Hubble, Some(EventType::MerchantDisabled)) => Some(hubble_brand(&event, "BRAND_DISABLED")),
            (PayloadProfile::Spaaza, Some(EventType::VoucherIssued)) => Some(spaaza_voucher_issued(&event)),
            _ => None,
        };
        body.map_or_else(|| envelope.to_string(), |b| b.to_string())
    }
}

/// Minor units as seed 001 writes amounts: a decimal number of major units (`1000.0`).
fn major(minor: &Value, currency: &Value) -> Value {
    let (Some(minor), Some(code)) = (minor.as_i64(), currency.as_str().and_then(crate::money::Currency::parse)) else {
        return Value::Null;
    };
    let text = crate::money::Money::new(minor, code).major();
    serde_json::from_str::<f64>(&text).map(Value::from).unwrap_or(Value::Null)
}

/// RFC 3339 in UTC as seed 001's `timestamp`: to the second, no zone.
fn without_zone(rfc3339: &Value) -> Value {
    rfc3339.as_str().and_then(|t| t.get(..19)).map_or(Value::Null, |t| Value::String(t.to_string()))
}

/// Seed 001's transaction webhook: COMPLETED carries the card (its number and
/// PIN only when the endpoint opted in); FAILED and REVERSED an empty list.
fn hubble_transaction(event: &Value, codes: Option<&CardCodes>) -> Value {
    let d = &event["data"];
    let status = d["status"].as_str().unwrap_or("PENDING");
    let vouchers = match (status, d.get("giftCard")) {
        ("COMPLETED", Some(card)) if card.is_object() => vec![json!({
            "id": card["id"],
            "brandId": d["brandId"],
            "brandName": d["brandName"],
            "cardNumber": codes.map(|c| c.card_number.as_str()),
            "cardPin": codes.and_then(|c| c.card_pin.as_deref()),
            "validTill": card["validUntil"].as_str().and_then(|t| t.get(..10)),
            "amount": major(&d["faceValue"], &d["currency"]),
        })],
        _ => Vec::new(),
    };
    json!({
        "transactionReferenceId": d["orderId"],
        "partnerCoinTransactionId": null,
        "partnerCoinReversalTransactionId": null,
        "amount": major(&d["faceValue"], &d["currency"]),
        "discountAmount": major(&d["discount"], &d["currency"]),
        "timestamp": without_zone(&event["createdAt"]),
        "userId": d["userId"],
        "vouchers": vouchers,
        "brandName": d["brandName"],
        "orderStatus": status,
    })
}

/// Seed 001's brand webhooks name the event and the brand.
fn hubble_brand(event: &Value, name: &str) -> Value {
    let d = &event["data"];
    json!({
        "event": name,
        "brandId": d["merchantId"],
        "brandName": d["merchantName"],
        "timestamp": without_zone(&event["createdAt"]),
    })
}

/// Seed 002's `shopper.voucher-issued`, with what Tessera knows of the voucher
/// (the fields Spaaza's loyalty model has and Tessera has not are left out).
fn spaaza_voucher_issued(event: &Value) -> Value {
    let d = &event["data"];
    let created = event["createdAt"].as_str().map(|t| format!("{}Z", t.get(..19).unwrap_or(t)));
    let title = d["voucherTitle"].as_str().map(crate::markup::plain_text);
    json!({
        "id": format!("voucher{}", d["claimId"].as_str().unwrap_or_default()),
        "type": "shopper.voucher-issued",
        "created": created,
        "data": {
            "voucher_id": d["claimId"],
            "voucher_key": d["claimId"],
            "voucher_created_datetime": event["createdAt"],
            "voucher_status": "claimed",
            "voucher_locked": false,
            "campaign_id": d["voucherId"],
            "campaign_title": title,
            "voucher_title": title,
            "voucher_redeemed_datetime": null,
            "user": { "id": d["externalUserId"], "user_id": d["externalUserId"] },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_event(status: &str, card: bool) -> String {
        let mut data = json!({
            "orderId": "ord_1", "status": status, "state": "fulfilled", "voucherId": "v1", "brandId": "m1",
            "brandName": "Swiggy", "userId": "u1", "externalUserId": "ana", "currency": "INR",
            "faceValue": 100_000, "discount": 5_000, "amountPaid": 95_000, "failureReason": null,
        });
        if card {
            data["giftCard"] = json!({ "id": "gc_1", "validUntil": "2025-04-04T10:00:00.000Z" });
        }
        json!({ "id": "evt_1", "type": format!("ORDER_{status}"), "createdAt": "2024-01-15T14:30:22.123Z", "data": data }).to_string()
    }

    #[test]
    fn a_completed_order_is_seed_001s_transaction_body_with_codes_only_when_asked() {
        let plain: Value = serde_json::from_str(&PayloadProfile::Hubble.render(&order_event("COMPLETED", true), None)).unwrap();
        assert_eq!(
            plain,
            json!({
                "transactionReferenceId": "ord_1", "partnerCoinTransactionId": null, "partnerCoinReversalTransactionId": null,
                "amount": 1000.0, "discountAmount": 50.0, "timestamp": "2024-01-15T14:30:22", "userId": "u1",
                "vouchers": [{ "id": "gc_1", "brandId": "m1", "brandName": "Swiggy", "cardNumber": null, "cardPin": null,
                               "validTill": "2025-04-04", "amount": 1000.0 }],
                "brandName": "Swiggy", "orderStatus": "COMPLETED",
            })
        );
        let codes = CardCodes { card_number: "5333644476668777".into(), card_pin: Some("123456".into()) };
        let with: Value = serde_json::from_str(&PayloadProfile::Hubble.render(&order_event("COMPLETED", true), Some(&codes))).unwrap();
        assert_eq!(with["vouchers"][0]["cardNumber"], "5333644476668777");
        assert_eq!(with["vouchers"][0]["cardPin"], "123456");
        assert!(PayloadProfile::Hubble.wants_codes(true, &order_event("COMPLETED", true)));
        assert!(!PayloadProfile::Hubble.wants_codes(false, &order_event("COMPLETED", true)));
        assert!(!PayloadProfile::Hubble.wants_codes(true, &order_event("FAILED", false)));
        assert!(!PayloadProfile::Tessera.wants_codes(true, &order_event("COMPLETED", true)));
    }

    #[test]
    fn failed_and_reversed_orders_carry_no_vouchers() {
        for status in ["FAILED", "REVERSED"] {
            let body: Value = serde_json::from_str(&PayloadProfile::Hubble.render(&order_event(status, true), None)).unwrap();
            assert_eq!(body["orderStatus"], status);
            assert_eq!(body["vouchers"], json!([]));
        }
    }

    #[test]
    fn brand_events_and_spaazas_voucher_issued() {
        let created = json!({ "id": "e", "type": "MERCHANT_CREATED", "createdAt": "2024-01-15T14:30:22Z",
                              "data": { "merchantId": "m1", "merchantName": "Kopi Kita" } })
        .to_string();
        let body: Value = serde_json::from_str(&PayloadProfile::Hubble.render(&created, None)).unwrap();
        assert_eq!(
            body,
            json!({ "event": "NEW_BRAND_CREATED", "brandId": "m1", "brandName": "Kopi Kita", "timestamp": "2024-01-15T14:30:22" })
        );
        let issued = json!({ "id": "e", "type": "VOUCHER_ISSUED", "createdAt": "2024-01-15T14:30:22.000Z",
                             "data": { "claimId": "c1", "voucherId": "v1", "voucherTitle": "{b}RM5{/b} off", "externalUserId": "ana", "userId": "u1" } })
        .to_string();
        let body: Value = serde_json::from_str(&PayloadProfile::Spaaza.render(&issued, None)).unwrap();
        assert_eq!(body["type"], "shopper.voucher-issued");
        assert_eq!(body["id"], "voucherc1");
        assert_eq!(body["created"], "2024-01-15T14:30:22Z");
        assert_eq!(body["data"]["voucher_title"], "RM5 off");
        assert_eq!(body["data"]["user"]["user_id"], "ana");
        // What a profile has no body for goes out as Tessera's envelope; so does everything for `tessera`.
        assert_eq!(PayloadProfile::Spaaza.render(&created, None), created);
        assert_eq!(PayloadProfile::Tessera.render(&order_event("COMPLETED", true), None), order_event("COMPLETED", true));
    }
}
