//! The org chart as an oso user would model it: Rust host classes with
//! attributes, and the rules of `policies/org_chart.polar` that the
//! benchmark exercises, with the recursive `manages` rule written in one of
//! two orders.
//!
//! The data live once in a shared [`Directory`] (an application's in-memory
//! data layer); a [`User`] is an id and a handle on it, so an attribute
//! lookup is a vector index and a clone of an `Arc`: the cheapest host data
//! access oso can have, which favours the peer. `manager` is an
//! `Option<User>` (Polar iterates it with `in`: zero or one value), `reports`
//! a `Vec<User>` (a Polar list).

use std::collections::BTreeSet;
use std::sync::Arc;

use oso::{Oso, PolarClass, PolarValue};

use crate::org_chart::OrgChart;
use crate::BoxError;

/// The rules shared by both orders: the resource block of
/// `policies/org_chart.polar` and the `has_permission` rules on reviews,
/// with each base relation replaced by an attribute (`review_of(r, e)`
/// becomes `e = r.employee`, `manager(m, e)` becomes `m in e.manager`). The
/// HR and department rules are left out: the benchmark loads no department
/// facts, so they would only add failing branches to oso's search.
///
/// `m != e` on two host instances is an external comparison that oso's Rust
/// host does not implement (only equality), so the rules compare ids.
pub const RULES: &str = r#"actor User {}

resource Review {
  permissions = ["read", "comment", "write"];
  # whoever may comment on a review may also read it
  "read" if "comment";
  # whoever may write a review may also comment on it
  "comment" if "write";
}

# the direct manager of an employee writes that employee's reviews
has_permission(m: User, "write", r: Review) if
  e = r.employee and m in e.manager and m.id != e.id;

# everyone above an employee in the chain comments on the employee's reviews
has_permission(m: User, "comment", r: Review) if
  e = r.employee and manages(m, e) and m.id != e.id;

# an employee reads their own reviews
has_permission(e: User, "read", r: Review) if e = r.employee;

allow(actor, action, resource) if has_permission(actor, action, resource);
"#;

/// `manages`, walking up from the employee along manager pointers.
pub const MANAGES_UP: &str = r#"
# m manages e if m is e's direct manager, or manages e's direct manager
manages(m: User, e: User) if m in e.manager;
manages(m: User, e: User) if x in e.manager and manages(m, x);
"#;

/// `manages`, walking down from the manager through the reports. `e in
/// m.reports` would never match: polar-core filters list members by term
/// identity before unifying, and every host instance is a new term, so the
/// report is bound first and compared with `=` (the host's equality).
pub const MANAGES_DOWN: &str = r#"
# m manages e if e is one of m's reports, or one of m's reports manages e
manages(m: User, e: User) if x in m.reports and x = e;
manages(m: User, e: User) if x in m.reports and manages(x, e);
"#;

/// Which way the recursive rule walks the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// From the employee up through their managers ([`MANAGES_UP`]).
    Up,
    /// From the manager down through their reports ([`MANAGES_DOWN`]).
    Down,
}

impl Order {
    /// Both orders.
    pub const BOTH: [Order; 2] = [Order::Up, Order::Down];

    /// The order's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Order::Up => "up",
            Order::Down => "down",
        }
    }

    /// The whole policy in this order.
    pub fn policy(self) -> String {
        let manages = match self {
            Order::Up => MANAGES_UP,
            Order::Down => MANAGES_DOWN,
        };
        format!("{RULES}{manages}")
    }
}

/// The application's view of the chart: every employee's manager and
/// direct reports, by index.
#[derive(Debug)]
pub struct Directory {
    managers: Vec<Option<u32>>,
    reports: Vec<Vec<u32>>,
}

impl Directory {
    /// The directory of `chart`.
    pub fn of(chart: &OrgChart) -> Result<Arc<Directory>, BoxError> {
        let n = chart.managers.len();
        let index = |i: usize| u32::try_from(i).map_err(|_| format!("employee {i} beyond u32"));
        let mut managers = Vec::with_capacity(n);
        let mut reports = vec![Vec::new(); n];
        for (e, m) in chart.managers.iter().enumerate() {
            managers.push(m.map(index).transpose()?);
            if let Some(m) = *m {
                reports[m].push(index(e)?);
            }
        }
        Ok(Arc::new(Directory { managers, reports }))
    }
}

/// An employee, as a host instance: `User{id}` in the policy.
#[derive(Clone, PolarClass)]
pub struct User {
    /// The employee's index in the chart.
    #[polar(attribute)]
    pub id: u32,
    directory: Arc<Directory>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "User({})", self.id)
    }
}

impl PartialEq for User {
    fn eq(&self, other: &User) -> bool {
        self.id == other.id
    }
}

impl User {
    /// Employee `id` of `directory`.
    pub fn new(directory: &Arc<Directory>, id: u32) -> User {
        User {
            id,
            directory: Arc::clone(directory),
        }
    }

    /// The direct manager, if any.
    fn manager(&self) -> Option<User> {
        let manager = self.directory.managers.get(self.id as usize).copied()??;
        Some(User::new(&self.directory, manager))
    }

    /// The direct reports.
    fn reports(&self) -> Vec<User> {
        let reports = self.directory.reports.get(self.id as usize);
        reports
            .into_iter()
            .flatten()
            .map(|&r| User::new(&self.directory, r))
            .collect()
    }
}

/// The performance review of an employee: `Review{id, employee}`.
#[derive(Clone, Debug, PolarClass)]
pub struct Review {
    /// The index of the employee whose review it is.
    #[polar(attribute)]
    pub id: u32,
    /// The employee whose review it is.
    #[polar(attribute)]
    pub employee: User,
}

/// One oso instance with the classes registered and the policy loaded in
/// one order, and the directory its instances point into.
pub struct OsoPeer {
    oso: Oso,
    directory: Arc<Directory>,
    /// The rule order loaded.
    pub order: Order,
}

impl OsoPeer {
    /// Loads `directory` and the policy in `order`.
    pub fn new(directory: &Arc<Directory>, order: Order) -> Result<OsoPeer, BoxError> {
        let mut oso = Oso::new();
        let user = User::get_polar_class_builder()
            .with_equality_check()
            .add_attribute_getter("manager", User::manager)
            .add_attribute_getter("reports", User::reports)
            .build();
        oso.register_class(user)?;
        oso.register_class(Review::get_polar_class())?;
        oso.load_str(&order.policy())?;
        Ok(OsoPeer {
            oso,
            directory: Arc::clone(directory),
            order,
        })
    }

    /// The review of employee `e`.
    pub fn review(&self, e: u32) -> Review {
        Review {
            id: e,
            employee: User::new(&self.directory, e),
        }
    }

    /// `allow(User{actor}, action, Review{review})`: `is_allowed`, which
    /// stops at the first answer.
    pub fn check(&self, actor: u32, action: &str, review: u32) -> Result<bool, BoxError> {
        let actor = User::new(&self.directory, actor);
        Ok(self
            .oso
            .is_allowed(actor, action.to_string(), self.review(review))?)
    }

    /// Who may `action` on `Review{review}`: `allow(actor, action, r)` with
    /// the actor unbound, every answer enumerated, as a set of ids.
    pub fn who(&self, action: &str, review: u32) -> Result<BTreeSet<u32>, BoxError> {
        let actor = PolarValue::Variable("actor".to_string());
        let args = (actor, action.to_string(), self.review(review));
        let mut actors = BTreeSet::new();
        for answer in self.oso.query_rule("allow", args)? {
            let user: User = answer?.get_typed("actor")?;
            actors.insert(user.id);
        }
        Ok(actors)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use engine::{check_policy, reference, Fact, SourceFile, Value};

    use super::*;
    use crate::org_chart::employee;
    use crate::reviews::{changes, review, ACTIONS, STORE_POLICY};

    /// Every `allow` tuple of `policies/org_chart.polar` on `chart`, by the
    /// reference evaluator.
    fn reference_allow(chart: &OrgChart) -> HashSet<Vec<Value>> {
        let program = check_policy(&SourceFile::new("org_chart.polar", STORE_POLICY))
            .unwrap_or_else(|d| panic!("{}", d.render()));
        let facts: Vec<Fact> = changes(chart).into_iter().map(|c| c.fact).collect();
        let model = reference::evaluate(&program, &facts, 0);
        let allow = program.pred("allow").unwrap();
        model.tuples(allow).map(|t| t.to_vec()).collect()
    }

    /// Both orders answer every actor × action × review check of a small
    /// chart as the reference evaluator does, and the upward order
    /// enumerates every review's readers. (All pairs of 60 employees:
    /// 10,800 checks per order, about 5 s in the test profile, where oso
    /// costs about 0.25 ms a query; 200 employees would take a minute.)
    #[test]
    fn both_orders_agree_with_the_reference_on_every_check() {
        let chart = OrgChart::generate(60, 4, 3);
        assert_eq!(chart.depth(), 4);
        let allow = reference_allow(&chart);
        let directory = Directory::of(&chart).unwrap();
        let n = chart.managers.len() as u32;
        for order in Order::BOTH {
            let peer = OsoPeer::new(&directory, order).unwrap();
            let mut granted = 0;
            for a in 0..n {
                for r in 0..n {
                    for action in ACTIONS {
                        let tuple =
                            vec![employee(a as usize), Value::str(action), review(r as usize)];
                        let want = allow.contains(&tuple);
                        let got = peer.check(a, action, r).unwrap();
                        assert_eq!(got, want, "{order:?}: {tuple:?}");
                        granted += usize::from(got);
                    }
                }
            }
            assert_eq!(granted, allow.len(), "{order:?}");
        }
        let up = OsoPeer::new(&directory, Order::Up).unwrap();
        for r in 0..n {
            let want: BTreeSet<u32> = (0..n)
                .filter(|&a| {
                    let tuple = vec![employee(a as usize), Value::str("read"), review(r as usize)];
                    allow.contains(&tuple)
                })
                .collect();
            assert_eq!(up.who("read", r).unwrap(), want, "who reads r{r}");
        }
    }

    /// With the actor unbound, the downward order looks up `reports` on an
    /// unbound variable: oso answers a constraint, which its Rust host
    /// refuses, so that order cannot enumerate.
    #[test]
    fn the_downward_order_cannot_enumerate_actors() {
        let chart = OrgChart::generate(20, 3, 1);
        let directory = Directory::of(&chart).unwrap();
        let down = OsoPeer::new(&directory, Order::Down).unwrap();
        let leaf = (0..20u32).find(|&e| chart.level(e as usize) == 2).unwrap();
        assert!(down.who("read", leaf).is_err());
    }
}
