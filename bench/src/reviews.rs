//! Performance reviews on an org chart, under the example policy
//! `policies/org_chart.polar`: the facts to load and the `allow` tuples the
//! policy must derive from them, computed here independently of the engine.
//!
//! Every employee `e{i}` has one review `Review{"r{i}"}`. The policy grants
//! `read` to the employee and to everyone above them (through the recursive
//! `manages` closure), `comment` to everyone above them, and `write` to the
//! direct manager. The HR rules of the policy stay idle: no department facts.

use engine::{Fact, Value};
use ingest::{Change, Op};

use crate::org_chart::{employee, OrgChart};
use crate::rng::Rng;

/// The policy of the store workload: the org chart example, verbatim.
pub const STORE_POLICY: &str = include_str!("../../policies/org_chart.polar");

/// The actions the policy grants on reviews, indexed by [`Tuple::action`].
pub const ACTIONS: [&str; 3] = ["read", "comment", "write"];

/// Index of `read` in [`ACTIONS`].
pub const READ: u8 = 0;
/// Index of `comment` in [`ACTIONS`].
pub const COMMENT: u8 = 1;
/// Index of `write` in [`ACTIONS`].
pub const WRITE: u8 = 2;

/// The review of employee `i`.
pub fn review(i: usize) -> Value {
    Value::entity("Review", format!("r{i}"))
}

/// `review_of(Review{"r{i}"}, User{"e{i}"})`.
pub fn review_fact(i: usize) -> Fact {
    Fact::new("review_of", vec![review(i), employee(i)])
}

/// An `allow(actor, action, review)` tuple by indexes: employee, action in
/// [`ACTIONS`], and the employee whose review it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tuple {
    /// The actor's employee index.
    pub actor: u32,
    /// The action's index in [`ACTIONS`].
    pub action: u8,
    /// The index of the employee whose review it is.
    pub review: u32,
}

/// The insertions that load `chart` with one review per employee.
pub fn changes(chart: &OrgChart) -> Vec<Change> {
    let managers = chart.facts().into_iter();
    let reviews = (0..chart.managers.len()).map(review_fact);
    managers
        .chain(reviews)
        .map(|fact| Change {
            op: Op::Insert,
            fact,
        })
        .collect()
}

/// Every `allow` tuple the policy derives on `chart`'s reviews, sorted.
pub fn tuples(chart: &OrgChart) -> Vec<Tuple> {
    let mut all = Vec::new();
    for (e, manager) in chart.managers.iter().enumerate() {
        let tuple = |actor: usize, action| Tuple {
            actor: actor as u32,
            action,
            review: e as u32,
        };
        all.push(tuple(e, READ));
        if let Some(m) = *manager {
            all.push(tuple(m, WRITE));
        }
        for above in chart.above(e) {
            all.push(tuple(above, READ));
            all.push(tuple(above, COMMENT));
        }
    }
    all.sort_unstable();
    all
}

/// `count` checks on a chart of `employees`, each allowed (one of the
/// sorted `tuples`) or denied (a random tuple not among them) with even
/// odds, paired with the expected answer.
pub fn mixed_probes(
    employees: usize,
    tuples: &[Tuple],
    count: usize,
    rng: &mut Rng,
) -> Vec<(Tuple, bool)> {
    let mut probes = Vec::with_capacity(count);
    while probes.len() < count && !tuples.is_empty() {
        let allowed = rng.next_u64() & 1 == 0;
        let t = if allowed {
            tuples[rng.range(0, tuples.len() - 1)]
        } else {
            Tuple {
                actor: rng.range(0, employees - 1) as u32,
                action: rng.range(0, ACTIONS.len() - 1) as u8,
                review: rng.range(0, employees - 1) as u32,
            }
        };
        if allowed || tuples.binary_search(&t).is_err() {
            probes.push((t, allowed));
        }
    }
    probes
}

/// How many tuples [`tuples`] gives, without building them: `read` and
/// `comment` per pair of the closure, `read` per employee, `write` per
/// manager edge.
pub fn tuple_count(chart: &OrgChart) -> usize {
    let edges = chart.managers.iter().filter(|m| m.is_some()).count();
    2 * chart.closure_size() + chart.managers.len() + edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{check_policy, reference, SourceFile};

    #[test]
    fn the_tuples_are_what_the_policy_derives() {
        let chart = OrgChart::generate(300, 5, 7);
        let program = check_policy(&SourceFile::new("org_chart.polar", STORE_POLICY))
            .unwrap_or_else(|d| panic!("{}", d.render()));
        let facts: Vec<Fact> = changes(&chart).into_iter().map(|c| c.fact).collect();
        let model = reference::evaluate(&program, &facts, 0);
        let allow = program.pred("allow").unwrap();
        let mut derived: Vec<Vec<Value>> = model.tuples(allow).map(|t| t.to_vec()).collect();
        derived.sort();
        let mut expected: Vec<Vec<Value>> = tuples(&chart)
            .iter()
            .map(|t| {
                let action = Value::str(ACTIONS[usize::from(t.action)]);
                let actor = employee(t.actor as usize);
                vec![actor, action, review(t.review as usize)]
            })
            .collect();
        expected.sort();
        assert_eq!(derived, expected);
        assert_eq!(tuple_count(&chart), expected.len());
        // The chart's manager facts come first, then one review each.
        assert_eq!(changes(&chart).len(), 299 + 300);
        assert_eq!(changes(&chart)[0].fact, chart.facts()[0]);
    }
}
