//! The built-in sandbox provider: a hosted test payment page served by
//! Tessera (`/pay/sandbox/{paymentId}`, UPI or card), with seed 001's
//! deterministic outcomes. Nothing leaves the server and no money moves.

use super::{Charge, Created, PaymentProvider, ProviderError, Refund};
use crate::money::{Currency, Money};

pub const NAME: &str = "sandbox";

/// Seed 001 §7.4: a payment of ₹813 fails at the payment step (no money
/// taken, no coins taken, no gift card attempted).
pub const FAILING_AMOUNT: Money = Money::new(81_300, Currency::INR);

/// Whether the sandbox's payment of `amount` succeeds.
pub fn pays(amount: Money) -> bool {
    amount != FAILING_AMOUNT
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;

impl PaymentProvider for Sandbox {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn create(&self, charge: Charge<'_>) -> Result<Created, ProviderError> {
        Ok(Created {
            provider_order_id: format!("sbx_order_{}", charge.payment_id),
            pay_url: format!("/pay/sandbox/{}", charge.payment_id),
        })
    }

    async fn refund(&self, provider_payment_id: &str, _amount: Money) -> Result<Refund, ProviderError> {
        Ok(Refund { provider_refund_id: format!("sbx_rfnd_{provider_payment_id}"), done: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_813_rupees_fails() {
        assert!(!pays(Money::new(81_300, Currency::INR)));
        assert!(pays(Money::new(81_200, Currency::INR)));
        assert!(pays(Money::new(81_300, Currency::MYR)), "the rule is seed 001's, in rupees");
    }
}
