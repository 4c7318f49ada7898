//! The webhook delivery worker that runs inside `tessera serve`.
//!
//! One loop per instance: new events get their feed positions and their
//! deliveries (`events::sequence`), then it leases what is due per endpoint (at most the endpoint's `maxInFlight` at once, so a slow
//! receiver holds only its own slots), send each signed over HTTP, and hand
//! the outcomes to a recorder that writes them in batches. At shutdown it
//! stops leasing, lets in-flight deliveries finish within the grace period and
//! gives back the leases of any that did not.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tessera_core::{
    Platform,
    clock::now_ms,
    config::{Backend, WebhookSettings},
    outbound::{Destinations, Outbound},
    webhooks::{
        PayloadProfile,
        queue::{self, Leased, Next, Outcome, Target},
        signing,
    },
};
use tokio::sync::{Notify, mpsc, watch};

/// The most of a receiver's answer kept with the attempt.
const BODY_KEPT: usize = 4096;

/// The HTTP client deliveries go out with: no redirects followed (a 3xx is a
/// failure), no proxy, every address checked (see `tessera_core::outbound`).
pub fn client(settings: &WebhookSettings) -> Outbound {
    let to = Destinations { allow: settings.allow_networks.clone() };
    Outbound::new(settings.timeout, &to, concat!("Tessera-Webhooks/", env!("CARGO_PKG_VERSION")), None)
}

/// This instance's deliveries by endpoint: HTTP calls under way (`sending`),
/// and calls answered whose outcome is not yet being recorded (`answered`).
/// A delivery is leased in the database from its lease until its record
/// commits; only its HTTP call takes one of the endpoint's slots.
#[derive(Default)]
struct Slots {
    sending: HashMap<String, i64>,
    answered: HashMap<String, i64>,
    /// Outcomes handed to the recorder and not yet written.
    recording: usize,
}

impl Slots {
    fn sending(&self, endpoint: &str) -> i64 {
        self.sending.get(endpoint).copied().unwrap_or(0)
    }

    fn answered(&self, endpoint: &str) -> i64 {
        self.answered.get(endpoint).copied().unwrap_or(0)
    }

    fn leased(&mut self, endpoint: &str, n: i64) {
        *self.sending.entry(endpoint.to_string()).or_default() += n;
    }

    fn answered_one(&mut self, endpoint: &str) {
        if let Some(n) = self.sending.get_mut(endpoint) {
            *n -= 1;
        }
        self.sending.retain(|_, n| *n > 0);
        *self.answered.entry(endpoint.to_string()).or_default() += 1;
    }

    /// The batch is being written: no longer discounted from the leases counted.
    fn recording(&mut self, batch: &[Outcome]) {
        for o in batch {
            if let Some(n) = self.answered.get_mut(&o.endpoint_id) {
                *n -= 1;
            }
        }
        self.answered.retain(|_, n| *n > 0);
        self.recording += batch.len();
    }

    fn recorded(&mut self, n: usize) {
        self.recording -= n;
    }

    /// Nothing sending, answered or being recorded.
    fn idle(&self) -> bool {
        self.sending.is_empty() && self.answered.is_empty() && self.recording == 0
    }
}

/// Where an endpoint's next lease may start: at the due time of the last
/// delivery leased, so a lease does not walk again over the entries of
/// deliveries just leased or sent (on PostgreSQL, dead index entries until
/// vacuum reaches them). Anything due earlier that is still waiting — a lease
/// given back, a row another instance skipped — is found when the mark is
/// dropped: when a lease comes back short, and a second after it was set.
struct Mark {
    at: i64,
    set: Instant,
}

impl Mark {
    fn new() -> Self {
        Mark { at: 0, set: Instant::now() }
    }

    /// A lease ended at `due`: the next starts there, or the mark starts
    /// afresh there once the last one has had its second.
    fn advance(&mut self, due: i64) {
        if self.expired() {
            (self.at, self.set) = (due, Instant::now());
        } else {
            self.at = self.at.max(due);
        }
    }

    fn expired(&self) -> bool {
        self.at == 0 || self.set.elapsed() >= Duration::from_secs(1)
    }

    /// Where the next lease looks from: 0 (the start) once a second.
    fn from(&self) -> i64 {
        if self.expired() { 0 } else { self.at }
    }
}

/// Sends one delivery and says what came of it.
#[tracing::instrument(skip_all, fields(delivery_id = %d.id, endpoint_id = %d.endpoint_id, event_id = %d.event_id))]
async fn send(client: &Outbound, timeout: Duration, target: &Target, d: &Leased, body: Result<String, String>) -> Outcome {
    let attempted_at = now_ms();
    let started = Instant::now();
    let mut outcome = Outcome {
        delivery_id: d.id.clone(),
        endpoint_id: d.endpoint_id.clone(),
        retry_step: d.retry_step,
        attempted_at,
        latency_ms: 0,
        status: None,
        body: String::new(),
        error: None,
        retry_after: None,
    };
    let result = async {
        let body = body?;
        let request = match &target.parsed {
            Some(url) => client.request_to(reqwest::Method::POST, url),
            None => client.request(reqwest::Method::POST, &target.url),
        }
        .map_err(|e| e.to_string())?;
        let headers = signing::sign(target.scheme(), &target.secrets(attempted_at), &d.event_id, attempted_at / 1000, body.as_bytes())?;
        let mut request = request.header("content-type", "application/json").body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = tokio::time::timeout(timeout, request.send())
            .await
            .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
            .map_err(|e| tessera_core::outbound::describe(&e))?;
        outcome.status = Some(response.status().as_u16());
        outcome.retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
        let mut body = Vec::new();
        while body.len() < BODY_KEPT {
            match tokio::time::timeout(timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(BODY_KEPT);
        outcome.body = String::from_utf8_lossy(&body).into_owned();
        Ok::<_, String>(())
    }
    .await;
    outcome.latency_ms = started.elapsed().as_millis() as i64;
    match (result, outcome.status) {
        (Err(e), _) => outcome.error = Some(e),
        (Ok(()), Some(s)) if !(200..300).contains(&s) => outcome.error = Some(format!("answered HTTP {s}")),
        _ => {}
    }
    outcome
}

/// Sends `envelope` once to the endpoint, as a delivery of it would go (its
/// payload profile, its signature, the same client and checks), and records
/// nothing: the portal's "send a test event".
pub async fn send_once(platform: &Platform, target: &Target, event_id: &str, envelope: String) -> Outcome {
    let settings = &platform.config.webhooks;
    let d = Leased {
        id: format!("test.{event_id}"),
        event_id: event_id.to_string(),
        endpoint_id: target.id.clone(),
        attempts: 0,
        retry_step: 0,
        next_attempt_at: 0,
        payload: envelope,
    };
    let body = body_of(&platform.db, target, &d).await;
    send(&client(settings), settings.timeout, target, &d, body).await
}

/// The body a delivery goes out with: the endpoint's payload profile applied
/// to the stored envelope; a hubble endpoint that opted in gets the card's
/// code and PIN, read now (a database fault is a failed attempt, retried).
async fn body_of(db: &tessera_core::db::Db, target: &Target, d: &Leased) -> Result<String, String> {
    let profile = target.payload_profile;
    if profile == PayloadProfile::Tessera {
        return Ok(d.payload.clone());
    }
    let codes = if profile.wants_codes(target.include_codes.0, &d.payload) {
        queue::card_codes(db, &d.payload).await.map_err(|e| format!("could not read the gift card's codes: {e}"))?
    } else {
        None
    };
    Ok(profile.render(&d.payload, codes.as_ref()))
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// Runs until `stopping` turns true, then drains (see the module docs).
pub async fn run(platform: Platform, mut stopping: watch::Receiver<bool>, grace: Duration) {
    let settings = platform.config.webhooks.clone();
    let db = platform.db.clone();
    let instance = format!("{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let client = client(&settings);
    if db.backend() == Backend::Sqlite {
        // One instance per SQLite file: leases left by a crash are ours to take back.
        match queue::release(&db, None).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "took back webhook deliveries left in flight by the last run"),
            Err(e) => tracing::warn!(error = %e, "could not take back leftover webhook leases; they expire on their own"),
        }
    }
    tracing::info!(%instance, "webhook worker started");

    let slots: Arc<Mutex<Slots>> = Arc::default();
    // Deliveries leased here and not yet recorded: the heartbeat renews their leases.
    let held: Arc<Mutex<HashSet<String>>> = Arc::default();
    let heartbeat = tokio::spawn({
        let (db, instance, held, lease) = (db.clone(), instance.clone(), held.clone(), settings.lease);
        async move {
            let mut tick = tokio::time::interval(lease / 4);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let ids: Vec<String> = held.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect();
                if ids.is_empty() {
                    continue;
                }
                let now = now_ms();
                if let Err(e) = queue::heartbeat(&db, &instance, &ids, now + lease.as_millis() as i64).await {
                    tracing::warn!(error = %e, deliveries = ids.len(), "could not renew webhook leases; they expire unless renewed in time");
                }
            }
        }
    });
    let wake = Arc::new(Notify::new());
    let (outcomes, mut recorded) = mpsc::unbounded_channel::<Outcome>();
    let recorder = tokio::spawn({
        let (db, instance, slots, held, wake, settings) =
            (db.clone(), instance.clone(), slots.clone(), held.clone(), wake.clone(), settings.clone());
        let metrics = platform.metrics.clone();
        async move {
            while let Some(first) = recorded.recv().await {
                let mut batch = vec![first];
                while batch.len() < 256 {
                    match recorded.try_recv() {
                        Ok(o) => batch.push(o),
                        Err(_) => break,
                    }
                }
                // Before the record commits, these stop counting as answered: a lease
                // counted after the commit must not also discount them (see queue::lease).
                slots.lock().unwrap_or_else(|e| e.into_inner()).recording(&batch);
                for round in 1.. {
                    match queue::record(&db, &instance, batch.clone(), settings.retry_schedule.clone(), settings.disable_after).await {
                        Ok(decided) => {
                            for next in decided {
                                match next {
                                    Next::Delivered => metrics.webhook_delivered.inc(),
                                    Next::Retry(_) => {
                                        metrics.webhook_failed.inc();
                                        metrics.webhook_retried.inc()
                                    }
                                    Next::Failed => {
                                        metrics.webhook_failed.inc();
                                        metrics.webhook_given_up.inc()
                                    }
                                };
                            }
                            break;
                        }
                        Err(e) if round < 5 => {
                            e.report();
                            // The leases stay meanwhile; retrying keeps the attempts' records.
                            tracing::error!(error = %e, attempts = batch.len(), "could not record webhook attempts; retrying");
                            tokio::time::sleep(Duration::from_secs(round)).await;
                        }
                        Err(e) => {
                            e.report();
                            // Give up on these records: the leases expire and the
                            // deliveries go out again (at least once still holds).
                            tracing::error!(error = %e, attempts = batch.len(), "could not record webhook attempts; they will be sent again");
                            break;
                        }
                    }
                }
                // Recorded, or given up on (then the lease must lapse so the delivery goes out again).
                let mut holding = held.lock().unwrap_or_else(|e| e.into_inner());
                for o in &batch {
                    holding.remove(&o.delivery_id);
                }
                drop(holding);
                slots.lock().unwrap_or_else(|e| e.into_inner()).recorded(batch.len());
                wake.notify_one();
            }
        }
    });

    // The endpoints with work, as last looked up, and when: looked up again
    // after new deliveries (at most every 100 ms) and every poll interval,
    // not at each answer.
    let mut targets: Vec<Arc<Target>> = Vec::new();
    let mut looked_up: Option<Instant> = None;
    // Per endpoint, where the next lease may start (see `Mark`).
    let mut marks: HashMap<String, Mark> = HashMap::new();
    // When the loop last gave new events their positions, and whether it found a full batch.
    let mut sequenced: Option<(Instant, bool)> = None;
    while !*stopping.borrow() {
        let mut more = false;
        let mut dispatched = false;
        // New events get their feed positions and their deliveries (the sequencer job
        // does it too, every 250 ms; here it comes as soon as the worker looks).
        // At most every 100 ms while answers keep waking the loop, unless a full batch came
        // (looking for unsequenced events walks an index PostgreSQL has not vacuumed yet).
        let sequence_now = sequenced.is_none_or(|(at, full): (Instant, bool)| full || at.elapsed() >= Duration::from_millis(100));
        if sequence_now {
            match tessera_core::events::sequence_if_any(&db, false).await {
                Ok(n) => {
                    let full = n as i64 == tessera_core::events::SEQUENCE_BATCH;
                    more |= full;
                    dispatched = n > 0;
                    sequenced = Some((Instant::now(), full));
                }
                Err(e) => tracing::error!(error = %e, "could not dispatch webhook events"),
            }
        }
        let stale = looked_up.is_none_or(|at| {
            let age = at.elapsed();
            age >= settings.poll || (dispatched && age >= Duration::from_millis(100)) || targets.is_empty() && dispatched
        });
        if stale {
            match queue::due_targets(&db, now_ms()).await {
                Ok(found) => {
                    targets = found.into_iter().map(|t| Arc::new(t.parsed())).collect();
                    looked_up = Some(Instant::now());
                }
                Err(e) => tracing::error!(error = %e, "could not look for due webhook deliveries"),
            }
        }
        let now = now_ms();
        let mut drained = HashSet::new();
        for target in &targets {
            let free = target.max_in_flight - slots.lock().unwrap_or_else(|e| e.into_inner()).sending(&target.id);
            // Slots come back one answer at a time: lease when a few are free, not for each.
            if free < (target.max_in_flight / 4).max(1) {
                continue;
            }
            let answered = {
                let (slots, endpoint) = (slots.clone(), target.id.clone());
                move || slots.lock().unwrap_or_else(|e| e.into_inner()).answered(&endpoint)
            };
            let from = marks.get(&target.id).map_or(0, Mark::from);
            let leased =
                match queue::lease(&db, &target.id, &instance, now, settings.lease, queue::Ask { limit: free, from, answered }).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, endpoint = %target.id, "could not lease webhook deliveries");
                        continue;
                    }
                };
            let queue::Leases { deliveries: leased, drained: none_left } = leased;
            if none_left {
                // Nothing more due now: forget it until looked up again.
                drained.insert(target.id.clone());
                marks.remove(&target.id);
            } else if let Some(last) = leased.last() {
                marks.entry(target.id.clone()).or_insert_with(Mark::new).advance(last.next_attempt_at);
            }
            // A delivery still in flight here whose lease lapsed meanwhile (a stalled
            // renewal) is leased again by this instance: it is on its way, not sent twice.
            let leased: Vec<Leased> = {
                let mut holding = held.lock().unwrap_or_else(|e| e.into_inner());
                leased.into_iter().filter(|d| holding.insert(d.id.clone())).collect()
            };
            if leased.is_empty() {
                continue;
            }
            slots.lock().unwrap_or_else(|e| e.into_inner()).leased(&target.id, leased.len() as i64);
            for d in leased {
                let (client, target, outcomes, db, slots, wake) =
                    (client.clone(), target.clone(), outcomes.clone(), db.clone(), slots.clone(), wake.clone());
                let timeout = settings.timeout;
                tokio::spawn(async move {
                    let body = body_of(&db, &target, &d).await;
                    let outcome = send(&client, timeout, &target, &d, body).await;
                    // Answered: its slot at the receiver is free (its lease stays until recorded).
                    slots.lock().unwrap_or_else(|e| e.into_inner()).answered_one(&target.id);
                    let _ = outcomes.send(outcome);
                    wake.notify_one();
                });
            }
        }
        targets.retain(|t| !drained.contains(&t.id));
        if !more {
            tokio::select! {
                _ = wake.notified() => {}
                // Sequencing put off above is not put off past 100 ms.
                _ = tokio::time::sleep(if sequence_now { settings.poll } else { Duration::from_millis(100) }) => {}
                _ = stopping.changed() => {}
            }
        }
    }

    // Draining: what is in flight may finish within the grace period.
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !slots.lock().unwrap_or_else(|e| e.into_inner()).idle() {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    drop(outcomes);
    heartbeat.abort();
    if tokio::time::timeout(Duration::from_secs(2), recorder).await.is_err() {
        tracing::warn!("webhook attempts still being recorded at shutdown");
    }
    match queue::release(&db, Some(&instance)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deliveries = n, "gave back unfinished webhook deliveries; they go out again"),
        Err(e) => tracing::warn!(error = %e, "could not give back webhook leases; they expire on their own"),
    }
    tracing::info!("webhook worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = std::time::SystemTime::now() + Duration::from_secs(600);
        let d = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(d > Duration::from_secs(590) && d <= Duration::from_secs(600), "{d:?}");
        assert_eq!(parse_retry_after("soon"), None);
    }
}
