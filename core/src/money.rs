//! Money: an amount in a currency's minor units (paise, sen, cents), never a
//! float. Arithmetic is checked (a sum that overflows, or of two currencies,
//! is an error, not a wrong number) and a percentage is in basis points.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An ISO 4217 currency code (`INR`, `MYR`, `JPY`), three ASCII capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Currencies without minor units, and with three (ISO 4217); every other
/// code has two.
const ZERO_DECIMAL: &[&str] =
    &["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];
const THREE_DECIMAL: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

impl Currency {
    pub const INR: Currency = Currency(*b"INR");
    pub const MYR: Currency = Currency(*b"MYR");

    /// The currency of a code such as `INR`; `None` unless it is three capitals.
    pub fn parse(code: &str) -> Option<Self> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_uppercase).then_some(Currency(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Three ASCII capitals, checked when made.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point: 2 for INR (paise), 0 for JPY, 3 for KWD.
    pub fn exponent(self) -> u32 {
        let code = self.as_str();
        if ZERO_DECIMAL.contains(&code) {
            0
        } else if THREE_DECIMAL.contains(&code) {
            3
        } else {
            2
        }
    }

    /// Minor units in one major unit: 100 for INR.
    pub fn minor_per_major(self) -> i64 {
        10_i64.pow(self.exponent())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).ok_or_else(|| serde::de::Error::custom(format!("{code:?} is not an ISO 4217 code such as INR")))
    }
}

#[cfg(feature = "server")]
crate::sql_text!(Currency);

#[cfg(feature = "server")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 currency code; amounts are in its minor units (paise for INR)."))
            .examples([serde_json::json!("INR")])
            .into()
    }
}

#[cfg(feature = "server")]
impl utoipa::ToSchema for Currency {}

/// Why a sum of money could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0} and {1} cannot be added or compared")]
    Currencies(Currency, Currency),
    #[error("the amount is out of range")]
    Overflow,
}

/// An amount of a currency in its minor units: `Money::new(81_300, INR)` is ₹813.00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// In minor units (paise for INR): never a float.
    pub minor: i64,
    pub currency: Currency,
}

/// 100 % in basis points.
pub const FULL_BPS: u32 = 10_000;

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        self.minor.checked_add(other.minor).map(|m| Money::new(m, self.currency)).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        self.minor.checked_sub(other.minor).map(|m| Money::new(m, self.currency)).ok_or(MoneyError::Overflow)
    }

    fn same(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency { Ok(()) } else { Err(MoneyError::Currencies(self.currency, other.currency)) }
    }

    /// `bps` basis points of this amount (250 = 2.5 %), rounded half up to a
    /// minor unit; `bps` above 100 % is taken as 100 %. Never more than the amount.
    pub fn percent(self, bps: u32) -> Money {
        let bps = i128::from(bps.min(FULL_BPS));
        let exact = i128::from(self.minor) * bps;
        let rounded = (exact + i128::from(FULL_BPS / 2)) / i128::from(FULL_BPS);
        // |rounded| ≤ |minor|, so it fits.
        Money::new(rounded as i64, self.currency)
    }

    /// An amount a person typed or a deep link carries, in major units
    /// (`500`, `500.5`, `500.50`), as minor units of `currency`; `None` for a
    /// sign, more decimals than the currency has, anything but digits and one
    /// point, or an amount too large for an `i64` of minor units.
    pub fn parse_major(text: &str, currency: Currency) -> Option<Money> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let exp = currency.exponent() as usize;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > exp || (text.ends_with('.') && exp == 0) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let fraction: i64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<exp$}").parse().ok()? };
        let minor = whole.checked_mul(currency.minor_per_major())?.checked_add(fraction)?;
        Some(Money::new(minor, currency))
    }

    /// The amount in major units as text, with the currency's digits: `813.00`, `1500` (JPY).
    pub fn major(self) -> String {
        let exp = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let unit = 10_u64.pow(exp);
        format!("{sign}{}.{:0width$}", abs / unit, abs % unit, width = exp as usize)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.major())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INR: Currency = Currency::INR;

    #[test]
    fn an_amount_in_major_units_is_read_exactly_or_refused() {
        let jpy = Currency::parse("JPY").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::parse_major("500", INR), Some(Money::new(50_000, INR)));
        assert_eq!(Money::parse_major("500.5", INR), Some(Money::new(50_050, INR)));
        assert_eq!(Money::parse_major(" 813.00 ", INR), Some(Money::new(81_300, INR)));
        assert_eq!(Money::parse_major("0.07", INR), Some(Money::new(7, INR)));
        assert_eq!(Money::parse_major("1500", jpy), Some(Money::new(1_500, jpy)));
        assert_eq!(Money::parse_major("1.234", kwd), Some(Money::new(1_234, kwd)));
        for bad in ["", ".5", "-5", "+5", "5.123", "5,00", "1e3", "５", "5.0.0", "92233720368547758.08"] {
            assert_eq!(Money::parse_major(bad, INR), None, "{bad:?}");
        }
        assert_eq!(Money::parse_major("15.", jpy), None);
        assert_eq!(Money::parse_major("1.5", jpy), None);
    }

    proptest! {
        #[test]
        fn what_major_writes_parse_major_reads(minor in 0_i64..i64::MAX / 1000) {
            let m = Money::new(minor, INR);
            prop_assert_eq!(Money::parse_major(&m.major(), INR), Some(m));
        }
    }

    #[test]
    fn codes_are_three_capitals_with_their_exponent() {
        assert_eq!(Currency::parse("INR"), Some(INR));
        assert_eq!(Currency::parse("inr"), None);
        assert_eq!(Currency::parse("RUPEE"), None);
        assert_eq!(Currency::parse("JPY").map(Currency::exponent), Some(0));
        assert_eq!(Currency::parse("KWD").map(Currency::exponent), Some(3));
        assert_eq!(INR.minor_per_major(), 100);
    }

    #[test]
    fn major_units_are_written_with_the_currency_digits() {
        assert_eq!(Money::new(81_300, INR).major(), "813.00");
        assert_eq!(Money::new(5, INR).major(), "0.05");
        assert_eq!(Money::new(-250, INR).major(), "-2.50");
        assert_eq!(Money::new(1_500, Currency::parse("JPY").unwrap()).major(), "1500");
        assert_eq!(Money::new(1_234, Currency::parse("KWD").unwrap()).major(), "1.234");
        assert_eq!(Money::new(81_300, INR).to_string(), "INR 813.00");
    }

    #[test]
    fn percentages_round_half_up_to_a_minor_unit() {
        // 2.5 % of ₹813.00 is ₹20.325 → ₹20.33.
        assert_eq!(Money::new(81_300, INR).percent(250), Money::new(2_033, INR));
        assert_eq!(Money::new(50_000, INR).percent(500), Money::new(2_500, INR));
        assert_eq!(Money::new(1, INR).percent(4_999), Money::zero(INR));
        assert_eq!(Money::new(1, INR).percent(5_000), Money::new(1, INR));
        assert_eq!(Money::new(100, INR).percent(20_000), Money::new(100, INR), "capped at 100 %");
    }

    #[test]
    fn currencies_do_not_mix_and_sums_do_not_wrap() {
        let myr = Money::new(100, Currency::MYR);
        assert_eq!(Money::new(100, INR).checked_add(myr), Err(MoneyError::Currencies(INR, Currency::MYR)));
        assert_eq!(Money::new(i64::MAX, INR).checked_add(Money::new(1, INR)), Err(MoneyError::Overflow));
        assert_eq!(Money::new(500, INR).checked_sub(Money::new(200, INR)), Ok(Money::new(300, INR)));
    }

    #[test]
    fn money_is_minor_units_and_a_code_on_the_wire() {
        let m = Money::new(81_300, INR);
        assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!({ "minor": 81300, "currency": "INR" }));
        assert!(serde_json::from_str::<Money>(r#"{"minor": 1, "currency": "rupees"}"#).is_err());
    }

    proptest! {
        #[test]
        fn a_percentage_is_never_more_than_the_amount_and_grows_with_the_rate(minor in 0_i64..1_000_000_000_000, a in 0_u32..=10_000, b in 0_u32..=10_000) {
            let m = Money::new(minor, INR);
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(m.percent(hi).minor <= minor);
            prop_assert!(m.percent(lo).minor <= m.percent(hi).minor);
            prop_assert!(m.percent(0).minor == 0 && m.percent(FULL_BPS).minor == minor);
        }
    }
}
