//! Demo data so a newcomer's first start shows a living catalog: a sandbox
//! partner, merchants with outlets around Kuala Lumpur, a dozen vouchers and a
//! demo user. Idempotent: fixed ids, inserted only when absent.

use crate::{
    clock::now_ms,
    db::Db,
    error::ApiError,
    partners::{self, NewPartner, Partner},
    types::{ExternalUserId, PartnerId},
    users::{self, UserUpsert},
};

pub const PARTNER_ID: &str = "demo";
pub const USER_ID: &str = "demo-user";

const MERCHANTS: &[(&str, &str, &str)] = &[
    ("0195f0a0-0000-7000-8000-000000000001", "Kopi Kita", "Coffee and kaya toast since 1962."),
    ("0195f0a0-0000-7000-8000-000000000002", "Nasi Lemak Corner", "Coconut rice, sambal, and everything on the side."),
    ("0195f0a0-0000-7000-8000-000000000003", "Bloom Florist", "Hand-tied bouquets for every occasion."),
    ("0195f0a0-0000-7000-8000-000000000004", "Batik Lane", "Hand-drawn batik from Kelantan and Terengganu."),
    ("0195f0a0-0000-7000-8000-000000000005", "Roti Bakar Co", "Charcoal-toasted bread, half-boiled eggs."),
];

/// (id, merchant index, name, lat/lng, radius m)
type DemoOutlet = (&'static str, usize, &'static str, Option<(f64, f64)>, i64);
const OUTLETS: &[DemoOutlet] = &[
    ("0195f0a2-0000-7000-8000-000000000001", 0, "Kopi Kita — KLCC", Some((3.1579, 101.7123)), 150),
    ("0195f0a2-0000-7000-8000-000000000002", 0, "Kopi Kita — Bukit Bintang", Some((3.1466, 101.7101)), 150),
    ("0195f0a2-0000-7000-8000-000000000003", 1, "Nasi Lemak Corner — Chinatown", Some((3.1435, 101.6976)), 200),
    ("0195f0a2-0000-7000-8000-000000000004", 2, "Bloom Florist — Bangsar", Some((3.1300, 101.6710)), 150),
    ("0195f0a2-0000-7000-8000-000000000005", 3, "Batik Lane — Central Market", Some((3.1455, 101.6955)), 150),
    ("0195f0a2-0000-7000-8000-000000000006", 4, "Roti Bakar Co — Mid Valley", Some((3.1177, 101.6776)), 250),
    ("0195f0a2-0000-7000-8000-000000000007", 4, "Roti Bakar Co — Market Kiosk", None, 150),
];

/// (id, merchant index, title, description, value type, value, stock)
type DemoVoucher = (&'static str, usize, &'static str, &'static str, Option<&'static str>, Option<i64>, Option<i64>);
const VOUCHERS: &[DemoVoucher] = &[
    (
        "0195f0a1-0000-7000-8000-000000000001",
        0,
        "{b}Free{/b} iced kopi with any breakfast set",
        "One iced kopi on the house with any breakfast set, before 11am.",
        Some("FREE_ITEM"),
        None,
        None,
    ),
    (
        "0195f0a1-0000-7000-8000-000000000002",
        0,
        "{r}20% off{/r} all pastries",
        "Twenty percent off every pastry in the display.",
        Some("PERCENT"),
        Some(20),
        None,
    ),
    (
        "0195f0a1-0000-7000-8000-000000000003",
        1,
        "Nasi lemak set {b}{r}RM8{/r}{/b} {s}RM12{/s}",
        "The full set with fried chicken for RM8.",
        Some("FIXED"),
        Some(400),
        Some(500),
    ),
    (
        "0195f0a1-0000-7000-8000-000000000004",
        1,
        "Buy one teh tarik, {b}get one free{/b}",
        "Bring a friend: the second teh tarik is free.",
        Some("BOGO"),
        None,
        None,
    ),
    (
        "0195f0a1-0000-7000-8000-000000000005",
        2,
        "RM15 off a hand-tied bouquet",
        "Any bouquet above RM60.",
        Some("FIXED"),
        Some(1500),
        Some(50),
    ),
    ("0195f0a1-0000-7000-8000-000000000006", 2, "A free greeting card", "With any purchase, while stocks last.", None, None, Some(200)),
    (
        "0195f0a1-0000-7000-8000-000000000007",
        3,
        "{r}30% off{/r} silk batik scarves",
        "Every hand-drawn silk scarf.",
        Some("PERCENT"),
        Some(30),
        Some(100),
    ),
    (
        "0195f0a1-0000-7000-8000-000000000008",
        3,
        "Batik workshop {b}RM45{/b} {s}RM60{/s}",
        "A two-hour workshop, materials included.",
        Some("FIXED"),
        Some(1500),
        Some(20),
    ),
    ("0195f0a1-0000-7000-8000-000000000009", 3, "Free gift wrapping", "On any purchase, in batik paper.", Some("FREE_ITEM"), None, None),
    (
        "0195f0a1-0000-7000-8000-000000000010",
        4,
        "{b}Half-boiled eggs{/b} on us",
        "Two half-boiled eggs with any roti bakar.",
        Some("FREE_ITEM"),
        None,
        None,
    ),
    ("0195f0a1-0000-7000-8000-000000000011", 4, "Roti bakar {r}buy 2 get 1{/r}", "The third slice is free.", Some("BOGO"), None, None),
    ("0195f0a1-0000-7000-8000-000000000012", 4, "RM5 off orders above RM25", "Dine in or take away.", Some("FIXED"), Some(500), Some(300)),
];

/// The sandbox's test brand (seed 001's staging test brands): vouchers that
/// behave deterministically, for the sandbox's users only (cohort `sandbox`,
/// which the sandbox SSO gives its users). (id, title, description, coin
/// cost, stock, valid until in the past)
pub const TEST_MERCHANT: (&str, &str, &str) = (
    "0195f0a0-0000-7000-8000-0000000000f0",
    "Test Brand (sandbox)",
    "Vouchers that behave the same every time, for testing an integration.",
);
pub const TEST_OUTLET: (&str, &str) = ("0195f0a2-0000-7000-8000-0000000000f0", "Test outlet (no coordinates)");
pub type TestVoucher = (&'static str, &'static str, &'static str, Option<i64>, Option<i64>, bool);
pub const TEST_VOUCHERS: &[TestVoucher] = &[
    (
        "0195f0a1-0000-7000-8000-0000000000f1",
        "Test: always succeeds",
        "Claim and redeem: always works (the outlet has no coordinates).",
        None,
        None,
        false,
    ),
    (
        "0195f0a1-0000-7000-8000-0000000000f2",
        "Test: {b}50 coins{/b}",
        "Costs 50 coins from the sandbox ledger (every user starts with 1000).",
        Some(50),
        None,
        false,
    ),
    (
        "0195f0a1-0000-7000-8000-0000000000f3",
        "Test: coin debit refused",
        "Costs 999 coins: the sandbox ledger refuses the debit (402 insufficient_coins).",
        Some(crate::sandbox::REFUSED_COST),
        None,
        false,
    ),
    (
        "0195f0a1-0000-7000-8000-0000000000f4",
        "Test: coin debit times out",
        "Costs 777 coins: the ledger answers too late, so the debit is reversed (503 ledger_unavailable).",
        Some(crate::sandbox::SLOW_COST),
        None,
        false,
    ),
    ("0195f0a1-0000-7000-8000-0000000000f5", "Test: out of stock", "No units left (409 out_of_stock).", None, Some(0), false),
    ("0195f0a1-0000-7000-8000-0000000000f6", "Test: expired", "Its validity ended (410 voucher_expired).", None, None, true),
];

/// The sandbox's gift cards (seed 001's staging test brands), bought through
/// the sandbox provider, for the sandbox's users only (cohort `sandbox`).
pub struct TestGiftCard {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub price: crate::orders::Price,
    /// `sandbox` issues a card with a PIN; `sandbox-failing` never can (refunded).
    pub supplier: &'static str,
}

/// Succeeds (5 % off, fixed amounts); generation fails; no discount (any whole
/// rupee: ₹813 is the amount the sandbox declines).
pub fn test_gift_cards() -> Vec<TestGiftCard> {
    use crate::{
        money::Currency,
        orders::{Price, PriceModel},
    };
    let inr = |model, discount_bps| Price { currency: Currency::INR, model, discount_bps };
    vec![
        TestGiftCard {
            id: "0195f0a1-0000-7000-8000-0000000000f7",
            title: "Test gift card: {b}5% off{/b}",
            description: "Bought with the sandbox provider: the payment succeeds and the card is issued with a PIN.",
            price: inr(PriceModel::Denominations { values: vec![10_000, 25_000, 50_000, 100_000] }, 500),
            supplier: crate::orders::supplier::SANDBOX,
        },
        TestGiftCard {
            id: "0195f0a1-0000-7000-8000-0000000000f8",
            title: "Test gift card: generation fails",
            description: "The payment succeeds, the card cannot be issued: the payment is refunded (ORDER_FAILED).",
            price: inr(PriceModel::Range { min: 10_000, max: 500_000, step: 5_000 }, 300),
            supplier: crate::orders::supplier::FAILING,
        },
        TestGiftCard {
            id: "0195f0a1-0000-7000-8000-0000000000f9",
            title: "Test gift card: no discount",
            description: "Any whole amount from ₹10 to ₹10,000 at no discount. ₹813 is declined at payment: no money is taken.",
            price: inr(PriceModel::Range { min: 1_000, max: 1_000_000, step: 100 }, 0),
            supplier: crate::orders::supplier::SANDBOX,
        },
    ]
}

/// What `seed` did.
pub struct Seeded {
    pub rows_added: u64,
    pub partner: Partner,
    /// Present only when the demo partner was created by this call.
    pub new_credentials: Option<partners::PartnerCredentials>,
}

/// A test voucher is for the sandbox's users only (cohort `sandbox`).
async fn for_sandbox_users(tx: &mut sqlx::AnyConnection, voucher_id: &str) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO voucher_cohorts (voucher_id, cohort) VALUES ($1, $2)")
        .bind(voucher_id)
        .bind(crate::sandbox::COHORT)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn seed_test_brand(tx: &mut sqlx::AnyConnection, now: i64) -> Result<u64, ApiError> {
    let (id, name, description) = TEST_MERCHANT;
    let mut added = sqlx::query(
        "INSERT INTO merchants (id, name, description, status, created_at, updated_at) VALUES ($1, $2, $3, 'active', $4, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(name)
    .bind(description)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    added += sqlx::query(
        "INSERT INTO outlets (id, merchant_id, name, radius_m, created_at, updated_at) VALUES ($1, $2, $3, 150, $4, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(TEST_OUTLET.0)
    .bind(id)
    .bind(TEST_OUTLET.1)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    for (voucher, title, description, cost, stock, expired) in TEST_VOUCHERS {
        let valid_until = expired.then_some(now - 24 * 3600 * 1000);
        let new = sqlx::query(
            "INSERT INTO vouchers (id, merchant_id, title, description, total_stock, coin_cost, valid_until, code_source, static_code, \
             status, created_at, updated_at, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'static', 'SANDBOX-OK', 'published', $8, $8, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(*voucher)
        .bind(id)
        .bind(*title)
        .bind(*description)
        .bind(*stock)
        .bind(*cost)
        .bind(valid_until)
        .bind(now - 1_000_000)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if new > 0 {
            for_sandbox_users(tx, voucher).await?;
        }
        added += new;
    }
    for card in test_gift_cards() {
        let new = sqlx::query(
            "INSERT INTO vouchers (id, merchant_id, title, description, code_source, price, supplier, \
             status, created_at, updated_at, published_at) \
             VALUES ($1, $2, $3, $4, 'generated', $5, $6, 'published', $7, $7, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(card.id)
        .bind(id)
        .bind(card.title)
        .bind(card.description)
        .bind(&card.price)
        .bind(card.supplier)
        .bind(now - 1_000_000)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if new > 0 {
            for_sandbox_users(tx, card.id).await?;
        }
        added += new;
    }
    Ok(added)
}

pub async fn seed(p: &crate::Platform) -> Result<Seeded, ApiError> {
    let db = &p.db;
    let now = now_ms();
    let mut added = 0;
    let mut tx = db.begin_write().await?;
    for (id, name, description) in MERCHANTS {
        added += sqlx::query(
            "INSERT INTO merchants (id, name, description, status, created_at, updated_at) VALUES ($1, $2, $3, 'active', $4, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(*id)
        .bind(*name)
        .bind(*description)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    for (id, merchant, name, point, radius) in OUTLETS {
        added += sqlx::query(
            "INSERT INTO outlets (id, merchant_id, name, lat, lng, radius_m, created_at, updated_at) \
             VALUES ($1, $2, $3, CASE WHEN $4 = 1 THEN $5 END, CASE WHEN $4 = 1 THEN $6 END, $7, $8, $8) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(*id)
        .bind(MERCHANTS[*merchant].0)
        .bind(*name)
        .bind(i64::from(point.is_some()))
        .bind(point.map_or(0.0, |p| p.0))
        .bind(point.map_or(0.0, |p| p.1))
        .bind(*radius)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    for (i, (id, merchant, title, description, value_type, value, stock)) in VOUCHERS.iter().enumerate() {
        added += sqlx::query(
            "INSERT INTO vouchers (id, merchant_id, title, description, value_type, value_amount, currency, total_stock, \
             status, created_at, updated_at, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'MYR', $7, 'published', $8, $8, $9) ON CONFLICT (id) DO NOTHING",
        )
        .bind(*id)
        .bind(MERCHANTS[*merchant].0)
        .bind(*title)
        .bind(*description)
        .bind(*value_type)
        .bind(*value)
        .bind(*stock)
        .bind(now)
        .bind(now - i as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    added += seed_test_brand(&mut tx, now).await?;
    tx.commit().await?;
    seed_pictures(db).await?;

    let partner_id = PartnerId::new(PARTNER_ID);
    let new_credentials = match partners::find(db, &partner_id).await? {
        Some(_) => None,
        None => {
            let new =
                NewPartner { id: Some(PARTNER_ID.into()), name: "Demo partner (sandbox)".into(), allowed_origins: vec![], sandbox: true };
            added += 1;
            let credentials = partners::create(db, new).await?.1;
            // The demo catalog's merchants are in Kuala Lumpur: so are its times.
            let settings = crate::webview::WebviewSettings {
                default_locale: Some(crate::locale::Locale::En),
                time_zone: Some("Asia/Kuala_Lumpur".into()),
                support_email: Some("help@demo-partner.example".into()),
                support_url: None,
                help_text: Some("This is the demo partner's help. Your app's own support team answers here.".into()),
            };
            crate::partners::set_webview_settings(p, &partner_id, &settings).await?;
            // Its coin (seed 001: 20×20), beside every balance.
            let coin = crate::images::upload(db, crate::images::Kind::Coin, &crate::images::sample_png(60, 60, [212, 160, 23])).await?;
            let theme = crate::theme::Theme { coin_image_id: Some(coin.image_id), ..Default::default() };
            crate::partners::set_theme(p, &partner_id, &theme).await?;
            Some(credentials)
        }
    };
    let (_, created) = users::upsert(
        db,
        &partner_id,
        &UserUpsert {
            external_user_id: ExternalUserId::new(USER_ID),
            first_name: crate::patch::Patch::Value("Dee".into()),
            last_name: crate::patch::Patch::Value("Mo".into()),
            locale: crate::patch::Patch::Value("en-MY".into()),
            // Sees the sandbox's test brand too.
            cohorts: crate::patch::Patch::Value(vec![crate::sandbox::COHORT.into()]),
            ..UserUpsert::default()
        },
    )
    .await?;
    added += u64::from(created);
    Ok(Seeded { rows_added: added, partner: partners::get(db, &partner_id).await?, new_credentials })
}

/// Each demo merchant's colour: its logo, and its vouchers' pictures a shade of it.
const COLOURS: [[u8; 3]; 5] = [[120, 72, 40], [22, 120, 84], [190, 60, 110], [40, 70, 150], [170, 110, 20]];

/// Pictures for the demo catalog (a store shows pictures): a logo and a cover
/// for each merchant and a 16:9 picture for each voucher, through the same upload
/// checks as an operator's. Only where none is set; the same bytes are the
/// same image, so a second run adds nothing.
async fn seed_pictures(db: &Db) -> Result<(), ApiError> {
    use crate::images::{Kind, sample_png, upload};
    for (i, (id, ..)) in MERCHANTS.iter().enumerate() {
        let [r, g, b] = COLOURS[i % COLOURS.len()];
        let logo = upload(db, Kind::Logo, &sample_png(168, 168, [r, g, b])).await?;
        let cover = upload(db, Kind::Voucher, &sample_png(706, 397, [r / 2, g / 2, b / 2])).await?;
        sqlx::query(
            "UPDATE merchants SET logo_image_id = COALESCE(logo_image_id, $2), cover_image_id = COALESCE(cover_image_id, $3) \
             WHERE id = $1",
        )
        .bind(*id)
        .bind(&logo.image_id)
        .bind(&cover.image_id)
        .execute(db.write_pool())
        .await?;
    }
    for (n, (id, merchant, ..)) in VOUCHERS.iter().enumerate() {
        let [r, g, b] = COLOURS[*merchant % COLOURS.len()];
        let shade = (n as u8 % 3) * 18;
        let picture = upload(db, Kind::Voucher, &sample_png(706, 397, [r.saturating_add(shade), g.saturating_add(shade), b])).await?;
        sqlx::query("UPDATE vouchers SET image_id = $2 WHERE id = $1 AND image_id IS NULL")
            .bind(*id)
            .bind(&picture.image_id)
            .execute(db.write_pool())
            .await?;
    }
    Ok(())
}
