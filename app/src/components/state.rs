use crate::error::AppError;
use leptos::prelude::*;

/// A screen's error state: what failed, why, and the code (for tests and
/// hosts); on the server it also sets the response status of the code.
#[component]
pub fn ErrorState(#[prop(into)] title: String, error: AppError) -> impl IntoView {
    // The page's HTTP status says it too (404 for an unknown voucher, …) —
    // except `session_required`: that is also the sign-in load of a deep link
    // (`#token=` is read in the browser, then the page reloads), which a native
    // host must not take for a failed page.
    #[cfg(feature = "ssr")]
    if let (Some(response), Some(status), true) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(error.code.status()).ok(),
        error.code != tessera_core::codes::ErrorCode::SessionRequired,
    ) {
        response.set_status(status);
    }
    view! {
        <div class="state state-error" role="alert" data-code=error.code.as_str()>
            <h2>{title}</h2>
            <p>{error.message}</p>
        </div>
    }
}
