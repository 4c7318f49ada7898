mod chrome;
mod coins;
mod host;
mod sso;
mod state;
mod title;

pub use chrome::{AppHeader, Loading, TabBar};
pub use coins::CoinBalance;
pub use host::{Interactive, PartnerFrame};
pub use sso::SsoRefusal;
pub use state::ErrorState;
pub use title::VoucherTitle;
