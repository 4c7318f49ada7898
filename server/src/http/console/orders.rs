//! `/console/orders`: gift-card orders of every partner (or one), a page at
//! a time (cursor) or as CSV, and each order's lines and state, with
//! Reverse for an issued card (its payment refunded, `ORDER_REVERSED`).
//! Refunds of failed fulfilments need no one: the refund job makes them and
//! this screen shows where each stands.

use super::{
    AppState, OperatorOnly, Screen, csv_field, done,
    layout::{Chip, Notice, page, when},
    said_or_shown,
};
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode},
    routing::{get, post},
};
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;
use tessera_core::{
    money::Money,
    orders::{self, Order, OrderState},
    partners, people,
    types::{PartnerId, Scope},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/orders", get(orders_page))
        .route("/console/orders/{id}", get(order_page))
        .route("/console/orders/{id}/reverse", post(reverse))
}

const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
struct Filter {
    partner: Option<String>,
    after: Option<String>,
    format: Option<String>,
}

fn money(o: &Order, minor: i64) -> String {
    Money::new(minor, o.currency).to_string()
}

async fn orders_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Query(f): Query<Filter>) -> Screen {
    let db = &s.platform.db;
    let partner = f.partner.clone().filter(|p| !p.is_empty()).map(PartnerId::new);
    let scope = partner.as_ref().map_or(Scope::Operator, Scope::Partner);
    let csv = f.format.as_deref() == Some("csv");
    let found = orders::list(db, scope, f.after.as_deref(), if csv { 200 } else { PAGE }).await?;
    if csv {
        return Ok(csv_of(&found.items, found.next_after.as_deref()));
    }
    let chosen = partner.map(PartnerId::into_string).unwrap_or_default();
    let next = found.next_after.as_deref().map(|a| super::href("/console/orders", &[("partner", &chosen), ("after", a)]));
    let export = super::href("/console/orders", &[("partner", &chosen), ("format", "csv")]);
    let all = partners::list(db).await?;
    let body = view! {
        <form class="filters" method="get" action="/console/orders">
            <div><label for="partner">"Partner"</label>
                <select id="partner" name="partner">
                    <option value="">"Every partner"</option>
                    {all.into_iter().map(|p| { let id = p.id.into_string(); let selected = id == chosen; view! { <option value=id.clone() selected=selected>{p.name}</option> } }).collect_view()}
                </select></div>
            <button type="submit" class="quiet">"Show"</button>
            <a href=export>"Export CSV"</a>
        </form>
        {if found.items.is_empty() {
            view! { <p class="empty">"No orders."</p> }.into_any()
        } else {
            view! {
                <div class="scroll"><table>
                    <thead><tr><th scope="col">"Order"</th><th scope="col">"Partner"</th><th scope="col">"Gift card"</th><th scope="col" class="num">"Paid"</th><th scope="col">"State"</th><th scope="col">"Created"</th></tr></thead>
                    <tbody>{found.items.into_iter().map(|o| {
                        let href = format!("/console/orders/{}", o.id);
                        let paid = money(&o, o.to_pay);
                        let card = format!("{} {}", o.brand_name, money(&o, o.face_value));
                        view! {
                            <tr>
                                <td><a href=href><code>{o.id.clone()}</code></a></td>
                                <td><code>{o.partner_id.into_string()}</code></td>
                                <td>{card}</td>
                                <td class="num">{paid}</td>
                                <td><Chip text=o.state.to_string()/></td>
                                <td>{when(o.created_at.millis())}</td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        {next.map(|h| view! { <p class="pager"><a href=h>"Later orders →"</a></p> })}
    };
    Ok(page("Orders", &me, "/console/orders", None, StatusCode::OK, body))
}

/// A page of orders as CSV; when there are more, the last line says where to go on.
fn csv_of(items: &[Order], next_after: Option<&str>) -> axum::response::Response {
    let mut out = String::from("id,partner,voucher,brand,currency,face_value,to_pay,state,failure_reason,created_at\r\n");
    for o in items {
        let fields = [
            o.id.clone(),
            o.partner_id.as_str().to_string(),
            o.voucher_id.clone(),
            o.brand_name.clone(),
            o.currency.to_string(),
            Money::new(o.face_value, o.currency).major(),
            Money::new(o.to_pay, o.currency).major(),
            o.state.to_string(),
            o.failure_reason.clone().unwrap_or_default(),
            o.created_at.to_rfc3339(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    let mut response = super::csv_response(out, "orders.csv");
    if let Some(after) = next_after.and_then(|a| HeaderValue::from_str(a).ok()) {
        response.headers_mut().insert("x-next-after", after);
    }
    response
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn order_page(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>, Query(d): Query<Done>) -> Screen {
    render_order(&s, &me, &id, Notice::done(d.done.as_deref()), StatusCode::OK).await
}

async fn render_order(s: &AppState, me: &tessera_core::people::Person, id: &str, notice: Option<Notice>, status: StatusCode) -> Screen {
    let o = orders::get(&s.platform.db, id).await?;
    let reversible = o.state == OrderState::Fulfilled;
    let action = format!("/console/orders/{id}/reverse");
    let owed = match o.state {
        OrderState::FulfilmentFailed => {
            Some("The card could not be issued: the refund job refunds the payment (it retries until the provider confirms).")
        }
        OrderState::Refunded => Some("Refunded."),
        OrderState::Reversed => Some("Reversed: the card was taken back and the payment refunded."),
        _ => None,
    };
    let title = format!("Order {}", o.id);
    let lines: Vec<(String, String)> = o.lines.iter().map(|l| (format!("{:?}", l.kind), money(&o, l.amount))).collect();
    let body = view! {
        <p><Chip text=o.state.to_string()/>" "{owed}</p>
        <dl class="facts">
            <dt>"Partner"</dt><dd><code>{o.partner_id.as_str().to_string()}</code></dd>
            <dt>"Gift card"</dt><dd>{format!("{} — {}", o.brand_name, tessera_core::markup::plain_text(&o.voucher_title))}</dd>
            <dt>"Paid with"</dt><dd>{o.provider.clone()}</dd>
            <dt>"Why it failed"</dt><dd>{o.failure_reason.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Created"</dt><dd>{when(o.created_at.millis())}</dd>
            <dt>"Last change"</dt><dd>{when(o.updated_at.millis())}</dd>
        </dl>
        <div class="scroll"><table>
            <thead><tr><th scope="col">"Line"</th><th scope="col" class="num">"Amount"</th></tr></thead>
            <tbody>
                {lines.into_iter().map(|(kind, amount)| view! { <tr><td>{kind}</td><td class="num">{amount}</td></tr> }).collect_view()}
                <tr><th scope="row">"Paid"</th><td class="num"><strong>{money(&o, o.to_pay)}</strong></td></tr>
            </tbody>
        </table></div>
        {reversible.then(|| view! {
            <form method="post" action=action class="card">
                <h2>"Reverse"</h2>
                <p class="hint">"Takes the issued card back and refunds the payment; the partner is told (ORDER_REVERSED). This cannot be undone."</p>
                <button type="submit" class="danger">"Reverse and refund"</button>
            </form>
        })}
    };
    Ok(page(&title, me, "/console/orders", notice, status, body))
}

async fn reverse(OperatorOnly(me): OperatorOnly, State(s): State<AppState>, Path(id): Path<String>) -> Screen {
    match orders::reverse(&s.platform, &id).await {
        Ok(o) => {
            people::record(
                &s.platform.db,
                &me,
                "order.reversed",
                &id,
                Some(json!({"state": "fulfilled"})),
                Some(json!({"state": o.state})),
            )
            .await?;
            Ok(done(&format!("/console/orders/{id}"), "reversed"))
        }
        Err(e) => {
            let (notice, status) = said_or_shown(e)?;
            render_order(&s, &me, &id, Some(notice), status).await
        }
    }
}
