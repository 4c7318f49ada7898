//! The binary's commands and its configuration, as an operator meets them.

use crate::support::{Backend, TestDb, TestServer, tessera_command};
use reqwest::{Method, StatusCode};
use std::process::Output;

async fn run(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    tessera_command(db, args).envs(env.iter().copied()).output().await.expect("run tessera")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn openapi_prints_checks_and_writes_the_document() {
    let db = TestDb::new(Backend::Sqlite).await;
    let out = run(&db, &["openapi"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&printed).unwrap()["openapi"], "3.1.0");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("openapi.json");
    std::fs::write(&copy, "{}\n").unwrap();
    let path = copy.to_str().unwrap();
    let out = run(&db, &["openapi", "--check", "--file", path], &[]).await;
    assert!(!out.status.success() && text(&out.stderr).contains("is out of date"), "{}", text(&out.stderr));
    let out = run(&db, &["openapi", "--write", "--file", path], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), printed);
    let out = run(&db, &["openapi", "--check", "--file", path], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn invalid_settings_stop_start_up_naming_what_to_set() {
    let db = TestDb::new(Backend::Sqlite).await;
    let out = run(&db, &["serve"], &[("TESSERA_LISTEN", "nowhere"), ("TESSERA_LOG_FORMAT", "xml")]).await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("TESSERA_LISTEN") && err.contains("TESSERA_LOG_FORMAT"), "{err}");

    let out = run(&db, &["migrate"], &[("DATABASE_URL", "mysql://localhost/x")]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("DATABASE_URL"), "{}", text(&out.stderr));

    let out = run(&db, &["serve"], &[("TESSERA_BODY_LIMIT_BYTES", "lots")]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("TESSERA_BODY_LIMIT_BYTES"), "{}", text(&out.stderr));

    let out = run(&db, &["--config", "/nonexistent/tessera.toml", "serve"], &[]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("/nonexistent/tessera.toml"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn an_unreachable_database_is_reported_with_its_url_but_no_password() {
    let db = TestDb::new(Backend::Sqlite).await;
    let out = run(&db, &["migrate"], &[("DATABASE_URL", "postgres://app:hunter2@127.0.0.1:1/tessera")]).await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("could not open the database") && err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2"), "password leaked: {err}");
}

/// Defaults < file < TESSERA_* environment.
#[tokio::test]
async fn configuration_layers_file_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tessera.toml");
    std::fs::write(&file, "body_limit_bytes = 2048\nlog_level = \"warn\"\n").unwrap();
    let file = file.to_str().unwrap();

    let app = TestServer::spawn_with(Backend::Sqlite, &[("TESSERA_CONFIG", file)]).await;
    let res = app.request(Method::POST, "/me/x").body(vec![0u8; 3000]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "the file's limit applies");

    let app = TestServer::spawn_with(Backend::Sqlite, &[("TESSERA_CONFIG", file), ("TESSERA_BODY_LIMIT_BYTES", "4096")]).await;
    let res = app.request(Method::POST, "/me/x").body(vec![0u8; 3000]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "the environment overrides the file");
}

async fn migrate_and_demo_are_idempotent(backend: Backend) {
    let db = TestDb::new(backend).await;
    for _ in 0..2 {
        let out = run(&db, &["migrate"], &[]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let first = run(&db, &["demo"], &[]).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    // 26 rows of the catalog, partner and user, plus the sandbox's test brand (merchant, outlet,
    // 6 vouchers) and its 3 gift cards.
    assert!(text(&first.stdout).contains("37 rows added"), "{}", text(&first.stdout));
    let second = run(&db, &["demo"], &[]).await;
    assert!(text(&second.stdout).contains("0 rows added"), "{}", text(&second.stdout));

    let app = TestServer::spawn_on(db, &[]).await;
    let (_, html) = app.get_html("/consumer").await;
    assert_eq!(html.matches("class=\"voucher-card\"").count(), 12, "{html}");
}

async fn sigterm_stops_the_server_cleanly(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let base = app.base.clone();
    let status = app.terminate().await;
    assert!(status.success(), "exit status {status:?}");
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err(), "still listening after exit");
}

crate::backend_tests!(migrate_and_demo_are_idempotent, sigterm_stops_the_server_cleanly);

/// The operator's commands: create a partner, mint a token with its secret, and
/// the token opens the consumer API of a running server.
async fn partner_and_token_commands_work_end_to_end(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = run(&db, &["partner", "create", "--id", "acme", "--name", "Acme", "--origin", "https://app.acme.test"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let secret = printed.lines().find_map(|l| l.trim().strip_prefix("API secret")).map(str::trim).unwrap_or_default().to_string();
    assert!(secret.starts_with("sk_"), "{printed}");
    let again = run(&db, &["partner", "create", "--id", "acme", "--name", "Acme"], &[]).await;
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"), "{}", text(&again.stderr));

    let too_long = run(&db, &["token", "mint", "--partner", "acme", "--user", "u1", "--ttl", "7200"], &[]).await;
    assert!(!too_long.status.success());
    let minted = run(&db, &["token", "mint", "--partner", "acme", "--user", "u1"], &[]).await;
    assert!(minted.status.success(), "{}", text(&minted.stderr));
    let token = text(&minted.stdout).trim().to_string();

    let app = TestServer::spawn_on(db, &[]).await;
    let res = app.request(Method::GET, "/me").bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["externalUserId"], "u1");
}

async fn demo_prints_a_working_token_for_the_demo_user(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = run(&db, &["demo"], &[]).await;
    let printed = text(&out.stdout);
    assert!(printed.contains("API secret") && printed.contains("JWT secret"), "first run shows the credentials: {printed}");
    let again = text(&run(&db, &["demo"], &[]).await.stdout);
    assert!(!again.contains("API secret"), "credentials are shown once: {again}");
    // The console's operator: its password shown once too.
    let console = printed.lines().find_map(|l| l.trim().strip_prefix("console     operator@demo.example / ")).expect(&printed);
    let console_password = console.split_whitespace().next().unwrap().to_string();
    assert!(
        again.contains("operator@demo.example  (its password was shown when it was made)") && !again.contains(&console_password),
        "{again}"
    );
    let token = again.lines().find_map(|l| l.trim().strip_prefix("JWT (1 h)")).unwrap().trim().to_string();
    let app = TestServer::spawn_on(db, &[]).await;
    let res = app.request(Method::GET, "/me/vouchers?limit=50").bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page: serde_json::Value = res.json().await.unwrap();
    let signed = app
        .request(Method::POST, "/console/login")
        .json(&serde_json::json!({ "email": "operator@demo.example", "password": console_password }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::OK, "the demo's operator signs in to the console");
    // The 12 of the catalog, the 4 claimable ones of the sandbox's test brand
    // (the demo user is in cohort `sandbox`; out of stock and expired are not
    // listed) and its 3 gift cards, which carry a price.
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 19);
    assert_eq!(items.iter().filter(|v| v["price"]["currency"] == "INR").count(), 3);
}

crate::backend_tests!(partner_and_token_commands_work_end_to_end, demo_prints_a_working_token_for_the_demo_user);
