//! `/consumer` is rendered on the server from the database.

use crate::support::{Backend, TestServer, repo_root};
use reqwest::StatusCode;

async fn consumer_page_lists_published_vouchers_from_the_database(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    let (status, html) = app.get_html("/consumer").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No vouchers yet"), "empty catalog shows its empty state: {html}");

    let pool = app.db.pool().await;
    sqlx::query("INSERT INTO merchants (id, name, created_at) VALUES ('m-1', 'Test Bakery', 0)")
        .execute(&pool)
        .await
        .unwrap();
    for (id, title, status, published_at) in [
        ("v-1", "{b}Half{/b} price croissant <script>", "published", Some(2_i64)),
        ("v-2", "Older loaf", "published", Some(1)),
        ("v-3", "Secret draft", "draft", None),
        ("v-4", "Gone archived", "archived", Some(3)),
    ] {
        sqlx::query(
            "INSERT INTO vouchers (id, merchant_id, title, status, created_at, published_at) \
             VALUES ($1, 'm-1', $2, $3, 0, $4)",
        )
        .bind(id)
        .bind(title)
        .bind(status)
        .bind(published_at)
        .execute(&pool)
        .await
        .unwrap();
    }

    let (status, html) = app.get_html("/consumer").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<strong>Half"), "markup rendered as elements: {html}");
    assert!(html.contains("price croissant &lt;script&gt;"), "text escaped, never HTML: {html}");
    assert!(html.contains("Older loaf"));
    assert!(html.contains("Test Bakery"));
    assert!(!html.contains("Secret draft") && !html.contains("Gone archived"), "only published vouchers");
    assert!(html.find("Half").unwrap() < html.find("Older loaf").unwrap(), "newest first");
    assert!(html.contains("2 vouchers"));
    // The page ships the hydration entry point.
    assert!(html.contains("/pkg/tessera.js"), "{html}");
}

async fn site_assets_are_served(backend: Backend) {
    let site = repo_root().join("target/site/pkg/tessera_bg.wasm");
    assert!(site.exists(), "{} is missing: build the site first (scripts/build)", site.display());
    let app = TestServer::spawn(backend).await;
    for (path, content_type) in [
        ("/pkg/tessera.js", "text/javascript"),
        ("/pkg/tessera_bg.wasm", "application/wasm"),
        ("/pkg/tessera.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with(content_type), "{path}");
    }
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/consumer\""));
    // Sent compressed as the client asks, and revalidated (their names do not change between builds).
    for (path, accept, encoding) in [("/pkg/tessera_bg.wasm", "br, gzip", "gzip"), ("/pkg/tessera.js", "gzip", "gzip"), ("/consumer", "gzip", "gzip")] {
        let res = app.request(reqwest::Method::GET, path).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some(encoding), "{path} with {accept}");
    }
    let wasm = app.request(reqwest::Method::GET, "/pkg/tessera_bg.wasm").header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(wasm.headers()["cache-control"], "no-cache");
    let raw = std::fs::metadata(&site).unwrap().len();
    let sent = wasm.bytes().await.unwrap().len() as u64;
    assert!(sent * 3 < raw, "the WASM went out at {sent} of {raw} bytes");
}

crate::backend_tests!(consumer_page_lists_published_vouchers_from_the_database, site_assets_are_served);
