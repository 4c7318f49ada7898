//! Payment providers behind one trait (SPEC §10): create a payment for an
//! order, learn its outcome (the provider's signed callback, or a poll), and
//! refund it. `sandbox` is built in; a real provider's adapter speaks its
//! documented HTTP API. The order's state machine never depends on which.

pub mod razorpay;
pub mod sandbox;

use crate::money::Money;

/// What is charged: Tessera's payment id (the provider's receipt), its order and amount.
#[derive(Debug, Clone)]
pub struct Charge<'a> {
    pub payment_id: &'a str,
    pub order_id: &'a str,
    pub amount: Money,
    /// What the user is shown at the provider ("Gift card: Kopi ₹500").
    pub description: &'a str,
}

/// A payment created at the provider, and where the user pays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The provider's id for what it will be paid against (a Razorpay `order_…`).
    pub provider_order_id: String,
    /// The page the user pays on (the sandbox's hosted page; a provider's checkout).
    pub pay_url: String,
}

/// A refund as the provider answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub provider_refund_id: String,
    /// The money is back (or on its way with no further step from us).
    pub done: bool,
}

/// A provider call that did not complete: retried later, never a lost payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProviderError(pub String);

/// One payment provider.
pub trait PaymentProvider: Send + Sync {
    /// As stored in `payments.provider`.
    fn name(&self) -> &'static str;

    /// Creates the payment at the provider.
    fn create(&self, charge: Charge<'_>) -> impl Future<Output = Result<Created, ProviderError>> + Send;

    /// Refunds a captured payment in full.
    fn refund(&self, provider_payment_id: &str, amount: Money) -> impl Future<Output = Result<Refund, ProviderError>> + Send;
}

/// The providers this build has, chosen per partner.
#[derive(Debug, Clone)]
pub enum Provider {
    Sandbox(sandbox::Sandbox),
    Razorpay(Box<razorpay::Razorpay>),
}

impl Provider {
    /// The provider of `name` (as stored on a payment), if this server has it
    /// (Razorpay: when its keys are configured).
    pub fn named(p: &crate::Platform, name: &str) -> Option<Provider> {
        match name {
            sandbox::NAME => Some(Provider::Sandbox(sandbox::Sandbox)),
            razorpay::NAME => Self::razorpay(p).map(|r| Provider::Razorpay(Box::new(r))),
            _ => None,
        }
    }

    /// Razorpay with this server's keys, if configured.
    pub fn razorpay(p: &crate::Platform) -> Option<razorpay::Razorpay> {
        let k = p.config.razorpay.as_ref()?;
        Some(razorpay::Razorpay::new(&k.base_url, &k.key_id, &k.key_secret, &k.webhook_secret, p.outbound.clone()))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Provider::Sandbox(p) => p.name(),
            Provider::Razorpay(p) => p.name(),
        }
    }

    pub async fn create(&self, charge: Charge<'_>) -> Result<Created, ProviderError> {
        match self {
            Provider::Sandbox(p) => p.create(charge).await,
            Provider::Razorpay(p) => p.create(charge).await,
        }
    }

    pub async fn refund(&self, provider_payment_id: &str, amount: Money) -> Result<Refund, ProviderError> {
        match self {
            Provider::Sandbox(p) => p.refund(provider_payment_id, amount).await,
            Provider::Razorpay(p) => p.refund(provider_payment_id, amount).await,
        }
    }
}
