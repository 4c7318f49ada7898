use leptos::prelude::*;

/// What the page needs of the partner it is shown for.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LookOfPartner {
    /// The origins a framing host may have (the partner's allowed origins): the
    /// bridge posts to an iframe parent only if its origin is one of these.
    pub origins: String,
    /// The partner's theme as CSS custom properties (checked values only).
    pub css: String,
}

/// The partner named by `clientId`, else the signed-in user's.
#[server]
pub async fn partner_look() -> Result<LookOfPartner, crate::error::AppError> {
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
    let Some(id) = partner_id else { return Ok(LookOfPartner::default()) };
    let Some(partner) = tessera_core::partners::find_recent(&platform.db, &id).await? else {
        return Ok(LookOfPartner::default());
    };
    Ok(LookOfPartner { origins: partner.allowed_origins().join(" "), css: partner.theme().css() })
}

/// Renders the partner's theme (in the first response: no unthemed flash) and
/// the host origins for the bridge, and once the page is interactive in the
/// browser, tells the host app `app_ready` (through the boot script's bridge).
#[component]
pub fn PartnerFrame() -> impl IntoView {
    let look = Resource::new(|| (), |_| partner_look());
    Effect::new(move |_| {
        // Effects run only in the browser, after hydration.
        if let Ok(event) = leptos::web_sys::Event::new("tessera:interactive") {
            let _ = window().dispatch_event(&event);
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let look = look.await.unwrap_or_default();
                view! {
                    <style id="partner-theme" nonce=leptos::nonce::use_nonce() inner_html=look.css></style>
                    <div hidden data-host-origins=look.origins></div>
                }
            })}
        </Suspense>
    }
}
