//! The languages the webview speaks and how numbers, money, dates and times
//! read in each (SPEC §13). Pure, so the rules are unit-tested here; the
//! words of the screens are in the app's message catalog.
//!
//! Dates and times are always shown in the partner's time zone
//! ([`TimeZone`]), never in UTC: a voucher valid until 23:59 in Kuala Lumpur
//! is "valid until 31 Dec", not "1 Jan".

use serde::{Deserialize, Serialize};

/// A language the webview is shipped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum Locale {
    #[default]
    #[serde(rename = "en")]
    En,
    /// Bahasa Malaysia.
    #[serde(rename = "ms")]
    Ms,
    /// Hindi.
    #[serde(rename = "hi")]
    Hi,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::Ms, Locale::Hi];

    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ms => "ms",
            Locale::Hi => "hi",
        }
    }

    /// Text direction, for `<html dir>` (every shipped language is left to right).
    pub fn dir(self) -> &'static str {
        "ltr"
    }

    /// The shipped language of a BCP 47 tag (`ms-MY`, `hi_IN`, `EN`), by its
    /// language subtag; `None` for a language not shipped.
    pub fn parse(tag: &str) -> Option<Locale> {
        let language = tag.trim().split(['-', '_']).next()?;
        Locale::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(language))
    }

    /// The shipped language an `Accept-Language` header prefers most
    /// (weights honoured, `q=0` meaning "not this one").
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, usize, Locale)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let Some(locale) = parts.next().and_then(Locale::parse) else { continue };
            let weight = parts.find_map(|p| p.trim().strip_prefix("q=")).map_or(Some(1.0), |q| q.trim().parse::<f32>().ok()).unwrap_or(0.0);
            if weight <= 0.0 {
                continue;
            }
            // Higher weight wins; among equals, the one listed first.
            if best.is_none_or(|(w, p, _)| weight > w || (weight == w && position < p)) {
                best = Some((weight, position, locale));
            }
        }
        best.map(|(_, _, l)| l)
    }

    fn months(self) -> [&'static str; 12] {
        match self {
            Locale::En => ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
            Locale::Ms => ["Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ogo", "Sep", "Okt", "Nov", "Dis"],
            Locale::Hi => ["जन॰", "फ़र॰", "मार्च", "अप्रैल", "मई", "जून", "जुल॰", "अग॰", "सित॰", "अक्तू॰", "नव॰", "दिस॰"],
        }
    }

    /// The day periods of a 12-hour clock (CLDR's abbreviated forms).
    fn day_periods(self) -> (&'static str, &'static str) {
        match self {
            Locale::En | Locale::Hi => ("am", "pm"),
            Locale::Ms => ("PG", "PTG"),
        }
    }
}

/// A whole number with the locale's digit grouping: `1,234,567` in English
/// and Malay, `12,34,567` in Hindi (groups of two after the first three).
pub fn format_integer(n: i64, locale: Locale) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut groups: Vec<&str> = Vec::new();
    let (mut rest, tail) = digits.split_at(digits.len().saturating_sub(3));
    let size = if locale == Locale::Hi { 2 } else { 3 };
    while !rest.is_empty() {
        let (head, group) = rest.split_at(rest.len().saturating_sub(size));
        groups.push(group);
        rest = head;
    }
    groups.reverse();
    groups.push(tail);
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", groups.join(","))
}

/// Digits after the decimal point of an ISO 4217 currency (2 unless listed).
pub fn minor_digits(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "JPY" | "KRW" | "VND" | "IDR" | "CLP" | "ISK" | "UGX" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

/// An amount in minor units as a person reads it: `RM 5`, `RM 5.50`,
/// `₹1,00,000`, `$12.30`, `12.00 CHF`. Whole amounts drop their decimals
/// (a voucher worth RM 5 reads "RM 5", not "RM 5.00").
pub fn format_money(minor: i64, currency: &str, locale: Locale) -> String {
    let code = currency.to_ascii_uppercase();
    let digits = minor_digits(&code);
    let scale = 10_i64.pow(digits);
    let whole = format_integer(minor / scale, locale);
    let fraction = (minor % scale).unsigned_abs();
    let sign = if minor < 0 && minor / scale == 0 { "-" } else { "" };
    let number =
        if fraction == 0 { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction:0width$}", width = digits as usize) };
    match code.as_str() {
        "MYR" => format!("RM {number}"),
        "INR" => format!("₹{number}"),
        "USD" => format!("${number}"),
        "SGD" => format!("S${number}"),
        "EUR" => format!("€{number}"),
        "GBP" => format!("£{number}"),
        _ => format!("{number} {code}"),
    }
}

/// A calendar date and wall-clock time in some time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    /// 1–12.
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
}

/// `31 Dec 2026` / `31 Dis 2026` / `31 दिस॰ 2026`.
pub fn format_date(t: LocalTime, locale: Locale) -> String {
    let month = locale.months()[usize::from(t.month.clamp(1, 12)) - 1];
    format!("{} {month} {}", t.day, t.year)
}

/// `3:47 pm` / `3:47 PTG` (a 12-hour clock, as all three languages speak it).
pub fn format_time(t: LocalTime, locale: Locale) -> String {
    let (am, pm) = locale.day_periods();
    let hour = match t.hour % 12 {
        0 => 12,
        h => h,
    };
    format!("{hour}:{:02} {}", t.minute, if t.hour < 12 { am } else { pm })
}

/// `31 Dec 2026, 3:47 pm`.
pub fn format_date_time(t: LocalTime, locale: Locale) -> String {
    format!("{}, {}", format_date(t, locale), format_time(t, locale))
}

/// A partner's time zone: an IANA name (`Asia/Kuala_Lumpur`) from the
/// time-zone database built into the binary (a host without tzdata still
/// knows every zone).
#[cfg(feature = "server")]
#[derive(Debug, Clone, PartialEq)]
pub struct TimeZone {
    // Both cheap to clone (a page clones the request's zone for every date it shows).
    name: std::sync::Arc<str>,
    zone: jiff::tz::TimeZone,
}

#[cfg(feature = "server")]
impl TimeZone {
    pub fn utc() -> TimeZone {
        TimeZone { name: std::sync::Arc::from("UTC"), zone: jiff::tz::TimeZone::UTC }
    }

    /// The zone of an IANA name, or `None` for a name the database lacks.
    pub fn named(name: &str) -> Option<TimeZone> {
        let zone = jiff::tz::db().get(name).ok()?;
        Some(TimeZone { name: std::sync::Arc::from(name), zone })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The wall-clock time in this zone of an instant (milliseconds since the epoch).
    pub fn local(&self, epoch_ms: i64) -> Option<LocalTime> {
        let instant = jiff::Timestamp::from_millisecond(epoch_ms).ok()?;
        let dt = instant.to_zoned(self.zone.clone()).datetime();
        Some(LocalTime {
            year: i32::from(dt.year()),
            month: dt.month() as u8,
            day: dt.day() as u8,
            hour: dt.hour() as u8,
            minute: dt.minute() as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_names_its_language_whatever_its_region_or_case() {
        assert_eq!(Locale::parse("ms-MY"), Some(Locale::Ms));
        assert_eq!(Locale::parse("hi_IN"), Some(Locale::Hi));
        assert_eq!(Locale::parse("EN"), Some(Locale::En));
        assert_eq!(Locale::parse("fr-FR"), None);
        assert_eq!(Locale::parse(""), None);
        assert_eq!(Locale::parse("msx"), None);
    }

    #[test]
    fn accept_language_weights_are_honoured() {
        assert_eq!(Locale::from_accept_language("fr-FR, ms;q=0.8, en;q=0.5"), Some(Locale::Ms));
        assert_eq!(Locale::from_accept_language("en;q=0.4, hi;q=0.9"), Some(Locale::Hi));
        assert_eq!(Locale::from_accept_language("hi, ms"), Some(Locale::Hi));
        assert_eq!(Locale::from_accept_language("ms;q=0, en;q=0.1"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("de, fr"), None);
        assert_eq!(Locale::from_accept_language("ms;q=bogus"), None);
    }

    #[test]
    fn numbers_group_as_each_language_writes_them() {
        assert_eq!(format_integer(0, Locale::En), "0");
        assert_eq!(format_integer(999, Locale::En), "999");
        assert_eq!(format_integer(1_234_567, Locale::En), "1,234,567");
        assert_eq!(format_integer(1_234_567, Locale::Ms), "1,234,567");
        assert_eq!(format_integer(1_234_567, Locale::Hi), "12,34,567");
        assert_eq!(format_integer(100_000, Locale::Hi), "1,00,000");
        assert_eq!(format_integer(-1_000, Locale::En), "-1,000");
    }

    #[test]
    fn money_reads_with_its_symbol_and_only_the_decimals_it_needs() {
        assert_eq!(format_money(500, "MYR", Locale::En), "RM 5");
        assert_eq!(format_money(550, "myr", Locale::Ms), "RM 5.50");
        assert_eq!(format_money(505, "MYR", Locale::En), "RM 5.05");
        assert_eq!(format_money(10_000_000, "INR", Locale::Hi), "₹1,00,000");
        assert_eq!(format_money(1_230, "USD", Locale::En), "$12.30");
        assert_eq!(format_money(500, "JPY", Locale::En), "500 JPY");
        assert_eq!(format_money(1_200, "CHF", Locale::En), "12 CHF");
        assert_eq!(format_money(-50, "MYR", Locale::En), "RM -0.50");
    }

    #[test]
    fn dates_and_times_read_in_each_language() {
        let t = LocalTime { year: 2026, month: 12, day: 31, hour: 15, minute: 47 };
        assert_eq!(format_date_time(t, Locale::En), "31 Dec 2026, 3:47 pm");
        assert_eq!(format_date_time(t, Locale::Ms), "31 Dis 2026, 3:47 PTG");
        assert_eq!(format_date_time(t, Locale::Hi), "31 दिस॰ 2026, 3:47 pm");
        let midnight = LocalTime { hour: 0, minute: 5, ..t };
        assert_eq!(format_time(midnight, Locale::En), "12:05 am");
        let noon = LocalTime { hour: 12, minute: 0, ..t };
        assert_eq!(format_time(noon, Locale::Ms), "12:00 PTG");
    }

    #[cfg(feature = "server")]
    #[test]
    fn an_instant_near_midnight_falls_on_the_partners_day() {
        // 2026-12-31T16:30Z is 00:30 on 1 January in Kuala Lumpur (UTC+8).
        let ms = crate::clock::parse_rfc3339("2026-12-31T16:30:00Z").unwrap();
        let kl = TimeZone::named("Asia/Kuala_Lumpur").unwrap().local(ms).unwrap();
        assert_eq!((kl.year, kl.month, kl.day, kl.hour, kl.minute), (2027, 1, 1, 0, 30));
        let utc = TimeZone::utc().local(ms).unwrap();
        assert_eq!((utc.year, utc.month, utc.day), (2026, 12, 31));
        // 07:47Z is 15:47 in Kuala Lumpur, the defect's example.
        let ms = crate::clock::parse_rfc3339("2026-05-12T07:47:00Z").unwrap();
        let t = TimeZone::named("Asia/Kuala_Lumpur").unwrap().local(ms).unwrap();
        assert_eq!(format_time(t, Locale::En), "3:47 pm");
        // Half-hour zones and daylight saving come from the database too.
        let kolkata = TimeZone::named("Asia/Kolkata").unwrap().local(ms).unwrap();
        assert_eq!((kolkata.hour, kolkata.minute), (13, 17));
        assert!(TimeZone::named("Mars/Olympus_Mons").is_none());
    }
}
