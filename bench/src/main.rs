//! Drives a running tessera over HTTP: loads users and vouchers, then measures
//! `/healthz` (the HTTP ceiling on this machine), signed partner reads (each
//! one also records its signature against replays: a write per call) and
//! claim-then-redeem under
//! many concurrent connections. Prints requests/s and latency percentiles.
//! Then the webhook fan-out: every user favorites a merchant, a voucher of it
//! is published (one VOUCHER_PUBLISHED per user, enqueued in the publish
//! transaction), and a receiver here verifies and counts the deliveries.
//!
//! Run through `scripts/bench`, which starts the release server on SQLite and
//! on PostgreSQL.

use anyhow::{Context, bail};
use clap::Parser;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
mod fanout;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

#[derive(Parser)]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    base: String,
    /// The operator token the server was started with.
    #[arg(long)]
    operator_token: String,
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    #[arg(long, default_value_t = 1_000)]
    vouchers: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds of /healthz load.
    #[arg(long, default_value_t = 5)]
    healthz_seconds: u64,
    /// A label for the printed figures.
    #[arg(long, default_value = "")]
    label: String,
    /// Claims per second offered in the fixed-rate phase (0: skip it).
    #[arg(long, default_value_t = 3_000)]
    rate: usize,
    /// Seconds of the fixed-rate phase.
    #[arg(long, default_value_t = 3)]
    rate_seconds: usize,
    /// Only the webhook fan-out, at these sizes (e.g. 10000,100000,1000000):
    /// see `fanout`.
    #[arg(long, value_delimiter = ',')]
    fanout: Vec<usize>,
    /// The server's database, where `--fanout` writes its fans.
    #[arg(long)]
    database_url: Option<String>,
}

fn now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

struct Stats {
    name: String,
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: usize,
}

impl Stats {
    fn print(&mut self, label: &str) {
        self.latencies.sort();
        let n = self.latencies.len();
        let pct = |p: f64| self.latencies.get(((n as f64 * p) as usize).min(n.saturating_sub(1))).copied().unwrap_or_default();
        println!(
            "{label:<10} {:<10} {:>8} req {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
            self.name,
            n,
            n as f64 / self.elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1000.0,
            pct(0.99).as_secs_f64() * 1000.0,
            self.errors
        );
    }
}

async fn admin(client: &reqwest::Client, args: &Args, path: &str, body: Value) -> anyhow::Result<Value> {
    let res = client.post(format!("{}{path}", args.base)).bearer_auth(&args.operator_token).json(&body).send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() {
        bail!("POST {path}: {status} {body}");
    }
    Ok(body)
}

/// Paced (as wrk2 does it): `concurrency` connections share a fixed offered
/// rate; job `i` is due at `start + i / rate` and its latency counts from then,
/// so a slow answer that delays the next requests is charged to them too (no
/// coordinated omission). Answers the latency at that load, not at saturation.
async fn run_at_rate<F, Fut>(name: &str, total: usize, rate: usize, concurrency: usize, job: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let job = Arc::new(job);
    let start = tokio::time::Instant::now();
    let mut tasks = vec![];
    for w in 0..concurrency {
        let job = job.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors) = (vec![], 0);
            for i in (w..total).step_by(concurrency) {
                let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
                tokio::time::sleep_until(due).await;
                match job(i).await {
                    Ok(()) => {
                        let l = due.elapsed();
                        if std::env::var_os("BENCH_TRACE").is_some() && l > Duration::from_millis(30) {
                            eprintln!("slow at {:>7.1} ms: {:.1} ms", (due - start).as_secs_f64() * 1000.0, l.as_secs_f64() * 1000.0);
                        }
                        lat.push(l)
                    }
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("error: {e:#}");
                        }
                        errors += 1;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut stats = gather(name, tasks).await;
    stats.elapsed = start.elapsed();
    stats
}

/// Runs `total` jobs over `concurrency` workers; each job returns Ok(()) or an error.
async fn run<F, Fut>(name: &str, total: usize, concurrency: usize, job: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = vec![];
    for _ in 0..concurrency {
        let (job, next) = (job.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                match job(i).await {
                    Ok(()) => lat.push(t.elapsed()),
                    // A timed phase is over: this worker stops (not an error).
                    Err(e) if e.to_string() == "stop" => break,
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("error: {e:#}");
                        }
                        errors += 1;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut stats = gather(name, tasks).await;
    stats.elapsed = start.elapsed();
    stats
}

/// The workers' latencies and errors, once all have ended.
async fn gather(name: &str, tasks: Vec<tokio::task::JoinHandle<(Vec<Duration>, usize)>>) -> Stats {
    let mut stats = Stats { name: name.into(), latencies: vec![], elapsed: Duration::ZERO, errors: 0 };
    for t in tasks {
        let (lat, errors) = t.await.unwrap();
        stats.latencies.extend(lat);
        stats.errors += errors;
    }
    stats
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    if !args.fanout.is_empty() {
        let url = args.database_url.as_deref().context("--fanout needs --database-url")?;
        return fanout::run(&client, &args, &args.fanout, url).await;
    }

    // Load: a partner, a merchant with an outlet, vouchers, users.
    // A sandbox partner: its orders are paid through the built-in sandbox provider.
    let partner = admin(&client, &args, "/admin/partners", json!({ "name": "Bench", "sandbox": true })).await?;
    let partner_id = partner["partnerId"].as_str().context("partnerId")?.to_string();
    let api_secret = partner["apiSecret"].as_str().context("apiSecret")?.to_string();
    let jwt_secret = partner["jwtSecret"].as_str().context("jwtSecret")?.to_string();
    let merchant = admin(&client, &args, "/admin/merchants", json!({ "name": "Bench Cafe" })).await?;
    let merchant_id = merchant["id"].as_str().unwrap().to_string();
    let outlet = admin(
        &client,
        &args,
        &format!("/admin/merchants/{merchant_id}/outlets"),
        json!({ "name": "Main", "lat": 3.1579, "lng": 101.7123, "radiusM": 200 }),
    )
    .await?;
    let outlet_id = Arc::new(outlet["id"].as_str().unwrap().to_string());

    let t0 = Instant::now();
    let voucher_ids = Arc::new(std::sync::Mutex::new(vec![String::new(); args.vouchers]));
    let load = {
        let (client, args, merchant_id, voucher_ids) = (client.clone(), args.clone(), merchant_id.clone(), voucher_ids.clone());
        run("vouchers", args.vouchers, args.concurrency.min(16), move |i| {
            let (client, args, merchant_id, voucher_ids) = (client.clone(), args.clone(), merchant_id.clone(), voucher_ids.clone());
            async move {
                let v = admin(
                    &client,
                    &args,
                    "/admin/vouchers",
                    json!({ "merchantId": merchant_id, "title": format!("{{b}}Bench{{/b}} voucher {i}") }),
                )
                .await?;
                let id = v["id"].as_str().unwrap().to_string();
                admin(&client, &args, &format!("/admin/vouchers/{id}/publish"), json!({})).await?;
                voucher_ids.lock().unwrap()[i] = id;
                Ok(())
            }
        })
        .await
    };
    if load.errors > 0 {
        bail!("loading vouchers failed");
    }
    let users = {
        let (client, args, partner_id, api_secret) = (client.clone(), args.clone(), partner_id.clone(), api_secret.clone());
        run("users", args.users, args.concurrency, move |i| {
            let (client, args, partner_id, api_secret) = (client.clone(), args.clone(), partner_id.clone(), api_secret.clone());
            async move {
                let body = json!({ "externalUserId": format!("bench-{i}"), "firstName": "Bench" }).to_string();
                // Every body differs, so every signature does: none is refused as a replay.
                let t = now_s();
                let mut mac = Hmac::<Sha256>::new_from_slice(api_secret.as_bytes())?;
                mac.update(format!("{t}.POST./integrations/users.{body}").as_bytes());
                let sig = format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()));
                let res = client
                    .post(format!("{}/integrations/users", args.base))
                    .header("x-partner-id", &partner_id)
                    .header("x-signature", sig)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("upsert: {} {}", res.status(), res.text().await?);
                }
                Ok(())
            }
        })
        .await
    };
    if users.errors > 0 {
        bail!("loading users failed");
    }
    println!("{:<10} loaded {} vouchers and {} users in {:.1} s", args.label, args.vouchers, args.users, t0.elapsed().as_secs_f64());

    // The HTTP ceiling: /healthz on the same server, same connections.
    let healthz_total = 1_000_000;
    let deadline = Instant::now() + Duration::from_secs(args.healthz_seconds);
    let mut healthz = {
        let (client, args) = (client.clone(), args.clone());
        run("healthz", healthz_total, args.concurrency, move |_| {
            let (client, args) = (client.clone(), args.clone());
            async move {
                if Instant::now() > deadline {
                    bail!("stop");
                }
                let res = client.get(format!("{}/healthz", args.base)).send().await?;
                res.bytes().await?;
                Ok(())
            }
        })
        .await
    };

    // Signed partner calls: a read of each user, each with its own signature,
    // so every call also writes its replay-protection record (the write path).
    let mut signed = {
        let (client, args, partner_id, api_secret) = (client.clone(), args.clone(), partner_id.clone(), api_secret.clone());
        run("signed", args.users, args.concurrency, move |i| {
            let (client, args, partner_id, api_secret) = (client.clone(), args.clone(), partner_id.clone(), api_secret.clone());
            async move {
                let path = format!("/integrations/users/bench-{i}");
                let t = now_s();
                let mut mac = Hmac::<Sha256>::new_from_slice(api_secret.as_bytes())?;
                mac.update(format!("{t}.GET.{path}.").as_bytes());
                let sig = format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()));
                let res = client
                    .get(format!("{}{path}", args.base))
                    .header("x-partner-id", &partner_id)
                    .header("x-signature", sig)
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("signed read: {} {}", res.status(), res.text().await?);
                }
                res.bytes().await?;
                Ok(())
            }
        })
        .await
    };

    // Claim then redeem: one claim per user, vouchers spread over the users.
    let tokens: Arc<Vec<String>> = Arc::new(
        (0..args.users)
            .map(|i| {
                let claims = json!({ "iss": partner_id, "sub": format!("bench-{i}"), "iat": now_s(), "exp": now_s() + 3000 });
                jsonwebtoken::encode(
                    &jsonwebtoken::Header::default(),
                    &claims,
                    &jsonwebtoken::EncodingKey::from_secret(jwt_secret.as_bytes()),
                )
                .unwrap()
            })
            .collect(),
    );
    let claim_ids = Arc::new(std::sync::Mutex::new(vec![String::new(); args.users]));
    let vouchers: Arc<Vec<String>> = Arc::new(voucher_ids.lock().unwrap().clone());
    let mut claims = {
        let (client, args, tokens, claim_ids, vouchers) =
            (client.clone(), args.clone(), tokens.clone(), claim_ids.clone(), vouchers.clone());
        run("claims", args.users, args.concurrency, move |i| {
            let (client, args, tokens, claim_ids, vouchers) =
                (client.clone(), args.clone(), tokens.clone(), claim_ids.clone(), vouchers.clone());
            async move {
                let id = claim(&client, &args.base, &tokens[i], &vouchers[i % vouchers.len()]).await?;
                claim_ids.lock().unwrap()[i] = id;
                Ok(())
            }
        })
        .await
    };
    let mut redeems = {
        let (client, args, tokens, claim_ids, outlet_id) =
            (client.clone(), args.clone(), tokens.clone(), claim_ids.clone(), outlet_id.clone());
        run("redeems", args.users, args.concurrency, move |i| {
            let (client, args, tokens, claim_ids, outlet_id) = (client.clone(), args.clone(), tokens.clone(), claim_ids.clone(), outlet_id.clone());
            async move {
                let claim = claim_ids.lock().unwrap()[i].clone();
                let res = client
                    .post(format!("{}/me/redemptions", args.base))
                    .bearer_auth(&tokens[i])
                    .json(&json!({ "claimId": claim, "outletId": *outlet_id, "location": { "lat": 3.1580, "lng": 101.7123, "accuracyM": 10 } }))
                    .send()
                    .await?;
                if res.status().as_u16() != 201 {
                    bail!("redeem: {} {}", res.status(), res.text().await?);
                }
                res.bytes().await?;
                Ok(())
            }
        })
        .await
    };
    // The webview's path: each user opens a session with their JWT, then reads
    // their wallet with it (the session's check, then the wallet's read).
    let sessions = Arc::new(std::sync::Mutex::new(vec![String::new(); args.users]));
    let mut opened = {
        let (client, args, tokens, sessions) = (client.clone(), args.clone(), tokens.clone(), sessions.clone());
        run("sessions", args.users, args.concurrency, move |i| {
            let (client, args, tokens, sessions) = (client.clone(), args.clone(), tokens.clone(), sessions.clone());
            async move {
                let res = client.post(format!("{}/me/session", args.base)).bearer_auth(&tokens[i]).send().await?;
                if res.status().as_u16() != 201 {
                    bail!("session: {} {}", res.status(), res.text().await?);
                }
                let body: Value = res.json().await?;
                sessions.lock().unwrap()[i] = body["sessionToken"].as_str().unwrap_or_default().to_string();
                Ok(())
            }
        })
        .await
    };
    let mut wallets = {
        let (client, args, sessions) = (client.clone(), args.clone(), sessions.clone());
        run("wallets", args.users, args.concurrency, move |i| {
            let (client, args, sessions) = (client.clone(), args.clone(), sessions.clone());
            async move {
                let token = sessions.lock().unwrap()[i].clone();
                let res = client.get(format!("{}/me/claims", args.base)).bearer_auth(token).send().await?;
                if res.status().as_u16() != 200 {
                    bail!("wallet: {} {}", res.status(), res.text().await?);
                }
                let body: Value = res.json().await?;
                if body.as_array().is_none_or(|claims| claims.is_empty()) {
                    bail!("wallet without the user's claim: {body}");
                }
                Ok(())
            }
        })
        .await
    };
    // The same claims at a fixed offered rate: the latency at that load, not
    // at saturation (where a closed loop's latency is its queue: connections
    // ÷ throughput). Each user claims a second voucher, so none is a repeat.
    let paced = (args.rate > 0).then(|| (args.rate * args.rate_seconds).min(args.users));
    let mut at_rate = match paced {
        Some(total) => {
            let (client, args, tokens, vouchers) = (client.clone(), args.clone(), tokens.clone(), vouchers.clone());
            let name = format!("claims@{}", args.rate);
            Some(
                run_at_rate(&name, total, args.rate, args.concurrency, move |i| {
                    let (client, args, tokens, vouchers) = (client.clone(), args.clone(), tokens.clone(), vouchers.clone());
                    async move { claim(&client, &args.base, &tokens[i], &vouchers[(i + 1) % vouchers.len()]).await.map(drop) }
                })
                .await,
            )
        }
        None => None,
    };
    let (mut purchases, mut creates) = purchase_phase(&client, &args, &merchant_id, tokens.clone()).await?;
    healthz.print(&args.label);
    signed.print(&args.label);
    claims.print(&args.label);
    redeems.print(&args.label);
    opened.print(&args.label);
    wallets.print(&args.label);
    if let Some(stats) = at_rate.as_mut() {
        stats.print(&args.label);
    }
    creates.print(&args.label);
    purchases.print(&args.label);
    let ceiling = healthz.latencies.len() as f64 / healthz.elapsed.as_secs_f64();
    let claim_rate = claims.latencies.len() as f64 / claims.elapsed.as_secs_f64();
    println!("{:<10} claims/s are {:.1}% of the /healthz ceiling", args.label, 100.0 * claim_rate / ceiling);
    let purchase_rate = purchases.latencies.len() as f64 / purchases.elapsed.as_secs_f64();
    println!(
        "{:<10} purchases completed/s are {:.1}% of the /healthz ceiling and {:.1}% of claims/s",
        args.label,
        100.0 * purchase_rate / ceiling,
        100.0 * purchase_rate / claim_rate
    );
    let wallet_rate = wallets.latencies.len() as f64 / wallets.elapsed.as_secs_f64();
    println!("{:<10} wallet reads with a session token/s are {:.1}% of the /healthz ceiling", args.label, 100.0 * wallet_rate / ceiling);
    if opened.errors + wallets.errors > 0 {
        bail!("{} session openings and {} wallet reads failed", opened.errors, wallets.errors);
    }
    let signed_rate = signed.latencies.len() as f64 / signed.elapsed.as_secs_f64();
    println!("{:<10} signed partner calls/s are {:.1}% of the /healthz ceiling", args.label, 100.0 * signed_rate / ceiling);
    if signed.errors > 0 {
        bail!("{} signed partner calls failed", signed.errors);
    }
    if purchases.errors > 0 {
        bail!("{} purchases failed", purchases.errors);
    }
    let paced_errors = at_rate.as_ref().map_or(0, |s| s.errors);
    if claims.errors + redeems.errors + paced_errors > 0 {
        bail!("{} claims, {} redemptions and {paced_errors} paced claims failed", claims.errors, redeems.errors);
    }
    webhook_fan_out(&client, &args, tokens).await
}

/// What the bench's receiver saw.
#[derive(Default)]
struct Received {
    ids: std::collections::HashSet<String>,
    bad_signatures: usize,
    last: Option<Instant>,
}

/// A receiver that checks the `tessera` scheme's signature (seed 003) and counts.
async fn receiver(secret: String) -> anyhow::Result<(String, Arc<std::sync::Mutex<Received>>)> {
    use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post};
    let seen: Arc<std::sync::Mutex<Received>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let app = axum::Router::new()
        .route(
            "/hooks",
            post(
                |State((secret, seen)): State<(Arc<String>, Arc<std::sync::Mutex<Received>>)>, headers: HeaderMap, body: Bytes| async move {
                    let header = headers.get("x-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
                    let t = header.split(',').find_map(|p| p.strip_prefix("t=")).unwrap_or("");
                    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
                    mac.update(format!("{t}.").as_bytes());
                    mac.update(&body);
                    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
                    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let mut seen = seen.lock().unwrap();
                    if header.split(',').any(|p| p == expected) {
                        seen.ids.insert(event["id"].as_str().unwrap_or_default().to_string());
                    } else {
                        seen.bad_signatures += 1;
                    }
                    seen.last = Some(Instant::now());
                    axum::http::StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state((Arc::new(secret), seen.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, seen))
}

/// A `VOUCHER_PUBLISHED` endpoint of the partner with `max_in_flight` slots,
/// pointed at a new verifying [`receiver`]: its URL, what it saw, its secret.
async fn receiving_endpoint(
    client: &reqwest::Client,
    args: &Args,
    partner_id: &str,
    max_in_flight: i64,
) -> anyhow::Result<(String, Arc<std::sync::Mutex<Received>>, String)> {
    // Added with a placeholder address first: its secret is what the receiver checks.
    let placeholder = admin(
        client,
        args,
        &format!("/admin/partners/{partner_id}/webhook-endpoints"),
        json!({ "url": "http://127.0.0.1:9/", "eventTypes": ["VOUCHER_PUBLISHED"] }),
    )
    .await?;
    let secret = placeholder["secret"].as_str().context("secret")?.to_string();
    let (url, seen) = receiver(secret.clone()).await?;
    reqwest_json(
        client
            .patch(format!("{}/admin/webhook-endpoints/{}", args.base, placeholder["id"].as_str().context("endpoint id")?))
            .bearer_auth(&args.operator_token)
            .json(&json!({ "url": url, "maxInFlight": max_in_flight })),
    )
    .await?;
    Ok((url, seen, secret))
}

async fn webhook_fan_out(client: &reqwest::Client, args: &Arc<Args>, tokens: Arc<Vec<String>>) -> anyhow::Result<()> {
    let partners = reqwest_json(client.get(format!("{}/admin/partners", args.base)).bearer_auth(&args.operator_token)).await?;
    let partner_id = partners[0]["id"].as_str().context("partner id")?.to_string();
    let merchant = admin(client, args, "/admin/merchants", json!({ "name": "Fan favourite" })).await?;
    let merchant_id = Arc::new(merchant["id"].as_str().unwrap().to_string());
    let favorites = {
        let (client, args, tokens, merchant_id) = (client.clone(), args.clone(), tokens.clone(), merchant_id.clone());
        run("favorites", tokens.len(), args.concurrency, move |i| {
            let (client, args, tokens, merchant_id) = (client.clone(), args.clone(), tokens.clone(), merchant_id.clone());
            async move {
                let res = client.put(format!("{}/me/favorites/{merchant_id}", args.base)).bearer_auth(&tokens[i]).send().await?;
                if !res.status().is_success() {
                    bail!("favorite: {} {}", res.status(), res.text().await?);
                }
                Ok(())
            }
        })
        .await
    };
    if favorites.errors > 0 {
        bail!("{} favorites failed", favorites.errors);
    }
    let (_, seen, _) = receiving_endpoint(client, args, &partner_id, 64).await?;
    let voucher = admin(client, args, "/admin/vouchers", json!({ "merchantId": *merchant_id, "title": "{b}New{/b} for fans" })).await?;
    let started = Instant::now();
    let published = admin(client, args, &format!("/admin/vouchers/{}/publish", voucher["id"].as_str().unwrap()), json!({})).await?;
    let enqueue = started.elapsed();
    let expected = published["eventsEnqueued"].as_u64().context("eventsEnqueued")? as usize;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = seen.lock().unwrap().ids.len();
        if done >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = seen.lock().unwrap();
    let took = seen.last.map(|l| l.duration_since(started)).unwrap_or_default();
    println!(
        "{:<10} webhooks     {} VOUCHER_PUBLISHED enqueued in {:.0} ms (publish call); {} delivered and verified in {:.2} s = {:.0}/s; bad signatures {}",
        args.label,
        expected,
        enqueue.as_secs_f64() * 1000.0,
        seen.ids.len(),
        took.as_secs_f64(),
        seen.ids.len() as f64 / took.as_secs_f64().max(1e-9),
        seen.bad_signatures
    );
    if seen.ids.len() < expected || seen.bad_signatures > 0 {
        bail!("{} of {expected} events delivered, {} bad signatures", seen.ids.len(), seen.bad_signatures);
    }
    Ok(())
}

/// Buying a gift card with the sandbox provider, one per user: create the
/// order (its latency kept apart: the call a checkout waits on), start the
/// payment, pay it on the sandbox's page (as JSON) and require the card issued.
/// Answers the whole purchases and the order-creation calls.
async fn purchase_phase(
    client: &reqwest::Client,
    args: &Arc<Args>,
    merchant_id: &str,
    tokens: Arc<Vec<String>>,
) -> anyhow::Result<(Stats, Stats)> {
    let price = json!({ "currency": "INR", "model": { "kind": "denominations", "values": [50_000, 100_000] }, "discountBps": 500 });
    let card = admin(
        client,
        args,
        "/admin/vouchers",
        json!({ "merchantId": merchant_id, "title": "Bench gift card", "price": price, "codeSource": "generated" }),
    )
    .await?;
    let card = Arc::new(card["id"].as_str().context("voucher id")?.to_string());
    admin(client, args, &format!("/admin/vouchers/{card}/publish"), json!({})).await?;
    let created = Arc::new(std::sync::Mutex::new(Vec::with_capacity(tokens.len())));
    let purchases = {
        let (client, args, tokens, card, created) = (client.clone(), args.clone(), tokens.clone(), card.clone(), created.clone());
        run("purchases", tokens.len(), args.concurrency, move |i| {
            let (client, args, tokens, card, created) = (client.clone(), args.clone(), tokens.clone(), card.clone(), created.clone());
            async move {
                let t = Instant::now();
                let res = client
                    .post(format!("{}/me/orders", args.base))
                    .bearer_auth(&tokens[i])
                    .json(&json!({ "voucherId": *card, "amount": 50_000, "checkoutKey": format!("bench-{i}") }))
                    .send()
                    .await?;
                if res.status().as_u16() != 201 {
                    bail!("order: {} {}", res.status(), res.text().await?);
                }
                let order: Value = res.json().await?;
                created.lock().unwrap().push(t.elapsed());
                let id = order["id"].as_str().context("order id")?;
                let start = reqwest_json(client.post(format!("{}/me/orders/{id}/pay", args.base)).bearer_auth(&tokens[i])).await?;
                let pay_url = start["payUrl"].as_str().context("payUrl")?;
                let paid = reqwest_json(client.post(format!("{}{pay_url}", args.base)).json(&json!({ "method": "upi" }))).await?;
                if paid["state"] != "fulfilled" {
                    bail!("the order ended {}", paid["state"]);
                }
                Ok(())
            }
        })
        .await
    };
    let creates = Stats {
        name: "order-create".into(),
        latencies: std::mem::take(&mut *created.lock().unwrap()),
        elapsed: purchases.elapsed,
        errors: purchases.errors,
    };
    Ok((purchases, creates))
}

/// `POST /me/claims`; answers the new claim's id (anything but 201 is an error).
async fn claim(client: &reqwest::Client, base: &str, token: &str, voucher_id: &str) -> anyhow::Result<String> {
    let res = client.post(format!("{base}/me/claims")).bearer_auth(token).json(&json!({ "voucherId": voucher_id })).send().await?;
    if res.status().as_u16() != 201 {
        bail!("claim: {} {}", res.status(), res.text().await?);
    }
    let body: Value = res.json().await?;
    Ok(body["id"].as_str().unwrap_or_default().to_string())
}

async fn reqwest_json(req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() {
        bail!("{status}: {body}");
    }
    Ok(body)
}
