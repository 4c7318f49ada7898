//! A webhook receiver in the test process: real HTTP on a loopback port. It
//! verifies each delivery with an implementation written here from the
//! contract (SPEC §5, seed 003) — for `standard-webhooks`, the crate's own
//! verifier — and records what arrived. Answers can be scripted per path.

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

/// One delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub event: Value,
    /// Whether the signature verified with the path's secret and scheme.
    pub verified: Result<(), String>,
    /// When it arrived.
    pub at: std::time::Instant,
}

/// An answer to give: status and headers.
type Scripted = (u16, Vec<(&'static str, String)>);

#[derive(Default)]
struct Inner {
    /// path → (scheme, secret)
    keys: HashMap<String, (String, String)>,
    /// path → answers to give, in order; 200 once they run out.
    script: HashMap<String, VecDeque<Scripted>>,
    /// path → how long to wait before answering
    delay: HashMap<String, Duration>,
    received: Vec<Received>,
    /// The distinct event ids among `received`, kept as they arrive (a 100 000-event
    /// test asks for them every 50 ms; recounting under the lock starved the receiver).
    ids: std::collections::HashSet<String>,
    /// Requests being answered now, and the most there ever were at once.
    open: usize,
    max_open: usize,
}

#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

fn mac(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// Seed 003's algorithm: `t` within 300 s, hex HMAC of "<t>.<body>"; any `v1` may match.
fn verify_tessera(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let header = headers.get("x-signature").ok_or("no X-Signature")?.to_str().map_err(|_| "not text")?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (k, v) = part.split_once('=').ok_or("malformed")?;
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| "bad t")?),
            "v1" => v1.push(hex::decode(v).map_err(|_| "bad v1")?),
            _ => {}
        }
    }
    let t = t.ok_or("no t")?;
    if (super::api::now_s() - t).abs() > 300 {
        return Err("stale".into());
    }
    let expected = mac(secret, &[t.to_string().as_bytes(), b".", body]);
    if v1.contains(&expected) { Ok(()) } else { Err("bad signature".into()) }
}

fn verify_base64(secret: &str, header: Option<&axum::http::HeaderValue>, body: &[u8]) -> Result<(), String> {
    let got = header.ok_or("no signature header")?.to_str().map_err(|_| "not text")?;
    if got == STANDARD.encode(mac(secret, &[body])) { Ok(()) } else { Err("bad signature".into()) }
}

fn verify(scheme: &str, secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    match scheme {
        "tessera" => verify_tessera(secret, headers, body),
        "standard-webhooks" => {
            standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?.verify(body, headers).map_err(|e| e.to_string())
        }
        "hubble" => verify_base64(secret, headers.get("x-verify"), body),
        "spaaza" => verify_base64(secret, headers.get("x-spaaza-hmac-sha256"), body),
        other => Err(format!("unknown scheme {other}")),
    }
}

/// An envelope (`{id, type, createdAt, data}`) against its type's schema in
/// the event catalog; the seeds' bodies (payload profiles) are not envelopes.
fn fits_the_catalog(event: &Value) -> Result<(), String> {
    let envelope = ["id", "type", "createdAt", "data"].iter().all(|k| event.get(k).is_some());
    match event["type"].as_str().and_then(tessera_core::types::EventType::parse) {
        Some(kind) if envelope => tessera_core::event_catalog::conforms(&tessera_core::event_catalog::schema(kind), event)
            .map_err(|e| format!("not as the event catalog says: {e}")),
        _ => Ok(()),
    }
}

/// Counts a request as open while it is being answered.
struct Open(Arc<Mutex<Inner>>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.lock().unwrap().open -= 1;
    }
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, Path(path): Path<String>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let at = std::time::Instant::now();
    let delay = {
        let mut i = inner.lock().unwrap();
        i.open += 1;
        i.max_open = i.max_open.max(i.open);
        i.delay.get(&path).copied()
    };
    let _open = Open(inner.clone());
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    // Verified outside the lock, so that concurrent deliveries are checked in parallel.
    let key = inner.lock().unwrap().keys.get(&path).cloned();
    let verified = match key {
        Some((scheme, secret)) => verify(&scheme, &secret, &headers, &body),
        None => Err("no key registered for this path".into()),
    };
    let event = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // A signed envelope must also be what the event catalog says its type is.
    let verified = verified.and_then(|()| fits_the_catalog(&event));
    let mut inner = inner.lock().unwrap();
    if let Some(id) = event["id"].as_str() {
        inner.ids.insert(id.to_string());
    }
    inner.received.push(Received { path: path.clone(), headers, body, event, verified, at });
    let (status, extra) = inner.script.get_mut(&path).and_then(|s| s.pop_front()).unwrap_or((200, vec![]));
    let mut response = (StatusCode::from_u16(status).unwrap(), format!("answer {status}")).into_response();
    for (k, v) in extra {
        response.headers_mut().insert(k, v.parse().unwrap());
    }
    response
}

impl Receiver {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(listener).await
    }

    /// Listens on a given port (to come back where a test said it was down).
    pub async fn start_at(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        Self::start_on(listener).await
    }

    async fn start_on(listener: tokio::net::TcpListener) -> Self {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = Router::new().route("/hooks/{path}", post(receive)).with_state(inner.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { base, inner, task: Arc::new(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/hooks/{path}", self.base)
    }

    /// Deliveries to `path` are checked against this scheme and secret.
    pub fn expect(&self, path: &str, scheme: &str, secret: &str) {
        self.inner.lock().unwrap().keys.insert(path.into(), (scheme.into(), secret.into()));
    }

    pub fn secret_of(&self, path: &str) -> String {
        self.inner.lock().unwrap().keys[path].1.clone()
    }

    /// The next answers for `path` (status and extra headers), then 200s.
    pub fn script(&self, path: &str, answers: Vec<(u16, Vec<(&'static str, String)>)>) {
        self.inner.lock().unwrap().script.insert(path.into(), answers.into());
    }

    pub fn delay(&self, path: &str, d: Duration) {
        self.inner.lock().unwrap().delay.insert(path.into(), d);
    }

    /// The most requests that were open at once.
    pub fn max_open(&self) -> usize {
        self.inner.lock().unwrap().max_open
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn count(&self) -> usize {
        self.inner.lock().unwrap().received.len()
    }

    /// Distinct event ids that arrived, and how many arrivals in all.
    pub fn distinct_ids(&self) -> (std::collections::HashSet<String>, usize) {
        let inner = self.inner.lock().unwrap();
        (inner.ids.clone(), inner.received.len())
    }

    /// Waits until `n` distinct event ids have arrived, up to `within`.
    pub async fn wait_for_distinct(&self, within: Duration, what: &str, n: usize) {
        super::eventually(within, what, || async {
            let inner = self.inner.lock().unwrap();
            let distinct = inner.ids.len();
            if distinct >= n { Ok(()) } else { Err(format!("{distinct} distinct events of {n} in {} deliveries", inner.received.len())) }
        })
        .await
    }

    /// Waits until `done` holds over what arrived, up to `within`.
    pub async fn wait_for(&self, within: Duration, what: &str, done: impl Fn(&[Received]) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if done(&self.inner.lock().unwrap().received) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("timed out after {within:?} waiting for {what}; {} deliveries arrived", self.count());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops listening (the port is free again).
    pub fn stop(&self) {
        self.task.abort();
    }
}
