//! Getting in and managing one's own account: `/console/login` (a form; JSON
//! too) and its second step `/console/login/code` when a TOTP is set up,
//! `/console/invite/{token}` (an invitation's one-time link), `/console/logout`,
//! `/console/me`, and `/console/account` (change the password, set up or turn
//! off the authenticator app). The session is an HttpOnly, Secure,
//! `SameSite=Strict` cookie; every write must come from this server's own
//! pages (`security::same_origin_writes`); sign-ins and codes are
//! rate-limited per address. No password or code is ever logged.

use super::{
    AppState, Screen, Signed,
    layout::{Notice, NoticeView, document, page},
    said_or_shown,
};
use axum::{
    Json, Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use leptos::prelude::*;
use serde::Deserialize;
use std::net::SocketAddr;
use tessera_core::{
    clock::now_ms,
    error::{ApiError, ErrorCode},
    people::{self, Person, Role},
};

/// The console's session cookie.
pub const COOKIE: &str = "tessera_console";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_page).post(login))
        .route("/console/login/code", get(code_page).post(give_code))
        .route("/console/invite/{token}", get(invitation_page).post(accept_invitation))
        .route("/console/logout", post(logout))
        .route("/console/me", get(me))
        .route("/console/account", get(account_page))
        .route("/console/account/password", post(change_password))
        .route("/console/account/totp", post(begin_totp))
        .route("/console/account/totp/confirm", post(confirm_totp))
        .route("/console/account/totp/off", post(remove_totp))
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

/// Sets the session cookie on a response.
fn with_session(mut response: Response, token: &str) -> Response {
    let cookie = format!("{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict", people::SESSION_MS / 1000);
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// Where a person starts: the console for operators, the portal for everyone else.
fn home_of(person: &Person) -> &'static str {
    if person.role == Role::Operator { "/console" } else { "/portal" }
}

/// A page outside the frame (nobody is signed in yet): a heading, what went
/// wrong if anything, and a form.
fn public(title: &str, notice: Option<Notice>, status: StatusCode, form: impl IntoView + 'static) -> Response {
    let heading = title.to_string();
    let inner = Owner::new().with(move || {
        view! {
            <main id="main" class="narrow">
                <h1>{heading}</h1>
                {notice.map(|notice| view! { <NoticeView notice/> })}
                {form}
            </main>
        }
        .to_html()
    });
    document(&format!("{title} · Tessera"), &inner, status, &uuid::Uuid::new_v4().simple().to_string())
}

fn login_form(email: String) -> impl IntoView {
    view! {
        <form method="post" action="/console/login" class="card">
            <label for="email">"Email"</label>
            <input id="email" name="email" type="email" autocomplete="username" required value=email/>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required/>
            <div class="actions"><button type="submit">"Sign in"</button></div>
        </form>
    }
}

async fn login_page() -> Response {
    public("Sign in to Tessera", None, StatusCode::OK, login_form(String::new()))
}

#[derive(Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

/// Signs in: a form post answers the home page (or the code's step, or the
/// form again saying why); JSON answers the person.
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
    let session = match people::sign_in(&s.platform.db, &asked.email, &asked.password, now_ms()).await {
        Ok(session) => session,
        Err(e) if !json && matches!(e.code(), ErrorCode::SignInFailed | ErrorCode::AccountLocked) => {
            let notice = Notice { ok: false, text: e.message().to_string(), fields: vec![] };
            return Ok(public("Sign in to Tessera", Some(notice), e.status(), login_form(asked.email)));
        }
        Err(e) => return Err(e),
    };
    let response = match (json, session.second_factor_due) {
        (true, true) => (StatusCode::ACCEPTED, Json(serde_json::json!({ "secondFactorRequired": true }))).into_response(),
        (true, false) => Json(&session.person).into_response(),
        (false, true) => Redirect::to("/console/login/code").into_response(),
        (false, false) => Redirect::to(home_of(&session.person)).into_response(),
    };
    Ok(with_session(response, &session.token))
}

fn code_form() -> impl IntoView {
    view! {
        <form method="post" action="/console/login/code" class="card">
            <label for="code">"Authentication code"</label>
            <p class="hint" id="code-hint">"The 6 digits your authenticator app shows for Tessera now."</p>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required aria-describedby="code-hint"/>
            <div class="actions"><button type="submit">"Continue"</button></div>
        </form>
    }
}

async fn code_page() -> Response {
    public("Two-step sign-in", None, StatusCode::OK, code_form())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The second step: the code for the session the password opened.
async fn give_code(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    super::Posted(f): super::Posted<CodeForm>,
) -> Result<Response, ApiError> {
    s.limits.sign_in(peer.ip())?;
    let Some(token) = token_in(&headers) else { return Ok(Redirect::to("/console/login").into_response()) };
    match people::give_second_factor(&s.platform.db, &token, &f.code, now_ms()).await {
        Ok(person) => Ok(Redirect::to(home_of(&person)).into_response()),
        Err(e) if e.code() == ErrorCode::Unauthorized => Ok(Redirect::to("/console/login").into_response()),
        Err(e) if e.status().is_client_error() => {
            let notice = Notice { ok: false, text: e.message().to_string(), fields: vec![] };
            Ok(public("Two-step sign-in", Some(notice), e.status(), code_form()))
        }
        Err(e) => Err(e),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Operator => "operator",
        Role::PartnerAdmin => "partner admin",
        Role::PartnerDeveloper => "partner developer",
        Role::Designer => "designer",
    }
}

async fn invitation_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match people::invitation(&s.platform.db, &token, now_ms()).await {
        Ok(inv) => invitation_form(&token, &inv, None, StatusCode::OK),
        Err(e) => super::Shown(e).into_response(),
    }
}

fn invitation_form(token: &str, inv: &people::Invitation, notice: Option<Notice>, status: StatusCode) -> Response {
    let whose = inv.partner_id.as_ref().map(|p| format!(" of partner {}", p.as_str())).unwrap_or_default();
    let action = format!("/console/invite/{token}");
    let email = inv.email.clone();
    let about = format!("You are invited as {}{whose}. Choose a password to make your account.", role_name(inv.role));
    public(
        "Join Tessera",
        notice,
        status,
        view! {
            <p>{about}</p>
            <form method="post" action=action class="card">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" value=email readonly/>
                <label for="password">"Password"</label>
                <p class="hint" id="password-hint">"At least 12 characters."</p>
                <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="password-hint"/>
                <label for="repeat">"The password again"</label>
                <input id="repeat" name="repeat" type="password" autocomplete="new-password" minlength="12" required/>
                <div class="actions"><button type="submit">"Make my account"</button></div>
            </form>
        },
    )
}

#[derive(Deserialize)]
struct NewPassword {
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

async fn accept_invitation(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    super::Posted(f): super::Posted<NewPassword>,
) -> Result<Response, ApiError> {
    s.limits.sign_in(peer.ip())?;
    let db = &s.platform.db;
    let inv = match people::invitation(db, &token, now_ms()).await {
        Ok(inv) => inv,
        Err(e) => return Ok(super::Shown(e).into_response()),
    };
    let accepted = if f.password != f.repeat {
        Err(ApiError::validation(vec![("repeat", "is not the same password".into())]))
    } else {
        people::accept(db, &token, &f.password, now_ms()).await
    };
    match accepted {
        Ok((person, session)) => Ok(with_session(Redirect::to(home_of(&person)).into_response(), &session)),
        Err(e) if e.status().is_client_error() && e.code() != ErrorCode::NotFound => {
            let status = e.status();
            Ok(invitation_form(&token, &inv, Some(Notice::refused(&e)), status))
        }
        Err(e) => Ok(super::Shown(e).into_response()),
    }
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

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn account_page(Signed(me): Signed, State(s): State<AppState>, Query(d): Query<Done>) -> Screen {
    render_account(&s, &me, Notice::done(d.done.as_deref()), StatusCode::OK, None).await
}

/// The account: password, and the authenticator app (`setup`: a secret
/// being set up, shown with its QR code).
async fn render_account(s: &AppState, me: &Person, notice: Option<Notice>, status: StatusCode, setup: Option<people::TotpSetup>) -> Screen {
    let on = people::totp_enabled(&s.platform.db, me).await?;
    let email = me.email.clone();
    let totp = match (on, setup) {
        (true, _) => view! {
            <p>"On: every sign-in asks for a code from your authenticator app."</p>
            <form method="post" action="/console/account/totp/off" class="row">
                <div><label for="off-password">"Your password"</label><input id="off-password" name="password" type="password" autocomplete="current-password" required/></div>
                <button type="submit" class="danger">"Turn off"</button>
            </form>
        }
        .into_any(),
        (false, Some(setup)) => {
            // Our own SVG (the qr module's), inline: no script in it, nothing loaded.
            let qr = tessera_core::qr::svg(&setup.url).unwrap_or_default();
            view! {
                <p>"Scan this with your authenticator app (or type the key), then give the code it shows."</p>
                <div class="qr" role="img" aria-label="QR code of the authenticator key" inner_html=qr></div>
                <p>"Key: "<code class="secret">{setup.secret}</code></p>
                <form method="post" action="/console/account/totp/confirm" class="row">
                    <div><label for="totp-code">"Code"</label><input id="totp-code" name="code" inputmode="numeric" autocomplete="one-time-code" required/></div>
                    <button type="submit">"Turn on"</button>
                </form>
            }
            .into_any()
        }
        (false, None) => view! {
            <p>"Off. With it on, a sign-in also asks for a code from an app on your phone."</p>
            <form method="post" action="/console/account/totp"><button type="submit">"Set up an authenticator app"</button></form>
        }
        .into_any(),
    };
    let body = view! {
        <p>"Signed in as "<strong>{email.clone()}</strong>"."</p>
        <form method="post" action="/console/account/password" class="card">
            <h2>"Change your password"</h2>
            <p class="hint">"Every other sign-in of yours ends; this one goes on."</p>
            <input type="email" name="email" autocomplete="username" value=email hidden readonly/>
            <label for="current">"Current password"</label>
            <input id="current" name="current" type="password" autocomplete="current-password" required/>
            <label for="new-password">"New password (at least 12 characters)"</label>
            <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required/>
            <label for="new-repeat">"The new password again"</label>
            <input id="new-repeat" name="repeat" type="password" autocomplete="new-password" minlength="12" required/>
            <div class="actions"><button type="submit">"Change password"</button></div>
        </form>
        <section class="card" aria-labelledby="totp">
            <h2 id="totp">"Two-step sign-in"</h2>
            {totp}
        </section>
    };
    Ok(page("Your account", me, "/console/account", notice, status, body))
}

#[derive(Deserialize)]
struct PasswordChange {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

async fn change_password(Signed(me): Signed, State(s): State<AppState>, super::Posted(f): super::Posted<PasswordChange>) -> Screen {
    let changed = if f.password != f.repeat {
        Err(ApiError::validation(vec![("repeat", "is not the same password".into())]))
    } else {
        people::change_password(&s.platform.db, &me, &f.current, &f.password, now_ms()).await
    };
    match changed {
        Ok(token) => Ok(with_session(super::done("/console/account", "password-changed"), &token)),
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render_account(&s, &me, Some(notice), status, None).await
        }
    }
}

async fn begin_totp(Signed(me): Signed, State(s): State<AppState>) -> Screen {
    let setup = people::begin_totp(&s.platform.db, &me, now_ms()).await?;
    render_account(&s, &me, None, StatusCode::OK, Some(setup)).await
}

async fn confirm_totp(Signed(me): Signed, State(s): State<AppState>, super::Posted(f): super::Posted<CodeForm>) -> Screen {
    match people::confirm_totp(&s.platform.db, &me, &f.code, now_ms()).await {
        Ok(()) => Ok(super::done("/console/account", "totp-on")),
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            // The same key again, so the app set up from it still fits.
            let setup = people::pending_totp(&s.platform.db, &me).await?;
            render_account(&s, &me, Some(notice), status, setup).await
        }
    }
}

#[derive(Deserialize)]
struct PasswordOnly {
    #[serde(default)]
    password: String,
}

async fn remove_totp(Signed(me): Signed, State(s): State<AppState>, super::Posted(f): super::Posted<PasswordOnly>) -> Screen {
    match people::remove_totp(&s.platform.db, &me, &f.password, now_ms()).await {
        Ok(()) => Ok(super::done("/console/account", "totp-off")),
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render_account(&s, &me, Some(notice), status, None).await
        }
    }
}
