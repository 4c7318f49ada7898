//! Claims and redemptions (SPEC §4): the rules, their error codes, the events.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, KLCC},
    error_code,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn events_of(app: &TestServer, partner: &crate::support::api::PartnerCreds, kind: &str) -> Vec<Value> {
    let (status, page) = app.partner(partner, Method::GET, &format!("/integrations/events?type={kind}"), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn claiming_follows_stock_limits_and_validity(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let coffee = cat.voucher(&app, "{b}Free{/b} coffee", json!({ "totalStock": 1 })).await;
    let ana = p.jwt("ana");
    let ben = p.jwt("ben");

    let (status, claim) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": coffee }))).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["status"], "ACTIVE");
    assert_eq!(claim["voucherTitle"], "{b}Free{/b} coffee");
    let (status, again) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": coffee }))).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &claim["id"]), "claiming again answers the same claim");
    let created = events_of(&app, &p, "CLAIM_CREATED").await;
    assert_eq!(created.len(), 1, "one event, not two");
    assert_eq!(created[0]["data"]["claimId"], claim["id"]);
    assert_eq!(created[0]["data"]["externalUserId"], "ana");
    assert_eq!(created[0]["data"]["voucherTitle"], "{b}Free{/b} coffee");

    let (status, body) = app.me(&ben, Method::POST, "/me/claims", Some(json!({ "voucherId": coffee }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "out_of_stock"));

    // Per-user limit: after redeeming, a second claim only if the limit allows.
    let twice = cat.voucher(&app, "Twice", json!({ "perUserLimit": 2 })).await;
    for round in 0..2 {
        let (status, c) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": twice }))).await;
        assert_eq!(status, StatusCode::CREATED, "round {round}: {c}");
        let (status, r) = app
            .me(&ana, Method::POST, "/me/redemptions", Some(json!({ "claimId": c["id"], "outletId": cat.outlet_no_gps, "location": null })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    let (status, body) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": twice }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "limit_reached"));

    // Expired and not yet valid.
    let expired = cat.voucher(&app, "Old", json!({ "validFrom": "2020-01-01T00:00:00Z", "validUntil": "2020-02-01T00:00:00Z" })).await;
    let (status, body) = app.me(&ben, Method::POST, "/me/claims", Some(json!({ "voucherId": expired }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::GONE, "voucher_expired"));
    let future = cat.voucher(&app, "Soon", json!({ "validFrom": "2099-01-01T00:00:00Z" })).await;
    let (status, body) = app.me(&ben, Method::POST, "/me/claims", Some(json!({ "voucherId": future }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "voucher_not_claimable"));

    // A draft, or an unknown id, does not exist for users.
    let draft = app.admin_ok(Method::POST, "/admin/vouchers", Some(json!({ "merchantId": cat.merchant, "title": "Draft" }))).await;
    for id in [draft["id"].as_str().unwrap(), "nope"] {
        let (status, body) = app.me(&ben, Method::POST, "/me/claims", Some(json!({ "voucherId": id }))).await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    }

    // Archiving: gone from the catalog, claims of it refused.
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{twice}/archive"), None).await;
    let (status, body) = app.me(&ben, Method::POST, "/me/claims", Some(json!({ "voucherId": twice }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::GONE, "voucher_expired"));

    let (_, wallet) = app.me(&ana, Method::GET, "/me/claims", None).await;
    assert_eq!(wallet.as_array().unwrap().len(), 3);
}

async fn cohorts_and_unlock_codes_decide_visibility(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let open = cat.voucher(&app, "For all", json!({})).await;
    let vip = cat.voucher(&app, "VIP only", json!({ "cohorts": ["vip"] })).await;
    let secret = cat.voucher(&app, "Hidden", json!({ "unlockCode": "SPRING26" })).await;
    app.partner(&p, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "v", "cohorts": ["vip"] }))).await;
    let ids = |page: &Value| page["items"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();

    let (_, plain) = app.me(&p.jwt("plain"), Method::GET, "/me/vouchers", None).await;
    assert_eq!(ids(&plain), vec![open.clone()]);
    // The public page (no session) shows only what anyone may see.
    let (_, html) = app.get_html("/consumer").await;
    assert!(html.contains("For all") && !html.contains("VIP only") && !html.contains("Hidden"), "{html}");
    // And so does its voucher screen: the open one shown without a Claim button (nobody to
    // claim for), the VIP-only, the code-locked and a disabled merchant's a not-found, as
    // if they did not exist — even with the right code in the URL.
    let (status, html) = app.get_html(&format!("/consumer/vouchers/{open}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("For all") && html.contains("class=\"notice signed-out\"") && !html.contains("class=\"button claim"), "{html}");
    for (hidden, path) in [(&vip, format!("/consumer/vouchers/{vip}")), (&secret, format!("/consumer/vouchers/{secret}?coupon=SPRING26"))] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{hidden}: {html}");
        assert!(!html.contains("VIP only") && !html.contains("Hidden"), "{html}");
    }
    let other = app.admin_ok(Method::POST, "/admin/merchants", Some(json!({ "name": "Gone Soon" }))).await;
    let gone =
        app.admin_ok(Method::POST, "/admin/vouchers", Some(json!({ "merchantId": other["id"], "title": "Disabled merchant's" }))).await;
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{}/publish", gone["id"].as_str().unwrap()), None).await;
    app.admin_ok(Method::POST, &format!("/admin/merchants/{}/disable", other["id"].as_str().unwrap()), None).await;
    let (_, html) = app.get_html("/consumer").await;
    assert!(!html.contains("Disabled merchant"), "a disabled merchant's voucher is listed");
    let (status, _) = app.get_html(&format!("/consumer/vouchers/{}", gone["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, vips) = app.me(&p.jwt("v"), Method::GET, "/me/vouchers", None).await;
    assert!(ids(&vips).contains(&vip) && !ids(&vips).contains(&secret));
    let (status, body) = app.me(&p.jwt("plain"), Method::POST, "/me/claims", Some(json!({ "voucherId": vip }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"), "not visible, not claimable");
    // An unlisted voucher without its code is a 404 too (as documented: never a 422 that would
    // reveal it exists), the same answer as for an id that does not exist.
    let (status, body) = app.me(&p.jwt("plain"), Method::POST, "/me/claims", Some(json!({ "voucherId": secret }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{body}");
    let (_, unknown) = app.me(&p.jwt("plain"), Method::POST, "/me/claims", Some(json!({ "voucherId": "no-such-voucher" }))).await;
    assert_eq!(body["error"]["message"], unknown["error"]["message"], "indistinguishable from a voucher that does not exist");

    let (_, unlocked) = app.me(&p.jwt("plain"), Method::GET, "/me/vouchers?coupon=SPRING26", None).await;
    assert!(ids(&unlocked).contains(&secret));
    let (_, searched) = app.me(&p.jwt("plain"), Method::GET, "/me/vouchers?q=SPRING26", None).await;
    assert_eq!(ids(&searched), vec![secret.clone()]);
    let (status, _) = app.me(&p.jwt("plain"), Method::POST, "/me/claims", Some(json!({ "voucherId": secret, "coupon": "SPRING26" }))).await;
    assert_eq!(status, StatusCode::CREATED);
    // Claimed, it stays readable for its holder without the code.
    let (status, _) = app.me(&p.jwt("plain"), Method::GET, &format!("/me/vouchers/{secret}"), None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app.me(&p.jwt("plain"), Method::GET, "/me/vouchers?near=999,1", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    let (status, body) = app.me(&p.jwt("plain"), Method::GET, "/me/vouchers?cursor=garbage", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
}

async fn redemption_rules(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let user = p.jwt("ana");
    let claim_of = |title: &'static str, extra: Value| {
        let (app, cat, user) = (&app, &cat, user.clone());
        async move {
            let v = cat.voucher(app, title, extra).await;
            let (_, c) = app.me(&user, Method::POST, "/me/claims", Some(json!({ "voucherId": v }))).await;
            c["id"].as_str().unwrap().to_string()
        }
    };
    let redeem = |claim: String, outlet: String, location: Value| {
        let (app, user) = (&app, user.clone());
        async move {
            app.me(&user, Method::POST, "/me/redemptions", Some(json!({ "claimId": claim, "outletId": outlet, "location": location })))
                .await
        }
    };

    // In range: SUCCESS with a generated code.
    let c = claim_of("Near", json!({})).await;
    let (status, r) = redeem(c.clone(), cat.outlet.clone(), json!({ "lat": KLCC.0 + 0.0005, "lng": KLCC.1, "accuracyM": 10 })).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!((r["status"].as_str(), r["flagReason"].as_str()), (Some("SUCCESS"), None));
    assert!(r["code"].as_str().unwrap().len() >= 8);
    assert_eq!(r["outletName"], "KLCC");
    // Again: already redeemed, whatever the location.
    let (status, body) = redeem(c, cat.outlet.clone(), json!(null)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "already_redeemed"));

    // No location: accepted, FLAGGED gps_unavailable.
    let (status, r) = redeem(claim_of("No GPS", json!({})).await, cat.outlet.clone(), json!(null)).await;
    assert_eq!((status, r["status"].as_str(), r["flagReason"].as_str()), (StatusCode::CREATED, Some("FLAGGED"), Some("gps_unavailable")));

    // Outlet without coordinates: SUCCESS, tagged outlet_not_geolocated.
    let (status, r) = redeem(claim_of("Kiosk", json!({})).await, cat.outlet_no_gps.clone(), json!({ "lat": 1.0, "lng": 1.0 })).await;
    assert_eq!(
        (status, r["status"].as_str(), r["flagReason"].as_str()),
        (StatusCode::CREATED, Some("SUCCESS"), Some("outlet_not_geolocated"))
    );
    // …with no location either: there is nothing to check one against (the webview does not ask).
    let (status, r) = redeem(claim_of("Kiosk, no GPS", json!({})).await, cat.outlet_no_gps.clone(), json!(null)).await;
    assert_eq!(
        (status, r["status"].as_str(), r["flagReason"].as_str()),
        (StatusCode::CREATED, Some("SUCCESS"), Some("outlet_not_geolocated"))
    );

    // Far away: 422 with the distance, and nothing recorded (the claim still redeems later).
    let far = claim_of("Far", json!({})).await;
    let (status, body) = redeem(far.clone(), cat.outlet.clone(), json!({ "lat": 3.1466, "lng": 101.7101, "accuracyM": 5000 })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "out_of_range"));
    let d = body["error"]["details"]["distanceM"].as_f64().unwrap();
    assert!((1200.0..1350.0).contains(&d), "{d}");
    assert_eq!(body["error"]["details"]["allowedM"].as_f64(), Some(250.0), "radius 150 + accuracy capped at 100");
    // Another merchant's outlet.
    let (status, body) = redeem(far.clone(), cat.other_outlet.clone(), json!(null)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "outlet_mismatch"));
    let (status, body) = redeem(far, cat.outlet.clone(), json!({ "lat": KLCC.0, "lng": KLCC.1 })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Bad input.
    let (status, body) = redeem("nope".into(), cat.outlet.clone(), json!(null)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = redeem(claim_of("Bad", json!({})).await, cat.outlet.clone(), json!({ "lat": 200, "lng": 0 })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    let (status, body) = app.me(&user, Method::POST, "/me/redemptions", Some(json!({ "claimId": 5 }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"));

    // Static and pool codes.
    let (_, r) =
        redeem(claim_of("Static", json!({ "codeSource": "static", "staticCode": "KOPI10" })).await, cat.outlet_no_gps.clone(), json!(null))
            .await;
    assert_eq!(r["code"], "KOPI10");
    let pool = cat.voucher(&app, "Pool", json!({ "codeSource": "pool" })).await;
    let up = app.admin_ok(Method::POST, &format!("/admin/vouchers/{pool}/codes"), Some(json!({ "codes": ["P-1", "P-2", "P-1"] }))).await;
    assert_eq!((up["added"].as_u64(), up["duplicates"].as_u64()), (Some(2), Some(1)));
    let mut codes = vec![];
    for who in ["u1", "u2"] {
        let t = p.jwt(who);
        let (_, c) = app.me(&t, Method::POST, "/me/claims", Some(json!({ "voucherId": pool }))).await;
        let (_, r) = app
            .me(&t, Method::POST, "/me/redemptions", Some(json!({ "claimId": c["id"], "outletId": cat.outlet_no_gps, "location": null })))
            .await;
        codes.push(r["code"].as_str().unwrap().to_string());
    }
    codes.sort();
    assert_eq!(codes, vec!["P-1", "P-2"]);
    let (status, body) = app.me(&p.jwt("u3"), Method::POST, "/me/claims", Some(json!({ "voucherId": pool }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "out_of_stock"), "no code left, no claim");

    // Events carry no code; the partner lookup does.
    let events = events_of(&app, &p, "REDEMPTION_CREATED").await;
    assert_eq!(events.len(), 8);
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains("KOPI10") && !all.contains("P-1") && !all.contains("\"code\""), "{all}");
    let flagged = events.iter().find(|e| e["data"]["status"] == "FLAGGED").unwrap();
    assert_eq!(flagged["data"]["flagReason"], "gps_unavailable");
    let redemption_id = flagged["data"]["redemptionId"].as_str().unwrap();
    let (status, lookup) = app.partner(&p, Method::GET, &format!("/integrations/redemptions/{redemption_id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(lookup["code"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(lookup["externalUserId"], "ana");
    let other = app.create_partner("other").await;
    let (status, _) = app.partner(&other, Method::GET, &format!("/integrations/redemptions/{redemption_id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another partner's redemption does not exist for it");

    let (_, history) = app.me(&user, Method::GET, "/me/redemptions", None).await;
    assert_eq!(history.as_array().unwrap().len(), 6);
}

async fn partners_issue_vouchers_and_publishing_fans_out(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let q = app.create_partner("bravo").await;
    let cat = Catalog::create(&app).await;
    // Two users of acme and one of bravo favourite the merchant; one erased user too.
    for (partner, user) in [(&p, "a1"), (&p, "a2"), (&q, "b1"), (&p, "gone")] {
        let (status, _) = app.me(&partner.jwt(user), Method::PUT, &format!("/me/favorites/{}", cat.merchant), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    app.partner(&p, Method::DELETE, "/integrations/users/gone", None).await;
    let (_, favs) = app.me(&p.jwt("a1"), Method::GET, "/me/favorites", None).await;
    assert_eq!(favs[0]["id"], json!(cat.merchant));
    let draft = app
        .admin_ok(
            Method::POST,
            "/admin/vouchers",
            Some(json!({ "merchantId": cat.merchant, "title": "{r}BOGO{/r} May", "valueType": "BOGO" })),
        )
        .await;
    let id = draft["id"].as_str().unwrap();
    let published = app.admin_ok(Method::POST, &format!("/admin/vouchers/{id}/publish"), None).await;
    assert_eq!(published["eventsEnqueued"], 3);
    let (status, body) = app.admin(Method::POST, &format!("/admin/vouchers/{id}/publish"), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "conflict"));
    let acme = events_of(&app, &p, "VOUCHER_PUBLISHED").await;
    assert_eq!(acme.len(), 2);
    let mut users: Vec<&str> = acme.iter().map(|e| e["data"]["externalUserId"].as_str().unwrap()).collect();
    users.sort();
    assert_eq!(users, vec!["a1", "a2"]);
    assert_eq!(acme[0]["data"]["voucherTitle"], "{r}BOGO{/r} May");
    assert_eq!(acme[0]["data"]["merchantName"], "Kopi Kita");
    assert_eq!(acme[0]["data"]["valueType"], "BOGO");
    assert_eq!(events_of(&app, &q, "VOUCHER_PUBLISHED").await.len(), 1);

    // Server-side issue: into the wallet with VOUCHER_ISSUED; unknown user 404.
    let (status, claim) = app.partner(&p, Method::POST, "/integrations/users/a1/vouchers", Some(&json!({ "voucherId": id }))).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["source"], "issue");
    let issued = events_of(&app, &p, "VOUCHER_ISSUED").await;
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0]["data"]["claimId"], claim["id"]);
    let (status, _) = app.partner(&p, Method::POST, "/integrations/users/nobody/vouchers", Some(&json!({ "voucherId": id }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Paging through events with `after` (the catalog's MERCHANT_CREATED events count too).
    let (_, all) = app.partner(&p, Method::GET, "/integrations/events?limit=500", None).await;
    let all = all["items"].as_array().unwrap().clone();
    assert!(all.len() >= 3, "{all:?}");
    assert!(all.iter().any(|e| e["type"] == "MERCHANT_CREATED"), "catalog events reach every partner");
    let (_, page) = app.partner(&p, Method::GET, "/integrations/events?limit=2", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let after = page["nextAfter"].as_str().unwrap();
    let (_, rest) = app.partner(&p, Method::GET, &format!("/integrations/events?after={after}"), None).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), all.len() - 2);
    assert_eq!(rest["items"][0]["id"], all[2]["id"]);
    let (status, body) = app.partner(&p, Method::GET, "/integrations/events?type=NOPE", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
}

/// Issue 15: publishing told every fan of the merchant, even those who cannot see the
/// voucher (another cohort; an unlisted one without its code), leaking its title into
/// partners' push pipelines. Only the fans who could claim it hear of it.
async fn a_published_voucher_reaches_only_the_fans_who_can_see_it(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("fans").await;
    let cat = Catalog::create(&app).await;
    app.partner(&p, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "vip", "cohorts": ["vip"] }))).await;
    for user in ["vip", "plain"] {
        let (status, _) = app.me(&p.jwt(user), Method::PUT, &format!("/me/favorites/{}", cat.merchant), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let publish = |extra: Value| {
        let app = &app;
        let merchant = cat.merchant.clone();
        async move {
            let mut body = json!({ "merchantId": merchant, "title": "Fan news" });
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            let id = app.admin_ok(Method::POST, "/admin/vouchers", Some(body)).await["id"].as_str().unwrap().to_string();
            let published = app.admin_ok(Method::POST, &format!("/admin/vouchers/{id}/publish"), None).await;
            (id, published["eventsEnqueued"].as_u64().unwrap())
        }
    };
    let (vip_only, told) = publish(json!({ "cohorts": ["vip"] })).await;
    assert_eq!(told, 1, "only the fan in the cohort");
    let (unlisted, told) = publish(json!({ "unlockCode": "FANS26" })).await;
    assert_eq!(told, 0, "nobody is known to hold an unlisted voucher's code");
    let (open, told) = publish(json!({})).await;
    assert_eq!(told, 2);
    let events = events_of(&app, &p, "VOUCHER_PUBLISHED").await;
    let mut heard: Vec<(String, String)> = events
        .iter()
        .map(|e| (e["data"]["voucherId"].as_str().unwrap().to_string(), e["data"]["externalUserId"].as_str().unwrap().to_string()))
        .collect();
    heard.sort();
    let mut expected = vec![(vip_only, "vip".to_string()), (open.clone(), "plain".to_string()), (open, "vip".to_string())];
    expected.sort();
    assert_eq!(heard, expected);
    assert!(!events.iter().any(|e| e["data"]["voucherId"] == json!(unlisted)));
}

/// Issue 15: search matched the raw title, so "r" found every `{r}…{/r}` title, and signed-out
/// search was a different rule (filtered in memory). One search now, over the plain title, for
/// both; vouchers stored before the plain title existed get theirs at start-up.
async fn search_reads_what_people_read(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("search").await;
    let cat = Catalog::create(&app).await;
    let marked = cat.voucher(&app, "{r}BOGO{/r} May", json!({ "valueType": "BOGO" })).await;
    let plain = cat.voucher(&app, "Free croissant", json!({ "valueType": "FREE_ITEM" })).await;
    let ids = |page: &Value| page["items"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    // Signed in (REST): "r" is in "Free croissant", not in "BOGO May" (only in its markup).
    let (_, found) = app.me(&p.jwt("ana"), Method::GET, "/me/vouchers?q=r", None).await;
    assert_eq!(ids(&found), vec![plain.clone()], "{found}");
    let (_, found) = app.me(&p.jwt("ana"), Method::GET, "/me/vouchers?q=bogo%20may", None).await;
    assert_eq!(ids(&found), vec![marked.clone()], "the title as read, tags gone: {found}");
    // Signed out (the search screen): the same rule.
    let shows = |html: &str, id: &str| html.contains(&format!("/consumer/vouchers/{id}"));
    let (_, html) = app.get_html("/consumer/search?q=r").await;
    assert!(shows(&html, &plain) && !shows(&html, &marked), "{html}");
    let (_, html) = app.get_html("/consumer/search?q=bogo%20may").await;
    assert!(shows(&html, &marked) && !shows(&html, &plain), "{html}");
    let (_, html) = app.get_html("/consumer/search?q=&type=FREE_ITEM").await;
    assert!(shows(&html, &plain) && !shows(&html, &marked), "the type filter: {html}");

    // A voucher written before titles were kept plain: found meanwhile, filled at the next start.
    let pool = app.db.pool().await;
    sqlx::query("UPDATE vouchers SET title_plain = NULL").execute(&pool).await.unwrap();
    let (_, found) = app.me(&p.jwt("ana"), Method::GET, "/me/vouchers?q=croissant", None).await;
    assert_eq!(ids(&found), vec![plain.clone()]);
    pool.close().await;
    let db = app.kill().await;
    let app = TestServer::spawn_on(db, &[("TESSERA_OPERATOR_TOKEN", crate::support::api::OPERATOR_TOKEN)]).await;
    let pool = app.db.pool().await;
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM vouchers WHERE title_plain IS NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0, "every plain title filled at start-up");
    let (filled,): (String,) =
        sqlx::query_as("SELECT title_plain FROM vouchers WHERE id = $1").bind(&marked).fetch_one(&pool).await.unwrap();
    assert_eq!(filled, "BOGO May");
}

/// Issue 15: a claim made under one code source is redeemed under it, so the source
/// cannot change under it (it once made those claims fail to redeem with a 500).
async fn a_claimed_vouchers_code_source_cannot_change(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("sources").await;
    let cat = Catalog::create(&app).await;
    let voucher = cat.voucher(&app, "Generated codes", json!({ "codeSource": "generated" })).await;
    let input = |source: &str| {
        let mut body = json!({ "merchantId": cat.merchant, "title": "Generated codes", "codeSource": source });
        if source == "static" {
            body["staticCode"] = json!("KOPI");
        }
        body
    };
    // Before any claim it may change, and back.
    app.admin_ok(Method::PUT, &format!("/admin/vouchers/{voucher}"), Some(input("pool"))).await;
    app.admin_ok(Method::PUT, &format!("/admin/vouchers/{voucher}"), Some(input("generated"))).await;
    let (status, claim) = app.me(&p.jwt("ana"), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    for source in ["pool", "static"] {
        let (status, body) = app.admin(Method::PUT, &format!("/admin/vouchers/{voucher}"), Some(input(source))).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{source}: {body}");
        assert!(body["error"]["details"]["fields"]["codeSource"].is_string(), "{source}: {body}");
    }
    assert_eq!(app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await["codeSource"], "generated");
    // Editing anything else still works, and the claim redeems.
    let mut retitled = input("generated");
    retitled["title"] = json!("Generated codes, renamed");
    app.admin_ok(Method::PUT, &format!("/admin/vouchers/{voucher}"), Some(retitled)).await;
    let (status, done) = app
        .me(
            &p.jwt("ana"),
            Method::POST,
            "/me/redemptions",
            Some(json!({ "claimId": claim["id"], "outletId": cat.outlet_no_gps, "location": null })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
}

crate::backend_tests!(
    search_reads_what_people_read,
    a_claimed_vouchers_code_source_cannot_change,
    a_published_voucher_reaches_only_the_fans_who_can_see_it,
    claiming_follows_stock_limits_and_validity,
    cohorts_and_unlock_codes_decide_visibility,
    redemption_rules,
    partners_issue_vouchers_and_publishing_fans_out,
);

/// Nullable coordinates, written with and without values in turn on every
/// pooled connection: a regression test for a driver that typed a NULL float
/// as float4 and then refused the next float8.
async fn coordinates_may_come_and_go(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let cat = Catalog::create(&app).await;
    for i in 0..30 {
        let body =
            if i % 2 == 0 { json!({ "name": format!("o{i}") }) } else { json!({ "name": format!("o{i}"), "lat": 3.0, "lng": 101.5 }) };
        let (status, outlet) = app.admin(Method::POST, &format!("/admin/merchants/{}/outlets", cat.merchant), Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "outlet {i}: {outlet}");
        assert_eq!(outlet["lat"].is_null(), i % 2 == 0);
    }
}

crate::backend_tests!(coordinates_may_come_and_go);
