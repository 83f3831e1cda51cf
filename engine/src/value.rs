//! Values and ground atoms: what facts and answers are made of.
//!
//! A [`Value`] is a string, an integer, a boolean or an entity `Type{"id"}`.
//! Its [`Display`](std::fmt::Display) is the canonical form of DESIGN.md §5,
//! and its serde form is the JSON of DESIGN.md §4.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// An entity: a typed identifier such as `User{"alice"}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entity {
    /// The entity type, declared by an `actor` or `resource` block.
    #[serde(rename = "type")]
    pub ty: Arc<str>,
    /// The identifier within the type.
    pub id: Arc<str>,
}

impl Entity {
    /// Builds an entity from its type and id.
    pub fn new(ty: impl Into<Arc<str>>, id: impl Into<Arc<str>>) -> Self {
        Entity {
            ty: ty.into(),
            id: id.into(),
        }
    }
}

/// A ground value.
///
/// The derived order (entities, then strings, integers, booleans) is only used
/// to keep collections deterministic; answers are sorted by canonical text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// An entity, JSON `{"type":"User","id":"alice"}`.
    Entity(Entity),
    /// A string.
    Str(Arc<str>),
    /// A 64-bit signed integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Self {
        Value::Str(s.into())
    }

    /// An entity value.
    pub fn entity(ty: impl Into<Arc<str>>, id: impl Into<Arc<str>>) -> Self {
        Value::Entity(Entity::new(ty, id))
    }

    /// The integer inside, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The entity inside, if this is one.
    pub fn as_entity(&self) -> Option<&Entity> {
        match self {
            Value::Entity(e) => Some(e),
            _ => None,
        }
    }

    /// A short name of the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Entity(_) => "entity",
            Value::Str(_) => "string",
            Value::Int(_) => "integer",
            Value::Bool(_) => "boolean",
        }
    }
}

/// Writes `s` as a JSON string with the minimal escaping of DESIGN.md §3:
/// non-ASCII as is, `\"`, `\\`, `\n`, `\t`, other control characters as
/// `\u00xx`.
pub fn write_json_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ty)?;
        f.write_str("{")?;
        write_json_string(f, &self.id)?;
        f.write_str("}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Entity(e) => e.fmt(f),
            Value::Str(s) => write_json_string(f, s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A ground atom `pred(v1, …, vn)`: a fact, or one answer to a query.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fact {
    /// The predicate name.
    pub predicate: Arc<str>,
    /// The arguments.
    pub args: Vec<Value>,
}

impl Fact {
    /// Builds a fact.
    pub fn new(predicate: impl Into<Arc<str>>, args: Vec<Value>) -> Self {
        Fact {
            predicate: predicate.into(),
            args,
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.predicate)?;
        f.write_str("(")?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            arg.fmt(f)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let fact = Fact::new(
            "allow",
            vec![
                Value::entity("User", "al\"ice"),
                Value::str("read\n\u{1}é"),
                Value::Int(-3),
                Value::Bool(true),
            ],
        );
        assert_eq!(
            fact.to_string(),
            r#"allow(User{"al\"ice"}, "read\n\u0001é", -3, true)"#
        );
    }

    #[test]
    fn json_round_trip() {
        let json = r#"[{"type":"User","id":"alice"},"read",7,false]"#;
        let values: Vec<Value> = serde_json::from_str(json).unwrap_or_default();
        assert_eq!(values.len(), 4);
        assert_eq!(values[0], Value::entity("User", "alice"));
        assert_eq!(serde_json::to_string(&values).unwrap_or_default(), json);
    }
}
