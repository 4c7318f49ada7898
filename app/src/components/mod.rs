mod host;
mod title;

pub use host::HostBridge;
pub use title::VoucherTitle;
