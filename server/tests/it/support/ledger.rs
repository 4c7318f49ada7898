//! A partner's backend in the test process — SSO and the coins ledger
//! (SPEC §3, §7, seed 001): real
//! HTTP on a loopback port, balances and debits in memory, and faults to
//! inject per call — an answer status, a delay, a body that is not JSON.
//! The debit is applied even when the answer is a fault (the worst case: the
//! ledger took the coins and Tessera cannot know).

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

/// What to do instead of answering normally.
#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// Answer after this long (past Tessera's 5 s timeout: an unknown outcome).
    Slow(Duration),
    NotJson,
}

#[derive(Default)]
pub struct Book {
    pub secret: String,
    pub balances: HashMap<String, i64>,
    pub balance_calls: usize,
    /// referenceId → (userId, amount, reversed)
    pub debits: HashMap<String, (String, i64, bool)>,
    pub debit_calls: usize,
    pub reverse_calls: Vec<Value>,
    pub bad_secret_calls: usize,
    /// SSO token → the reply (`{"userId": …}`); unknown tokens get `{"userId": null}`.
    pub sso: HashMap<String, Value>,
    pub sso_calls: usize,
    faults: HashMap<&'static str, VecDeque<Fault>>,
}

#[derive(Clone)]
pub struct Ledger {
    pub base: String,
    pub book: Arc<Mutex<Book>>,
}

fn fault(book: &Arc<Mutex<Book>>, call: &'static str) -> Option<Fault> {
    book.lock().unwrap().faults.get_mut(call).and_then(VecDeque::pop_front)
}

fn authorised(book: &Arc<Mutex<Book>>, headers: &HeaderMap) -> bool {
    let mut b = book.lock().unwrap();
    let ok = headers.get("x-tessera-secret").and_then(|v| v.to_str().ok()) == Some(b.secret.as_str());
    if !ok {
        b.bad_secret_calls += 1;
    }
    ok
}

async fn faulted(f: Option<Fault>, normal: Response) -> Response {
    match f {
        None => normal,
        Some(Fault::Status(s)) => (StatusCode::from_u16(s).unwrap(), Json(json!({ "error": "injected" }))).into_response(),
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            normal
        }
        Some(Fault::NotJson) => (StatusCode::OK, "<html>oops</html>").into_response(),
    }
}

async fn balance(State(book): State<Arc<Mutex<Book>>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if !authorised(&book, &headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "Unauthorized" }))).into_response();
    }
    let user = q.get("userId").cloned().unwrap_or_default();
    let total = {
        let mut b = book.lock().unwrap();
        b.balance_calls += 1;
        b.balances.get(&user).copied()
    };
    match total {
        Some(t) => Json(json!({ "userId": user, "totalCoins": t as f64 })).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": "User not found" }))).into_response(),
    }
}

async fn debit(State(book): State<Arc<Mutex<Book>>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if !authorised(&book, &headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "Unauthorized" }))).into_response();
    }
    let f = fault(&book, "debit");
    let normal = {
        let mut b = book.lock().unwrap();
        b.debit_calls += 1;
        let user = body["userId"].as_str().unwrap_or_default().to_string();
        let amount = body["amount"].as_i64().unwrap_or(0);
        let reference = body["referenceId"].as_str().unwrap_or_default().to_string();
        if let Some((_, _, _)) = b.debits.get(&reference) {
            // Idempotent on referenceId.
            let balance = b.balances.get(&user).copied().unwrap_or(0);
            Json(json!({ "status": "SUCCESS", "transactionId": format!("txn-{reference}"), "balance": balance, "referenceId": reference }))
                .into_response()
        } else {
            let balance = b.balances.get(&user).copied().unwrap_or(0);
            if balance < amount {
                (StatusCode::BAD_REQUEST, Json(json!({ "error": "Insufficient balance" }))).into_response()
            } else {
                b.balances.insert(user.clone(), balance - amount);
                b.debits.insert(reference.clone(), (user, amount, false));
                Json(json!({ "status": "SUCCESS", "transactionId": format!("txn-{reference}"), "balance": balance - amount, "referenceId": reference }))
                    .into_response()
            }
        }
    };
    faulted(f, normal).await
}

async fn reverse(State(book): State<Arc<Mutex<Book>>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if !authorised(&book, &headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "Unauthorized" }))).into_response();
    }
    let f = fault(&book, "reverse");
    book.lock().unwrap().reverse_calls.push(body.clone());
    if let Some(f) = f {
        return faulted(Some(f), StatusCode::OK.into_response()).await;
    }
    let mut b = book.lock().unwrap();
    let reference = body["referenceId"].as_str().unwrap_or_default().to_string();
    let Some((user, amount, reversed)) = b.debits.get(&reference).cloned() else {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": "Transaction not found" }))).into_response();
    };
    if reversed {
        return Json(json!({ "status": "ALREADY_REVERSED" })).into_response();
    }
    *b.balances.entry(user.clone()).or_default() += amount;
    b.debits.insert(reference, (user, amount, true));
    Json(json!({ "status": "SUCCESS", "reversalTransactionId": "rev-1" })).into_response()
}

async fn sso(State(book): State<Arc<Mutex<Book>>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if !authorised(&book, &headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "Unauthorized" }))).into_response();
    }
    let f = fault(&book, "sso");
    let reply = {
        let mut b = book.lock().unwrap();
        b.sso_calls += 1;
        b.sso.get(body["token"].as_str().unwrap_or_default()).cloned().unwrap_or(json!({ "userId": null }))
    };
    faulted(f, Json(reply).into_response()).await
}

impl Ledger {
    pub async fn start(secret: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/ledger", listener.local_addr().unwrap());
        let book = Arc::new(Mutex::new(Book { secret: secret.to_string(), ..Default::default() }));
        let app = Router::new()
            .route("/ledger/balance", get(balance))
            .route("/ledger/debit", post(debit))
            .route("/ledger/reverse", post(reverse))
            .route("/ledger/sso", post(sso))
            .with_state(book.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Ledger { base, book }
    }

    pub fn set_secret(&self, secret: &str) {
        self.book.lock().unwrap().secret = secret.to_string();
    }

    /// `token` signs in as this reply (`{"userId": …, "cohorts": …}`).
    pub fn sso_token(&self, token: &str, reply: Value) {
        self.book.lock().unwrap().sso.insert(token.to_string(), reply);
    }

    pub fn fund(&self, user: &str, coins: i64) {
        self.book.lock().unwrap().balances.insert(user.to_string(), coins);
    }

    pub fn balance(&self, user: &str) -> i64 {
        self.book.lock().unwrap().balances.get(user).copied().unwrap_or(0)
    }

    /// The next calls of `call` (`debit` or `reverse`) fail like this, in order.
    pub fn inject(&self, call: &'static str, faults: Vec<Fault>) {
        self.book.lock().unwrap().faults.entry(call).or_default().extend(faults);
    }

    pub fn balance_calls(&self) -> usize {
        self.book.lock().unwrap().balance_calls
    }

    pub fn debit_calls(&self) -> usize {
        self.book.lock().unwrap().debit_calls
    }

    pub fn reverse_calls(&self) -> Vec<Value> {
        self.book.lock().unwrap().reverse_calls.clone()
    }

    /// Waits until `done` holds of the book, or fails saying `what`.
    pub async fn wait_for(&self, within: Duration, what: &str, done: impl Fn(&Book) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if done(&self.book.lock().unwrap()) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
