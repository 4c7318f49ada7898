use leptos::prelude::*;

/// The origins a framing host may have (the partner's allowed origins): the
/// bridge posts to an iframe parent only if its origin is one of these.
#[server]
pub async fn host_origins() -> Result<String, crate::error::AppError> {
    let platform = crate::error::platform()?;
    let parts = use_context::<http::request::Parts>();
    let client = parts
        .as_ref()
        .and_then(|p| p.uri.query())
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("clientId=")))
        .map(str::to_owned);
    let partner_id = match client {
        Some(id) => Some(id),
        None => crate::session::viewer().await.ok().map(|v| v.partner_id),
    };
    let Some(id) = partner_id else { return Ok(String::new()) };
    let partner = tessera_core::partners::find_recent(&platform.db, &id).await?;
    Ok(partner.map(|p| p.allowed_origins().join(" ")).unwrap_or_default())
}

/// Renders the host origins for the bridge and, once the page is interactive
/// in the browser, tells the host app `app_ready` (through the boot script's
/// bridge).
#[component]
pub fn HostBridge() -> impl IntoView {
    let origins = Resource::new(|| (), |_| host_origins());
    Effect::new(move |_| {
        // Effects run only in the browser, after hydration.
        if let Ok(event) = leptos::web_sys::Event::new("tessera:interactive") {
            let _ = window().dispatch_event(&event);
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let list = origins.await.unwrap_or_default();
                view! { <div hidden data-host-origins=list></div> }
            })}
        </Suspense>
    }
}
