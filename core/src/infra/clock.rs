//! Time: stored as UTC milliseconds since the Unix epoch, sent as RFC 3339.

use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

/// Milliseconds since the Unix epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `2026-05-12T08:14:22.501Z`: UTC, millisecond precision, always the same width.
pub fn to_rfc3339(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into())
}

/// Parses an RFC 3339 time with any offset into UTC milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_normalises_to_utc() {
        assert_eq!(to_rfc3339(1_778_573_662_501), "2026-05-12T08:14:22.501Z");
        assert_eq!(parse_rfc3339("2026-05-12T08:14:22.501Z"), Some(1_778_573_662_501));
        assert_eq!(parse_rfc3339("2026-05-12T16:14:22.501+08:00"), Some(1_778_573_662_501));
        assert_eq!(parse_rfc3339("2026-05-12"), None);
        assert_eq!(to_rfc3339(0), "1970-01-01T00:00:00.000Z");
    }
}
