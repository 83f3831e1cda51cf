//! Rows of the dataflow: interned, fixed-size values.
//!
//! Strings and entity ids are interned once (a process-wide concurrent
//! interner shared by the workers), so a value is a 16-byte `Copy`
//! [`Datum`] and a tuple a small inline [`Row`]: no boxed values on the hot
//! path. Ordering comparisons between strings resolve both ids.

use std::collections::BTreeSet;
use std::sync::Arc;

use lasso::{Key, Spur, ThreadedRodeo};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::program::TypeTest;
use crate::value::Value;

/// One value of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Datum {
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// An interned string.
    Str(u32),
    /// An entity: interned type name and interned id.
    Entity(u32, u32),
}

/// A tuple of a relation (or the variables bound so far in a rule).
pub type Row = SmallVec<[Datum; 4]>;

/// The string interner shared by every worker of an engine.
#[derive(Debug, Default)]
pub struct Interner {
    rodeo: ThreadedRodeo,
}

impl Interner {
    /// A new, empty interner.
    pub fn new() -> Arc<Self> {
        Arc::new(Interner::default())
    }

    fn intern(&self, s: &str) -> u32 {
        u32::try_from(self.rodeo.get_or_intern(s).into_usize()).unwrap_or(u32::MAX)
    }

    /// The text of an interned id.
    pub fn text(&self, id: u32) -> Option<&str> {
        Spur::try_from_usize(id as usize).and_then(|k| self.rodeo.try_resolve(&k))
    }

    /// Encodes a value, interning its strings.
    pub fn encode(&self, value: &Value) -> Datum {
        match value {
            Value::Int(i) => Datum::Int(*i),
            Value::Bool(b) => Datum::Bool(*b),
            Value::Str(s) => Datum::Str(self.intern(s)),
            Value::Entity(e) => Datum::Entity(self.intern(&e.ty), self.intern(&e.id)),
        }
    }

    /// Encodes a tuple.
    pub fn encode_row(&self, values: &[Value]) -> Row {
        values.iter().map(|v| self.encode(v)).collect()
    }

    /// Decodes a datum; `None` for an id this interner never gave out.
    pub fn decode(&self, datum: &Datum) -> Option<Value> {
        Some(match datum {
            Datum::Int(i) => Value::Int(*i),
            Datum::Bool(b) => Value::Bool(*b),
            Datum::Str(s) => Value::str(self.text(*s)?),
            Datum::Entity(t, id) => Value::entity(self.text(*t)?, self.text(*id)?),
        })
    }

    /// Decodes a row.
    pub fn decode_row(&self, row: &[Datum]) -> Option<Vec<Value>> {
        row.iter().map(|d| self.decode(d)).collect()
    }

    /// A type test over data.
    pub fn type_test(&self, test: &TypeTest) -> DatumTest {
        match test {
            TypeTest::Entity(types) => {
                DatumTest::Entity(types.iter().map(|t| self.intern(t)).collect())
            }
            TypeTest::String => DatumTest::String,
            TypeTest::Integer => DatumTest::Integer,
            TypeTest::Boolean => DatumTest::Boolean,
        }
    }
}

/// A [`TypeTest`] with its type names interned.
#[derive(Clone, Debug)]
pub enum DatumTest {
    /// Entities of these interned types.
    Entity(BTreeSet<u32>),
    /// Strings.
    String,
    /// Integers.
    Integer,
    /// Booleans.
    Boolean,
}

impl DatumTest {
    /// Whether the datum passes.
    pub fn accepts(&self, datum: &Datum) -> bool {
        match (self, datum) {
            (DatumTest::Entity(types), Datum::Entity(t, _)) => types.contains(t),
            (DatumTest::String, Datum::Str(_)) => true,
            (DatumTest::Integer, Datum::Int(_)) => true,
            (DatumTest::Boolean, Datum::Bool(_)) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_size() {
        assert_eq!(std::mem::size_of::<Datum>(), 16);
        let interner = Interner::new();
        let values = vec![
            Value::entity("User", "alice"),
            Value::str("read"),
            Value::Int(-4),
            Value::Bool(true),
        ];
        let row = interner.encode_row(&values);
        assert_eq!(interner.decode_row(&row), Some(values));
        assert_eq!(interner.encode(&Value::str("read")), row[1]);
    }
}
