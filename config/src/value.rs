//! A TOML value whose array elements keep their spans, so a profile's values can be checked
//! after deserialization and any error pointed at the exact element.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use toml::Spanned;

/// Key toml uses to pass a date-time through serde's data model.
const DATETIME_KEY: &str = "$__toml_private_datetime";

/// Any TOML value; arrays keep the span of each element. Tables are not needed as values (the
/// sections `[timing]` and `[[output]]` are typed), so only their kind is kept.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Str(String),
    Int(i64),
    /// An integer outside `i64`, as decimal text.
    Huge(String),
    Float(f64),
    Bool(bool),
    Datetime,
    Array(Vec<Spanned<Val>>),
    Table,
}

impl Val {
    /// The kind's noun, for "expected X, found Y" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Val::Str(_) => "string",
            Val::Int(_) | Val::Huge(_) => "integer",
            Val::Float(_) => "float",
            Val::Bool(_) => "boolean",
            Val::Datetime => "date-time",
            Val::Array(_) => "array",
            Val::Table => "table",
        }
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Val, E> {
        Ok(Val::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val, E> {
        Ok(Val::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val, E> {
        Ok(i64::try_from(v).map_or_else(|_| Val::Huge(v.to_string()), Val::Int))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Val, E> {
        Ok(i64::try_from(v).map_or_else(|_| Val::Huge(v.to_string()), Val::Int))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Val, E> {
        Ok(i64::try_from(v).map_or_else(|_| Val::Huge(v.to_string()), Val::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Val, E> {
        Ok(Val::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Val, E> {
        Ok(Val::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Val, E> {
        Ok(Val::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Val>>()? {
            items.push(item);
        }
        Ok(Val::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        let mut datetime = false;
        while let Some(key) = map.next_key::<String>()? {
            datetime |= key == DATETIME_KEY;
            map.next_value::<IgnoredAny>()?;
        }
        Ok(if datetime { Val::Datetime } else { Val::Table })
    }
}

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Val, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}
