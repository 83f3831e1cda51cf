//! The org chart domain, under `policies/org_chart.polar`: the demo's
//! company ([`permafrost::demo::org::Org`]: one review per employee,
//! departments of 40, an HR department of five that administers one
//! department in ten) on a chart of a given fan-out range and depth.
//!
//! The stream: hires (a review, a department and a manager each), single
//! manager moves (one employee, with whoever reports to them, under someone
//! with a smaller number), and re-orgs that move the manager whose subtree
//! is closest to about 10, 1,000 or 10,000 people under another manager.

use permafrost::demo::org::Org;
use serde_json::json;

use super::{scaled, shuffle, Domain, Epoch, NOW};
use crate::rng::Rng;

/// The policy.
pub const POLICY: &str = include_str!("../../../policies/org_chart.polar");

/// The subtree sizes re-orgs aim at, and their kinds.
pub const REORGS: [(usize, &str); 3] = [
    (10, "re-org ~10"),
    (1_000, "re-org ~1,000"),
    (10_000, "re-org ~10,000"),
];

/// Sizes of the company and its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgConfig {
    /// Employees.
    pub employees: usize,
    /// Reports per manager, drawn uniformly from this range (inclusive).
    pub fan_out: (usize, usize),
    /// Levels at most: when the fan-outs cannot place everyone within this
    /// many levels, the managers of the next-to-last level take the rest in
    /// turn (their fan-out grows past the range).
    pub depth: usize,
    /// Hires in the stream.
    pub hires: usize,
    /// Single manager moves in the stream.
    pub moves: usize,
    /// Re-orgs of each size of [`REORGS`] in the stream.
    pub reorgs: usize,
}

impl OrgConfig {
    /// The sizes of a default run (100,000 employees) or a quick one (2,000),
    /// the company scaled by `scale`.
    pub fn sized(quick: bool, scale: f64) -> OrgConfig {
        let (employees, hires, moves, reorgs) = if quick {
            (2_000, 20, 30, 2)
        } else {
            (100_000, 200, 300, 5)
        };
        OrgConfig {
            employees: scaled(employees, scale, 2),
            fan_out: (2, 6),
            depth: 12,
            hires,
            moves,
            reorgs,
        }
    }
}

/// A chart: `managers[e]` manages `e`, always with a smaller number; filled
/// breadth first, each manager taking a fan-out drawn from `fan_out`.
pub fn chart(
    employees: usize,
    fan_out: (usize, usize),
    depth: usize,
    rng: &mut Rng,
) -> Vec<Option<usize>> {
    let employees = employees.max(2);
    let lo = fan_out.0.max(1);
    let hi = fan_out.1.max(lo);
    let depth = depth.max(2);
    let mut managers = vec![None];
    let mut level = vec![0usize];
    // Breadth first: `next` is the next employee to take reports. Every
    // manager takes at least one, so `next` never catches up.
    let mut next = 0;
    while managers.len() < employees && level[next] + 1 < depth {
        for _ in 0..rng.range(lo, hi) {
            if managers.len() == employees {
                break;
            }
            managers.push(Some(next));
            level.push(level[next] + 1);
        }
        next += 1;
    }
    // The depth cap is reached: the next-to-last level takes the rest.
    let last: Vec<usize> = (0..managers.len())
        .filter(|&e| level[e] + 2 == depth)
        .collect();
    let mut turn = 0;
    while managers.len() < employees && !last.is_empty() {
        managers.push(Some(last[turn % last.len()]));
        turn += 1;
    }
    managers
}

/// The company `config` describes.
pub fn company(config: &OrgConfig, rng: &mut Rng) -> Org {
    Org::from_managers(chart(config.employees, config.fan_out, config.depth, rng))
}

/// The size of every employee's subtree (themself included).
pub fn subtree_sizes(org: &Org) -> Vec<usize> {
    let mut size = vec![1usize; org.len()];
    // Managers have smaller numbers than their reports.
    for e in (1..org.len()).rev() {
        if let Some(m) = org.managers[e] {
            size[m] += size[e];
        }
    }
    size
}

/// A re-org: the manager whose subtree is closest to `target` people (a
/// random one among ties) moves, with their subtree, under a random
/// employee with a smaller number (outside the subtree, by the numbering).
fn reorg(org: &mut Org, target: usize, rng: &mut Rng) -> Option<(Vec<ingest::Change>, usize)> {
    let sizes = subtree_sizes(org);
    // Employee 1 may have nobody else to report to; from 2 on there is.
    let best = (2..org.len()).map(|e| sizes[e].abs_diff(target)).min()?;
    let ties: Vec<usize> = (2..org.len())
        .filter(|&e| sizes[e].abs_diff(target) == best)
        .collect();
    let m = ties[rng.below(ties.len())];
    let mut new = rng.below(m);
    if Some(new) == org.managers[m] {
        new = (new + 1) % m;
    }
    Some((org.move_under(m, new), sizes[m]))
}

/// The change stream: hires, moves and re-orgs, shuffled, each applied to
/// `org` as it is made.
pub fn stream(org: &mut Org, config: &OrgConfig, rng: &mut Rng) -> Vec<Epoch> {
    #[derive(Clone, Copy)]
    enum Kind {
        Hire,
        Move,
        Reorg(usize),
    }
    let mut kinds = vec![Kind::Hire; config.hires];
    kinds.extend(std::iter::repeat_n(Kind::Move, config.moves));
    for r in 0..REORGS.len() {
        kinds.extend(std::iter::repeat_n(Kind::Reorg(r), config.reorgs));
    }
    shuffle(&mut kinds, rng);
    let mut epochs = Vec::with_capacity(kinds.len());
    for kind in kinds {
        match kind {
            Kind::Hire => epochs.push(Epoch::new("hire", org.hire(rng))),
            Kind::Move => {
                let (e, new) = org.random_move(rng);
                epochs.push(Epoch::new("manager move", org.move_under(e, new)));
            }
            Kind::Reorg(r) => {
                let (target, label) = REORGS[r];
                if let Some((changes, moved)) = reorg(org, target, rng) {
                    epochs.push(Epoch {
                        kind: label,
                        changes,
                        moved: Some(moved),
                    });
                }
            }
        }
    }
    epochs
}

/// The domain: the company's facts and its stream.
pub fn domain(config: &OrgConfig, seed: u64) -> Domain {
    let mut rng = Rng::new(seed);
    let mut org = company(config, &mut rng);
    let depth = org.depth();
    let facts = org.facts(&mut rng);
    let mut rng = Rng::new(seed ^ 0x00e6_c4a7);
    let epochs = stream(&mut org, config, &mut rng);
    Domain {
        name: "org",
        policy_path: "policies/org_chart.polar",
        policy: POLICY,
        now: NOW,
        config: json!({
            "employees": config.employees,
            "fan_out": [config.fan_out.0, config.fan_out.1],
            "depth_cap": config.depth,
            "depth": depth,
            "hires": config.hires,
            "moves": config.moves,
            "reorgs_per_size": config.reorgs,
        }),
        facts,
        epochs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_keep_the_fan_out_and_the_depth_cap() {
        let mut rng = Rng::new(1);
        let managers = chart(10_000, (2, 6), 12, &mut rng);
        let org = Org::from_managers(managers.clone());
        assert_eq!(managers.len(), 10_000);
        assert!(managers
            .iter()
            .enumerate()
            .all(|(e, m)| m.is_none_or(|m| m < e)));
        let mut reports = vec![0usize; 10_000];
        for m in managers.iter().flatten() {
            reports[*m] += 1;
        }
        assert!(reports.iter().all(|&r| r <= 6));
        assert!((7..=12).contains(&org.depth()), "{}", org.depth());
        // A cap of 3 levels: the middle level takes everyone left.
        let capped = Org::from_managers(chart(1_000, (2, 3), 3, &mut rng));
        assert_eq!(capped.depth(), 3);
        assert_eq!(subtree_sizes(&capped)[0], 1_000);
    }
}
