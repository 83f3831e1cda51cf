//! Permission tuples and their changes: what the dataflow hands to the store
//! and what the change log hands back.

use std::fmt;

use engine::value::{Fact, Value};

/// A derived permission `allow(actor, action, resource)`. Each component is
/// any value; usually an entity, a string and an entity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    /// Who may act.
    pub actor: Value,
    /// What they may do.
    pub action: Value,
    /// What they may do it on.
    pub resource: Value,
}

impl Permission {
    /// Builds a permission tuple.
    pub fn new(actor: Value, action: Value, resource: Value) -> Self {
        Permission {
            actor,
            action,
            resource,
        }
    }

    /// The tuple as the ground atom `allow(actor, action, resource)`.
    pub fn to_fact(&self) -> Fact {
        Fact::new(
            "allow",
            vec![
                self.actor.clone(),
                self.action.clone(),
                self.resource.clone(),
            ],
        )
    }
}

impl fmt::Display for Permission {
    /// The canonical form `allow(actor, action, resource)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "allow({}, {}, {})",
            self.actor, self.action, self.resource
        )
    }
}

/// How an epoch changes a fact or a permission.
///
/// For facts, inserting a present fact or deleting an absent one is a no-op.
/// For permissions, `Insert` grants and `Delete` revokes; only real changes
/// reach the change log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// Insert a fact, grant a permission.
    Insert,
    /// Delete a fact, revoke a permission.
    Delete,
}

impl Change {
    /// The change-log name of the change: `grant` or `revoke` (the `change`
    /// field of the watch feed).
    pub fn as_grant_or_revoke(self) -> &'static str {
        match self {
            Change::Insert => "grant",
            Change::Delete => "revoke",
        }
    }
}

/// One row of the change log: a permission granted or revoked by an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedChange {
    /// The epoch that made the change.
    pub epoch: u64,
    /// Grant (`Insert`) or revoke (`Delete`).
    pub change: Change,
    /// The permission granted or revoked.
    pub permission: Permission,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_matches_the_fact() {
        let p = Permission::new(
            Value::entity("User", "alice"),
            Value::str("read"),
            Value::entity("Repository", "anvil"),
        );
        assert_eq!(
            p.to_string(),
            r#"allow(User{"alice"}, "read", Repository{"anvil"})"#
        );
        assert_eq!(p.to_fact().to_string(), p.to_string());
        assert_eq!(Change::Insert.as_grant_or_revoke(), "grant");
        assert_eq!(Change::Delete.as_grant_or_revoke(), "revoke");
    }
}
