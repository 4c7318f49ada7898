//! The browser entry point. Tessera renders pages on the server and hydrates
//! only its islands (`#[island]` components of tessera-app); the island
//! script in every page calls `hydrate` and then each island's own export.

// The islands' exports live in tessera-app: link it in.
pub use tessera_app as app;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
