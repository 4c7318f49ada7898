//! `/integrations/*`: the HMAC scheme, users, idempotency, tenancy.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, KLCC, PartnerCreds, now_s, partner_signature},
    error_code,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn every_signature_failure_has_its_code(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let path = "/integrations/users/u1";

    // No headers at all, or only one of the two.
    let res = app.request(Method::GET, path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&res.json().await.unwrap()), "signature_missing");
    let res = app.request(Method::GET, path).header("x-partner-id", "acme").send().await.unwrap();
    assert_eq!(error_code(&res.json().await.unwrap()), "signature_missing");

    // Unknown partner.
    let ghost = PartnerCreds { id: "ghost".into(), ..p.clone() };
    let (status, body) = app.partner(&ghost, Method::GET, path, None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "unknown_partner"));

    // Wrong secret; malformed header; body changed after signing.
    let wrong = PartnerCreds { api_secret: "sk_wrong".into(), ..p.clone() };
    let (status, body) = app.partner(&wrong, Method::GET, path, None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "signature_invalid"));
    let res = app.request(Method::GET, path).header("x-partner-id", "acme").header("x-signature", "t=abc,v1=zz").send().await.unwrap();
    assert_eq!(error_code(&res.json().await.unwrap()), "signature_invalid");
    let sig = partner_signature(&p.api_secret, now_s(), "POST", "/integrations/users", br#"{"externalUserId":"a"}"#);
    let res = app
        .request(Method::POST, "/integrations/users")
        .header("x-partner-id", "acme")
        .header("x-signature", sig)
        .header("content-type", "application/json")
        .body(r#"{"externalUserId": "a"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(&res.json().await.unwrap()), "signature_invalid", "re-serialised body must not verify");

    // Stale and future timestamps beyond 300 s.
    for t in [now_s() - 301, now_s() + 301] {
        let (status, body) = app.partner_raw(&p, Method::GET, path, vec![], t, &[]).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "signature_expired"), "t offset {}", t - now_s());
    }

    // The same signed request twice: the second is a replay.
    let t = now_s();
    let (first, _) = app.partner_raw(&p, Method::GET, path, vec![], t, &[]).await;
    assert_eq!(first, StatusCode::NOT_FOUND, "signed fine, user unknown");
    let (status, body) = app.partner_raw(&p, Method::GET, path, vec![], t, &[]).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "signature_replayed"));

    // A captured signature with junk `v1=` entries before it is the same signature: still a replay.
    let t = app.fresh_t();
    let captured = partner_signature(&p.api_secret, t, "GET", path, b"");
    let replay = |junk: String| {
        let header = format!("t={t},{junk}{}", captured.split_once(',').unwrap().1);
        app.request(Method::GET, path).header("x-partner-id", "acme").header("x-signature", header).send()
    };
    assert_eq!(replay(String::new()).await.unwrap().status(), StatusCode::NOT_FOUND, "the first use verifies");
    for junk in ["00", "11", "22"] {
        let res = replay(format!("v1={},", junk.repeat(32))).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&res.json().await.unwrap()), "signature_replayed", "junk {junk} made it new");
    }
}

async fn old_and_new_secrets_both_verify_during_rotation(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let old = app.create_partner("acme").await;
    let rotated = app.admin_ok(Method::POST, "/admin/partners/acme/rotate-secret", Some(json!({ "kind": "api" }))).await;
    let new = PartnerCreds { api_secret: rotated["apiSecret"].as_str().unwrap().into(), ..old.clone() };
    assert_ne!(new.api_secret, old.api_secret);
    for creds in [&old, &new] {
        let (status, _) = app.partner(creds, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "u1" }))).await;
        assert!(status.is_success(), "{status}");
    }
    // With no grace period the old secret stops at once.
    let rotated = app.admin_ok(Method::POST, "/admin/partners/acme/rotate-secret", Some(json!({ "kind": "api", "graceSeconds": 0 }))).await;
    let newest = PartnerCreds { api_secret: rotated["apiSecret"].as_str().unwrap().into(), ..old.clone() };
    let (status, body) = app.partner(&new, Method::GET, "/integrations/users/u1", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "signature_invalid"));
    assert_eq!(app.partner(&newest, Method::GET, "/integrations/users/u1", None).await.0, StatusCode::OK);
}

async fn upsert_is_partial_and_delete_erases(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let full = json!({
        "externalUserId": "usr_1", "email": "ana@example.com", "firstName": "Ana", "lastName": "Lim",
        "phoneNumber": "+60 12-345 6789", "locale": "en-MY", "cohorts": ["gold", "beta"], "marketingOptIn": true
    });
    let (status, user) = app.partner(&p, Method::POST, "/integrations/users", Some(&full)).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["cohorts"], json!(["beta", "gold"]));
    // Absent fields stay; null clears.
    let (status, user) = app
        .partner(&p, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "usr_1", "firstName": "Anna", "email": null })))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["firstName"], "Anna");
    assert_eq!(user["lastName"], "Lim");
    assert_eq!(user["email"], json!(null));
    assert_eq!(user["marketingOptIn"], json!(true));
    assert_eq!(user["cohorts"], json!(["beta", "gold"]));
    let (_, fetched) = app.partner(&p, Method::GET, "/integrations/users/usr_1", None).await;
    assert_eq!(fetched, user);

    // Bad fields: each named.
    let (status, body) = app
        .partner(&p, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "has space", "email": "nope", "locale": "!!" })))
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    for field in ["externalUserId", "email", "locale"] {
        assert!(body["error"]["details"]["fields"][field].is_string(), "{field}: {body}");
    }
    let (status, body) = app.partner_raw(&p, Method::POST, "/integrations/users", b"{not json".to_vec(), app.fresh_t(), &[]).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"));
    let (status, body) =
        app.partner(&p, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "x", "nickname": "y" }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"), "unknown fields are refused: {body}");

    // Delete: 204, idempotent, PII gone, the id free for a new user.
    assert_eq!(app.partner(&p, Method::DELETE, "/integrations/users/usr_1", None).await.0, StatusCode::NO_CONTENT);
    // (Signed anew: the identical signature within the same second would be a replay.)
    let (status, _) = app.partner_raw(&p, Method::DELETE, "/integrations/users/usr_1", vec![], app.fresh_t(), &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.partner(&p, Method::GET, "/integrations/users/usr_1", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let pool = app.db.pool().await;
    let (email, ext): (Option<String>, Option<String>) = sqlx::query_as("SELECT email, external_user_id FROM users WHERE id = $1")
        .bind(user["id"].as_str().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((email, ext), (None, None));
    let (status, again) = app.partner(&p, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "usr_1" }))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(again["id"], user["id"]);
}

/// Issue 15: erasure kept where the user redeemed (latitude, longitude, accuracy) and
/// their externalUserId inside the stored event payloads. Both are gone afterwards; the
/// redemption itself (outlet, status, distance) and the events stay, for the audit.
async fn erasure_forgets_where_the_user_was_and_who_they_were(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("erase").await;
    let cat = Catalog::create(&app).await;
    let voucher = cat.voucher(&app, "Forgettable", json!({})).await;
    let ana = p.jwt("ana-4711");
    let (_, claim) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    let (status, redeemed) = app
        .me(
            &ana,
            Method::POST,
            "/me/redemptions",
            Some(json!({ "claimId": claim["id"], "outletId": cat.outlet, "location": { "lat": KLCC.0 + 0.0005, "lng": KLCC.1, "accuracyM": 12.5 } })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{redeemed}");
    let pool = app.db.pool().await;
    let redemption = redeemed["redemptionId"].as_str().unwrap().to_string();
    let where_and_who = |pool: sqlx::AnyPool, redemption: String| async move {
        let place: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
            sqlx::query_as("SELECT lat, lng, accuracy_m, distance_m FROM redemptions WHERE id = $1")
                .bind(redemption)
                .fetch_one(&pool)
                .await
                .unwrap();
        let payloads: Vec<(String,)> = sqlx::query_as("SELECT payload FROM events WHERE type IN ('CLAIM_CREATED', 'REDEMPTION_CREATED')")
            .fetch_all(&pool)
            .await
            .unwrap();
        (place, payloads.into_iter().map(|(p,)| p).collect::<Vec<_>>())
    };
    let (place, payloads) = where_and_who(pool.clone(), redemption.clone()).await;
    assert!(place.0.is_some() && place.1.is_some() && place.2 == Some(12.5), "recorded while the user exists: {place:?}");
    assert_eq!(payloads.len(), 2);
    assert!(payloads.iter().all(|p| p.contains("ana-4711")), "{payloads:?}");

    assert_eq!(app.partner(&p, Method::DELETE, "/integrations/users/ana-4711", None).await.0, StatusCode::NO_CONTENT);
    let (place, payloads) = where_and_who(pool, redemption).await;
    assert_eq!((place.0, place.1, place.2), (None, None, None), "the location is erased");
    assert!(place.3.is_some(), "the distance to the outlet stays for the audit");
    assert_eq!(payloads.len(), 2, "the events stay");
    for payload in &payloads {
        assert!(!payload.contains("ana-4711"), "{payload}");
        let event: serde_json::Value = serde_json::from_str(payload).unwrap();
        assert_eq!(event["data"]["externalUserId"], json!(null), "{payload}");
        assert!(event["data"]["userId"].is_string(), "the anonymous user id stays: {payload}");
    }
    let (_, events) = app.partner(&p, Method::GET, "/integrations/events?limit=100", None).await;
    assert!(!events.to_string().contains("ana-4711"), "{events}");
}

async fn idempotency_keys_replay_or_refuse(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let body = json!({ "externalUserId": "u1", "firstName": "A" }).to_string().into_bytes();
    let key = [("idempotency-key", "key-1")];
    let (s1, b1) = app.partner_raw(&p, Method::POST, "/integrations/users", body.clone(), app.fresh_t(), &key).await;
    assert_eq!(s1, StatusCode::CREATED);
    // Changed in between by a keyless call: the replay still answers the first response.
    app.partner(&p, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "u1", "firstName": "B" }))).await;
    let (s2, b2) = app.partner_raw(&p, Method::POST, "/integrations/users", body.clone(), app.fresh_t(), &key).await;
    assert_eq!((s2, &b2), (StatusCode::CREATED, &b1));
    let other = json!({ "externalUserId": "u2" }).to_string().into_bytes();
    let (s3, b3) = app.partner_raw(&p, Method::POST, "/integrations/users", other, app.fresh_t(), &key).await;
    assert_eq!((s3, error_code(&b3)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"));
    // Keys are per partner.
    let q = app.create_partner("other").await;
    let (s4, _) = app.partner_raw(&q, Method::POST, "/integrations/users", body, app.fresh_t(), &key).await;
    assert_eq!(s4, StatusCode::CREATED);
    // A key sent but empty, too long or not visible ASCII is refused, and nothing is done.
    let long = "k".repeat(256);
    for bad in ["", "clé-1", "two words", long.as_str()] {
        let new_user = json!({ "externalUserId": "u3" }).to_string().into_bytes();
        let (status, answer) =
            app.partner_raw(&p, Method::POST, "/integrations/users", new_user, app.fresh_t(), &[("idempotency-key", bad)]).await;
        assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{bad:?}: {answer}");
    }
    let (status, _) = app.partner(&p, Method::GET, "/integrations/users/u3", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was done for the refused requests");
}

async fn partners_never_see_each_other(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let a = app.create_partner("alpha").await;
    let b = app.create_partner("bravo").await;
    app.partner(&a, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "shared-id", "firstName": "Alpha's" }))).await;
    let (status, body) = app.partner(&b, Method::GET, "/integrations/users/shared-id", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    // Bravo's own user with the same external id is a different user.
    let (status, user) = app.partner(&b, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "shared-id" }))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user["firstName"], json!(null));
    let (_, alpha) = app.partner(&a, Method::GET, "/integrations/users/shared-id", None).await;
    assert_eq!(alpha["firstName"], "Alpha's");
    // Deleting through bravo leaves alpha's user alone.
    app.partner(&b, Method::DELETE, "/integrations/users/shared-id", None).await;
    let (status, _) = app.partner_raw(&a, Method::GET, "/integrations/users/shared-id", vec![], app.fresh_t(), &[]).await;
    assert_eq!(status, StatusCode::OK);
}

crate::backend_tests!(
    every_signature_failure_has_its_code,
    old_and_new_secrets_both_verify_during_rotation,
    upsert_is_partial_and_delete_erases,
    erasure_forgets_where_the_user_was_and_who_they_were,
    idempotency_keys_replay_or_refuse,
    partners_never_see_each_other,
);

/// A key whose first request is still running answers 409 `idempotency_in_progress`
/// (arranged by recording the key as taken, as the first request does before its work).
async fn a_key_still_in_flight_answers_409(backend: Backend) {
    use sha2::Digest;
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let body = json!({ "externalUserId": "u1" }).to_string();
    let hash = hex::encode(sha2::Sha256::digest(format!("POST\n/integrations/users\n{body}")));
    sqlx::query("INSERT INTO idempotency_keys (partner_id, key, request_hash, created_at) VALUES ('acme', 'k-1', $1, $2)")
        .bind(&hash)
        .bind(now_s() * 1000)
        .execute(&app.db.pool().await)
        .await
        .unwrap();
    let (status, answer) =
        app.partner_raw(&p, Method::POST, "/integrations/users", body.into_bytes(), app.fresh_t(), &[("idempotency-key", "k-1")]).await;
    assert_eq!((status, error_code(&answer)), (StatusCode::CONFLICT, "idempotency_in_progress"));
    let (status, _) = app.partner(&p, Method::GET, "/integrations/users/u1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was done for the refused request");
}

crate::backend_tests!(a_key_still_in_flight_answers_409);
