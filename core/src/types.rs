//! Domain values as types, read from and written to the database as they are:
//! [`Timestamp`] (milliseconds in storage, RFC 3339 on the wire) and the
//! closed sets of states a column's CHECK constraint allows ([`text_enum!`]),
//! so API structs derive `FromRow` and no code compares a state as a string.

/// An enum stored as TEXT and sent as that text: its variants are exactly the
/// values the column's CHECK constraint allows. Generates `ALL`, `as_str`,
/// `parse`, `Display`, serde (as the text), the OpenAPI schema and the
/// database encoding (a value the enum does not know fails the read loudly).
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[cfg(feature = "server")]
        $crate::sql_text!($name);
    };
}

/// Declares that a type is stored as TEXT (its `Decode` and `Encode` say how).
#[macro_export]
macro_rules! sql_type_text {
    ($name:ty) => {
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }
    };
}

/// The database encoding of a type with `as_str` and `parse` (a [`text_enum!`],
/// or an enum defined where the browser build has no sqlx): TEXT, and a value
/// the type does not know fails the read loudly.
#[macro_export]
macro_rules! sql_text {
    ($name:ty) => {
        $crate::sql_type_text!($name);

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Self::parse(&text).ok_or_else(|| format!("{text:?} is not a {}", stringify!($name)).into())
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str().to_string(), buf)
            }
        }
    };
}

/// A text identifier with its own type, so a partner's id, Tessera's user id
/// and the partner's user id cannot be passed for one another. Serialised and
/// stored as the bare text; `as_str` lends it to SQL and messages.
#[macro_export]
macro_rules! id_type {
    ($name:ident, $doc:literal, $example:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "server", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_string())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        #[cfg(feature = "server")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($doc))
                    .examples([$crate::types::example($example)])
                    .into()
            }
        }

        #[cfg(feature = "server")]
        impl utoipa::ToSchema for $name {}
    };
}

/// The database encoding of a serde type kept as JSON text (a column only
/// ever written and read through that type); a value that does not parse
/// fails the read loudly.
#[macro_export]
macro_rules! sql_json {
    ($name:ty) => {
        $crate::sql_type_text!($name);

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                serde_json::from_str(&text).map_err(|e| format!("stored {}: {e}", stringify!($name)).into())
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(serde_json::to_string(self)?, buf)
            }
        }
    };
}

#[cfg(feature = "server")]
pub use server::{Scope, Timestamp};

#[cfg(feature = "server")]
#[doc(hidden)]
pub fn example(text: &str) -> serde_json::Value {
    serde_json::Value::String(text.to_string())
}

id_type!(PartnerId, "A partner's id, as `tessera partner create` printed it.", "ptn_0f4c2b9e8d7a6c5b");
id_type!(UserId, "Tessera's id for a user (`userId` in webhooks), distinct from the partner's.", "0193a5c0-7c1e-7a42-9d1b-2f6c3e8a4b10");
id_type!(ExternalUserId, "The partner's own id for its user (`externalUserId`), as the partner sent it.", "customer-1042");

#[cfg(feature = "server")]
mod server {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// An instant, in milliseconds since the Unix epoch as the database keeps it;
    /// serialised as RFC 3339 in UTC with milliseconds (`2026-12-01T10:00:00.123Z`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
    #[sqlx(transparent)]
    pub struct Timestamp(pub i64);

    impl Timestamp {
        pub fn now() -> Self {
            Timestamp(crate::clock::now_ms())
        }

        pub fn millis(self) -> i64 {
            self.0
        }

        pub fn to_rfc3339(self) -> String {
            crate::clock::to_rfc3339(self.0)
        }

        pub fn parse(rfc3339: &str) -> Option<Self> {
            crate::clock::parse_rfc3339(rfc3339).map(Timestamp)
        }
    }

    impl Serialize for Timestamp {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.to_rfc3339())
        }
    }

    impl<'de> Deserialize<'de> for Timestamp {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = String::deserialize(d)?;
            Timestamp::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time")))
        }
    }

    impl utoipa::PartialSchema for Timestamp {
        fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
            use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                .description(Some("RFC 3339, UTC, with milliseconds: 2026-12-01T10:00:00.123Z"))
                .into()
        }
    }

    impl utoipa::ToSchema for Timestamp {
        fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
            schemas.push((<Self as utoipa::ToSchema>::name().into_owned(), <Self as utoipa::PartialSchema>::schema()));
        }
    }

    /// Whose records a call may reach: the operator's (every partner's) or one
    /// partner's (another partner's records are a 404 to it, as if they did not
    /// exist). Bound in SQL as `(partner_id = $n OR $n IS NULL)` with [`Scope::partner`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Scope<'a> {
        Operator,
        Partner(&'a super::PartnerId),
    }

    impl<'a> Scope<'a> {
        /// The partner the call is confined to; `None` for the operator.
        pub fn partner(self) -> Option<&'a str> {
            match self {
                Scope::Operator => None,
                Scope::Partner(id) => Some(id.as_str()),
            }
        }
    }
}

text_enum! {
    /// Whether a merchant's vouchers are shown (`merchants.status`).
    pub enum MerchantStatus {
        Active = "active",
        Disabled = "disabled",
    }
}

text_enum! {
    /// A voucher's lifecycle (`vouchers.status`): only a draft may be published;
    /// an archived voucher is no longer listed or claimable.
    pub enum VoucherStatus {
        Draft = "draft",
        Published = "published",
        Archived = "archived",
    }
}

text_enum! {
    /// Where a voucher's redemption codes come from (`vouchers.code_source`):
    /// uploaded codes reserved at claim time, codes generated at redemption, or
    /// one code for everyone.
    pub enum CodeSource {
        Pool = "pool",
        Generated = "generated",
        Static = "static",
    }
}

text_enum! {
    /// How a redemption was accepted (`redemptions.status`): as asked, or
    /// FLAGGED for the partner's audit.
    pub enum RedemptionStatus {
        Success = "SUCCESS",
        Flagged = "FLAGGED",
    }
}

text_enum! {
    /// An operator's answer to a FLAGGED redemption (`redemptions.review_verdict`).
    pub enum ReviewVerdict {
        Approved = "approved",
        Rejected = "rejected",
    }
}

text_enum! {
    /// Why a redemption carries a note (`redemptions.flag_reason`): FLAGGED
    /// because the device gave no location, or SUCCESS at an outlet without
    /// coordinates (nothing to check against).
    pub enum FlagReason {
        GpsUnavailable = "gps_unavailable",
        OutletNotGeolocated = "outlet_not_geolocated",
    }
}

text_enum! {
    /// What an event reports (`events.type`; the envelope's `type`). A webhook
    /// endpoint may take only some of them.
    pub enum EventType {
        ClaimCreated = "CLAIM_CREATED",
        RedemptionCreated = "REDEMPTION_CREATED",
        VoucherPublished = "VOUCHER_PUBLISHED",
        VoucherIssued = "VOUCHER_ISSUED",
        MerchantCreated = "MERCHANT_CREATED",
        MerchantDisabled = "MERCHANT_DISABLED",
        VoucherArchived = "VOUCHER_ARCHIVED",
        OrderCompleted = "ORDER_COMPLETED",
        OrderFailed = "ORDER_FAILED",
        OrderReversed = "ORDER_REVERSED",
        RedemptionReviewed = "REDEMPTION_REVIEWED",
    }
}

impl EventType {
    /// Every type, comma-separated, for messages.
    pub fn listed() -> String {
        Self::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
    }
}

text_enum! {
    /// A coin debit's progress (`coin_debits.state`): `debiting` (asked, no
    /// answer yet), `debited` (the ledger confirmed), `claimed` (the claim it
    /// paid for committed), `refused` (the ledger said no: nothing taken),
    /// `reversing` (the claim failed or the outcome is unknown: coins to give
    /// back), `reversed` (given back, or never taken).
    pub enum DebitState {
        Debiting = "debiting",
        Debited = "debited",
        Claimed = "claimed",
        Refused = "refused",
        Reversing = "reversing",
        Reversed = "reversed",
    }
}

text_enum! {
    /// A webhook delivery's state (`webhook_deliveries.status`): waiting or in
    /// flight, delivered, or given up (recover or resend puts it back to pending).
    pub enum DeliveryStatus {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

text_enum! {
    /// Whether an endpoint receives deliveries (`webhook_endpoints.status`).
    pub enum EndpointStatus {
        Enabled = "enabled",
        Disabled = "disabled",
    }
}

text_enum! {
    /// Why an endpoint was disabled (`webhook_endpoints.disabled_reason`): it
    /// answered 410 Gone, it failed without a success for the configured period,
    /// or an operator or the partner turned it off.
    pub enum DisabledReason {
        Gone = "gone",
        Failing = "failing",
        Operator = "operator",
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_rfc3339_on_the_wire_and_milliseconds_in_storage() {
        let t = Timestamp(1_796_150_000_123);
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(text, "\"2026-12-01T18:33:20.123Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&text).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn ids_are_their_bare_text_on_the_wire() {
        let id = UserId::new("0193a5c0-7c1e-7a42-9d1b-2f6c3e8a4b10");
        assert_eq!(serde_json::to_value(&id).unwrap(), serde_json::json!("0193a5c0-7c1e-7a42-9d1b-2f6c3e8a4b10"));
        assert_eq!(serde_json::from_str::<ExternalUserId>("\"customer-1042\"").unwrap(), ExternalUserId::new("customer-1042"));
        assert_eq!(PartnerId::new("acme").to_string(), "acme");
    }

    #[test]
    fn text_enums_round_trip_their_text() {
        for s in VoucherStatus::ALL {
            assert_eq!(VoucherStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::String(s.as_str().into()));
        }
        assert_eq!(CodeSource::parse("pool"), Some(CodeSource::Pool));
        assert_eq!(MerchantStatus::parse("Active"), None, "the text is exact");
    }
}
