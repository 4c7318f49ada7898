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
    Ok(match crate::session::partner().await {
        Some(p) => LookOfPartner { origins: p.allowed_origins().join(" "), css: p.theme().css() },
        None => LookOfPartner::default(),
    })
}

/// Renders the partner's theme (in the first response: no unthemed flash) and
/// the host origins for the bridge.
#[component]
pub fn PartnerFrame() -> impl IntoView {
    let look = Resource::new(|| (), |_| partner_look());
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

/// The last island of every page: islands hydrate in document order, so when
/// this one does, the page is interactive. It tells the boot script, which
/// marks `<html data-interactive>` and tells the host app `app_ready`.
#[island]
pub fn Interactive() -> impl IntoView {
    Effect::new(move |_| {
        // Effects run only in the browser.
        if let Ok(event) = leptos::web_sys::Event::new("tessera:interactive") {
            let _ = window().dispatch_event(&event);
        }
    });
}
