use crate::error::AppError;
use leptos::prelude::*;

/// A screen's error state: what failed, why, and the code (for tests and hosts).
#[component]
pub fn ErrorState(title: &'static str, error: AppError) -> impl IntoView {
    view! {
        <div class="state state-error" role="alert" data-code=error.code>
            <h2>{title}</h2>
            <p>{error.message}</p>
        </div>
    }
}
