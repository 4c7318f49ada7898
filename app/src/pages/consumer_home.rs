use crate::{
    components::{ErrorState, VoucherTitle},
    error::AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use tessera_core::{catalog::VoucherCard, markup};

/// The published vouchers, newest first.
#[server]
pub async fn list_vouchers() -> Result<Vec<VoucherCard>, AppError> {
    let platform = crate::error::platform()?;
    Ok(tessera_core::catalog::published_vouchers(&platform.db).await?)
}

/// `/consumer`: the catalog, rendered on the server from the database, then
/// hydrated so the filter works without a round trip.
#[component]
pub fn ConsumerHome() -> impl IntoView {
    let vouchers = Resource::new(|| (), |_| list_vouchers());
    let filter = RwSignal::new(String::new());
    // Effects run only in the browser: this marks the page as hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title text="Vouchers"/>
        <main class="consumer" data-hydrated=move || hydrated.get().then_some("true")>
            <header class="app-header">
                <h1>"Vouchers"</h1>
            </header>
            <div class="search">
                <label for="voucher-filter" class="visually-hidden">"Filter vouchers"</label>
                <input
                    id="voucher-filter"
                    type="search"
                    placeholder="Filter by voucher or merchant"
                    autocomplete="off"
                    prop:value=filter
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </div>
            <Suspense fallback=|| view! { <p class="state state-loading" role="status">"Loading vouchers…"</p> }>
                {move || Suspend::new(async move {
                    match vouchers.await {
                        Ok(list) if list.is_empty() => view! {
                            <div class="state state-empty">
                                <h2>"No vouchers yet"</h2>
                                <p>"New offers from merchants will appear here."</p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! { <VoucherList vouchers=list filter/> }.into_any(),
                        Err(e) => view! {
                            <ErrorState title="Vouchers could not be loaded" error=e/>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

fn matches(card: &VoucherCard, needle: &str) -> bool {
    let needle = needle.trim().to_lowercase();
    needle.is_empty()
        || markup::plain_text(&card.title).to_lowercase().contains(&needle)
        || card.merchant_name.to_lowercase().contains(&needle)
}

#[component]
fn VoucherList(vouchers: Vec<VoucherCard>, filter: RwSignal<String>) -> impl IntoView {
    let total = vouchers.len();
    let vouchers = StoredValue::new(vouchers);
    let shown = move || {
        let needle = filter.get();
        vouchers.with_value(|all| all.iter().filter(|c| matches(c, &needle)).cloned().collect::<Vec<_>>())
    };
    view! {
        <p class="result-count" aria-live="polite">
            {move || {
                let n = shown().len();
                if n == total { format!("{total} vouchers") } else { format!("{n} of {total} vouchers") }
            }}
        </p>
        <ul class="voucher-list">
            {move || shown().into_iter().map(|card| view! { <VoucherCardView card/> }).collect_view()}
        </ul>
        <Show when=move || shown().is_empty()>
            <p class="state state-empty">"No vouchers match “"{move || filter.get()}"”."</p>
        </Show>
    }
}

#[component]
fn VoucherCardView(card: VoucherCard) -> impl IntoView {
    let category = card.value_type.map(|v| v.label());
    view! {
        <li class="voucher-card" data-voucher-id=card.id.clone()>
            <p class="merchant">{card.merchant_name.clone()}</p>
            <h2 class="title"><VoucherTitle title=card.title.clone()/></h2>
            <p class="description">{card.description.clone()}</p>
            {category.map(|label| view! { <span class="chip">{label}</span> })}
        </li>
    }
}
