//! The theme editor for people: `/portal/theme` (a partner's admins and
//! designers, their partner only) and `/console/partners/{id}/theme`
//! (operators, any partner). Each page has its JSON twin (`theme.json`:
//! GET the theme, PUT a new one, with the session cookie) that the editor's
//! script reads and saves through; every save is in the audit log with the
//! theme before and after. The preview is signed in: the page opens a
//! webview session for a preview user of the partner (one per person), so
//! the wallet and history show as a user sees them.

use super::{AppState, Job, Member, OperatorOnly, Screen, layout::page_of};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;
use tessera_core::{
    error::ApiError,
    ids::sha256_hex,
    partners,
    people::{self, Person},
    theme::Theme,
    types::{ExternalUserId, PartnerId},
    users,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/theme", get(portal_page))
        .route("/portal/theme.json", get(portal_get).put(portal_put))
        .route("/console/partners/{id}/theme", get(console_page))
        .route("/console/partners/{id}/theme.json", get(console_get).put(console_put))
        // Where the editor was: it needed the operator token.
        .route("/consumer/theme-editor", get(|| async { axum::response::Redirect::permanent("/portal/theme") }))
}

/// The screens the preview shows, signed in, for `partner`.
async fn screens(s: &AppState, partner: &PartnerId) -> Result<Vec<(String, String)>, ApiError> {
    let client = format!("clientId={}", partner.as_str());
    let mut out = vec![
        (format!("/consumer?{client}"), "Home".to_string()),
        (format!("/consumer/search?q=&{client}"), "Search".to_string()),
        (format!("/consumer/wallet?{client}"), "Wallet".to_string()),
        (format!("/consumer/transactions?{client}"), "History".to_string()),
        (format!("/consumer/help?{client}"), "Help".to_string()),
    ];
    let db = &s.platform.db;
    if let Some(m) = tessera_core::merchants::list(db, Some(tessera_core::types::MerchantStatus::Active)).await?.into_iter().next() {
        out.insert(2, (format!("/consumer/merchants/{}?{client}", m.id), format!("Merchant ({})", m.name)));
    }
    // A voucher's screen, and a gift card's checkout when one is sold.
    let published = tessera_core::vouchers::Find { status: Some(tessera_core::types::VoucherStatus::Published), ..Default::default() };
    let some = tessera_core::vouchers::find(db, &published, 50).await?;
    if let Some(v) = some.iter().find(|v| v.price.is_none() && v.cohorts.is_empty() && v.unlock_code.is_none()) {
        out.insert(3, (format!("/consumer/vouchers/{}?{client}", v.id), "Voucher".to_string()));
    }
    if let Some(v) = some.iter().find(|v| v.price.is_some() && v.cohorts.is_empty()) {
        out.push((format!("/consumer/buy/{}?{client}", v.id), "Checkout".to_string()));
    }
    out.push((format!("/consumer/favorites?{client}"), "Favourites".to_string()));
    Ok(out)
}

/// The editor's page for `partner`, with the preview user's webview session
/// set in this browser.
async fn editor(s: &AppState, who: &Person, partner: &PartnerId, source: String, here: &str) -> Screen {
    let p = partners::get(&s.platform.db, partner).await?;
    let preview_user = ExternalUserId::new(format!("tessera-preview-{}", &sha256_hex(who.id.as_bytes())[..12]));
    let user = users::ensure(&s.platform.db, partner, &preview_user, &users::Profile::default()).await?;
    let session = tessera_core::sessions::create(&s.platform.db, partner, &user.id).await?;
    let screens = screens(s, partner).await?;
    let body = move || leptos::prelude::view! { <tessera_app::pages::ThemeEditor source screens/> };
    let mut response = page_of(&format!("Theme of {}", p.name), who, here, None, StatusCode::OK, body);
    response.headers_mut().append(header::SET_COOKIE, super::super::webview::session_cookie(&session.session_token)?);
    Ok(response)
}

async fn save(s: &AppState, who: &Person, partner: &PartnerId, theme: Theme) -> Result<Json<Theme>, ApiError> {
    let before = partners::theme(&s.platform.db, partner).await?;
    let after = partners::set_theme(&s.platform, partner, &theme).await?;
    people::record(&s.platform.db, who, "partner.theme_saved", partner.as_str(), Some(json!(before)), Some(json!(after))).await?;
    Ok(Json(after))
}

/// A theme from a request's JSON body, or a 422 saying what is wrong.
fn parse(body: &[u8]) -> Result<Theme, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::validation(vec![("theme", e.to_string())]))
}

async fn portal_page(m: Member, State(s): State<AppState>) -> Screen {
    m.may(Job::Theme)?;
    editor(&s, &m.person, &m.partner, "/portal/theme.json".into(), "/portal/theme").await
}

/// JSON answers for the editor's script: errors as JSON too.
fn json_refusal(shown: super::Shown) -> Response {
    shown.0.into_response()
}

async fn portal_get(m: Member, State(s): State<AppState>) -> Response {
    if let Err(shown) = m.may(Job::Theme) {
        return json_refusal(shown);
    }
    partners::theme(&s.platform.db, &m.partner).await.map(Json).into_response()
}

async fn portal_put(m: Member, State(s): State<AppState>, body: axum::body::Bytes) -> Response {
    if let Err(shown) = m.may(Job::Theme) {
        return json_refusal(shown);
    }
    match parse(&body) {
        Ok(theme) => save(&s, &m.person, &m.partner, theme).await.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn console_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    let id = PartnerId::new(id);
    let source = format!("/console/partners/{}/theme.json", id.as_str());
    editor(&s, &me, &id, source, "/console/partners").await
}

async fn console_get(OperatorOnly(_): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    partners::theme(&s.platform.db, &PartnerId::new(id)).await.map(Json).into_response()
}

async fn console_put(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    match parse(&body) {
        Ok(theme) => save(&s, &me, &PartnerId::new(id), theme).await.into_response(),
        Err(e) => e.into_response(),
    }
}
