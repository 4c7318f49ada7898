//! Signing in to the console and the portal: `/console/login` (a form; JSON
//! too), `/console/logout`, `/console/me`. The session is an HttpOnly,
//! Secure, `SameSite=Strict` cookie; every write must come from this
//! server's own pages (`security::same_origin_writes`); sign-ins are
//! rate-limited per address.

use super::super::{
    AppState,
    plain_page::{escape, page_with},
};
use axum::{
    Json, Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use std::net::SocketAddr;
use tessera_core::{
    clock::now_ms,
    error::{ApiError, ErrorCode},
    people::{self, Person},
};

/// The console's session cookie.
pub const COOKIE: &str = "tessera_console";

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/login", get(login_page).post(login)).route("/console/logout", post(logout)).route("/console/me", get(me))
}

pub(super) fn token_in(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// A console page: nothing may frame it.
fn console_page(title: &str, body: &str, status: StatusCode) -> Result<Response, ApiError> {
    let mut response = page_with(title, body, "")?;
    *response.status_mut() = status;
    if let Some(csp) = response.headers().get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) {
        let csp = csp.replace("frame-ancestors 'self'", "frame-ancestors 'none'");
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?);
    }
    Ok(response)
}

fn login_form(email: &str, said: Option<&str>) -> String {
    let said = said.map(|s| format!("<p role=alert class=error>{}</p>", escape(s))).unwrap_or_default();
    format!(
        "<h1>Sign in to Tessera</h1>{said}<form method=post action=/console/login>\
         <p><label for=email>Email</label><br><input id=email name=email type=email autocomplete=username required value=\"{}\"></p>\
         <p><label for=password>Password</label><br><input id=password name=password type=password autocomplete=current-password required></p>\
         <button type=submit>Sign in</button></form>",
        escape(email)
    )
}

async fn login_page() -> Result<Response, ApiError> {
    console_page("Sign in · Tessera", &login_form("", None), StatusCode::OK)
}

#[derive(Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

/// Signs in: a form post answers the console (or the form again, with why);
/// JSON answers the person. The password is never logged.
async fn login(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let asked: SignIn = if json {
        serde_json::from_slice(&body).map_err(|e| ApiError::validation(vec![("body", e.to_string())]))?
    } else {
        let field =
            |name: &str| url::form_urlencoded::parse(&body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default();
        SignIn { email: field("email"), password: field("password") }
    };
    s.limits.sign_in(peer.ip())?;
    let signed = people::sign_in(&s.platform.db, &asked.email, &asked.password, now_ms()).await;
    let (person, token) = match signed {
        Ok(found) => found,
        Err(e) if !json && matches!(e.code(), ErrorCode::SignInFailed | ErrorCode::AccountLocked) => {
            let status = StatusCode::from_u16(e.code().status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return console_page("Sign in · Tessera", &login_form(&asked.email, Some(e.message())), status);
        }
        Err(e) => return Err(e),
    };
    let cookie = format!("{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict", people::SESSION_MS / 1000);
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let home = if person.role == people::Role::Operator { "/console" } else { "/portal" };
    let mut response = if json { Json(person).into_response() } else { Redirect::to(home).into_response() };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Ends the session and forgets the cookie.
async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = token_in(&headers) {
        people::sign_out(&s.platform.db, &token).await?;
    }
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_static("tessera_console=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"));
    Ok(response)
}

/// Who is signed in (JSON; 401 when nobody is).
async fn me(State(s): State<AppState>, headers: HeaderMap) -> Result<Json<Person>, ApiError> {
    let token = token_in(&headers).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "Sign in to the console first."))?;
    Ok(Json(people::signed_in(&s.platform.db, &token, now_ms()).await?))
}
