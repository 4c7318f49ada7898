//! Paying through Razorpay (SPEC §10) against a local fake written from its
//! API reference: Checkout's signed callback, signed webhooks, replays and
//! forgeries refused, refunds requested as documented.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN, PartnerCreds},
    error_code,
    razorpay::{FakeRazorpay, KEY_ID},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn setup(backend: Backend) -> (TestServer, FakeRazorpay, PartnerCreds, Catalog) {
    let fake = FakeRazorpay::start().await;
    let mut env: Vec<(&str, String)> = fake.env();
    env.push(("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN.into()));
    env.push(("TESSERA_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestServer::spawn_with(backend, &env).await;
    let p = app.create_partner("bank").await;
    let cat = Catalog::create(&app).await;
    (app, fake, p, cat)
}

fn price() -> Value {
    json!({ "currency": "INR", "model": { "kind": "range", "min": 10000, "max": 1000000, "step": 10000 }, "discountBps": 500 })
}

/// An order paid through Razorpay: its id here, Tessera's payment id and Razorpay's order id.
async fn order_at_razorpay(app: &TestServer, fake: &FakeRazorpay, token: &str, voucher: &str, key: &str) -> (String, String, String) {
    let (status, order) =
        app.me(token, Method::POST, "/me/orders", Some(json!({ "voucherId": voucher, "amount": 100000, "checkoutKey": key }))).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["provider"], "razorpay");
    let id = order["id"].as_str().unwrap().to_string();
    let (status, start) = app.me(token, Method::POST, &format!("/me/orders/{id}/pay"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{start}");
    let payment = start["paymentId"].as_str().unwrap().to_string();
    assert_eq!(start["payUrl"], format!("/pay/razorpay/{payment}"));
    let at_razorpay = fake.last_order();
    assert_eq!((at_razorpay["amount"].as_i64(), at_razorpay["currency"].as_str()), (Some(95_000), Some("INR")), "paise: {at_razorpay}");
    assert_eq!(at_razorpay["receipt"], payment.as_str());
    (id, payment, at_razorpay["id"].as_str().unwrap().to_string())
}

async fn post_form(app: &TestServer, path: &str, form: &[(String, String)]) -> (StatusCode, String) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let res = app.request(Method::POST, path).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn webhook(app: &TestServer, body: Vec<u8>, signature: &str, event_id: &str) -> (StatusCode, Value) {
    let res = app
        .request(Method::POST, "/pay/razorpay/webhook")
        .header("content-type", "application/json")
        .header("x-razorpay-signature", signature)
        .header("x-razorpay-event-id", event_id)
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn events(app: &TestServer, p: &PartnerCreds, kind: &str) -> usize {
    let (_, page) = app.partner(p, Method::GET, &format!("/integrations/events?type={kind}"), None).await;
    page["items"].as_array().unwrap().len()
}

async fn checkout_then_callback_then_webhook_issue_one_card(backend: Backend) {
    let (app, fake, p, cat) = setup(backend).await;
    let card = cat.voucher(&app, "Kopi gift card", json!({ "price": price() })).await;
    let ana = p.jwt("ana");
    let (id, payment, rzp_order) = order_at_razorpay(&app, &fake, &ana, &card, "k1").await;

    // The page opens Checkout with the key id and Razorpay's order, and allows only Razorpay's script.
    let res = app.get(&format!("/pay/razorpay/{payment}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(
        csp.contains("script-src 'nonce-") && csp.contains("https://checkout.razorpay.com") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains(KEY_ID) && html.contains(&rzp_order) && html.contains("https://checkout.razorpay.com/v1/checkout.js"), "{html}");
    // From the webview, Checkout's callback carries the way back.
    let html = app.get(&format!("/pay/razorpay/{payment}?return=webview&method=upi&clientId={}", p.id)).await.text().await.unwrap();
    assert!(html.contains(&format!("/pay/razorpay/{payment}/callback?return=webview&method=upi&clientId={}", p.id)), "{html}");

    // A forged callback (a signature of another order) changes nothing.
    let (pay, mut form) = fake.checkout(&rzp_order, "upi", "authorized");
    let genuine = form[2].1.clone();
    form[2].1 = genuine.chars().rev().collect();
    let (status, body) = post_form(&app, &format!("/pay/razorpay/{payment}/callback"), &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("signature_invalid"), "{body}");
    let (_, order) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
    assert_eq!(order["state"], "payment_pending");

    // The genuine one: confirmed with Razorpay (the authorised payment is captured), the card issued.
    form[2].1 = genuine;
    let (status, page) = post_form(&app, &format!("/pay/razorpay/{payment}/callback"), &form).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Payment received"), "{page}");
    assert_eq!(fake.account.lock().unwrap().captures, 1);
    let (_, order) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
    assert_eq!(order["state"], "fulfilled", "{order}");
    assert!(order["giftCard"]["cardNumber"].is_string());

    // Opened from the webview, Checkout's callback comes back to the order's screen (and only there);
    // so does the page itself once the payment is settled.
    let webview = format!("return=webview&method=upi&clientId={}", p.id);
    let back = app.get(&format!("/pay/razorpay/{payment}?{webview}")).await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()["location"], format!("/consumer/orders/{id}?from=payment&clientId={}", p.id).as_str());
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
    let res = app
        .request(Method::POST, &format!("/pay/razorpay/{payment}/callback?{webview}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/consumer/orders/{id}?from=payment&clientId={}", p.id).as_str());
    let (_, order) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
    assert_eq!(order["state"], "fulfilled", "the callback again changes nothing: {order}");

    // Razorpay's webhook for the same payment, then its replay: nothing more.
    let (body, signature) = fake.webhook("payment.captured", &pay);
    let (status, answer) = webhook(&app, body.clone(), &signature, "evt_1").await;
    assert_eq!((status, &answer["received"]), (StatusCode::OK, &json!(true)), "{answer}");
    let (status, answer) = webhook(&app, body.clone(), &signature, "evt_1").await;
    assert_eq!((status, &answer["replay"]), (StatusCode::OK, &json!(true)), "{answer}");
    // Signed with another secret, or a changed body: refused.
    let (status, answer) = webhook(&app, body.clone(), &"0".repeat(64), "evt_2").await;
    assert_eq!((status, error_code(&answer)), (StatusCode::UNAUTHORIZED, "signature_invalid"));
    let mut changed = body;
    changed.extend_from_slice(b" ");
    assert_eq!(webhook(&app, changed, &signature, "evt_3").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(events(&app, &p, "ORDER_COMPLETED").await, 1);
    assert!(fake.account.lock().unwrap().refunds.is_empty(), "nothing to refund");
}

async fn a_failed_payment_and_a_failed_generation_by_webhook_alone(backend: Backend) {
    let (app, fake, p, cat) = setup(backend).await;
    let card = cat.voucher(&app, "Card", json!({ "price": price() })).await;
    let failing = cat.voucher(&app, "Test Brand: generation fails", json!({ "price": price(), "supplier": "sandbox-failing" })).await;
    let ana = p.jwt("ana");

    // Checkout failed; only the webhook says so.
    let (id, _, rzp_order) = order_at_razorpay(&app, &fake, &ana, &card, "k1").await;
    let (pay, _) = fake.checkout(&rzp_order, "card", "failed");
    let (body, signature) = fake.webhook("payment.failed", &pay);
    assert_eq!(webhook(&app, body, &signature, "evt_f").await.0, StatusCode::OK);
    let (_, order) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
    assert_eq!((order["state"].as_str(), order["status"].as_str()), (Some("payment_failed"), Some("FAILED")), "{order}");

    // Paid (the callback never came: the app was closed), the card cannot be generated: refunded at Razorpay.
    let (id, _, rzp_order) = order_at_razorpay(&app, &fake, &ana, &failing, "k2").await;
    let (pay, _) = fake.checkout(&rzp_order, "upi", "captured");
    let (body, signature) = fake.webhook("payment.captured", &pay);
    assert_eq!(webhook(&app, body, &signature, "evt_c").await.0, StatusCode::OK);
    let (_, order) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
    assert_eq!((order["state"].as_str(), order["status"].as_str()), (Some("refunded"), Some("FAILED")), "{order}");
    let refunds = fake.account.lock().unwrap().refunds.clone();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    let (refunded, body, key) = &refunds[0];
    assert_eq!((refunded.as_str(), body["amount"].as_i64(), body["speed"].as_str()), (pay.as_str(), Some(95_000), Some("normal")));
    assert_eq!(key.as_deref(), Some(format!("tessera_refund_{pay}").as_str()));
    assert_eq!(events(&app, &p, "ORDER_FAILED").await, 2);
}

crate::backend_tests!(checkout_then_callback_then_webhook_issue_one_card, a_failed_payment_and_a_failed_generation_by_webhook_alone);
