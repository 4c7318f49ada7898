//! Gift-card suppliers (SPEC §10): where a card comes from when the voucher's
//! own codes (its pool, or generated ones) do not make it. One trait, as the
//! payment providers have: a real supplier is an adapter of its HTTP API and
//! a variant of [`Supplier`]. The sandbox's stand for seed 001's staging
//! brands: one issues at once, one never can, one takes a few seconds (a
//! supplier over the network).

use crate::money::Money;
use std::time::Duration;

/// A card as its supplier issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCard {
    pub number: String,
    pub pin: Option<String>,
}

/// Why no card was issued, for people (and the refund's reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotIssued(pub String);

/// One gift-card supplier.
pub trait GiftCardSupplier: Send + Sync {
    /// As stored in `vouchers.supplier`.
    fn name(&self) -> &'static str;

    /// Whether it answers without leaving this process: the card is then
    /// issued in the transaction that records the payment.
    fn instant(&self) -> bool;

    /// One card of `face` for the order `order_id`, its idempotency key: a
    /// real supplier asked twice for one order answers the same card.
    fn issue(&self, order_id: &str, face: Money) -> impl Future<Output = Result<IssuedCard, NotIssued>> + Send;
}

/// The suppliers this build has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supplier {
    Sandbox(Sandbox),
}

/// The sandbox's supplier, as it behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sandbox {
    /// Issues a card with a PIN at once (`sandbox`).
    Issues,
    /// Never can (`sandbox-failing`): paid, then refunded.
    Fails,
    /// Issues after a few seconds (`sandbox-slow`).
    Slow,
}

pub const SANDBOX: &str = "sandbox";
pub const FAILING: &str = "sandbox-failing";
pub const SLOW: &str = "sandbox-slow";
/// How long the slow sandbox supplier takes.
const SLOW_FOR: Duration = Duration::from_secs(3);

impl Supplier {
    /// Every name a voucher's `supplier` may have.
    pub const NAMES: [&str; 3] = [SANDBOX, FAILING, SLOW];

    pub fn named(name: &str) -> Option<Supplier> {
        match name {
            SANDBOX => Some(Supplier::Sandbox(Sandbox::Issues)),
            FAILING => Some(Supplier::Sandbox(Sandbox::Fails)),
            SLOW => Some(Supplier::Sandbox(Sandbox::Slow)),
            _ => None,
        }
    }
}

impl GiftCardSupplier for Supplier {
    fn name(&self) -> &'static str {
        match self {
            Supplier::Sandbox(s) => s.name(),
        }
    }

    fn instant(&self) -> bool {
        match self {
            Supplier::Sandbox(s) => s.instant(),
        }
    }

    async fn issue(&self, order_id: &str, face: Money) -> Result<IssuedCard, NotIssued> {
        match self {
            Supplier::Sandbox(s) => s.issue(order_id, face).await,
        }
    }
}

impl GiftCardSupplier for Sandbox {
    fn name(&self) -> &'static str {
        match self {
            Sandbox::Issues => SANDBOX,
            Sandbox::Fails => FAILING,
            Sandbox::Slow => SLOW,
        }
    }

    fn instant(&self) -> bool {
        *self != Sandbox::Slow
    }

    async fn issue(&self, _order_id: &str, _face: Money) -> Result<IssuedCard, NotIssued> {
        use rand::Rng;
        match self {
            Sandbox::Fails => return Err(NotIssued("the supplier could not generate the gift card".into())),
            Sandbox::Slow => tokio::time::sleep(SLOW_FOR).await,
            Sandbox::Issues => {}
        }
        let mut rng = rand::rngs::OsRng;
        let number = (0..16).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect();
        Ok(IssuedCard { number, pin: Some(format!("{:06}", rng.gen_range(0..1_000_000u32))) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[tokio::test]
    async fn each_sandbox_supplier_does_what_its_name_says() {
        for name in Supplier::NAMES {
            assert_eq!(Supplier::named(name).map(|s| s.name()), Some(name));
        }
        assert_eq!(Supplier::named("acme"), None);
        let face = Money::new(50_000, Currency::INR);
        let card = Supplier::named(SANDBOX).unwrap().issue("ord_1", face).await.unwrap();
        assert!(card.number.len() == 16 && card.number.bytes().all(|b| b.is_ascii_digit()), "{card:?}");
        assert_eq!(card.pin.as_deref().map(str::len), Some(6));
        assert!(Supplier::named(FAILING).unwrap().issue("ord_1", face).await.is_err());
        assert!(Supplier::named(SANDBOX).unwrap().instant() && !Supplier::named(SLOW).unwrap().instant());
    }
}
