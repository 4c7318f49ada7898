//! Several instances on one PostgreSQL (SQLite is one process's file): one
//! fan-out without doubles, a dead instance's deliveries sent by its peer,
//! leases that keep a slow delivery from going out twice.

use super::*;

/// PostgreSQL only: two instances on one database share the deliveries.
/// 12 000 fans: the fan-out job's batches and the deliveries are shared.
async fn two_instances_share_one_fan_out_without_doubles(backend: Backend) {
    const FANS: i64 = 12_000;
    // A timeout well above the receiver's delay: a retry after a slow moment on a busy machine
    // would be a legitimate duplicate (at least once), not the double this test looks for.
    // And the default lease (10 s, renewed while sending): on a machine starved by the rest of the
    // suite, a 3 s lease could lapse before a renewal got a connection (at least once allows that).
    let env = env_with(&[("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "10"), ("TESSERA_WEBHOOK_LEASE_SECONDS", "10")]);
    let first = TestServer::spawn_with(backend, &env).await;
    let second = TestServer::spawn_on(first.db.shared(), &env).await;
    let hooks = Receiver::start().await;
    let p = first.create_partner("acme").await;
    let cat = Catalog::create(&first).await;
    let e = endpoint(&first, &p, &hooks.url("fans"), json!({ "maxInFlight": 32 })).await;
    hooks.expect("fans", "tessera", e["secret"].as_str().unwrap());
    // Slow answers spread the work over both instances, and keep requests open long enough to count.
    hooks.delay("fans", Duration::from_millis(20));
    add_fans(&first.db, &p.id, &cat.merchant, FANS).await;
    assert_eq!(publish_to_fans(&first, &cat).await, FANS as u64);
    hooks.wait_for(Duration::from_secs(90), "every event", |got| got.len() >= FANS as usize).await;
    settled(&first.db).await;
    let (ids, arrivals) = hooks.distinct_ids();
    let pool = first.db.pool().await;
    let errors: Vec<(Option<String>, i64)> =
        sqlx::query_as("SELECT error, COUNT(*) FROM webhook_attempts GROUP BY error").fetch_all(&pool).await.unwrap();
    delivery_figures(
        "two instances share a fan-out",
        backend,
        FANS as usize,
        &hooks,
        &[("max_concurrent", hooks.max_open().to_string()), ("max_in_flight", "32".into())],
    );
    let troubles =
        |app: &TestServer| app.log().lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).take(20).collect::<Vec<_>>().join("\n");
    assert_eq!(
        (ids.len(), arrivals),
        (FANS as usize, FANS as usize),
        "an event was delivered twice, or lost; attempts by error: {errors:?}\nfirst: {}\nsecond: {}",
        troubles(&first),
        troubles(&second)
    );
    let by_instance: Vec<(String, i64)> =
        sqlx::query_as("SELECT instance, COUNT(*) FROM webhook_attempts GROUP BY instance").fetch_all(&pool).await.unwrap();
    assert_eq!(by_instance.len(), 2, "one instance did all the work: {by_instance:?}");
    assert!(hooks.max_open() <= 32, "{} requests open at once to an endpoint with maxInFlight 32", hooks.max_open());
    drop(second);
}

/// PostgreSQL only: a SIGKILLed instance's leases lapse in one lease period
/// (5 s by default, renewed while it lives), and its peer sends them.
async fn a_killed_instances_deliveries_are_sent_by_its_peer_within_fifteen_seconds(backend: Backend) {
    // The default lease; a timeout long enough that the killed instance's requests are still open.
    let env: Vec<_> =
        env_with(&[("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "30")]).into_iter().filter(|(k, _)| *k != "TESSERA_WEBHOOK_LEASE_SECONDS").collect();
    let first = TestServer::spawn_with(backend, &env).await;
    let hooks = Receiver::start().await;
    let p = first.create_partner("acme").await;
    let cat = Catalog::create(&first).await;
    let e = endpoint(&first, &p, &hooks.url("hold"), json!({ "maxInFlight": 8 })).await;
    hooks.expect("hold", "tessera", e["secret"].as_str().unwrap());
    hooks.delay("hold", Duration::from_secs(60));
    let voucher = cat.voucher(&first, "Coffee", json!({})).await;
    for i in 0..5 {
        claim(&first, &p, &format!("u{i}"), &voucher).await;
    }
    // All five in flight at the first instance (each request held open by the receiver).
    let pool = first.db.pool().await;
    eventually(Duration::from_secs(10), "five deliveries leased", || async {
        let (leased,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE lease_until > 0").fetch_one(&pool).await.unwrap();
        if leased == 5 { Ok(()) } else { Err(leased) }
    })
    .await;
    let db = first.kill().await;
    let killed = std::time::Instant::now();
    hooks.delay("hold", Duration::ZERO);
    let second = TestServer::spawn_on(db, &env).await;
    hooks
        .wait_for(Duration::from_secs(15), "the killed instance's deliveries, sent by its peer", |got| {
            got.iter().filter(|r| r.path == "hold").filter_map(|r| r.event["id"].as_str()).collect::<std::collections::HashSet<_>>().len()
                == 5
        })
        .await;
    delivery_figures(
        "instance SIGKILLed with deliveries in flight; its peer takes over",
        backend,
        5,
        &hooks,
        &[("recovery_s", format!("{:.1}", killed.elapsed().as_secs_f64()))],
    );
    drop(second);
}

/// PostgreSQL only: a receiver slower than the lease does not get a delivery
/// twice: the live instance renews its leases while it waits.
async fn a_receiver_slower_than_the_lease_gets_each_delivery_once(backend: Backend) {
    let env = env_with(&[("TESSERA_WEBHOOK_LEASE_SECONDS", "2"), ("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "10")]);
    let first = TestServer::spawn_with(backend, &env).await;
    let second = TestServer::spawn_on(first.db.shared(), &env).await;
    let hooks = Receiver::start().await;
    let p = first.create_partner("acme").await;
    let cat = Catalog::create(&first).await;
    let e = endpoint(&first, &p, &hooks.url("slow"), json!({ "maxInFlight": 32 })).await;
    hooks.expect("slow", "tessera", e["secret"].as_str().unwrap());
    hooks.delay("slow", Duration::from_secs(5));
    let voucher = cat.voucher(&first, "Coffee", json!({})).await;
    for i in 0..20 {
        claim(&first, &p, &format!("u{i}"), &voucher).await;
    }
    hooks.wait_for(Duration::from_secs(30), "every delivery", |got| got.len() >= 20).await;
    // Every delivery recorded and none leased: a peer that took a lapsed lease
    // has sent (and been answered) before it could record, so a double is in by now.
    settled(&first.db).await;
    let (ids, arrivals) = hooks.distinct_ids();
    delivery_figures(
        "receiver slower than the lease, two instances",
        backend,
        20,
        &hooks,
        &[("max_concurrent", hooks.max_open().to_string())],
    );
    assert_eq!((ids.len(), arrivals), (20, 20), "a delivery was sent twice while its receiver was slower than the lease");
    drop(second);
}

crate::postgres_tests!(
    two_instances_share_one_fan_out_without_doubles,
    a_killed_instances_deliveries_are_sent_by_its_peer_within_fifteen_seconds,
    a_receiver_slower_than_the_lease_gets_each_delivery_once,
);
