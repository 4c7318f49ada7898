//! The store's pictures (SPEC §13): uploads checked for what they are and
//! their shape, kept once, served only as resized variants of fixed widths
//! with immutable caching, and named by vouchers and merchants.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN},
    error_code,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera_core::images::sample_png;

async fn theme_banners_are_named_pictures_that_keep_the_partner(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let partner = app.create_partner("banners").await;
    let (_, picture) = upload(&app, "voucher", sample_png(706, 397, [200, 120, 40])).await;
    let (_, logo) = upload(&app, "logo", sample_png(168, 168, [40, 40, 200])).await;
    let (picture, logo) = (picture["imageId"].as_str().unwrap().to_string(), logo["imageId"].as_str().unwrap().to_string());
    let theme = format!("/admin/partners/{}/theme", partner.id);

    // Each refused with the banner's own field named; nothing stored.
    for (banner, field) in [
        (json!({ "imageId": logo, "alt": "Breakfast deals", "link": "/consumer" }), "banners[0].imageId"),
        (
            json!({ "imageId": picture, "imageUrl": "https://cdn.example/b.jpg", "alt": "Breakfast deals", "link": "/consumer" }),
            "banners[0]",
        ),
        (json!({ "alt": "Breakfast deals", "link": "/consumer" }), "banners[0]"),
        (json!({ "imageId": picture, "link": "/consumer" }), "banners[0].alt"),
        (json!({ "imageUrl": "http://cdn.example/b.jpg", "alt": "Breakfast deals", "link": "/consumer" }), "banners[0].imageUrl"),
    ] {
        let (status, answer) = app.admin(Method::PUT, &theme, Some(json!({ "banners": [banner] }))).await;
        assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{banner}: {answer}");
        assert!(!field_error(&answer, field).is_empty(), "{banner}: {answer}");
    }
    assert_eq!(app.admin_ok(Method::GET, &theme, None).await["banners"], json!([]));

    let banners = json!([
        { "imageId": picture, "alt": "Breakfast deals at Kopi Kita", "link": "/consumer/search?q=kopi" },
        { "imageUrl": "https://cdn.example/weekend.jpg", "alt": "Weekend offers", "link": "/consumer/merchants/x" },
    ]);
    let saved = app.admin_ok(Method::PUT, &theme, Some(json!({ "banners": banners }))).await;
    assert_eq!(saved["banners"], banners);

    // On the partner's home: links that keep its clientId, named by their pictures' words,
    // the uploaded one as resized variants in the seed's 353×199 box.
    let (_, home) = app.get_html(&format!("/consumer?clientId={}", partner.id)).await;
    let first = format!(
        "<a href=\"/consumer/search?q=kopi&amp;clientId={id}\" class=\"banner\"><img src=\"/images/{picture}/353\" \
         srcset=\"/images/{picture}/353 353w, /images/{picture}/706 706w, /images/{picture}/1059 1059w\"",
        id = partner.id
    );
    assert!(home.contains(&first), "{home}");
    assert!(home.contains("width=\"353\" height=\"199\" alt=\"Breakfast deals at Kopi Kita\""), "{home}");
    let second = format!(
        "<a href=\"/consumer/merchants/x?clientId={}\" class=\"banner\"><img src=\"https://cdn.example/weekend.jpg\" alt=\"Weekend offers\"",
        partner.id
    );
    assert!(home.contains(&second), "{home}");
}

async fn a_theme_header_logo_and_coin_are_uploaded_pictures(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let partner = app.create_partner("brand").await;
    let theme = format!("/admin/partners/{}/theme", partner.id);
    // Seed 001's shapes: a 12:5 header logo (96×40 and up), a square coin (20×20 and up).
    let (status, answer) = upload(&app, "header_logo", sample_png(96, 96, [0, 0, 0])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, header) = upload(&app, "header_logo", sample_png(288, 120, [10, 60, 160])).await;
    assert_eq!(status, StatusCode::CREATED, "{header}");
    let (status, coin) = upload(&app, "coin", sample_png(60, 60, [212, 160, 23])).await;
    assert_eq!(status, StatusCode::CREATED, "{coin}");
    let (header, coin) = (header["imageId"].as_str().unwrap().to_string(), coin["imageId"].as_str().unwrap().to_string());

    // Each in its own place only; an id that is not one, or a picture and a URL, is refused.
    for (body, field) in [
        (json!({ "header": { "logoImageId": coin } }), "header.logoImageId"),
        (json!({ "coinImageId": header }), "coinImageId"),
        (json!({ "coinImageId": "x\"); background: url(evil" }), "coinImageId"),
        (json!({ "header": { "logoImageId": header, "logoUrl": "https://cdn.example/logo.png" } }), "header.logoImageId"),
    ] {
        let (status, answer) = app.admin(Method::PUT, &theme, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(!field_error(&answer, field).is_empty(), "{body}: {answer}");
    }
    let saved = app.admin_ok(Method::PUT, &theme, Some(json!({ "header": { "logoImageId": header }, "coinImageId": coin }))).await;
    assert_eq!((saved["header"]["logoImageId"].as_str(), saved["coinImageId"].as_str()), (Some(header.as_str()), Some(coin.as_str())));

    // The header draws the 2× variant (192×80); the coin's variants are 20, 40 and 60 wide.
    let (_, home) = app.get_html(&format!("/consumer?clientId={}", partner.id)).await;
    assert!(home.contains(&format!("--t-header-logo:url(\"/images/{header}/192\");")), "{home}");
    for (id, width, height) in [(&header, 192, 80), (&coin, 20, 20), (&coin, 60, 60)] {
        let res = app.get(&format!("/images/{id}/{width}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{id}/{width}");
        let picture = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((picture.width(), picture.height()), (width, height));
    }
    assert_eq!(app.get(&format!("/images/{coin}/56")).await.status(), StatusCode::NOT_FOUND);
}

/// The coin beside a balance: a sandbox partner (its own fake ledger) with an uploaded coin.
async fn the_coin_is_drawn_beside_the_balance_from_its_variants(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": "coiny", "name": "Coiny", "sandbox": true }))).await;
    app.admin_ok(Method::PUT, "/admin/partners/coiny/integration", Some(json!({ "baseUrl": app.url("/sandbox/coiny") }))).await;
    let (_, coin) = upload(&app, "coin", sample_png(60, 60, [212, 160, 23])).await;
    let coin = coin["imageId"].as_str().unwrap().to_string();
    app.admin_ok(Method::PUT, "/admin/partners/coiny/theme", Some(json!({ "coinImageId": coin }))).await;
    // Signed in by the sandbox's SSO (the token is the user id), as a partner's app opens it.
    let res = app.get("/consumer?clientId=coiny&token=ana").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let res = app.request(Method::GET, "/consumer/wallet").header(reqwest::header::COOKIE, cookie).send().await.unwrap();
    let page = res.text().await.unwrap();
    let drawn = format!(
        "<img src=\"/images/{coin}/20\" srcset=\"/images/{coin}/20 20w, /images/{coin}/40 40w, /images/{coin}/60 60w\" sizes=\"20px\" width=\"20\" height=\"20\""
    );
    assert!(page.contains("class=\"coin-balance\"") && page.contains(&drawn) && page.contains("class=\"coin-image\""), "{page}");
}

crate::backend_tests!(
    the_coin_is_drawn_beside_the_balance_from_its_variants,
    a_theme_header_logo_and_coin_are_uploaded_pictures,
    an_upload_is_checked_kept_once_and_served_resized,
    vouchers_and_merchants_show_their_pictures,
    theme_banners_are_named_pictures_that_keep_the_partner
);

async fn upload(app: &TestServer, kind: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let res = app
        .request(Method::POST, &format!("/admin/images?kind={kind}"))
        .bearer_auth(OPERATOR_TOKEN)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn raw_request(app: &TestServer, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url("/").trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer)).await.unwrap().unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

fn field_error(body: &Value, field: &str) -> String {
    body["error"]["details"]["fields"][field].as_str().unwrap_or_default().to_string()
}

async fn an_upload_is_checked_kept_once_and_served_resized(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let picture = sample_png(1280, 720, [30, 90, 160]);
    let (status, first) = upload(&app, "voucher", picture.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!((first["width"].as_u64(), first["height"].as_u64(), first["kind"].as_str()), (Some(1280), Some(720), Some("voucher")));
    let id = first["imageId"].as_str().unwrap().to_string();
    assert_eq!(first["url"], format!("/images/{id}/353"));
    // The same bytes again: the same image.
    let (status, again) = upload(&app, "voucher", picture).await;
    assert_eq!((status, again["imageId"].as_str()), (StatusCode::CREATED, Some(id.as_str())));

    // Each wrong upload says what is wrong, and stores nothing.
    for (kind, bytes, field, says) in [
        ("voucher", sample_png(800, 800, [0, 0, 0]), "image", "16:9"),
        ("voucher", sample_png(320, 180, [0, 0, 0]), "image", "at least 353×199"),
        ("logo", sample_png(300, 200, [0, 0, 0]), "image", "1:1"),
        ("voucher", b"GIF89a\x01\x00\x01\x00".to_vec(), "image", "PNG, JPEG or WebP"),
        ("voucher", b"<svg onload=alert(1)>".to_vec(), "image", "PNG, JPEG or WebP"),
        ("banner", sample_png(1280, 720, [0, 0, 0]), "kind", "voucher or logo"),
        ("voucher", Vec::new(), "image", "request body"),
    ] {
        let (status, body) = upload(&app, kind, bytes).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{kind}: {body}");
        assert!(field_error(&body, field).contains(says), "{kind}: {body}");
    }
    // Over 5 MB: refused from its Content-Length, before a byte of it is read (so over
    // a raw socket: an HTTP client still writing the body sees the connection close).
    let answer = raw_request(&app, &format!(
        "POST /admin/images?kind=voucher HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {OPERATOR_TOKEN}\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        6 * 1024 * 1024
    ))
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    // An answer given before the body was read closes the connection, and says so: a
    // client that put it back in its pool would send its next request into a closing socket.
    assert!(answer.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{answer}");
    let pool = app.db.pool().await;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM images").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 1);
    // Without the operator token: refused.
    let res = app.request(Method::POST, "/admin/images?kind=voucher").body(sample_png(1280, 720, [1, 2, 3])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers().get("connection").map(|v| v.to_str().unwrap()), Some("close"));
    // A body that was read keeps the connection open for the next request.
    let res = app
        .request(Method::POST, "/admin/images?kind=voucher")
        .bearer_auth(OPERATOR_TOKEN)
        .header("content-type", "image/png")
        .body(sample_png(1280, 720, [30, 90, 160]))
        .send()
        .await
        .unwrap();
    assert_eq!((res.status(), res.headers().get("connection")), (StatusCode::CREATED, None));

    // Variants at 1×, 2× and 3× the display width, never the original.
    for width in [353u32, 706, 1059] {
        let res = app.get(&format!("/images/{id}/{width}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{width}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
        let shown = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((shown.width(), shown.height()), (width, (width as f64 * 9.0 / 16.0).round() as u32));
    }
    // Made once: the second request reads the kept variant.
    let (variants,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM image_variants").fetch_one(&pool).await.unwrap();
    assert_eq!(variants, 3);
    app.get(&format!("/images/{id}/353")).await;
    let (variants,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM image_variants").fetch_one(&pool).await.unwrap();
    assert_eq!(variants, 3);
    for path in [
        format!("/images/{id}/1280"),
        format!("/images/{id}/abc"),
        "/images/0123456789abcdef0123456789abcdef/353".into(),
        "/images/../etc/353".into(),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

async fn vouchers_and_merchants_show_their_pictures(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await;
    let partner = app.create_partner("pics").await;
    let cat = Catalog::create(&app).await;
    let (_, picture) = upload(&app, "voucher", sample_png(706, 397, [200, 40, 40])).await;
    let (_, logo) = upload(&app, "logo", sample_png(168, 168, [40, 40, 200])).await;
    let (picture, logo) = (picture["imageId"].as_str().unwrap().to_string(), logo["imageId"].as_str().unwrap().to_string());

    // A logo where a voucher picture belongs (and the reverse, and an unknown id) is refused.
    for body in [json!({ "imageId": logo }), json!({ "imageId": "0123456789abcdef0123456789abcdef" })] {
        let mut input = json!({ "merchantId": cat.merchant, "title": "Wrong picture" });
        input["imageId"] = body["imageId"].clone();
        let (status, answer) = app.admin(Method::POST, "/admin/vouchers", Some(input)).await;
        assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{answer}");
        assert!(!field_error(&answer, "imageId").is_empty(), "{answer}");
    }
    let (status, answer) = app
        .admin(Method::PUT, &format!("/admin/merchants/{}", cat.merchant), Some(json!({ "name": "Kopi Kita", "logoImageId": picture })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // A logo hosted elsewhere must be https (an http:// image is mixed content in the webview).
    let body = json!({ "name": "Kopi Kita", "logoUrl": "http://cdn.example/logo.png" });
    let (status, answer) = app.admin(Method::PUT, &format!("/admin/merchants/{}", cat.merchant), Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(field_error(&answer, "logoUrl"), "must be an https URL", "{answer}");
    // A cover is 16:9: a square logo is not one.
    let (status, answer) = app
        .admin(Method::PUT, &format!("/admin/merchants/{}", cat.merchant), Some(json!({ "name": "Kopi Kita", "coverImageId": logo })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(!field_error(&answer, "coverImageId").is_empty(), "{answer}");

    let (_, cover) = upload(&app, "voucher", sample_png(1059, 596, [20, 90, 60])).await;
    let cover = cover["imageId"].as_str().unwrap().to_string();
    let saved = app
        .admin_ok(
            Method::PUT,
            &format!("/admin/merchants/{}", cat.merchant),
            Some(json!({ "name": "Kopi Kita", "logoImageId": logo, "coverImageId": cover })),
        )
        .await;
    assert_eq!((saved["logoImageId"].as_str(), saved["coverImageId"].as_str()), (Some(logo.as_str()), Some(cover.as_str())), "{saved}");
    let voucher = cat.voucher(&app, "With a picture", json!({ "imageId": picture })).await;
    let admin_view = app.admin_ok(Method::GET, &format!("/admin/vouchers/{voucher}"), None).await;
    assert_eq!(admin_view["imageId"], picture.as_str());
    let (_, mine) = app.me(&partner.jwt("ana"), Method::GET, &format!("/me/vouchers/{voucher}"), None).await;
    assert_eq!((mine["imageId"].as_str(), mine["merchantLogoId"].as_str()), (Some(picture.as_str()), Some(logo.as_str())), "{mine}");

    // The screens name the variants, never an original, with their boxes reserved.
    let (_, home) = app.get_html("/consumer").await;
    let srcset = format!("/images/{picture}/353 353w, /images/{picture}/706 706w, /images/{picture}/1059 1059w");
    assert!(home.contains(&srcset), "{home}");
    assert!(home.contains(&format!("src=\"/images/{logo}/56\"")), "{home}");
    assert!(home.contains("width=\"353\" height=\"199\""), "{home}");
    // The voucher screen is the signed-in user's.
    let (_, session) = app.me(&partner.jwt("ana"), Method::POST, "/me/session", None).await;
    let cookie = format!("tessera_session={}", session["sessionToken"].as_str().unwrap());
    let res =
        app.request(Method::GET, &format!("/consumer/vouchers/{voucher}")).header(reqwest::header::COOKIE, cookie).send().await.unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains(&srcset) && page.contains("class=\"detail-image\""), "{page}");
    let (_, merchant) = app.get_html(&format!("/consumer/merchants/{}", cat.merchant)).await;
    assert!(merchant.contains(&format!("/images/{logo}/112 112w")), "{merchant}");
    let cover_set = format!("srcset=\"/images/{cover}/353 353w, /images/{cover}/706 706w, /images/{cover}/1059 1059w\"");
    assert!(merchant.contains(&cover_set) && merchant.contains("class=\"cover\""), "{merchant}");
}
