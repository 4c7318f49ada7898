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
        tessera_core::error::status_of(&error.code).and_then(|s| http::StatusCode::from_u16(s).ok()),
        error.code != "session_required",
    ) {
        response.set_status(status);
    }
    view! {
        <div class="state state-error" role="alert" data-code=error.code>
            <h2>{title}</h2>
            <p>{error.message}</p>
        </div>
    }
}
