//! Buying gift cards (SPEC §10) with the sandbox provider: every transition,
//! both kinds of failure, replays and two tabs, each ending in one outcome.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN, PartnerCreds},
    error_code, eventually,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration};
use tokio::task::JoinSet;

/// A sandbox partner (paid through the built-in sandbox provider).
pub(crate) async fn sandbox_partner(app: &TestServer, id: &str) -> PartnerCreds {
    let body =
        app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": id, "name": format!("Partner {id}"), "sandbox": true }))).await;
    PartnerCreds {
        id: body["partnerId"].as_str().unwrap().into(),
        api_secret: body["apiSecret"].as_str().unwrap().into(),
        jwt_secret: body["jwtSecret"].as_str().unwrap().into(),
    }
}

/// A gift card sold from ₹100 to ₹10 000 in ₹100 steps, 5 % off.
fn range_price() -> Value {
    json!({ "currency": "INR", "model": { "kind": "range", "min": 10000, "max": 1000000, "step": 10000 }, "discountBps": 500 })
}

pub(crate) async fn events_of(app: &TestServer, p: &PartnerCreds, kind: &str) -> Vec<Value> {
    let (status, page) = app.partner(p, Method::GET, &format!("/integrations/events?type={kind}"), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Creates an order and starts its payment: the order's id and where to pay.
async fn start_payment(app: &TestServer, token: &str, voucher: &str, amount: i64, key: &str) -> (String, String) {
    let (status, order) =
        app.me(token, Method::POST, "/me/orders", Some(json!({ "voucherId": voucher, "amount": amount, "checkoutKey": key }))).await;
    assert!(status.is_success(), "{order}");
    let id = order["id"].as_str().unwrap().to_string();
    let (status, start) = app.me(token, Method::POST, &format!("/me/orders/{id}/pay"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{start}");
    (id, start["payUrl"].as_str().unwrap().to_string())
}

/// Seed 001's zero-discount EatSure, at ₹500 or the sandbox's failing ₹813.
pub(crate) async fn eatsure(app: &TestServer, cat: &Catalog) -> String {
    cat.voucher(app, "EatSure", json!({ "price": { "currency": "INR", "model": { "kind": "denominations", "values": [50000, 81300] } } }))
        .await
}

/// Creates an order and pays it with the sandbox (UPI): the order afterwards.
pub(crate) async fn buy(app: &TestServer, token: &str, voucher: &str, amount: i64, key: &str) -> Value {
    let (status, order) =
        app.me(token, Method::POST, "/me/orders", Some(json!({ "voucherId": voucher, "amount": amount, "checkoutKey": key }))).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["state"], "created");
    pay(app, token, order["id"].as_str().unwrap()).await
}

async fn pay(app: &TestServer, token: &str, order: &str) -> Value {
    let (status, start) = app.me(token, Method::POST, &format!("/me/orders/{order}/pay"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{start}");
    let url = start["payUrl"].as_str().unwrap();
    assert!(url.starts_with("/pay/sandbox/"), "{url}");
    let res = app.request(Method::POST, url).json(&json!({ "method": "upi" })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn a_gift_card_is_quoted_bought_paid_and_issued_once(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let card = cat.voucher(&app, "Kopi gift card", json!({ "price": range_price() })).await;
    let ana = p.jwt("ana");

    let (status, quote) = app.me(&ana, Method::GET, &format!("/me/vouchers/{card}/quote?amount=100000"), None).await;
    assert_eq!(status, StatusCode::OK, "{quote}");
    assert_eq!(
        (quote["faceValue"].as_i64(), quote["discount"].as_i64(), quote["toPay"].as_i64()),
        (Some(100_000), Some(5_000), Some(95_000))
    );
    let (status, body) = app.me(&ana, Method::GET, &format!("/me/vouchers/{card}/quote?amount=100050"), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{body}");
    // Bought, not claimed.
    let (status, body) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": card }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "voucher_not_claimable"), "{body}");

    let new = json!({ "voucherId": card, "amount": 100000, "checkoutKey": "tap-1" });
    let (status, order) = app.me(&ana, Method::POST, "/me/orders", Some(new.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!((order["toPay"].as_i64(), order["status"].as_str()), (Some(95_000), Some("PENDING")));
    assert_eq!(order["lines"], json!([{ "kind": "face_value", "amount": 100000 }, { "kind": "brand_discount", "amount": -5000 }]));
    let (status, again) = app.me(&ana, Method::POST, "/me/orders", Some(new)).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &order["id"]), "the same checkout is the same order");
    let id = order["id"].as_str().unwrap();

    let paid = pay(&app, &ana, id).await;
    assert_eq!((paid["state"].as_str(), paid["status"].as_str()), (Some("fulfilled"), Some("COMPLETED")), "{paid}");
    let (status, mine) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let number = mine["giftCard"]["cardNumber"].as_str().unwrap();
    assert_eq!(number.len(), 10 + 1, "a generated code: {number}");
    assert_eq!(mine["giftCard"]["amount"], 100000);

    // Paying again, or replaying the provider's confirmation, changes nothing.
    let (status, body) = app.me(&ana, Method::POST, &format!("/me/orders/{id}/pay"), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "order_not_payable"));
    let completed = events_of(&app, &p, "ORDER_COMPLETED").await;
    assert_eq!(completed.len(), 1, "{completed:?}");
    let data = &completed[0]["data"];
    assert_eq!(
        (data["orderId"].as_str(), data["status"].as_str(), data["externalUserId"].as_str()),
        (Some(id), Some("COMPLETED"), Some("ana"))
    );
    assert_eq!(
        (data["faceValue"].as_i64(), data["discount"].as_i64(), data["amountPaid"].as_i64()),
        (Some(100_000), Some(5_000), Some(95_000))
    );
    assert!(!completed[0].to_string().contains(number), "no code in a webhook: {}", completed[0]);

    // The partner sees it (without the code); another user and another partner do not.
    let (status, seen) = app.partner(&p, Method::GET, &format!("/integrations/orders/{id}"), None).await;
    assert_eq!((status, seen["state"].as_str()), (StatusCode::OK, Some("fulfilled")), "{seen}");
    assert!(seen.get("giftCard").is_none());
    let (status, _) = app.me(&p.jwt("ben"), Method::GET, &format!("/me/orders/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = sandbox_partner(&app, "other").await;
    let (status, _) = app.partner(&other, Method::GET, &format!("/integrations/orders/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, history) = app.me(&ana, Method::GET, "/me/orders", None).await;
    assert_eq!((status, history.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    let (status, page) = app.partner(&p, Method::GET, "/integrations/orders?limit=10", None).await;
    assert_eq!((status, page["items"][0]["id"].as_str(), page["nextAfter"].as_str()), (StatusCode::OK, Some(id), None), "{page}");
    let (_, theirs) = app.partner(&other, Method::GET, "/integrations/orders", None).await;
    assert_eq!(theirs["items"], json!([]), "another partner's orders are not listed");
    let (_, all) = app.admin(Method::GET, "/admin/orders?partnerId=other", None).await;
    assert_eq!(all["items"], json!([]));

    // The operator reverses it: REVERSED, once.
    let (status, reversed) = app.admin(Method::POST, &format!("/admin/orders/{id}/reverse"), None).await;
    assert_eq!((status, reversed["status"].as_str()), (StatusCode::OK, Some("REVERSED")), "{reversed}");
    let (payment,): (String,) =
        sqlx::query_as("SELECT state FROM payments WHERE order_id = $1").bind(id).fetch_one(&app.db.pool().await).await.unwrap();
    assert_eq!(payment, "refunded", "a reversed order's money goes back");
    let (status, body) = app.admin(Method::POST, &format!("/admin/orders/{id}/reverse"), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(events_of(&app, &p, "ORDER_REVERSED").await.len(), 1);
}

async fn the_813_payment_fails_and_a_failed_generation_is_refunded(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let eatsure = cat
        .voucher(&app, "EatSure", json!({ "price": { "currency": "INR", "model": { "kind": "denominations", "values": [50000, 81300] } } }))
        .await;
    let failing = cat.voucher(&app, "Test Brand: generation fails", json!({ "price": range_price(), "supplier": "sandbox-failing" })).await;
    let ana = p.jwt("ana");

    let failed = buy(&app, &ana, &eatsure, 81_300, "k1").await;
    assert_eq!((failed["state"].as_str(), failed["status"].as_str()), (Some("payment_failed"), Some("FAILED")), "{failed}");
    assert!(failed["failureReason"].as_str().unwrap().contains("No money was taken"), "{failed}");
    let (_, mine) = app.me(&ana, Method::GET, &format!("/me/orders/{}", failed["id"].as_str().unwrap()), None).await;
    assert!(mine["giftCard"].is_null(), "no gift card attempted: {mine}");

    let refunded = buy(&app, &ana, &failing, 50_000, "k2").await;
    assert_eq!((refunded["state"].as_str(), refunded["status"].as_str()), (Some("refunded"), Some("FAILED")), "{refunded}");
    assert!(refunded["failureReason"].as_str().unwrap().contains("a refund is on its way"), "{refunded}");
    let events = events_of(&app, &p, "ORDER_FAILED").await;
    let states: Vec<_> = events.iter().map(|e| e["data"]["state"].as_str().unwrap().to_string()).collect();
    assert_eq!(states, vec!["payment_failed", "refunded"], "one FAILED each, in order");
    let (_, ok) = app.me(&ana, Method::GET, "/me/orders", None).await;
    assert_eq!(ok.as_array().unwrap().len(), 2);
    assert!(events_of(&app, &p, "ORDER_COMPLETED").await.is_empty());
}

async fn two_tabs_pay_once_and_a_pool_sells_each_code_once(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let pool = cat.voucher(&app, "Pool card", json!({ "price": range_price(), "codeSource": "pool" })).await;
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{pool}/codes"), Some(json!({ "codes": ["GC-1", "GC-2"] }))).await;
    let ana = p.jwt("ana");

    // One order paid in two tabs: both payments succeed at the provider; one pays the order, the other is refunded.
    let (_, order) =
        app.me(&ana, Method::POST, "/me/orders", Some(json!({ "voucherId": pool, "amount": 10000, "checkoutKey": "o1" }))).await;
    let id = order["id"].as_str().unwrap();
    let (_, tab1) = app.me(&ana, Method::POST, &format!("/me/orders/{id}/pay"), None).await;
    let (_, tab2) = app.me(&ana, Method::POST, &format!("/me/orders/{id}/pay"), None).await;
    for tab in [&tab1, &tab2] {
        let res = app.request(Method::POST, tab["payUrl"].as_str().unwrap()).json(&json!({ "method": "card" })).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // A replayed confirmation of the first tab changes nothing either.
    let res = app.request(Method::POST, tab1["payUrl"].as_str().unwrap()).json(&json!({ "method": "card" })).send().await.unwrap();
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["state"], "fulfilled", "{after}");
    let pool_db = app.db.pool().await;
    let payments: Vec<(String,)> =
        sqlx::query_as("SELECT state FROM payments WHERE order_id = $1 ORDER BY state").bind(id).fetch_all(&pool_db).await.unwrap();
    assert_eq!(payments, vec![("captured".to_string(),), ("refunded".to_string(),)], "one captured, the other refunded");
    assert_eq!(events_of(&app, &p, "ORDER_COMPLETED").await.len(), 1);

    // Two codes left after one sold: the second order gets the other, the third is refunded.
    let second = buy(&app, &ana, &pool, 20000, "o2").await;
    let third = buy(&app, &ana, &pool, 30000, "o3").await;
    assert_eq!(second["state"], "fulfilled", "{second}");
    assert_eq!((third["state"].as_str(), third["status"].as_str()), (Some("refunded"), Some("FAILED")), "{third}");
    let mut codes = Vec::new();
    for o in [id, second["id"].as_str().unwrap()] {
        let (_, mine) = app.me(&ana, Method::GET, &format!("/me/orders/{o}"), None).await;
        codes.push(mine["giftCard"]["cardNumber"].as_str().unwrap().to_string());
    }
    codes.sort();
    assert_eq!(codes, vec!["GC-1", "GC-2"], "each code sold once");
    let (free,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM voucher_codes WHERE order_id IS NULL AND claim_id IS NULL").fetch_one(&pool_db).await.unwrap();
    assert_eq!(free, 0);
}

async fn a_partner_without_a_provider_cannot_sell_and_a_price_is_checked(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("live").await;
    let cat = Catalog::create(&app).await;
    let card = cat.voucher(&app, "Card", json!({ "price": range_price() })).await;
    let (status, body) =
        app.me(&p.jwt("ana"), Method::POST, "/me/orders", Some(json!({ "voucherId": card, "amount": 10000, "checkoutKey": "k" }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_IMPLEMENTED, "payments_unavailable"), "{body}");

    let bad = |price: Value| json!({ "merchantId": cat.merchant, "title": "Bad", "price": price });
    for (price, field) in [
        (json!({ "currency": "INR", "model": { "kind": "range", "min": 100, "max": 150, "step": 100 } }), "price.model"),
        (json!({ "currency": "INR", "model": { "kind": "denominations", "values": [] } }), "price.model"),
        (json!({ "currency": "INR", "model": { "kind": "denominations", "values": [100] }, "discountBps": 10001 }), "price.discountBps"),
    ] {
        let (status, body) = app.admin(Method::POST, "/admin/vouchers", Some(bad(price))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["details"]["fields"].to_string().contains(field), "{field}: {body}");
    }
    let (status, body) = app
        .admin(Method::POST, "/admin/vouchers", Some(json!({ "merchantId": cat.merchant, "title": "Rupees", "price": { "currency": "rupees", "model": { "kind": "denominations", "values": [100] } } })))
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"), "{body}");
}

/// A crash right after "paid" committed (the state it leaves, written as
/// that commit wrote it): the recovery job issues the gift card, once.
async fn a_paid_order_left_by_a_crash_is_fulfilled_by_the_recovery_job(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let card = cat.voucher(&app, "Card", json!({ "price": range_price() })).await;
    let ana = p.jwt("ana");
    let (_, order) =
        app.me(&ana, Method::POST, "/me/orders", Some(json!({ "voucherId": card, "amount": 10000, "checkoutKey": "k" }))).await;
    let id = order["id"].as_str().unwrap().to_string();
    let (status, _) = app.me(&ana, Method::POST, &format!("/me/orders/{id}/pay"), None).await;
    assert_eq!(status, StatusCode::CREATED);
    let pool = app.db.pool().await;
    sqlx::query("UPDATE payments SET state = 'captured', provider_payment_id = 'sbx_pay_x' WHERE order_id = $1")
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET state = 'paid' WHERE id = $1").bind(&id).execute(&pool).await.unwrap();
    let done = eventually(Duration::from_secs(20), "the recovery job fulfilling the paid order", || async {
        let (_, mine) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
        if mine["state"] == "fulfilled" { Ok(mine) } else { Err(mine) }
    })
    .await;
    assert!(done["giftCard"]["cardNumber"].is_string(), "{done}");
    let (cards,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM gift_cards WHERE order_id = $1").bind(&id).fetch_one(&pool).await.unwrap();
    assert_eq!(cards, 1);
    assert_eq!(events_of(&app, &p, "ORDER_COMPLETED").await.len(), 1);
}

/// A real crash while the card is being issued: the server is SIGKILLed once
/// the payment is committed (`paid`) and while the supplier (the sandbox's
/// slow one, 3 s) has not answered. Started again on the same database, it
/// issues exactly one card — one ORDER_COMPLETED, no refund, nothing twice.
async fn a_kill_between_paid_and_fulfilled_ends_in_one_card(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let card = cat.voucher(&app, "Slow card", json!({ "price": range_price(), "supplier": "sandbox-slow" })).await;
    let ana = p.jwt("ana");
    let (id, pay_url) = start_payment(&app, &ana, &card, 10_000, "crash").await;
    let paying = tokio::spawn(app.request(Method::POST, &pay_url).json(&json!({ "method": "upi" })).send());
    let pool = app.db.pool().await;
    eventually(Duration::from_secs(10), "the payment committed and the card being issued", || async {
        let (state, lease): (String, Option<i64>) =
            sqlx::query_as("SELECT state, fulfilling_until FROM orders WHERE id = $1").bind(&id).fetch_one(&pool).await.unwrap();
        if state == "paid" && lease.is_some() { Ok(()) } else { Err(format!("{state}, lease {lease:?}")) }
    })
    .await;
    let db = app.kill().await;
    assert!(paying.await.unwrap().is_err(), "the payment's connection died with the server");
    let (cards,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM gift_cards WHERE order_id = $1").bind(&id).fetch_one(&pool).await.unwrap();
    assert_eq!(cards, 0, "killed before the supplier answered");

    // Back up: once the dead call's lease lapses, the recovery job issues the card.
    let app = TestServer::spawn_on(db, &[("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN)]).await;
    let done = eventually(Duration::from_secs(40), "the card issued after the restart", || async {
        let (_, mine) = app.me(&ana, Method::GET, &format!("/me/orders/{id}"), None).await;
        if mine["state"] == "fulfilled" { Ok(mine) } else { Err(mine) }
    })
    .await;
    assert!(done["giftCard"]["cardNumber"].is_string(), "{done}");
    let pool = app.db.pool().await;
    let (cards,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM gift_cards WHERE order_id = $1").bind(&id).fetch_one(&pool).await.unwrap();
    assert_eq!(cards, 1);
    let payments: Vec<(String,)> =
        sqlx::query_as("SELECT state FROM payments WHERE order_id = $1").bind(&id).fetch_all(&pool).await.unwrap();
    assert_eq!(payments, vec![("captured".to_string(),)], "paid once, nothing refunded");
    assert_eq!(events_of(&app, &p, "ORDER_COMPLETED").await.len(), 1);
    assert_eq!(events_of(&app, &p, "ORDER_FAILED").await.len(), 0);
}

/// 200 users buy at once from a pool of 100 codes: exactly 100 orders are
/// fulfilled, each with its own code, and the other 100 are refunded.
async fn two_hundred_buyers_of_a_hundred_codes(backend: Backend) {
    const BUYERS: usize = 200;
    let app = Arc::new(TestServer::spawn_platform(backend).await);
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let pool = cat.voucher(&app, "Pool card", json!({ "price": range_price(), "codeSource": "pool" })).await;
    let codes: Vec<String> = (0..100).map(|i| format!("GC-{i:03}")).collect();
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{pool}/codes"), Some(json!({ "codes": codes }))).await;
    let mut buyers = JoinSet::new();
    for i in 0..BUYERS {
        let (app, token, pool) = (app.clone(), p.jwt(&format!("buyer-{i}")), pool.clone());
        buyers.spawn(async move { buy(&app, &token, &pool, 10000, "once").await });
    }
    let mut states = std::collections::BTreeMap::<String, usize>::new();
    while let Some(order) = buyers.join_next().await {
        *states.entry(order.unwrap()["state"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(states, [("fulfilled".to_string(), 100), ("refunded".to_string(), 100)].into_iter().collect(), "{states:?}");
    let db = app.db.pool().await;
    let (cards, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT card_number) FROM gift_cards").fetch_one(&db).await.unwrap();
    assert_eq!((cards, distinct), (100, 100), "no code twice");
    let (captured,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM payments WHERE state = 'captured'").fetch_one(&db).await.unwrap();
    assert_eq!(captured, 100, "every other payment refunded");
    assert_eq!(events_of(&app, &p, "ORDER_FAILED").await.len(), 100);
}

/// The hosted page a person pays on: UPI or card, the amount, and what happened.
async fn the_sandbox_page_offers_upi_or_card_and_says_what_happened(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let card = eatsure(&app, &cat).await;
    let ana = p.jwt("ana");
    for (amount, said) in [(50_000, "Payment received"), (81_300, "Payment failed — no money was taken.")] {
        let (_, url) = start_payment(&app, &ana, &card, amount, &format!("k{amount}")).await;
        let url = url.as_str();
        let res = app.get(url).await;
        assert_eq!(res.status(), StatusCode::OK);
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'self'"), "{csp}");
        let html = res.text().await.unwrap();
        assert!(html.contains("value=upi") && html.contains("value=card"), "{html}");
        assert!(html.contains(&format!("Pay INR {}.00", amount / 100)), "{html}");
        let res = app
            .request(Method::POST, url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("method=card")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains(said), "{amount}: {html}");
        // Paid or failed, the page no longer offers to pay.
        let again = app.get(url).await.text().await.unwrap();
        assert!(!again.contains("<form"), "{again}");
    }
}

/// A payment opened from the webview's checkout comes back to the order's
/// screen (`from=payment`, the partner's clientId kept), with the method the
/// checkout chose preselected; nothing in the query can send it elsewhere.
async fn a_payment_opened_from_the_webview_returns_to_the_order_screen(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = sandbox_partner(&app, "shop").await;
    let cat = Catalog::create(&app).await;
    let card = eatsure(&app, &cat).await;
    let ana = p.jwt("ana");
    for (amount, state) in [(50_000, "fulfilled"), (81_300, "payment_failed")] {
        let (order_id, pay_url) = start_payment(&app, &ana, &card, amount, &format!("w{amount}")).await;
        let url = format!("{pay_url}?return=webview&method=card&clientId=shop");
        let html = app.get(&url).await.text().await.unwrap();
        assert!(html.contains("value=card checked") && !html.contains("value=upi checked"), "{html}");
        assert!(html.contains(&format!("href=\"/consumer/orders/{order_id}?from=payment&amp;clientId=shop\"")), "{html}");
        let res = app
            .request(Method::POST, &url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("method=card")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], format!("/consumer/orders/{order_id}?from=payment&clientId=shop").as_str());
        let (_, now) = app.me(&ana, Method::GET, &format!("/me/orders/{order_id}"), None).await;
        assert_eq!(now["state"], state, "{now}");
        // Gone back to the payment page once it is settled: to the order's screen again.
        let again = app.get(&url).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        assert_eq!(again.headers()["location"], format!("/consumer/orders/{order_id}?from=payment&clientId=shop").as_str());
    }
    // A query cannot aim the return anywhere but the order's own screen.
    let (order_id, pay_url) = start_payment(&app, &ana, &card, 50_000, "evil").await;
    let url = format!("{pay_url}?return=webview&clientId=%2F%2Fevil.example&next=https://evil.example");
    let res = app
        .request(Method::POST, &url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("method=upi")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/consumer/orders/{order_id}?from=payment").as_str());
}

crate::backend_tests!(
    a_payment_opened_from_the_webview_returns_to_the_order_screen,
    the_sandbox_page_offers_upi_or_card_and_says_what_happened,
    a_paid_order_left_by_a_crash_is_fulfilled_by_the_recovery_job,
    a_kill_between_paid_and_fulfilled_ends_in_one_card,
    two_hundred_buyers_of_a_hundred_codes,
    a_gift_card_is_quoted_bought_paid_and_issued_once,
    the_813_payment_fails_and_a_failed_generation_is_refunded,
    two_tabs_pay_once_and_a_pool_sells_each_code_once,
    a_partner_without_a_provider_cannot_sell_and_a_price_is_checked,
);
