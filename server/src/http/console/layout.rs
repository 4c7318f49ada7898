//! The console's and portal's frame: the page around every screen (title,
//! sections by role, who is signed in, what the last action did), its style,
//! and the small pieces screens share (times, notices, status chips).

use super::Job;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use leptos::prelude::*;
use tessera_core::{
    error::ApiError,
    people::{Person, Role},
};

const STYLE: &str = include_str!("console.css");

/// What the last action did, said at the top of the page.
#[derive(Debug, Clone, Default)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
    /// Per field, what is wrong (a refused form).
    pub fields: Vec<(String, String)>,
}

impl Notice {
    pub fn ok(text: impl Into<String>) -> Self {
        Notice { ok: true, text: text.into(), fields: Vec::new() }
    }

    pub fn refused(e: &ApiError) -> Self {
        let fields = e
            .details()
            .get("fields")
            .and_then(|f| f.as_object())
            .map(|f| f.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        Notice { ok: false, text: e.message().to_string(), fields }
    }

    /// The notice of `?done=…` after a write (see [`done_text`]).
    pub fn done(done: Option<&str>) -> Option<Notice> {
        done.and_then(done_text).map(Notice::ok)
    }
}

/// What `?done=` may say: fixed texts, so nothing in an address is echoed.
pub fn done_text(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "Created.",
        "saved" => "Saved.",
        "approved" => "Approved: the partner is told (REDEMPTION_REVIEWED).",
        "rejected" => "Rejected: the partner is told (REDEMPTION_REVIEWED).",
        "published" => "Published: users who favourite the merchant are told.",
        "archived" => "Archived: users no longer see it.",
        "resent" => "Queued to send again.",
        "recovered" => "Failed deliveries queued to send again.",
        "enabled" => "Enabled.",
        "disabled" => "Disabled.",
        "test-sent" => "Test event queued: it shows in the log below once sent.",
        "outlet-added" => "Outlet added.",
        "password-changed" => "Password changed: your other sign-ins have ended.",
        "totp-on" => "Two-step sign-in is on.",
        "totp-off" => "Two-step sign-in is off.",
        "unlocked" => "Unlocked: they can sign in again.",
        "reversed" => "Reversed: the card is taken back and the payment refunded (ORDER_REVERSED).",
        _ => return None,
    })
}

/// A section in the navigation.
struct Section {
    href: &'static str,
    name: &'static str,
}

fn sections(role: Role) -> Vec<Section> {
    if role == Role::Operator {
        return vec![
            Section { href: "/console", name: "Overview" },
            Section { href: "/console/review", name: "Review" },
            Section { href: "/console/partners", name: "Partners" },
            Section { href: "/console/merchants", name: "Merchants" },
            Section { href: "/console/vouchers", name: "Vouchers" },
            Section { href: "/console/orders", name: "Orders" },
            Section { href: "/console/people", name: "Operators" },
            Section { href: "/console/audit", name: "Audit log" },
        ];
    }
    let mut out = vec![Section { href: "/portal", name: "Overview" }];
    if Job::Webhooks.allowed(role) {
        out.push(Section { href: "/portal/endpoints", name: "Webhooks" });
        out.push(Section { href: "/portal/events", name: "Events" });
        out.push(Section { href: "/portal/catalog", name: "Event catalog" });
    }
    if Job::SeeCredentials.allowed(role) {
        out.push(Section { href: "/portal/integration", name: "Integration" });
    }
    if Job::Theme.allowed(role) {
        out.push(Section { href: "/portal/theme", name: "Theme" });
    }
    if Job::Team.allowed(role) {
        out.push(Section { href: "/portal/team", name: "Team" });
    }
    out
}

/// A time as operators read it: `2026-12-06 22:38:05 UTC`.
pub fn when(ms: i64) -> String {
    let iso = tessera_core::clock::to_rfc3339(ms);
    format!("{} UTC", iso.get(..19).unwrap_or(&iso).replace('T', " "))
}

/// A screen inside the frame, with `status`.
pub fn page(title: &str, who: &Person, here: &str, notice: Option<Notice>, status: StatusCode, body: impl IntoView + 'static) -> Response {
    page_of(title, who, here, notice, status, move || body)
}

/// [`page`], with a body made while the page renders: its components can use
/// the page's context (the nonce, for a script of its own).
pub fn page_of<V: IntoView + 'static>(
    title: &str,
    who: &Person,
    here: &str,
    notice: Option<Notice>,
    status: StatusCode,
    body: impl FnOnce() -> V + 'static,
) -> Response {
    let heading = title.to_string();
    let nav = sections(who.role);
    let email = who.email.clone();
    let role = who.role.to_string();
    let here = here.to_string();
    let nonce = new_nonce();
    let given = nonce.clone();
    let inner = Owner::new().with(move || {
        // For a page's own script (the theme editor's), by `use_nonce`.
        provide_context(leptos::nonce::Nonce::from_value(given));
        let body = body();
        view! {
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="bar">
                <span class="brand">{if role == "operator" { "Tessera console" } else { "Tessera portal" }}</span>
                <nav aria-label="Sections">
                    <ul>
                        {nav
                            .into_iter()
                            .map(|s| {
                                let current = (s.href == here).then_some("page");
                                view! { <li><a href=s.href aria-current=current>{s.name}</a></li> }
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <form class="who" method="post" action="/console/logout">
                    <a href="/console/account">{format!("{email} · {}", role.replace('_', " "))}</a>
                    <button type="submit" class="quiet">"Sign out"</button>
                </form>
            </header>
            <main id="main">
                <h1>{heading}</h1>
                {notice.map(|n| view! { <NoticeView notice=n/> })}
                {body}
            </main>
        }
        .to_html()
    });
    document(&format!("{title} · Tessera"), &inner, status, &nonce)
}

fn new_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[component]
pub fn NoticeView(notice: Notice) -> impl IntoView {
    let class = if notice.ok { "notice ok" } else { "notice error" };
    let role = if notice.ok { "status" } else { "alert" };
    view! {
        <div class=class role=role>
            <p>{notice.text}</p>
            {(!notice.fields.is_empty()).then(|| view! {
                <ul>{notice.fields.into_iter().map(|(f, m)| view! { <li><code>{f}</code>" "{m}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}

/// A page outside the frame (errors, the sign-in): a message and the way back.
pub fn bare_page(title: &str, message: &str, status: StatusCode) -> Response {
    let message = message.to_string();
    let heading = title.split(" · ").next().unwrap_or(title).to_string();
    let inner = Owner::new().with(move || {
        view! {
            <main id="main" class="narrow">
                <h1>{heading}</h1>
                <p>{message}</p>
                <p><a href="/console">"Back to the console"</a></p>
            </main>
        }
        .to_html()
    });
    document(title, &inner, status, &new_nonce())
}

/// The HTML document: its style and script by nonce, calls and frames to
/// this server only, never framed or cached, no referrer sent.
pub fn document(title: &str, body: &str, status: StatusCode, nonce: &str) -> Response {
    let title = super::super::plain_page::escape(title);
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style nonce={nonce}>{STYLE}</style></head><body>{body}</body></html>"
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'; \
         frame-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// A status as a chip: its word, and a class for its colour.
#[component]
pub fn Chip(text: String) -> impl IntoView {
    let class = format!("chip chip-{}", text.to_ascii_lowercase().replace([' ', '_'], "-"));
    view! { <span class=class>{text}</span> }
}

/// An invitation's link, shown once, with who it is for and whether it was emailed.
#[component]
pub fn InvitationLink(invited: super::Invited) -> impl IntoView {
    let until = when(invited.inv.expires_at.millis());
    let email = invited.inv.email.clone();
    let mailed = match invited.emailed {
        None => view! { <p class="hint">{format!("Give it to them: it works once, until {until}. They choose their own password.")}</p> }.into_any(),
        Some(Ok(())) => view! { <div class="notice ok" role="status"><p>{format!("Emailed to {email}. It works once, until {until}.")}</p></div> }.into_any(),
        Some(Err(why)) => view! {
            <div class="notice error" role="alert"><p>{format!("It could not be emailed ({why}): give them the link yourself. It works once, until {until}.")}</p></div>
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="invitation">
            <h3 id="invitation">{format!("Invitation for {} — shown this once", invited.inv.email)}</h3>
            <p><code class="secret">{invited.link}</code></p>
            {mailed}
        </section>
    }
}

/// People: email, role, and since when locked — with Unlock and a password
/// Reset for an operator (`unlock`).
#[component]
pub fn PeopleTable(list: Vec<Person>, unlock: bool) -> impl IntoView {
    view! {
        <div class="scroll"><table>
            <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Locked"</th>{unlock.then(|| view! { <th scope="col">"Password"</th> })}</tr></thead>
            <tbody>{list.into_iter().map(|p| {
                let locked = p.locked_at.map(|t| {
                    let action = format!("/console/people/{}/unlock", p.id);
                    view! {
                        {when(t.millis())}
                        {unlock.then(|| view! { " "<form method="post" action=action class="actions"><button type="submit" class="quiet">"Unlock"</button></form> })}
                    }
                });
                let reset = format!("/console/people/{}/reset", p.id);
                let reset_label = format!("Reset the password of {}", p.email);
                view! {
                    <tr><td>{p.email}</td><td>{p.role.to_string().replace('_', " ")}</td><td>{locked.map(|u| u.into_any()).unwrap_or_else(|| "no".into_any())}</td>
                        {unlock.then(|| view! { <td><form method="post" action=reset aria-label=reset_label><button type="submit" class="quiet">"Reset"</button></form></td> })}
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
}

/// The form that makes an invitation link: an email and one of `roles` (value, label).
#[component]
pub fn InviteForm(action: String, heading: &'static str, hint: &'static str, roles: Vec<(&'static str, &'static str)>) -> impl IntoView {
    view! {
        <form class="card" method="post" action=action>
            <h2>{heading}</h2>
            <p class="hint">{hint}</p>
            <div class="row">
                <div><label for="email">"Email"</label><input id="email" name="email" type="email" required/></div>
                <div><label for="role">"Role"</label>
                    <select id="role" name="role">{roles.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}</select></div>
                <button type="submit">"Make invitation link"</button>
            </div>
        </form>
    }
}
