//! `/console/review`: the queue of FLAGGED redemptions, oldest first, each
//! approved or rejected by an operator (`tessera_core::review`).

use super::{
    AppState, OperatorOnly, Screen, done,
    layout::{Notice, page, when},
    said_or_shown,
};
use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use leptos::prelude::*;
use serde::Deserialize;
use tessera_core::{
    clock::now_ms,
    people::Person,
    review::{self, After, Waiting},
    types::{PartnerId, ReviewVerdict},
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/review", get(queue_page)).route("/console/review/{id}", post(decide))
}

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
struct Filter {
    partner: Option<String>,
    after: Option<String>,
    done: Option<String>,
    format: Option<String>,
}

impl Filter {
    fn partner(&self) -> Option<PartnerId> {
        self.partner.as_deref().filter(|p| !p.is_empty()).map(PartnerId::new)
    }
}

async fn queue_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(f): Query<Filter>) -> Screen {
    if f.format.as_deref() == Some("csv") {
        let rows = review::queue(&s.platform.db, f.partner().as_ref(), None, 500).await?;
        let mut out = String::from("id,partner,external_user_id,voucher,outlet,flag_reason,accuracy_m,distance_m,radius_m,redeemed_at\r\n");
        for r in &rows {
            let fields = [
                r.id.clone(),
                r.partner_id.as_str().to_string(),
                r.external_user_id.as_ref().map(|u| u.as_str().to_string()).unwrap_or_default(),
                r.voucher_title.clone(),
                r.outlet_name.clone(),
                r.flag_reason.map(|f| f.to_string()).unwrap_or_default(),
                r.accuracy_m.map(|a| a.to_string()).unwrap_or_default(),
                r.distance_m.map(|d| d.to_string()).unwrap_or_default(),
                r.radius_m.to_string(),
                r.redeemed_at.to_rfc3339(),
            ];
            out.push_str(&fields.iter().map(|f| super::csv_field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        return Ok(super::csv_response(out, "flagged-redemptions.csv"));
    }
    let notice = Notice::done(f.done.as_deref());
    render(&s, &me, &f, notice, StatusCode::OK).await
}

async fn render(s: &AppState, me: &Person, f: &Filter, notice: Option<Notice>, status: StatusCode) -> Screen {
    let db = &s.platform.db;
    let partner = f.partner();
    let after = f.after.as_deref().and_then(After::parse);
    let mut rows = review::queue(db, partner.as_ref(), after.as_ref(), PAGE + 1).await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = more.then(|| rows.last().map(|r| After { redeemed_at: r.redeemed_at.millis(), id: r.id.clone() }.token())).flatten();
    let total = review::waiting(db, partner.as_ref()).await?;
    let partners = tessera_core::partners::list(db).await?.into_iter().map(|p| p.id.into_string()).collect::<Vec<_>>();
    let chosen = partner.map(PartnerId::into_string).unwrap_or_default();
    let next_href = next.map(|n| super::href("/console/review", &[("partner", &chosen), ("after", &n)]));
    let csv_href = super::href("/console/review", &[("partner", &chosen), ("format", "csv")]);
    let body = view! {
        <p class="hint">"Redemptions accepted without a location wait here. Approve one that looks right, reject one that does not: \
            either way the partner's backend receives REDEMPTION_REVIEWED with the verdict, and the audit log records who decided."</p>
        <form class="filters" method="get" action="/console/review">
            <label for="partner">"Partner"</label>
            <select id="partner" name="partner">
                <option value="">"Every partner"</option>
                {partners.into_iter().map(|p| { let selected = p == chosen; view! { <option value=p.clone() selected=selected>{p.clone()}</option> } }).collect_view()}
            </select>
            <button type="submit" class="quiet">"Show"</button>
            <a href=csv_href>"Export CSV"</a>
        </form>
        <p><strong>{total}</strong>{if total == 1 { " redemption waits." } else { " redemptions wait." }}</p>
        {if rows.is_empty() {
            view! { <p class="empty">"Nothing to review."</p> }.into_any()
        } else {
            view! {
                <div class="scroll"><table>
                    <thead><tr><th scope="col">"Redeemed"</th><th scope="col">"Partner · user"</th><th scope="col">"Voucher"</th>
                        <th scope="col">"Outlet"</th><th scope="col">"Why flagged"</th><th scope="col">"Verdict"</th></tr></thead>
                    <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        {next_href.map(|href| view! { <p class="pager"><a href=href>"Older ones waiting →"</a></p> })}
    };
    Ok(page("Redemption review", me, "/console/review", notice, status, body))
}

fn row(r: Waiting) -> impl IntoView {
    let reason = match r.flag_reason {
        Some(tessera_core::types::FlagReason::GpsUnavailable) => "No location from the device".to_string(),
        Some(other) => other.to_string(),
        None => "—".to_string(),
    };
    let place = match (r.distance_m, r.accuracy_m) {
        (Some(d), Some(a)) => format!("{d:.0} m from the outlet (±{a:.0} m; geofence {} m)", r.radius_m),
        (Some(d), None) => format!("{d:.0} m from the outlet (geofence {} m)", r.radius_m),
        _ => format!("Geofence {} m", r.radius_m),
    };
    let action = format!("/console/review/{}", r.id);
    let note_id = format!("note-{}", r.id);
    let label = format!("Review of redemption {}", r.id);
    view! {
        <tr>
            <td>{when(r.redeemed_at.millis())}</td>
            <td><code>{r.partner_id.into_string()}</code><br/>{r.external_user_id.map(|u| u.into_string()).unwrap_or_default()}</td>
            <td>{tessera_core::markup::plain_text(&r.voucher_title)}</td>
            <td>{r.outlet_name}<br/><span class="hint">{place}</span></td>
            <td>{reason}</td>
            <td>
                <form method="post" action=action aria-label=label>
                    <label for=note_id.clone() class="hint">"Note (optional)"</label>
                    <input id=note_id name="note" maxlength="500"/>
                    <div class="actions">
                        <button type="submit" name="verdict" value="approved">"Approve"</button>
                        <button type="submit" name="verdict" value="rejected" class="danger">"Reject"</button>
                    </div>
                </form>
            </td>
        </tr>
    }
}

#[derive(Deserialize)]
struct Decision {
    verdict: String,
    #[serde(default)]
    note: String,
}

async fn decide(
    OperatorOnly(me): OperatorOnly,
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::Posted(d): super::Posted<Decision>,
) -> Screen {
    let Some(verdict) = ReviewVerdict::parse(&d.verdict) else {
        let e = tessera_core::error::ApiError::validation(vec![("verdict", "must be approved or rejected".into())]);
        let (notice, status) = said_or_shown(e)?;
        return render(&s, &me, &Filter::default(), Some(notice), status).await;
    };
    match review::decide(&s.platform.db, &me, &id, verdict, Some(&d.note), now_ms()).await {
        Ok(_) => Ok(done("/console/review", verdict.as_str())),
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render(&s, &me, &Filter::default(), Some(notice), status).await
        }
    }
}
