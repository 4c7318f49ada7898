//! Nothing lost to a crash, a shutdown or a deleted endpoint; catalog events
//! fanned out to every partner without one slow receiver starving the rest.

use super::*;

/// SIGKILL mid fan-out, at the scale the issue names: 100 000 fans (the
/// publish writes the first 1 000 events, the fan-out job the rest, 5 000 a
/// transaction, so the kill usually lands while the job is still writing) to
/// an endpoint with 256 slots (leases of up to 256, recorded in batches).
async fn a_killed_server_delivers_every_event_after_restart(backend: Backend) {
    const FANS: i64 = 100_000;
    const SLOTS: usize = 256;
    // The default lease (renewed while sending): the duplicates counted below must be only
    // what was in flight at the kill, not a lease that lapsed on a starved CI machine.
    let env = env_with(&[("TESSERA_WEBHOOK_LEASE_SECONDS", "10")]);
    let app = TestServer::spawn_with(backend, &env).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("fans"), json!({ "maxInFlight": SLOTS })).await;
    hooks.expect("fans", "tessera", e["secret"].as_str().unwrap());
    add_fans(&app.db, &p.id, &cat.merchant, FANS).await;
    assert_eq!(publish_to_fans(&app, &cat).await, FANS as u64);

    hooks.wait_for(Duration::from_secs(60), "the fan-out to be under way", |got| got.len() >= 500).await;
    let pool = app.db.pool().await;
    let (expanding,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fanout_jobs").fetch_one(&pool).await.unwrap();
    pool.close().await;
    let db = app.kill().await;
    let (before, _) = hooks.distinct_ids();
    assert!(before.len() < FANS as usize, "the fan-out finished before the kill; nothing was tested");

    let restarted = std::time::Instant::now();
    let app = TestServer::spawn_on(db, &env).await;
    hooks.wait_for_distinct(Duration::from_secs(420), "every event after the restart", FANS as usize).await;
    let (ids, arrivals) = hooks.distinct_ids();
    assert_eq!(ids.len(), FANS as usize);
    // Duplicates only for what was leased at the kill (see below),
    // and every fan's event written once, though the fan-out job may have been cut short.
    let pool = app.db.pool().await;
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events WHERE type = 'VOUCHER_PUBLISHED'").fetch_one(&pool).await.unwrap();
    assert_eq!(events, FANS);
    let errors: Vec<(Option<String>, i64)> =
        sqlx::query_as("SELECT error, COUNT(*) FROM webhook_attempts GROUP BY error").fetch_all(&pool).await.unwrap();
    delivery_figures(
        "server SIGKILLed mid fan-out, restarted",
        backend,
        FANS as usize,
        &hooks,
        &[
            ("delivered_before_kill", before.len().to_string()),
            ("fanout_job_still_writing_at_kill", expanding.to_string()),
            ("all_delivered_after_restart_s", format!("{:.1}", restarted.elapsed().as_secs_f64())),
        ],
    );
    // A lease is held until its answer is recorded, and a slot frees at the answer: at the
    // kill this instance held the 256 being sent plus the answers not yet recorded (about
    // one recorder batch), and those go out again.
    assert!(arrivals - ids.len() <= 2 * SLOTS, "{} duplicates; attempts by error: {errors:?}", arrivals - ids.len());
    assert!(hooks.received().iter().all(|r| r.verified.is_ok() && r.event["type"] == "VOUCHER_PUBLISHED"));
    drop(app);
}

async fn catalog_events_reach_every_partner_and_a_slow_one_starves_nobody(backend: Backend) {
    let app =
        TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "10"), ("TESSERA_WEBHOOK_LEASE_SECONDS", "20")]))
            .await;
    let hooks = Receiver::start().await;
    let (fast, slow) = (app.create_partner("fast").await, app.create_partner("slow").await);
    for (p, path) in [(&fast, "fast"), (&slow, "slow")] {
        let e = endpoint(&app, p, &hooks.url(path), json!({ "scheme": "hubble", "maxInFlight": 2 })).await;
        hooks.expect(path, "hubble", e["secret"].as_str().unwrap());
    }
    // The slow partner's receiver takes 2 s an answer; its two slots are all it holds.
    hooks.delay("slow", Duration::from_secs(2));
    let m = app.admin_ok(Method::POST, "/admin/merchants", Some(json!({ "name": "Kopi Kita" }))).await;
    let v = app.admin_ok(Method::POST, "/admin/vouchers", Some(json!({ "merchantId": m["id"], "title": "{s}RM10{/s} RM5" }))).await;
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{}/publish", v["id"].as_str().unwrap()), None).await;
    app.admin_ok(Method::POST, &format!("/admin/vouchers/{}/archive", v["id"].as_str().unwrap()), None).await;
    app.admin_ok(Method::POST, &format!("/admin/merchants/{}/disable", m["id"].as_str().unwrap()), None).await;
    for i in 0..5 {
        app.admin_ok(Method::POST, "/admin/merchants", Some(json!({ "name": format!("More {i}") }))).await;
    }
    // 8 events each: the fast partner has all of them long before the slow one can.
    let started = std::time::Instant::now();
    hooks.wait_for(Duration::from_secs(10), "the fast partner's events", |got| got.iter().filter(|r| r.path == "fast").count() == 8).await;
    assert!(started.elapsed() < Duration::from_secs(3), "the slow receiver held up the fast one: {:?}", started.elapsed());
    assert!(hooks.received().iter().filter(|r| r.path == "slow").count() <= 4);
    // No order is promised between concurrent deliveries: count by type.
    let count = |kind: &str| hooks.received().iter().filter(|r| r.path == "fast" && r.event["type"] == kind).count();
    assert_eq!((count("MERCHANT_CREATED"), count("VOUCHER_ARCHIVED"), count("MERCHANT_DISABLED")), (6, 1, 1));
    let archived = hooks.received().into_iter().find(|r| r.path == "fast" && r.event["type"] == "VOUCHER_ARCHIVED").unwrap();
    assert_eq!(archived.event["data"]["voucherTitle"], "{s}RM10{/s} RM5");
    hooks.wait_for(Duration::from_secs(30), "the slow partner's events", |got| got.iter().filter(|r| r.path == "slow").count() == 8).await;
    assert!(hooks.received().iter().all(|r| r.verified.is_ok()));
}

/// The delivery in flight outlasts the HTTP server's own draining by seconds
/// (no request is open), yet finishes within the grace period (20 s) and is recorded.
/// A shutdown with a whole lease batch in flight (256, the most an endpoint
/// has): every one finishes and is recorded within the grace period, and what
/// was not leased yet waits, not leased, for the next start.
async fn shutdown_finishes_what_is_in_flight(backend: Backend) {
    const FANS: i64 = 300;
    const SLOTS: i64 = 256;
    let app =
        TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "10"), ("TESSERA_WEBHOOK_LEASE_SECONDS", "30")]))
            .await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("slow"), json!({ "maxInFlight": SLOTS })).await;
    hooks.expect("slow", "tessera", e["secret"].as_str().unwrap());
    hooks.delay("slow", Duration::from_millis(4000));
    add_fans(&app.db, &p.id, &cat.merchant, FANS).await;
    assert_eq!(publish_to_fans(&app, &cat).await, FANS as u64);
    // Wait until a whole batch is in flight, then stop the server.
    let pool = app.db.pool().await;
    crate::support::eventually(Duration::from_secs(20), "256 deliveries in flight (leased)", || async {
        let (leased,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE lease_until > 0").fetch_one(&pool).await.unwrap();
        if leased == SLOTS { Ok(()) } else { Err(leased) }
    })
    .await;
    let status = app.terminate().await;
    assert!(status.success(), "{status:?}");
    let by_state: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*), CAST(SUM(attempts) AS BIGINT), MAX(lease_until) FROM webhook_deliveries GROUP BY status ORDER BY status",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        by_state,
        vec![("delivered".to_string(), SLOTS, SLOTS, 0), ("pending".to_string(), FANS - SLOTS, 0, 0)],
        "the in-flight deliveries were not all finished and recorded, or the rest not left waiting"
    );
    let (ids, arrivals) = hooks.distinct_ids();
    assert_eq!((ids.len(), arrivals), (SLOTS as usize, SLOTS as usize));
}

async fn deleting_an_endpoint_mid_delivery_leaves_the_worker_working(backend: Backend) {
    let app =
        TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "5"), ("TESSERA_WEBHOOK_LEASE_SECONDS", "30")]))
            .await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    // One in-flight delivery will succeed, the other fail (and so look up its endpoint's failure streak).
    let mut doomed = vec![];
    for (path, answer) in [("doomed", 200), ("doomed-failing", 500)] {
        let e = endpoint(&app, &p, &hooks.url(path), json!({})).await;
        hooks.expect(path, "tessera", e["secret"].as_str().unwrap());
        hooks.delay(path, Duration::from_millis(1500));
        hooks.script(path, vec![(answer, vec![])]);
        doomed.push(e["id"].as_str().unwrap().to_string());
    }
    let voucher = cat.voucher(&app, "Coffee", json!({ "perUserLimit": 3 })).await;
    claim(&app, &p, "ana", &voucher).await;
    let pool = app.db.pool().await;
    crate::support::eventually(Duration::from_secs(10), "both deliveries in flight (leased)", || async {
        let (leased,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE lease_until > 0").fetch_one(&pool).await.unwrap();
        if leased == 2 { Ok(()) } else { Err(leased) }
    })
    .await;
    for id in &doomed {
        let (status, _) = app.partner(&p, Method::DELETE, &format!("/integrations/webhook-endpoints/{id}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    // The in-flight deliveries end after their endpoints are gone; recording them must not wedge the worker.
    hooks
        .wait_for(Duration::from_secs(10), "the slow deliveries", |got| got.iter().filter(|r| r.path.starts_with("doomed")).count() == 2)
        .await;
    // Their outcomes recorded (counted even though the deliveries are gone), so the next one comes after.
    eventually(Duration::from_secs(10), "the slow deliveries' outcomes recorded", || async {
        let recorded = metric(&app, "tessera_webhook_delivered_total").await + metric(&app, "tessera_webhook_failed_total").await;
        if recorded >= 2.0 { Ok(()) } else { Err(recorded) }
    })
    .await;
    let kept = endpoint(&app, &p, &hooks.url("kept"), json!({})).await;
    hooks.expect("kept", "tessera", kept["secret"].as_str().unwrap());
    claim(&app, &p, "ben", &voucher).await;
    let id = kept["id"].as_str().unwrap();
    let recorded = eventually(Duration::from_secs(5), "the next delivery recorded", || async {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries?status=delivered"), None).await;
        let recorded = d;
        if recorded.as_array().is_some_and(|d| d.len() == 1) { Ok(recorded) } else { Err(recorded) }
    })
    .await;
    assert_eq!(recorded.as_array().map(Vec::len), Some(1), "the next delivery was not recorded: {recorded}");
    assert!(!app.log().contains("could not record"), "{}", app.log());
}

crate::backend_tests!(
    a_killed_server_delivers_every_event_after_restart,
    catalog_events_reach_every_partner_and_a_slow_one_starves_nobody,
    shutdown_finishes_what_is_in_flight,
    deleting_an_endpoint_mid_delivery_leaves_the_worker_working,
);
