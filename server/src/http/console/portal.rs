//! `/portal`: a partner's people at work on their own partner — its
//! overview and credentials' metadata, webhook endpoints (add, disable,
//! enable, rotate the secret, recover), each endpoint's delivery log with
//! every attempt, events with their deliveries, and resending one.
//!
//! Everything is read with `Scope::Partner` of the signed-in person's
//! partner: another partner's endpoint or event is a 404, as in the APIs.

use super::{
    AppState, Job, Member, Screen, done, href,
    layout::{Chip, InvitationLink, InviteForm, Notice, PeopleTable, page, when},
    said_or_shown,
};
use crate::http::webhooks::{default_in_flight, destinations};
use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;
use tessera_core::{
    clock::{now_ms, parse_rfc3339},
    error::ApiError,
    events::{self, EventType},
    partners, people,
    types::{DeliveryStatus, Scope},
    webhooks::{self, Endpoint, EndpointWithSecret, NewEndpoint, PayloadProfile, queue},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(overview))
        .route("/portal/credentials/rotate", post(rotate_credentials))
        .route("/portal/team", get(team_page).post(invite_member))
        .route("/portal/endpoints", get(endpoints_page).post(create_endpoint))
        .route("/portal/endpoints/{id}", get(endpoint_page))
        .route("/portal/endpoints/{id}/edit", post(edit_endpoint))
        .route("/portal/endpoints/{id}/disable", post(disable))
        .route("/portal/endpoints/{id}/enable", post(enable))
        .route("/portal/endpoints/{id}/rotate", post(rotate))
        .route("/portal/endpoints/{id}/recover", post(recover))
        .route("/portal/endpoints/{id}/test", post(send_test))
        .route("/portal/catalog", get(catalog_page))
        .route("/portal/events", get(events_page))
        .route("/portal/events/{id}", get(event_page))
        .route("/portal/events/{id}/resend", post(resend))
}

const PAGE: i64 = 50;

/// A `(createdAt, id)` cursor as an address carries it: `<ms>.<id>`.
fn cursor(token: Option<&str>) -> Option<(i64, &str)> {
    let (at, id) = token?.split_once('.')?;
    Some((at.parse().ok()?, id))
}

// ---------------------------------------------------------------- overview

async fn overview(m: Member, State(s): State<AppState>) -> Screen {
    render_overview(&s, &m, None, None).await
}

/// The overview; `rotated` shows a new secret, this once.
async fn render_overview(s: &AppState, m: &Member, notice: Option<Notice>, rotated: Option<(&'static str, String)>) -> Screen {
    let partner = partners::get(&s.platform.db, &m.partner).await?.view();
    let may_rotate = Job::RotateCredentials.allowed(m.person.role);
    let credentials = Job::SeeCredentials.allowed(m.person.role).then(|| {
        view! {
            <section class="card" aria-labelledby="credentials">
                <h2 id="credentials">"Credentials"</h2>
                <dl class="facts">
                    <dt>"Partner id"</dt><dd><code>{partner.id.clone().into_string()}</code></dd>
                    <dt>"Allowed origins"</dt><dd>{if partner.allowed_origins.is_empty() { "none".to_string() } else { partner.allowed_origins.join(", ") }}</dd>
                    <dt>"API secret"</dt><dd>{if partner.api_secret_rotating { "rotating: the previous one still verifies" } else { "set" }}</dd>
                    <dt>"JWT secret"</dt><dd>{if partner.jwt_secret_rotating { "rotating: the previous one still verifies" } else { "set" }}</dd>
                    <dt>"Backend (SSO, coins)"</dt><dd>{partner.integration_base_url.clone().unwrap_or_else(|| "not set".into())}</dd>
                    <dt>"Sandbox"</dt><dd>{if partner.sandbox { "yes: test payments and suppliers" } else { "no" }}</dd>
                </dl>
                {may_rotate.then(|| view! {
                    <form method="post" action="/portal/credentials/rotate" class="row">
                        <div><label for="kind">"Secret"</label>
                            <select id="kind" name="kind">
                                <option value="api">"API secret (signed calls)"</option>
                                <option value="jwt">"JWT secret (user tokens)"</option>
                                <option value="integration">"Integration secret (calls to your backend)"</option>
                            </select></div>
                        <button type="submit">"Rotate"</button>
                    </form>
                    <p class="hint">"The previous secret keeps working for 24 hours, so your backend can switch without downtime."</p>
                })}
            </section>
        }
    });
    let webhooks = Job::Webhooks.allowed(m.person.role).then(|| {
        view! { <p><a href="/portal/endpoints">"Webhook endpoints and their delivery log"</a>" · "<a href="/portal/events">"Events"</a></p> }
    });
    let body = view! {
        {rotated.map(|(name, secret)| view! {
            <section class="card" aria-labelledby="new-secret">
                <h2 id="new-secret">{format!("New {name} — shown this once")}</h2>
                <p><code class="secret">{secret}</code></p>
            </section>
        })}
        <p>"You work on "<strong>{partner.name.clone()}</strong>" ("<code>{partner.id.clone().into_string()}</code>")."</p>
        {webhooks}
        {credentials}
    };
    Ok(page("Portal", &m.person, "/portal", notice, StatusCode::OK, body))
}

#[derive(Deserialize)]
struct RotateForm {
    #[serde(default)]
    kind: String,
}

/// A partner admin rotates one of the partner's secrets (24 h of grace).
async fn rotate_credentials(m: Member, State(s): State<AppState>, super::Posted(f): super::Posted<RotateForm>) -> Screen {
    m.may(Job::RotateCredentials)?;
    use tessera_core::partners::SecretKind;
    let (kind, name) = match f.kind.as_str() {
        "api" => (SecretKind::Api, "API secret"),
        "jwt" => (SecretKind::Jwt, "JWT secret"),
        "integration" => (SecretKind::Integration, "integration secret"),
        _ => return Err(ApiError::validation(vec![("kind", "choose api, jwt or integration".into())]).into()),
    };
    let creds = partners::rotate_secret(&s.platform, &m.partner, kind, partners::rotation_grace_ms(None)?).await?;
    people::record(
        &s.platform.db,
        &m.person,
        "partner.secret_rotated",
        m.partner.as_str(),
        None,
        Some(json!({"kind": f.kind, "previousValidUntil": creds.previous_valid_until})),
    )
    .await?;
    let secret = creds.api_secret.or(creds.jwt_secret).or(creds.integration_secret).unwrap_or_default();
    let notice = Notice::ok(format!("The {name} is rotated; the previous one keeps working for 24 hours."));
    render_overview(&s, &m, Some(notice), Some((name, secret))).await
}

// ---------------------------------------------------------------- endpoints

#[derive(Deserialize, Default, Clone)]
pub struct EndpointForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    profile: String,
    /// Empty: the profile's own scheme (create only: a scheme stays with its secret).
    #[serde(default)]
    scheme: String,
    /// Every checked type (a form repeats the name).
    #[serde(default, rename = "type")]
    types: Vec<String>,
}

impl EndpointForm {
    /// The form as posted. A repeated name (`type`) is read from the raw
    /// body: serde's form reader takes one value.
    fn read(raw: &[u8]) -> EndpointForm {
        let mut form = EndpointForm::default();
        for (k, v) in url::form_urlencoded::parse(raw) {
            match k.as_ref() {
                "url" => form.url = v.into_owned(),
                "description" => form.description = v.into_owned(),
                "profile" => form.profile = v.into_owned(),
                "scheme" => form.scheme = v.into_owned(),
                "type" => form.types.push(v.into_owned()),
                _ => {}
            }
        }
        form
    }

    fn of(e: &Endpoint) -> EndpointForm {
        EndpointForm {
            url: e.url.clone(),
            description: e.description.clone(),
            profile: e.payload_profile.as_str().to_string(),
            scheme: e.scheme.as_str().to_string(),
            types: e.event_types.0.iter().map(|t| t.as_str().to_string()).collect(),
        }
    }
}

/// An endpoint's address, description, body profile and event types, as the
/// add and edit forms share them (ids prefixed by `id`).
fn endpoint_fields(form: &EndpointForm, id: &'static str) -> impl IntoView + use<> {
    let form = form.clone();
    let [url, description, profile] = ["url", "description", "profile"].map(|f| format!("{id}-{f}"));
    view! {
        <label for=url.clone()>"URL"</label>
        <input id=url name="url" type="url" required size="60" value=form.url.clone() placeholder="https://backend.example.com/tessera/webhooks"/>
        <label for=description.clone()>"Description"</label>
        <input id=description name="description" maxlength="500" size="60" value=form.description.clone()/>
        <label for=profile.clone()>"Body"</label>
        <select id=profile name="profile">
            {PayloadProfile::ALL.iter().map(|p| { let selected = form.profile == p.as_str(); view! { <option value=p.as_str() selected=selected>{p.as_str()}</option> } }).collect_view()}
        </select>
        <fieldset>
            <legend>"Event types (none checked: every type)"</legend>
            {EventType::ALL.iter().map(|t| {
                let on = form.types.iter().any(|c| c == t.as_str());
                view! { <label class="inline"><input type="checkbox" name="type" value=t.as_str() checked=on/>{t.as_str()}</label>" " }
            }).collect_view()}
        </fieldset>
    }
}

async fn endpoints_page(m: Member, State(s): State<AppState>, Query(d): Query<Done>) -> Screen {
    m.may(Job::Webhooks)?;
    render_endpoints(&s, &m, EndpointForm::default(), Notice::done(d.done.as_deref()), StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

/// A secret shown once, with what it belongs to.
#[component]
fn SecretOnce(secret: String) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="secret">
            <h2 id="secret">"Signing secret — shown this once"</h2>
            <p><code class="secret">{secret}</code></p>
            <p class="hint">"Keep it in your backend's secret store: every delivery is signed with it."</p>
        </section>
    }
}

async fn render_endpoints(
    s: &AppState,
    m: &Member,
    form: EndpointForm,
    notice: Option<Notice>,
    status: StatusCode,
    made: Option<EndpointWithSecret>,
) -> Screen {
    let list = webhooks::list(&s.platform.db, &m.partner).await?;
    let body = view! {
        {made.map(|e| view! { <SecretOnce secret=e.secret/> })}
        {if list.is_empty() {
            view! { <p class="empty">"No endpoints yet: add one below to receive events."</p> }.into_any()
        } else {
            view! {
                <div class="scroll"><table>
                    <thead><tr><th scope="col">"Endpoint"</th><th scope="col">"Events"</th><th scope="col">"Body"</th><th scope="col">"Status"</th></tr></thead>
                    <tbody>{list.into_iter().map(|e| {
                        let link = format!("/portal/endpoints/{}", e.id);
                        let types = if e.event_types.0.is_empty() { "every type".to_string() } else { e.event_types.0.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ") };
                        view! {
                            <tr>
                                <td><a href=link>{e.url}</a><br/><span class="hint">{e.description}</span></td>
                                <td>{types}</td>
                                <td>{e.payload_profile.to_string()}</td>
                                <td><Chip text=e.status.to_string()/></td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        <form class="card" method="post" action="/portal/endpoints">
            <h2>"Add an endpoint"</h2>
            {endpoint_fields(&form, "e")}
            <label for="e-scheme">"Signing"</label>
            <select id="e-scheme" name="scheme">
                <option value="">"the body profile's own"</option>
                {tessera_core::webhooks::Scheme::ALL.into_iter().map(|sc| { let selected = form.scheme == sc.as_str(); view! { <option value=sc.as_str() selected=selected>{sc.as_str()}</option> } }).collect_view()}
            </select>
            <div class="actions"><button type="submit">"Add endpoint"</button></div>
        </form>
    };
    Ok(page("Webhook endpoints", &m.person, "/portal/endpoints", notice, status, body))
}

async fn create_endpoint(m: Member, State(s): State<AppState>, axum::extract::RawForm(raw): axum::extract::RawForm) -> Screen {
    m.may(Job::Webhooks)?;
    let form = EndpointForm::read(&raw);
    let new = NewEndpoint {
        url: form.url.trim().to_string(),
        scheme: tessera_core::webhooks::Scheme::parse(&form.scheme),
        payload_profile: PayloadProfile::parse(&form.profile),
        event_types: Some(form.types.clone()),
        description: Some(form.description.trim().to_string()),
        ..NewEndpoint::default()
    };
    match webhooks::create(&s.platform.db, destinations(&s), &m.partner, new, default_in_flight(&s)).await {
        Ok(made) => {
            people::record(&s.platform.db, &m.person, "endpoint.created", &made.endpoint.id, None, Some(json!(made.endpoint))).await?;
            let notice = Notice::ok("Endpoint added: new events go to it from now on.");
            render_endpoints(&s, &m, EndpointForm::default(), Some(notice), StatusCode::CREATED, Some(made)).await
        }
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render_endpoints(&s, &m, form, Some(notice), status, None).await
        }
    }
}

/// Saves an endpoint's address, description, profile and event types.
async fn edit_endpoint(
    m: Member,
    State(s): State<AppState>,
    Path(id): Path<String>,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Screen {
    m.may(Job::Webhooks)?;
    let scope = Scope::Partner(&m.partner);
    let before = webhooks::get(&s.platform.db, scope, &id).await?;
    let form = EndpointForm::read(&raw);
    let change = tessera_core::webhooks::EndpointUpdate {
        url: Some(form.url.trim().to_string()),
        payload_profile: PayloadProfile::parse(&form.profile),
        event_types: Some(form.types.clone()),
        description: Some(form.description.trim().to_string()),
        ..Default::default()
    };
    match webhooks::update(&s.platform.db, destinations(&s), scope, &id, change).await {
        Ok(after) => {
            people::record(&s.platform.db, &m.person, "endpoint.updated", &id, Some(json!(before)), Some(json!(after))).await?;
            Ok(done(&format!("/portal/endpoints/{id}"), "saved"))
        }
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render_endpoint(&s, &m, &id, &LogFilter::default(), Some(notice), status, Some(Once::Edit(form))).await
        }
    }
}

#[derive(Deserialize, Default)]
struct LogFilter {
    status: Option<String>,
    before: Option<String>,
    done: Option<String>,
    format: Option<String>,
}

async fn endpoint_page(m: Member, State(s): State<AppState>, Path(id): Path<String>, Query(f): Query<LogFilter>) -> Screen {
    m.may(Job::Webhooks)?;
    if f.format.as_deref() == Some("csv") {
        let wanted = f.status.as_deref().and_then(DeliveryStatus::parse);
        let log = queue::deliveries(&s.platform.db, Scope::Partner(&m.partner), &id, wanted, cursor(f.before.as_deref()), 500).await?;
        let mut out = String::from("id,event_id,event_type,status,attempts,last_status,last_error,created_at,delivered_at\r\n");
        for d in &log {
            let fields = [
                d.id.clone(),
                d.event_id.clone(),
                d.event_type.as_str().to_string(),
                d.status.to_string(),
                d.attempts.to_string(),
                d.last_status.map(|c| c.to_string()).unwrap_or_default(),
                d.last_error.clone().unwrap_or_default(),
                d.created_at.to_rfc3339(),
                d.delivered_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ];
            out.push_str(&fields.iter().map(|f| super::csv_field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        return Ok(super::csv_response(out, "deliveries.csv"));
    }
    let notice = Notice::done(f.done.as_deref());
    render_endpoint(&s, &m, &id, &f, notice, StatusCode::OK, None).await
}

async fn render_endpoint(
    s: &AppState,
    m: &Member,
    id: &str,
    f: &LogFilter,
    notice: Option<Notice>,
    status: StatusCode,
    once: Option<Once>,
) -> Screen {
    let (secret, tested, edit) = match once {
        Some(Once::Secret(secret)) => (Some(secret), None, None),
        Some(Once::Test(t)) => (None, Some(t), None),
        Some(Once::Edit(form)) => (None, None, Some(form)),
        None => (None, None, None),
    };
    let db = &s.platform.db;
    let scope = Scope::Partner(&m.partner);
    let e: Endpoint = webhooks::get(db, scope, id).await?;
    let edit_refused = edit.is_some();
    let edit_form = edit.unwrap_or_else(|| EndpointForm::of(&e));
    let takes: Vec<EventType> = if e.event_types.0.is_empty() { EventType::ALL.to_vec() } else { e.event_types.0.clone() };
    let wanted = f.status.as_deref().and_then(DeliveryStatus::parse);
    let mut log = queue::deliveries(db, scope, id, wanted, cursor(f.before.as_deref()), PAGE + 1).await?;
    let more = log.len() as i64 > PAGE;
    log.truncate(PAGE as usize);
    let chosen = wanted.map(|w| w.as_str()).unwrap_or_default();
    let base = format!("/portal/endpoints/{id}");
    let older = more
        .then(|| log.last().map(|d| format!("{}.{}", d.created_at.millis(), d.id)))
        .flatten()
        .map(|c| href(&base, &[("status", chosen), ("before", &c)]));
    let enabled = e.status == tessera_core::types::EndpointStatus::Enabled;
    let toggle = if enabled { format!("{base}/disable") } else { format!("{base}/enable") };
    let since_default = tessera_core::clock::to_rfc3339(now_ms() - 24 * 3600 * 1000);
    let why = e.disabled_reason.map(|r| format!("Disabled ({r}) {}", e.disabled_at.map(|t| when(t.millis())).unwrap_or_default()));
    let failing = e.failing_since.map(|t| format!("Failing since {}", when(t.millis())));
    let body = view! {
        {secret.map(|secret| view! { <SecretOnce secret/> })}
        <p><Chip text=e.status.to_string()/>" "{why}" "{failing}</p>
        <dl class="facts">
            <dt>"URL"</dt><dd><code>{e.url.clone()}</code></dd>
            <dt>"Description"</dt><dd>{e.description.clone()}</dd>
            <dt>"Signing"</dt><dd>{e.scheme.as_str()}{e.previous_secret_until.map(|t| format!(" — the previous secret also signs until {}", when(t.millis())))}</dd>
            <dt>"Body"</dt><dd>{e.payload_profile.to_string()}</dd>
            <dt>"Events"</dt><dd>{if e.event_types.0.is_empty() { "every type".to_string() } else { e.event_types.0.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ") }}</dd>
        </dl>
        <div class="actions">
            <form method="post" action=toggle>
                {if enabled { view! { <button type="submit" class="danger">"Disable"</button> }.into_any() } else { view! { <button type="submit">"Enable"</button> }.into_any() }}
            </form>
            <form method="post" action=format!("{base}/rotate")><button type="submit" class="quiet">"Rotate secret"</button></form>
        </div>
        {tested.map(|t| view! { <TestResult t/> })}
        <details class="card" open=edit_refused>
            <summary><strong>"Edit"</strong></summary>
            <form method="post" action=format!("{base}/edit")>
                {endpoint_fields(&edit_form, "edit")}
                <div class="actions"><button type="submit">"Save changes"</button></div>
            </form>
        </details>
        <form class="card" method="post" action=format!("{base}/test")>
            <h2>"Send a test event"</h2>
            <p class="hint">"Sends the catalog's example of a type to this endpoint now, signed as every delivery is, and shows what your backend answered. \
                Its id starts with test_; it is not in the delivery log or the event feed."</p>
            <div class="row">
                <div><label for="test-type">"Type"</label>
                    <select id="test-type" name="type">
                        {takes.iter().map(|t| view! { <option value=t.as_str()>{t.as_str()}</option> }).collect_view()}
                    </select></div>
                <button type="submit">"Send test event"</button>
            </div>
        </form>
        <form class="card" method="post" action=format!("{base}/recover")>
            <h2>"Recover"</h2>
            <p class="hint">"Send again every delivery to this endpoint that failed, for events since a time (UTC, RFC 3339)."</p>
            <div class="row">
                <div><label for="since">"Since"</label><input id="since" name="since" value=since_default size="28"/></div>
                <button type="submit">"Recover failed deliveries"</button>
            </div>
        </form>
        <h2 id="log">"Delivery log"</h2>
        <form class="filters" method="get" action=base.clone()>
            <label for="status">"Status"</label>
            <select id="status" name="status">
                <option value="">"Any"</option>
                {DeliveryStatus::ALL.iter().map(|st| { let selected = chosen == st.as_str(); view! { <option value=st.as_str() selected=selected>{st.as_str()}</option> } }).collect_view()}
            </select>
            <button type="submit" class="quiet">"Show"</button>
            <a href=href(&base, &[("status", chosen), ("format", "csv")])>"Export CSV"</a>
        </form>
        {if log.is_empty() {
            view! { <p class="empty">"No deliveries."</p> }.into_any()
        } else {
            view! {
                <div class="scroll"><table aria-labelledby="log">
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Status"</th><th scope="col" class="num">"Attempts"</th><th scope="col">"Last answer"</th><th scope="col">"Created"</th></tr></thead>
                    <tbody>{log.into_iter().map(|d| {
                        let link = format!("/portal/events/{}", d.event_id);
                        let answer = match (d.last_status, d.last_error) {
                            (Some(code), Some(err)) if err.contains(&code.to_string()) => err,
                            (Some(code), Some(err)) => format!("HTTP {code} — {err}"),
                            (Some(code), None) => format!("HTTP {code}"),
                            (None, Some(err)) => err,
                            (None, None) => "—".into(),
                        };
                        let next = d.next_attempt_at.map(|t| format!("next attempt {}", when(t.millis())));
                        view! {
                            <tr>
                                <td><a href=link>{d.event_type.as_str()}</a><br/><code class="hint">{d.event_id}</code></td>
                                <td><Chip text=d.status.to_string()/><br/><span class="hint">{next}</span></td>
                                <td class="num">{d.attempts}</td>
                                <td>{answer}</td>
                                <td>{when(d.created_at.millis())}</td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        {older.map(|h| view! { <p class="pager"><a href=h>"Older deliveries →"</a></p> })}
    };
    Ok(page(&format!("Endpoint {}", e.url), &m.person, "/portal/endpoints", notice, status, body))
}

/// An endpoint change by a member with the webhooks job, audited; back to its page.
async fn endpoint_change<F, Fut>(s: &AppState, m: &Member, id: &str, action: &str, what: &str, change: F) -> Screen
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Endpoint, ApiError>>,
{
    m.may(Job::Webhooks)?;
    let before = webhooks::get(&s.platform.db, Scope::Partner(&m.partner), id).await?;
    let after = change().await?;
    people::record(&s.platform.db, &m.person, action, id, Some(json!({"status": before.status})), Some(json!({"status": after.status})))
        .await?;
    Ok(done(&format!("/portal/endpoints/{id}"), what))
}

async fn disable(m: Member, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    let scope = Scope::Partner(&m.partner);
    endpoint_change(&s, &m, &id, "endpoint.disabled", "disabled", || webhooks::disable(&s.platform.db, scope, &id)).await
}

async fn enable(m: Member, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    let scope = Scope::Partner(&m.partner);
    endpoint_change(&s, &m, &id, "endpoint.enabled", "enabled", || webhooks::enable(&s.platform.db, scope, &id)).await
}

async fn rotate(m: Member, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    m.may(Job::Webhooks)?;
    let grace = partners::rotation_grace_ms(None)?;
    let rotated = webhooks::rotate_secret(&s.platform.db, Scope::Partner(&m.partner), &id, grace).await?;
    people::record(
        &s.platform.db,
        &m.person,
        "endpoint.secret_rotated",
        &id,
        None,
        Some(json!({"previousSecretUntil": rotated.endpoint.previous_secret_until})),
    )
    .await?;
    let notice = Notice::ok("New secret made; the previous one keeps signing for 24 hours alongside it.");
    render_endpoint(&s, &m, &id, &LogFilter::default(), Some(notice), StatusCode::OK, Some(Once::Secret(rotated.secret))).await
}

#[derive(Deserialize)]
struct RecoverForm {
    #[serde(default)]
    since: String,
}

async fn recover(m: Member, State(s): State<AppState>, Path(id): Path<String>, super::Posted(f): super::Posted<RecoverForm>) -> Screen {
    m.may(Job::Webhooks)?;
    let queued = match parse_rfc3339(f.since.trim()) {
        Some(since) => queue::recover(&s.platform.db, Scope::Partner(&m.partner), &id, since).await,
        None => Err(ApiError::validation(vec![("since", "must be an RFC 3339 time like 2026-05-12T08:00:00Z".into())])),
    };
    match queued {
        Ok(n) => {
            people::record(&s.platform.db, &m.person, "endpoint.recovered", &id, None, Some(json!({"since": f.since.trim(), "queued": n})))
                .await?;
            let notice = Notice::ok(format!("{n} failed deliver{} queued to send again.", if n == 1 { "y" } else { "ies" }));
            render_endpoint(&s, &m, &id, &LogFilter::default(), Some(notice), StatusCode::OK, None).await
        }
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render_endpoint(&s, &m, &id, &LogFilter::default(), Some(notice), status, None).await
        }
    }
}

/// What an endpoint's page shows once: a new secret, or a test event's result.
pub enum Once {
    Secret(String),
    Test(Tested),
    /// The edit form as sent (a refused save).
    Edit(EndpointForm),
}

/// A test event as sent, and what came of it.
pub struct Tested {
    kind: EventType,
    envelope: String,
    outcome: tessera_core::webhooks::queue::Outcome,
}

#[component]
fn TestResult(t: Tested) -> impl IntoView {
    let o = t.outcome;
    let delivered = o.delivered();
    let headline = match (delivered, o.status, &o.error) {
        (true, Some(code), _) => format!("{} delivered: HTTP {code} in {} ms.", t.kind.as_str(), o.latency_ms),
        (false, _, Some(err)) => format!("{} not delivered: {err} ({} ms).", t.kind.as_str(), o.latency_ms),
        _ => format!("{} not delivered ({} ms).", t.kind.as_str(), o.latency_ms),
    };
    let class = if delivered { "notice ok" } else { "notice error" };
    view! {
        <section class="card" aria-labelledby="tested">
            <h2 id="tested">"Test event"</h2>
            <div class=class role="status"><p>{headline}</p></div>
            <h3>"Your backend answered"</h3>
            <pre>{if o.body.is_empty() { "(nothing)".to_string() } else { o.body }}</pre>
            <details><summary>"What was sent (before the endpoint's payload profile)"</summary><pre>{t.envelope}</pre></details>
        </section>
    }
}

#[derive(Deserialize)]
struct TestForm {
    #[serde(default, rename = "type")]
    kind: String,
}

/// Sends the catalog's example of a type to the endpoint, once, now.
async fn send_test(m: Member, State(s): State<AppState>, Path(id): Path<String>, super::Posted(f): super::Posted<TestForm>) -> Screen {
    m.may(Job::Webhooks)?;
    let target = queue::target(&s.platform.db, Scope::Partner(&m.partner), &id).await?;
    let Some(kind) = EventType::parse(&f.kind) else {
        let (notice, status) = said_or_shown(ApiError::validation(vec![("type", format!("use one of {}", EventType::listed()))]))?;
        return render_endpoint(&s, &m, &id, &LogFilter::default(), Some(notice), status, None).await;
    };
    let event_id = format!("test_{}", uuid::Uuid::now_v7());
    let envelope = serde_json::to_string_pretty(&tessera_core::event_catalog::example(kind, &event_id)).unwrap_or_default();
    let outcome = crate::webhook_worker::send_once(&s.platform, &target, &event_id, envelope.clone()).await;
    let after = json!({ "type": kind, "eventId": event_id, "status": outcome.status, "error": outcome.error });
    people::record(&s.platform.db, &m.person, "endpoint.test_sent", &id, None, Some(after)).await?;
    let tested = Tested { kind, envelope, outcome };
    render_endpoint(&s, &m, &id, &LogFilter::default(), None, StatusCode::OK, Some(Once::Test(tested))).await
}

// ---------------------------------------------------------------- catalog

async fn catalog_page(m: Member) -> Screen {
    m.may(Job::Webhooks)?;
    use tessera_core::event_catalog::{CATALOG, example, schema};
    let body = view! {
        <p class="hint">"Every event arrives in the envelope {id, type, createdAt, data}, signed by your endpoint's scheme; \
            an endpoint with a seed's payload profile gets that seed's body instead for the types it covers. \
            Each schema is JSON Schema (draft 2020-12); the examples are what \"Send a test event\" sends."</p>
        <nav aria-label="Event types"><ul class="legend">
            {CATALOG.iter().map(|e| { let href = format!("#{}", e.kind.as_str()); view! { <li><a href=href>{e.kind.as_str()}</a></li> } }).collect_view()}
        </ul></nav>
        {CATALOG.iter().map(|e| {
            let schema = serde_json::to_string_pretty(&schema(e.kind)).unwrap_or_default();
            let example = serde_json::to_string_pretty(&example(e.kind, "0195f0a9-0000-7000-8000-000000000001")).unwrap_or_default();
            view! {
                <section class="card" id=e.kind.as_str() aria-labelledby=format!("{}-h", e.kind.as_str())>
                    <h2 id=format!("{}-h", e.kind.as_str())><code>{e.kind.as_str()}</code></h2>
                    <p>{e.when}</p>
                    <div class="scroll"><table>
                        <thead><tr><th scope="col">"data field"</th><th scope="col">"What it is"</th></tr></thead>
                        <tbody>{e.data.iter().map(|f| view! { <tr><td><code>{f.name}</code>{f.nullable.then_some(" (or null)")}</td><td>{f.about}</td></tr> }).collect_view()}</tbody>
                    </table></div>
                    <details><summary>"JSON Schema"</summary><pre>{schema}</pre></details>
                    <details><summary>"Example"</summary><pre>{example}</pre></details>
                </section>
            }
        }).collect_view()}
    };
    Ok(page("Event catalog", &m.person, "/portal/catalog", None, StatusCode::OK, body))
}

// ---------------------------------------------------------------- events

#[derive(Deserialize, Default)]
struct EventFilter {
    #[serde(default, rename = "type")]
    kind: String,
    before: Option<String>,
    format: Option<String>,
}

async fn events_page(m: Member, State(s): State<AppState>, Query(f): Query<EventFilter>) -> Screen {
    m.may(Job::Webhooks)?;
    let kind = EventType::parse(&f.kind);
    if f.format.as_deref() == Some("csv") {
        let list = events::recent(&s.platform.db, &m.partner, kind, cursor(f.before.as_deref()), 500).await?;
        let mut out = String::from("id,type,created_at,data\r\n");
        for e in &list {
            let fields = [e.id.clone(), e.kind.as_str().to_string(), e.created_at.clone(), e.data.to_string()];
            out.push_str(&fields.iter().map(|f| super::csv_field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        return Ok(super::csv_response(out, "events.csv"));
    }
    let mut list = events::recent(&s.platform.db, &m.partner, kind, cursor(f.before.as_deref()), PAGE + 1).await?;
    let more = list.len() as i64 > PAGE;
    list.truncate(PAGE as usize);
    let chosen = kind.map(|k| k.as_str()).unwrap_or_default();
    let older = more
        .then(|| list.last().and_then(|e| Some(format!("{}.{}", parse_rfc3339(&e.created_at)?, e.id))))
        .flatten()
        .map(|c| href("/portal/events", &[("type", chosen), ("before", &c)]));
    let body = view! {
        <form class="filters" method="get" action="/portal/events">
            <label for="type">"Type"</label>
            <select id="type" name="type">
                <option value="">"Any"</option>
                {EventType::ALL.iter().map(|t| { let selected = chosen == t.as_str(); view! { <option value=t.as_str() selected=selected>{t.as_str()}</option> } }).collect_view()}
            </select>
            <button type="submit" class="quiet">"Show"</button>
            <a href=href("/portal/events", &[("type", chosen), ("format", "csv")])>"Export CSV"</a>
        </form>
        {if list.is_empty() {
            view! { <p class="empty">"No events."</p> }.into_any()
        } else {
            view! {
                <div class="scroll"><table>
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Type"</th><th scope="col">"Created"</th></tr></thead>
                    <tbody>{list.into_iter().map(|e| {
                        let link = format!("/portal/events/{}", e.id);
                        view! { <tr><td><a href=link><code>{e.id}</code></a></td><td>{e.kind.as_str()}</td><td>{e.created_at}</td></tr> }
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        {older.map(|h| view! { <p class="pager"><a href=h>"Older events →"</a></p> })}
    };
    Ok(page("Events", &m.person, "/portal/events", None, StatusCode::OK, body))
}

async fn event_page(m: Member, State(s): State<AppState>, Path(id): Path<String>, Query(d): Query<Done>) -> Screen {
    m.may(Job::Webhooks)?;
    let detail = queue::event_detail(&s.platform.db, Scope::Partner(&m.partner), &id).await?;
    let payload = serde_json::to_string_pretty(&detail.event).unwrap_or_default();
    let resend = format!("/portal/events/{id}/resend");
    let title = format!("{} event", detail.event.kind.as_str());
    let body = view! {
        <dl class="facts">
            <dt>"Event id"</dt><dd><code>{detail.event.id.clone()}</code></dd>
            <dt>"Created"</dt><dd>{detail.event.created_at.clone()}</dd>
        </dl>
        <form method="post" action=resend class="actions"><button type="submit">"Resend to every endpoint that takes it"</button></form>
        <h2>"Payload"</h2>
        <pre>{payload}</pre>
        <h2>"Deliveries"</h2>
        {if detail.deliveries.is_empty() {
            view! { <p class="empty">"Not delivered anywhere (no endpoint took it)."</p> }.into_any()
        } else {
            detail.deliveries.into_iter().map(|d| {
                let endpoint = format!("/portal/endpoints/{}", d.endpoint_id);
                let heading = format!("Delivery to endpoint {}", d.endpoint_id);
                view! {
                    <section class="card" aria-label=heading>
                        <p><a href=endpoint>"Endpoint "<code>{d.endpoint_id.clone()}</code></a>" "<Chip text=d.status.to_string()/>" · "{d.attempts}" attempt(s)"</p>
                        {if d.attempt_log.is_empty() {
                            view! { <p class="empty">"No attempt yet."</p> }.into_any()
                        } else {
                            view! {
                                <div class="scroll"><table>
                                    <thead><tr><th scope="col">"Attempted"</th><th scope="col">"Answer"</th><th scope="col" class="num">"Latency"</th><th scope="col">"Response (first 4 KiB)"</th></tr></thead>
                                    <tbody>{d.attempt_log.into_iter().map(|a| {
                                        let answer = match (a.status_code, a.error) {
                                            (Some(code), _) => format!("HTTP {code}"),
                                            (None, Some(err)) => err,
                                            (None, None) => "—".into(),
                                        };
                                        view! { <tr><td>{a.attempted_at}</td><td>{answer}</td><td class="num">{format!("{} ms", a.latency_ms)}</td><td><pre>{a.response_body}</pre></td></tr> }
                                    }).collect_view()}</tbody>
                                </table></div>
                            }.into_any()
                        }}
                    </section>
                }
            }).collect_view().into_any()
        }}
    };
    Ok(page(&title, &m.person, "/portal/events", Notice::done(d.done.as_deref()), StatusCode::OK, body))
}

async fn resend(m: Member, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    m.may(Job::Webhooks)?;
    let queued = queue::resend(&s.platform.db, Scope::Partner(&m.partner), &id).await?;
    people::record(&s.platform.db, &m.person, "event.resent", &id, None, Some(json!({"queued": queued}))).await?;
    Ok(done(&format!("/portal/events/{id}"), "resent"))
}

// ---------------------------------------------------------------- team

async fn team_page(m: Member, State(s): State<AppState>) -> Screen {
    m.may(Job::Team)?;
    render_team(&s, &m, None, StatusCode::OK, None).await
}

async fn render_team(s: &AppState, m: &Member, notice: Option<Notice>, status: StatusCode, invited: Option<super::Invited>) -> Screen {
    let members = people::list(&s.platform.db, Some(&m.partner)).await?;
    let body = view! {
        {invited.map(|invited| view! { <InvitationLink invited/> })}
        <PeopleTable list=members unlock=false/>
        <InviteForm action="/portal/team".to_string() heading="Invite someone"
            hint="You get a one-time link (24 hours) to give them; they choose their own password. A locked account is unlocked by Tessera's operators."
            roles=vec![
                ("partner_developer", "Developer: webhooks, events, credentials (read)"),
                ("designer", "Designer: the theme"),
                ("partner_admin", "Admin: everything of your partner"),
            ]/>
    };
    Ok(page("Team", &m.person, "/portal/team", notice, status, body))
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn invite_member(m: Member, State(s): State<AppState>, super::Posted(f): super::Posted<InviteForm>) -> Screen {
    m.may(Job::Team)?;
    match super::invite(&s, &m.person, &f.email, &f.role, Some(&m.partner)).await {
        Ok(invited) => render_team(&s, &m, None, StatusCode::CREATED, Some(invited)).await,
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render_team(&s, &m, Some(notice), status, None).await
        }
    }
}
