//! Webhooks (SPEC §5): every scheme signed and verified by an independent
//! receiver, retries, 410, a receiver that is down, crash safety, and two
//! instances sharing one PostgreSQL.

use crate::support::{
    Backend, TestDb, TestServer,
    api::{Catalog, OPERATOR_TOKEN, PartnerCreds},
    error_code,
    receiver::Receiver,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// The worker settings every webhook test runs with: loopback allowed, a
/// schedule in milliseconds instead of hours, quick polling.
const HOOK_ENV: &[(&str, &str)] = &[
    ("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN),
    ("TESSERA_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8"),
    ("TESSERA_WEBHOOK_RETRY_SCHEDULE", "200ms,200ms,200ms"),
    ("TESSERA_WEBHOOK_POLL_MILLIS", "50"),
    ("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "2"),
    ("TESSERA_WEBHOOK_LEASE_SECONDS", "3"),
];

fn env_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env: Vec<_> = HOOK_ENV.iter().copied().filter(|(k, _)| !extra.iter().any(|(e, _)| e == k)).collect();
    env.extend_from_slice(extra);
    env
}

async fn endpoint(app: &TestServer, p: &PartnerCreds, url: &str, body: Value) -> Value {
    let mut body = body;
    body["url"] = json!(url);
    let (status, created) = app.partner(p, Method::POST, "/integrations/webhook-endpoints", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn claim(app: &TestServer, p: &PartnerCreds, user: &str, voucher: &str) -> Value {
    let (status, c) = app.me(&p.jwt(user), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

async fn each_scheme_is_signed_verifiably_and_filtered_by_type(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[])).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    for scheme in ["tessera", "standard-webhooks", "hubble", "spaaza"] {
        let created = endpoint(&app, &p, &hooks.url(scheme), json!({ "scheme": scheme })).await;
        assert_eq!(created["scheme"], scheme);
        hooks.expect(scheme, scheme, created["secret"].as_str().unwrap());
    }
    let redemptions_only = endpoint(&app, &p, &hooks.url("filtered"), json!({ "eventTypes": ["REDEMPTION_CREATED"] })).await;
    hooks.expect("filtered", "tessera", redemptions_only["secret"].as_str().unwrap());

    let voucher = cat.voucher(&app, "{b}{r}RM38{/r}{/b} off", json!({ "codeSource": "static", "staticCode": "SECRET-CODE" })).await;
    let c = claim(&app, &p, "ana", &voucher).await;
    let (status, r) = app
        .me(&p.jwt("ana"), Method::POST, "/me/redemptions", Some(json!({ "claimId": c["id"], "outletId": cat.outlet, "location": null })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["code"], "SECRET-CODE");

    hooks.wait_for(Duration::from_secs(20), "two events at four endpoints and one at the filtered one", |got| got.len() >= 9).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = hooks.received();
    assert_eq!(got.len(), 9, "nothing more, nothing twice: {:?}", got.iter().map(|r| (&r.path, &r.event["type"])).collect::<Vec<_>>());
    for r in &got {
        assert_eq!(r.verified, Ok(()), "{} delivery did not verify", r.path);
        assert_eq!(r.headers["content-type"], "application/json");
        let e = &r.event;
        assert!(e["id"].as_str().is_some_and(|id| !id.is_empty()) && e["createdAt"].is_string(), "{e}");
        assert!(!String::from_utf8_lossy(&r.body).contains("SECRET-CODE"), "a redemption code leaked into {}", r.path);
        assert_eq!(e["data"]["voucherTitle"], "{b}{r}RM38{/r}{/b} off", "titles keep their markup");
        assert_eq!(e["data"]["externalUserId"], "ana");
    }
    let filtered: Vec<_> = got.iter().filter(|r| r.path == "filtered").collect();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].event["type"], "REDEMPTION_CREATED");
    assert_eq!(filtered[0].event["data"]["status"], "FLAGGED");
    assert_eq!(filtered[0].event["data"]["flagReason"], "gps_unavailable");
    let claim_event = got.iter().find(|r| r.path == "hubble" && r.event["type"] == "CLAIM_CREATED").unwrap();
    assert_eq!(claim_event.event["data"]["claimId"], c["id"]);
    // The same event has the same id at every endpoint.
    let ids: std::collections::HashSet<_> =
        got.iter().filter(|r| r.event["type"] == "CLAIM_CREATED").map(|r| r.event["id"].clone()).collect();
    assert_eq!(ids.len(), 1);

    // `tessera webhook verify` agrees with the receiver, and refuses a tampered body.
    for scheme in ["tessera", "standard-webhooks", "hubble", "spaaza"] {
        let r = got.iter().find(|r| r.path == scheme).unwrap();
        let secret = hooks.secret_of(scheme);
        let headers: Vec<String> = r
            .headers
            .iter()
            .filter(|(k, _)| k.as_str().starts_with("x-") || k.as_str().starts_with("webhook-"))
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect();
        assert!(verify_cli(scheme, &secret, &headers, &r.body).await.0, "{scheme}: the CLI refused a genuine delivery");
        let mut tampered = r.body.to_vec();
        tampered.extend_from_slice(b" ");
        let (ok, output) = verify_cli(scheme, &secret, &headers, &tampered).await;
        assert!(!ok && output.contains("not valid"), "{scheme}: the CLI accepted a tampered body: {output}");
    }

    // Rotation: while the old secret lasts, `tessera` carries two v1 entries
    // (new first) and a receiver holding either secret verifies.
    let (_, list) = app.partner(&p, Method::GET, "/integrations/webhook-endpoints", None).await;
    let tessera_id =
        list.as_array().unwrap().iter().find(|e| e["url"] == hooks.url("tessera").as_str()).unwrap()["id"].as_str().unwrap().to_string();
    let old_secret = hooks.secret_of("tessera");
    let (status, rotated) = app
        .partner(
            &p,
            Method::POST,
            &format!("/integrations/webhook-endpoints/{tessera_id}/rotate-secret"),
            Some(&json!({ "graceSeconds": 3600 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    hooks.expect("tessera", "tessera", &new_secret);
    claim(&app, &p, "ben", &voucher).await;
    hooks
        .wait_for(Duration::from_secs(20), "the delivery after rotation", |got| got.iter().filter(|r| r.path == "tessera").count() == 3)
        .await;
    let after = hooks.received().into_iter().filter(|r| r.path == "tessera").nth(2).unwrap();
    assert_eq!(after.verified, Ok(()), "the new secret does not verify");
    let header = after.headers["x-signature"].to_str().unwrap().to_string();
    assert_eq!(header.matches("v1=").count(), 2, "{header}");
    let sig = vec![format!("X-Signature: {header}")];
    assert!(verify_cli("tessera", &old_secret, &sig, &after.body).await.0, "the old secret no longer verifies during the grace period");
    assert!(verify_cli("tessera", &new_secret, &sig, &after.body).await.0);
}

/// Runs `tessera webhook verify`; returns success and what it printed.
async fn verify_cli(scheme: &str, secret: &str, headers: &[String], body: &[u8]) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(crate::support::tessera_bin());
    cmd.args(["webhook", "verify", "--scheme", scheme, "--secret", secret]);
    for h in headers {
        cmd.args(["--header", h]);
    }
    let mut child =
        cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(body).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

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
    let mut detail = Value::Null;
    for _ in 0..100 {
        let (status, d) = app.partner(&p, Method::GET, &format!("/integrations/events/{event_id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        detail = d;
        if detail["deliveries"][0]["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

fn tessera_time(rfc3339: &str) -> i64 {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
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

    let mut status_now = Value::Null;
    for _ in 0..100 {
        let (_, e) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}"), None).await;
        status_now = e;
        if status_now["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status_now["status"], "disabled", "{status_now}");
    assert_eq!(status_now["disabledReason"], "gone");
    // While disabled, new events are not sent; they fail, recoverable.
    claim(&app, &p, "ben", &voucher).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
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

fn tessera_core_now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap()
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
    let mut pending = Value::Null;
    for _ in 0..100 {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{endpoint_id}/deliveries"), None).await;
        pending = d;
        if pending.as_array().is_some_and(|d| d.len() == 3 && d.iter().all(|x| x["attempts"].as_i64() >= Some(1))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

async fn private_destinations_are_refused_unless_allowed(backend: Backend) {
    let app = TestServer::spawn_platform(backend).await; // no allow-list
    let p = app.create_partner("acme").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "not a url",
    ] {
        let (status, body) = app.partner(&p, Method::POST, "/integrations/webhook-endpoints", Some(&json!({ "url": url }))).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{url}: {body}");
    }
    let (status, body) = app
        .partner(
            &p,
            Method::POST,
            "/integrations/webhook-endpoints",
            Some(&json!({ "url": "https://hooks.example.com/x", "eventTypes": ["NOPE"] })),
        )
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{body}");
    for (field, value) in [("secret", json!("s".repeat(257))), ("description", json!("d".repeat(501)))] {
        let mut body = json!({ "url": "https://hooks.example.com/x" });
        body[field] = value;
        let (status, answer) = app.partner(&p, Method::POST, "/integrations/webhook-endpoints", Some(&body)).await;
        assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"), "{field}: {answer}");
        assert!(answer["error"]["details"]["fields"][field].is_string(), "{answer}");
    }
    let (status, body) = app
        .partner(
            &p,
            Method::POST,
            "/integrations/webhook-endpoints",
            Some(&json!({ "url": "https://hooks.example.com/x", "scheme": "md5" })),
        )
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"), "{body}");
    let (status, ok) = app
        .partner(
            &p,
            Method::POST,
            "/integrations/webhook-endpoints",
            Some(&json!({ "url": "https://hooks.example.com/x", "maxInFlight": 4 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ok}");
    assert!(ok["secret"].as_str().is_some_and(|s| s.starts_with("whk_")));
    // Secrets are never listed; other partners see nothing; the admin sees it.
    let (_, list) = app.partner(&p, Method::GET, "/integrations/webhook-endpoints", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none(), "{list}");
    let other = app.create_partner("other").await;
    let id = ok["id"].as_str().unwrap();
    let (status, _) = app.partner(&other, Method::GET, &format!("/integrations/webhook-endpoints/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.partner(&other, Method::DELETE, &format!("/integrations/webhook-endpoints/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin_view = app.admin_ok(Method::GET, &format!("/admin/webhook-endpoints/{id}"), None).await;
    assert_eq!(admin_view["maxInFlight"], 4);
    let rotated =
        app.admin_ok(Method::POST, &format!("/admin/webhook-endpoints/{id}/rotate-secret"), Some(json!({ "graceSeconds": 60 }))).await;
    assert!(rotated["secret"].as_str().is_some_and(|s| s != ok["secret"].as_str().unwrap()));
    assert!(rotated["previousSecretUntil"].is_string(), "{rotated}");
    let (status, _) = app.partner(&p, Method::DELETE, &format!("/integrations/webhook-endpoints/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// Adds `n` users of `partner` who favorited `merchant`, straight into the
/// database (arranging data at a scale the API would take minutes for).
async fn add_fans(db: &TestDb, partner: &str, merchant: &str, n: i64) {
    let pool = db.pool().await;
    let series = format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO users (id, partner_id, external_user_id, created_at, updated_at) \
         SELECT 'fan-' || i, '{partner}', 'fan-' || i, 0, 0 FROM s"
    )))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO favorites (user_id, merchant_id, created_at) SELECT 'fan-' || i, '{merchant}', 0 FROM s"
    )))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

async fn publish_to_fans(app: &TestServer, cat: &Catalog) -> u64 {
    let v =
        app.admin_ok(Method::POST, "/admin/vouchers", Some(json!({ "merchantId": cat.merchant, "title": "{b}New{/b} for fans" }))).await;
    let published = app.admin_ok(Method::POST, &format!("/admin/vouchers/{}/publish", v["id"].as_str().unwrap()), None).await;
    published["eventsEnqueued"].as_u64().unwrap()
}

async fn a_killed_server_delivers_every_event_after_restart(backend: Backend) {
    const FANS: i64 = 10_000;
    // The default lease (renewed while sending): the duplicates counted below must be only
    // what was in flight at the kill, not a lease that lapsed on a starved CI machine.
    let env = env_with(&[("TESSERA_WEBHOOK_LEASE_SECONDS", "10")]);
    let app = TestServer::spawn_with(backend, &env).await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("fans"), json!({ "maxInFlight": 64 })).await;
    hooks.expect("fans", "tessera", e["secret"].as_str().unwrap());
    add_fans(&app.db, &p.id, &cat.merchant, FANS).await;
    assert_eq!(publish_to_fans(&app, &cat).await, FANS as u64);

    hooks.wait_for(Duration::from_secs(60), "the fan-out to be under way", |got| got.len() >= 500).await;
    let db = app.kill().await;
    let (before, _) = hooks.distinct_ids();
    assert!(before.len() < FANS as usize, "the fan-out finished before the kill; nothing was tested");

    let restarted = std::time::Instant::now();
    let app = TestServer::spawn_on(db, &env).await;
    hooks
        .wait_for(Duration::from_secs(120), "every event after the restart", |got| {
            got.iter().filter_map(|r| r.event["id"].as_str()).collect::<std::collections::HashSet<_>>().len() >= FANS as usize
        })
        .await;
    let (ids, arrivals) = hooks.distinct_ids();
    assert_eq!(ids.len(), FANS as usize);
    // Duplicates only for what was in flight at the kill (at most the endpoint's 64 slots).
    let pool = app.db.pool().await;
    let errors: Vec<(Option<String>, i64)> =
        sqlx::query_as("SELECT error, COUNT(*) FROM webhook_attempts GROUP BY error").fetch_all(&pool).await.unwrap();
    delivery_figures(
        "server SIGKILLed mid fan-out, restarted",
        backend,
        FANS as usize,
        &hooks,
        &[
            ("delivered_before_kill", before.len().to_string()),
            ("all_delivered_after_restart_s", format!("{:.1}", restarted.elapsed().as_secs_f64())),
        ],
    );
    assert!(arrivals - ids.len() <= 64, "{} duplicates; attempts by error: {errors:?}", arrivals - ids.len());
    assert!(hooks.received().iter().all(|r| r.verified.is_ok() && r.event["type"] == "VOUCHER_PUBLISHED"));
    drop(app);
}

/// PostgreSQL only: two instances on one database share the deliveries.
async fn two_instances_share_one_fan_out_without_doubles(backend: Backend) {
    const FANS: i64 = 3_000;
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
    tokio::time::sleep(Duration::from_millis(500)).await;
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
    let mut now = Value::Null;
    for _ in 0..100 {
        let (_, e) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}"), None).await;
        now = e;
        if now["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((&now["status"], &now["disabledReason"]), (&json!("disabled"), &json!("failing")), "{now}");
    let attempts = hooks.count();
    assert!((2..=8).contains(&attempts), "{attempts} attempts before disabling");
    let (_, failed) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries?status=failed"), None).await;
    assert_eq!(failed.as_array().unwrap().len(), 1, "{failed}");
}

/// The delivery in flight outlasts the HTTP server's own draining by seconds
/// (no request is open), yet finishes within the grace period (20 s) and is recorded.
async fn shutdown_finishes_what_is_in_flight(backend: Backend) {
    let app =
        TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_TIMEOUT_SECONDS", "10"), ("TESSERA_WEBHOOK_LEASE_SECONDS", "30")]))
            .await;
    let hooks = Receiver::start().await;
    let p = app.create_partner("acme").await;
    let cat = Catalog::create(&app).await;
    let e = endpoint(&app, &p, &hooks.url("slow"), json!({})).await;
    hooks.expect("slow", "tessera", e["secret"].as_str().unwrap());
    hooks.delay("slow", Duration::from_millis(6500));
    let voucher = cat.voucher(&app, "Coffee", json!({})).await;
    claim(&app, &p, "ana", &voucher).await;
    // Wait until the delivery is in flight, then stop the server.
    let pool = app.db.pool().await;
    crate::support::eventually(Duration::from_secs(10), "the delivery in flight (leased)", || async {
        let (leased,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE lease_until > 0").fetch_one(&pool).await.unwrap();
        if leased == 1 { Ok(()) } else { Err(leased) }
    })
    .await;
    let status = app.terminate().await;
    assert!(status.success(), "{status:?}");
    let (state, attempts, lease): (String, i64, i64) =
        sqlx::query_as("SELECT status, attempts, lease_until FROM webhook_deliveries").fetch_one(&pool).await.unwrap();
    assert_eq!((state.as_str(), attempts, lease), ("delivered", 1, 0), "the in-flight delivery was not finished and recorded");
    assert_eq!(hooks.count(), 1);
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kept = endpoint(&app, &p, &hooks.url("kept"), json!({})).await;
    hooks.expect("kept", "tessera", kept["secret"].as_str().unwrap());
    claim(&app, &p, "ben", &voucher).await;
    let id = kept["id"].as_str().unwrap();
    let mut recorded = Value::Null;
    for _ in 0..100 {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries?status=delivered"), None).await;
        recorded = d;
        if recorded.as_array().is_some_and(|d| d.len() == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(recorded.as_array().map(Vec::len), Some(1), "the next delivery was not recorded: {recorded}");
    assert!(!app.log().contains("could not record"), "{}", app.log());
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
    let mut seen = Value::Null;
    for _ in 0..100 {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries"), None).await;
        seen = d;
        if seen[0]["attempts"].as_i64() >= Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen[0]["lastStatus"], Value::Null, "{seen}");
    assert!(seen[0]["lastError"].as_str().is_some_and(|e| e.contains("1 s") || e.contains("timed out")), "{seen}");
    // Once the receiver answers in time, the retry delivers it.
    hooks.delay("sleepy", Duration::ZERO);
    for _ in 0..100 {
        let (_, d) = app.partner(&p, Method::GET, &format!("/integrations/webhook-endpoints/{id}/deliveries"), None).await;
        seen = d;
        if seen[0]["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen[0]["status"], "delivered", "{seen}");
}

crate::backend_tests!(
    a_receiver_slower_than_the_timeout_fails_the_attempt,
    deleting_an_endpoint_mid_delivery_leaves_the_worker_working,
    catalog_events_reach_every_partner_and_a_slow_one_starves_nobody,
    an_endpoint_failing_past_the_limit_is_disabled,
    shutdown_finishes_what_is_in_flight,
    each_scheme_is_signed_verifiably_and_filtered_by_type,
    a_failing_receiver_is_retried_and_every_attempt_recorded,
    gone_disables_the_endpoint_until_enabled_and_recovered,
    a_receiver_that_is_down_loses_nothing,
    private_destinations_are_refused_unless_allowed,
    a_killed_server_delivers_every_event_after_restart,
    retry_after_delays_but_never_shortens_the_schedule,
    recover_requeues_deliveries_waiting_out_a_backoff,
);

// Several instances share one database only on PostgreSQL (SQLite is one process's file).
crate::postgres_tests!(
    two_instances_share_one_fan_out_without_doubles,
    a_killed_instances_deliveries_are_sent_by_its_peer_within_fifteen_seconds,
    a_receiver_slower_than_the_lease_gets_each_delivery_once,
);

/// A fault's figures for what a receiver got: expected, delivered, duplicates, lost, and `extra`.
fn delivery_figures(name: &str, backend: Backend, expected: usize, hooks: &Receiver, extra: &[(&str, String)]) {
    let (ids, arrivals) = hooks.distinct_ids();
    let mut all = vec![
        ("expected", expected.to_string()),
        ("delivered", ids.len().to_string()),
        ("duplicates", (arrivals - ids.len()).to_string()),
        ("lost", expected.saturating_sub(ids.len()).to_string()),
    ];
    all.extend(extra.iter().cloned());
    crate::support::figures(name, backend, &all);
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
    let mut queued = None;
    for _ in 0..50 {
        let (status, body) = app
            .partner(&p, Method::POST, &format!("/integrations/webhook-endpoints/{id}/recover"), Some(&json!({ "since": before })))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        queued = body["queued"].as_u64();
        if queued == Some(1) {
            break;
        }
        // The second failure may still be being recorded (then the delivery is in flight, left alone).
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(queued, Some(1), "the backed-off delivery was not re-queued");
    hooks.wait_for(Duration::from_secs(10), "the recovered delivery", |got| got.len() == 3).await;
}

/// PostgreSQL only: a SIGKILLed instance's leases lapse in one lease period
/// (10 s by default, renewed while it lives), and its peer sends them.
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
    for _ in 0..100 {
        let (leased,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE lease_until > 0").fetch_one(&pool).await.unwrap();
        if leased == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    // Long enough for a lapsed lease to have been taken by the peer.
    tokio::time::sleep(Duration::from_secs(4)).await;
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
