use crate::{
    bridge::{self, Located},
    components::{AppHeader, ErrorState, Loading, TabBar, VoucherTitle},
    error::AppError,
    i18n::{Texts, t},
    session::href,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use tessera_core::{
    catalog::ClaimStatus,
    markup,
    types::{FlagReason, RedemptionStatus},
};

/// An outlet to redeem at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutletChoice {
    pub id: String,
    pub name: String,
    pub address: String,
    /// Metres from the user, once they shared their location.
    pub distance_m: Option<f64>,
    /// Whether it has coordinates (a location can be checked against it).
    #[serde(default)]
    pub geolocated: bool,
}

/// A redemption as the screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    pub status: RedemptionStatus,
    pub flag_reason: Option<FlagReason>,
    pub code: String,
    pub outlet_name: String,
    pub redeemed_at: String,
    /// `redeemed_at` as the user reads it: their language, the partner's time zone.
    pub redeemed_at_text: String,
    /// The code as a QR code (inline SVG drawn on the server), when it fits one.
    pub qr_svg: Option<String>,
    /// The code as a Code 128 barcode (inline SVG), when it fits one.
    pub barcode_svg: Option<String>,
}

/// What the redeem screen needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedeemData {
    pub claim_id: String,
    pub voucher_id: String,
    pub title: String,
    pub merchant_name: String,
    pub status: ClaimStatus,
    pub valid_until: Option<String>,
    pub outlets: Vec<OutletChoice>,
    pub done: Option<Done>,
}

#[cfg(feature = "ssr")]
pub(crate) fn choices(outlets: Vec<tessera_core::merchants::Outlet>) -> Vec<OutletChoice> {
    outlets
        .into_iter()
        .map(|o| OutletChoice {
            geolocated: o.lat.is_some() && o.lng.is_some(),
            id: o.id,
            name: o.name,
            address: o.address,
            distance_m: o.distance_m,
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn done(r: tessera_core::redemptions::Redemption) -> Done {
    let qr_svg = tessera_core::qr::svg(&r.code);
    let barcode_svg = tessera_core::qr::barcode_svg(&r.code);
    let redeemed_at = r.redeemed_at.to_rfc3339();
    let redeemed_at_text = crate::i18n::date_time(&redeemed_at);
    Done {
        status: r.status,
        flag_reason: r.flag_reason,
        code: r.code,
        outlet_name: r.outlet_name,
        redeemed_at,
        redeemed_at_text,
        qr_svg,
        barcode_svg,
    }
}

/// One claim of the signed-in user's wallet, its merchant's outlets and, when
/// it was redeemed, the redemption (with its code).
#[server]
pub async fn redeem_screen(claim_id: String) -> Result<RedeemData, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let db = &platform.db;
    let claim = tessera_core::claims::for_user(db, &viewer.user_id, &claim_id).await?;
    let outlets = tessera_core::merchants::outlets(db, &claim.merchant_id, None).await?;
    let redemption = tessera_core::redemptions::of_claim(db, &viewer.user_id, &claim.id).await?;
    Ok(RedeemData {
        claim_id: claim.id,
        voucher_id: claim.voucher_id,
        title: claim.voucher_title,
        merchant_name: claim.merchant_name,
        status: claim.status,
        valid_until: claim.valid_until,
        outlets: choices(outlets),
        done: redemption.map(done),
    })
}

/// The claim's outlets, nearest first, with their distances from `lat,lng`.
#[server]
pub async fn nearest_outlets(claim_id: String, lat: f64, lng: f64) -> Result<Vec<OutletChoice>, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let db = &platform.db;
    let near = tessera_core::geo::GeoPoint::new(lat, lng)
        .map_err(|m| AppError { code: tessera_core::codes::ErrorCode::ValidationFailed, message: m })?;
    let claim = tessera_core::claims::for_user(db, &viewer.user_id, &claim_id).await?;
    Ok(choices(tessera_core::merchants::outlets(db, &claim.merchant_id, Some(near)).await?))
}

/// Redeems the claim at the outlet; without a location the redemption is
/// accepted and FLAGGED `gps_unavailable` (SPEC §4).
#[server(endpoint = "redeem_claim")]
pub async fn redeem_claim(
    claim_id: String,
    outlet_id: String,
    lat: Option<f64>,
    lng: Option<f64>,
    accuracy_m: Option<f64>,
) -> Result<Done, AppError> {
    let viewer = crate::session::viewer().await?;
    let platform = crate::error::platform()?;
    let location = match (lat, lng) {
        (Some(lat), Some(lng)) => Some(tessera_core::redemptions::Location { lat, lng, accuracy_m }),
        _ => None,
    };
    let request = tessera_core::redemptions::RedeemRequest { claim_id, outlet_id, location };
    Ok(done(tessera_core::redemptions::redeem(&platform, &viewer.user_id, &request).await?))
}

/// `/consumer/wallet/{claimId}`: redeem a claim at an outlet (`?outletId=`
/// preselects one), or show the code of a redeemed one.
#[component]
pub fn Redeem() -> impl IntoView {
    let params = use_params_map();
    let claim_id = params.read_untracked().get("claimId").unwrap_or_default();
    let preselect = use_query_map().read_untracked().get("outletId");
    let screen = Resource::new(move || claim_id.clone(), redeem_screen);
    view! {
        <main class="consumer redeem-page" data-refresh-on-return>
            <AppHeader title=t("redeem-title") back="/consumer/wallet"/>
            <Suspense fallback=|| view! { <Loading text=t("voucher-loading")/> }>
                {move || {
                    let preselect = preselect.clone();
                    Suspend::new(async move {
                        match screen.await {
                            Ok(s) => view! { <RedeemBody s preselect/> }.into_any(),
                            Err(e) => view! {
                                <Title text=t("redeem-title")/>
                                <ErrorState title=t("voucher-error") error=e/>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <TabBar current="wallet"/>
        </main>
    }
}

#[component]
fn RedeemBody(s: RedeemData, preselect: Option<String>) -> impl IntoView {
    let head = view! {
        <Title text=markup::plain_text(&s.title)/>
        <p class="merchant">{s.merchant_name.clone()}</p>
        <h2 class="title"><a href=href(&format!("/consumer/vouchers/{}", s.voucher_id))><VoucherTitle title=s.title.clone()/></a></h2>
    };
    let body = match (s.done, s.status) {
        (Some(done), _) => view! { <Redeemed done texts=done_texts()/> }.into_any(),
        (None, ClaimStatus::Expired) => view! {
            <div class="state state-empty" data-code="claim_expired">
                <h2>{t("redeem-expired-title")}</h2>
                <p>{t("redeem-expired-text")}</p>
            </div>
        }
        .into_any(),
        (None, _) if s.outlets.is_empty() => view! {
            <div class="state state-empty" data-code="no_outlets">
                <h2>{t("redeem-no-outlets-title")}</h2>
                <p>{t("redeem-no-outlets-text")}</p>
            </div>
        }
        .into_any(),
        (None, _) => {
            let asked = preselect.filter(|p| s.outlets.iter().any(|o| &o.id == p));
            let chosen = asked.is_some();
            let selected = asked.unwrap_or_else(|| s.outlets[0].id.clone());
            view! { <RedeemPanel claim_id=s.claim_id voucher_id=s.voucher_id outlets=s.outlets selected chosen texts=panel_texts()/> }
                .into_any()
        }
    };
    view! { <article class="redeem-card">{head}{body}</article> }
}

/// A redeemed voucher (the screen opened again after redeeming).
#[island]
fn Redeemed(done: Done, texts: Texts) -> impl IntoView {
    view! { <DoneView done note=None texts/> }
}

/// The words of the redemption's outcome (shown by both islands).
const DONE_TEXTS: [&str; 10] = [
    "redeemed-at",
    "redeem-qr-label",
    "redeem-barcode-label",
    "redeem-code-label",
    "redeem-show-code",
    "redeem-flagged",
    "copy-code",
    "copy-done",
    "copy-failed",
    "redeem-without-location",
];

fn done_texts() -> Texts {
    crate::i18n::texts(&DONE_TEXTS)
}

fn panel_texts() -> Texts {
    let mut texts = crate::i18n::texts(&[
        "redeem-outlet",
        "redeem-nearest",
        "redeem-now",
        "redeem-locating",
        "redeem-redeeming",
        "redeem-hint",
        "redeem-confirm-title",
        "redeem-confirm-text",
        "redeem-confirm-yes",
        "redeem-confirm-no",
        "redeem-no-location",
        "error-network-error",
    ]);
    texts.extend(done_texts());
    texts
}

/// The redemption's outcome: the code, large, with a copy button.
#[component]
fn DoneView(done: Done, note: Option<String>, texts: Texts) -> impl IntoView {
    let note = note.or((done.status == RedemptionStatus::Flagged).then(|| texts.get("redeem-flagged")));
    view! {
        <section class="redeemed" data-status=done.status.as_str() data-flag-reason=done.flag_reason.map(FlagReason::as_str)>
            <p class="redeemed-at">{texts.fill("redeemed-at", &[("outlet", &done.outlet_name)])}</p>
            <p class="redeemed-when"><time datetime=done.redeemed_at.clone()>{done.redeemed_at_text.clone()}</time></p>
            {done.qr_svg.clone().map(|svg| view! { <div class="qr" role="img" aria-label=texts.get("redeem-qr-label") inner_html=svg></div> })}
            {done.barcode_svg.clone().map(|svg| view! { <div class="barcode" role="img" aria-label=texts.get("redeem-barcode-label") inner_html=svg></div> })}
            <CodeView code=done.code.clone() texts=texts.clone()/>
            {note.map(|n| view! { <p class="flag-note" role="status">{n}</p> })}
            <p class="hint">{texts.get("redeem-show-code")}</p>
        </section>
    }
}

/// Where the user is in a redemption.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Choosing,
    Locating,
    /// Asking "redeem at this outlet?" once the outlet is settled: a tap burns the voucher.
    Confirming,
    Redeeming,
    Done(Done),
    Failed(AppError),
}

/// Choosing the outlet (nearest first once located) and redeeming: location is
/// asked only now, when the user starts the redemption. Unless the user (or
/// the link, `?outletId=`) chose one, the redemption goes to the outlet
/// nearest to where they are, not to the first in the list.
#[island]
fn RedeemPanel(
    claim_id: String,
    voucher_id: String,
    outlets: Vec<OutletChoice>,
    selected: String,
    chosen: bool,
    texts: Texts,
) -> impl IntoView {
    let texts = StoredValue::new(texts);
    let say = move |key: &str| texts.with_value(|t| t.get(key));
    let outlets = RwSignal::new(outlets);
    let selected = RwSignal::new(selected);
    let chosen = RwSignal::new(chosen);
    let step = RwSignal::new(Step::Choosing);
    let notice = RwSignal::new(None::<String>);
    let location = StoredValue::new(None::<Located>);
    let ids = StoredValue::new((claim_id, voucher_id));

    // Asks once per screen; later taps reuse the answer.
    let locate = move || async move {
        if let Some(known) = location.get_value() {
            return known;
        }
        let answer = bridge::locate().await;
        bridge::analytics("location_permission", serde_json::json!({ "status": answer.status() }));
        location.set_value(Some(answer.clone()));
        answer
    };

    // Sorts the outlets by distance from the user and selects the nearest.
    let select_nearest = move |lat: f64, lng: f64| async move {
        let claim_id = ids.with_value(|(c, _)| c.clone());
        if let Ok(sorted) = nearest_outlets(claim_id, lat, lng).await {
            if let Some(first) = sorted.first() {
                selected.set(first.id.clone());
            }
            outlets.set(sorted);
        }
    };

    let find_nearest = move |_| {
        leptos::task::spawn_local(async move {
            step.set(Step::Locating);
            if let Located::Granted { lat, lng, .. } = locate().await {
                select_nearest(lat, lng).await;
                notice.set(None);
            } else {
                notice.set(Some(say("redeem-no-location")));
            }
            step.set(Step::Choosing);
        });
    };

    // "Redeem now": settle the location and the outlet, then ask before the voucher is used.
    let position = StoredValue::new((None::<f64>, None::<f64>, None::<f64>));
    let redeem = move |_| {
        leptos::task::spawn_local(async move {
            let (claim_id, voucher_id) = ids.get_value();
            bridge::analytics(
                "redeem_initiated",
                serde_json::json!({ "claimId": claim_id, "voucherId": voucher_id, "outletId": selected.get_untracked() }),
            );
            // Location is asked only when it can matter: an outlet to check it
            // against, or outlets to sort by distance.
            let needed = outlets.with_untracked(|all| {
                let id = selected.get_untracked();
                if chosen.get_untracked() { all.iter().any(|o| o.id == id && o.geolocated) } else { all.iter().any(|o| o.geolocated) }
            });
            if !needed {
                position.set_value((None, None, None));
                step.set(Step::Confirming);
                return;
            }
            step.set(Step::Locating);
            let at = match locate().await {
                Located::Granted { lat, lng, accuracy_m } => {
                    if !chosen.get_untracked() {
                        select_nearest(lat, lng).await;
                    }
                    (Some(lat), Some(lng), accuracy_m)
                }
                _ => {
                    notice.set(Some(say("redeem-without-location")));
                    (None, None, None)
                }
            };
            position.set_value(at);
            step.set(Step::Confirming);
        });
    };

    let confirm = move |_| {
        leptos::task::spawn_local(async move {
            let (claim_id, voucher_id) = ids.get_value();
            let (lat, lng, accuracy_m) = position.get_value();
            step.set(Step::Redeeming);
            let outlet_id = selected.get_untracked();
            match redeem_claim(claim_id.clone(), outlet_id.clone(), lat, lng, accuracy_m).await {
                Ok(done) => {
                    bridge::analytics(
                        "redeem_success",
                        serde_json::json!({
                            "claimId": claim_id, "voucherId": voucher_id, "outletId": outlet_id,
                            "status": done.status, "flagReason": done.flag_reason,
                        }),
                    );
                    step.set(Step::Done(done));
                }
                Err(e) => {
                    bridge::analytics(
                        "redeem_fail",
                        serde_json::json!({ "claimId": claim_id, "voucherId": voucher_id, "outletId": outlet_id, "code": e.code }),
                    );
                    bridge::report(&e);
                    step.set(Step::Failed(e));
                }
            }
        });
    };
    let outlet_name = move || {
        let id = selected.get();
        outlets.with(|all| all.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default())
    };

    let ready = crate::components::hydrated();
    let busy = move || !ready.get() || matches!(step.get(), Step::Locating | Step::Redeeming);
    view! {
        {move || match step.get() {
            Step::Done(done) => view! { <DoneView done note=notice.get() texts=texts.get_value()/> }.into_any(),
            Step::Confirming => view! {
                <section class="confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
                    <h3 id="confirm-title">{move || texts.with_value(|t| t.fill("redeem-confirm-title", &[("outlet", &outlet_name())]))}</h3>
                    <p id="confirm-text">{say("redeem-confirm-text")}</p>
                    {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                    <button type="button" class="button redeem confirm-yes" on:click=confirm>{say("redeem-confirm-yes")}</button>
                    <button type="button" class="button secondary confirm-no" on:click=move |_| step.set(Step::Choosing)>{say("redeem-confirm-no")}</button>
                </section>
            }.into_any(),
            _ => view! {
                <fieldset class="outlets" disabled=busy>
                    <legend>{say("redeem-outlet")}</legend>
                    <For each=move || outlets.get() key=|o| (o.id.clone(), o.distance_m.map(f64::to_bits)) let:o>
                        <label class="outlet" data-outlet-id=o.id.clone()>
                            <input type="radio" name="outlet" value=o.id.clone()
                                prop:checked={let id = o.id.clone(); move || selected.get() == id}
                                on:change={let id = o.id.clone(); move |_| { selected.set(id.clone()); chosen.set(true); }}/>
                            <span class="outlet-name">{o.name.clone()}</span>
                            <span class="outlet-address">{o.address.clone()}</span>
                            {o.distance_m.map(|d| view! { <span class="distance">{format_distance(d)}</span> })}
                        </label>
                    </For>
                </fieldset>
                <button type="button" class="button secondary nearest" on:click=find_nearest disabled=busy>{say("redeem-nearest")}</button>
                {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                {move || match step.get() {
                    Step::Failed(e) => Some(view! { <p class="redeem-error" role="alert" data-code=e.code.as_str()>{if e.code == tessera_core::codes::ErrorCode::NetworkError { say("error-network-error") } else { e.message.clone() }}</p> }),
                    _ => None,
                }}
                <button type="button" class="button redeem" on:click=redeem disabled=busy>
                    {move || match step.get() {
                        Step::Locating => say("redeem-locating"),
                        Step::Redeeming => say("redeem-redeeming"),
                        _ => say("redeem-now"),
                    }}
                </button>
                <p class="hint">{say("redeem-hint")}</p>
            }.into_any(),
        }}
    }
}

/// The code in large type and a button that copies it (inside an island).
#[component]
pub(crate) fn CodeView(code: String, texts: Texts) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let text = code.clone();
    view! {
        <p class="code" aria-label=texts.get("redeem-code-label")>{code}</p>
        <button type="button" class="button copy" on:click=move |_| {
            let text = text.clone();
            leptos::task::spawn_local(async move { copied.set(Some(bridge::copy(&text).await)); });
        }>
            {move || match copied.get() {
                Some(true) => texts.get("copy-done"),
                Some(false) => texts.get("copy-failed"),
                None => texts.get("copy-code"),
            }}
        </button>
    }
}

pub use tessera_core::units::format_distance;
