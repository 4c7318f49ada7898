//! Retries: the schedule, Retry-After, 410 Gone, a receiver that is down or
//! too slow, disabling an endpoint that keeps failing, recovering.

use super::*;

async fn a_failing_receiver_is_retried_and_every_attempt_recorded(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[])).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("flaky"), json!({})).await;
    hooks.expect("flaky", "tessera", e["secret"].as_str().unwrap());
    hooks.script("flaky", vec![(500, vec![]), (503, vec![("retry-after", "1".into())])]);
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    claim(&app, &p, "ana", &voucher).await;

    hooks.wait_for(Duration::from_secs(20), "three attempts", |got| got.len() >= 3).await;
    let got = hooks.received();
    assert!(got.iter().all(|r| r.event["id"] == got[0].event["id"]), "the id is stable across retries");
    let event_id = got[0].event["id"].as_str().unwrap().to_string();
    // The recorder writes right after the answer: wait for the third attempt's record.
    let detail = eventually(Duration::from_secs(5), "the delivery recorded as delivered", || async {
        let (status, d) = app.partner(&p, Method::GET, &format!("/integrations/events/{event_id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        let detail = d;
        if detail["deliveries"][0]["status"] == "delivered" { Ok(detail) } else { Err(detail) }
    })
    .await;
    let delivery = &detail["deliveries"][0];
    assert_eq!(delivery["status"], "delivered", "{detail}");
    assert_eq!(delivery["attempts"], 3);
    let log = delivery["attemptLog"].as_array().unwrap();
    let statuses: Vec<_> = log.iter().map(|a| a["statusCode"].as_i64().unwrap()).collect();
    assert_eq!(statuses, vec![200, 503, 500], "newest first");
    assert_eq!(log[2]["responseBody"], "answer 500");
    assert!(log.iter().all(|a| a["latencyMs"].as_i64().is_some()));
    // Retry-After: 1 s was honoured between the second and third attempts.
    let at = |i: usize| tessera_time(log[i]["attemptedAt"].as_str().unwrap());
    assert!(at(0) - at(1) >= 850, "Retry-After ignored: {} ms", at(0) - at(1));

    let metrics = app.get("/metrics").await.text().await.unwrap();
    let value = |name: &str| -> f64 {
        metrics.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().last()).and_then(|v| v.parse().ok()).unwrap_or(-1.0)
    };
    assert!(value("tessera_webhook_delivered_total") >= 1.0, "{metrics}");
    assert!(value("tessera_webhook_retried_total") >= 2.0, "{metrics}");
    assert!(value("tessera_webhook_queue_deliveries") >= 0.0, "{metrics}");

    // Another partner cannot see the event.
    let other = app.create_partner("other").await;
    let (status, body) = app.partner(&other, Method::GET, &format!("/integrations/events/{event_id}"), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    // Resend: delivered again, same id.
    let (status, body) = app.partner(&p, Method::POST, &format!("/integrations/events/{event_id}/resend"), None).await;
    assert_eq!((status, body["queued"].as_u64()), (StatusCode::ACCEPTED, Some(1)), "{body}");
    hooks.wait_for(Duration::from_secs(10), "the resent event", |got| got.len() >= 4).await;
    assert_eq!(hooks.received()[3].event["id"], event_id.as_str());
}

async fn gone_disables_the_endpoint_until_enabled_and_recovered(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[])).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("gone"), json!({})).await;
    let id = e["id"].as_str().unwrap().to_string();
    hooks.expect("gone", "tessera", e["secret"].as_str().unwrap());
    hooks.script("gone", vec![(410, vec![])]);
    let voucher = cat.voucher(&app, "Coffee", json!({ "perUserLimit": 5 })).await;
    let before = tessera_core_now();
    claim(&app, &p, "ana", &voucher).await;
    hooks.wait_for(Duration::from_secs(20), "the 410", |got| got.len() == 1).await;

    let status_now = eventually(Duration::from_secs(5), "the endpoint disabled as gone", || async {
        let (_, e) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}"), None).await;
        let status_now = e;
        if status_now["status"] == "disabled" { Ok(status_now) } else { Err(status_now) }
    })
    .await;
    assert_eq!(status_now["status"], "disabled", "{status_now}");
    assert_eq!(status_now["disabledReason"], "gone");
    // While disabled, new events are not sent; they fail, recoverable.
    claim(&app, &p, "ben", &voucher).await;
    settled(&app.db).await;
    assert_eq!(hooks.count(), 1, "a disabled endpoint got a delivery");
    let (status, body) =
        app.partner(&p, Method::POST, &format!("/integrations/webhook-endpoints/{id}/recover"), Some(&json!({ "since": before }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "endpoint_disabled"));
    let (status, failed) =
        app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries?status=failed"), None).await;
    assert_eq!((status, failed.as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "{failed}");

    let (status, enabled) = app.partner(&p, Method::POST, &format!("/integrations/webhook-endpoints/{id}/enable"), None).await;
    assert_eq!((status, &enabled["status"]), (StatusCode::OK, &json!("enabled")), "{enabled}");
    let (status, body) =
        app.partner(&p, Method::POST, &format!("/integrations/webhook-endpoints/{id}/recover"), Some(&json!({ "since": before }))).await;
    assert_eq!((status, body["queued"].as_u64()), (StatusCode::ACCEPTED, Some(2)), "{body}");
    hooks.wait_for(Duration::from_secs(20), "both events after recovery", |got| got.len() >= 3).await;
    let users: std::collections::HashSet<_> = hooks.received()[1..].iter().map(|r| r.event["data"]["externalUserId"].clone()).collect();
    assert_eq!(users, [json!("ana"), json!("ben")].into_iter().collect());
    let (status, body) = app
        .partner(&p, Method::POST, &format!("/integrations/webhook-endpoints/{id}/recover"), Some(&json!({ "since": "yesterday" })))
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
}

async fn a_receiver_that_is_down_loses_nothing(backend: Backend) {
    let app = TestServer::spawn_with(
        backend,
        &env_with(&[("TESSERA_WEBHOOK_RETRY_SCHEDULE", "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms")]),
    )
    .await;
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hooks/down");
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &url, json!({ "scheme": "standard-webhooks" })).await;
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    for user in ["u1", "u2", "u3"] {
        claim(&app, &p, user, &voucher).await;
    }
    // Wait until attempts failed for real.
    let endpoint_id = e["id"].as_str().unwrap();
    let pending = eventually(Duration::from_secs(5), "three failed attempts recorded", || async {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{endpoint_id}/deliveries"), None).await;
        let pending = d;
        if pending.as_array().is_some_and(|d| d.len() == 3 && d.iter().all(|x| x["attempts"].as_i64() >= Some(1))) {
            Ok(pending)
        } else {
            Err(pending)
        }
    })
    .await;
    let d = pending.as_array().unwrap();
    assert!(d.iter().all(|x| x["status"] == "pending" && x["lastStatus"].is_null()), "{pending}");
    assert!(d[0]["lastError"].as_str().is_some_and(|e| e.contains("connect")), "{pending}");

    let hooks = Receiver::start_at(port).await;
    let up = std::time::Instant::now();
    hooks.expect("down", "standard-webhooks", e["secret"].as_str().unwrap());
    hooks.wait_for(Duration::from_secs(20), "all three once the receiver is up", |got| got.len() >= 3).await;
    delivery_figures("receiver down, then up", backend, 3, &hooks, &[("recovery_s", format!("{:.1}", up.elapsed().as_secs_f64()))]);
    assert!(hooks.received().iter().all(|r| r.verified.is_ok()));
}

async fn an_endpoint_failing_past_the_limit_is_disabled(backend: Backend) {
    let app = TestServer::spawn_with(
        backend,
        &env_with(&[
            ("TESSERA_WEBHOOK_DISABLE_AFTER_SECONDS", "1"),
            ("TESSERA_WEBHOOK_RETRY_SCHEDULE", "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms"),
        ]),
    )
    .await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("broken"), json!({})).await;
    hooks.expect("broken", "tessera", e["secret"].as_str().unwrap());
    hooks.script("broken", (0..20).map(|_| (500, vec![])).collect());
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    claim(&app, &p, "ana", &voucher).await;
    let id = e["id"].as_str().unwrap();
    let now = eventually(Duration::from_secs(10), "the endpoint disabled as failing", || async {
        let (_, e) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}"), None).await;
        let now = e;
        if now["status"] == "disabled" { Ok(now) } else { Err(now) }
    })
    .await;
    assert_eq!((&now["status"], &now["disabledReason"]), (&json!("disabled"), &json!("failing")), "{now}");
    let attempts = hooks.count();
    assert!((2..=8).contains(&attempts), "{attempts} attempts before disabling");
    let (_, failed) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries?status=failed"), None).await;
    assert_eq!(failed.as_array().unwrap().len(), 1, "{failed}");
}

async fn a_receiver_slower_than_the_timeout_fails_the_attempt(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "1")])).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("sleepy"), json!({})).await;
    hooks.expect("sleepy", "tessera", e["secret"].as_str().unwrap());
    hooks.delay("sleepy", Duration::from_millis(2500));
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    claim(&app, &p, "ana", &voucher).await;
    let id = e["id"].as_str().unwrap();
    let seen = eventually(Duration::from_secs(5), "the timed-out attempt recorded", || async {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries"), None).await;
        let seen = d;
        if seen[0]["attempts"].as_i64() >= Some(1) { Ok(seen) } else { Err(seen) }
    })
    .await;
    assert_eq!(seen[0]["lastStatus"], Value::Null, "{seen}");
    assert!(seen[0]["lastError"].as_str().is_some_and(|e| e.contains("1 s") || e.contains("timed out")), "{seen}");
    // Once the receiver answers in time, the retry delivers it.
    hooks.delay("sleepy", Duration::ZERO);
    eventually(Duration::from_secs(5), "the retry delivered", || async {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries"), None).await;
        if d[0]["status"] == "delivered" { Ok(()) } else { Err(d) }
    })
    .await;
}

/// The gaps between the arrivals at one path.
fn gaps(hooks: &Receiver, path: &str) -> Vec<Duration> {
    let at: Vec<std::time::Instant> = hooks.received().iter().filter(|r| r.path == path).map(|r| r.at).collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

async fn retry_after_delays_but_never_shortens_the_schedule(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_RETRY_SCHEDULE", "2s,2s,2s,2s,2s")])).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    for (path, asks, times) in [("short", "1", 4), ("long", "3", 3)] {
        let e = endpoint(&app, &p, &hooks.url(path), json!({ "eventTypes": ["CLAIM_CREATED"] })).await;
        hooks.expect(path, "tessera", e["secret"].as_str().unwrap());
        hooks.script(path, (0..times).map(|_| (503, vec![("retry-after", asks.to_string())])).collect());
    }
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    claim(&app, &p, "ana", &voucher).await;
    hooks
        .wait_for(Duration::from_secs(40), "both endpoints to take the event", |got| {
            got.iter().filter(|r| r.path == "short").count() == 5 && got.iter().filter(|r| r.path == "long").count() == 4
        })
        .await;
    // `Retry-After: 1` on a 2 s schedule: every retry still waits its scheduled ~2 s (was ~1 s, and
    // the five steps ran out in seconds), so four refusals in a row did not make the event fail.
    for gap in gaps(&hooks, "short") {
        assert!(gap >= Duration::from_millis(1_750), "a retry came {gap:?} after the last: the schedule was shortened");
    }
    // `Retry-After: 3`: never sooner than asked (jitter used to bring 10 % of them early).
    for gap in gaps(&hooks, "long") {
        assert!(gap >= Duration::from_millis(2_990), "a retry came {gap:?} after a Retry-After of 3 s");
    }
    let pool = app.db.pool().await;
    // The last answer was received; its outcome is recorded just after (not before) it.
    let undelivered = || async {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'").fetch_one(&pool).await.unwrap();
        n
    };
    let failed: i64 = crate::support::eventually(Duration::from_secs(10), "both deliveries recorded as delivered", || async {
        match undelivered().await {
            0 => Ok(0),
            n => Err(n),
        }
    })
    .await;
    let min_gap = |path| gaps(&hooks, path).into_iter().min().map_or("-".to_string(), |g| format!("{:.2}", g.as_secs_f64()));
    crate::support::figures(
        "receiver answering 503 with Retry-After",
        backend,
        &[
            ("expected", "2".into()),
            ("delivered", (2 - failed).to_string()),
            ("failed", failed.to_string()),
            ("min_gap_s_after_retry_after_1_on_2s_schedule", min_gap("short")),
            ("min_gap_s_after_retry_after_3", min_gap("long")),
        ],
    );
    assert_eq!(failed, 0);
}

async fn recover_requeues_deliveries_waiting_out_a_backoff(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_RETRY_SCHEDULE", "200ms,1h")])).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("down"), json!({})).await;
    let id = e["id"].as_str().unwrap().to_string();
    hooks.expect("down", "tessera", e["secret"].as_str().unwrap());
    hooks.script("down", vec![(500, vec![]), (500, vec![])]);
    let before = tessera_core_now();
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    claim(&app, &p, "ana", &voucher).await;
    hooks.wait_for(Duration::from_secs(20), "two failed attempts", |got| got.len() == 2).await;
    // Now the delivery waits an hour. Recovering since before the outage sends it now.
    // The second failure may still be being recorded (then the delivery is in flight, left alone).
    eventually(Duration::from_secs(5), "the backed-off delivery re-queued", || async {
        let (status, body) = app
            .partner(&p, Method::POST, &format!("/integrations/webhook-endpoints/{id}/recover"), Some(&json!({ "since": before })))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        if body["queued"].as_u64() == Some(1) { Ok(()) } else { Err(body) }
    })
    .await;
    hooks.wait_for(Duration::from_secs(10), "the recovered delivery", |got| got.len() == 3).await;
}

crate::backend_tests!(
    a_failing_receiver_is_retried_and_every_attempt_recorded,
    gone_disables_the_endpoint_until_enabled_and_recovered,
    a_receiver_that_is_down_loses_nothing,
    an_endpoint_failing_past_the_limit_is_disabled,
    a_receiver_slower_than_the_timeout_fails_the_attempt,
    retry_after_delays_but_never_shortens_the_schedule,
    recover_requeues_deliveries_waiting_out_a_backoff,
);
