//! The org chart workload: employees in a management tree of a given depth,
//! and manager moves that keep it a tree.

use engine::{Fact, Value};

use crate::rng::Rng;

/// The policy benchmarked: the recursive management closure.
pub const CLOSURE_POLICY: &str = "actor User {}
declare manager(User, User);
# m manages e if m is e's manager, directly or through a chain
manages(m: User, e: User) if manager(m, e);
manages(m: User, e: User) if manager(m, x) and manages(x, e);
allow(m, \"read\", e) if manages(m, e);
";

/// A generated org chart: `managers[e]` is the manager of employee `e`
/// (`None` for the root).
#[derive(Clone, Debug)]
pub struct OrgChart {
    /// Manager of each employee.
    pub managers: Vec<Option<usize>>,
}

/// The entity of employee `i`.
pub fn employee(i: usize) -> Value {
    Value::entity("User", format!("e{i}"))
}

/// `manager(m, e)`.
pub fn manager_fact(m: usize, e: usize) -> Fact {
    Fact::new("manager", vec![employee(m), employee(e)])
}

impl OrgChart {
    /// `employees` people in levels 0..depth: level sizes grow geometrically
    /// so the chart is exactly `depth` levels deep; each person's manager is
    /// drawn from the level above.
    pub fn generate(employees: usize, depth: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let depth = depth.max(1).min(employees.max(1));
        // Geometric level sizes summing to `employees`.
        let ratio = (employees as f64).powf(1.0 / depth as f64).max(1.0);
        let mut sizes: Vec<usize> = (0..depth)
            .map(|l| (ratio.powi(l as i32)).round().max(1.0) as usize)
            .collect();
        let total: usize = sizes.iter().sum();
        if let Some(last) = sizes.last_mut() {
            *last = (*last + employees).saturating_sub(total).max(1);
        }
        let mut managers = Vec::with_capacity(employees);
        let mut previous = 0..0;
        for size in sizes {
            let start = managers.len();
            for _ in 0..size {
                if managers.len() == employees {
                    break;
                }
                let manager =
                    (!previous.is_empty()).then(|| rng.range(previous.start, previous.end - 1));
                managers.push(manager);
            }
            previous = start..managers.len();
        }
        OrgChart { managers }
    }

    /// The base facts.
    pub fn facts(&self) -> Vec<Fact> {
        self.managers
            .iter()
            .enumerate()
            .filter_map(|(e, m)| m.map(|m| manager_fact(m, e)))
            .collect()
    }

    /// The number of levels.
    pub fn depth(&self) -> usize {
        (0..self.managers.len())
            .map(|e| self.level(e) + 1)
            .max()
            .unwrap_or(0)
    }

    /// The managers above `e`, nearest first: direct manager, their manager,
    /// and so on up to the root.
    pub fn above(&self, e: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.managers[e], |&m| self.managers[m])
    }

    /// The level of employee `e`: 0 for the root, 1 for its reports, and so on.
    pub fn level(&self, e: usize) -> usize {
        self.above(e).count()
    }

    /// Whether `a` is `b` or one of `b`'s managers, directly or not.
    pub fn is_above_or_same(&self, a: usize, mut b: usize) -> bool {
        loop {
            if a == b {
                return true;
            }
            match self.managers[b] {
                Some(m) => b = m,
                None => return false,
            }
        }
    }

    /// A random move of one employee under a new manager outside their own
    /// subtree: answers (employee, old manager, new manager) and applies it.
    pub fn random_move(&mut self, rng: &mut Rng) -> (usize, usize, usize) {
        loop {
            let e = rng.range(1, self.managers.len() - 1);
            let m = rng.range(0, self.managers.len() - 1);
            let Some(old) = self.managers[e] else {
                continue;
            };
            if old == m || self.is_above_or_same(e, m) {
                continue;
            }
            self.managers[e] = Some(m);
            return (e, old, m);
        }
    }

    /// The size of the closure `manages` (pairs manager-above, employee).
    pub fn closure_size(&self) -> usize {
        (0..self.managers.len()).map(|e| self.level(e)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_tree_of_the_requested_depth() {
        let chart = OrgChart::generate(10_000, 12, 1);
        assert_eq!(chart.managers.len(), 10_000);
        assert_eq!(chart.depth(), 12);
        assert_eq!(chart.managers.iter().filter(|m| m.is_none()).count(), 1);
        let again = OrgChart::generate(10_000, 12, 1);
        assert_eq!(chart.managers, again.managers);
    }

    #[test]
    fn moves_keep_a_tree() {
        let mut chart = OrgChart::generate(500, 6, 2);
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let (e, _, m) = chart.random_move(&mut rng);
            assert!(!chart.is_above_or_same(e, m));
            assert!(chart.depth() >= 1);
        }
    }
}
