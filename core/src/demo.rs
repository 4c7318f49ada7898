//! Demo data so a newcomer's first start shows a living catalog. Idempotent:
//! fixed ids, inserted only when absent.

use crate::{clock::now_ms, db::Db};

const MERCHANTS: &[(&str, &str)] = &[
    ("0195f0a0-0000-7000-8000-000000000001", "Kopi Kita"),
    ("0195f0a0-0000-7000-8000-000000000002", "Nasi Lemak Corner"),
    ("0195f0a0-0000-7000-8000-000000000003", "Bloom Florist"),
];

/// (id, merchant index, title, description, value type)
const VOUCHERS: &[(&str, usize, &str, &str, Option<&str>)] = &[
    ("0195f0a1-0000-7000-8000-000000000001", 0, "{b}Free{/b} iced kopi with any breakfast set", "One iced kopi on the house with any breakfast set, before 11am.", Some("FREE_ITEM")),
    ("0195f0a1-0000-7000-8000-000000000002", 0, "{r}20% off{/r} all pastries", "Twenty percent off every pastry in the display.", Some("PERCENT")),
    ("0195f0a1-0000-7000-8000-000000000003", 1, "Nasi lemak set {b}{r}RM8{/r}{/b} {s}RM12{/s}", "The full set with fried chicken for RM8.", Some("FIXED")),
    ("0195f0a1-0000-7000-8000-000000000004", 1, "Buy one teh tarik, {b}get one free{/b}", "Bring a friend: the second teh tarik is free.", Some("BOGO")),
    ("0195f0a1-0000-7000-8000-000000000005", 2, "RM15 off a hand-tied bouquet", "Any bouquet above RM60.", Some("FIXED")),
    ("0195f0a1-0000-7000-8000-000000000006", 2, "A free greeting card", "With any purchase, while stocks last.", None),
];

/// Inserts the demo merchants and vouchers that are missing; returns how many rows it added.
pub async fn seed(db: &Db) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    let mut added = 0;
    for (id, name) in MERCHANTS {
        added += sqlx::query("INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
            .bind(*id)
            .bind(*name)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    for (i, (id, merchant, title, description, value_type)) in VOUCHERS.iter().enumerate() {
        added += sqlx::query(
            "INSERT INTO vouchers (id, merchant_id, title, description, value_type, status, created_at, published_at) \
             VALUES ($1, $2, $3, $4, $5, 'published', $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(*id)
        .bind(MERCHANTS[*merchant].0)
        .bind(*title)
        .bind(*description)
        .bind(*value_type)
        .bind(now)
        .bind(now - i as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(added)
}
