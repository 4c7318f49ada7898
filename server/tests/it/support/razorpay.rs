//! Razorpay in the test process, written from its public API reference
//! (`core/src/payments/razorpay-api.md`): HTTP Basic with the key id and
//! secret, `POST /v1/orders`, `GET /v1/payments/{id}`, `POST
//! /v1/payments/{id}/capture` and `POST /v1/payments/{id}/refund`, its error
//! shape; and what Checkout and Razorpay's webhooks send, signed as documented.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub const KEY_ID: &str = "rzp_test_1DP5mmOlF5G5ag";
pub const KEY_SECRET: &str = "test_key_secret_0123456789";
pub const WEBHOOK_SECRET: &str = "test_webhook_secret_abcdef";

#[derive(Default)]
pub struct Account {
    /// order id → order entity
    pub orders: HashMap<String, Value>,
    /// payment id → payment entity
    pub payments: HashMap<String, Value>,
    /// refund requests: (payment id, body, X-Refund-Idempotency)
    pub refunds: Vec<(String, Value, Option<String>)>,
    pub captures: usize,
    next: u32,
}

#[derive(Clone)]
pub struct FakeRazorpay {
    pub base: String,
    pub account: Arc<Mutex<Account>>,
}

type S = Arc<Mutex<Account>>;
type Answer = (StatusCode, Json<Value>);

fn id(account: &mut Account, prefix: &str) -> String {
    account.next += 1;
    format!("{prefix}_{:014}", account.next)
}

fn authorised(h: &HeaderMap) -> bool {
    use base64::Engine;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{KEY_ID}:{KEY_SECRET}")));
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn error(status: StatusCode, description: &str) -> Answer {
    (
        status,
        Json(json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": description, "source": "business",
            "step": "payment_initiation", "reason": "input_validation_failed", "metadata": {}, "field": null } })),
    )
}

async fn create_order(State(s): State<S>, h: HeaderMap, Json(b): Json<Value>) -> Answer {
    if !authorised(&h) {
        return error(StatusCode::UNAUTHORIZED, "Authentication failed");
    }
    let Some(amount) = b["amount"].as_i64().filter(|a| *a >= 100) else {
        return error(StatusCode::BAD_REQUEST, "The amount must be at least INR 1.00");
    };
    let mut a = s.lock().unwrap();
    let order_id = id(&mut a, "order");
    let order = json!({ "id": order_id, "entity": "order", "amount": amount, "amount_paid": 0, "amount_due": amount,
        "currency": b["currency"], "receipt": b["receipt"], "offer_id": null, "status": "created", "attempts": 0,
        "notes": b["notes"], "created_at": 1582628071 });
    a.orders.insert(order_id, order.clone());
    (StatusCode::OK, Json(order))
}

async fn get_payment(State(s): State<S>, h: HeaderMap, Path(pay): Path<String>) -> Answer {
    if !authorised(&h) {
        return error(StatusCode::UNAUTHORIZED, "Authentication failed");
    }
    match s.lock().unwrap().payments.get(&pay) {
        Some(p) => (StatusCode::OK, Json(p.clone())),
        None => error(StatusCode::BAD_REQUEST, "The id provided does not exist"),
    }
}

async fn capture(State(s): State<S>, h: HeaderMap, Path(pay): Path<String>, Json(b): Json<Value>) -> Answer {
    if !authorised(&h) {
        return error(StatusCode::UNAUTHORIZED, "Authentication failed");
    }
    let mut a = s.lock().unwrap();
    a.captures += 1;
    let Some(p) = a.payments.get_mut(&pay) else { return error(StatusCode::BAD_REQUEST, "The id provided does not exist") };
    if p["status"] != "authorized" || b["amount"] != p["amount"] || b["currency"] != p["currency"] {
        return error(StatusCode::BAD_REQUEST, "Capture amount must be equal to the amount authorized");
    }
    p["status"] = json!("captured");
    p["captured"] = json!(true);
    (StatusCode::OK, Json(p.clone()))
}

async fn refund(State(s): State<S>, h: HeaderMap, Path(pay): Path<String>, Json(b): Json<Value>) -> Answer {
    if !authorised(&h) {
        return error(StatusCode::UNAUTHORIZED, "Authentication failed");
    }
    let mut a = s.lock().unwrap();
    let Some(p) = a.payments.get(&pay).cloned() else { return error(StatusCode::BAD_REQUEST, "The id provided does not exist") };
    if p["status"] != "captured" {
        return error(StatusCode::BAD_REQUEST, "The payment has not been captured");
    }
    let key = h.get("x-refund-idempotency").and_then(|v| v.to_str().ok()).map(String::from);
    a.refunds.push((pay.clone(), b.clone(), key));
    let refund_id = id(&mut a, "rfnd");
    (
        StatusCode::OK,
        Json(json!({ "id": refund_id, "entity": "refund", "amount": b["amount"], "currency": p["currency"],
        "payment_id": pay, "notes": [], "receipt": null, "acquirer_data": { "arn": null }, "created_at": 1597078914,
        "batch_id": null, "status": "processed", "speed_requested": "normal", "speed_processed": "normal" })),
    )
}

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

impl FakeRazorpay {
    pub async fn start() -> Self {
        let account = S::default();
        let app = Router::new()
            .route("/v1/orders", post(create_order))
            .route("/v1/payments/{id}", get(get_payment))
            .route("/v1/payments/{id}/capture", post(capture))
            .route("/v1/payments/{id}/refund", post(refund))
            .with_state(account.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeRazorpay { base: format!("http://{addr}/v1"), account }
    }

    /// The settings that point a Tessera server at this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TESSERA_RAZORPAY_KEY_ID", KEY_ID.into()),
            ("TESSERA_RAZORPAY_KEY_SECRET", KEY_SECRET.into()),
            ("TESSERA_RAZORPAY_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
            ("TESSERA_RAZORPAY_BASE_URL", self.base.clone()),
        ]
    }

    /// The user pays `order_id` in Checkout with `method`; the payment ends
    /// `status` (`authorized`, `captured` or `failed`). Returns the form
    /// Checkout posts to the callback URL (signed with the key secret).
    pub fn checkout(&self, order_id: &str, method: &str, status: &str) -> (String, Vec<(String, String)>) {
        let mut a = self.account.lock().unwrap();
        let order = a.orders.get(order_id).cloned().expect("an order created through the API");
        let pay = id(&mut a, "pay");
        let failed = status == "failed";
        a.payments.insert(
            pay.clone(),
            json!({ "id": pay, "entity": "payment", "amount": order["amount"], "currency": order["currency"], "status": status,
                "order_id": order_id, "method": method, "captured": status == "captured", "amount_refunded": 0, "refund_status": null,
                "notes": [], "error_code": if failed { json!("BAD_REQUEST_ERROR") } else { Value::Null },
                "error_description": if failed { json!("Payment failed") } else { Value::Null }, "created_at": 1692694191 }),
        );
        let signature = hmac_hex(KEY_SECRET, format!("{order_id}|{pay}").as_bytes());
        let form = vec![
            ("razorpay_payment_id".into(), pay.clone()),
            ("razorpay_order_id".into(), order_id.into()),
            ("razorpay_signature".into(), signature),
        ];
        (pay, form)
    }

    /// A webhook Razorpay would send about a payment: body, `X-Razorpay-Signature`.
    pub fn webhook(&self, event: &str, pay: &str) -> (Vec<u8>, String) {
        let payment = self.account.lock().unwrap().payments.get(pay).cloned().expect("a payment made in checkout");
        let body = json!({ "entity": "event", "account_id": "acc_BFQ7uQEaa7j2z7", "event": event, "contains": ["payment"],
            "payload": { "payment": { "entity": payment } }, "created_at": 1567674606 })
        .to_string()
        .into_bytes();
        let signature = hmac_hex(WEBHOOK_SECRET, &body);
        (body, signature)
    }

    /// The last order Tessera created here.
    pub fn last_order(&self) -> Value {
        let a = self.account.lock().unwrap();
        a.orders.values().max_by_key(|o| o["id"].as_str().unwrap().to_string()).cloned().expect("an order")
    }
}
