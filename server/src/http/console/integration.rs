//! The partner's backend, from the people's side: `/portal/integration`
//! (developers see it and make test calls; admins also set the base URL,
//! which makes a new integration secret) and the same for operators under
//! `/console/partners/{id}/integration`. A test call asks the backend's
//! `/sso` about a token exactly as a sign-in does and shows seed 001's debug
//! panel — the URL called, the method, the status, the answer and a curl
//! command replaying it (the secret masked) — whatever the partner. A
//! sandbox partner's page also lists its test products.

use super::{AppState, Job, Member, OperatorOnly, Screen, layout::page, said_or_shown};
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;
use tessera_core::{
    error::ApiError,
    partners::{self, IntegrationInput, Partner},
    people::{self, Person},
    sso::{self, SsoDebug},
    types::PartnerId,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/integration", get(portal_page).post(portal_set))
        .route("/portal/integration/test", post(portal_test))
        .route("/console/partners/{id}/integration", get(console_page).post(console_set))
        .route("/console/partners/{id}/integration/test", post(console_test))
}

/// What the page shows once: a new secret, or a test call's outcome.
enum Once {
    Secret(String),
    Tested { token: String, outcome: Result<String, (String, String)>, debug: Option<SsoDebug> },
}

/// Where the page's forms post, and whether they may change the settings.
struct Place {
    base: String,
    here: &'static str,
    may_edit: bool,
}

async fn render(
    s: &AppState,
    who: &Person,
    partner: &Partner,
    place: Place,
    notice: Option<super::Notice>,
    status: StatusCode,
    once: Option<Once>,
) -> Screen {
    let view = partner.view();
    let test_products = if view.sandbox { sandbox_products(s).await? } else { Vec::new() };
    let (secret, tested) = match once {
        Some(Once::Secret(secret)) => (Some(secret), None),
        Some(Once::Tested { token, outcome, debug }) => (None, Some((token, outcome, debug))),
        None => (None, None),
    };
    let base = place.base.clone();
    let url = view.integration_base_url.clone().unwrap_or_default();
    let body = view! {
        {secret.map(|secret| view! {
            <section class="card" aria-labelledby="new-secret">
                <h2 id="new-secret">"Integration secret — shown this once"</h2>
                <p><code class="secret">{secret}</code></p>
                <p class="hint">"Tessera sends it as X-Tessera-Secret on every call to your backend; check it there. The previous one is still sent for 24 hours when your backend refuses the new one."</p>
            </section>
        })}
        <dl class="facts">
            <dt>"Base URL"</dt><dd>{if url.is_empty() { "not set".to_string() } else { url.clone() }}</dd>
            <dt>"Calls"</dt><dd>"POST /sso (sign-in)"{view.coins_ledger.then_some(", GET /balance, POST /debit, POST /reverse (coins)")}</dd>
            <dt>"Secret"</dt><dd>{if view.integration_secret_rotating { "rotating: the previous one is still sent when the new one is refused" } else if url.is_empty() { "none" } else { "set" }}</dd>
        </dl>
        {place.may_edit.then(|| view! {
            <form class="card" method="post" action=base.clone()>
                <h2>"Your backend"</h2>
                <label for="base-url">"Base URL"</label>
                <input id="base-url" name="base_url" type="url" size="60" value=url.clone() placeholder="https://api.example.com/tessera" aria-describedby="base-hint"/>
                <p class="hint" id="base-hint">"Tessera appends /sso, /balance, /debit and /reverse. Saving makes a new integration secret; empty removes the backend."</p>
                <label class="inline"><input type="checkbox" name="coins_ledger" value="on" checked=view.coins_ledger/>"It keeps the users' coins"</label>
                <div class="actions"><button type="submit">"Save and make a new secret"</button></div>
            </form>
        })}
        <form class="card" method="post" action=format!("{base}/test")>
            <h2>"Test call"</h2>
            <p class="hint">"Asks your backend's /sso who a token is, exactly as a sign-in does, and shows what happened."</p>
            <div class="row">
                <div><label for="token">"A token your backend knows"</label><input id="token" name="token" required size="40" value=tested.as_ref().map(|t| t.0.clone()).unwrap_or_default()/></div>
                <button type="submit">"Call /sso"</button>
            </div>
        </form>
        {tested.map(|(_, outcome, debug)| view! { <Tested outcome debug/> })}
        {(!test_products.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="sandbox">
                <h2 id="sandbox">"Sandbox test products"</h2>
                <p class="hint">"Users in the cohort sandbox see these; each behaves as its name says (see the sandbox guide)."</p>
                <ul>{test_products.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
            </section>
        })}
    };
    Ok(page(&format!("Integration of {}", view.name), who, place.here, notice, status, body))
}

/// The debug panel of seed 001 (§2.5): what was called and answered.
#[component]
fn Tested(outcome: Result<String, (String, String)>, debug: Option<SsoDebug>) -> impl IntoView {
    let (class, text) = match outcome {
        Ok(user) => ("notice ok", format!("Your backend says this token is user {user}.")),
        Err((code, message)) => ("notice error", format!("{code}: {message}")),
    };
    view! {
        <section class="card" aria-labelledby="debug">
            <h2 id="debug">"Debug info"</h2>
            <div class=class role="status"><p>{text}</p></div>
            {debug.map(|d| view! {
                <dl class="facts">
                    <dt>"Base URL"</dt><dd><code>{d.url}</code></dd>
                    <dt>"Method"</dt><dd>{d.method}</dd>
                    <dt>"Partner response status"</dt><dd>{d.status.map(|s| s.to_string()).unwrap_or_else(|| "no answer".into())}</dd>
                </dl>
                <h3>"Partner response"</h3>
                <pre>{if d.body.is_empty() { "(empty)".to_string() } else { d.body }}</pre>
                <h3>"Curl command"</h3>
                <pre>{d.curl}</pre>
            })}
        </section>
    }
}

/// The titles of the sandbox's test products (the vouchers of cohort `sandbox`).
async fn sandbox_products(s: &AppState) -> Result<Vec<String>, ApiError> {
    let titles = tessera_core::vouchers::titles_of_cohort(&s.platform.db, "sandbox").await?;
    Ok(titles.iter().map(|t| tessera_core::markup::plain_text(t)).collect())
}

#[derive(Deserialize)]
struct SetForm {
    #[serde(default)]
    base_url: String,
    coins_ledger: Option<String>,
}

async fn set(s: &AppState, who: &Person, id: &PartnerId, place: Place, f: SetForm) -> Screen {
    let before = partners::get(&s.platform.db, id).await?.view().integration_base_url;
    let input = IntegrationInput {
        base_url: Some(f.base_url.trim().to_string()).filter(|u| !u.is_empty()),
        coins_ledger: Some(f.coins_ledger.is_some()),
    };
    match partners::set_integration(&s.platform, id, &input).await {
        Ok(creds) => {
            people::record(
                &s.platform.db,
                who,
                "partner.integration_set",
                id.as_str(),
                Some(json!({"baseUrl": before})),
                Some(json!({"baseUrl": creds.base_url})),
            )
            .await?;
            let partner = partners::get(&s.platform.db, id).await?;
            let notice = super::Notice::ok("Saved.");
            render(s, who, &partner, place, Some(notice), StatusCode::OK, creds.secret.map(Once::Secret)).await
        }
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            let partner = partners::get(&s.platform.db, id).await?;
            render(s, who, &partner, place, Some(notice), status, None).await
        }
    }
}

#[derive(Deserialize)]
struct TestForm {
    #[serde(default)]
    token: String,
}

async fn test(s: &AppState, who: &Person, id: &PartnerId, place: Place, f: TestForm) -> Screen {
    let partner = partners::get(&s.platform.db, id).await?;
    let token = f.token.trim().to_string();
    let (result, debug) = sso::test_call(&s.platform, &partner, &token).await;
    let outcome = result.map(|u| u.user_id.into_string()).map_err(|e| (e.code.to_string(), e.message));
    people::record(
        &s.platform.db,
        who,
        "partner.integration_tested",
        id.as_str(),
        None,
        Some(json!({"ok": outcome.is_ok(), "status": debug.as_ref().and_then(|d| d.status)})),
    )
    .await?;
    render(s, who, &partner, place, None, StatusCode::OK, Some(Once::Tested { token, outcome, debug })).await
}

fn portal_place(m: &Member) -> Place {
    Place { base: "/portal/integration".into(), here: "/portal/integration", may_edit: Job::RotateCredentials.allowed(m.person.role) }
}

fn console_place(id: &PartnerId) -> Place {
    Place { base: format!("/console/partners/{}/integration", id.as_str()), here: "/console/partners", may_edit: true }
}

async fn portal_page(m: Member, State(s): State<AppState>) -> Screen {
    m.may(Job::SeeCredentials)?;
    let partner = partners::get(&s.platform.db, &m.partner).await?;
    render(&s, &m.person, &partner, portal_place(&m), None, StatusCode::OK, None).await
}

async fn portal_set(m: Member, State(s): State<AppState>, super::Posted(f): super::Posted<SetForm>) -> Screen {
    m.may(Job::RotateCredentials)?;
    set(&s, &m.person, &m.partner, portal_place(&m), f).await
}

async fn portal_test(m: Member, State(s): State<AppState>, super::Posted(f): super::Posted<TestForm>) -> Screen {
    m.may(Job::SeeCredentials)?;
    test(&s, &m.person, &m.partner, portal_place(&m), f).await
}

async fn console_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    let id = PartnerId::new(id);
    let partner = partners::get(&s.platform.db, &id).await?;
    render(&s, &me, &partner, console_place(&id), None, StatusCode::OK, None).await
}

async fn console_set(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(f): super::Posted<SetForm>,
) -> Screen {
    let id = PartnerId::new(id);
    set(&s, &me, &id, console_place(&id), f).await
}

async fn console_test(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(f): super::Posted<TestForm>,
) -> Screen {
    let id = PartnerId::new(id);
    test(&s, &me, &id, console_place(&id), f).await
}
