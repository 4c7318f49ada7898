use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN},
    error_code,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::{Connection, Executor};

async fn healthz_and_readyz_answer(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    assert_eq!(app.get_json("/healthz").await, (StatusCode::OK, json!({ "status": "ok" })));
    assert_eq!(app.get_json("/readyz").await, (StatusCode::OK, json!({ "status": "ready", "database": "ok" })));
}

/// `/metrics` counts requests by route template (never a concrete path with an
/// id in it) and status, and claims and redemptions by outcome; the request's
/// log lines say whose request it was.
async fn metrics_count_requests_claims_and_redemptions(backend: Backend) {
    let env = [("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN), ("TESSERA_LOG_LEVEL", "info")];
    let app = TestServer::spawn_with(backend, &env).await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    let ana = p.jwt("ana");
    let (status, claim) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    let (again, _) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(again, StatusCode::OK);
    let (unknown, _) = app.me(&ana, Method::POST, "/me/claims", Some(json!({ "voucherId": "nope" }))).await;
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    let (status, _) = app.me(&ana, Method::GET, &format!("/me/vouchers/{voucher}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({ "claimId": claim["id"], "outletId": cat.outlet, "location": null });
    let (status, r) = app.me(&ana, Method::POST, "/me/redemptions", Some(body)).await;
    assert_eq!((status, r["status"].as_str()), (StatusCode::CREATED, Some("FLAGGED")), "{r}");

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for line in [
        r#"tessera_http_requests_total{route="/me/claims",method="POST",status="201"} 1"#,
        r#"tessera_http_requests_total{route="/me/claims",method="POST",status="200"} 1"#,
        r#"tessera_http_requests_total{route="/me/claims",method="POST",status="404"} 1"#,
        r#"tessera_http_requests_total{route="/me/vouchers/{id}",method="GET",status="200"} 1"#,
        r#"tessera_http_request_duration_seconds_count{route="/me/redemptions",status="201"} 1"#,
        r#"tessera_claims_total{source="claim",result="created"} 1"#,
        r#"tessera_claims_total{source="claim",result="existing"} 1"#,
        r#"tessera_claims_total{source="claim",result="not_found"} 1"#,
        r#"tessera_redemptions_total{result="FLAGGED"} 1"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "no {line} in\n{metrics}");
    }
    assert!(!metrics.contains(&voucher), "a concrete id became a label");
    // The claim's log lines carry the partner and Tessera's user id, never the token.
    let log = app.log();
    let claim_lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["span"]["route"] == "/me/claims")
        .collect();
    assert!(
        claim_lines.iter().any(|l| l["span"]["partner_id"] == "acme" && l["span"]["user_id"].as_str().is_some_and(|u| !u.is_empty())),
        "no claim log line names its partner and user:\n{log}"
    );
    assert!(!log.contains(&ana), "a token was logged");
}

crate::backend_tests!(healthz_and_readyz_answer, metrics_count_requests_claims_and_redemptions);

/// Readiness reflects the database: drop it under a running server and the
/// probe turns 503 while liveness stays 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_a_lost_database() {
    if crate::support::postgres_skipped() {
        return;
    }
    let app = TestServer::spawn(Backend::Postgres).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);

    let admin = std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap();
    let name = url::Url::parse(&app.db.url).unwrap().path().trim_start_matches('/').to_string();
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).await.unwrap();

    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), "not_ready");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// The served document is the committed one, and it is OpenAPI 3.1.
#[tokio::test]
async fn openapi_json_is_served() {
    let app = TestServer::spawn(Backend::Sqlite).await;
    let (status, served) = app.get_json("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served["openapi"], "3.1.0");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(crate::support::repo_root().join("docs/openapi.json")).unwrap()).unwrap();
    assert_eq!(served, committed);
}

/// `/docs/api` is rendered on the server from the same document: every path,
/// every error code.
#[tokio::test]
async fn api_reference_page_lists_every_route_and_error_code() {
    let app = TestServer::spawn(Backend::Sqlite).await;
    let (status, html) = app.get_html("/docs/api").await;
    assert_eq!(status, StatusCode::OK);
    let (_, spec) = app.get_json("/openapi.json").await;
    for path in spec["paths"].as_object().unwrap().keys() {
        assert!(html.contains(&format!("<code>{path}</code>")), "{path} missing from /docs/api");
    }
    for e in spec["x-error-codes"].as_array().unwrap() {
        let code = e["code"].as_str().unwrap();
        assert!(html.contains(&format!("id=\"error-{code}\"")), "{code} missing from /docs/api");
    }
}
