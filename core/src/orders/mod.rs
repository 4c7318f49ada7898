//! Orders: a user buying a sellable voucher, a gift card (SPEC §10). What an
//! order costs ([`price`]) and where it is ([`state`]) are pure and shared
//! with the webview; the database side applies a [`Step`] as a conditional
//! update committed with its event.

pub mod price;
mod state;
#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
pub mod supplier;

pub use price::{Line, LineKind, Price, PriceModel, Quote};
pub use state::{OrderOutcome, OrderState, Step};
#[cfg(feature = "server")]
pub use store::*;
