//! Entities on the command line: `Type:id` (the id is everything after the
//! first colon) or `Type{"id"}` (DESIGN.md §5), checked against the policy.

use engine::{Program, Value};

use crate::error::CliError;

/// Parses an entity argument and checks that its type is declared by the
/// policy (as an actor or a resource).
pub fn parse_entity(program: &Program, text: &str) -> Result<Value, CliError> {
    let (ty, id) = split_entity(text)?;
    let declared = program.actor_types.contains(ty) || program.resource_types.contains(ty);
    if !declared {
        let known: Vec<&str> = program
            .actor_types
            .iter()
            .chain(&program.resource_types)
            .map(|t| &**t)
            .collect();
        return Err(CliError::Other(format!(
            "unknown entity type `{ty}` in `{text}`\n  help: the policy declares {}",
            known.join(", ")
        )));
    }
    Ok(Value::entity(ty, id))
}

/// Checks that a type name is declared by the policy as a resource.
pub fn parse_resource_type<'t>(program: &Program, ty: &'t str) -> Result<&'t str, CliError> {
    if program.resource_types.contains(ty) || program.actor_types.contains(ty) {
        return Ok(ty);
    }
    let known: Vec<&str> = program.resource_types.iter().map(|t| &**t).collect();
    Err(CliError::Other(format!(
        "unknown resource type `{ty}`\n  help: the policy declares the resources {}",
        known.join(", ")
    )))
}

/// Splits `Type:id` or `Type{"id"}` into type and id.
fn split_entity(text: &str) -> Result<(&str, String), CliError> {
    let malformed = || {
        CliError::Other(format!(
            "`{text}` is not an entity\n  help: write `Type:id` or `Type{{\"id\"}}`, e.g. `User:alice`"
        ))
    };
    let (ty, id) = if let Some((ty, rest)) = text.split_once('{') {
        let inner = rest.strip_suffix('}').ok_or_else(malformed)?;
        let id: String = serde_json::from_str(inner).map_err(|_| malformed())?;
        (ty, id)
    } else {
        let (ty, id) = text.split_once(':').ok_or_else(malformed)?;
        (ty, id.to_string())
    };
    let identifier = ty
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && ty.chars().all(|c| c.is_alphanumeric() || c == '_');
    if identifier {
        Ok((ty, id))
    } else {
        Err(malformed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_split() {
        assert_eq!(
            split_entity("User:alice").unwrap(),
            ("User", "alice".into())
        );
        assert_eq!(split_entity("User:a:b").unwrap(), ("User", "a:b".into()));
        assert_eq!(
            split_entity(r#"User{"a\"b"}"#).unwrap(),
            ("User", "a\"b".into())
        );
        assert_eq!(split_entity("User:").unwrap(), ("User", String::new()));
    }

    #[test]
    fn malformed_entities_are_errors() {
        for bad in [
            "alice",
            "User{alice}",
            r#"User{"a""#,
            ":x",
            "Us er:x",
            "1A:x",
        ] {
            assert!(split_entity(bad).is_err(), "{bad}");
        }
    }
}
