//! `--fanout N,N,…`: webhook delivery at scale. For each size, N users who
//! favourited a fresh merchant are written straight into the database (the
//! set-up, like `pgbench -i`; nothing measured goes around the server), a
//! voucher of that merchant is published over HTTP, and a receiver here
//! verifies every signature and counts distinct event ids until all N came.
//! Printed per size: the publish call's latency, delivered/s from the publish
//! to the last delivery, and that rate as a share of the raw ceiling — signed
//! POSTs of the same size sent by this process, 64 at a time, to the same
//! receiver in the same run.

use crate::{Received, admin};
use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// Fans written per set-up transaction.
const SEED_CHUNK: usize = 50_000;

pub async fn run(client: &reqwest::Client, args: &Arc<crate::Args>, sizes: &[usize], database_url: &str) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let db = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(database_url).await.context("the bench's database connection")?;
    let sqlite = database_url.starts_with("sqlite:");
    let partner = admin(client, args, "/admin/partners", json!({ "name": "Fan-out bench" })).await?;
    let partner_id = partner["partnerId"].as_str().context("partnerId")?.to_string();
    let (url, seen, secret) = crate::receiving_endpoint(client, args, &partner_id, 256).await?;

    // The ceiling: this process signing and POSTing bodies of a delivery's size.
    let raw_total = sizes.iter().copied().max().unwrap_or(0).min(200_000);
    let ceiling = raw_posts(&url, &secret, raw_total, args.concurrency).await?;
    {
        let mut seen = seen.lock().unwrap();
        if seen.bad_signatures > 0 || seen.ids.len() != raw_total {
            bail!("the raw round: {} of {raw_total} arrived, {} bad signatures", seen.ids.len(), seen.bad_signatures);
        }
        *seen = Received::default();
    }
    println!("{:<10} raw          {raw_total} signed POSTs, {} at a time = {ceiling:.0}/s (the ceiling)", args.label, args.concurrency);

    let mut first_rate = None;
    for (round, &n) in sizes.iter().enumerate() {
        let merchant = admin(client, args, "/admin/merchants", json!({ "name": format!("Fan favourite {round}") })).await?;
        let merchant_id = merchant["id"].as_str().context("merchant id")?.to_string();
        let t = Instant::now();
        seed_fans(&db, sqlite, &partner_id, &merchant_id, &format!("fan{round}-"), n).await?;
        let seeded = t.elapsed();
        let voucher = admin(client, args, "/admin/vouchers", json!({ "merchantId": merchant_id, "title": "New for fans" })).await?;
        let started = Instant::now();
        let published =
            admin(client, args, &format!("/admin/vouchers/{}/publish", voucher["id"].as_str().context("voucher id")?), json!({})).await?;
        let publish = started.elapsed();
        let expected = published["eventsEnqueued"].as_u64().context("eventsEnqueued")? as usize;
        if expected != n {
            bail!("{expected} events for {n} fans");
        }
        let deadline = Instant::now() + Duration::from_secs(1800);
        loop {
            let done = seen.lock().unwrap().ids.len();
            if done >= expected {
                break;
            }
            if Instant::now() > deadline {
                bail!("{done} of {expected} delivered after 30 minutes");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut seen = seen.lock().unwrap();
        let took = seen.last.context("nothing delivered")?.duration_since(started);
        let rate = seen.ids.len() as f64 / took.as_secs_f64();
        let first = *first_rate.get_or_insert(rate);
        println!(
            "{:<10} fanout {n:>8}  publish call {:>6.0} ms; delivered and verified in {:>7.2} s = {rate:>6.0}/s = {:>5.1}% of the ceiling, {:>5.1}% of the first size's rate; bad signatures {} (set-up {:.1} s)",
            args.label,
            publish.as_secs_f64() * 1000.0,
            took.as_secs_f64(),
            100.0 * rate / ceiling,
            100.0 * rate / first,
            seen.bad_signatures,
            seeded.as_secs_f64(),
        );
        if seen.bad_signatures > 0 || seen.ids.len() != expected {
            bail!("{} distinct of {expected} events delivered, {} bad signatures", seen.ids.len(), seen.bad_signatures);
        }
        *seen = Received::default();
    }
    Ok(())
}

/// `n` users of the partner, each a fan of the merchant, in chunks.
async fn seed_fans(db: &sqlx::AnyPool, sqlite: bool, partner: &str, merchant: &str, prefix: &str, n: usize) -> anyhow::Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let numbers = if sqlite {
        "WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM s WHERE i < $2) SELECT $3 || printf('%08d', i) AS id FROM s"
    } else {
        "SELECT $3 || lpad(i::text, 8, '0') AS id FROM generate_series($1::bigint, $2::bigint) AS i"
    };
    for from in (0..n).step_by(SEED_CHUNK) {
        let to = (from + SEED_CHUNK).min(n) - 1;
        let mut tx = db.begin().await?;
        let users = format!(
            "INSERT INTO users (id, partner_id, external_user_id, first_name, created_at, updated_at) \
             SELECT n.id, $4, n.id, 'Fan', $5, $5 FROM ({numbers}) AS n"
        );
        sqlx::query(sqlx::AssertSqlSafe(users))
            .bind(from as i64)
            .bind(to as i64)
            .bind(prefix)
            .bind(partner)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let favourites = format!("INSERT INTO favorites (user_id, merchant_id, created_at) SELECT n.id, $4, $5 FROM ({numbers}) AS n");
        sqlx::query(sqlx::AssertSqlSafe(favourites))
            .bind(from as i64)
            .bind(to as i64)
            .bind(prefix)
            .bind(merchant)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// `total` envelopes signed as the `tessera` scheme signs them and POSTed,
/// `concurrency` at a time; answers POSTs/s (every one must be a 2xx).
async fn raw_posts(url: &str, secret: &str, total: usize, concurrency: usize) -> anyhow::Result<f64> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(Mutex::new(None::<String>));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, secret, next, failed) = (client.clone(), url.to_string(), secret.to_string(), next.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let body = envelope(i).to_string();
                let t = crate::now_s();
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
                mac.update(format!("{t}.").as_bytes());
                mac.update(body.as_bytes());
                let signature = format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()));
                let sent =
                    client.post(&url).header("content-type", "application/json").header("x-signature", signature).body(body).send().await;
                match sent {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => *failed.lock().unwrap() = Some(format!("HTTP {}", r.status())),
                    Err(e) => *failed.lock().unwrap() = Some(e.to_string()),
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    if let Some(e) = failed.lock().unwrap().take() {
        bail!("a raw POST failed: {e}");
    }
    Ok(rate)
}

/// A body the size and shape of a VOUCHER_PUBLISHED envelope.
fn envelope(i: usize) -> Value {
    json!({
        "id": format!("raw-{i:012x}"), "type": "VOUCHER_PUBLISHED", "createdAt": "2026-12-07T00:00:00.000Z",
        "data": { "userId": format!("0193a7c2-0000-7000-8000-{i:012x}"), "externalUserId": format!("fan0-{i:08}"),
          "voucherId": "0193a7c2-0000-7000-8000-000000000001", "voucherTitle": "New for fans",
          "merchantId": "0193a7c2-0000-7000-8000-000000000002", "merchantName": "Fan favourite 0", "valueType": null }
    })
}
