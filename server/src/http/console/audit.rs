//! `/console/audit`: who did what and when, newest first, with what it
//! changed (operators only; as CSV too).

use super::{
    AppState, OperatorOnly, Screen,
    layout::{page, when},
};
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    routing::get,
};
use leptos::prelude::*;
use serde::Deserialize;
use tessera_core::people::{self, AuditLine};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/audit", get(audit_page))
}

const PAGE: i64 = 100;

#[derive(Deserialize)]
struct Filter {
    action: Option<String>,
    before: Option<String>,
    format: Option<String>,
}

async fn audit_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(f): Query<Filter>) -> Screen {
    let cursor = f.before.as_deref().and_then(|b| b.split_once('.')).and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id)));
    let csv = f.format.as_deref() == Some("csv");
    let limit = if csv { 500 } else { PAGE + 1 };
    let mut lines = people::audit_log(&s.platform.db, f.action.as_deref(), cursor, limit).await?;
    if csv {
        return Ok(csv_of(&lines));
    }
    let more = lines.len() as i64 > PAGE;
    lines.truncate(PAGE as usize);
    let action = f.action.clone().unwrap_or_default();
    let next = more
        .then(|| lines.last().map(|l| format!("{}.{}", l.at.millis(), l.id)))
        .flatten()
        .map(|cursor| super::href("/console/audit", &[("action", &action), ("before", &cursor)]));
    let csv_href = super::href("/console/audit", &[("action", &action), ("format", "csv")]);
    let body = view! {
        <form class="filters" method="get" action="/console/audit">
            <label for="action">"Action starts with"</label>
            <input id="action" name="action" value=action placeholder="redemption."/>
            <button type="submit" class="quiet">"Show"</button>
            <a href=csv_href>"Export CSV"</a>
        </form>
        {if lines.is_empty() {
            view! { <p class="empty">"Nothing recorded."</p> }.into_any()
        } else {
            view! {
                <div class="scroll"><table>
                    <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Subject"</th><th scope="col">"Change"</th></tr></thead>
                    <tbody>{lines.into_iter().map(line).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        {next.map(|href| view! { <p class="pager"><a href=href>"Older →"</a></p> })}
    };
    Ok(page("Audit log", &me, "/console/audit", None, StatusCode::OK, body))
}

fn line(l: AuditLine) -> impl IntoView {
    let change = match (l.before, l.after) {
        (None, None) => None,
        (before, after) => Some(view! {
            <details><summary>"Before and after"</summary>
                <pre>{format!("before: {}\nafter:  {}", before.unwrap_or_else(|| "—".into()), after.unwrap_or_else(|| "—".into()))}</pre>
            </details>
        }),
    };
    view! {
        <tr>
            <td>{when(l.at.millis())}</td>
            <td>{l.actor.unwrap_or_else(|| "command line".into())}</td>
            <td><code>{l.action}</code></td>
            <td><code>{l.subject.unwrap_or_default()}</code></td>
            <td>{change}</td>
        </tr>
    }
}

/// The lines as CSV (RFC 4180: every field quoted, quotes doubled; a field
/// that a spreadsheet would run as a formula is prefixed with `'`).
fn csv_of(lines: &[AuditLine]) -> axum::response::Response {
    let mut out = String::from("at,actor,action,subject,before,after\r\n");
    for l in lines {
        let fields = [
            l.at.to_rfc3339(),
            l.actor.clone().unwrap_or_default(),
            l.action.clone(),
            l.subject.clone().unwrap_or_default(),
            l.before.clone().unwrap_or_default(),
            l.after.clone().unwrap_or_default(),
        ];
        out.push_str(&fields.iter().map(|f| super::csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    super::csv_response(out, "audit-log.csv")
}
