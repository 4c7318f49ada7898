//! The operator's set-up screens: the overview, partners (and their
//! people), merchants and their outlets, vouchers (publish, archive, code
//! pools by CSV). Each write goes through the same domain functions as the
//! admin API and leaves a line in the audit log.

use super::{
    AppState, OperatorOnly, Screen, Shown, done,
    layout::{Chip, InvitationLink, InviteForm, Notice, PeopleTable, page, when},
    said_or_shown,
};
use axum::{
    Router,
    extract::{Multipart, Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;
use tessera_core::{
    error::ApiError,
    merchants::{self, MerchantInput, OutletInput},
    partners::{self, NewPartner},
    people::{self, Person},
    review,
    types::PartnerId,
    vouchers::{self, PoolUpload, Voucher, VoucherInput},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(overview))
        .route("/console/partners", get(partners_page).post(create_partner))
        .route("/console/partners/{id}", get(partner_page))
        .route("/console/partners/{id}/origins", post(set_origins))
        .route("/console/partners/{id}/people", post(add_person))
        .route("/console/people", get(operators_page).post(invite_operator))
        .route("/console/people/{id}/unlock", post(unlock))
        .route("/console/people/{id}/reset", post(reset_password))
        .route("/console/merchants", get(merchants_page).post(create_merchant))
        .route("/console/merchants/{id}", get(merchant_page).post(update_merchant))
        .route("/console/merchants/{id}/disable", post(disable_merchant))
        .route("/console/merchants/{id}/enable", post(enable_merchant))
        .route("/console/merchants/{id}/outlets", post(add_outlet))
        .route("/console/outlets/{id}", post(update_outlet))
        .route("/console/vouchers", get(vouchers_page).post(create_voucher))
        .route("/console/vouchers/{id}", get(voucher_page).post(update_voucher))
        .route("/console/vouchers/{id}/publish", post(publish))
        .route("/console/vouchers/{id}/archive", post(archive))
}

/// The uploads (a code pool's CSV, a voucher's picture): larger than the
/// platform's body limit, so merged outside it with limits of their own, and
/// checked for their origin as every console write is.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/console/vouchers/{id}/codes", post(upload_codes))
        .route("/console/vouchers/{id}/image", post(upload_image))
        .layer(axum::middleware::from_fn(crate::http::security::same_origin_writes))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(tessera_core::images::MAX_UPLOAD_BYTES + 64 * 1024))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

/// A form's text: trimmed, `None` when empty.
fn given(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// A form's number, or what is wrong with it.
fn number<T: std::str::FromStr>(field: &'static str, text: &str, bad: &mut Vec<(&'static str, String)>) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse().map_err(|_| bad.push((field, format!("{text:?} is not a number")))).ok()
}

/// A refused write said on its page; anything else shown as an error page.
async fn refused<F, Fut>(e: ApiError, again: F) -> Screen
where
    F: FnOnce(Option<Notice>, StatusCode) -> Fut,
    Fut: std::future::Future<Output = Screen>,
{
    let (notice, status) = said_or_shown(e)?;
    again(Some(notice), status).await
}

// ---------------------------------------------------------------- overview

#[derive(Deserialize, Default)]
struct Range {
    partner: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The dashboard: what waits for review, then a chart per figure over the
/// chosen days (the last 30 by default) and partner (every one by default).
async fn overview(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(r): Query<Range>) -> Screen {
    use super::chart::{BarChart, Series, Unit};
    use tessera_core::dashboard::{self, date_of, day_of};
    let db = &s.platform.db;
    let today = tessera_core::clock::now_ms().div_euclid(dashboard::DAY_MS);
    let mut bad = vec![];
    let mut day = |field: &'static str, text: Option<&str>, default: i64| match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => default,
        Some(t) => day_of(t).unwrap_or_else(|| {
            bad.push((field, format!("{t:?} is not a date like 2026-12-06")));
            default
        }),
    };
    let last = day("to", r.to.as_deref(), today);
    let first = day("from", r.from.as_deref(), last - 29).min(last);
    let first = first.max(last - dashboard::MAX_DAYS + 1);
    let all = partners::list(db).await?;
    let chosen = r.partner.clone().filter(|p| !p.is_empty());
    let ids: Vec<PartnerId> = match &chosen {
        Some(p) => all.iter().filter(|x| x.id.as_str() == p).map(|x| x.id.clone()).collect(),
        None => all.iter().map(|x| x.id.clone()).collect(),
    };
    if chosen.is_some() && ids.is_empty() {
        bad.push(("partner", "no such partner".into()));
    }
    let notice = (!bad.is_empty()).then(|| Notice::refused(&ApiError::validation(bad)));
    let days = dashboard::days(db, &ids, first, last).await?;
    let labels: Vec<String> = days.iter().map(|d| date_of(d.day)).collect();
    let col = |f: &dyn Fn(&dashboard::Day) -> f64| days.iter().map(f).collect::<Vec<f64>>();
    let sum = |f: &dyn Fn(&dashboard::Day) -> i64| days.iter().map(f).sum::<i64>();
    let share = |part: i64, whole: i64| if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 };
    let (claims, redemptions, flagged, orders) = (sum(&|d| d.claims), sum(&|d| d.redemptions), sum(&|d| d.flagged), sum(&|d| d.orders));
    let (delivered, failed) = (sum(&|d| d.deliveries_delivered), sum(&|d| d.deliveries_failed));
    let currencies: std::collections::BTreeSet<String> = days.iter().flat_map(|d| d.revenue.keys().cloned()).collect();
    let waiting = review::waiting(db, None).await?;
    let (from_value, to_value) = (date_of(first), date_of(last));
    let span = format!("{} to {}", date_of(first), date_of(last));
    let mut charts = vec![
        view! { <BarChart id="claims".into() title="Claims".into() summary=format!("{claims} from {span}") unit=Unit::Count labels=labels.clone()
            series=vec![Series { name: "Claims", class: "bar-a", values: col(&|d| d.claims as f64) }]/> }.into_any(),
        view! { <BarChart id="redemptions".into() title="Redemptions".into() summary=format!("{redemptions}, of which {flagged} FLAGGED") unit=Unit::Count labels=labels.clone()
            series=vec![
                Series { name: "Accepted", class: "bar-ok", values: col(&|d| (d.redemptions - d.flagged) as f64) },
                Series { name: "FLAGGED", class: "bar-bad", values: col(&|d| d.flagged as f64) },
            ]/> }.into_any(),
        view! { <BarChart id="flagged-share".into() title="FLAGGED share".into() summary=format!("{:.1} % of redemptions over the range", share(flagged, redemptions)) unit=Unit::Percent labels=labels.clone()
            series=vec![Series { name: "FLAGGED %", class: "bar-bad", values: col(&|d| share(d.flagged, d.redemptions)) }]/> }.into_any(),
        view! { <BarChart id="orders".into() title="Gift cards sold".into() summary=format!("{orders} orders fulfilled") unit=Unit::Count labels=labels.clone()
            series=vec![Series { name: "Orders", class: "bar-a", values: col(&|d| d.orders as f64) }]/> }.into_any(),
        view! { <BarChart id="webhooks".into() title="Webhook success rate".into()
            summary=format!("{:.1} % of {} decided deliveries succeeded", share(delivered, delivered + failed), delivered + failed) unit=Unit::Percent labels=labels.clone()
            series=vec![Series { name: "Delivered %", class: "bar-ok", values: col(&|d| share(d.deliveries_delivered, d.deliveries_delivered + d.deliveries_failed)) }]/> }.into_any(),
    ];
    for currency in currencies {
        let total: i64 = days.iter().map(|d| d.revenue.get(&currency).copied().unwrap_or(0)).sum();
        let values = days.iter().map(|d| d.revenue.get(&currency).copied().unwrap_or(0) as f64).collect();
        charts.push(view! { <BarChart id=format!("revenue-{}", currency.to_ascii_lowercase()) title=format!("Revenue ({currency})") summary=format!("{currency} {:.2} paid for fulfilled orders", total as f64 / 100.0) unit=Unit::Money labels=labels.clone()
            series=vec![Series { name: "Paid", class: "bar-a", values }]/> }.into_any());
    }
    let chosen = chosen.unwrap_or_default();
    let body = view! {
        <section class="card">
            <h2>"Waiting for you"</h2>
            <p><a href="/console/review">{format!("{waiting} FLAGGED redemption{} to review", if waiting == 1 { "" } else { "s" })}</a></p>
        </section>
        <form class="filters" method="get" action="/console">
            <div><label for="partner">"Partner"</label>
                <select id="partner" name="partner">
                    <option value="">"Every partner"</option>
                    {all.into_iter().map(|p| { let id = p.id.into_string(); let selected = id == chosen; view! { <option value=id.clone() selected=selected>{p.name}</option> } }).collect_view()}
                </select></div>
            <div><label for="from">"From"</label><input id="from" name="from" type="date" value=from_value/></div>
            <div><label for="to">"To"</label><input id="to" name="to" type="date" value=to_value/></div>
            <button type="submit" class="quiet">"Show"</button>
        </form>
        <div class="charts">{charts}</div>
    };
    Ok(page("Overview", &me, "/console", notice, StatusCode::OK, body))
}

// ---------------------------------------------------------------- partners

#[derive(Deserialize, Default)]
struct PartnerForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    origins: String,
    sandbox: Option<String>,
}

#[derive(Deserialize, Default)]
struct PartnerList {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
    format: Option<String>,
    done: Option<String>,
}

async fn partners_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(l): Query<PartnerList>) -> Screen {
    if l.format.as_deref() == Some("csv") {
        let mut out = String::from("id,name,allowed_origins,sandbox,integration_base_url,created_at\r\n");
        for p in partners::page(&s.platform.db, &l.q, &l.after, 500).await? {
            let v = p.view();
            let fields = [
                v.id.into_string(),
                v.name,
                v.allowed_origins.join(" "),
                v.sandbox.to_string(),
                v.integration_base_url.unwrap_or_default(),
                v.created_at,
            ];
            out.push_str(&fields.iter().map(|f| super::csv_field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        return Ok(super::csv_response(out, "partners.csv"));
    }
    let form = PartnerForm::default();
    render_partners(&s, &me, &l, form, Notice::done(l.done.as_deref()), StatusCode::OK, None).await
}

/// The partners, and the form to add one; `made` shows a new partner's
/// secrets, this once.
async fn render_partners(
    s: &AppState,
    me: &Person,
    l: &PartnerList,
    form: PartnerForm,
    notice: Option<Notice>,
    status: StatusCode,
    made: Option<partners::PartnerCredentials>,
) -> Screen {
    const PAGE: i64 = 50;
    let mut list = partners::page(&s.platform.db, &l.q, &l.after, PAGE + 1).await?;
    let more = list.len() as i64 > PAGE;
    list.truncate(PAGE as usize);
    let next = more.then(|| list.last().map(|p| super::href("/console/partners", &[("q", &l.q), ("after", p.id.as_str())]))).flatten();
    let (q, export) = (l.q.clone(), super::href("/console/partners", &[("q", &l.q), ("format", "csv")]));
    let body = view! {
        <form class="filters" method="get" action="/console/partners">
            <div><label for="f-q">"Id or name has"</label><input id="f-q" name="q" value=q/></div>
            <button type="submit" class="quiet">"Show"</button>
            <a href=export>"Export CSV"</a>
        </form>
        {made.map(|c| view! {
            <section class="card" aria-labelledby="secrets">
                <h2 id="secrets">"Its secrets — shown this once"</h2>
                <p class="hint">"Give them to the partner's backend team now; Tessera keeps only what it needs to check them."</p>
                <dl class="facts">
                    <dt>"Partner id"</dt><dd><code class="secret">{c.partner_id.into_string()}</code></dd>
                    <dt>"API secret"</dt><dd><code class="secret">{c.api_secret.unwrap_or_default()}</code></dd>
                    <dt>"JWT secret"</dt><dd><code class="secret">{c.jwt_secret.unwrap_or_default()}</code></dd>
                </dl>
            </section>
        })}
        <div class="scroll"><table>
            <thead><tr><th scope="col">"Partner"</th><th scope="col">"Name"</th><th scope="col">"Allowed origins"</th><th scope="col">"Sandbox"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|p| {
                    let href = format!("/console/partners/{}", p.id.as_str());
                    let origins = p.allowed_origins().join(" ");
                    let sandbox = if p.is_sandbox() { "yes" } else { "no" };
                    view! { <tr><td><a href=href><code>{p.id.into_string()}</code></a></td><td>{p.name}</td><td>{origins}</td><td>{sandbox}</td></tr> }
                }).collect_view()}
            </tbody>
        </table></div>
        {next.map(|h| view! { <p class="pager"><a href=h>"More →"</a></p> })}
        <form class="card" method="post" action="/console/partners">
            <h2>"Add a partner"</h2>
            <label for="p-name">"Name"</label><input id="p-name" name="name" required maxlength="200" value=form.name/>
            <label for="p-id">"Partner id"</label><input id="p-id" name="id" pattern="[a-z0-9_-]{3,64}" value=form.id aria-describedby="p-id-hint"/>
            <p class="hint" id="p-id-hint">"Lower-case letters, digits, - and _; left empty, one is made."</p>
            <label for="p-origins">"Allowed origins (one per line)"</label>
            <textarea id="p-origins" name="origins" aria-describedby="p-origins-hint">{form.origins}</textarea>
            <p class="hint" id="p-origins-hint">"Where the partner's web app frames the webview, e.g. https://app.example.com"</p>
            <label class="inline"><input type="checkbox" name="sandbox" value="on" checked=form.sandbox.is_some()/>"Sandbox (test payments and suppliers)"</label>
            <div class="actions"><button type="submit">"Add partner"</button></div>
        </form>
    };
    Ok(page("Partners", me, "/console/partners", notice, status, body))
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

async fn create_partner(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    super::Posted(form): super::Posted<PartnerForm>,
) -> Screen {
    let new = NewPartner {
        id: given(&form.id),
        name: form.name.trim().to_string(),
        allowed_origins: lines(&form.origins),
        sandbox: form.sandbox.is_some(),
    };
    match partners::create(&s.platform.db, new).await {
        Ok((partner, creds)) => {
            people::record(&s.platform.db, &me, "partner.created", partner.id.as_str(), None, Some(json!(partner.view()))).await?;
            let notice = Notice::ok(format!("Partner {} added.", partner.id.as_str()));
            render_partners(&s, &me, &PartnerList::default(), PartnerForm::default(), Some(notice), StatusCode::CREATED, Some(creds)).await
        }
        Err(e) => {
            let l = PartnerList::default();
            refused(e, |n, st| render_partners(&s, &me, &l, form, n, st, None)).await
        }
    }
}

#[derive(Deserialize, Default)]
struct PersonForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn partner_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>, Query(d): Query<Done>) -> Screen {
    render_partner(&s, &me, &PartnerId::new(id), Notice::done(d.done.as_deref()), StatusCode::OK, None).await
}

/// A partner: its facts, origins, people; `made` shows a new account's
/// password, this once.
async fn render_partner(
    s: &AppState,
    me: &Person,
    id: &PartnerId,
    notice: Option<Notice>,
    status: StatusCode,
    invited: Option<super::Invited>,
) -> Screen {
    let db = &s.platform.db;
    let partner = partners::get(db, id).await?.view();
    let members = people::list(db, Some(id)).await?;
    let origins_action = format!("/console/partners/{}/origins", id.as_str());
    let people_action = format!("/console/partners/{}/people", id.as_str());
    let body = view! {
        <dl class="facts">
            <dt>"Partner id"</dt><dd><code>{partner.id.into_string()}</code></dd>
            <dt>"Sandbox"</dt><dd>{if partner.sandbox { "yes" } else { "no" }}</dd>
            <dt>"Backend (SSO, coins)"</dt><dd>{partner.integration_base_url.unwrap_or_else(|| "not set".into())}</dd>
            <dt>"Created"</dt><dd>{partner.created_at}</dd>
        </dl>
        <div class="actions">
            <a class="button quiet" href=format!("/console/partners/{}/integration", id.as_str())>"Backend and test call"</a>
            <a class="button quiet" href=format!("/console/partners/{}/theme", id.as_str())>"Edit the webview's theme"</a>
        </div>
        <form class="card" method="post" action=origins_action>
            <h2>"Allowed origins"</h2>
            <label for="origins">"One per line"</label>
            <textarea id="origins" name="origins">{partner.allowed_origins.join("\n")}</textarea>
            <div class="actions"><button type="submit">"Save origins"</button></div>
        </form>
        <h2>"People"</h2>
        {invited.map(|invited| view! { <InvitationLink invited/> })}
        {if members.is_empty() { view! { <p class="empty">"Nobody yet."</p> }.into_any() } else { view! { <PeopleTable list=members unlock=true/> }.into_any() }}
        <InviteForm action=people_action heading="Invite a person" hint="You get a one-time link (24 hours) to give them; they choose their own password."
            roles=vec![("partner_admin", "Partner admin"), ("partner_developer", "Partner developer"), ("designer", "Designer")]/>
    };
    let title = format!("Partner {}", partner.name);
    Ok(page(&title, me, "/console/partners", notice, status, body))
}

#[derive(Deserialize)]
struct OriginsForm {
    #[serde(default)]
    origins: String,
}

async fn set_origins(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(f): super::Posted<OriginsForm>,
) -> Screen {
    let id = PartnerId::new(id);
    let before = partners::get(&s.platform.db, &id).await?.allowed_origins();
    match partners::set_allowed_origins(&s.platform, &id, &lines(&f.origins)).await {
        Ok(after) => {
            people::record(
                &s.platform.db,
                &me,
                "partner.origins_set",
                id.as_str(),
                Some(json!(before)),
                Some(json!(after.allowed_origins())),
            )
            .await?;
            Ok(done(&format!("/console/partners/{}", id.as_str()), "saved"))
        }
        Err(e) => refused(e, |n, st| render_partner(&s, &me, &id, n, st, None)).await,
    }
}

async fn add_person(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(f): super::Posted<PersonForm>,
) -> Screen {
    let id = PartnerId::new(id);
    partners::get(&s.platform.db, &id).await?;
    match super::invite(&s, &me, &f.email, &f.role, Some(&id)).await {
        Ok(invited) => render_partner(&s, &me, &id, None, StatusCode::CREATED, Some(invited)).await,
        Err(e) => refused(e, |n, st| render_partner(&s, &me, &id, n, st, None)).await,
    }
}

async fn operators_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(d): Query<Done>) -> Screen {
    render_operators(&s, &me, Notice::done(d.done.as_deref()), StatusCode::OK, None).await
}

async fn render_operators(
    s: &AppState,
    me: &Person,
    notice: Option<Notice>,
    status: StatusCode,
    invited: Option<super::Invited>,
) -> Screen {
    let list = people::list(&s.platform.db, None).await?;
    let body = view! {
        {invited.map(|invited| view! { <InvitationLink invited/> })}
        <PeopleTable list unlock=true/>
        <p class="hint">"A partner's people are on their partner's page."</p>
        <InviteForm action="/console/people".to_string() heading="Invite an operator" hint="You get a one-time link (24 hours) to give them; they choose their own password."
            roles=vec![("operator", "Operator")]/>
    };
    Ok(page("Operators", me, "/console/people", notice, status, body))
}

async fn invite_operator(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, super::Posted(f): super::Posted<PersonForm>) -> Screen {
    match super::invite(&s, &me, &f.email, "operator", None).await {
        Ok(invited) => render_operators(&s, &me, None, StatusCode::CREATED, Some(invited)).await,
        Err(e) => refused(e, |n, st| render_operators(&s, &me, n, st, None)).await,
    }
}

async fn unlock(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    let person = people::by_id(&s.platform.db, &id).await?;
    people::unlock(&s.platform.db, Some(&me.id), &person.email, tessera_core::clock::now_ms()).await?;
    let back = match &person.partner_id {
        Some(p) => format!("/console/partners/{}", p.as_str()),
        None => "/console/people".to_string(),
    };
    Ok(done(&back, "unlocked"))
}

/// A new generated password for someone who lost theirs (shown this once):
/// every session of theirs ends, and the lock (if any) is lifted.
async fn reset_password(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    let db = &s.platform.db;
    let person = people::by_id(db, &id).await?;
    let password = people::generated_password();
    let now = tessera_core::clock::now_ms();
    people::set_password(db, Some(&me.id), &person.id, &password, now).await?;
    if person.locked_at.is_some() {
        people::unlock(db, Some(&me.id), &person.email, now).await?;
    }
    let back = match &person.partner_id {
        Some(p) => format!("/console/partners/{}", p.as_str()),
        None => "/console/people".to_string(),
    };
    let body = view! {
        <section class="card" aria-labelledby="password">
            <h2 id="password">{format!("New password for {} — shown this once", person.email)}</h2>
            <p><code class="secret">{password}</code></p>
            <p class="hint">"Give it to them by a way only they read. Their other sign-ins have ended; they can change it under their account."</p>
        </section>
        <p><a href=back>"Back"</a></p>
    };
    Ok(page("Password reset", &me, "/console/people", None, StatusCode::OK, body))
}

// ---------------------------------------------------------------- merchants

#[derive(Deserialize, Default)]
struct MerchantForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

/// The merchants list's filters and place.
#[derive(Deserialize, Default)]
struct MerchantList {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    after: Option<String>,
    format: Option<String>,
    done: Option<String>,
}

impl MerchantList {
    fn href(&self, after: Option<&str>, csv: bool) -> String {
        let mut pairs = [("q", self.q.as_str()), ("status", self.status.as_str())].to_vec();
        pairs.extend([("after", after.unwrap_or("")), ("format", if csv { "csv" } else { "" })]);
        super::href("/console/merchants", &pairs)
    }
}

const MERCHANT_PAGE: i64 = 50;

async fn merchants_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(list): Query<MerchantList>) -> Screen {
    if list.format.as_deref() == Some("csv") {
        let status = tessera_core::types::MerchantStatus::parse(&list.status);
        let found = merchants::find(&s.platform.db, Some(&list.q), status, None, 500).await?;
        let mut out = String::from("id,name,status,created_at\r\n");
        for m in &found {
            let fields = [m.id.clone(), m.name.clone(), m.status.to_string(), m.created_at.to_rfc3339()];
            out.push_str(&fields.iter().map(|f| super::csv_field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        return Ok(super::csv_response(out, "merchants.csv"));
    }
    let notice = Notice::done(list.done.as_deref());
    render_merchants(&s, &me, &list, MerchantForm::default(), notice, StatusCode::OK).await
}

async fn render_merchants(
    s: &AppState,
    me: &Person,
    list: &MerchantList,
    form: MerchantForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Screen {
    let status_filter = tessera_core::types::MerchantStatus::parse(&list.status);
    let mut found = merchants::find(&s.platform.db, Some(&list.q), status_filter, list.after.as_deref(), MERCHANT_PAGE + 1).await?;
    let more = found.len() as i64 > MERCHANT_PAGE;
    found.truncate(MERCHANT_PAGE as usize);
    let next = more.then(|| found.last().map(|m| list.href(Some(&m.id), false))).flatten();
    let export = list.href(None, true);
    let (q, chosen) = (list.q.clone(), list.status.clone());
    let body = view! {
        <form class="filters" method="get" action="/console/merchants">
            <div><label for="f-q">"Name has"</label><input id="f-q" name="q" value=q/></div>
            <div><label for="f-status">"Status"</label>
                <select id="f-status" name="status">{choice(&chosen, "", "Any")}{choice(&chosen, "active", "Active")}{choice(&chosen, "disabled", "Disabled")}</select></div>
            <button type="submit" class="quiet">"Show"</button>
            <a href=export>"Export CSV"</a>
        </form>
        {if found.is_empty() { view! { <p class="empty">"No merchants."</p> }.into_any() } else { view! {
        <div class="scroll"><table>
            <thead><tr><th scope="col">"Merchant"</th><th scope="col">"Status"</th><th scope="col">"Since"</th></tr></thead>
            <tbody>{found.into_iter().map(|m| {
                let href = format!("/console/merchants/{}", m.id);
                view! { <tr><td><a href=href>{m.name}</a></td><td><Chip text=m.status.to_string()/></td><td>{when(m.created_at.millis())}</td></tr> }
            }).collect_view()}</tbody>
        </table></div> }.into_any() }}
        {next.map(|h| view! { <p class="pager"><a href=h>"More →"</a></p> })}
        <form class="card" method="post" action="/console/merchants">
            <h2>"Add a merchant"</h2>
            <label for="m-name">"Name"</label><input id="m-name" name="name" required maxlength="200" value=form.name/>
            <label for="m-description">"Description"</label><textarea id="m-description" name="description">{form.description}</textarea>
            <div class="actions"><button type="submit">"Add merchant"</button></div>
        </form>
    };
    Ok(page("Merchants", me, "/console/merchants", notice, status, body))
}

async fn create_merchant(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    super::Posted(form): super::Posted<MerchantForm>,
) -> Screen {
    let input = MerchantInput {
        name: form.name.clone(),
        description: form.description.clone(),
        logo_url: None,
        logo_image_id: None,
        cover_image_id: None,
    };
    match merchants::create(&s.platform.db, &input).await {
        Ok(m) => {
            people::record(&s.platform.db, &me, "merchant.created", &m.id, None, Some(json!(m))).await?;
            Ok(done(&format!("/console/merchants/{}", m.id), "created"))
        }
        Err(e) => {
            let list = MerchantList::default();
            refused(e, |n, st| render_merchants(&s, &me, &list, form, n, st)).await
        }
    }
}

#[derive(Deserialize, Default)]
struct OutletForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lng: String,
    #[serde(default)]
    radius: String,
}

async fn merchant_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>, Query(d): Query<Done>) -> Screen {
    render_merchant(&s, &me, &id, OutletForm::default(), Notice::done(d.done.as_deref()), StatusCode::OK).await
}

async fn render_merchant(s: &AppState, me: &Person, id: &str, form: OutletForm, notice: Option<Notice>, status: StatusCode) -> Screen {
    let db = &s.platform.db;
    let merchant = merchants::get(db, id).await?;
    let outlets = merchants::outlets(db, id, None).await?;
    let vouchers = vouchers::list(db, Some(id)).await?;
    let action = format!("/console/merchants/{id}/outlets");
    let new_voucher = format!("/console/vouchers?merchant={id}");
    let active = merchant.status == tessera_core::types::MerchantStatus::Active;
    let toggle = format!("/console/merchants/{id}/{}", if active { "disable" } else { "enable" });
    let edit_action = format!("/console/merchants/{id}");
    let body = view! {
        <p>{merchant.description.clone()}</p>
        <div class="actions">
            <Chip text=merchant.status.to_string()/>
            <form method="post" action=toggle>
                {if active {
                    view! { <button type="submit" class="danger">"Disable (hides it and its vouchers)"</button> }.into_any()
                } else {
                    view! { <button type="submit">"Enable"</button> }.into_any()
                }}
            </form>
        </div>
        <details class="card">
            <summary><strong>"Edit"</strong></summary>
            <form method="post" action=edit_action>
                <label for="e-name">"Name"</label><input id="e-name" name="name" required maxlength="200" value=merchant.name.clone()/>
                <label for="e-description">"Description"</label><textarea id="e-description" name="description">{merchant.description.clone()}</textarea>
                <div class="actions"><button type="submit">"Save changes"</button></div>
            </form>
        </details>
        <h2>"Outlets"</h2>
        {if outlets.is_empty() {
            view! { <p class="empty">"No outlets yet: vouchers of a merchant without outlets cannot be redeemed."</p> }.into_any()
        } else {
            view! {
                <div class="scroll"><table>
                    <thead><tr><th scope="col">"Outlet"</th><th scope="col">"Address"</th><th scope="col">"Where"</th><th scope="col" class="num">"Geofence"</th></tr></thead>
                    <tbody>{outlets.into_iter().map(|o| view! { <OutletRow o/> }.into_any()).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        <form class="card" method="post" action=action>
            <h3>"Add an outlet"</h3>
            <label for="o-name">"Name"</label><input id="o-name" name="name" required maxlength="200" value=form.name/>
            <label for="o-address">"Address"</label><input id="o-address" name="address" value=form.address size="50"/>
            <div class="row">
                <div><label for="o-lat">"Latitude"</label><input id="o-lat" name="lat" inputmode="decimal" value=form.lat placeholder="3.1478"/></div>
                <div><label for="o-lng">"Longitude"</label><input id="o-lng" name="lng" inputmode="decimal" value=form.lng placeholder="101.7123"/></div>
                <div><label for="o-radius">"Geofence (m)"</label><input id="o-radius" name="radius" inputmode="numeric" value=form.radius placeholder="150"/></div>
            </div>
            <p class="hint">"Without coordinates a redemption there cannot be checked against a place (it is accepted and noted)."</p>
            <div class="actions"><button type="submit">"Add outlet"</button></div>
        </form>
        <h2>"Vouchers"</h2>
        <ul>{vouchers.into_iter().map(|v| { let href = format!("/console/vouchers/{}", v.id); view! { <li><a href=href>{tessera_core::markup::plain_text(&v.title)}</a>" "<Chip text=v.status.to_string()/></li> } }).collect_view()}</ul>
        <p><a class="button quiet" href=new_voucher>"New voucher for this merchant"</a></p>
    };
    Ok(page(&merchant.name, me, "/console/merchants", notice, status, body))
}

/// An outlet's row, with its edit form folded away (its own element: a form
/// in every row is a deep view type).
#[component]
fn OutletRow(o: tessera_core::merchants::Outlet) -> impl IntoView {
    let place = match (o.lat, o.lng) {
        (Some(lat), Some(lng)) => format!("{lat:.5}, {lng:.5}"),
        _ => "not located".into(),
    };
    let edit = format!("/console/outlets/{}", o.id);
    let ids = ["name", "address", "lat", "lng", "radius"].map(|f| format!("{f}-{}", o.id));
    let label = format!("Edit {}", o.name);
    view! {
        <tr>
            <td>{o.name.clone()}
                <details><summary>{label}</summary>
                    <form method="post" action=edit>
                        <label for=ids[0].clone()>"Name"</label><input id=ids[0].clone() name="name" required maxlength="200" value=o.name.clone()/>
                        <label for=ids[1].clone()>"Address"</label><input id=ids[1].clone() name="address" value=o.address.clone()/>
                        <div class="row">
                            <div><label for=ids[2].clone()>"Latitude"</label><input id=ids[2].clone() name="lat" inputmode="decimal" value=o.lat.map(|v| v.to_string()).unwrap_or_default()/></div>
                            <div><label for=ids[3].clone()>"Longitude"</label><input id=ids[3].clone() name="lng" inputmode="decimal" value=o.lng.map(|v| v.to_string()).unwrap_or_default()/></div>
                            <div><label for=ids[4].clone()>"Geofence (m)"</label><input id=ids[4].clone() name="radius" inputmode="numeric" value=o.radius_m.to_string()/></div>
                        </div>
                        <div class="actions"><button type="submit">"Save outlet"</button></div>
                    </form>
                </details>
            </td>
            <td>{o.address}</td><td>{place}</td><td class="num">{format!("{} m", o.radius_m)}</td>
        </tr>
    }
}

async fn update_merchant(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(form): super::Posted<MerchantForm>,
) -> Screen {
    let before = merchants::get(&s.platform.db, &id).await?;
    let input = MerchantInput {
        name: form.name.clone(),
        description: form.description.clone(),
        logo_url: before.logo_url.clone(),
        logo_image_id: before.logo_image_id.clone(),
        cover_image_id: before.cover_image_id.clone(),
    };
    match merchants::update(&s.platform.db, &id, &input).await {
        Ok(after) => {
            people::record(&s.platform.db, &me, "merchant.updated", &id, Some(json!(before)), Some(json!(after))).await?;
            Ok(done(&format!("/console/merchants/{id}"), "saved"))
        }
        Err(e) => refused(e, |n, st| render_merchant(&s, &me, &id, OutletForm::default(), n, st)).await,
    }
}

async fn set_merchant_status(s: &AppState, me: &Person, id: &str, status: tessera_core::types::MerchantStatus) -> Screen {
    let before = merchants::get(&s.platform.db, id).await?.status;
    let after = merchants::set_status(&s.platform.db, id, status).await?;
    people::record(
        &s.platform.db,
        me,
        &format!("merchant.{}", if status == tessera_core::types::MerchantStatus::Active { "enabled" } else { "disabled" }),
        id,
        Some(json!({"status": before})),
        Some(json!({"status": after.status})),
    )
    .await?;
    Ok(done(
        &format!("/console/merchants/{id}"),
        if status == tessera_core::types::MerchantStatus::Active { "enabled" } else { "disabled" },
    ))
}

async fn disable_merchant(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    set_merchant_status(&s, &me, &id, tessera_core::types::MerchantStatus::Disabled).await
}

async fn enable_merchant(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    set_merchant_status(&s, &me, &id, tessera_core::types::MerchantStatus::Active).await
}

/// An outlet's form as an input (a number that is none is said by field).
fn outlet_input(form: &OutletForm) -> Result<OutletInput, ApiError> {
    let mut bad = vec![];
    let input = OutletInput {
        name: form.name.clone(),
        address: form.address.clone(),
        lat: number("lat", &form.lat, &mut bad),
        lng: number("lng", &form.lng, &mut bad),
        radius_m: number("radiusM", &form.radius, &mut bad),
    };
    if bad.is_empty() { Ok(input) } else { Err(ApiError::validation(bad)) }
}

async fn update_outlet(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(form): super::Posted<OutletForm>,
) -> Screen {
    let before = merchants::get_outlet(&s.platform.db, &id).await?;
    let saved = match outlet_input(&form) {
        Ok(input) => merchants::update_outlet(&s.platform.db, &id, &input).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(after) => {
            people::record(&s.platform.db, &me, "outlet.updated", &id, Some(json!(before)), Some(json!(after))).await?;
            Ok(done(&format!("/console/merchants/{}", before.merchant_id), "saved"))
        }
        Err(e) => refused(e, |n, st| render_merchant(&s, &me, &before.merchant_id, OutletForm::default(), n, st)).await,
    }
}

async fn add_outlet(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(form): super::Posted<OutletForm>,
) -> Screen {
    let made = match outlet_input(&form) {
        Ok(input) => merchants::create_outlet(&s.platform.db, &id, &input).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(o) => {
            people::record(&s.platform.db, &me, "outlet.created", &o.id, None, Some(json!(o))).await?;
            Ok(done(&format!("/console/merchants/{id}"), "outlet-added"))
        }
        Err(e) => refused(e, |n, st| render_merchant(&s, &me, &id, form, n, st)).await,
    }
}

// ---------------------------------------------------------------- vouchers

#[derive(Deserialize, Default, Clone)]
struct VoucherForm {
    #[serde(default)]
    merchant: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    value_type: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    per_user: String,
    #[serde(default)]
    code_source: String,
    #[serde(default)]
    static_code: String,
    /// Comma-separated; empty: everyone.
    #[serde(default)]
    cohorts: String,
    #[serde(default)]
    unlock_code: String,
    #[serde(default)]
    coin_cost: String,
}

/// The vouchers list's filters, order and place (all in the address).
#[derive(Deserialize, Default, Clone)]
struct VoucherList {
    #[serde(default)]
    merchant: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    after: Option<String>,
    format: Option<String>,
    done: Option<String>,
}

impl VoucherList {
    fn find(&self) -> vouchers::Find {
        vouchers::Find {
            merchant: given(&self.merchant),
            status: tessera_core::types::VoucherStatus::parse(&self.status),
            text: given(&self.q),
            sort: if self.sort == "title" { vouchers::Sort::Title } else { vouchers::Sort::Newest },
            after: self.after.clone(),
        }
    }

    /// This list's address, with `after` or as CSV.
    fn href(&self, after: Option<&str>, csv: bool) -> String {
        let mut pairs =
            [("merchant", self.merchant.as_str()), ("status", self.status.as_str()), ("q", self.q.as_str()), ("sort", self.sort.as_str())]
                .to_vec();
        pairs.extend([("after", after.unwrap_or("")), ("format", if csv { "csv" } else { "" })]);
        super::href("/console/vouchers", &pairs)
    }
}

const VOUCHER_PAGE: i64 = 50;

async fn vouchers_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(list): Query<VoucherList>) -> Screen {
    if list.format.as_deref() == Some("csv") {
        let found = vouchers::find(&s.platform.db, &list.find(), 500).await?;
        return Ok(vouchers_csv(&found));
    }
    let notice = Notice::done(list.done.as_deref());
    let form = VoucherForm { merchant: list.merchant.clone(), ..VoucherForm::default() };
    render_vouchers(&s, &me, &list, form, notice, StatusCode::OK).await
}

/// Vouchers as CSV (at most 500: narrow the filters for more).
fn vouchers_csv(list: &[Voucher]) -> axum::response::Response {
    let mut out = String::from("id,merchant_id,title,status,code_source,claimed,total_stock,per_user_limit,valid_until,created_at\r\n");
    for v in list {
        let fields = [
            v.id.clone(),
            v.merchant_id.clone(),
            v.title.clone(),
            v.status.to_string(),
            v.code_source.to_string(),
            v.claimed_count.to_string(),
            v.total_stock.map(|n| n.to_string()).unwrap_or_default(),
            v.per_user_limit.to_string(),
            v.valid_until.map(|t| t.to_rfc3339()).unwrap_or_default(),
            v.created_at.to_rfc3339(),
        ];
        out.push_str(&fields.iter().map(|f| super::csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    super::csv_response(out, "vouchers.csv")
}

async fn render_vouchers(
    s: &AppState,
    me: &Person,
    list: &VoucherList,
    form: VoucherForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Screen {
    let db = &s.platform.db;
    let mut found = vouchers::find(db, &list.find(), VOUCHER_PAGE + 1).await?;
    let more = found.len() as i64 > VOUCHER_PAGE;
    found.truncate(VOUCHER_PAGE as usize);
    let next = more.then(|| found.last().map(|v| list.href(Some(&v.id), false))).flatten();
    let export = list.href(None, true);
    let all_merchants = merchants::list(db, None).await?;
    let names: std::collections::HashMap<String, String> = all_merchants.iter().map(|m| (m.id.clone(), m.name.clone())).collect();
    let chosen = form.merchant.clone();
    let filter_merchants = all_merchants.clone();
    let l = list.clone();
    let body = view! {
        <form class="filters" method="get" action="/console/vouchers">
            <div><label for="f-q">"Title has"</label><input id="f-q" name="q" value=l.q.clone()/></div>
            <div><label for="f-merchant">"Merchant"</label>
                <select id="f-merchant" name="merchant">
                    <option value="">"Any"</option>
                    {filter_merchants.into_iter().map(|m| { let selected = m.id == l.merchant; view! { <option value=m.id selected=selected>{m.name}</option> } }).collect_view()}
                </select></div>
            <div><label for="f-status">"Status"</label>
                <select id="f-status" name="status">
                    {choice(&l.status, "", "Any")}{choice(&l.status, "draft", "Draft")}{choice(&l.status, "published", "Published")}{choice(&l.status, "archived", "Archived")}
                </select></div>
            <div><label for="f-sort">"Order"</label>
                <select id="f-sort" name="sort">{choice(&l.sort, "", "Newest first")}{choice(&l.sort, "title", "By title")}</select></div>
            <button type="submit" class="quiet">"Show"</button>
            <a href=export>"Export CSV"</a>
        </form>
        {if found.is_empty() { view! { <p class="empty">"No vouchers."</p> }.into_any() } else { view! {
        <div class="scroll"><table>
            <thead><tr><th scope="col">"Voucher"</th><th scope="col">"Merchant"</th><th scope="col">"Status"</th><th scope="col" class="num">"Claimed"</th></tr></thead>
            <tbody>{found.into_iter().map(|v| {
                let href = format!("/console/vouchers/{}", v.id);
                let merchant = names.get(&v.merchant_id).cloned().unwrap_or_default();
                let claimed = match v.total_stock { Some(t) => format!("{} / {t}", v.claimed_count), None => v.claimed_count.to_string() };
                view! { <tr><td><a href=href>{tessera_core::markup::plain_text(&v.title)}</a></td><td>{merchant}</td><td><Chip text=v.status.to_string()/></td><td class="num">{claimed}</td></tr> }
            }).collect_view()}</tbody>
        </table></div> }.into_any() }}
        {next.map(|h| view! { <p class="pager"><a href=h>"More →"</a></p> })}
        <form class="card" method="post" action="/console/vouchers">
            <h2>"New voucher (a draft until published)"</h2>
            <label for="v-merchant">"Merchant"</label>
            <select id="v-merchant" name="merchant" required>
                {all_merchants.into_iter().map(|m| { let selected = m.id == chosen; view! { <option value=m.id selected=selected>{m.name}</option> } }).collect_view()}
            </select>
            {voucher_fields(&form)}
            <div class="actions"><button type="submit">"Create draft"</button></div>
        </form>
    };
    Ok(page("Vouchers", me, "/console/vouchers", notice, status, body))
}

/// An option of a select, chosen when it is the form's value.
fn choice(current: &str, value: &'static str, label: &'static str) -> impl IntoView + use<> {
    let selected = current == value;
    view! { <option value=value selected=selected>{label}</option> }
}

/// A voucher's fields, as the create and edit forms share them.
fn voucher_fields(form: &VoucherForm) -> impl IntoView + use<> {
    let form = form.clone();
    view! {
            <label for="v-title">"Title"</label><input id="v-title" name="title" required maxlength="200" size="50" value=form.title.clone() aria-describedby="v-title-hint"/>
            <p class="hint" id="v-title-hint">"{b}bold{/b}, {r}highlighted{/r}, {s}struck{/s} are allowed."</p>
            <label for="v-description">"Description"</label><textarea id="v-description" name="description">{form.description.clone()}</textarea>
            <div class="row">
                <div><label for="v-type">"Value"</label>
                    <select id="v-type" name="value_type">
                        {choice(&form.value_type, "", "None")}{choice(&form.value_type, "PERCENT", "Percent off")}{choice(&form.value_type, "FIXED", "Amount off")}
                    </select></div>
                <div><label for="v-value">"Value (percent, or minor units)"</label><input id="v-value" name="value" inputmode="numeric" value=form.value/></div>
                <div><label for="v-currency">"Currency"</label><input id="v-currency" name="currency" maxlength="3" size="4" value=form.currency.clone() placeholder="MYR"/></div>
            </div>
            <div class="row">
                <div><label for="v-until">"Valid until (UTC)"</label><input id="v-until" name="valid_until" type="datetime-local" value=form.valid_until.clone()/></div>
                <div><label for="v-stock">"Stock (empty: unlimited)"</label><input id="v-stock" name="stock" inputmode="numeric" value=form.stock.clone()/></div>
                <div><label for="v-per-user">"Per user"</label><input id="v-per-user" name="per_user" inputmode="numeric" value=form.per_user.clone() placeholder="1"/></div>
            </div>
            <div class="row">
                <div><label for="v-codes">"Codes"</label>
                    <select id="v-codes" name="code_source">
                        {choice(&form.code_source, "generated", "Generated at redemption")}{choice(&form.code_source, "pool", "From an uploaded pool (CSV)")}{choice(&form.code_source, "static", "One code for everyone")}
                    </select></div>
                <div><label for="v-static">"The one code (static)"</label><input id="v-static" name="static_code" value=form.static_code.clone()/></div>
            </div>
            <div class="row">
                <div><label for="v-cohorts">"Only for cohorts (comma-separated; empty: everyone)"</label><input id="v-cohorts" name="cohorts" size="30" value=form.cohorts.clone()/></div>
                <div><label for="v-unlock">"Unlisted: shown to who enters"</label><input id="v-unlock" name="unlock_code" value=form.unlock_code.clone()/></div>
                <div><label for="v-coins">"Coin cost"</label><input id="v-coins" name="coin_cost" inputmode="numeric" value=form.coin_cost.clone()/></div>
            </div>
    }
}

/// The form's fields over `base` (what is not in the form stays as it is).
fn voucher_input(form: &VoucherForm, mut base: VoucherInput) -> Result<VoucherInput, ApiError> {
    let mut bad = vec![];
    base.title = form.title.clone();
    base.description = form.description.clone();
    base.value_type = given(&form.value_type).and_then(|t| serde_json::from_value(json!(t)).ok());
    base.value = number("value", &form.value, &mut bad);
    base.currency = given(&form.currency).map(|c| c.to_ascii_uppercase());
    base.valid_until = given(&form.valid_until).map(|t| if t.len() == 16 { format!("{t}:00Z") } else { format!("{t}Z") });
    base.total_stock = number("totalStock", &form.stock, &mut bad);
    base.per_user_limit = number("perUserLimit", &form.per_user, &mut bad);
    base.code_source = given(&form.code_source);
    base.static_code = given(&form.static_code);
    base.cohorts = form.cohorts.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
    base.unlock_code = given(&form.unlock_code);
    base.coin_cost = number("coinCost", &form.coin_cost, &mut bad);
    if bad.is_empty() { Ok(base) } else { Err(ApiError::validation(bad)) }
}

impl VoucherForm {
    /// The form as a voucher fills it.
    fn of(v: &Voucher) -> VoucherForm {
        VoucherForm {
            merchant: v.merchant_id.clone(),
            title: v.title.clone(),
            description: v.description.clone(),
            value_type: v.value_type.map(|t| json!(t).as_str().unwrap_or_default().to_string()).unwrap_or_default(),
            value: v.value.map(|n| n.to_string()).unwrap_or_default(),
            currency: v.currency.clone().unwrap_or_default(),
            valid_until: v.valid_until.map(|t| t.to_rfc3339().chars().take(16).collect()).unwrap_or_default(),
            stock: v.total_stock.map(|n| n.to_string()).unwrap_or_default(),
            per_user: v.per_user_limit.to_string(),
            code_source: v.code_source.as_str().to_string(),
            static_code: v.static_code.clone().unwrap_or_default(),
            cohorts: v.cohorts.join(", "),
            unlock_code: v.unlock_code.clone().unwrap_or_default(),
            coin_cost: v.coin_cost.map(|n| n.to_string()).unwrap_or_default(),
        }
    }
}

async fn create_voucher(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    super::Posted(form): super::Posted<VoucherForm>,
) -> Screen {
    let base = VoucherInput {
        merchant_id: form.merchant.clone(),
        title: String::new(),
        description: String::new(),
        value_type: None,
        value: None,
        currency: None,
        valid_from: None,
        valid_until: None,
        total_stock: None,
        per_user_limit: None,
        coin_cost: None,
        cohorts: vec![],
        unlock_code: None,
        code_source: None,
        static_code: None,
        image_id: None,
        price: None,
        supplier: None,
    };
    let made = match voucher_input(&form, base) {
        Ok(input) => vouchers::create(&s.platform.db, &input).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(v) => {
            people::record(&s.platform.db, &me, "voucher.created", &v.id, None, Some(json!(v))).await?;
            Ok(done(&format!("/console/vouchers/{}", v.id), "created"))
        }
        Err(e) => {
            let list = VoucherList::default();
            refused(e, |n, st| render_vouchers(&s, &me, &list, form, n, st)).await
        }
    }
}

/// Saves the edit form over the voucher as it is.
async fn update_voucher(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(form): super::Posted<VoucherForm>,
) -> Screen {
    let before = vouchers::get(&s.platform.db, &id).await?;
    let saved = match voucher_input(&form, before.as_input()) {
        Ok(input) => vouchers::update(&s.platform.db, &id, &input).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(after) => {
            people::record(&s.platform.db, &me, "voucher.updated", &id, Some(json!(before)), Some(json!(after))).await?;
            Ok(done(&format!("/console/vouchers/{id}"), "saved"))
        }
        Err(e) => refused(e, |n, st| render_voucher_with(&s, &me, &id, None, Some(form), n, st)).await,
    }
}

async fn voucher_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>, Query(d): Query<Done>) -> Screen {
    render_voucher(&s, &me, &id, None, Notice::done(d.done.as_deref()), StatusCode::OK).await
}

/// Codes read from a CSV, waiting for the operator's confirmation.
struct Preview {
    csv: String,
    codes: Vec<String>,
}

async fn render_voucher(
    s: &AppState,
    me: &Person,
    id: &str,
    preview: Option<Preview>,
    notice: Option<Notice>,
    status: StatusCode,
) -> Screen {
    render_voucher_with(s, me, id, preview, None, notice, status).await
}

/// The voucher's page; `edit` is the edit form as it was sent (a refused save).
async fn render_voucher_with(
    s: &AppState,
    me: &Person,
    id: &str,
    preview: Option<Preview>,
    edit: Option<VoucherForm>,
    notice: Option<Notice>,
    status: StatusCode,
) -> Screen {
    let db = &s.platform.db;
    let v: Voucher = vouchers::get(db, id).await?;
    // A refused save opens the edit form again, as it was sent.
    let edit_refused = edit.is_some();
    let edit = edit.unwrap_or_else(|| VoucherForm::of(&v));
    let edit_action = format!("/console/vouchers/{id}");
    let image_action = format!("/console/vouchers/{id}/image");
    let picture = v.image_id.clone().map(|img| format!("/images/{img}/353"));
    let merchant = merchants::get(db, &v.merchant_id).await?;
    let merchant_href = format!("/console/merchants/{}", merchant.id);
    let is_draft = v.status == tessera_core::types::VoucherStatus::Draft;
    let is_archived = v.status == tessera_core::types::VoucherStatus::Archived;
    let pool = v.code_source == tessera_core::types::CodeSource::Pool;
    let publish_action = format!("/console/vouchers/{id}/publish");
    let archive_action = format!("/console/vouchers/{id}/archive");
    let codes_action = format!("/console/vouchers/{id}/codes");
    let value = match (v.value_type, v.value) {
        (Some(t), Some(n)) => format!("{n} ({t:?})"),
        _ => "—".into(),
    };
    let stock = match v.total_stock {
        Some(t) => format!("{} of {t} claimed", v.claimed_count),
        None => format!("{} claimed (no limit)", v.claimed_count),
    };
    let body = view! {
        <p><Chip text=v.status.to_string()/>" of "<a href=merchant_href>{merchant.name}</a></p>
        <dl class="facts">
            <dt>"Voucher id"</dt><dd><code>{v.id.clone()}</code></dd>
            <dt>"Value"</dt><dd>{value}</dd>
            <dt>"Valid until"</dt><dd>{v.valid_until.map(|t| when(t.millis())).unwrap_or_else(|| "no end".into())}</dd>
            <dt>"Stock"</dt><dd>{stock}</dd>
            <dt>"Per user"</dt><dd>{v.per_user_limit}</dd>
            <dt>"Codes"</dt><dd>{v.code_source.to_string()}{pool.then(|| format!(" — {} free in the pool", v.pool_codes_free))}</dd>
        </dl>
        {picture.map(|src| view! { <img src=src alt="The voucher's picture" width="353" height="199" class="picture"/> })}
        <div class="actions">
            {is_draft.then(|| view! { <form method="post" action=publish_action><button type="submit">"Publish"</button></form> })}
            {(!is_archived).then(|| view! { <form method="post" action=archive_action><button type="submit" class="danger">"Archive"</button></form> })}
        </div>
        <details class="card" open=edit_refused>
            <summary><strong>"Edit"</strong></summary>
            <form method="post" action=edit_action>
                <input type="hidden" name="merchant" value=edit.merchant.clone()/>
                {voucher_fields(&edit)}
                <div class="actions"><button type="submit">"Save changes"</button></div>
            </form>
        </details>
        <form class="card" method="post" action=image_action enctype="multipart/form-data">
            <h2>"Picture"</h2>
            <p class="hint">"16:9, at least 353 × 199 px; PNG, JPEG or WebP up to 5 MB. It replaces the current one."</p>
            <label for="picture">"Image file"</label><input id="picture" name="image" type="file" accept="image/png,image/jpeg,image/webp" required/>
            <div class="actions"><button type="submit">"Upload picture"</button></div>
        </form>
        {pool.then(|| match preview {
            Some(p) => {
                let count = p.codes.len();
                view! {
                    <form class="card" method="post" action=codes_action.clone() enctype="multipart/form-data">
                        <h2>"Add these codes?"</h2>
                        <p>{format!("{count} code{} read from the file. The first of them:", if count == 1 { "" } else { "s" })}</p>
                        <ol>{p.codes.into_iter().take(10).map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ol>
                        <input type="hidden" name="csv" value=p.csv/>
                        <input type="hidden" name="step" value="add"/>
                        <div class="actions"><button type="submit">{format!("Add {count} codes")}</button><a class="button quiet" href=format!("/console/vouchers/{id}")>"Cancel"</a></div>
                    </form>
                }.into_any()
            }
            None => view! {
                <form class="card" method="post" action=codes_action.clone() enctype="multipart/form-data">
                    <h2>"Upload codes (CSV)"</h2>
                    <p class="hint">"One code per line, in the first column; a first line reading \"code\" is skipped. A file with any bad line is refused whole, saying which line."</p>
                    <label for="csv-file">"CSV file"</label><input id="csv-file" name="file" type="file" accept=".csv,text/csv,text/plain" required/>
                    <input type="hidden" name="step" value="preview"/>
                    <div class="actions"><button type="submit">"Preview"</button></div>
                </form>
            }.into_any(),
        })}
    };
    let title = tessera_core::markup::plain_text(&v.title);
    Ok(page(&title, me, "/console/vouchers", notice, status, body))
}

/// A new picture for the voucher (checked for its kind: 16:9, large enough).
async fn upload_image(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>, mut form: Multipart) -> Screen {
    let db = &s.platform.db;
    let before = vouchers::get(db, &id).await?;
    let mut bytes = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Shown(ApiError::new(tessera_core::error::ErrorCode::BadRequest, format!("The upload is not a form: {e}"))))?
    {
        if field.name() == Some("image") {
            bytes = field
                .bytes()
                .await
                .map_err(|e| Shown(ApiError::new(tessera_core::error::ErrorCode::BadRequest, format!("The upload broke off: {e}"))))?
                .to_vec();
        }
    }
    let saved = async {
        if bytes.is_empty() {
            return Err(ApiError::validation(vec![("image", "choose an image file".into())]));
        }
        let image = tessera_core::images::upload(db, tessera_core::images::Kind::Voucher, &bytes).await?;
        let mut input = before.as_input();
        input.image_id = Some(image.image_id.clone());
        vouchers::update(db, &id, &input).await
    }
    .await;
    match saved {
        Ok(after) => {
            people::record(
                db,
                &me,
                "voucher.picture_set",
                &id,
                Some(json!({"imageId": before.image_id})),
                Some(json!({"imageId": after.image_id})),
            )
            .await?;
            Ok(done(&format!("/console/vouchers/{id}"), "saved"))
        }
        Err(e) => refused(e, |n, st| render_voucher(&s, &me, &id, None, n, st)).await,
    }
}

async fn publish(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    match vouchers::publish(&s.platform.db, &id).await {
        Ok(p) => {
            people::record(
                &s.platform.db,
                &me,
                "voucher.published",
                &id,
                Some(json!({"status": "draft"})),
                Some(json!({"status": "published", "eventsEnqueued": p.events_enqueued})),
            )
            .await?;
            Ok(done(&format!("/console/vouchers/{id}"), "published"))
        }
        Err(e) => refused(e, |n, st| render_voucher(&s, &me, &id, None, n, st)).await,
    }
}

async fn archive(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    let before = vouchers::get(&s.platform.db, &id).await?.status;
    let v = vouchers::archive(&s.platform.db, &id).await?;
    people::record(&s.platform.db, &me, "voucher.archived", &id, Some(json!({"status": before})), Some(json!({"status": v.status})))
        .await?;
    Ok(done(&format!("/console/vouchers/{id}"), "archived"))
}

/// A CSV of codes: `step=preview` reads the file and shows the count and the
/// first rows; `step=add` (the preview's button, carrying the same text)
/// adds them. A bad line refuses the whole file at either step.
async fn upload_codes(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>, mut form: Multipart) -> Screen {
    let mut csv = String::new();
    let mut step = String::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Shown(ApiError::new(tessera_core::error::ErrorCode::BadRequest, format!("The upload is not a form: {e}"))))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let text = field
            .text()
            .await
            .map_err(|e| Shown(ApiError::new(tessera_core::error::ErrorCode::BadRequest, format!("The upload broke off: {e}"))))?;
        match name.as_str() {
            "file" | "csv" => csv = text,
            "step" => step = text,
            _ => {}
        }
    }
    let codes = match vouchers::codes_from_csv(&csv) {
        Ok(codes) => codes,
        Err(e) => return refused(e, |n, st| render_voucher(&s, &me, &id, None, n, st)).await,
    };
    if step != "add" {
        return render_voucher(&s, &me, &id, Some(Preview { csv, codes }), None, StatusCode::OK).await;
    }
    match vouchers::upload_codes(&s.platform.db, &id, &PoolUpload { codes }).await {
        Ok(up) => {
            people::record(&s.platform.db, &me, "voucher.codes_added", &id, None, Some(json!(up))).await?;
            let notice = Notice::ok(format!("{} codes added ({} already there); {} free in the pool.", up.added, up.duplicates, up.free));
            render_voucher(&s, &me, &id, None, Some(notice), StatusCode::OK).await
        }
        Err(e) => refused(e, |n, st| render_voucher(&s, &me, &id, None, n, st)).await,
    }
}
