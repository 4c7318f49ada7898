//! A field of a partial update: absent (leave it), `null` (clear it) or a value.

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    /// For SQL: (whether to write, the value to write).
    pub fn as_write(&self) -> (i64, Option<&T>) {
        match self {
            Patch::Absent => (0, None),
            Patch::Null => (1, None),
            Patch::Value(v) => (1, Some(v)),
        }
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only called when the field is present; `#[serde(default)]` gives Absent.
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Null,
            Some(v) => Patch::Value(v),
        })
    }
}
