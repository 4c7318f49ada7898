//! The voucher catalog as end users browse it.

use serde::{Deserialize, Serialize};

/// What kind of value a voucher gives; informational, shown as a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueType {
    FreeItem,
    Percent,
    Fixed,
    Bogo,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::FreeItem => "FREE_ITEM",
            ValueType::Percent => "PERCENT",
            ValueType::Fixed => "FIXED",
            ValueType::Bogo => "BOGO",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::FreeItem, Self::Percent, Self::Fixed, Self::Bogo].into_iter().find(|v| v.as_str() == s)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            ValueType::FreeItem => "Free item",
            ValueType::Percent => "Percent off",
            ValueType::Fixed => "Money off",
            ValueType::Bogo => "Buy one, get one",
        }
    }
}

/// A published voucher as a card in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherCard {
    pub id: String,
    pub merchant_id: String,
    pub merchant_name: String,
    /// With `{b}{r}{s}` markup; see [`crate::markup`].
    pub title: String,
    pub description: String,
    pub value_type: Option<ValueType>,
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::{db::Db, error::ApiError};

    #[derive(sqlx::FromRow)]
    struct CardRow {
        id: String,
        merchant_id: String,
        merchant_name: String,
        title: String,
        description: String,
        value_type: Option<String>,
    }

    impl From<CardRow> for VoucherCard {
        fn from(r: CardRow) -> Self {
            VoucherCard {
                id: r.id,
                merchant_id: r.merchant_id,
                merchant_name: r.merchant_name,
                title: r.title,
                description: r.description,
                value_type: r.value_type.as_deref().and_then(ValueType::parse),
            }
        }
    }

    /// Every published voucher, newest first.
    pub async fn published_vouchers(db: &Db) -> Result<Vec<VoucherCard>, ApiError> {
        let rows: Vec<CardRow> = sqlx::query_as(
            "SELECT v.id, v.merchant_id, m.name AS merchant_name, v.title, v.description, v.value_type \
             FROM vouchers v JOIN merchants m ON m.id = v.merchant_id \
             WHERE v.status = 'published' \
             ORDER BY v.published_at DESC, v.id",
        )
        .fetch_all(db.pool())
        .await?;
        Ok(rows.into_iter().map(VoucherCard::from).collect())
    }
}
