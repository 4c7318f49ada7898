//! A voucher published to its merchant's fans: one `VOUCHER_PUBLISHED` event
//! per fan who may see it, however many fans there are.
//!
//! The publish's transaction counts the fans, records a fan-out job and writes
//! the first [`FIRST_BATCH`] events; the rest are written [`BATCH`] fans per
//! transaction by [`expand`] (a background job of `tessera serve`), each batch
//! moving the job's cursor in the same transaction. So the publish answers in
//! about the same time for 10 or 10⁶ fans and holds no lock for long, and the
//! fan-out is still one decision: once the publish commits every fan's event
//! will be written exactly once, across crashes and instances (a batch and its
//! cursor commit together; PostgreSQL instances lock the job they expand).
//! A batch holds the event sequencer while it writes: its events get their
//! feed positions and their webhook deliveries as they are inserted, so no
//! event row is written a second time (the cost that led at a million fans).
//!
//! Events carry the publish's time and the voucher's title and merchant as
//! they were at publishing. The fans are those the merchant has when each
//! batch is written: a fan who leaves in the seconds a million-fan fan-out
//! takes may miss it, one who arrives may get it.

use crate::{clock::to_rfc3339, db::Db, error::ApiError, ids::new_id};

/// Fans written per transaction.
pub const BATCH: i64 = 5_000;

/// Fans written by the publish's own transaction: the first come at once, and
/// the publish call stays short (on PostgreSQL a batch of [`BATCH`] events
/// and their deliveries took 0.5 s more, measured — close to the 1 s goal
/// with the count of a million favourites).
pub const FIRST_BATCH: i64 = 1_000;

/// A fan-out still being written.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Job {
    id: String,
    voucher_id: String,
    id_prefix: String,
    voucher_title: String,
    merchant_id: String,
    merchant_name: String,
    value_type: Option<String>,
    published_at: i64,
    after_user_id: String,
    written: i64,
}

/// Inside the publish's transaction (the voucher just became published):
/// counts the fans of its merchant who may see it, writes the first batch of
/// their events and leaves a job for the rest. Answers how many fans.
pub(crate) async fn start(
    tx: &mut sqlx::AnyConnection,
    backend: crate::config::Backend,
    voucher_id: &str,
    now: i64,
) -> Result<u64, ApiError> {
    let (title, merchant_id, merchant_name, value_type): (String, String, String, Option<String>) = sqlx::query_as(
        "SELECT v.title, v.merchant_id, m.name, v.value_type FROM vouchers v JOIN merchants m ON m.id = v.merchant_id WHERE v.id = $1",
    )
    .bind(voucher_id)
    .fetch_one(&mut *tx)
    .await?;
    // Without cohorts every fan may see it (if anyone may): count the merchant's
    // favourites through their index alone (an erased user's are deleted with them).
    let (open_to_all, cohorts): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CASE WHEN {} THEN 1 ELSE 0 END, (SELECT COUNT(*) FROM voucher_cohorts vc WHERE vc.voucher_id = v.id) \
         FROM vouchers v JOIN merchants m ON m.id = v.merchant_id WHERE v.id = $1",
        crate::catalog::server::visible_to("NULL", "NULL")
    )))
    .bind(voucher_id)
    .fetch_one(&mut *tx)
    .await?;
    let (fans,): (i64,) = match (cohorts, open_to_all) {
        (0, 0) => (0,),
        (0, _) => sqlx::query_as("SELECT COUNT(*) FROM favorites WHERE merchant_id = $1").bind(&merchant_id).fetch_one(&mut *tx).await?,
        _ => {
            let count = format!(
                "SELECT COUNT(*) FROM favorites f JOIN users u ON u.id = f.user_id JOIN vouchers v ON v.id = $1 \
                 JOIN merchants m ON m.id = v.merchant_id WHERE f.merchant_id = $2 AND u.erased_at IS NULL AND {}",
                crate::catalog::server::visible_to("u.id", "NULL")
            );
            sqlx::query_as(sqlx::AssertSqlSafe(count)).bind(voucher_id).bind(&merchant_id).fetch_one(&mut *tx).await?
        }
    };
    if fans == 0 {
        return Ok(0);
    }
    // Ids share a fresh UUIDv7 prefix and end in the fan's position, so they
    // sort after every earlier event and among themselves.
    let job = Job {
        id: new_id(),
        voucher_id: voucher_id.to_string(),
        id_prefix: new_id()[..24].to_string(),
        voucher_title: title,
        merchant_id,
        merchant_name,
        value_type,
        published_at: now,
        after_user_id: String::new(),
        written: 0,
    };
    sqlx::query(
        "INSERT INTO fanout_jobs (id, voucher_id, id_prefix, voucher_title, merchant_id, merchant_name, value_type, published_at, \
         after_user_id, written, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8)",
    )
    .bind(&job.id)
    .bind(&job.voucher_id)
    .bind(&job.id_prefix)
    .bind(&job.voucher_title)
    .bind(&job.merchant_id)
    .bind(&job.merchant_name)
    .bind(&job.value_type)
    .bind(job.published_at)
    .bind(&job.after_user_id)
    .bind(job.written)
    .execute(&mut *tx)
    .await?;
    write_batch(tx, backend, &job, FIRST_BATCH).await?;
    Ok(fans as u64)
}

/// Writes the next batch of the oldest fan-out job (see the module docs);
/// answers how many fans' events it wrote (0: no job waits).
pub async fn expand(db: &Db) -> Result<u64, ApiError> {
    let backend = db.backend();
    db.write(move |tx| {
        Box::pin(async move {
            let job: Option<Job> = sqlx::query_as(backend.pick_fanout_job()).fetch_optional(&mut *tx).await?;
            match job {
                Some(job) => write_batch(tx, backend, &job, BATCH).await,
                None => Ok(0),
            }
        })
    })
    .await
}

/// The events of the job's next `size` fans, and the job moved past them
/// (deleted after its last fans), in the caller's transaction.
async fn write_batch(tx: &mut sqlx::AnyConnection, backend: crate::config::Backend, job: &Job, size: i64) -> Result<u64, ApiError> {
    let (last,): (Option<String>,) = sqlx::query_as(
        "SELECT MAX(user_id) FROM (SELECT user_id FROM favorites WHERE merchant_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3) AS batch",
    )
    .bind(&job.merchant_id)
    .bind(&job.after_user_id)
    .bind(size)
    .fetch_one(&mut *tx)
    .await?;
    let Some(last) = last else {
        sqlx::query("DELETE FROM fanout_jobs WHERE id = $1").bind(&job.id).execute(&mut *tx).await?;
        return Ok(0);
    };
    // Positioned in the feed as they are written (the sequencer held until
    // this transaction ends), and their deliveries made: each event row is
    // written once.
    let seq = crate::events::hold_sequencer(tx, backend, true).await?.expect("a waiting sequencer is always held");
    let sql = backend.fan_out_voucher_published(&crate::catalog::server::open_to("u.id", "NULL"));
    let written = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&job.id_prefix)
        .bind(to_rfc3339(job.published_at))
        .bind(&job.voucher_id)
        .bind(&job.voucher_title)
        .bind(&job.merchant_id)
        .bind(&job.merchant_name)
        .bind(&job.value_type)
        .bind(job.published_at)
        .bind(job.written)
        .bind(&job.after_user_id)
        .bind(&last)
        .bind(seq)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if written > 0 {
        crate::webhooks::queue::dispatch_sequenced(tx, seq, seq + written as i64, crate::clock::now_ms()).await?;
    }
    sqlx::query("UPDATE fanout_jobs SET after_user_id = $2, written = written + $3 WHERE id = $1")
        .bind(&job.id)
        .bind(&last)
        .bind(written as i64)
        .execute(&mut *tx)
        .await?;
    // An empty batch (every fan in it hidden from the voucher) still moves the
    // cursor: answer at least 1 so the caller goes on.
    Ok(written.max(1))
}
