mod api_reference;
mod consumer_home;
mod landing;
mod not_found;
mod voucher;
mod wallet;

pub use api_reference::ApiReferencePage;
pub use consumer_home::ConsumerHome;
pub use landing::Landing;
pub use not_found::NotFound;
pub use voucher::VoucherDetail;
pub use wallet::Wallet;
