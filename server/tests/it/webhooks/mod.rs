//! Webhooks (SPEC §5), by subject: [`signing`], [`retries`], [`durability`]
//! and several [`instances`]. What they share is here.

mod durability;
mod instances;
mod plans;
mod profiles;
mod retries;
mod signing;

use crate::support::{
    Backend, TestDb, TestServer,
    api::{Catalog, OPERATOR_TOKEN, PartnerCreds},
    error_code, eventually, metric,
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

/// Waits until every event was turned into deliveries and every delivery was
/// decided (delivered, or failed for good), with none leased: nothing more can
/// be sent, so what a receiver has now is all it will ever get. The proof of
/// an absence ("nothing twice", "nothing to a disabled endpoint") instead of a
/// sleep.
async fn settled(db: &TestDb) {
    let pool = db.pool().await;
    eventually(Duration::from_secs(30), "every event dispatched and every delivery decided", || async {
        let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events WHERE seq IS NULL").fetch_one(&pool).await.unwrap();
        let (open,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending' OR lease_until > 0")
            .fetch_one(&pool)
            .await
            .unwrap();
        if events == 0 && open == 0 {
            Ok(())
        } else {
            Err(format!("{events} events not yet sequenced (nor dispatched), {open} deliveries open"))
        }
    })
    .await;
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

fn tessera_time(rfc3339: &str) -> i64 {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn tessera_core_now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap()
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
