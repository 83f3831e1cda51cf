//! The demo's company: a management tree, departments, an HR department,
//! one review per employee, and a stream of HR changes that keeps the tree
//! a tree (every manager has a smaller number than their reports).

use engine::{Fact, Value};
use ingest::{Change, Op};

/// A small, seeded generator (SplitMix64): the same seed gives the same
/// data on every machine. The demo, the benchmarks and the tests share it.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `lo..=hi` (`lo <= hi`).
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
}

/// People per department.
const DEPARTMENT_SIZE: usize = 40;
/// Members of the HR department.
const HR_MEMBERS: usize = 5;

/// The user entity of employee `e`.
pub fn user(e: usize) -> Value {
    Value::entity("User", format!("u{e}"))
}

/// The review entity of employee `e`.
pub fn review(e: usize) -> Value {
    Value::entity("Review", format!("r{e}"))
}

fn department(d: usize) -> Value {
    Value::entity("Department", format!("d{d}"))
}

fn hr() -> Value {
    Value::entity("Department", "hr")
}

/// A company: `managers[e]` manages `e` (the CEO, 0, has none).
pub struct Org {
    /// The manager of each employee; always a smaller number.
    pub managers: Vec<Option<usize>>,
    departments: usize,
}

impl Org {
    /// `employees` people; each reports to someone hired before them, with
    /// fan-outs of about three to six, so the chart is a few levels deep.
    pub fn generate(employees: usize, rng: &mut Rng) -> Org {
        let employees = employees.max(2);
        let managers = (0..employees)
            .map(|e| (e > 0).then(|| (e - 1) / (3 + rng.below(4))))
            .collect();
        Org {
            managers,
            departments: employees.div_ceil(DEPARTMENT_SIZE),
        }
    }

    /// A company with the given chart (`managers[e]` manages `e`; every
    /// manager must have a smaller number than their reports, and employee
    /// 0 none), its departments sized as [`Org::generate`]'s.
    pub fn from_managers(managers: Vec<Option<usize>>) -> Org {
        let departments = managers.len().div_ceil(DEPARTMENT_SIZE);
        Org {
            managers,
            departments,
        }
    }

    /// Levels of the chart.
    pub fn depth(&self) -> usize {
        let mut depth = vec![1usize; self.managers.len()];
        for e in 1..self.managers.len() {
            if let Some(m) = self.managers[e] {
                depth[e] = depth[m] + 1;
            }
        }
        depth.into_iter().max().unwrap_or(0)
    }

    /// Every base fact: the chart, departments, HR, reviews.
    pub fn facts(&self, rng: &mut Rng) -> Vec<Fact> {
        let mut facts = Vec::new();
        for e in 0..self.managers.len() {
            facts.extend(self.employee_facts(e));
        }
        for _ in 0..HR_MEMBERS {
            let member = rng.below(self.managers.len());
            facts.push(Fact::new("member_of", vec![user(member), hr()]));
        }
        // HR administers one department in ten.
        for d in (0..self.departments).step_by(10) {
            facts.push(Fact::new("administers", vec![hr(), department(d)]));
        }
        facts
    }

    fn employee_facts(&self, e: usize) -> Vec<Fact> {
        let mut facts = vec![
            Fact::new("review_of", vec![review(e), user(e)]),
            Fact::new(
                "member_of",
                vec![user(e), department(e % self.departments.max(1))],
            ),
        ];
        if let Some(m) = self.managers[e] {
            facts.push(Fact::new("manager", vec![user(m), user(e)]));
        }
        facts
    }

    /// A new employee under a random manager: their facts, as inserts.
    pub fn hire(&mut self, rng: &mut Rng) -> Vec<Change> {
        let e = self.managers.len();
        self.managers.push(Some(rng.below(e)));
        inserts(self.employee_facts(e))
    }

    /// Moves employee `e` (not the CEO) under `new`, which must have a
    /// smaller number: the old `manager` fact out, the new one in.
    pub fn move_under(&mut self, e: usize, new: usize) -> Vec<Change> {
        let old = self.managers[e];
        self.managers[e] = Some(new);
        let mut changes = Vec::new();
        if let Some(old) = old {
            changes.push(Change {
                op: Op::Delete,
                fact: Fact::new("manager", vec![user(old), user(e)]),
            });
        }
        changes.push(Change {
            op: Op::Insert,
            fact: Fact::new("manager", vec![user(new), user(e)]),
        });
        changes
    }

    /// A random non-CEO employee and a new manager for them.
    pub fn random_move(&mut self, rng: &mut Rng) -> (usize, usize) {
        let e = 1 + rng.below(self.managers.len() - 1);
        let mut new = rng.below(e);
        if Some(new) == self.managers[e] {
            new = (new + 1) % e;
        }
        (e, new)
    }

    /// Whether `m` is above `e` in the chart.
    pub fn manages(&self, m: usize, e: usize) -> bool {
        let mut at = self.managers.get(e).copied().flatten();
        while let Some(x) = at {
            if x == m {
                return true;
            }
            at = self.managers[x];
        }
        false
    }

    /// Employees.
    pub fn len(&self) -> usize {
        self.managers.len()
    }

    /// Whether there is nobody (never: the CEO is always there).
    pub fn is_empty(&self) -> bool {
        self.managers.is_empty()
    }
}

/// Facts as insert operations.
pub fn inserts(facts: Vec<Fact>) -> Vec<Change> {
    facts
        .into_iter()
        .map(|fact| Change {
            op: Op::Insert,
            fact,
        })
        .collect()
}

/// One event line of the JSON Lines format for a group of changes.
pub fn event_line(changes: &[Change]) -> String {
    let ops: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "op": if c.op == Op::Insert { "insert" } else { "delete" },
                "fact": c.fact,
            })
        })
        .collect();
    serde_json::json!({ "batch": ops }).to_string()
}
