//! The webview's own session (SPEC §3): the boot script posts the partner JWT
//! it read from the URL fragment here, and gets the platform session as an
//! HttpOnly cookie, so pages (deep links included) render the user's data on
//! the server and no script ever holds the session token.

use super::{AppState, extract::Consumer};
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use tessera_core::{
    error::{ApiError, ErrorBody},
    sessions,
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
        (status = 401, description = "authentication_required · token_invalid · token_expired · token_unknown_issuer", body = ErrorBody),
        (status = 429, description = "rate_limited (per client address)", body = ErrorBody),
    ))]
async fn open_webview_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    consumer: Consumer,
) -> Result<Response, ApiError> {
    let session = super::consumer::open_session_for(&state, peer, &consumer).await?;
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=None; Partitioned",
        session.session_token,
        sessions::SESSION_TTL_MS / 1000
    );
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
