//! Permission tuples and their changes: what the dataflow hands to the store
//! and what the change log hands back.

use std::fmt;

use engine::validity::Validity;
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

/// How an epoch changes a base fact: inserting a present fact or deleting
/// an absent one is a no-op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// Insert a fact.
    Insert,
    /// Delete a fact.
    Delete,
}

/// How an epoch changed a permission tuple's validity (the times at which
/// it holds): the kinds of change-log rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PermissionChange {
    /// Absent (valid never) before the epoch, present after.
    Grant,
    /// Present before the epoch, absent after.
    Revoke,
    /// Present before and after, with another validity.
    Regrant,
}

impl PermissionChange {
    /// The change-log name of the change, the `change` field of the watch
    /// feed: `grant`, `revoke` or `regrant`.
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionChange::Grant => "grant",
            PermissionChange::Revoke => "revoke",
            PermissionChange::Regrant => "regrant",
        }
    }

    /// The kind of change from validity `before` to `after`, or `None` if
    /// they are equal.
    pub fn between(before: &Validity, after: &Validity) -> Option<PermissionChange> {
        match (before.is_never(), after.is_never()) {
            _ if before == after => None,
            (true, _) => Some(PermissionChange::Grant),
            (_, true) => Some(PermissionChange::Revoke),
            (false, false) => Some(PermissionChange::Regrant),
        }
    }
}

/// One row of the change log: a permission granted, revoked or regranted
/// (given another validity) by an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedChange {
    /// The epoch that made the change.
    pub epoch: u64,
    /// Grant, revoke or regrant.
    pub change: PermissionChange,
    /// The permission changed.
    pub permission: Permission,
    /// Its validity after the epoch: [`Validity::never`] for a revoke.
    pub validity: Validity,
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
    }

    #[test]
    fn kinds_of_validity_change() {
        let (never, always) = (Validity::never(), Validity::always());
        let later = Validity::from_intervals(engine::validity::Interval::new(10, 20));
        let between = PermissionChange::between;
        assert_eq!(between(&never, &never), None);
        assert_eq!(between(&later, &later), None);
        assert_eq!(between(&never, &later), Some(PermissionChange::Grant));
        assert_eq!(between(&always, &never), Some(PermissionChange::Revoke));
        assert_eq!(between(&always, &later), Some(PermissionChange::Regrant));
        assert_eq!(PermissionChange::Grant.as_str(), "grant");
        assert_eq!(PermissionChange::Revoke.as_str(), "revoke");
        assert_eq!(PermissionChange::Regrant.as_str(), "regrant");
    }
}
