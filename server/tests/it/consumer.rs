//! `/consumer` is rendered on the server from the database.

use crate::support::{Backend, TestServer, repo_root};
use reqwest::StatusCode;

async fn consumer_page_lists_published_vouchers_from_the_database(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    let (status, html) = app.get_html("/consumer").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No vouchers yet"), "empty catalog shows its empty state: {html}");

    let pool = app.db.pool().await;
    sqlx::query("INSERT INTO merchants (id, name, created_at) VALUES ('m-1', 'Test Bakery', 0)").execute(&pool).await.unwrap();
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
    // The page ships the hydration entry point (its name fingerprinted).
    assert!(html.contains(&format!("\"{}\"", bundle_files()[0].1)), "{html}");
}

/// The bundle's files as `scripts/lib.sh` fingerprinted them: (kind, URL path, file on disk).
fn bundle_files() -> Vec<(String, String, std::path::PathBuf)> {
    let pkg = repo_root().join("target/site/pkg");
    let hashes = std::fs::read_to_string(pkg.join("hash.txt"))
        .unwrap_or_else(|_| panic!("{} is missing: build the site first (scripts/build)", pkg.join("hash.txt").display()));
    let files: Vec<_> = hashes
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(kind, hash)| {
            let name = format!("tessera.{}.{}", hash.trim(), kind.trim());
            (kind.trim().to_string(), format!("/pkg/{name}"), pkg.join(&name))
        })
        .collect();
    assert_eq!(files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["js", "wasm", "css"]);
    files
}

async fn site_assets_are_served(backend: Backend) {
    let app = TestServer::spawn(backend).await;
    let (status, html) = app.get_html("/consumer").await;
    assert_eq!(status, StatusCode::OK);
    // The page's headers name the bundle too, so its download starts before <head> is read.
    let res = app.get("/consumer").await;
    let links = res.headers()["link"].to_str().unwrap().to_owned();
    let files: Vec<String> = bundle_files().into_iter().map(|(_, path, _)| path).collect();
    let wanted = [
        format!(
            "<{}>; rel=preload; as=fetch; type=\"application/wasm\"; crossorigin",
            files.iter().find(|p| p.ends_with(".wasm")).unwrap()
        ),
        format!("<{}>; rel=modulepreload; crossorigin", files.iter().find(|p| p.ends_with(".js")).unwrap()),
        format!("<{}>; rel=preload; as=style", files.iter().find(|p| p.ends_with(".css")).unwrap()),
    ];
    assert_eq!(links.split(", ").collect::<Vec<_>>(), wanted, "{links}");
    assert!(app.get("/openapi.json").await.headers().get("link").is_none(), "only pages preload the bundle");
    for (kind, path, file) in bundle_files() {
        assert!(html.contains(&format!("\"{path}\"")), "the page names {path}: {html}");
        let content_type = match kind.as_str() {
            "js" => "text/javascript",
            "wasm" => "application/wasm",
            _ => "text/css",
        };
        // Precompressed at build time: what goes out is the .br (or .gz) file itself.
        for (accept, encoding, sent_file) in [
            ("br, gzip", Some("br"), format!("{}.br", file.display())),
            ("gzip", Some("gzip"), format!("{}.gz", file.display())),
            ("identity", None, file.display().to_string()),
        ] {
            let res = app.request(reqwest::Method::GET, &path).header("accept-encoding", accept).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let headers = res.headers().clone();
            assert!(headers["content-type"].to_str().unwrap().starts_with(content_type), "{path}: {headers:?}");
            assert_eq!(headers.get("content-encoding").map(|v| v.to_str().unwrap()), encoding, "{path} with {accept}");
            assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable", "{path}");
            let body = res.bytes().await.unwrap();
            assert_eq!(body.len() as u64, std::fs::metadata(&sent_file).unwrap().len(), "{path} with {accept}");
        }
    }
    let raw = std::fs::metadata(&bundle_files()[1].2).unwrap().len();
    let br = std::fs::metadata(format!("{}.br", bundle_files()[1].2.display())).unwrap().len();
    assert!(br * 3 < raw, "the WASM goes out at {br} of {raw} bytes");
    // A name without a fingerprint is not cached for a year; an unknown one is a 404.
    let res = app.get("/pkg/hash.txt").await;
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(app.get("/pkg/tessera.0000000000000000.wasm").await.status(), StatusCode::NOT_FOUND);
    let res = app.get("/favicon.svg").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("image/svg+xml"));
    // Pages and API answers are compressed per request, as the client asks.
    for (path, accept, encoding) in [("/consumer", "br, gzip", "br"), ("/consumer", "gzip", "gzip"), ("/openapi.json", "br", "br")] {
        let res = app.request(reqwest::Method::GET, path).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some(encoding), "{path} with {accept}");
    }
}

crate::backend_tests!(consumer_page_lists_published_vouchers_from_the_database, site_assets_are_served);
