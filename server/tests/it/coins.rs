//! The coins ledger (SPEC §7) against a partner ledger with faults injected:
//! debit then claim; insufficient balance; a debit that times out, fails or
//! answers nonsense is reversed; a failing reversal is retried; a crash
//! between debit and reversal still reverses; never two debits for one claim.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN, PartnerCreds},
    error_code, job_passes,
    ledger::{Fault, Ledger},
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// The ledger gets 1 s to answer (a "slow" ledger takes 2 s), and a debit
/// with no outcome after 3 s is taken for unknown.
const ENV: &[(&str, &str)] = &[
    ("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ("TESSERA_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8"),
    ("TESSERA_PARTNER_BACKEND_TIMEOUT_SECONDS", "1"),
    ("TESSERA_COINS_UNKNOWN_AFTER_SECONDS", "3"),
];

/// A server waiting for the ledger as long as production does (5 s).
const PATIENT: &[(&str, &str)] = &[
    ("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ("TESSERA_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8"),
    ("TESSERA_COINS_UNKNOWN_AFTER_SECONDS", "10"),
];

/// Slower than the ledger may be.
const TOO_SLOW: Duration = Duration::from_secs(2);

struct Setup {
    app: TestServer,
    partner: PartnerCreds,
    ledger: Ledger,
    cat: Catalog,
}

async fn setup(backend: Backend) -> Setup {
    setup_with(backend, ENV).await
}

async fn setup_with(backend: Backend, env: &[(&str, &str)]) -> Setup {
    let app = TestServer::spawn_with(backend, env).await;
    let partner = app.create_partner("coins").await;
    let ledger = Ledger::start("placeholder").await;
    let set = app.admin_ok(Method::PUT, "/admin/partners/coins/integration", Some(json!({ "baseUrl": ledger.base }))).await;
    assert_eq!(set["baseUrl"], ledger.base);
    ledger.set_secret(set["secret"].as_str().unwrap());
    let cat = Catalog::create(&app).await;
    Setup { app, partner, ledger, cat }
}

async fn claim(s: &Setup, user: &str, voucher: &str) -> (StatusCode, serde_json::Value) {
    s.app.me(&s.partner.jwt(user), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await
}

async fn wallet_len(s: &Setup, user: &str) -> usize {
    let (_, body) = s.app.me(&s.partner.jwt(user), Method::GET, "/me/claims", None).await;
    body.as_array().unwrap().len()
}

async fn debit_states(s: &Setup) -> Vec<(String, i64)> {
    let pool = s.app.db.pool().await;
    sqlx::query_as("SELECT state, attempts FROM coin_debits ORDER BY created_at").fetch_all(&pool).await.unwrap()
}

crate::backend_tests!(
    coins_are_debited_then_the_claim_commits,
    an_insufficient_balance_is_402_and_takes_nothing,
    an_unknown_debit_outcome_is_reversed,
    a_failing_reversal_is_retried_until_it_succeeds,
    a_claim_that_fails_after_the_debit_gives_the_coins_back,
    a_crash_between_debit_and_reversal_still_reverses,
    one_claim_never_debits_twice,
    without_a_ledger_a_coin_voucher_is_501,
    a_backend_without_a_ledger_is_never_asked_for_a_balance,
);

async fn wallet_page(s: &Setup, cookie: &str) -> String {
    let res = s.app.request(Method::GET, "/consumer/wallet").header(reqwest::header::COOKIE, cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

/// The wallet shows the balance of a partner whose backend keeps coins; a
/// backend that answers SSO only (`coinsLedger: false`) is asked nothing, and
/// its coin vouchers cannot be claimed.
async fn a_backend_without_a_ledger_is_never_asked_for_a_balance(backend: Backend) {
    let s = setup(backend).await;
    let voucher = s.cat.voucher(&s.app, "Coins here", json!({ "coinCost": 5 })).await;
    s.ledger.fund("kim", 1234);
    let (_, session) = s.app.me(&s.partner.jwt("kim"), Method::POST, "/me/session", None).await;
    let cookie = format!("tessera_session={}", session["sessionToken"].as_str().unwrap());
    let page = wallet_page(&s, &cookie).await;
    assert!(page.contains("1,234 coins"), "{page}");
    assert_eq!(s.ledger.balance_calls(), 1);

    let set = s
        .app
        .admin_ok(Method::PUT, "/admin/partners/coins/integration", Some(json!({ "baseUrl": s.ledger.base, "coinsLedger": false })))
        .await;
    s.ledger.set_secret(set["secret"].as_str().unwrap());
    let view = s.app.admin_ok(Method::GET, "/admin/partners/coins", None).await;
    assert_eq!(view["coinsLedger"], false, "{view}");
    let page = wallet_page(&s, &cookie).await;
    assert!(!page.contains("coin-balance"), "{page}");
    assert_eq!(s.ledger.balance_calls(), 1, "no balance call for a backend without a ledger");
    let (status, body) = claim(&s, "kim", &voucher).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_IMPLEMENTED, "coins_unavailable"));
    assert_eq!(s.ledger.debit_calls(), 0);
}

async fn coins_are_debited_then_the_claim_commits(backend: Backend) {
    let s = setup(backend).await;
    let voucher = s.cat.voucher(&s.app, "{b}Coffee{/b} for coins", json!({ "coinCost": 30 })).await;
    s.ledger.fund("ana", 100);
    let (status, body) = claim(&s, "ana", &voucher).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(s.ledger.balance("ana"), 70);
    assert_eq!(s.ledger.debit_calls(), 1);
    assert_eq!(debit_states(&s).await, vec![("claimed".to_string(), 0)]);
    // Claiming again answers the same claim and debits nothing more.
    let (again, _) = claim(&s, "ana", &voucher).await;
    assert_eq!(again, StatusCode::OK);
    assert_eq!(s.ledger.debit_calls(), 1);
    assert_eq!(s.ledger.book.lock().unwrap().bad_secret_calls, 0, "every call carries X-Tessera-Secret");
    // The voucher shows its cost.
    let (_, v) = s.app.me(&s.partner.jwt("ana"), Method::GET, &format!("/me/vouchers/{voucher}"), None).await;
    assert_eq!(v["coinCost"], 30);
}

async fn an_insufficient_balance_is_402_and_takes_nothing(backend: Backend) {
    let s = setup(backend).await;
    let voucher = s.cat.voucher(&s.app, "Dear", json!({ "coinCost": 500 })).await;
    s.ledger.fund("ben", 100);
    let (status, body) = claim(&s, "ben", &voucher).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(error_code(&body), "insufficient_coins");
    assert_eq!(body["error"]["details"]["cost"], 500);
    assert_eq!(wallet_len(&s, "ben").await, 0);
    assert_eq!(s.ledger.balance("ben"), 100);
    assert_eq!(debit_states(&s).await, vec![("refused".to_string(), 0)]);
    job_passes(&s.app, "coin_reversals").await;
    assert!(s.ledger.reverse_calls().is_empty(), "a refused debit is not reversed");
    // Another refusal of the ledger (404: no such user) is 502, nothing taken.
    s.ledger.inject("debit", vec![Fault::Status(404)]);
    let (status, body) = claim(&s, "ben", &voucher).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_GATEWAY, "ledger_refused"));
}

async fn an_unknown_debit_outcome_is_reversed(backend: Backend) {
    let s = setup(backend).await;
    let voucher = s.cat.voucher(&s.app, "Unknown", json!({ "coinCost": 10, "perUserLimit": 5 })).await;
    s.ledger.fund("cai", 100);
    // Timed out (the ledger debited after Tessera stopped waiting), a 500
    // (it debited and failed to say so), and an answer that is not JSON.
    for f in [Fault::Slow(TOO_SLOW), Fault::Status(500), Fault::NotJson] {
        s.ledger.inject("debit", vec![f.clone()]);
        let (status, body) = claim(&s, "cai", &voucher).await;
        assert_eq!((status, error_code(&body)), (StatusCode::SERVICE_UNAVAILABLE, "ledger_unavailable"), "{f:?}: {body}");
        assert_eq!(wallet_len(&s, "cai").await, 0, "{f:?}");
        s.ledger
            .wait_for(Duration::from_secs(15), &format!("the coins given back after {f:?}"), |b| {
                b.balances["cai"] == 100 && b.debits.values().all(|(_, _, reversed)| *reversed)
            })
            .await;
    }
    let calls = s.ledger.reverse_calls();
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c["userId"] == "cai" && c["amount"] == 10 && c["referenceId"].is_string()), "{calls:?}");
    let states = debit_states(&s).await;
    assert!(states.iter().all(|(state, _)| state == "reversed"), "{states:?}");
}

async fn a_failing_reversal_is_retried_until_it_succeeds(backend: Backend) {
    let s = setup(backend).await;
    let voucher = s.cat.voucher(&s.app, "Retry", json!({ "coinCost": 25 })).await;
    s.ledger.fund("dee", 100);
    s.ledger.inject("debit", vec![Fault::Status(503)]);
    s.ledger.inject("reverse", vec![Fault::Status(500), Fault::Slow(TOO_SLOW)]);
    let (status, _) = claim(&s, "dee", &voucher).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    // 500, then a timeout, then success: three calls, coins back once.
    s.ledger.wait_for(Duration::from_secs(30), "the third reversal call", |b| b.reverse_calls.len() >= 3 && b.balances["dee"] == 100).await;
    job_passes(&s.app, "coin_reversals").await;
    assert_eq!(s.ledger.balance("dee"), 100);
    assert_eq!(s.ledger.reverse_calls().len(), 3, "no more calls once reversed");
    assert_eq!(debit_states(&s).await, vec![("reversed".to_string(), 3)]);
}

async fn a_claim_that_fails_after_the_debit_gives_the_coins_back(backend: Backend) {
    let s = setup(backend).await;
    // One unit left and two users paying for it at once: both debits may go
    // through; the claim that loses the stock gives its coins back.
    let voucher = s.cat.voucher(&s.app, "Last one", json!({ "coinCost": 40, "totalStock": 1 })).await;
    s.ledger.fund("eve", 100);
    s.ledger.fund("fay", 100);
    let (a, b) = tokio::join!(claim(&s, "eve", &voucher), claim(&s, "fay", &voucher));
    let mut statuses = vec![a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::CREATED, StatusCode::CONFLICT], "{a:?} {b:?}");
    s.ledger.wait_for(Duration::from_secs(10), "the loser's coins back", |b| b.balances["eve"] + b.balances["fay"] == 160).await;
    let winner = if a.0 == StatusCode::CREATED { "eve" } else { "fay" };
    assert_eq!(s.ledger.balance(winner), 60);
}

async fn a_crash_between_debit_and_reversal_still_reverses(backend: Backend) {
    // This server waits for the ledger as long as production does, so it is
    // still waiting when it is killed.
    let s = setup_with(backend, PATIENT).await;
    let voucher = s.cat.voucher(&s.app, "Crash", json!({ "coinCost": 15 })).await;
    s.ledger.fund("gus", 100);
    // The ledger books the debit, then takes 3 s to answer; Tessera is killed
    // as soon as the debit is booked, so its outcome is never recorded.
    s.ledger.inject("debit", vec![Fault::Slow(Duration::from_secs(3))]);
    let token = s.partner.jwt("gus");
    let request = s.app.request(Method::POST, "/me/claims").bearer_auth(&token).json(&json!({ "voucherId": voucher })).send();
    let crashed = tokio::spawn(request);
    s.ledger.wait_for(Duration::from_secs(10), "the debit booked at the ledger", |b| b.debit_calls == 1).await;
    let Setup { app, ledger, .. } = s;
    let db = app.kill().await;
    assert!(crashed.await.unwrap().is_err(), "the claim's connection died with the server");
    assert_eq!(ledger.balance("gus"), 85, "the debit landed");
    // Back up: the debit has no outcome; after coins_unknown_after (3 s) it is reversed.
    let app = TestServer::spawn_on(db, ENV).await;
    ledger.wait_for(Duration::from_secs(20), "the coins given back after the restart", |b| b.balances["gus"] == 100).await;
    let pool = app.db.pool().await;
    let states: Vec<(String,)> = sqlx::query_as("SELECT state FROM coin_debits").fetch_all(&pool).await.unwrap();
    assert_eq!(states, vec![("reversed".to_string(),)]);
}

async fn one_claim_never_debits_twice(backend: Backend) {
    let s = setup(backend).await;
    let voucher = s.cat.voucher(&s.app, "Double tap", json!({ "coinCost": 5 })).await;
    s.ledger.fund("hal", 100);
    s.ledger.inject("debit", vec![Fault::Slow(Duration::from_millis(500))]);
    let token = s.partner.jwt("hal");
    let mut taps = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = s.app.request(Method::POST, "/me/claims").bearer_auth(&token).json(&json!({ "voucherId": voucher }));
        taps.spawn(async move {
            let answer = request.send().await.unwrap();
            let status = answer.status();
            (status, answer.json::<serde_json::Value>().await.unwrap_or_default())
        });
    }
    let answers = taps.join_all().await;
    let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(st, b)| *st == StatusCode::CREATED || *st == StatusCode::OK || error_code(b) == "conflict"),
        "{answers:?}"
    );
    assert_eq!(s.ledger.debit_calls(), 1);
    assert_eq!(s.ledger.balance("hal"), 95);
    assert_eq!(wallet_len(&s, "hal").await, 1);
}

async fn without_a_ledger_a_coin_voucher_is_501(backend: Backend) {
    let s = setup(backend).await;
    let voucher = s.cat.voucher(&s.app, "No ledger", json!({ "coinCost": 5 })).await;
    s.app.admin_ok(Method::PUT, "/admin/partners/coins/integration", Some(json!({ "baseUrl": null }))).await;
    let (status, body) = claim(&s, "ivy", &voucher).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_IMPLEMENTED, "coins_unavailable"));
    // A partner issuing it pays nothing: no ledger needed.
    let (status, body) = s.app.partner(&s.partner, Method::POST, "/integrations/users", Some(&json!({ "externalUserId": "ivy" }))).await;
    assert!(status.is_success(), "{body}");
    let (status, body) =
        s.app.partner(&s.partner, Method::POST, "/integrations/users/ivy/vouchers", Some(&json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for bad in ["ftp://x", "https://user:pw@ledger.example.com"] {
        let (status, body) = s.app.admin(Method::PUT, "/admin/partners/coins/integration", Some(json!({ "baseUrl": bad }))).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{bad}: {body}");
    }
}
