use crate::support::{Backend, TestServer, error_code};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, Executor};

async fn healthz_and_readyz_answer(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    assert_eq!(app.get_json("/healthz").await, (StatusCode::OK, json!({ "status": "ok" })));
    assert_eq!(app.get_json("/readyz").await, (StatusCode::OK, json!({ "status": "ready", "database": "ok" })));
}

crate::backend_tests!(healthz_and_readyz_answer);

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
