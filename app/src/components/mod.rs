mod chrome;
mod coins;
mod host;
mod icon;
mod picture;
mod sso;
mod state;
mod title;

pub use chrome::{AppHeader, Loading, TabBar};
pub use coins::CoinBalance;
pub use host::{Interactive, PartnerFrame};
pub use icon::{Glyph, Icon};
pub use picture::Picture;
pub use sso::SsoRefusal;
pub use state::ErrorState;
pub use title::VoucherTitle;

use leptos::prelude::*;

/// False on the server and until the island calling it has hydrated, then
/// true. A button disabled until then shows it is not ready yet, instead of
/// swallowing a tap made before the WASM arrived (on a slow phone, seconds).
pub fn hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    // Effects run only in the browser, once the island is live.
    Effect::new(move |_| set_ready.set(true));
    ready
}
