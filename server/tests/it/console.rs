//! Console accounts (SPEC §12, issue 17's first slice): an operator made by
//! `tessera user create`, signing in and out, what the session cookie is, the
//! lock after ten failures, the rate limit per address, cross-site posts, and
//! a password that never reaches the log.

use crate::support::{Backend, TestDb, TestServer, error_code, tessera_command};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `tessera user create …`: the password it printed.
async fn create(db: &TestDb, args: &[&str]) -> String {
    let mut all = vec!["user", "create"];
    all.extend_from_slice(args);
    let out = tessera_command(db, &all).output().await.expect("run tessera");
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{printed}{}", String::from_utf8_lossy(&out.stderr));
    printed.lines().find_map(|l| l.trim().strip_prefix("password")).map(|p| p.trim().to_string()).expect(&printed)
}

async fn sign_in(app: &TestServer, email: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/console/login").json(&json!({ "email": email, "password": password })).send().await.unwrap()
}

fn session_cookie(res: &reqwest::Response) -> String {
    let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

async fn operator_signs_in_and_out_with_a_strict_http_only_cookie(backend: Backend) {
    let db = TestDb::new(backend).await;
    let password = create(&db, &["--operator", "--email", "Ops@Example.com"]).await;
    assert_eq!(password.len(), 24);
    let app = TestServer::spawn_on(db, &[]).await;

    // The form, framed by nobody.
    let page = app.get("/console/login").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=post action=/console/login>") && html.contains("autocomplete=current-password"), "{html}");
    // Signed out, the console sends you to sign in.
    let res = app.get("/console").await;
    assert_eq!((res.status(), res.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/login"));

    let res = sign_in(&app, "ops@example.com", &password).await;
    assert_eq!(res.status(), StatusCode::OK);
    let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/;"] {
        assert!(set.contains(flag), "{flag} missing: {set}");
    }
    let cookie = session_cookie(&res);
    let me: Value = res.json().await.unwrap();
    assert_eq!((me["email"].as_str(), me["role"].as_str()), (Some("ops@example.com"), Some("operator")));
    assert!(me.get("passwordHash").is_none() && !me.to_string().contains("argon2"), "{me}");
    let res = app.request(Method::GET, "/console/me").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let home = app.request(Method::GET, "/console").header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(home.replace("<!>", "").contains("<span>ops@example.com · operator</span>"), "{home}");

    // A form post from the browser: 303 to the console with the cookie.
    let res = app
        .request(Method::POST, "/console/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email=ops%40example.com&password={password}"))
        .send()
        .await
        .unwrap();
    assert_eq!((res.status(), res.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console"));
    // A wrong password in the form: the form again, saying so, with no cookie.
    let res = app
        .request(Method::POST, "/console/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=ops%40example.com&password=not-the-password")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get("set-cookie").is_none());
    assert!(res.text().await.unwrap().contains("role=alert"));

    // Signing out ends that session.
    let res = app.request(Method::POST, "/console/logout").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let res = app.request(Method::GET, "/console/me").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // A post from another site's page is refused before anything is checked.
    let res = app
        .request(Method::POST, "/console/login")
        .header("origin", "https://evil.example")
        .json(&json!({ "email": "ops@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&res.json().await.unwrap()), "cross_site_request");
    // Our own form, posted from a page that sends no referrer: `Origin: null`, vouched for by
    // the browser's Sec-Fetch-Site; without that, or from another site, it is refused.
    for (fetch_site, expected) in
        [(Some("same-origin"), StatusCode::OK), (Some("cross-site"), StatusCode::FORBIDDEN), (None, StatusCode::FORBIDDEN)]
    {
        let mut req = app.request(Method::POST, "/console/login").header("origin", "null");
        if let Some(site) = fetch_site {
            req = req.header("sec-fetch-site", site);
        }
        let res = req.json(&json!({ "email": "ops@example.com", "password": password })).send().await.unwrap();
        assert_eq!(res.status(), expected, "Origin: null, Sec-Fetch-Site: {fetch_site:?}");
    }

    // The password never reached the log.
    assert!(!app.log().contains(&password), "the password was logged");
}

async fn ten_failures_lock_the_account_and_an_unknown_email_gets_the_same_answer(backend: Backend) {
    let db = TestDb::new(backend).await;
    let partner = tessera_command(&db, &["partner", "create", "--name", "Shop", "--id", "shop"]).output().await.unwrap();
    assert!(partner.status.success());
    let password = create(&db, &["--role", "partner_developer", "--partner", "shop", "--email", "dev@shop.example"]).await;
    let app = TestServer::spawn_on(db, &[]).await;
    let res = sign_in(&app, "dev@shop.example", &password).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res);
    let me: Value = res.json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["partnerId"].as_str()), (Some("partner_developer"), Some("shop")));

    let unknown = sign_in(&app, "nobody@shop.example", "whatever-it-is").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown: Value = unknown.json().await.unwrap();
    for _ in 0..10 {
        let wrong = sign_in(&app, "dev@shop.example", "not-the-password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.json::<Value>().await.unwrap(), unknown, "a wrong password and an unknown email read the same");
    }
    // Locked: even the right password is refused, and the live session ends.
    let res = sign_in(&app, "dev@shop.example", &password).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&res.json().await.unwrap()), "account_locked");
    let res = app.request(Method::GET, "/console/me").header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // An operator unlocks it.
    let db = app.kill().await;
    let out = tessera_command(&db, &["user", "unlock", "--email", "dev@shop.example"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let app = TestServer::spawn_on(db, &[]).await;
    assert_eq!(sign_in(&app, "dev@shop.example", &password).await.status(), StatusCode::OK);
}

async fn sign_ins_are_rate_limited_per_address(backend: Backend) {
    let db = TestDb::new(backend).await;
    create(&db, &["--operator", "--email", "ops@example.com"]).await;
    let app = TestServer::spawn_on(db, &[]).await;
    let mut statuses = Vec::new();
    for i in 0..21 {
        // Different emails: the limit is the address's, not an account's lock.
        statuses.push(sign_in(&app, &format!("guess{i}@example.com"), "a-guessed-password").await.status());
    }
    assert!(statuses[..20].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    let res = sign_in(&app, "ops@example.com", "a-guessed-password").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    assert!(res.headers().get("retry-after").is_some());
}

crate::backend_tests!(
    operator_signs_in_and_out_with_a_strict_http_only_cookie,
    ten_failures_lock_the_account_and_an_unknown_email_gets_the_same_answer,
    sign_ins_are_rate_limited_per_address,
);
