//! SSO sign-in (SPEC §3): `/consumer?clientId=P&token=T` against a partner
//! backend with faults injected — known, null, 500, malformed, slow — and the
//! sandbox-only debug panel.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN},
    ledger::{Fault, Ledger},
};
use reqwest::{Method, StatusCode, header};
use serde_json::json;
use std::time::Duration;

/// The partner's SSO endpoint gets 1 s to answer (a slow one takes 2 s).
const ENV: &[(&str, &str)] = &[
    ("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ("TESSERA_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8"),
    ("TESSERA_PARTNER_BACKEND_TIMEOUT_SECONDS", "1"),
];

async fn partner_with_sso(app: &TestServer, id: &str, sandbox: bool) -> Ledger {
    app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": id, "name": id, "sandbox": sandbox }))).await;
    let backend = Ledger::start("placeholder").await;
    let set = app.admin_ok(Method::PUT, &format!("/admin/partners/{id}/integration"), Some(json!({ "baseUrl": backend.base }))).await;
    backend.set_secret(set["secret"].as_str().unwrap());
    backend
}

crate::backend_tests!(
    the_integration_secret_rotates_with_a_grace_period,
    a_known_token_opens_a_session_and_leaves_the_url,
    every_refusal_is_a_clear_screen,
    sandbox_partners_get_the_debug_panel
);

async fn a_known_token_opens_a_session_and_leaves_the_url(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let sso = partner_with_sso(&app, "ssop", false).await;
    let cat = Catalog::create(&app).await;
    let vip = cat.voucher(&app, "VIP only", json!({ "cohorts": ["vip"] })).await;
    sso.sso_token(
        "tok+en/=1",
        json!({ "userId": "u-42", "email": "u42@example.com", "firstName": "Ana", "phoneNumber": "+60 12-345 6789", "cohorts": ["vip"] }),
    );
    // `+`, `/` and `=` encoded as a partner must (seed 001's pitfall).
    let res = app.get("/consumer/wallet?clientId=ssop&appVersion=3&token=tok%2Ben%2F%3D1").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/consumer/wallet?clientId=ssop&appVersion=3");
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("tessera_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=None"), "{cookie}");
    let session = cookie.split(';').next().unwrap().trim_start_matches("tessera_session=").to_string();
    // The session is the user's: profile and cohorts written through, so the VIP voucher shows.
    let (status, me) = app.me(&session, Method::GET, "/me", None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["externalUserId"], "u-42");
    assert_eq!(me["email"], "u42@example.com");
    assert_eq!(me["phoneNumber"], "+60 12-345 6789", "the SSO answer's phone number is written through, as documented");
    // A field that is not valid is dropped; the others are still written, and the user signs in.
    sso.sso_token("odd", json!({ "userId": "u-43", "email": "not-an-email", "firstName": "Bo", "phoneNumber": "+60 11-222 3333" }));
    let res = app.get("/consumer?clientId=ssop&token=odd").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let (_, odd) = app.me(cookie.trim_start_matches("tessera_session="), Method::GET, "/me", None).await;
    assert_eq!(
        (odd["email"].clone(), odd["firstName"].clone(), odd["phoneNumber"].clone()),
        (json!(null), json!("Bo"), json!("+60 11-222 3333"))
    );
    let (_, vouchers) = app.me(&session, Method::GET, "/me/vouchers", None).await;
    assert!(vouchers["items"].as_array().unwrap().iter().any(|v| v["id"] == vip.as_str()), "{vouchers}");
    // The page renders the wallet from the cookie.
    let page = app
        .request(Method::GET, "/consumer/wallet?clientId=ssop")
        .header(header::COOKIE, format!("tessera_session={session}"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Your wallet is empty"), "{html}");
    // The token never reaches the server's log.
    assert!(!app.log().contains("tok+en") && !app.log().contains("tok%2Ben"), "{}", app.log());
}

async fn every_refusal_is_a_clear_screen(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let sso = partner_with_sso(&app, "ssor", false).await;
    sso.sso_token("good", json!({ "userId": "u-1" }));
    // The screen comes with the status docs/sso.md gives each refusal (it once came with 200).
    let cases: Vec<(&str, Option<Fault>, &str, StatusCode)> = vec![
        ("unknown", None, "sso_refused", StatusCode::UNAUTHORIZED),
        ("good", Some(Fault::Status(500)), "sso_failed", StatusCode::BAD_GATEWAY),
        ("good", Some(Fault::NotJson), "sso_failed", StatusCode::BAD_GATEWAY),
        ("good", Some(Fault::Slow(Duration::from_secs(2))), "sso_failed", StatusCode::BAD_GATEWAY),
    ];
    for (token, fault, code, expected) in cases {
        if let Some(f) = fault.clone() {
            sso.inject("sso", vec![f]);
        }
        let (status, html) = app.get_html(&format!("/consumer?clientId=ssor&token={token}")).await;
        assert_eq!(status, expected, "{fault:?}");
        assert!(html.contains(&format!(r#"data-code="{code}""#)) && html.contains("data-boot-error"), "{fault:?}: no {code} screen");
        assert!(!html.contains("sso-debug"), "{fault:?}: a live partner's refusal shows no debug panel");
    }
    // Without a clientId, or for a partner without SSO, the screen says so too.
    let (status, html) = app.get_html("/consumer?token=x").await;
    assert!(html.contains(r#"data-code="sso_unavailable""#));
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": "nosso", "name": "No SSO" }))).await;
    let (status, html) = app.get_html("/consumer?clientId=nosso&token=x").await;
    assert!(html.contains(r#"data-code="sso_unavailable""#));
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    let (status, html) = app.get_html("/consumer?clientId=nobody-at-all&token=x").await;
    assert!(html.contains(r#"data-code="unknown_partner""#));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn sandbox_partners_get_the_debug_panel(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let sso = partner_with_sso(&app, "sandy", true).await;
    sso.inject("sso", vec![Fault::Status(500)]);
    let (_, html) = app.get_html("/consumer?clientId=sandy&token=abc").await;
    assert!(html.contains("sso-debug"), "{html}");
    assert!(html.contains(&format!("POST {}/sso", sso.base)), "the URL called");
    assert!(html.contains(r#"<dd class="sso-status">500</dd>"#), "the status");
    assert!(html.contains("injected"), "the body answered");
    assert!(html.contains("X-Tessera-Secret: ****"), "a curl with the secret masked");
    let secret = sso.book.lock().unwrap().secret.clone();
    assert!(!html.contains(&secret), "the secret itself is never shown");
}

/// Issue 15: rotating the integration secret broke SSO and coins until the partner had
/// deployed the new one. Now, for the grace period, a call the backend refuses (401/403)
/// is made once more with the replaced secret; after it, only the new one is sent.
async fn the_integration_secret_rotates_with_a_grace_period(backend: Backend) {
    let app = TestServer::spawn_with(backend, ENV).await;
    let sso = partner_with_sso(&app, "rota", false).await;
    sso.sso_token("tok", json!({ "userId": "u-rot" }));
    let bad_calls = || sso.book.lock().unwrap().bad_secret_calls;
    let signs_in = || async { app.get("/consumer?clientId=rota&token=tok").await.status() == StatusCode::SEE_OTHER };
    assert!(signs_in().await);
    assert_eq!(bad_calls(), 0);

    // Rotated while the backend still has the old secret: sign-in keeps working.
    let rotated = app.admin_ok(Method::POST, "/admin/partners/rota/rotate-secret", Some(json!({ "kind": "integration" }))).await;
    let new_secret = rotated["integrationSecret"].as_str().unwrap().to_string();
    assert!(new_secret.starts_with("its_") && rotated["previousValidUntil"].is_string(), "{rotated}");
    assert!(app.admin_ok(Method::GET, "/admin/partners/rota", None).await["integrationSecretRotating"] == json!(true));
    assert!(signs_in().await, "the backend that has not deployed the new secret yet is still called with the old one");
    assert_eq!(bad_calls(), 1, "the new secret is tried first");
    // Deployed: the new secret is the first and only one sent.
    sso.set_secret(&new_secret);
    assert!(signs_in().await);
    assert_eq!(bad_calls(), 1);

    // Rotated without grace: the backend that keeps the replaced secret is refused.
    let rotated =
        app.admin_ok(Method::POST, "/admin/partners/rota/rotate-secret", Some(json!({ "kind": "integration", "graceSeconds": 0 }))).await;
    assert!(!signs_in().await, "no grace: the old secret is not sent any more");
    sso.set_secret(rotated["integrationSecret"].as_str().unwrap());
    assert!(signs_in().await);

    // No backend, no integration secret to rotate; the grace has one cap everywhere.
    app.admin_ok(Method::POST, "/admin/partners", Some(json!({ "id": "nobackend", "name": "No backend" }))).await;
    let (status, body) = app.admin(Method::POST, "/admin/partners/nobackend/rotate-secret", Some(json!({ "kind": "integration" }))).await;
    assert_eq!((status, crate::support::error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{body}");
    let (status, _) =
        app.admin(Method::POST, "/admin/partners/rota/rotate-secret", Some(json!({ "kind": "api", "graceSeconds": 604_801 }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let cli = crate::support::tessera_command(
        &app.db,
        &["partner", "rotate-secret", "--partner", "rota", "--kind", "jwt", "--grace-seconds", "9999999"],
    )
    .output()
    .await
    .unwrap();
    assert!(!cli.status.success(), "the CLI caps the grace at 7 days too");
    assert!(String::from_utf8_lossy(&cli.stderr).contains("graceSeconds"), "{}", String::from_utf8_lossy(&cli.stderr));
}
