mod chrome;
mod host;
mod sso;
mod state;
mod title;

pub use chrome::{AppHeader, Loading, TabBar};
pub use host::{Interactive, PartnerFrame};
pub use sso::SsoRefusal;
pub use state::ErrorState;
pub use title::VoucherTitle;
