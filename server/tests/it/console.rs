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
    assert!(
        html.contains("<form method=\"post\" action=\"/console/login\"") && html.contains("autocomplete=\"current-password\""),
        "{html}"
    );
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
    assert!(home.contains("<a href=\"/console/account\">ops@example.com · operator</a>"), "{home}");

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
    assert!(res.text().await.unwrap().contains("role=\"alert\""));

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

/// A link's token from a page or the CLI's output.
fn invitation_token(text: &str) -> String {
    let at = text.find("/console/invite/").expect(text) + "/console/invite/".len();
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

fn form(app: &TestServer, path: &str, cookie: Option<&str>, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let mut req = app.request(Method::POST, path).header("content-type", "application/x-www-form-urlencoded").body(body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req
}

async fn an_invitation_makes_one_account_once_and_a_password_change_ends_other_sessions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let partner = tessera_command(&db, &["partner", "create", "--name", "Shop", "--id", "shop"]).output().await.unwrap();
    assert!(partner.status.success());
    let out = tessera_command(&db, &["user", "invite", "--email", "Dev@Shop.example", "--role", "partner_developer", "--partner", "shop"])
        .output()
        .await
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{printed}{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("invitation made for dev@shop.example (partner_developer)"), "{printed}");
    let token = invitation_token(&printed);
    let app = TestServer::spawn_on(db, &[]).await;

    let (status, page) = app.get_html(&format!("/console/invite/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.replace("<!>", "").contains("You are invited as partner developer of partner shop."), "{page}");
    // Two different passwords: said, and the invitation still works.
    let res = form(&app, &format!("/console/invite/{token}"), None, &[("password", "a-long-password-1"), ("repeat", "a-long-password-2")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("is not the same password"));
    let res = form(&app, &format!("/console/invite/{token}"), None, &[("password", "a-long-password-1"), ("repeat", "a-long-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!((res.status(), res.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/portal"));
    let first = session_cookie(&res);
    // Once only, and a made-up token is no invitation.
    for path in [format!("/console/invite/{token}"), "/console/invite/inv_made_up".into()] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(res.text().await.unwrap().contains("This invitation is not valid"));
    }
    let res =
        form(&app, &format!("/console/invite/{token}"), None, &[("password", "another-password-1"), ("repeat", "another-password-1")])
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A second browser signs in too; the first changes the password.
    let second = session_cookie(&sign_in(&app, "dev@shop.example", "a-long-password-1").await);
    let wrong = form(
        &app,
        "/console/account/password",
        Some(&first),
        &[("current", "not-it-at-all"), ("password", "brand-new-password"), ("repeat", "brand-new-password")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("is not your current password"));
    let res = form(
        &app,
        "/console/account/password",
        Some(&first),
        &[("current", "a-long-password-1"), ("password", "brand-new-password"), ("repeat", "brand-new-password")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        (res.status(), res.headers()["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/console/account?done=password-changed")
    );
    let renewed = session_cookie(&res);
    let me = |cookie: String| {
        let app = &app;
        async move { app.request(Method::GET, "/console/me").header("cookie", cookie).send().await.unwrap().status() }
    };
    assert_eq!(me(first.clone()).await, StatusCode::UNAUTHORIZED, "the session that changed it was replaced");
    assert_eq!(me(second).await, StatusCode::UNAUTHORIZED, "the other browser's session ended");
    assert_eq!(me(renewed).await, StatusCode::OK, "this browser goes on");
    assert_eq!(sign_in(&app, "dev@shop.example", "a-long-password-1").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(&app, "dev@shop.example", "brand-new-password").await.status(), StatusCode::OK);
    for secret in ["a-long-password-1", "brand-new-password", &token] {
        assert!(!app.log().contains(secret), "{secret} was logged");
    }
}

/// The code an authenticator app shows for `secret` (base32) at `unix_s`.
fn totp_code(secret: &str, unix_s: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap().generate(unix_s)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn a_second_factor_is_asked_after_the_password_and_each_code_is_taken_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let password = create(&db, &["--operator", "--email", "ops@example.com"]).await;
    let app = TestServer::spawn_on(db, &[]).await;
    let cookie = session_cookie(&sign_in(&app, "ops@example.com", &password).await);

    let res = form(&app, "/console/account/totp", Some(&cookie), &[]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("<svg") && page.contains("role=\"img\""), "a QR code: {page}");
    let secret = page.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    // A wrong code keeps it off, and shows the same key again.
    let res = form(&app, "/console/account/totp/confirm", Some(&cookie), &[("code", "000000")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains(&secret));
    // Confirmed with a code of the step before this one (a slow typist), so the next sign-in's is fresh.
    let earlier = totp_code(&secret, unix_now() - 30);
    let res = form(&app, "/console/account/totp/confirm", Some(&cookie), &[("code", &earlier)]).send().await.unwrap();
    assert_eq!((res.status(), res.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/account?done=totp-on"));

    // Now the password alone opens nothing.
    let res = sign_in(&app, "ops@example.com", &password).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let pending = session_cookie(&res);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "secondFactorRequired": true }));
    let res = app.request(Method::GET, "/console/me").header("cookie", &pending).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.request(Method::GET, "/console").header("cookie", &pending).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/console/login");
    // A wrong code is said; the step already used is refused; the current one opens it.
    let res = form(&app, "/console/login/code", Some(&pending), &[("code", "123456")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("That code is not right"));
    let res = form(&app, "/console/login/code", Some(&pending), &[("code", &earlier)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a code is taken once");
    let now_code = totp_code(&secret, unix_now());
    let res = form(&app, "/console/login/code", Some(&pending), &[("code", &now_code)]).send().await.unwrap();
    assert_eq!((res.status(), res.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console"));
    let res = app.request(Method::GET, "/console/me").header("cookie", &pending).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The same code again, for a second sign-in: refused (replay).
    let again = session_cookie(&sign_in(&app, "ops@example.com", &password).await);
    let res = form(&app, "/console/login/code", Some(&again), &[("code", &now_code)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!app.log().contains(&secret) && !app.log().contains(&password));

    // Off again, with the password.
    let res = form(&app, "/console/account/totp/off", Some(&pending), &[("password", &password)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(sign_in(&app, "ops@example.com", &password).await.status(), StatusCode::OK);
}

crate::backend_tests!(
    an_invitation_makes_one_account_once_and_a_password_change_ends_other_sessions,
    a_second_factor_is_asked_after_the_password_and_each_code_is_taken_once,
);
