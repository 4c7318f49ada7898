mod host;
mod title;

pub use host::PartnerFrame;
pub use title::VoucherTitle;
