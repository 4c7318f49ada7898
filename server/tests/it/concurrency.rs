//! The guarantees under concurrent requests, on both engines: each test fires
//! many real HTTP requests at once and counts what the database kept.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, PartnerCreds},
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use tokio::task::JoinSet;

async fn count(app: &TestServer, sql: &'static str, id: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).bind(id).fetch_one(&app.db.pool().await).await.unwrap();
    n
}

/// Mints tokens and makes the users exist first, so the burst is all claims.
async fn users(app: &TestServer, p: &PartnerCreds, n: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let t = p.jwt(&format!("user-{i}"));
        assert_eq!(app.me(&t, Method::GET, "/me", None).await.0, StatusCode::OK);
        tokens.push(t);
    }
    tokens
}

async fn burst(app: &Arc<TestServer>, requests: Vec<(String, Method, String, serde_json::Value)>) -> Vec<(StatusCode, serde_json::Value)> {
    let mut set = JoinSet::new();
    for (token, method, path, body) in requests {
        let app = app.clone();
        set.spawn(async move { app.me(&token, method, &path, Some(body)).await });
    }
    let mut out = vec![];
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

fn statuses(results: &[(StatusCode, serde_json::Value)], status: StatusCode) -> usize {
    results.iter().filter(|(s, _)| *s == status).count()
}

async fn three_hundred_users_race_for_a_hundred_units(backend: Backend) {
    let app = Arc::new(TestServer::spawn_platform(backend).await);
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let v = cat.voucher(&app, "Flash sale", json!({ "totalStock": 100 })).await;
    let tokens = users(&app, &p, 300).await;
    let results =
        burst(&app, tokens.into_iter().map(|t| (t, Method::POST, "/me/claims".into(), json!({ "voucherId": v }))).collect()).await;
    assert_eq!(statuses(&results, StatusCode::CREATED), 100, "{:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
    assert_eq!(statuses(&results, StatusCode::CONFLICT), 200);
    assert!(results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).all(|(_, b)| b["error"]["code"] == "out_of_stock"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM claims WHERE voucher_id = $1", &v).await, 100);
    assert_eq!(count(&app, "SELECT claimed_count FROM vouchers WHERE id = $1", &v).await, 100);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM events WHERE type = 'CLAIM_CREATED' AND payload LIKE '%' || $1 || '%'", &v).await, 100);
}

async fn two_hundred_redemptions_of_one_claim_make_one(backend: Backend) {
    let app = Arc::new(TestServer::spawn_platform(backend).await);
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let v = cat.voucher(&app, "Once", json!({})).await;
    let token = p.jwt("solo");
    let (_, claim) = app.me(&token, Method::POST, "/me/claims", Some(json!({ "voucherId": v }))).await;
    let claim_id = claim["id"].as_str().unwrap().to_string();
    let body = json!({ "claimId": claim_id, "outletId": cat.outlet_no_gps, "location": null });
    let results = burst(&app, (0..200).map(|_| (token.clone(), Method::POST, "/me/redemptions".into(), body.clone())).collect()).await;
    assert_eq!(statuses(&results, StatusCode::CREATED), 1);
    assert_eq!(statuses(&results, StatusCode::CONFLICT), 199);
    assert!(results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).all(|(_, b)| b["error"]["code"] == "already_redeemed"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM redemptions WHERE claim_id = $1", &claim_id).await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM events WHERE type = 'REDEMPTION_CREATED' AND payload LIKE '%' || $1 || '%'", &v).await, 1);
}

async fn one_user_claiming_fifty_times_at_once_gets_one_claim(backend: Backend) {
    let app = Arc::new(TestServer::spawn_platform(backend).await);
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let v = cat.voucher(&app, "One each", json!({ "perUserLimit": 1, "totalStock": 10 })).await;
    let token = users(&app, &p, 1).await.remove(0);
    let results =
        burst(&app, (0..50).map(|_| (token.clone(), Method::POST, "/me/claims".into(), json!({ "voucherId": v }))).collect()).await;
    assert_eq!(statuses(&results, StatusCode::CREATED), 1);
    assert_eq!(statuses(&results, StatusCode::OK), 49, "the others answer the same claim");
    let ids: std::collections::HashSet<_> = results.iter().map(|(_, b)| b["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(count(&app, "SELECT claimed_count FROM vouchers WHERE id = $1", &v).await, 1, "stock taken once");
}

async fn pool_codes_are_each_dispensed_once(backend: Backend) {
    let app = Arc::new(TestServer::spawn_platform(backend).await);
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let v = cat.voucher(&app, "Pool", json!({ "codeSource": "pool" })).await;
    let codes: Vec<String> = (0..40).map(|i| format!("CODE-{i:03}")).collect();
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{v}/codes"), Some(json!({ "codes": codes }))).await;
    let tokens = users(&app, &p, 60).await;
    let results =
        burst(&app, tokens.iter().map(|t| (t.clone(), Method::POST, "/me/claims".into(), json!({ "voucherId": v }))).collect()).await;
    assert_eq!(statuses(&results, StatusCode::CREATED), 40);
    assert_eq!(statuses(&results, StatusCode::CONFLICT), 20);
    let claims: Vec<(String, String)> = results
        .iter()
        .zip(&tokens)
        .filter(|((s, _), _)| *s == StatusCode::CREATED)
        .map(|((_, b), t)| (t.clone(), b["id"].as_str().unwrap().to_string()))
        .collect();
    // Claims hold one user each: pair each token with its own claim again by asking.
    let mut redeem = vec![];
    for t in tokens.iter() {
        let (_, wallet) = app.me(t, Method::GET, "/me/claims", None).await;
        if let Some(c) = wallet.as_array().unwrap().first() {
            redeem.push((
                t.clone(),
                Method::POST,
                "/me/redemptions".to_string(),
                json!({ "claimId": c["id"], "outletId": cat.outlet_no_gps, "location": null }),
            ));
        }
    }
    assert_eq!(redeem.len(), claims.len());
    let results = burst(&app, redeem).await;
    let mut got: Vec<String> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::CREATED, "{b}");
            b["code"].as_str().unwrap().to_string()
        })
        .collect();
    got.sort();
    assert_eq!(got, codes, "every code exactly once");
}

crate::backend_tests!(
    three_hundred_users_race_for_a_hundred_units,
    two_hundred_redemptions_of_one_claim_make_one,
    one_user_claiming_fifty_times_at_once_gets_one_claim,
    pool_codes_are_each_dispensed_once,
    the_events_feed_never_skips_an_event_under_concurrent_writers,
);

/// One page of the feed after `cursor`, signed anew (the `limit` varies so two
/// polls in one second are different requests, not replays).
async fn feed_page(app: &TestServer, p: &PartnerCreds, cursor: Option<&str>, poll: usize) -> serde_json::Value {
    let limit = 250 + poll % 250;
    let path = match cursor {
        Some(c) => format!("/integrations/events?after={c}&limit={limit}"),
        None => format!("/integrations/events?limit={limit}"),
    };
    loop {
        let (status, body) = app.partner_raw(p, Method::GET, &path, vec![], crate::support::api::now_s(), &[]).await;
        if status == StatusCode::OK {
            return body;
        }
        assert_eq!(crate::support::error_code(&body), "signature_replayed", "{status}: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

async fn the_events_feed_never_skips_an_event_under_concurrent_writers(backend: Backend) {
    const WRITERS: usize = 24;
    const CLAIMS_EACH: usize = 40;
    let app = Arc::new(TestServer::spawn_platform(backend).await);
    let p = app.create_partner("feed").await;
    let cat = Catalog::create(&app).await;
    let v = cat.voucher(&app, "Everyone", json!({})).await;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The reader polls as fast as it can, keeping its cursor as a partner would.
    let reader = {
        let (app, p, done) = (app.clone(), p.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen: Vec<String> = Vec::new();
            let mut cursor: Option<String> = None;
            let mut poll = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let page = feed_page(&app, &p, cursor.as_deref(), poll).await;
                poll += 1;
                for e in page["items"].as_array().unwrap() {
                    seen.push(e["id"].as_str().unwrap().to_string());
                }
                if let Some(last) = seen.last() {
                    cursor = Some(last.clone());
                }
            }
            (seen, cursor, poll)
        })
    };
    let mut writers = JoinSet::new();
    for w in 0..WRITERS {
        let (app, p, v) = (app.clone(), p.clone(), v.clone());
        writers.spawn(async move {
            for i in 0..CLAIMS_EACH {
                let (status, body) =
                    app.me(&p.jwt(&format!("w{w}-u{i}")), Method::POST, "/me/claims", Some(json!({ "voucherId": v }))).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }
        });
    }
    while let Some(r) = writers.join_next().await {
        r.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut seen, mut cursor, polls) = reader.await.unwrap();
    // Every event is committed now: drain from the reader's cursor.
    let total = count(&app, "SELECT COUNT(*) FROM events WHERE partner_id = $1", &p.id).await as usize;
    assert!(total >= WRITERS * CLAIMS_EACH, "{total}");
    for poll in 0.. {
        let page = feed_page(&app, &p, cursor.as_deref(), polls + poll).await;
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        seen.extend(items.iter().map(|e| e["id"].as_str().unwrap().to_string()));
        cursor = seen.last().cloned();
        assert!(poll < 100, "the feed did not end");
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    crate::support::figures(
        "events feed read during 24 concurrent writers",
        backend,
        &[
            ("expected", total.to_string()),
            ("seen", unique.len().to_string()),
            ("duplicates", (seen.len() - unique.len()).to_string()),
            ("missed", (total.saturating_sub(unique.len())).to_string()),
            ("polls_during_writes", polls.to_string()),
        ],
    );
    assert_eq!(unique.len(), seen.len(), "the reader saw an event twice");
    assert_eq!(seen.len(), total, "the reader missed {} of {total} events ({polls} polls during the writes)", total - seen.len());
    // And in the feed's one order: what a reader starting afresh sees.
    let mut fresh: Vec<String> = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let page = feed_page(&app, &p, from.as_deref(), fresh.len()).await;
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        fresh.extend(items.iter().map(|e| e["id"].as_str().unwrap().to_string()));
        from = fresh.last().cloned();
    }
    assert_eq!(fresh, seen, "a reader polling during the writes saw another order than the feed's");
    assert!(polls > 5, "the reader barely ran ({polls} polls): the test proves nothing");
}

/// PostgreSQL restarted under claim load (the test's own cluster): while it is
/// down, claims are 503 `service_unavailable` with `Retry-After`, never 500;
/// every claim answered 201 is there afterwards, with its event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_under_claim_load_is_503_never_500() {
    if crate::support::postgres_skipped() {
        return;
    }
    let cluster = crate::support::cluster::Cluster::start();
    let app = Arc::new(
        TestServer::spawn_on(
            crate::support::TestDb::postgres_at(&cluster.url),
            &[("TESSERA_OPERATOR_TOKEN", crate::support::api::OPERATOR_TOKEN)],
        )
        .await,
    );
    let p = app.create_partner("restart").await;
    let cat = Catalog::create(&app).await;
    let v = cat.voucher(&app, "Everyone", json!({})).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let created_so_far = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut claimers = JoinSet::new();
    for w in 0..8 {
        let (app, p, v, stop, created_so_far) = (app.clone(), p.clone(), v.clone(), stop.clone(), created_so_far.clone());
        claimers.spawn(async move {
            let mut answers = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let res = app
                    .request(Method::POST, "/me/claims")
                    .bearer_auth(p.jwt(&format!("w{w}-u{i}")))
                    .json(&json!({ "voucherId": v }))
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                if status == StatusCode::CREATED {
                    created_so_far.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                let retry_after = res.headers().get("retry-after").is_some();
                let body: serde_json::Value = res.json().await.unwrap_or_default();
                answers.push((status, retry_after, body));
                i += 1;
            }
            answers
        });
    }
    let created_now = || created_so_far.load(std::sync::atomic::Ordering::SeqCst);
    // Under load before the restart...
    crate::support::eventually(std::time::Duration::from_secs(30), "claims created before the restart", || async {
        if created_now() >= 40 { Ok(()) } else { Err(created_now()) }
    })
    .await;
    let restart = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        cluster.restart();
        (cluster, started.elapsed())
    });
    let (cluster, took) = restart.await.unwrap();
    // ...and serving claims again after it, on the same pool.
    let before = created_now();
    crate::support::eventually(std::time::Duration::from_secs(30), "claims created again after the restart", || async {
        if created_now() >= before + 40 { Ok(()) } else { Err(created_now() - before) }
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut answers = Vec::new();
    while let Some(r) = claimers.join_next().await {
        answers.extend(r.unwrap());
    }
    let created: Vec<&serde_json::Value> = answers.iter().filter(|(s, _, _)| *s == StatusCode::CREATED).map(|(_, _, b)| b).collect();
    let unavailable = answers.iter().filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE).count();
    let others: Vec<_> = answers.iter().filter(|(s, _, _)| *s != StatusCode::CREATED && *s != StatusCode::SERVICE_UNAVAILABLE).collect();
    let failed = answers.iter().filter(|(s, _, _)| s.is_server_error() && *s != StatusCode::SERVICE_UNAVAILABLE).count();
    let mut lost = 0;
    {
        let pool = app.db.pool().await;
        for claim in &created {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM claims WHERE id = $1")
                .bind(claim["id"].as_str().unwrap())
                .fetch_one(&pool)
                .await
                .unwrap();
            lost += usize::from(n != 1);
        }
    }
    crate::support::figures(
        "PostgreSQL restarted (pg_ctl restart -m fast) under 8 claimers",
        Backend::Postgres,
        &[
            ("claims", answers.len().to_string()),
            ("created", created.len().to_string()),
            ("answered_503_retry_after", unavailable.to_string()),
            ("answered_500", failed.to_string()),
            ("lost", lost.to_string()),
            ("restart_s", format!("{:.2}", took.as_secs_f64())),
        ],
    );
    assert!(others.is_empty(), "answers other than 201 and 503: {others:?}");
    for (status, retry_after, body) in &answers {
        if *status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(*retry_after, "a 503 without Retry-After: {body}");
            assert_eq!(body["error"]["code"], "service_unavailable", "{body}");
        }
    }
    // Some claims went through after the restart: the server recovered by itself.
    assert!(created.len() > 20, "{} claims created", created.len());
    let pool = app.db.pool().await;
    for claim in &created {
        let id = claim["id"].as_str().unwrap();
        let (claims,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM claims WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
        let (events,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM events WHERE type = 'CLAIM_CREATED' AND payload LIKE '%' || $1 || '%'")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!((claims, events), (1, 1), "a 201 claim {id} is missing, or its event");
    }
    drop(pool);
    drop(app);
    drop(cluster);
}
