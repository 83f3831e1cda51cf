//! The probes every engine answers: one seeded, mixed set of checks (half
//! allowed, half denied) and the reviews whose readers are enumerated.

use crate::org_chart::OrgChart;
use crate::reviews::{Tuple, ACTIONS, COMMENT, READ};
use crate::rng::Rng;
use crate::BoxError;

/// What a check probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The root of the chart reads or comments on a review of the bottom
    /// level: allowed, the longest chain.
    CeoToLeaf,
    /// A uniformly random allowed tuple (mostly a mid-level manager and a
    /// report some levels below).
    Allowed,
    /// A random actor, action and review that the policy does not allow.
    Denied,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 3] = [Kind::CeoToLeaf, Kind::Allowed, Kind::Denied];

    /// The kind's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CeoToLeaf => "ceo_to_leaf",
            Kind::Allowed => "allowed",
            Kind::Denied => "denied",
        }
    }

    /// Its index in [`Kind::ALL`].
    pub fn index(self) -> usize {
        match self {
            Kind::CeoToLeaf => 0,
            Kind::Allowed => 1,
            Kind::Denied => 2,
        }
    }
}

/// One check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Actor, action and review.
    pub tuple: Tuple,
    /// What it probes.
    pub kind: Kind,
}

impl Probe {
    /// The action's name.
    pub fn action(&self) -> &'static str {
        ACTIONS[usize::from(self.tuple.action)]
    }

    /// The answer the policy gives, by construction.
    pub fn allowed(&self) -> bool {
        self.kind != Kind::Denied
    }
}

/// The root of `chart` and the employees of its bottom level.
fn root_and_leaves(chart: &OrgChart) -> Result<(usize, Vec<usize>), BoxError> {
    let root = chart
        .managers
        .iter()
        .position(Option::is_none)
        .ok_or("the chart has no root")?;
    let levels: Vec<usize> = (0..chart.managers.len()).map(|e| chart.level(e)).collect();
    let bottom = levels.iter().copied().max().unwrap_or(0);
    let leaves = (0..levels.len())
        .filter(|&e| bottom > 0 && levels[e] == bottom)
        .collect();
    Ok((root, leaves))
}

/// `count` checks, half allowed (a quarter of those from the root to the
/// bottom level) and half denied, from `tuples` (every allowed tuple of
/// `chart`, sorted).
pub fn checks(
    chart: &OrgChart,
    tuples: &[Tuple],
    count: usize,
    rng: &mut Rng,
) -> Result<Vec<Probe>, BoxError> {
    let n = chart.managers.len();
    if n == 0 || tuples.is_empty() {
        return Err("no employees to check".into());
    }
    let (root, leaves) = root_and_leaves(chart)?;
    let allowed = count.div_ceil(2);
    let from_root = if leaves.is_empty() { 0 } else { allowed / 4 };
    let index = |i: usize| u32::try_from(i).map_err(|_| format!("employee {i} beyond u32"));
    let mut probes = Vec::with_capacity(count);
    for _ in 0..from_root {
        let leaf = leaves[rng.range(0, leaves.len() - 1)];
        let action = if rng.next_u64() & 1 == 0 {
            READ
        } else {
            COMMENT
        };
        let tuple = Tuple {
            actor: index(root)?,
            action,
            review: index(leaf)?,
        };
        probes.push(Probe {
            tuple,
            kind: Kind::CeoToLeaf,
        });
    }
    while probes.len() < allowed {
        let tuple = tuples[rng.range(0, tuples.len() - 1)];
        probes.push(Probe {
            tuple,
            kind: Kind::Allowed,
        });
    }
    let mut attempts = 0usize;
    while probes.len() < count {
        attempts += 1;
        if attempts > 1000 * count.max(1) {
            return Err("cannot draw enough denied checks".into());
        }
        let tuple = Tuple {
            actor: index(rng.range(0, n - 1))?,
            action: rng.range(0, ACTIONS.len() - 1) as u8,
            review: index(rng.range(0, n - 1))?,
        };
        if tuples.binary_search(&tuple).is_err() {
            probes.push(Probe {
                tuple,
                kind: Kind::Denied,
            });
        }
    }
    Ok(probes)
}

/// `count` random reviews (by employee index), and who may `read` each: the
/// employee and everyone above them, sorted.
pub fn readers(chart: &OrgChart, count: usize, rng: &mut Rng) -> Vec<(u32, Vec<u32>)> {
    let n = chart.managers.len();
    if n == 0 {
        return Vec::new();
    }
    (0..count)
        .map(|_| {
            let e = rng.range(0, n - 1);
            let mut who: Vec<u32> = std::iter::once(e)
                .chain(chart.above(e))
                .map(|a| a as u32)
                .collect();
            who.sort_unstable();
            (e as u32, who)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reviews::tuples;

    #[test]
    fn half_allowed_and_a_quarter_of_those_from_the_root() {
        let chart = OrgChart::generate(500, 6, 4);
        let all = tuples(&chart);
        let probes = checks(&chart, &all, 40, &mut Rng::new(1)).unwrap();
        assert_eq!(probes.len(), 40);
        for p in &probes {
            assert_eq!(all.binary_search(&p.tuple).is_ok(), p.allowed(), "{p:?}");
        }
        let count = |k| probes.iter().filter(|p| p.kind == k).count();
        assert_eq!(
            (
                count(Kind::CeoToLeaf),
                count(Kind::Allowed),
                count(Kind::Denied)
            ),
            (5, 15, 20)
        );
        let root = chart.managers.iter().position(Option::is_none).unwrap();
        let mut ceo = probes.iter().filter(|p| p.kind == Kind::CeoToLeaf);
        assert!(ceo.clone().all(|p| p.tuple.actor as usize == root));
        assert!(ceo.all(|p| chart.level(p.tuple.review as usize) == 5));
    }
}
