//! The event catalog (SPEC §5, §12): for each event type, when it happens,
//! the JSON Schema of its envelope (draft 2020-12) and an example. The portal
//! shows it, "send a test event" sends the example, and the tests check every
//! event a receiver gets against its schema ([`conforms`]), so the catalog
//! cannot drift from what is sent.

use crate::types::EventType;
use serde_json::{Map, Value, json};

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Text(&'static str),
    /// An RFC 3339 time.
    Time,
    Int(i64),
    OneOf(&'static [&'static str]),
    Object(&'static [Field]),
}

/// One field of an event's `data`.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    /// Whether it may be `null`.
    pub nullable: bool,
    pub about: &'static str,
}

const fn f(name: &'static str, ty: Ty, about: &'static str) -> Field {
    Field { name, ty, nullable: false, about }
}

const fn maybe(name: &'static str, ty: Ty, about: &'static str) -> Field {
    Field { name, ty, nullable: true, about }
}

/// A type's entry: when it is sent, and its data.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub kind: EventType,
    pub when: &'static str,
    pub data: &'static [Field],
}

const USER: Field = f("userId", Ty::Text("0195f0a3-0000-7000-8000-000000000001"), "Tessera's id for the user");
const EXTERNAL: Field = maybe("externalUserId", Ty::Text("user-42"), "your id for the user");
const VOUCHER: Field = f("voucherId", Ty::Text("0195f0a1-0000-7000-8000-000000000001"), "the voucher");
const TITLE: Field = f("voucherTitle", Ty::Text("{b}Free{/b} iced kopi"), "its title, with {b}{r}{s} markup");
const MERCHANT: Field = f("merchantId", Ty::Text("0195f0a0-0000-7000-8000-000000000001"), "its merchant");
const MERCHANT_NAME: Field = f("merchantName", Ty::Text("Kopi Kita"), "the merchant's name");
const CLAIM: &[Field] =
    &[USER, EXTERNAL, f("claimId", Ty::Text("0195f0a4-0000-7000-8000-000000000001"), "the claim"), VOUCHER, TITLE, MERCHANT];
const GIFT_CARD: &[Field] = &[
    f("id", Ty::Text("0195f0a6-0000-7000-8000-000000000001"), "the card (its number and PIN are never in an event)"),
    maybe("validUntil", Ty::Time, "when it ends"),
    f("amount", Ty::Int(50_000), "its value in minor units"),
];
const ORDER: &[Field] = &[
    f("orderId", Ty::Text("0195f0a5-0000-7000-8000-000000000001"), "the order"),
    f("brandId", Ty::Text("0195f0a0-0000-7000-8000-000000000007"), "the brand (merchant)"),
    maybe("giftCard", Ty::Object(GIFT_CARD), "the card issued (COMPLETED only)"),
    f("status", Ty::OneOf(&["PENDING", "COMPLETED", "FAILED", "REVERSED"]), "the outcome"),
    f(
        "state",
        Ty::OneOf(&["created", "payment_pending", "paid", "fulfilled", "payment_failed", "fulfilment_failed", "refunded", "reversed"]),
        "the order's state",
    ),
    VOUCHER,
    f("brandName", Ty::Text("EatSure"), "the brand's name"),
    USER,
    EXTERNAL,
    f("currency", Ty::Text("INR"), "ISO 4217"),
    f("faceValue", Ty::Int(50_000), "the card's value in minor units"),
    f("discount", Ty::Int(2_500), "what came off it, in minor units"),
    f("amountPaid", Ty::Int(47_500), "what the user paid, in minor units"),
    maybe("failureReason", Ty::Text("The payment was declined."), "why it failed, for people"),
];

/// Every type, in the order of [`EventType::ALL`].
pub const CATALOG: &[Entry] = &[
    Entry { kind: EventType::ClaimCreated, when: "A user claims a voucher.", data: CLAIM },
    Entry {
        kind: EventType::RedemptionCreated,
        when: "A user redeems a claim at an outlet: SUCCESS, or FLAGGED when the device gave no location (the code is never in the event).",
        data: &[
            USER,
            EXTERNAL,
            f("redemptionId", Ty::Text("0195f0a7-0000-7000-8000-000000000001"), "the redemption"),
            VOUCHER,
            TITLE,
            f("outletId", Ty::Text("0195f0a2-0000-7000-8000-000000000001"), "the outlet"),
            f("outletName", Ty::Text("KLCC"), "its name"),
            f("status", Ty::OneOf(&["SUCCESS", "FLAGGED"]), "how it was accepted"),
            maybe("flagReason", Ty::OneOf(&["gps_unavailable", "outlet_not_geolocated"]), "why it carries a note"),
        ],
    },
    Entry {
        kind: EventType::VoucherPublished,
        when: "A voucher is published: one event per user who favourited its merchant and may see it.",
        data: &[
            USER,
            EXTERNAL,
            VOUCHER,
            TITLE,
            MERCHANT,
            MERCHANT_NAME,
            maybe("valueType", Ty::OneOf(&["PERCENT", "FIXED"]), "its kind of value"),
        ],
    },
    Entry { kind: EventType::VoucherIssued, when: "Your backend issues a voucher into a user's wallet.", data: CLAIM },
    Entry {
        kind: EventType::MerchantCreated,
        when: "A merchant joins the catalog (every partner is told).",
        data: &[MERCHANT, MERCHANT_NAME],
    },
    Entry {
        kind: EventType::MerchantDisabled,
        when: "A merchant leaves the catalog (every partner is told).",
        data: &[MERCHANT, MERCHANT_NAME],
    },
    Entry { kind: EventType::VoucherArchived, when: "A voucher is archived (every partner is told).", data: &[VOUCHER, TITLE, MERCHANT] },
    Entry { kind: EventType::OrderCompleted, when: "A gift card order is paid and its card issued.", data: ORDER },
    Entry {
        kind: EventType::OrderFailed,
        when: "A gift card order failed (payment declined, or the card could not be issued and the payment is refunded).",
        data: ORDER,
    },
    Entry { kind: EventType::OrderReversed, when: "An operator took an issued card back and refunded it.", data: ORDER },
    Entry {
        kind: EventType::RedemptionReviewed,
        when: "An operator approved or rejected a FLAGGED redemption.",
        data: &[
            f("redemptionId", Ty::Text("0195f0a7-0000-7000-8000-000000000001"), "the redemption"),
            USER,
            EXTERNAL,
            VOUCHER,
            f("outletId", Ty::Text("0195f0a2-0000-7000-8000-000000000001"), "the outlet"),
            f("verdict", Ty::OneOf(&["approved", "rejected"]), "the operator's answer"),
            maybe("note", Ty::Text("Receipt checked"), "the operator's note"),
            f("reviewedAt", Ty::Time, "when"),
        ],
    },
];

pub fn entry(kind: EventType) -> &'static Entry {
    CATALOG.iter().find(|e| e.kind == kind).expect("every event type is in the catalog")
}

fn field_schema(field: &Field) -> Value {
    let mut s = match field.ty {
        Ty::Text(_) => json!({ "type": "string" }),
        Ty::Time => json!({ "type": "string", "format": "date-time" }),
        Ty::Int(_) => json!({ "type": "integer" }),
        Ty::OneOf(values) => json!({ "type": "string", "enum": values }),
        Ty::Object(fields) => object_schema(fields),
    };
    if field.nullable {
        let ty = s["type"].clone();
        s["type"] = json!([ty, "null"]);
        if let Some(values) = s.get_mut("enum").and_then(Value::as_array_mut) {
            values.push(Value::Null);
        }
    }
    s["description"] = json!(field.about);
    s
}

fn object_schema(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields.iter().map(|f| (f.name.to_string(), field_schema(f))).collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": fields.iter().map(|f| f.name).collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

/// The JSON Schema of the type's envelope.
pub fn schema(kind: EventType) -> Value {
    let e = entry(kind);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": kind.as_str(),
        "description": e.when,
        "type": "object",
        "properties": {
            "id": { "type": "string", "description": "the event's id: the same at every attempt and every endpoint" },
            "type": { "const": kind.as_str() },
            "createdAt": { "type": "string", "format": "date-time" },
            "data": object_schema(e.data),
        },
        "required": ["id", "type", "createdAt", "data"],
        "additionalProperties": false,
    })
}

fn example_value(field: &Field) -> Value {
    match field.ty {
        Ty::Text(t) => json!(t),
        Ty::Time => json!("2026-12-06T08:30:00.000Z"),
        Ty::Int(n) => json!(n),
        Ty::OneOf(values) => json!(values[0]),
        Ty::Object(fields) => example_object(fields),
    }
}

fn example_object(fields: &[Field]) -> Value {
    Value::Object(fields.iter().map(|f| (f.name.to_string(), example_value(f))).collect())
}

/// An example envelope of the type, with `id`.
pub fn example(kind: EventType, id: &str) -> Value {
    json!({ "id": id, "type": kind.as_str(), "createdAt": "2026-12-06T08:30:00.000Z", "data": example_object(entry(kind).data) })
}

/// Whether `value` fits `schema` (the subset this module writes: type,
/// const, enum, properties, required, additionalProperties: false); the
/// first misfit, by its path, if not.
pub fn conforms(schema: &Value, value: &Value) -> Result<(), String> {
    fit(schema, value, "$")
}

fn fit(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(c) = schema.get("const")
        && c != value
    {
        return Err(format!("{at}: {value} is not {c}"));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {}", Value::Array(values.clone())));
    }
    if let Some(ty) = schema.get("type") {
        let types: Vec<&str> = match ty {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            t => t.as_str().into_iter().collect(),
        };
        let is = |t: &str| match t {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "object" => value.is_object(),
            "null" => value.is_null(),
            _ => false,
        };
        if !types.iter().any(|t| is(t)) {
            return Err(format!("{at}: {value} is not {}", types.join(" or ")));
        }
    }
    if let (Some(props), Some(obj)) = (schema.get("properties").and_then(Value::as_object), value.as_object()) {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(name) {
                return Err(format!("{at}.{name} is missing"));
            }
        }
        for (name, v) in obj {
            match props.get(name) {
                Some(s) => fit(s, v, &format!("{at}.{name}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}.{name} is not in the schema"));
                }
                None => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_an_entry_whose_example_fits_its_schema() {
        assert_eq!(CATALOG.len(), EventType::ALL.len());
        for kind in EventType::ALL {
            let example = example(*kind, "0195f0a9-0000-7000-8000-000000000001");
            conforms(&schema(*kind), &example).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        }
    }

    #[test]
    fn a_misfit_is_named_by_its_path() {
        let s = schema(EventType::RedemptionReviewed);
        let mut e = example(EventType::RedemptionReviewed, "x");
        e["data"]["verdict"] = json!("maybe");
        assert_eq!(conforms(&s, &e), Err("$.data.verdict: \"maybe\" is not one of [\"approved\",\"rejected\"]".into()));
        let mut e = example(EventType::RedemptionReviewed, "x");
        e["data"]["code"] = json!("SECRET");
        assert_eq!(conforms(&s, &e), Err("$.data.code is not in the schema".into()));
        let mut e = example(EventType::OrderCompleted, "x");
        e["data"]["giftCard"] = Value::Null;
        assert!(conforms(&schema(EventType::OrderCompleted), &e).is_ok(), "a nullable object may be null");
        e["data"].as_object_mut().unwrap().remove("amountPaid");
        assert_eq!(conforms(&schema(EventType::OrderCompleted), &e), Err("$.data.amountPaid is missing".into()));
    }
}
