//! What every request meets at the edge: JSON errors on API paths, the body
//! limit, request ids.

use crate::support::{Backend, TestServer, error_code};
use reqwest::{Method, StatusCode};

async fn unknown_api_routes_answer_json_404(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    for path in ["/me/nowhere", "/integrations/users/x/y/z", "/integrations", "/admin/nothing", "/api/no_such_fn", "/api"] {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            let res = app.request(method.clone(), path).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
            assert!(
                res.headers()["content-type"].to_str().unwrap().starts_with("application/json"),
                "{method} {path} answered {:?}",
                res.headers()["content-type"]
            );
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(error_code(&body), "not_found", "{method} {path}: {body}");
            assert_eq!(body["error"]["details"]["path"], path);
        }
    }
    // Outside the API prefixes a person gets the HTML page.
    let (status, html) = app.get_html("/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"), "{html}");
    // A prefix must be a whole path segment.
    let (status, html) = app.get_html("/message").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
}

async fn wrong_method_is_a_json_405(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    for (method, path) in [
        (Method::POST, "/readyz"),
        (Method::POST, "/openapi.json"),
        (Method::DELETE, "/metrics"),
        (Method::GET, "/consumer/session"),
        (Method::PUT, "/consumer/session"),
    ] {
        let res = app.request(method.clone(), path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let body: serde_json::Value = res.json().await.unwrap_or_else(|e| panic!("{method} {path}: not JSON: {e}"));
        assert_eq!(error_code(&body), "method_not_allowed", "{method} {path}");
    }
}

/// The sandbox's fake partner backend answers a body it cannot read in JSON too.
async fn the_sandbox_refuses_an_unreadable_body_in_json(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    let res = app.request(Method::POST, "/sandbox/demo/debit").header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{:?}", res.headers());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), "bad_request", "{body}");
}

/// The webview's server functions (`/api/*`): arguments they cannot read are
/// the caller's mistake, a 400 in the one error shape, never a 500.
async fn server_functions_refuse_unreadable_arguments_with_400(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    let forms: [(&str, &[u8]); 4] = [
        ("/api/claim_voucher", b""),
        ("/api/claim_voucher", b"id=\xff\xfe"),
        ("/api/set_favorite", b"merchant_id=m&on=maybe"),
        ("/api/redeem_claim", b"claim_id=c&outlet_id=o&lat=abc&lng=1"),
    ];
    for (path, form) in forms {
        let res = app
            .request(Method::POST, path)
            .header("origin", &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path} {:?}", String::from_utf8_lossy(form));
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), "bad_request", "{path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty(), "{body}");
    }
    // A function's own refusal keeps its code and status, in the same shape.
    let res = app
        .request(Method::POST, "/api/claim_voucher")
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("id=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), "session_required", "{body}");
}

async fn bodies_over_the_limit_are_refused_with_413(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    let big = vec![b'x'; 64 * 1024 + 1];
    let res = app.request(Method::POST, "/me/nowhere").body(big).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), "payload_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("65536"));

    // Exactly at the limit passes the edge (and meets the route's own answer).
    // A new client: the server closes a connection whose body it refused to read.
    let res = reqwest::Client::new().post(app.url("/me/nowhere")).body(vec![b'x'; 64 * 1024]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn every_response_carries_a_request_id(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    let a = app.get("/healthz").await;
    let b = app.get("/healthz").await;
    let id_a = a.headers()["x-request-id"].to_str().unwrap().to_string();
    let id_b = b.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id_a.len(), 36, "a UUID: {id_a}");
    assert_ne!(id_a, id_b);
    // A caller's own id is kept, so partners can correlate.
    let res = app.request(Method::GET, "/me/x").header("x-request-id", "partner-trace-42").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "partner-trace-42");
}

crate::backend_tests!(
    unknown_api_routes_answer_json_404,
    wrong_method_is_a_json_405,
    server_functions_refuse_unreadable_arguments_with_400,
    the_sandbox_refuses_an_unreadable_body_in_json,
    bodies_over_the_limit_are_refused_with_413,
    every_response_carries_a_request_id,
);

/// Over the limit: 429 `rate_limited` with Retry-After, per partner and per user,
/// and one caller's excess does not limit another.
async fn rate_limits_answer_429_with_retry_after(backend: Backend) {
    let app = TestServer::spawn_with(
        backend,
        &[
            ("TESSERA_OPERATOR_TOKEN", crate::support::api::OPERATOR_TOKEN),
            ("TESSERA_RATE_LIMIT_PARTNER_PER_MINUTE", "3"),
            ("TESSERA_RATE_LIMIT_USER_PER_MINUTE", "3"),
            ("TESSERA_RATE_LIMIT_SESSION_PER_MINUTE", "2"),
        ],
    )
    .await;
    let a = app.create_partner("alpha").await;
    let b = app.create_partner("bravo").await;
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(app.partner(&a, Method::GET, "/integrations/events", None).await.0);
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    let res = app
        .request(Method::GET, "/integrations/events")
        .header("x-partner-id", "alpha")
        .header("x-signature", crate::support::api::partner_signature(&a.api_secret, app.fresh_t(), "GET", "/integrations/events", b""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=61).contains(&retry), "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), "rate_limited");
    assert_eq!(app.partner(&b, Method::GET, "/integrations/events", None).await.0, StatusCode::OK, "bravo is not limited by alpha");

    let ana = a.jwt("ana");
    let mut me = vec![];
    for _ in 0..4 {
        me.push(app.me(&ana, Method::GET, "/me", None).await.0);
    }
    assert_eq!(me, vec![StatusCode::OK, StatusCode::OK, StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
    assert_eq!(app.me(&a.jwt("ben"), Method::GET, "/me", None).await.0, StatusCode::OK);

    let mut sessions = vec![];
    for who in ["s1", "s2", "s3"] {
        sessions.push(app.me(&a.jwt(who), Method::POST, "/me/session", None).await.0);
    }
    assert_eq!(sessions, vec![StatusCode::CREATED, StatusCode::CREATED, StatusCode::TOO_MANY_REQUESTS], "per client address");
}

crate::backend_tests!(rate_limits_answer_429_with_retry_after);

/// A request still going after `request_timeout_seconds` (here a body that
/// trickles in slower than that) is answered 503 `service_unavailable`, in
/// the JSON shape, and the server goes on serving.
async fn a_request_past_the_timeout_is_503(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestServer::spawn_with(backend, &[("TESSERA_REQUEST_TIMEOUT_SECONDS", "1")]).await;
    let host = app.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        // A partner call: its body is read (to check the signature) before anything else.
        "POST /integrations/users HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\nx-partner-id: p\r\n\
         x-signature: t=1,v1=00\r\ncontent-length: 40\r\nconnection: close\r\n\r\n{{\"partial\":"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    // The rest of the body never comes within the second.
    let mut answer = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "answered before the timeout: {answer}");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let json: serde_json::Value = serde_json::from_str(body.trim()).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(error_code(&json), "service_unavailable");
    let (status, _) = app.get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

crate::backend_tests!(a_request_past_the_timeout_is_503);

/// A NUL character in any text a request carries is a 4xx on both engines
/// (PostgreSQL cannot store it in text: it was a 500 there), and nothing is written.
async fn nul_characters_are_refused_everywhere(backend: Backend) {
    use crate::support::api::now_s;
    use serde_json::json;
    let app = TestServer::spawn_platform(backend).await;
    let p = app.create_partner("nul-partner").await;
    let token = p.jwt("ana");
    let mut answers: Vec<(String, StatusCode, serde_json::Value)> = Vec::new();
    for body in [
        json!({ "externalUserId": "a\u{0}b" }),
        json!({ "externalUserId": "ok", "firstName": "x\u{0}" }),
        json!({ "externalUserId": "ok", "cohorts": ["\u{0}"] }),
    ] {
        let (s, b) = app.partner(&p, Method::POST, "/integrations/users", Some(&body)).await;
        answers.push((format!("POST /integrations/users {body}"), s, b));
    }
    for path in ["/integrations/users/a%00b", "/integrations/events?after=%00", "/integrations/users/a%00b/logout"] {
        let method = if path.ends_with("logout") { Method::POST } else { Method::GET };
        let (s, b) = app.partner_raw(&p, method, path, vec![], app.fresh_t(), &[]).await;
        answers.push((path.to_string(), s, b));
    }
    for (method, path, body) in [
        (Method::POST, "/me/claims", Some(json!({ "voucherId": "\u{0}" }))),
        (Method::GET, "/me/vouchers?q=%00", None),
        (Method::GET, "/me/vouchers/%00", None),
        (Method::POST, "/me/favorites/%00", None),
    ] {
        let (s, b) = app.me(&token, method.clone(), path, body).await;
        answers.push((format!("{method} {path}"), s, b));
    }
    for (path, body) in [("/admin/merchants", json!({ "name": "Cafe\u{0}" })), ("/admin/partners", json!({ "id": "abc", "name": "\u{0}" }))]
    {
        let (s, b) = app.admin(Method::POST, path, Some(body)).await;
        answers.push((format!("POST {path}"), s, b));
    }
    // A JWT naming an issuer with a NUL: refused before any lookup, signature unchecked.
    let forged = p.jwt_with(json!({ "iss": "\u{0}", "sub": "ana", "exp": now_s() + 60 }));
    let (s, b) = app.me(&forged, Method::GET, "/me", None).await;
    assert_eq!((s, error_code(&b)), (StatusCode::UNAUTHORIZED, "token_unknown_issuer"), "{b}");
    // Pages and server functions.
    for path in ["/consumer/search?q=%00", "/consumer?clientId=%00", "/consumer/vouchers/%00", "/docs?clientId=%00"] {
        let res = app.get(path).await;
        answers.push((path.to_string(), res.status(), serde_json::Value::Null));
    }
    let res = app
        .request(Method::POST, "/api/claim_voucher")
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("id=%00")
        .send()
        .await
        .unwrap();
    answers.push(("/api/claim_voucher id=%00".into(), res.status(), serde_json::Value::Null));
    for (what, status, body) in &answers {
        assert!(status.is_client_error(), "{what}: {status} {body}");
    }
    // Nothing was stored.
    let pool = app.db.pool().await;
    let (merchants,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM merchants").fetch_one(&pool).await.unwrap();
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE external_user_id <> 'ana'").fetch_one(&pool).await.unwrap();
    assert_eq!((merchants, users), (0, 0));
}

crate::backend_tests!(nul_characters_are_refused_everywhere);
