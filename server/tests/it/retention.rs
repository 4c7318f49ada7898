//! Retention (issue 15): delivered events, their deliveries and attempts, ended
//! sessions, spent token cut-offs and settled coin debits go once old enough;
//! nothing undelivered ever does.

use crate::support::{
    Backend, TestServer,
    api::{Catalog, OPERATOR_TOKEN},
    eventually,
    receiver::Receiver,
    tessera_command,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(pool).await.unwrap();
    n
}

async fn old_delivered_events_go_and_undelivered_ones_stay(backend: Backend) {
    // The server itself keeps everything for 100 years, so only the `tessera prune`
    // below (default retention: 30 days) removes anything during the test.
    let app = TestServer::spawn_with(
        backend,
        &[
            ("TESSERA_OPERATOR_TOKEN", OPERATOR_TOKEN),
            ("TESSERA_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8"),
            ("TESSERA_WEBHOOK_RETRY_SCHEDULE", "200ms,200ms"),
            ("TESSERA_WEBHOOK_POLL_MILLIS", "50"),
            ("TESSERA_RETENTION_DAYS", "36500"),
        ],
    )
    .await;
    let hooks = Receiver::start().await;
    let (p, q) = (app.create_partner("kept-briefly").await, app.create_partner("unreachable").await);
    for (partner, url) in [(&p, hooks.url("ok")), (&q, "http://127.0.0.1:9/nobody-listens".to_string())] {
        let body = json!({ "url": url, "eventTypes": ["CLAIM_CREATED"] });
        let (status, created) = app.partner(partner, Method::POST, "/integrations/webhook-endpoints", Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let cat = Catalog::create(&app).await;
    let voucher = cat.voucher(&app, "Short-lived news", json!({})).await;
    for (partner, user) in [(&p, "a"), (&p, "b"), (&q, "c")] {
        let (status, c) = app.me(&partner.jwt(user), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
    }
    let (status, _) = app.me(&p.jwt("a"), Method::POST, "/me/session", None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.partner(&p, Method::POST, "/integrations/users/a/logout", None).await.0, StatusCode::NO_CONTENT);
    let pool = app.db.pool().await;
    let delivered = format!(
        "SELECT COUNT(*) FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
         WHERE d.partner_id = '{}' AND d.status = 'delivered' AND e.seq IS NOT NULL",
        p.id
    );
    eventually(Duration::from_secs(20), "kept-briefly's two claims delivered and sequenced", || async {
        let n = count(&pool, &delivered).await;
        if n == 2 { Ok(()) } else { Err(n) }
    })
    .await;
    let attempts_of_p = format!(
        "SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.partner_id = '{}'",
        p.id
    );
    assert_eq!(count(&pool, &attempts_of_p).await, 2);
    let undelivered = format!("SELECT COUNT(*) FROM webhook_deliveries WHERE partner_id = '{}' AND status <> 'delivered'", q.id);
    // Its claim came last: its event may be sequenced (and its delivery made) a batch later.
    eventually(Duration::from_secs(20), "the unreachable endpoint's delivery made, and not delivered", || async {
        let n = count(&pool, &undelivered).await;
        if n == 1 { Ok(()) } else { Err(n) }
    })
    .await;

    // Everything so far happened 31 days ago.
    for sql in [
        "UPDATE events SET created_at = created_at - $1",
        "UPDATE sessions SET expires_at = expires_at - $1, ended_at = ended_at - $1",
        "UPDATE token_cutoffs SET cutoff_ms = cutoff_ms - $1",
    ] {
        sqlx::query(sql).bind(31 * DAY_MS).execute(&pool).await.unwrap();
    }
    // Two coin debits from 401 days ago: one settled, one still being reversed.
    let (user_id,): (String,) =
        sqlx::query_as("SELECT id FROM users WHERE partner_id = $1 AND external_user_id = 'b'").bind(&p.id).fetch_one(&pool).await.unwrap();
    let long_ago = tessera_now_ms() - 401 * DAY_MS;
    for (id, state) in [("debit-settled", "claimed"), ("debit-reversing", "reversing")] {
        sqlx::query(
            "INSERT INTO coin_debits (id, partner_id, user_id, external_user_id, voucher_id, amount, state, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'b', $4, 10, $5, $6, $6, $6)",
        )
        .bind(id)
        .bind(&p.id)
        .bind(&user_id)
        .bind(&voucher)
        .bind(state)
        .bind(long_ago)
        .execute(&pool)
        .await
        .unwrap();
    }
    // And one event from today, the newest of the feed.
    let (status, _) = app.me(&p.jwt("d"), Method::POST, "/me/claims", Some(json!({ "voucherId": voucher }))).await;
    assert_eq!(status, StatusCode::CREATED);

    let out = tessera_command(&app.db, &["prune"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pruned: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(pruned["deliveries"], 2, "{pruned}");
    assert_eq!(pruned["attempts"], 2, "{pruned}");
    // kept-briefly's two claims and the old catalog events (MERCHANT_CREATED, …), none of them with a
    // delivery left undelivered; not the unreachable partner's claim, not today's.
    let old_events_left = count(&pool, &format!("SELECT COUNT(*) FROM events WHERE created_at < {}", tessera_now_ms() - 30 * DAY_MS)).await;
    assert_eq!(old_events_left, 1, "only the undelivered event is left of the old ones; pruned {pruned}");
    let kept: (String, String) = sqlx::query_as(
        "SELECT e.partner_id, d.status FROM events e JOIN webhook_deliveries d ON d.event_id = e.id WHERE e.created_at < $1",
    )
    .bind(tessera_now_ms() - 30 * DAY_MS)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept.0, q.id);
    assert!(pruned["events"].as_u64().unwrap() >= 2, "{pruned}");
    let old_attempts = format!(
        "SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
         JOIN events e ON e.id = d.event_id WHERE d.partner_id = '{}' AND e.created_at < {}",
        p.id,
        tessera_now_ms() - 30 * DAY_MS
    );
    assert_eq!(count(&pool, &old_attempts).await, 0);
    assert_eq!(pruned["sessions"], 1, "{pruned}");
    assert_eq!(pruned["tokenCutoffs"], 1, "{pruned}");
    assert_eq!(pruned["coinDebits"], 1, "{pruned}");
    let debits: Vec<(String,)> = sqlx::query_as("SELECT id FROM coin_debits").fetch_all(&pool).await.unwrap();
    assert_eq!(debits, vec![("debit-reversing".to_string(),)], "a reversal in flight is kept whatever its age");

    // The feed goes on from where it was: today's event is there, the pruned ones are not.
    let (status, feed) = app.partner(&p, Method::GET, "/integrations/events?type=CLAIM_CREATED", None).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let users: Vec<&str> = feed["items"].as_array().unwrap().iter().map(|e| e["data"]["externalUserId"].as_str().unwrap()).collect();
    assert_eq!(users, vec!["d"]);
    // Nothing more to do: a second run removes nothing.
    let again = tessera_command(&app.db, &["prune"]).output().await.unwrap();
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(again.as_object().unwrap().values().all(|n| n == 0), "{again}");

    // Once everything is old, the newest event still stays: feed positions go on from it.
    let (newest,): (String,) = sqlx::query_as("SELECT id FROM events ORDER BY seq DESC LIMIT 1").fetch_one(&pool).await.unwrap();
    eventually(Duration::from_secs(20), "today's claim delivered", || async {
        let n = count(&pool, &delivered).await;
        if n == 1 { Ok(()) } else { Err(n) }
    })
    .await;
    sqlx::query("UPDATE events SET created_at = created_at - $1").bind(31 * DAY_MS).execute(&pool).await.unwrap();
    let out = tessera_command(&app.db, &["prune"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let left: Vec<(String,)> = sqlx::query_as("SELECT id FROM events WHERE partner_id = $1").bind(&p.id).fetch_all(&pool).await.unwrap();
    assert!(left.contains(&(newest,)), "the newest event was pruned: {}", String::from_utf8_lossy(&out.stdout));
}

fn tessera_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

crate::backend_tests!(old_delivered_events_go_and_undelivered_ones_stay);
