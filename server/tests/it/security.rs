//! Attacks from the security review (issue 13): server-side request forgery
//! through a partner's backend URL, a replayable signature (in partner_api),
//! user text in `<head>`, another partner's framing, half-sent headers,
//! wildcard origins.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN},
    error_code,
};
use reqwest::{Method, StatusCode, header};
use serde_json::json;
use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// No allow-list: the production default.
const ENV: &[(&str, &str)] = &[("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN)];

crate::backend_tests!(
    a_private_backend_url_is_refused_when_saved,
    a_private_backend_url_already_stored_is_never_called,
    the_own_sandbox_backend_works_without_an_allow_list,
    user_text_never_becomes_markup_in_head,
    a_client_id_other_than_the_sessions_cannot_change_who_frames,
    wildcard_origins_are_refused,
);

/// A TCP port that counts every connection made to it and answers nothing useful.
async fn trap() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n{\"userId\":\"evil\"}")
                    .await;
            });
        }
    });
    (port, hits)
}

async fn a_private_backend_url_is_refused_when_saved(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": "ptn1", "name": "P1", "sandbox": true }))).await;
    for url in [
        "http://169.254.169.254/latest",
        "http://127.0.0.1:3000",
        "http://10.0.0.7/tessera",
        "http://192.168.1.1",
        "http://[::1]:8080",
        "http://[::ffff:169.254.169.254]",
        "http://2130706433",
        "http://0x7f.1",
        "http://0.0.0.0:80",
        "http://localhost:9",
    ] {
        let (status, body) = app.admin(Method::PUT, "/admin/partners/ptn1/integration", Some(json!({ "baseUrl": url }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url} was saved: {body}");
        assert_eq!(error_code(&body), "validation_failed", "{url}");
        assert!(body.to_string().contains("private"), "{url}: {body}");
    }
    // Webhook endpoints: the same policy.
    for url in ["http://169.254.169.254/hook", "http://2130706433/hook", "http://[::1]/hook"] {
        let (status, body) = app.admin(Method::POST, "/admin/partners/ptn1/webhook-endpoints", Some(json!({ "url": url }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url} was saved: {body}");
    }
    let (_, partner) = app.admin(Method::GET, "/admin/partners/p1", None).await;
    assert!(partner["integrationBaseUrl"].is_null(), "{partner}");
}

async fn a_private_backend_url_already_stored_is_never_called(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let created = app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": "ptn2", "name": "P2", "sandbox": true }))).await;
    let p = crate::support::api::PartnerCreds {
        id: "ptn2".into(),
        api_secret: created["apiSecret"].as_str().unwrap().into(),
        jwt_secret: created["jwtSecret"].as_str().unwrap().into(),
    };
    let (port, hits) = trap().await;
    // Stored before the check existed (or by hand): every spelling of this host.
    for stored in [format!("http://127.0.0.1:{port}"), format!("http://2130706433:{port}"), format!("http://[::ffff:127.0.0.1]:{port}")] {
        let pool = app.db.pool().await;
        sqlx::query("UPDATE partners SET integration_base_url = $1, integration_secret = 'its_x' WHERE id = 'ptn2'")
            .bind(&stored)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        // Partners are cached briefly: an update through the API drops this one.
        app.admin_ok(Method::PUT, "/admin/partners/ptn2/allowed-origins", Some(json!({ "allowedOrigins": [] }))).await;
        let (status, html) = app.get_html("/consumer?clientId=ptn2&token=anything").await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{stored}: the refusal screen carries sso_failed's status");
        assert!(html.contains(r#"data-code="sso_failed""#), "{stored}: {html}");
        assert!(!html.contains("evil"), "{stored}: the reply of an internal address reached the page");
        // A coin-cost claim asks the ledger for nothing either.
        let cat = Catalog::create(&app).await;
        let voucher = cat.voucher(&app, "Coins", json!({ "coinCost": 5 })).await;
        let (status, body) = app.me(&p.jwt("ana"), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{stored}: {body}");
        assert_eq!(error_code(&body), "ledger_unavailable");
        let (_, claims) = app.me(&p.jwt("ana"), Method::GET, "/me/claims", None).await;
        assert_eq!(claims.as_array().unwrap().len(), 0, "nothing claimed");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a connection reached the internal address");
}

async fn the_own_sandbox_backend_works_without_an_allow_list(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": "sandy", "name": "Sandy", "sandbox": true }))).await;
    let own = app.url("/sandbox/sandy");
    let set = app.admin_ok(Method::PUT, "/admin/partners/sandy/integration", Some(json!({ "baseUrl": own }))).await;
    assert_eq!(set["baseUrl"], own.as_str());
    let res = app.get("/consumer?clientId=sandy&token=ana").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the sandbox's SSO signs in: {}", res.text().await.unwrap());
    // Any other route of this server is refused like any loopback address.
    let (status, _) = app.admin(Method::PUT, "/admin/partners/sandy/integration", Some(json!({ "baseUrl": app.url("/admin") }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

const EVIL: &str = r#"Cafe </title><meta http-equiv="refresh" content="0;url=https://evil.example/"><title>"#;

fn head(html: &str) -> &str {
    let end = html.find("</head>").unwrap_or(html.len());
    &html[..end]
}

async fn user_text_never_becomes_markup_in_head(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let p = app.create_partner("ptn3").await;
    let merchant = app.admin_ok(Method::POST, "/admin/merchants", Some(json!({ "name": EVIL }))).await["id"].as_str().unwrap().to_string();
    app.admin_ok(Method::POST, &format!("/admin/merchants/{merchant}/outlets"), Some(json!({ "name": EVIL }))).await;
    let voucher = app.admin_ok(Method::POST, "/admin/vouchers", Some(json!({ "merchantId": merchant, "title": EVIL }))).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{voucher}/publish"), None).await;
    let token = p.jwt("ana");
    let (status, claim) = app.me(&token, Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    let (_, session) = app.me(&token, Method::POST, "/me/session", None).await;
    let cookie = format!("tessera_session={}", session["sessionToken"].as_str().unwrap());
    let q = url::form_urlencoded::byte_serialize(EVIL.as_bytes()).collect::<String>();
    let pages = [
        format!("/consumer/vouchers/{voucher}"),
        format!("/consumer/merchants/{merchant}"),
        format!("/consumer/wallet/{}", claim["id"].as_str().unwrap()),
        format!("/consumer/search?q={q}"),
        format!("/consumer?q={q}"),
        "/consumer/favorites".into(),
        "/consumer/wallet".into(),
        format!("/docs/{q}"),
    ];
    for page in pages {
        for signed_in in [false, true] {
            let mut req = app.request(Method::GET, &page);
            if signed_in {
                req = req.header(header::COOKIE, &cookie);
            }
            let html = req.send().await.unwrap().text().await.unwrap();
            let head = head(&html);
            assert!(!head.contains("<meta http-equiv"), "{page} (signed in: {signed_in}): user text became markup in <head>: {head}");
            assert_eq!(head.matches("<title>").count(), 1, "{page}: {head}");
            if head.contains("Cafe") {
                assert!(head.contains("Cafe &lt;/title&gt;&lt;meta http-equiv=&quot;refresh&quot;"), "{page}: {head}");
            }
        }
    }
    // The voucher page does carry the title, escaped.
    let html = app
        .request(Method::GET, &format!("/consumer/vouchers/{voucher}"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(head(&html).contains("<title>Cafe &lt;/title&gt;"), "{}", head(&html));
}

async fn a_client_id_other_than_the_sessions_cannot_change_who_frames(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let a = app.create_partner("ptna").await;
    app.create_partner("ptnb").await;
    app.admin_ok(Method::PUT, "/admin/partners/ptna/allowed-origins", Some(json!({ "allowedOrigins": ["https://a.example"] }))).await;
    app.admin_ok(Method::PUT, "/admin/partners/ptnb/allowed-origins", Some(json!({ "allowedOrigins": ["https://b.example"] }))).await;
    let (_, session) = app.me(&a.jwt("ana"), Method::POST, "/me/session", None).await;
    let cookie = format!("tessera_session={}", session["sessionToken"].as_str().unwrap());
    let csp = |path: &'static str, with_cookie: bool| {
        let mut req = app.request(Method::GET, path);
        if with_cookie {
            req = req.header(header::COOKIE, cookie.clone());
        }
        async move {
            let res = req.send().await.unwrap();
            res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string()
        }
    };
    let own = csp("/consumer/wallet", true).await;
    assert!(own.contains("frame-ancestors 'self' https://a.example"), "{own}");
    let same = csp("/consumer/wallet?clientId=ptna", true).await;
    assert!(same.contains("frame-ancestors 'self' https://a.example"), "{same}");
    let other = csp("/consumer/wallet?clientId=ptnb", true).await;
    assert!(!other.contains("b.example"), "partner B's origins may frame partner A's user: {other}");
    assert!(!other.contains("a.example"), "a page opened under another partner's name is framed by nobody else: {other}");
    // Signed out, clientId names the partner whose app frames the page.
    let public = csp("/consumer?clientId=ptnb", false).await;
    assert!(public.contains("frame-ancestors 'self' https://b.example"), "{public}");
}

async fn wildcard_origins_are_refused(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    app.create_partner("ptnw").await;
    for origins in [json!(["https://*.x.com"]), json!(["*"]), json!(["https://*"]), json!(["https://a.example", "https://*.b.example"])] {
        let (status, body) =
            app.admin(Method::PUT, "/admin/partners/ptnw/allowed-origins", Some(json!({ "allowedOrigins": origins }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{origins} was accepted: {body}");
        assert!(body.to_string().contains("wildcard"), "{body}");
    }
}

/// Not per engine: the HTTP server's own behaviour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let app = TestServer::spawn_with(Backend::Sqlite, &[("TESSERA_HEADER_READ_TIMEOUT_SECONDS", "2")]).await;
    let addr = app.url("").trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the half-sent request was still open after 10 s");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1500), "closed before the timeout: {waited:?}");
    // Well-behaved clients are unaffected.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}
