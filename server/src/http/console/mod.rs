//! The people's screens (SPEC §12): the operator console under `/console`
//! and the partner portal under `/portal`, for the accounts of
//! `tessera_core::people`.
//!
//! Pages are rendered on the server with Leptos' `view!` (which escapes
//! every value) and are plain HTML forms: they ship no WASM and need no
//! script, so the webview's bundle stays the end users' alone. Who may see a
//! page is decided by extractors: [`OperatorOnly`] (anyone else gets a 404)
//! and [`Member`] (a partner's people, each limited to their role's jobs);
//! a partner's data is always read scoped to the signed-in person's partner,
//! so another partner's is a 404, as in the APIs. Every write comes from our
//! own pages (`security::same_origin_writes`) and is written to the audit log.

mod audit;
mod chart;
mod integration;
mod layout;
mod orders;
mod portal;
mod review;
mod setup;
mod sign_in;
mod theme;

use super::AppState;
use axum::{
    Router,
    extract::FromRequestParts,
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use tessera_core::{
    clock::now_ms,
    error::{ApiError, ErrorCode},
    people::{self, Person, Role},
    types::PartnerId,
};

pub use layout::Notice;
pub use setup::upload_routes;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(sign_in::routes())
        .merge(review::routes())
        .merge(setup::routes())
        .merge(audit::routes())
        .merge(portal::routes())
        .merge(theme::routes())
        .merge(orders::routes())
        .merge(integration::routes())
}

/// The signed-in person, from the session cookie.
pub struct Signed(pub Person);

/// Where a page sends someone who is not signed in.
fn to_sign_in() -> Response {
    Redirect::to("/console/login").into_response()
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let Some(token) = sign_in::token_in(&parts.headers) else { return Err(to_sign_in()) };
        match people::signed_in(&s.platform.db, &token, now_ms()).await {
            Ok(person) => Ok(Signed(person)),
            Err(e) if e.code() == ErrorCode::Unauthorized => Err(to_sign_in()),
            Err(e) => Err(Shown(e).into_response()),
        }
    }
}

/// An operator. To anyone else the operator's pages do not exist.
pub struct OperatorOnly(pub Person);

impl FromRequestParts<AppState> for OperatorOnly {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let Signed(person) = Signed::from_request_parts(parts, s).await?;
        if person.role != Role::Operator {
            return Err(Shown(ApiError::not_found("No such page.")).into_response());
        }
        Ok(OperatorOnly(person))
    }
}

/// What a partner's people do in the portal; each role does some of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Webhook endpoints, the delivery log, resends, test events.
    Webhooks,
    /// The partner's id, origins and secrets' metadata.
    SeeCredentials,
    /// Rotating the API, JWT and integration secrets.
    RotateCredentials,
    /// The webview's theme.
    Theme,
    /// The partner's people: who they are, inviting more.
    Team,
}

impl Job {
    pub fn allowed(self, role: Role) -> bool {
        match role {
            Role::Operator | Role::PartnerAdmin => true,
            Role::PartnerDeveloper => matches!(self, Job::Webhooks | Job::SeeCredentials),
            // Theme only.
            Role::Designer => self == Job::Theme,
        }
    }
}

/// One of a partner's people (not an operator: the portal shows one
/// partner's data, the operator's console every partner's).
pub struct Member {
    pub person: Person,
    pub partner: PartnerId,
}

impl Member {
    /// The job, if the member's role includes it; else 403 saying so.
    pub fn may(&self, job: Job) -> Result<(), Shown> {
        if job.allowed(self.person.role) {
            return Ok(());
        }
        Err(Shown(ApiError::new(
            ErrorCode::Forbidden,
            format!("Your role ({}) does not include this; ask your partner's admin.", self.person.role),
        )))
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let Signed(person) = Signed::from_request_parts(parts, s).await?;
        match person.partner_id.clone() {
            Some(partner) => Ok(Member { person, partner }),
            None => Err(Redirect::to("/console").into_response()),
        }
    }
}

/// An error shown as a page of the console (not as JSON): its message, and
/// the way back.
pub struct Shown(pub ApiError);

impl From<ApiError> for Shown {
    fn from(e: ApiError) -> Self {
        Shown(e)
    }
}

impl IntoResponse for Shown {
    fn into_response(self) -> Response {
        let e = self.0;
        e.report();
        let status = e.status();
        let message = if status.is_server_error() { "Something went wrong on our side; please try again." } else { e.message() };
        let mut response = layout::bare_page(&format!("{} · Tessera", status.canonical_reason().unwrap_or("Error")), message, status);
        if let Some(seconds) = e.retry_after() {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// What a console handler answers.
pub type Screen = Result<Response, Shown>;

/// A write's outcome for its page: a client error (bad input, a conflict) is
/// said on the page it came from, with its status; anything else is an error page.
pub fn said_or_shown(e: ApiError) -> Result<(Notice, StatusCode), Shown> {
    if e.status().is_client_error() && e.code() != ErrorCode::NotFound {
        let status = e.status();
        return Ok((Notice::refused(&e), status));
    }
    Err(Shown(e))
}

/// After a write: back to the page (303), which says `done` (one of the
/// fixed messages of [`layout::done_text`]; nothing the request wrote is echoed).
pub fn done(to: &str, what: &str) -> Response {
    let separator = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{separator}done={what}")).into_response()
}

/// An invitation just made: its link (to show once), and whether it was
/// emailed (`None`: no mail server is configured).
pub struct Invited {
    pub inv: people::Invitation,
    pub link: String,
    pub emailed: Option<Result<(), String>>,
}

/// Invites someone (`role` as a form gives it: a partner's role with
/// `partner`, `operator` without) on behalf of `actor`, and emails the link
/// when a mail server is configured.
pub async fn invite(s: &AppState, actor: &Person, email: &str, role: &str, partner: Option<&PartnerId>) -> Result<Invited, ApiError> {
    let role = Role::parse(role).filter(|r| (*r == Role::Operator) == partner.is_none()).ok_or_else(|| {
        ApiError::validation(vec![(
            "role",
            if partner.is_some() { "choose partner admin, partner developer or designer" } else { "must be operator" }.into(),
        )])
    })?;
    let (inv, token) = people::invite(&s.platform.db, Some(actor), email, role, partner, now_ms()).await?;
    let link = crate::cli::invitation_link(&s.platform.config, &token);
    let emailed = crate::cli::email_invitation(&s.platform.config, &inv, &link).await;
    Ok(Invited { inv, link, emailed })
}

/// One CSV field (RFC 4180: quoted, quotes doubled). A field a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, tab, CR) starts with `'`.
pub fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// CSV text as a download named `filename`, never cached.
pub fn csv_response(text: String, filename: &'static str) -> Response {
    use axum::http::{HeaderValue, header};
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `path?query` with the pairs that have a value (a list's filters, its
/// cursor, `format=csv`).
pub fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() { path.to_string() } else { format!("{path}?{q}") }
}

/// A posted form, read as axum's `Form` reads it; one it cannot read (a
/// field twice, a body that is not a form) is a console page saying why,
/// not a line of plain text.
pub struct Posted<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for Posted<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Posted(value)),
            Err(e) => {
                Err(Shown(ApiError::new(ErrorCode::BadRequest, format!("The form could not be read: {}.", e.body_text()))).into_response())
            }
        }
    }
}
