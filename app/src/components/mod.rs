mod title;

pub use title::VoucherTitle;
