//! The worker's statements read the queue through its index, not by scanning
//! or sorting the pending deliveries, at 100 000 pending and whatever the
//! table's statistics say: none yet, taken while nothing was pending (what
//! autovacuum does between two bursts), or fresh.

use super::*;
use tessera_core::{config::Backend as Engine, webhooks::queue};

/// Pending deliveries; `TESSERA_PLAN_ROWS` measures at another size (the
/// README's figures at 10 000, 100 000 and 1 000 000).
fn pending() -> i64 {
    std::env::var("TESSERA_PLAN_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

/// One statement to explain, with its parameters.
struct Statement {
    name: &'static str,
    sql: String,
    binds: Vec<Bind>,
}

enum Bind {
    Int(i64),
    Text(String),
}

fn statements(engine: Engine, endpoint: &str, now: i64) -> Vec<Statement> {
    let text = |s: &str| Bind::Text(s.to_string());
    let settle =
        json!([{ "id": "e1.x", "status": "delivered", "retry_step": 0, "next_attempt_at": now, "last_status": 204, "last_error": null }]);
    vec![
        Statement {
            name: "lease",
            sql: engine.lease_due_deliveries(),
            binds: vec![Bind::Int(now + 30_000), Bind::Int(now), text(endpoint), Bind::Int(256), text("plan-test"), Bind::Int(0)],
        },
        Statement { name: "in-flight count", sql: queue::IN_FLIGHT.into(), binds: vec![text(endpoint), Bind::Int(now)] },
        Statement { name: "lapsed leases", sql: queue::GIVE_BACK_LAPSED.into(), binds: vec![text(endpoint), Bind::Int(now)] },
        Statement { name: "due endpoints", sql: queue::DUE_TARGETS.into(), binds: vec![Bind::Int(now)] },
        Statement {
            name: "settle",
            sql: queue::settle_statement(engine),
            binds: vec![text("plan-test"), Bind::Int(now), Bind::Text(settle.to_string())],
        },
    ]
}

/// The plan's lines: PostgreSQL's EXPLAIN, SQLite's EXPLAIN QUERY PLAN details.
async fn plan(pool: &sqlx::AnyPool, engine: Engine, s: &Statement) -> Vec<String> {
    let explain = match engine {
        Engine::Postgres => format!("EXPLAIN {}", s.sql),
        Engine::Sqlite => format!("EXPLAIN QUERY PLAN {}", s.sql),
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(explain));
    for b in &s.binds {
        q = match b {
            Bind::Int(i) => q.bind(*i),
            Bind::Text(t) => q.bind(t.clone()),
        };
    }
    let rows = q.fetch_all(pool).await.unwrap_or_else(|e| panic!("{}: {e}", s.name));
    use sqlx::Row;
    rows.iter()
        .map(|r| match engine {
            Engine::Postgres => r.get::<String, _>(0),
            Engine::Sqlite => r.get::<String, _>(3),
        })
        .collect()
}

/// What may not be in a plan of the worker's: a read of every pending
/// delivery, or a sort of them.
fn check(engine: Engine, stats: &str, s: &Statement, lines: &[String]) {
    let whole = lines.join("\n");
    let bad: Vec<&String> = lines
        .iter()
        .filter(|l| match engine {
            Engine::Postgres => {
                let node = l.trim_start().trim_start_matches("->").trim_start();
                node.starts_with("Seq Scan on webhook_deliveries") || node.starts_with("Sort ") || node.starts_with("Incremental Sort ")
            }
            // A SCAN of the table itself (not of json_each, not a SCAN of `w` endpoints), or a sort.
            Engine::Sqlite => l.starts_with("SCAN webhook_deliveries") || l.starts_with("SCAN d") || l.contains("TEMP B-TREE"),
        })
        .collect();
    assert!(bad.is_empty(), "{} ({stats}) reads or sorts the pending deliveries: {bad:?}\n{whole}", s.name);
    let uses_index = match s.name {
        "settle" => lines.iter().any(|l| l.contains("webhook_deliveries_pkey") || l.contains("sqlite_autoindex_webhook_deliveries_1")),
        _ => lines.iter().any(|l| l.contains("webhook_deliveries_ready")),
    };
    assert!(uses_index, "{} ({stats}) does not use its index:\n{whole}", s.name);
}

/// PostgreSQL: a lease of 256 and their settling run for real (`EXPLAIN
/// (ANALYZE, BUFFERS)`, rolled back), their time and buffers printed.
async fn measure(pool: &sqlx::AnyPool, endpoint: &str, now: i64, stats: &str) {
    use sqlx::Row;
    let mut tx = pool.begin().await.unwrap();
    let mut figures = vec![("pending", pending().to_string())];
    let settle: Vec<Value> = (1..=256)
        .map(|i| json!({ "id": format!("e{i}.x"), "status": "delivered", "retry_step": 0, "next_attempt_at": now, "last_status": 204, "last_error": null }))
        .collect();
    for s in statements(Engine::Postgres, endpoint, now).into_iter().filter(|s| s.name == "lease" || s.name == "settle") {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, BUFFERS) {}", s.sql)));
        for (i, b) in s.binds.iter().enumerate() {
            q = match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Text(_) if s.name == "settle" && i == 2 => q.bind(Value::Array(settle.clone()).to_string()),
                Bind::Text(t) => q.bind(t.clone()),
            };
        }
        let lines: Vec<String> = q.fetch_all(&mut *tx).await.unwrap().iter().map(|r| r.get::<String, _>(0)).collect();
        let time = lines.iter().find_map(|l| l.strip_prefix("Execution Time: ")).unwrap_or("?").to_string();
        let buffers = lines.iter().find_map(|l| l.trim().strip_prefix("Buffers: ")).unwrap_or("?").to_string();
        figures.push((s.name, format!("{time} ({buffers})")));
    }
    tx.rollback().await.unwrap();
    crate::support::figures(&format!("queue plans, {stats}"), Backend::Postgres, &figures);
}

async fn the_workers_statements_use_their_index_whatever_the_statistics(backend: Backend) {
    let app = TestServer::spawn_with(backend, &env_with(&[("TESSERA_WEBHOOK_WORKER", "false")])).await;
    let p = app.create_partner("acme").await;
    let e = endpoint(&app, &p, "http://127.0.0.1:9/hooks", json!({})).await;
    let endpoint_id = e["id"].as_str().unwrap().to_string();
    let pool = app.db.pool().await;
    let engine = match backend {
        Backend::Sqlite => Engine::Sqlite,
        Backend::Postgres => Engine::Postgres,
    };
    // 100 000 events and their deliveries, all due.
    let series = format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {})", pending());
    let partner = &p.id;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO events (id, partner_id, type, payload, created_at, seq) \
         SELECT 'e' || i, '{partner}', 'VOUCHER_PUBLISHED', '{{}}', 1, 1000000000 + i FROM s"
    )))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO webhook_deliveries (id, event_id, endpoint_id, partner_id, status, next_attempt_at, created_at, updated_at) \
         SELECT 'e' || i || '.x', 'e' || i, '{endpoint_id}', '{partner}', 'pending', 1, 1, 1 FROM s"
    )))
    .execute(&pool)
    .await
    .unwrap();
    let now = 10_000_000_000_000;
    let explain_all = |stats: &'static str| {
        let (pool, endpoint_id) = (pool.clone(), endpoint_id.clone());
        async move {
            for s in statements(engine, &endpoint_id, now) {
                let lines = plan(&pool, engine, &s).await;
                // Below 100 000 a scan can be the cheaper plan (PostgreSQL hashes a
                // 10 000-row table for the settle): smaller sizes are only measured.
                if pending() >= 100_000 {
                    check(engine, stats, &s, &lines);
                }
            }
            if engine == Engine::Postgres {
                measure(&pool, &endpoint_id, now, stats).await;
            }
        }
    };
    explain_all("no statistics taken").await;
    // Statistics taken while nothing was pending, then a burst of 100 000: the
    // case that flipped PostgreSQL's plans.
    sqlx::query("UPDATE webhook_deliveries SET status = 'delivered'").execute(&pool).await.unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    sqlx::query("UPDATE webhook_deliveries SET status = 'pending'").execute(&pool).await.unwrap();
    explain_all("statistics taken while the queue was empty").await;
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    explain_all("fresh statistics").await;
    drop(app);
}

crate::backend_tests!(the_workers_statements_use_their_index_whatever_the_statistics);
