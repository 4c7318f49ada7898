mod host;
mod state;
mod title;

pub use host::PartnerFrame;
pub use state::ErrorState;
pub use title::VoucherTitle;
