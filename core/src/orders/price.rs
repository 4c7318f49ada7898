//! What a gift card costs: its price model (fixed denominations, or a range
//! with a step), the brand discount, and the lines an order is made of. Pure:
//! the checkout screen shows exactly the figures the order is created with.

use crate::money::{Currency, FULL_BPS, Money};
use serde::{Deserialize, Serialize};

/// The amounts a gift card is sold in, in minor units of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum PriceModel {
    /// Only these face values (e.g. 10000, 25000, 50000 paise: ₹100, ₹250, ₹500).
    Denominations { values: Vec<i64> },
    /// Any face value from `min` to `max` in steps of `step` from `min`.
    Range { min: i64, max: i64, step: i64 },
}

/// The most denominations a product may list.
pub const MAX_DENOMINATIONS: usize = 20;

impl PriceModel {
    /// Why the model cannot be sold, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        match self {
            PriceModel::Denominations { values } => {
                if values.is_empty() || values.len() > MAX_DENOMINATIONS {
                    return Err(format!("list 1–{MAX_DENOMINATIONS} denominations"));
                }
                if values.iter().any(|v| *v <= 0) {
                    return Err("every denomination must be above 0".into());
                }
                if values.windows(2).any(|w| w[0] >= w[1]) {
                    return Err("list the denominations once each, smallest first".into());
                }
                Ok(())
            }
            PriceModel::Range { min, max, step } => {
                if *min <= 0 || *step <= 0 || min > max {
                    Err("a range needs 0 < min ≤ max and a step above 0".into())
                } else if (max - min) % step != 0 {
                    Err("max must be min plus a whole number of steps".into())
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Whether `face_value` (minor units) is one the model sells.
    pub fn allows(&self, face_value: i64) -> bool {
        match self {
            PriceModel::Denominations { values } => values.contains(&face_value),
            PriceModel::Range { min, max, step } => (*min..=*max).contains(&face_value) && (face_value - min) % step == 0,
        }
    }

    /// The face value a checkout opens with: the smallest.
    pub fn smallest(&self) -> i64 {
        match self {
            PriceModel::Denominations { values } => values.first().copied().unwrap_or(0),
            PriceModel::Range { min, .. } => *min,
        }
    }

    /// What to say when a face value is not sold, in major units.
    pub fn describe(&self, currency: Currency) -> String {
        let m = |v: i64| Money::new(v, currency).major();
        match self {
            PriceModel::Denominations { values } => values.iter().map(|v| m(*v)).collect::<Vec<_>>().join(", "),
            PriceModel::Range { min, max, step } => format!("{} to {} in steps of {}", m(*min), m(*max), m(*step)),
        }
    }
}

/// How a voucher is sold: its currency, price model and brand discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Price {
    #[cfg_attr(feature = "server", schema(value_type = String, example = "INR"))]
    pub currency: Currency,
    pub model: PriceModel,
    /// The brand's discount in basis points (250 = 2.5 %), 0–10000.
    #[serde(default)]
    pub discount_bps: u32,
}

#[cfg(feature = "server")]
crate::sql_json!(Price);

crate::text_enum! {
    /// What a line of an order is (`order_lines.kind`).
    pub enum LineKind {
        /// The gift card's value.
        FaceValue = "face_value",
        /// The brand's discount (negative).
        BrandDiscount = "brand_discount",
        /// A coupon's discount (negative).
        CouponDiscount = "coupon_discount",
        /// Paid with the partner's coins (negative).
        Coins = "coins",
    }
}

/// One line of an order: what it is and its amount (negative when it takes
/// from the face value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub kind: LineKind,
    /// Minor units of the order's currency.
    pub amount: i64,
}

/// The figures of a purchase before it is paid: the lines, and what the user pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    #[cfg_attr(feature = "server", schema(value_type = String, example = "INR"))]
    pub currency: Currency,
    pub face_value: i64,
    /// The brand discount (a positive amount: what comes off).
    pub discount: i64,
    /// What the user pays: the sum of the lines.
    pub to_pay: i64,
    pub lines: Vec<Line>,
}

impl Price {
    /// Why this price cannot be sold, if it cannot (field, reason).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        self.model.check().map_err(|e| ("price.model", e))?;
        if self.discount_bps > FULL_BPS {
            return Err(("price.discountBps", "must be 0–10000 (basis points: 250 is 2.5 %)".into()));
        }
        Ok(())
    }

    /// The figures of buying a gift card of `face_value` (minor units), or why
    /// that face value is not sold.
    pub fn quote(&self, face_value: i64) -> Result<Quote, String> {
        if !self.model.allows(face_value) {
            return Err(format!("this gift card is sold for {} {}", self.model.describe(self.currency), self.currency));
        }
        let face = Money::new(face_value, self.currency);
        let discount = face.percent(self.discount_bps);
        let to_pay = face.checked_sub(discount).map_err(|e| e.to_string())?;
        let mut lines = vec![Line { kind: LineKind::FaceValue, amount: face.minor }];
        if discount.minor > 0 {
            lines.push(Line { kind: LineKind::BrandDiscount, amount: -discount.minor });
        }
        Ok(Quote { currency: self.currency, face_value, discount: discount.minor, to_pay: to_pay.minor, lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inr(model: PriceModel, discount_bps: u32) -> Price {
        Price { currency: Currency::INR, model, discount_bps }
    }

    #[test]
    fn denominations_and_ranges_sell_exactly_their_amounts() {
        let fixed = PriceModel::Denominations { values: vec![10_000, 25_000, 50_000] };
        assert!(fixed.check().is_ok());
        assert!(fixed.allows(25_000) && !fixed.allows(20_000));
        let range = PriceModel::Range { min: 10_000, max: 1_000_000, step: 10_000 };
        assert!(range.check().is_ok());
        assert!(range.allows(10_000) && range.allows(1_000_000) && range.allows(80_000));
        assert!(!range.allows(81_000) && !range.allows(0) && !range.allows(1_010_000));
        assert_eq!(range.describe(Currency::INR), "100.00 to 10000.00 in steps of 100.00");
    }

    #[test]
    fn a_price_model_that_cannot_sell_is_refused() {
        assert!(PriceModel::Denominations { values: vec![] }.check().is_err());
        assert!(PriceModel::Denominations { values: vec![500, 100] }.check().is_err());
        assert!(PriceModel::Denominations { values: vec![0] }.check().is_err());
        assert!(PriceModel::Range { min: 100, max: 50, step: 10 }.check().is_err());
        assert!(PriceModel::Range { min: 100, max: 155, step: 10 }.check().is_err());
        assert!(inr(PriceModel::Range { min: 1, max: 1, step: 1 }, 10_001).check().is_err());
    }

    #[test]
    fn a_quote_is_the_face_value_less_the_brand_discount() {
        // Seed 001 §6.3: a ₹1,000 card with a 5 % brand discount costs ₹950.
        let p = inr(PriceModel::Range { min: 10_000, max: 1_000_000, step: 100 }, 500);
        let q = p.quote(100_000).unwrap();
        assert_eq!((q.face_value, q.discount, q.to_pay), (100_000, 5_000, 95_000));
        assert_eq!(
            q.lines,
            vec![Line { kind: LineKind::FaceValue, amount: 100_000 }, Line { kind: LineKind::BrandDiscount, amount: -5_000 }]
        );
        // A zero-discount brand has one line.
        let q = inr(PriceModel::Denominations { values: vec![81_300] }, 0).quote(81_300).unwrap();
        assert_eq!((q.to_pay, q.lines.len()), (81_300, 1));
        assert!(p.quote(100_050).unwrap_err().contains("100.00 to 10000.00"), "not on a step");
    }

    proptest! {
        #[test]
        fn the_lines_always_sum_to_what_is_paid(steps in 0_i64..1_000, bps in 0_u32..=10_000) {
            let p = inr(PriceModel::Range { min: 100, max: 100_100, step: 100 }, bps);
            let q = p.quote(100 + steps * 100).unwrap();
            prop_assert_eq!(q.lines.iter().map(|l| l.amount).sum::<i64>(), q.to_pay);
            prop_assert!(q.to_pay >= 0 && q.to_pay <= q.face_value);
            prop_assert_eq!(q.face_value - q.discount, q.to_pay);
        }
    }
}
