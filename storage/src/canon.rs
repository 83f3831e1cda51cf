//! Values as their canonical text (DESIGN.md §5), and back.
//!
//! The store spells every value by its canonical form: dictionary rows map
//! that text to an id, and the last component of a permission key is the
//! text itself, so that scans come out sorted by canonical form. Decoding is
//! strict: text decodes only if encoding the result gives the same bytes, so
//! each value has exactly one spelling and damaged bytes are caught.

use engine::value::{Entity, Value};

use crate::err::{Result, StoreError};

/// Whether `name` is an identifier `[A-Za-z_][A-Za-z0-9_]*`, as entity type
/// names are.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The canonical text of a value that is about to be written.
///
/// Entity types must be identifiers: `Type{` then starts only the entities
/// of `Type`, which is what a listing by type scans for.
pub(crate) fn checked_text(value: &Value) -> Result<String> {
    if let Value::Entity(e) = value {
        if !is_identifier(&e.ty) {
            return Err(StoreError::InvalidEntityType {
                value: value.to_string(),
                ty: e.ty.to_string(),
            });
        }
    }
    Ok(value.to_string())
}

/// The bytes every entity of type `ty` starts with: `Type{`.
pub(crate) fn type_prefix(ty: &str) -> Result<String> {
    if is_identifier(ty) {
        Ok(format!("{ty}{{"))
    } else {
        Err(StoreError::InvalidTypeName { ty: ty.to_string() })
    }
}

/// Decodes canonical text, or `None` if `bytes` is not the canonical form of
/// any value.
pub(crate) fn decode(bytes: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(bytes).ok()?;
    let value = parse(text)?;
    (value.to_string() == text).then_some(value)
}

fn parse(text: &str) -> Option<Value> {
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(text).ok().map(Value::str),
        b'-' | b'0'..=b'9' => text.parse::<i64>().ok().map(Value::Int),
        _ if text == "true" => Some(Value::Bool(true)),
        _ if text == "false" => Some(Value::Bool(false)),
        _ => {
            let (ty, rest) = text.split_once('{')?;
            let id = rest.strip_suffix('}')?;
            let id = serde_json::from_str::<String>(id).ok()?;
            is_identifier(ty).then(|| Value::Entity(Entity::new(ty, id)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: Value) {
        let text = checked_text(&value).unwrap();
        assert_eq!(decode(text.as_bytes()), Some(value), "{text}");
    }

    #[test]
    fn every_kind_round_trips() {
        round_trip(Value::entity("User", "alice"));
        round_trip(Value::entity("_T9", ""));
        round_trip(Value::entity("Doc", "a}\"{\\\n\t\u{1}\u{7f}é ünï"));
        round_trip(Value::str(""));
        round_trip(Value::str("read"));
        round_trip(Value::str("{\"x\"}\u{0}"));
        round_trip(Value::Int(0));
        round_trip(Value::Int(i64::MIN));
        round_trip(Value::Int(i64::MAX));
        round_trip(Value::Bool(true));
        round_trip(Value::Bool(false));
    }

    #[test]
    fn non_canonical_text_is_rejected() {
        for bad in [
            "",
            "+1",
            "01",
            "-0",
            "1.0",
            "True",
            "\"a\\/b\"",
            "\"\\u0041\"",
            "\"unterminated",
            "User{alice}",
            "User{\"a\"",
            "1User{\"a\"}",
            "Us er{\"a\"}",
            "{\"a\"}",
            "User{\"a\"}x",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(decode(&[0xff, 0xfe]), None);
    }

    #[test]
    fn entity_types_must_be_identifiers() {
        let err = checked_text(&Value::entity("Bad{", "x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot store `Bad{{\"x\"}`: entity type `Bad{` is not an identifier; \
             use a type declared in the policy"
        );
        assert!(type_prefix("").is_err());
        assert!(type_prefix("a-b").is_err());
        assert_eq!(type_prefix("Repository").unwrap(), "Repository{");
    }
}
