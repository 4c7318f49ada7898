//! End-user authentication (SPEC §3): partner JWTs, sessions.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, PartnerCreds, now_s},
    error_code,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn bad_tokens_are_refused_each_with_its_code(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let other = app.create_partner("other").await;
    let now = now_s();
    let claims = |extra: serde_json::Value| {
        let mut c = json!({ "iss": "acme", "sub": "u1", "iat": now, "exp": now + 600 });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    use base64::Engine as _;
    let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let alg_none = format!("{}.{}.", b64(json!({ "alg": "none", "typ": "JWT" })), b64(claims(json!({}))));
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims(json!({})),
        &jsonwebtoken::EncodingKey::from_secret(p.jwt_secret.as_bytes()),
    )
    .unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("no token", String::new(), "authentication_required"),
        ("alg none", alg_none, "token_invalid"),
        ("HS512", hs512, "token_invalid"),
        ("expired", p.jwt_with(claims(json!({ "iat": now - 1000, "exp": now - 100 }))), "token_expired"),
        ("iat in the future", p.jwt_with(claims(json!({ "iat": now + 120, "exp": now + 600 }))), "token_invalid"),
        ("lives over an hour", p.jwt_with(claims(json!({ "exp": now + 3601 }))), "token_invalid"),
        ("no exp", p.jwt_with(json!({ "iss": "acme", "sub": "u1", "iat": now })), "token_invalid"),
        ("unknown issuer", p.jwt_with(claims(json!({ "iss": "nobody" }))), "token_unknown_issuer"),
        ("another partner's secret", PartnerCreds { id: "acme".into(), ..other.clone() }.jwt("u1"), "token_invalid"),
        ("garbage", "not.a.jwt".into(), "token_invalid"),
        ("unknown session", "ses_nope".into(), "session_expired"),
    ];
    for (what, token, code) in cases {
        let mut req = app.request(Method::GET, "/me");
        if !token.is_empty() {
            req = req.bearer_auth(&token);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), code, "{what}: {body}");
    }
    // Within the 30 s leeway an expired token still passes.
    let (status, _) = app.me(&p.jwt_with(claims(json!({ "iat": now - 100, "exp": now - 10 }))), Method::GET, "/me", None).await;
    assert_eq!(status, StatusCode::OK);
    // Nothing was created for the refused tokens.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&app.db.pool().await).await.unwrap();
    assert_eq!(n, 1);
}

async fn first_token_creates_the_user_just_in_time(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let token = p.jwt_with(json!({
        "iss": "acme", "sub": "jit-user", "iat": now_s(), "exp": now_s() + 600,
        "email": "jit@example.com", "given_name": "Jit", "cohorts": ["vip"]
    }));
    let (status, me) = app.me(&token, Method::GET, "/me", None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["externalUserId"], "jit-user");
    assert_eq!(me["email"], "jit@example.com");
    assert_eq!(me["firstName"], "Jit");
    assert_eq!(me["cohorts"], json!(["vip"]));
    let (_, again) = app.me(&p.jwt("jit-user"), Method::GET, "/me", None).await;
    assert_eq!(again["id"], me["id"], "the same user, not a second one");
    let (_, via_partner) = app.partner(&p, Method::GET, "/integrations/users/jit-user", None).await;
    assert_eq!(via_partner["id"], me["id"]);
}

async fn sessions_are_one_per_user_and_end_on_logout_or_delete(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    // Minted a while ago (still valid): a logout ends it too (below).
    let jwt = p.jwt_with(json!({ "iss": p.id, "sub": "u1", "iat": now_s() - 5, "exp": now_s() + 600 }));
    let (status, first) = app.me(&jwt, Method::POST, "/me/session", None).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let s1 = first["sessionToken"].as_str().unwrap().to_string();
    assert!(s1.starts_with("ses_"));
    assert_eq!(app.me(&s1, Method::GET, "/me", None).await.0, StatusCode::OK);
    // A session cannot open another; a JWT can, and that ends the first.
    let (status, body) = app.me(&s1, Method::POST, "/me/session", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "bad_request"));
    // A body that is not JSON is refused as such.
    let res = app
        .request(Method::POST, "/me/claims")
        .bearer_auth(&s1)
        .header("content-type", "text/plain")
        .body("voucherId=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&res.json().await.unwrap()), "unsupported_media_type");
    let (_, second) = app.me(&jwt, Method::POST, "/me/session", None).await;
    let s2 = second["sessionToken"].as_str().unwrap().to_string();
    let (status, body) = app.me(&s1, Method::GET, "/me", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "session_expired"));
    assert_eq!(app.me(&s2, Method::GET, "/me", None).await.0, StatusCode::OK);
    // The partner logs the user out: the session ends, and so does every token issued
    // before (it could open a new session or call /me itself).
    assert_eq!(app.partner(&p, Method::POST, "/integrations/users/u1/logout", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.me(&s2, Method::GET, "/me", None).await.0, StatusCode::UNAUTHORIZED);
    for (method, path) in [(Method::GET, "/me"), (Method::POST, "/me/session")] {
        let (status, body) = app.me(&jwt, method, path, None).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "token_expired"), "{path}: {body}");
    }
    // Nor claim: refused before anything is written; a token minted after the logout
    // claims it (201: nothing was there).
    let voucher = Catalog::create(&app).await.voucher(&app, "Kopi", json!({})).await;
    let claim = json!({ "voucherId": voucher });
    let (status, body) = app.me(&jwt, Method::POST, "/me/claims", Some(claim.clone())).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "token_expired"), "{body}");
    let fresh = p.jwt("u1");
    let (status, body) = app.me(&fresh, Method::POST, "/me/claims", Some(claim)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A token minted after the logout works: a new session, then the partner deletes the user.
    let (status, third) = app.me(&fresh, Method::POST, "/me/session", None).await;
    assert_eq!(status, StatusCode::CREATED, "{third}");
    let s3 = third["sessionToken"].as_str().unwrap().to_string();
    let before_deletion = p.jwt_with(json!({ "iss": p.id, "sub": "u1", "iat": now_s() - 2, "exp": now_s() + 600 }));
    assert_eq!(app.partner(&p, Method::DELETE, "/integrations/users/u1", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.me(&s3, Method::GET, "/me", None).await.0, StatusCode::UNAUTHORIZED);
    // A token issued before the deletion does not bring the user back.
    let (status, body) = app.me(&before_deletion, Method::GET, "/me", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "token_expired"), "{body}");
    // What is kept to refuse it is a hash, not the externalUserId.
    let (kept,): (String,) = sqlx::query_as("SELECT subject_hash FROM token_cutoffs WHERE partner_id = $1")
        .bind(&p.id)
        .fetch_one(&app.db.pool().await)
        .await
        .unwrap();
    assert!(kept.len() == 64 && !kept.contains("u1"), "{kept}");
    // Only a hash of the token is stored.
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE id = $1").bind(&s3).fetch_one(&app.db.pool().await).await.unwrap();
    assert_eq!(n, 0);
}

async fn the_admin_api_needs_the_operator_token(backend: Backend) {
    let off = TestServer::spawn(backend).await;
    let res = off.request(Method::GET, "/admin/partners").bearer_auth("anything-anything-anything").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&res.json().await.unwrap()), "admin_disabled");
    let app = TestServer::spawn_platform(backend).await;
    for token in [None, Some("wrong-token-wrong-token-wrong-token-x")] {
        let mut req = app.request(Method::GET, "/admin/partners");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&res.json().await.unwrap()), "operator_token_invalid");
    }
    // Partner credentials are shown once: listing never includes secrets.
    app.create_partner("acme").await;
    let list = app.admin_ok(Method::GET, "/admin/partners", None).await;
    assert_eq!(list[0]["id"], "acme");
    assert!(!list.to_string().contains("sk_") && !list.to_string().contains("jwt_"), "{list}");
}

/// A live session whose user row was erased behind its back (a restore, a manual fix;
/// erasure through the API ends the sessions too) is refused all the same, saying why.
async fn a_session_whose_user_is_gone_is_refused(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("acme").await;
    let (status, opened) = app.me(&p.jwt("u1"), Method::POST, "/me/session", None).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let token = opened["sessionToken"].as_str().unwrap().to_string();
    let (status, me) = app.me(&token, Method::GET, "/me", None).await;
    assert_eq!((status, me["externalUserId"].as_str()), (StatusCode::OK, Some("u1")), "{me}");
    let pool = app.db.pool().await;
    sqlx::query("UPDATE users SET erased_at = 1 WHERE external_user_id = 'u1'").execute(&pool).await.unwrap();
    pool.close().await;
    let (status, body) = app.me(&token, Method::GET, "/me", None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "session_expired"));
    assert_eq!(body["error"]["message"], "This session's user no longer exists.");
}

crate::backend_tests!(
    a_session_whose_user_is_gone_is_refused,
    bad_tokens_are_refused_each_with_its_code,
    first_token_creates_the_user_just_in_time,
    sessions_are_one_per_user_and_end_on_logout_or_delete,
    the_admin_api_needs_the_operator_token,
);
