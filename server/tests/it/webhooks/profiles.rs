//! Payload profiles (SPEC §10): a `hubble` endpoint receives seed 001's
//! transaction and brand bodies signed with `X-Verify`, a `spaaza` one seed
//! 002's `shopper.voucher-issued` signed with `X-Spaaza-Hmac-SHA256` — checked
//! by the receiver written from the seeds' text — and codes never travel
//! unless an https endpoint asked for them.

use super::*;

async fn hubble_and_spaaza_endpoints_get_the_seeds_bodies(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[])).await;
    let hooks = Receiver::start().await;
    let body = app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": "shop", "name": "Shop", "sandbox": true }))).await;
    let p = PartnerCreds {
        id: body["partnerId"].as_str().unwrap().into(),
        api_secret: body["apiSecret"].as_str().unwrap().into(),
        jwt_secret: body["jwtSecret"].as_str().unwrap().into(),
    };
    // The profile picks its seed's signature unless a scheme is named.
    let hubble = endpoint(&app, &p, &hooks.url("hubble"), json!({ "payloadProfile": "hubble" })).await;
    assert_eq!(
        (hubble["scheme"].as_str(), hubble["payloadProfile"].as_str(), hubble["includeCodes"].as_bool()),
        (Some("hubble"), Some("hubble"), Some(false))
    );
    hooks.expect("hubble", "hubble", hubble["secret"].as_str().unwrap());
    let spaaza = endpoint(&app, &p, &hooks.url("spaaza"), json!({ "payloadProfile": "spaaza" })).await;
    assert_eq!(spaaza["scheme"], "spaaza");
    hooks.expect("spaaza", "spaaza", spaaza["secret"].as_str().unwrap());
    // Codes only in a hubble body, and only over https: refused whole, nothing made.
    for (extra, why) in [
        (json!({ "payloadProfile": "hubble", "includeCodes": true }), "https"),
        (json!({ "payloadProfile": "tessera", "includeCodes": true }), "hubble"),
    ] {
        let mut asked = extra.clone();
        asked["url"] = json!(hooks.url("codes"));
        let (status, refused) = app.partner(&p, Method::POST, "/integrations/webhook-endpoints", Some(&asked)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(error_code(&refused), "validation_failed");
        assert!(refused.to_string().contains("includeCodes") && refused.to_string().contains(why), "{refused}");
    }
    let hubble_id = hubble["id"].as_str().unwrap();
    let (status, refused) = app
        .partner(&p, Method::PATCH, &format!("/integrations/webhook-endpoints/{hubble_id}"), Some(&json!({ "includeCodes": true })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, list) = app.partner(&p, Method::GET, "/integrations/webhook-endpoints", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");

    // A brand appears, a gift card is bought, a voucher is issued.
    let cat = Catalog::create(&app).await;
    let price = json!({ "currency": "INR", "model": { "kind": "denominations", "values": [50000] }, "discountBps": 500 });
    let card = cat.voucher(&app, "Swiggy gift card", json!({ "price": price, "supplier": "sandbox" })).await;
    let ana = p.jwt("ana");
    let (_, order) =
        app.me(&ana, Method::POST, "/me/orders", Some(json!({ "voucherId": card, "amount": 50000, "checkoutKey": "k1" }))).await;
    let order_id = order["id"].as_str().unwrap().to_string();
    let (_, start) = app.me(&ana, Method::POST, &format!("/me/orders/{order_id}/pay"), None).await;
    let paid = app.request(Method::POST, start["payUrl"].as_str().unwrap()).json(&json!({ "method": "upi" })).send().await.unwrap();
    assert_eq!(paid.status(), StatusCode::OK);
    let (_, bought) = app.me(&ana, Method::GET, &format!("/me/orders/{order_id}"), None).await;
    let number = bought["giftCard"]["cardNumber"].as_str().unwrap().to_string();
    let pin = bought["giftCard"]["cardPin"].as_str().unwrap().to_string();
    let free = cat.voucher(&app, "{b}RM5{/b} off", json!({})).await;
    let (status, issued) = app.partner(&p, Method::POST, "/integrations/users/ana/vouchers", Some(&json!({ "voucherId": free }))).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");

    hooks.wait_for(Duration::from_secs(20), "the brand, the order and the issue at both endpoints", |got| got.len() >= 6).await;
    settled(&app.db).await;
    let got = hooks.received();
    for r in &got {
        assert_eq!(r.verified, Ok(()), "{} delivery did not verify", r.path);
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            !text.contains(&number) && !text.contains(&format!("\"{pin}\"")),
            "a card's code or PIN reached {} without includeCodes: {text}",
            r.path
        );
    }
    let at =
        |path: &str, pick: &dyn Fn(&Value) -> bool| got.iter().filter(|r| r.path == path).find(|r| pick(&r.event)).map(|r| r.event.clone());

    // Seed 001's transaction body, as its "Example COMPLETED webhook payload" has it.
    let tx = at("hubble", &|e| e.get("transactionReferenceId").is_some()).expect("a transaction body");
    let keys: std::collections::BTreeSet<&str> = tx.as_object().unwrap().keys().map(String::as_str).collect();
    let seed: std::collections::BTreeSet<&str> = [
        "transactionReferenceId",
        "partnerCoinTransactionId",
        "partnerCoinReversalTransactionId",
        "amount",
        "discountAmount",
        "timestamp",
        "userId",
        "vouchers",
        "brandName",
        "orderStatus",
    ]
    .into_iter()
    .collect();
    assert_eq!(keys, seed, "{tx}");
    assert_eq!(tx["transactionReferenceId"], order_id.as_str());
    assert_eq!((tx["amount"].as_f64(), tx["discountAmount"].as_f64()), (Some(500.0), Some(25.0)), "{tx}");
    assert_eq!(tx["orderStatus"], "COMPLETED");
    assert_eq!(tx["brandName"], "Kopi Kita");
    let stamp = tx["timestamp"].as_str().unwrap();
    assert!(stamp.len() == 19 && !stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T', "timestamp without a zone: {stamp}");
    let v = &tx["vouchers"][0];
    assert_eq!(
        (v["brandId"].as_str(), v["brandName"].as_str(), v["amount"].as_f64()),
        (Some(cat.merchant.as_str()), Some("Kopi Kita"), Some(500.0))
    );
    assert!(v["cardNumber"].is_null() && v["cardPin"].is_null(), "{v}");
    assert_eq!(v["validTill"].as_str().map(str::len), Some(10), "{v}");
    // Its brand event.
    let brand = at("hubble", &|e| e["event"] == "NEW_BRAND_CREATED" && e["brandId"] == cat.merchant.as_str()).expect("NEW_BRAND_CREATED");
    assert_eq!(brand["brandName"], "Kopi Kita");
    assert_eq!(brand.as_object().map(|o| o.len()), Some(4), "{brand}");
    // Seed 002's voucher-issued; what the profile has no body for comes in Tessera's envelope.
    let spaaza_issued = at("spaaza", &|e| e["type"] == "shopper.voucher-issued").expect("shopper.voucher-issued");
    assert_eq!(spaaza_issued["data"]["voucher_id"], issued["id"]);
    assert_eq!(spaaza_issued["id"], format!("voucher{}", issued["id"].as_str().unwrap()).as_str());
    assert_eq!(spaaza_issued["data"]["voucher_title"], "RM5 off");
    assert_eq!(spaaza_issued["data"]["user"]["user_id"], "ana");
    assert!(at("spaaza", &|e| e["type"] == "ORDER_COMPLETED" && e["data"]["orderId"] == order_id.as_str()).is_some(), "envelope fallback");
}

crate::backend_tests!(hubble_and_spaaza_endpoints_get_the_seeds_bodies);
