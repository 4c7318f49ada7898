//! The operator's dashboard (SPEC §12): per UTC day, over a range of days and
//! some partners, the claims, the redemptions (and how many were FLAGGED),
//! the gift cards sold and their revenue per currency, and how many webhook
//! deliveries succeeded. Each figure is one grouped query that reads through
//! an index led by the partner (or the partner's endpoints), so a range is
//! read, not the table.

use crate::{db::Db, error::ApiError, types::PartnerId};
use serde::Serialize;
use std::collections::BTreeMap;

pub const DAY_MS: i64 = 86_400_000;
/// The longest range shown at once.
pub const MAX_DAYS: i64 = 366;

/// One day's figures (`day`: days since 1970-01-01, UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Day {
    pub day: i64,
    pub claims: i64,
    pub redemptions: i64,
    pub flagged: i64,
    pub orders: i64,
    /// Minor units paid for the day's fulfilled orders, by currency.
    pub revenue: BTreeMap<String, i64>,
    pub deliveries_delivered: i64,
    pub deliveries_failed: i64,
}

/// `$from, $from+1, …` for `n` values.
fn list(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Every day from `first` to `last` (inclusive, day numbers), with the
/// figures of `partners` (at least one).
pub async fn days(db: &Db, partners: &[PartnerId], first: i64, last: i64) -> Result<Vec<Day>, ApiError> {
    if partners.is_empty() || last < first {
        return Ok(Vec::new());
    }
    let last = last.min(first + MAX_DAYS - 1);
    let (from, to) = (first * DAY_MS, (last + 1) * DAY_MS);
    let mut out: BTreeMap<i64, Day> = (first..=last).map(|day| (day, Day { day, ..Day::default() })).collect();
    let ids = list(3, partners.len());
    let run = |sql: String| {
        let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
        for p in partners {
            q = q.bind(p);
        }
        q.fetch_all(db.pool())
    };
    // Each row: (day, a, b, text); unused columns are 0 or ''.
    for (day, n, _, _) in
        run(format!("SELECT created_at / {DAY_MS}, COUNT(*), 0, '' FROM claims WHERE partner_id IN ({ids}) AND created_at >= $1 AND created_at < $2 GROUP BY created_at / {DAY_MS}")).await?
    {
        out.entry(day).or_default().claims = n;
    }
    for (day, n, flagged, _) in run(format!(
        "SELECT redeemed_at / {DAY_MS}, COUNT(*), CAST(SUM(CASE WHEN status = 'FLAGGED' THEN 1 ELSE 0 END) AS BIGINT), '' FROM redemptions \
         WHERE partner_id IN ({ids}) AND redeemed_at >= $1 AND redeemed_at < $2 GROUP BY redeemed_at / {DAY_MS}"
    ))
    .await?
    {
        let d = out.entry(day).or_default();
        (d.redemptions, d.flagged) = (n, flagged);
    }
    for (day, n, paid, currency) in run(format!(
        "SELECT created_at / {DAY_MS}, COUNT(*), CAST(SUM(to_pay) AS BIGINT), currency FROM orders \
         WHERE partner_id IN ({ids}) AND state = 'fulfilled' AND created_at >= $1 AND created_at < $2 \
         GROUP BY created_at / {DAY_MS}, currency"
    ))
    .await?
    {
        let d = out.entry(day).or_default();
        d.orders += n;
        *d.revenue.entry(currency).or_default() += paid;
    }
    for (day, delivered, failed, _) in run(format!(
        "SELECT created_at / {DAY_MS}, CAST(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) AS BIGINT), \
                CAST(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS BIGINT), '' FROM webhook_deliveries \
         WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE partner_id IN ({ids})) AND created_at >= $1 AND created_at < $2 \
         GROUP BY created_at / {DAY_MS}"
    ))
    .await?
    {
        let d = out.entry(day).or_default();
        (d.deliveries_delivered, d.deliveries_failed) = (delivered, failed);
    }
    Ok(out.into_values().filter(|d| (first..=last).contains(&d.day)).collect())
}

/// A day number as `YYYY-MM-DD`.
pub fn date_of(day: i64) -> String {
    crate::clock::to_rfc3339(day * DAY_MS).chars().take(10).collect()
}

/// `YYYY-MM-DD` as a day number.
pub fn day_of(date: &str) -> Option<i64> {
    crate::clock::parse_rfc3339(&format!("{}T00:00:00Z", date.trim())).map(|ms| ms.div_euclid(DAY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_round_trip() {
        assert_eq!(day_of("1970-01-02"), Some(1));
        assert_eq!(date_of(20_428), "2025-12-06");
        assert_eq!(day_of(&date_of(20_428)), Some(20_428));
        assert_eq!(day_of("2026-02-30"), None);
        assert_eq!(day_of("yesterday"), None);
    }
}
