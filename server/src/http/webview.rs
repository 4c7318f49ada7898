//! The webview's own session (SPEC §3): the boot script posts the partner JWT
//! it read from the URL fragment here, and gets the platform session as an
//! HttpOnly cookie, so pages (deep links included) render the user's data on
//! the server and no script ever holds the session token.

use super::{AppState, extract::Consumer};
use axum::{extract::Request, middleware::Next};
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use tessera_core::error::ErrorCode;
use tessera_core::types::PartnerId;
use tessera_core::{
    error::{ApiError, ErrorBody},
    sessions,
    sso::{self, SsoFailure},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The cookie carrying the webview's session.
pub const COOKIE: &str = tessera_app::session::COOKIE;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(open_webview_session))
}

/// Open the webview's session from a partner JWT (as `Authorization: Bearer`,
/// never in a URL). The session comes back as an HttpOnly cookie, usable when
/// the webview is framed by the partner's site (`SameSite=None; Secure;
/// Partitioned`); any other session of the user ends.
#[utoipa::path(post, path = "/consumer/session", tag = "webview", security(("bearer" = [])),
    responses(
        (status = 204, description = "The session cookie is set"),
        (status = 400, description = "bad_request (a session cannot open a session)", body = ErrorBody),
        (status = 429, description = "rate_limited (per client address, and per user)", body = ErrorBody),
    ))]
async fn open_webview_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    consumer: Consumer,
) -> Result<Response, ApiError> {
    let session = super::consumer::open_session_for(&state, peer, &consumer).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&session.session_token)?);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The session as the webview's cookie: usable when the webview is framed by
/// the partner's site (`SameSite=None; Secure; Partitioned`), never by script.
pub(super) fn session_cookie(token: &str) -> Result<HeaderValue, ApiError> {
    let cookie =
        format!("{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=None; Partitioned", sessions::SESSION_TTL_MS / 1000);
    HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

/// SSO sign-in (SPEC §3): a page under `/consumer` opened with `?clientId=P&token=T`
/// asks the partner's backend who `T` is. Known: the user's session cookie is
/// set and the browser is sent to the same URL without the token. Refused:
/// the page renders with the refusal (an error screen, and the `error` bridge
/// message; for sandbox partners a debug panel). The token is never logged.
pub async fn sso_boot(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    if req.method() != axum::http::Method::GET || !req.uri().path().starts_with("/consumer") {
        return next.run(req).await;
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let Some(token) = pairs.iter().find(|(k, _)| k == "token").map(|(_, v)| v.clone()) else {
        return next.run(req).await;
    };
    let rest: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "token").collect();
    let clean = {
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(rest.iter().map(|(k, v)| (k, v))).finish();
        if query.is_empty() { req.uri().path().to_string() } else { format!("{}?{query}", req.uri().path()) }
    };
    let client = tessera_core::webview::client_id(req.uri().query());
    let refused = |code: ErrorCode, message: &str| SsoFailure { code, message: message.into(), debug: None };
    let failure = if state.limits.session(peer.ip()).is_err() {
        refused(ErrorCode::RateLimited, "Too many sign-ins from this address; wait a minute and open the link again.")
    } else {
        match client {
            None => refused(ErrorCode::SsoUnavailable, "This sign-in link names no app (a clientId such as acme-bank)."),
            Some(id) => match tessera_core::partners::find_recent(&state.platform, &id).await {
                Ok(Some(partner)) => match sso::identify(&state.platform, &partner, &token).await {
                    Ok(user) => match sign_in(&state, &partner.id, &user).await {
                        Ok(cookie) => {
                            let mut response = axum::response::Redirect::to(&clean).into_response();
                            response.headers_mut().insert(header::SET_COOKIE, cookie);
                            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                            return response;
                        }
                        Err(e) => {
                            e.report();
                            refused(e.code(), e.message())
                        }
                    },
                    Err(failure) => failure,
                },
                Ok(None) => refused(ErrorCode::UnknownPartner, "This sign-in link names an unknown app (clientId)."),
                Err(e) => {
                    e.report();
                    refused(e.code(), e.message())
                }
            },
        }
    };
    tracing::info!(code = %failure.code, "SSO sign-in refused");
    // The refusal screen carries the refusal's status (401 refused, 502 the
    // backend failed, 501 no SSO set up, 429 …), as docs/sso.md promises.
    let status = StatusCode::from_u16(failure.code.status()).ok();
    req.extensions_mut().insert(failure);
    let mut response = next.run(req).await;
    if let Some(status) = status.filter(|_| response.status() == StatusCode::OK) {
        *response.status_mut() = status;
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn sign_in(state: &AppState, partner_id: &PartnerId, user: &sso::SsoUser) -> Result<HeaderValue, ApiError> {
    let db = &state.platform.db;
    let found = tessera_core::users::ensure(db, partner_id, &user.user_id.as_str().trim().into(), &user.profile).await?;
    let session = sessions::create(db, partner_id, &found.id).await?;
    session_cookie(&session.session_token)
}

/// The session of the request's cookie as [`prefs`] found it (`None`: no valid
/// one), so the layers inside it do not look it up again.
#[derive(Debug, Clone)]
pub struct SessionLookup(pub Option<sessions::SessionOwner>);

/// Settles the language and time zone of a page or server-function request
/// (`tessera_app::i18n::Prefs`, in its extensions) before it is rendered: see
/// `tessera_app::i18n` for the order. A `?locale=` naming a shipped language
/// is kept in a cookie, so later screens and the islands' calls speak it too.
pub async fn prefs(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let program = super::errors::is_api_path(path) && !path.starts_with("/api/");
    if program || path.starts_with("/pkg/") {
        return next.run(req).await;
    }
    let query: Vec<(String, String)> = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let asked = param("locale").as_deref().and_then(tessera_app::i18n::Locale::parse);
    let cookies = req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let cookie =
        |name: &str| cookies.split(';').filter_map(|c| c.trim().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v.to_owned());
    let db = &state.platform.db;
    let owner = match tessera_app::session::token_in(&cookies) {
        Some(token) => sessions::authenticate(db, token, tessera_core::clock::now_ms()).await.ok(),
        None => None,
    };
    let user_locale = match &owner {
        Some(o) => tessera_core::users::locale_of(db, &o.user_id).await.ok().flatten(),
        None => None,
    };
    let partner_id = owner.as_ref().map(|o| o.partner_id.clone()).or_else(|| tessera_core::webview::client_id(req.uri().query()));
    let settings = match partner_id {
        Some(id) => tessera_core::partners::find_recent(&state.platform, &id).await.ok().flatten().map(|p| p.webview()).unwrap_or_default(),
        None => Default::default(),
    };
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let locale = tessera_app::i18n::choose(
        asked.map(|l| l.tag()),
        cookie(tessera_app::i18n::COOKIE).as_deref(),
        user_locale.as_deref(),
        accept.as_deref(),
        settings.default_locale,
    );
    req.extensions_mut().insert(tessera_app::i18n::Prefs { locale, zone: settings.zone() });
    req.extensions_mut().insert(SessionLookup(owner));
    let mut response = next.run(req).await;
    if let Some(asked) = asked {
        let kept = format!("{}={}; Path=/; Max-Age=31536000; Secure; SameSite=None; Partitioned", tessera_app::i18n::COOKIE, asked.tag());
        if let Ok(value) = HeaderValue::from_str(&kept) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    // The same URL reads differently by language.
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    response
}
