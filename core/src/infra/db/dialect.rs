//! The statements that differ between the engines, each with what it is
//! expected to change when it is taken whole: the rest of the code asks for a
//! statement by what it does and never matches on the engine itself.

use super::Backend;

/// A write taken in one round trip ([`super::Db::write_at_once`]): its SQL,
/// and how many rows it changes when it is taken whole. A refusal (the stock
/// gone, the claim redeemed already) changes none; any other count means it
/// was taken in part, and its batch is rolled back.
#[derive(Debug, Clone, Copy)]
pub struct AtOnce {
    pub sql: &'static str,
    pub whole: u64,
}

/// The three writes of a common claim as one SQLite script, all or nothing
/// without a savepoint: the claim is inserted first (a unique-index race
/// fails right there, before anything is written) and only while the voucher
/// is published and in stock; the stock count and the event follow only if
/// the statement before changed its row (`changes()`). So the script changes
/// 3 rows, or none. The writer runs it in one round trip instead of four
/// (three statements and a savepoint): on SQLite the single writer's round
/// trips are what bound claims per second. The writer holds the write lock
/// for the whole script, so nothing changes the stock between the check and
/// the count.
const CLAIM_AT_ONCE: &str = "\
    INSERT INTO claims (id, partner_id, user_id, voucher_id, seq, source, voucher_title, created_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM vouchers \
      WHERE id = $4 AND status = 'published' AND (total_stock IS NULL OR claimed_count < total_stock)); \
    UPDATE vouchers SET claimed_count = claimed_count + 1 WHERE id = $4 AND changes() = 1; \
    INSERT INTO events (id, partner_id, type, user_id, payload, created_at) \
     SELECT $9, $2, $10, $3, $11, $12 WHERE changes() = 1";

/// The same on PostgreSQL, as one statement (run outside a transaction, so
/// atomic by itself, and the voucher's row lock is held only while it runs):
/// the stock is counted first and conditionally (the row is re-checked after
/// waiting for a concurrent claim's lock), the claim inserted only if it was,
/// the event only if the claim was. It inserts one event, or nothing; a
/// unique-index race fails the whole statement.
const CLAIM_AT_ONCE_PG: &str = "\
    WITH stock AS (UPDATE vouchers SET claimed_count = claimed_count + 1 \
      WHERE id = $4 AND status = 'published' AND (total_stock IS NULL OR claimed_count < total_stock) RETURNING id), \
     claim AS (INSERT INTO claims (id, partner_id, user_id, voucher_id, seq, source, voucher_title, created_at) \
      SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM stock RETURNING id) \
    INSERT INTO events (id, partner_id, type, user_id, payload, created_at) \
     SELECT $9, $2, $10, $3, $11, $12 FROM claim";

/// The redemption row's insert, without its values (both write paths share it).
macro_rules! insert_redemption {
    () => {
        "INSERT INTO redemptions (id, claim_id, partner_id, user_id, voucher_id, outlet_id, status, flag_reason, code, \
         lat, lng, accuracy_m, distance_m, voucher_title, outlet_name, redeemed_at)"
    };
}

/// Its values, as `RedemptionWrite::bind_row` binds them (nullable floats as
/// `(present, value)` pairs).
macro_rules! redemption_values {
    () => {
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10 = 1 THEN $11 END, CASE WHEN $10 = 1 THEN $12 END, \
         CASE WHEN $13 = 1 THEN $14 END, CASE WHEN $15 = 1 THEN $16 END, $17, $18, $19"
    };
}

/// A redemption's row, as `RedemptionWrite::bind_row` binds `$1`–`$19`: the
/// same on both engines (the general write path); its columns are shared
/// with the one-round-trip statements below.
pub const INSERT_REDEMPTION: &str = concat!(insert_redemption!(), " VALUES (", redemption_values!(), ")");

/// A redemption with a code known before writing: the claim marked
/// (`$19` the time, `$2` the claim), the row, and its event (`$20`–`$23`), each
/// only if the one before changed a row.
const REDEMPTION_AT_ONCE: &str = concat!(
    "UPDATE claims SET redeemed_at = $19 WHERE id = $2 AND redeemed_at IS NULL; ",
    insert_redemption!(),
    " SELECT ",
    redemption_values!(),
    " WHERE changes() = 1; \
     INSERT INTO events (id, partner_id, type, user_id, payload, created_at) \
     SELECT $20, $3, $21, $4, $22, $23 WHERE changes() = 1"
);

/// The same as one PostgreSQL statement of chained CTEs.
const REDEMPTION_AT_ONCE_PG: &str = concat!(
    "WITH marked AS (UPDATE claims SET redeemed_at = $19 WHERE id = $2 AND redeemed_at IS NULL RETURNING id), \
     redemption AS (",
    insert_redemption!(),
    " SELECT ",
    redemption_values!(),
    " FROM marked RETURNING id) \
     INSERT INTO events (id, partner_id, type, user_id, payload, created_at) \
     SELECT $20, $3, $21, $4, $22, $23 FROM redemption"
);

/// The few statements that differ between the engines.
impl Backend {
    /// A common claim (no pool code, no coins): the claim `$1`–`$8` (id,
    /// partner, user, voucher, seq, source, title, time) and its event
    /// `$9`–`$12` (id, type, payload, time), only while the voucher is
    /// published and in stock. SQLite: a script of three statements changing
    /// 3 rows; PostgreSQL: one statement inserting its 1 event.
    pub fn claim_at_once(self) -> AtOnce {
        match self {
            Backend::Sqlite => AtOnce { sql: CLAIM_AT_ONCE, whole: 3 },
            Backend::Postgres => AtOnce { sql: CLAIM_AT_ONCE_PG, whole: 1 },
        }
    }

    /// An endpoint's in-flight limit, read under its row lock on PostgreSQL
    /// (instances leasing for it queue there, so together they never exceed
    /// it); SQLite's single writer serialises them already. `NO KEY UPDATE`:
    /// the key-share locks that the deliveries' foreign key takes on the
    /// endpoint while a transaction makes deliveries (a fan-out batch of
    /// 5 000 events) do not hold a lease up — measured, `FOR UPDATE` waited
    /// 1.4 ms a lease on average behind them.
    pub fn lock_endpoint(self) -> &'static str {
        match self {
            Backend::Postgres => "SELECT max_in_flight FROM webhook_endpoints WHERE id = $1 FOR NO KEY UPDATE",
            Backend::Sqlite => "SELECT max_in_flight FROM webhook_endpoints WHERE id = $1",
        }
    }

    /// Erasure: the partner's id for user `$1` removed from the stored
    /// payloads of their events (`data.externalUserId` set to null).
    pub fn forget_external_user_in_events(self) -> &'static str {
        match self {
            Backend::Sqlite => "UPDATE events SET payload = json_set(payload, '$.data.externalUserId', json('null')) WHERE user_id = $1",
            Backend::Postgres => {
                "UPDATE events SET payload = jsonb_set(payload::jsonb, '{data,externalUserId}', 'null'::jsonb)::text WHERE user_id = $1"
            }
        }
    }

    /// Leases endpoint `$3`'s due deliveries (at most `$4`, due by `$2` and
    /// not before `$6`, not leased) to instance `$5` until `$1`, answering each as the worker sends
    /// it (with its event's body): one statement, read through
    /// `webhook_deliveries_ready` in the order it keeps (no sort), whatever the
    /// table's statistics. PostgreSQL skips rows another instance is leasing.
    pub fn lease_due_deliveries(self) -> String {
        let candidates = "SELECT id FROM webhook_deliveries WHERE endpoint_id = $3 AND status = 'pending' \
             AND lease_until = 0 AND next_attempt_at >= $6 AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $4";
        // The target's columns qualified: `picked` has an `id` too.
        let returning = "webhook_deliveries.id, webhook_deliveries.event_id, webhook_deliveries.endpoint_id, webhook_deliveries.attempts, \
             webhook_deliveries.retry_step, webhook_deliveries.next_attempt_at, \
             (SELECT e.payload FROM events e WHERE e.id = webhook_deliveries.event_id) AS payload";
        match self {
            // Materialized: PostgreSQL may otherwise re-run a LIMIT subquery inside
            // IN (...) and lease more rows than asked for. The rows picked are
            // locked and re-checked by FOR UPDATE, so the UPDATE joins on the key
            // alone (no other condition that could steer it to another index).
            Backend::Postgres => format!(
                "WITH picked AS MATERIALIZED ({candidates} FOR UPDATE SKIP LOCKED) \
                 UPDATE webhook_deliveries SET lease_until = $1, leased_by = $5 FROM picked \
                 WHERE webhook_deliveries.id = picked.id RETURNING {returning}"
            ),
            Backend::Sqlite => {
                format!("UPDATE webhook_deliveries SET lease_until = $1, leased_by = $5 WHERE id IN ({candidates}) RETURNING {returning}")
            }
        }
    }

    /// Extends instance `$2`'s leases of the deliveries `ids` (a subquery
    /// answering their ids) until `$1`.
    pub fn extend_leases(self, ids: &str) -> String {
        match self {
            // Rows the recorder is writing are skipped, not waited for: they are
            // being settled, and waiting would let the others' leases lapse.
            Backend::Postgres => format!(
                "UPDATE webhook_deliveries SET lease_until = $1 WHERE id IN \
                 (SELECT id FROM webhook_deliveries WHERE leased_by = $2 AND id IN ({ids}) FOR UPDATE SKIP LOCKED)"
            ),
            Backend::Sqlite => {
                format!("UPDATE webhook_deliveries SET lease_until = $1 WHERE leased_by = $2 AND id IN ({ids})")
            }
        }
    }

    /// `VOUCHER_PUBLISHED` to the fans of merchant `$5` after user `$10` up to
    /// user `$11` who may see voucher `$3` (`fans_can_see`, a condition on `u`
    /// and `v`), in one statement: ids `$1` + their position (`$9` + the row
    /// number), feed positions `$12` + the row number (the caller holds the
    /// sequencer), the envelope built by the database (`$2` the time as text,
    /// `$4` title, `$6` merchant name, `$7` value type, `$8` the time). Changes
    /// one row per fan.
    pub fn fan_out_voucher_published(self, fans_can_see: &str) -> String {
        let fans = format!(
            "SELECT u.partner_id, u.id AS user_id, u.external_user_id, row_number() OVER (ORDER BY u.id) AS r \
             FROM favorites f JOIN users u ON u.id = f.user_id JOIN vouchers v ON v.id = $3 \
             WHERE f.merchant_id = $5 AND f.user_id > $10 AND f.user_id <= $11 AND u.erased_at IS NULL AND {fans_can_see}"
        );
        match self {
            Backend::Sqlite => format!(
                "INSERT INTO events (id, partner_id, type, user_id, payload, created_at, seq) \
                 SELECT $1 || printf('%012x', $9 + r), partner_id, 'VOUCHER_PUBLISHED', user_id, \
                   json_object('id', $1 || printf('%012x', $9 + r), 'type', 'VOUCHER_PUBLISHED', 'createdAt', $2, 'data', \
                     json_object('userId', user_id, 'externalUserId', external_user_id, 'voucherId', $3, 'voucherTitle', $4, \
                       'merchantId', $5, 'merchantName', $6, 'valueType', $7)), $8, $12 + r \
                 FROM ({fans}) fans"
            ),
            Backend::Postgres => format!(
                "INSERT INTO events (id, partner_id, type, user_id, payload, created_at, seq) \
                 SELECT $1 || lpad(to_hex($9 + r), 12, '0'), partner_id, 'VOUCHER_PUBLISHED', user_id, \
                   json_build_object('id', $1 || lpad(to_hex($9 + r), 12, '0'), 'type', 'VOUCHER_PUBLISHED', 'createdAt', $2::text, 'data', \
                     json_build_object('userId', user_id, 'externalUserId', external_user_id, 'voucherId', $3::text, \
                       'voucherTitle', $4::text, 'merchantId', $5::text, 'merchantName', $6::text, 'valueType', $7::text))::text, $8, $12 + r \
                 FROM ({fans}) fans"
            ),
        }
    }

    /// A JSON array of objects bound as one parameter (`param`, e.g. `$2`) read
    /// as a table with `columns` (name and SQL type: `TEXT` or `BIGINT`; each
    /// object's keys are the names). A batch is one parameter and one
    /// statement text, whatever its size: SQLite looks a parameter up by a
    /// linear scan, so a statement of thousands of `$n` costs the writer
    /// quadratic time to bind, and every row count would be a statement to
    /// prepare. SQLite reads the array with `jsonb_each`, whose rows are
    /// binary JSON that `->>` reads as is; `json_each` gave each row as text
    /// that every `->>` parsed again (measured: 0.36× the time to read a
    /// 7-column batch; see README "Benchmarks").
    pub fn json_rows(self, param: &str, columns: &[(&str, &str)]) -> String {
        match self {
            Backend::Sqlite => {
                let cells: Vec<String> = columns.iter().map(|(name, _)| format!("value ->> '{name}' AS {name}")).collect();
                format!("(SELECT {} FROM jsonb_each({param}))", cells.join(", "))
            }
            Backend::Postgres => {
                let cells: Vec<String> = columns.iter().map(|(name, kind)| format!("{name} {kind}")).collect();
                format!("(SELECT * FROM jsonb_to_recordset({param}::jsonb) AS r ({}))", cells.join(", "))
            }
        }
    }

    /// The oldest fan-out job, locked on PostgreSQL (instances expand
    /// different jobs; one job's batches are written one at a time).
    pub fn pick_fanout_job(self) -> &'static str {
        match self {
            Backend::Postgres => {
                "SELECT id, voucher_id, id_prefix, voucher_title, merchant_id, merchant_name, value_type, published_at, after_user_id, written \
                 FROM fanout_jobs ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
            Backend::Sqlite => {
                "SELECT id, voucher_id, id_prefix, voucher_title, merchant_id, merchant_name, value_type, published_at, after_user_id, written \
                 FROM fanout_jobs ORDER BY created_at, id LIMIT 1"
            }
        }
    }

    /// A redemption whose code is known before writing (static or
    /// generated): SQLite's script changes 3 rows; PostgreSQL's statement
    /// inserts its 1 event. A claim redeemed already changes none.
    pub fn redemption_at_once(self) -> AtOnce {
        match self {
            Backend::Sqlite => AtOnce { sql: REDEMPTION_AT_ONCE, whole: 3 },
            Backend::Postgres => AtOnce { sql: REDEMPTION_AT_ONCE_PG, whole: 1 },
        }
    }

    /// Makes the event sequencer one at a time (see `events::sequence`):
    /// PostgreSQL's transaction-scoped advisory lock; SQLite's single writer
    /// needs none.
    /// Answers true once held (`wait`), or whether it was free (not `wait`).
    pub fn sequencer_lock(self, wait: bool) -> Option<&'static str> {
        match (self, wait) {
            // The key: the first 8 bytes of "tessera.events.seq", as a number.
            (Backend::Postgres, true) => Some("SELECT true FROM pg_advisory_xact_lock(8387229339587626035)"),
            (Backend::Postgres, false) => Some("SELECT pg_try_advisory_xact_lock(8387229339587626035)"),
            (Backend::Sqlite, _) => None,
        }
    }

    /// Gives a free pool code of voucher $2 to claim $1. PostgreSQL skips rows
    /// another transaction is taking, so concurrent claims do not queue on one
    /// code; SQLite has one writer at a time, so the plain subquery is exact.
    pub fn reserve_pool_code(self) -> &'static str {
        match self {
            Backend::Postgres => {
                "UPDATE voucher_codes SET claim_id = $1 WHERE id = (SELECT id FROM voucher_codes \
                 WHERE voucher_id = $2 AND claim_id IS NULL AND order_id IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
            }
            Backend::Sqlite => {
                "UPDATE voucher_codes SET claim_id = $1 WHERE id = (SELECT id FROM voucher_codes \
                 WHERE voucher_id = $2 AND claim_id IS NULL AND order_id IS NULL ORDER BY id LIMIT 1)"
            }
        }
    }
}

impl Backend {
    /// Sells a free pool code of voucher $2 to order $1 (as [`Backend::reserve_pool_code`]
    /// gives one to a claim): one row changed, or none when every code is taken.
    pub fn sell_pool_code(self) -> &'static str {
        match self {
            Backend::Postgres => {
                "UPDATE voucher_codes SET order_id = $1 WHERE order_id IS NULL AND claim_id IS NULL AND id = (SELECT id FROM voucher_codes \
                 WHERE voucher_id = $2 AND claim_id IS NULL AND order_id IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
            }
            Backend::Sqlite => {
                "UPDATE voucher_codes SET order_id = $1 WHERE order_id IS NULL AND claim_id IS NULL AND id = (SELECT id FROM voucher_codes \
                 WHERE voucher_id = $2 AND claim_id IS NULL AND order_id IS NULL ORDER BY id LIMIT 1)"
            }
        }
    }
}

/// A nullable float as two parameters, `(present, value)`, for SQL of the form
/// `CASE WHEN $n = 1 THEN $m END`.
///
/// Why: sqlx 0.9's `Any` driver binds a NULL `f64` as a PostgreSQL `float4`
/// (`AnyValueKind::Null(Double)` maps to `f32`), and the statement cached with
/// that type then rejects the next non-NULL `float8` ("incorrect binary data
/// format"). Binding a real `f64` every time keeps the parameter's type fixed.
pub fn nullable_f64(v: Option<f64>) -> (i64, f64) {
    match v {
        Some(x) => (1, x),
        None => (0, 0.0),
    }
}
