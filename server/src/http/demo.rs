//! `/demo`: a page that plays the demo partner's app, for a newcomer's first
//! look and for local development (`TESSERA_DEMO_PAGE`, on in `scripts/run`).
//!
//! - The page is the partner's web app: a phone frame embedding the webview
//!   for the demo user with a token minted here (as a partner's backend would),
//!   and a live log of the bridge messages the webview posts to it.
//! - `POST /demo/webhooks` is the partner's webhook receiver: the demo partner
//!   gets an endpoint pointing here at start; every delivery is verified with
//!   its secret (held in memory only) and shown on the page, verified or not.

use super::AppState;
use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde::Serialize;
use std::{collections::VecDeque, sync::Mutex};
use tessera_core::types::PartnerId;
use tessera_core::{
    Platform,
    error::ApiError,
    webhooks::{self, Scheme},
};

/// Deliveries kept for the page, newest first.
const KEPT: usize = 100;

/// The demo receiver: its endpoint's secret and what it received.
#[derive(Default)]
pub struct DemoState {
    secret: Mutex<Option<String>>,
    /// Why the receiver is not connected, if it is not.
    problem: Mutex<Option<String>>,
    received: Mutex<VecDeque<Received>>,
}

/// One webhook delivery as the demo page lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    pub received_at: String,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub verified: bool,
    /// Why verification failed.
    pub error: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReceiverLog {
    connected: bool,
    problem: Option<String>,
    deliveries: Vec<Received>,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/demo", get(page)).route("/demo/webhooks", get(log).post(receive))
}

/// Points a webhook endpoint of the demo partner at this server's receiver
/// (`{base}/demo/webhooks`), creating it or replacing its secret, and keeps
/// the secret in memory. Failures are shown on the demo page, not fatal.
pub async fn connect(platform: &Platform, state: &DemoState, base: &str) {
    let result = connect_receiver(platform, base).await;
    match result {
        Ok(secret) => *state.secret.lock().expect("demo lock") = Some(secret),
        Err(e) => {
            tracing::warn!(error = %e.message(), "the demo webhook receiver is not connected");
            *state.problem.lock().expect("demo lock") = Some(e.message().to_string());
        }
    }
}

async fn connect_receiver(platform: &Platform, base: &str) -> Result<String, ApiError> {
    let db = &platform.db;
    let partner = &PartnerId::new(tessera_core::demo::PARTNER_ID);
    let url = format!("{base}/demo/webhooks");
    let existing = webhooks::list(db, partner).await?.into_iter().find(|e| e.url == url);
    let with_secret = match existing {
        Some(endpoint) => {
            if endpoint.status != tessera_core::types::EndpointStatus::Enabled {
                webhooks::enable(db, webhooks::Scope::Partner(partner), &endpoint.id).await?;
            }
            // No grace: the previous secret (of an earlier run) is not known any more.
            webhooks::rotate_secret(db, webhooks::Scope::Partner(partner), &endpoint.id, 0).await?
        }
        None => {
            let new = webhooks::NewEndpoint {
                url,
                scheme: Some(Scheme::Tessera),
                description: Some("The /demo page's built-in receiver".into()),
                ..Default::default()
            };
            webhooks::create(db, platform.outbound.destinations(), partner, new, i64::from(platform.config.webhooks.max_in_flight)).await?
        }
    };
    Ok(with_secret.secret)
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let demo = &state.demo;
    let secret = demo.secret.lock().expect("demo lock").clone();
    let now = tessera_core::clock::now_ms();
    let verdict = match &secret {
        Some(secret) => webhooks::signing::verify(Scheme::Tessera, secret, &headers, &body, Some(now / 1000)),
        None => Err("the receiver has no secret (it is not connected)".into()),
    };
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = |key: &str| event.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let entry = Received {
        received_at: tessera_core::clock::to_rfc3339(now),
        event_id: text("id"),
        event_type: text("type"),
        verified: verdict.is_ok(),
        error: verdict.as_ref().err().cloned(),
    };
    {
        let mut received = demo.received.lock().expect("demo lock");
        received.push_front(entry);
        received.truncate(KEPT);
    }
    match verdict {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        // As a careful receiver would: refuse what does not verify.
        Err(why) => (StatusCode::UNAUTHORIZED, why).into_response(),
    }
}

async fn log(State(state): State<AppState>) -> Result<Json<ReceiverLog>, ApiError> {
    enabled(&state)?;
    let demo = &state.demo;
    Ok(Json(ReceiverLog {
        connected: demo.secret.lock().expect("demo lock").is_some(),
        problem: demo.problem.lock().expect("demo lock").clone(),
        deliveries: demo.received.lock().expect("demo lock").iter().cloned().collect(),
    }))
}

fn enabled(state: &AppState) -> Result<(), ApiError> {
    if state.platform.config.demo_page {
        Ok(())
    } else {
        Err(ApiError::not_found("The demo page is off; set TESSERA_DEMO_PAGE=true to turn it on."))
    }
}

async fn page(State(state): State<AppState>) -> Result<Response, ApiError> {
    enabled(&state)?;
    let partner = tessera_core::partners::find_recent(&state.platform, &PartnerId::new(tessera_core::demo::PARTNER_ID))
        .await?
        .ok_or_else(|| ApiError::not_found("There is no demo partner yet: run `tessera demo` first."))?;
    let now_s = tessera_core::clock::now_ms() / 1000;
    // What a partner's backend does: mint a short-lived JWT for its user.
    let token = tessera_core::tokens::mint(partner.jwt_secret(), &partner.id, &tessera_core::demo::USER_ID.into(), now_s, 600);
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let src = format!("/consumer?clientId={}&appVersion=demo&deviceId=demo-browser#token={token}", partner.id);
    let html = PAGE.replace("{{nonce}}", &nonce).replace("{{src}}", &src);
    let csp = format!(
        "default-src 'self'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; frame-src 'self'; \
         connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

const PAGE: &str = include_str!("demo.html");
