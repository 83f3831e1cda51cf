//! A plain set of present facts, changed by operations with the no-op rule.

use std::collections::BTreeSet;

use engine::Fact;

use crate::event::{Change, Op};

/// The facts currently present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FactSet {
    facts: BTreeSet<Fact>,
}

impl FactSet {
    /// An empty set.
    pub fn new() -> Self {
        FactSet::default()
    }

    /// Applies operations in order: inserting a present fact or deleting an
    /// absent one changes nothing. Answers the net changes (what became
    /// present, what became absent), each fact at most once.
    pub fn apply(&mut self, changes: &[Change]) -> Vec<Change> {
        let before: BTreeSet<&Fact> = changes
            .iter()
            .map(|c| &c.fact)
            .filter(|f| self.facts.contains(*f))
            .collect();
        let before: BTreeSet<Fact> = before.into_iter().cloned().collect();
        for change in changes {
            match change.op {
                Op::Insert => self.facts.insert(change.fact.clone()),
                Op::Delete => self.facts.remove(&change.fact),
            };
        }
        let touched: BTreeSet<&Fact> = changes.iter().map(|c| &c.fact).collect();
        touched
            .into_iter()
            .filter_map(
                |fact| match (before.contains(fact), self.facts.contains(fact)) {
                    (false, true) => Some(Change {
                        op: Op::Insert,
                        fact: fact.clone(),
                    }),
                    (true, false) => Some(Change {
                        op: Op::Delete,
                        fact: fact.clone(),
                    }),
                    _ => None,
                },
            )
            .collect()
    }

    /// Inserts facts (no-op for present ones).
    pub fn extend(&mut self, facts: impl IntoIterator<Item = Fact>) {
        self.facts.extend(facts);
    }

    /// The present facts, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Fact> {
        self.facts.iter()
    }

    /// How many facts are present.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Whether no fact is present.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::Value;

    fn change(op: Op, id: &str) -> Change {
        Change {
            op,
            fact: Fact::new("p", vec![Value::str(id)]),
        }
    }

    #[test]
    fn no_op_rule_in_order() {
        let mut set = FactSet::new();
        // [insert f, delete f] leaves f absent: no net change.
        assert!(set
            .apply(&[change(Op::Insert, "f"), change(Op::Delete, "f")])
            .is_empty());
        assert!(set.is_empty());
        set.apply(&[change(Op::Insert, "f")]);
        // [delete f, insert f] leaves f present: no net change.
        assert!(set
            .apply(&[change(Op::Delete, "f"), change(Op::Insert, "f")])
            .is_empty());
        assert_eq!(set.len(), 1);
        // A double insert is not a double count.
        assert!(set.apply(&[change(Op::Insert, "f")]).is_empty());
        let net = set.apply(&[change(Op::Delete, "f"), change(Op::Delete, "f")]);
        assert_eq!(net, vec![change(Op::Delete, "f")]);
    }
}
