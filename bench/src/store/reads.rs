//! The read path under test: `check`, `who` and `list` through
//! `Store::read()`, each timed beside its peers over the same probes, in
//! rounds that alternate between them (the first round warms the caches and
//! is not recorded). Every answer is checked against the expected one.

use std::collections::HashSet;
use std::fmt::Debug;
use std::time::Instant;

use engine::Value;
use storage::{Permission, Store};

use crate::latency::{Latency, Summary};
use crate::org_chart::{employee, OrgChart};
use crate::raw_peer::{dict_key, fwd_key, fwd_prefix, RawPeer};
use crate::reviews::{mixed_probes, review, Tuple, ACTIONS, READ};
use crate::rng::Rng;
use crate::BoxError;

/// What the reads run against.
pub struct Subjects<'a> {
    /// The chart the store was loaded with.
    pub chart: &'a OrgChart,
    /// Every materialized tuple, sorted.
    pub tuples: &'a [Tuple],
    /// The store.
    pub store: &'a Store,
    /// The bare RocksDB peer, holding the `perm_fwd`-shaped key of every
    /// tuple.
    pub raw: &'a RawPeer,
    /// A second bare RocksDB, holding `dict`-shaped rows of every value.
    pub raw_dict: &'a RawPeer,
    /// The in-memory peer: every tuple.
    pub set: &'a HashSet<Permission>,
}

/// Check latencies: the store two ways, and both peers.
#[derive(Clone, Copy, Debug)]
pub struct Checks {
    /// Allowed probes (the rest are denied).
    pub allowed: usize,
    /// Probes per round.
    pub probes: usize,
    /// `Reader::check` on one `Reader` taken per round (one snapshot).
    pub reader_once: Summary,
    /// `Store::read()` then `Reader::check`, a new snapshot per check.
    pub reader_per_check: Summary,
    /// One `get` of the same key shape on the bare RocksDB peer.
    pub raw_get: Summary,
    /// The gets a check does, on the bare peers: the actor's and the
    /// action's `dict`-shaped rows, then the `perm_fwd`-shaped key.
    pub raw_three_gets: Summary,
    /// `HashSet<Permission>::contains` of the same tuple.
    pub hash_set: Summary,
    /// `Store::read()` then `Reader::check`, on two threads at once (each
    /// the whole probe set), both threads' latencies.
    pub two_threads: Summary,
    /// One raw `get` per probe on two threads at once.
    pub raw_get_two_threads: Summary,
}

/// Latencies of a scan, and the sizes of its answers.
#[derive(Clone, Copy, Debug)]
pub struct Scan {
    /// Distinct probes per round.
    pub probes: usize,
    /// Smallest answer, in rows.
    pub rows_min: usize,
    /// Largest answer, in rows.
    pub rows_max: usize,
    /// Mean answer, in rows.
    pub rows_mean: f64,
    /// The latency of one whole answer.
    pub latency: Summary,
}

/// The values of the chart, built once so probes share them.
pub struct Values {
    users: Vec<Value>,
    reviews: Vec<Value>,
    actions: Vec<Value>,
}

impl Values {
    /// The users, reviews and actions of `chart`.
    pub fn of(chart: &OrgChart) -> Values {
        let n = chart.managers.len();
        Values {
            users: (0..n).map(employee).collect(),
            reviews: (0..n).map(review).collect(),
            actions: ACTIONS.iter().map(|a| Value::str(*a)).collect(),
        }
    }

    /// The canonical texts of every value (what the store's `dict` holds,
    /// but for the predicate names).
    pub fn texts(&self) -> impl Iterator<Item = String> + '_ {
        let all = self.users.iter().chain(&self.reviews).chain(&self.actions);
        all.map(Value::to_string)
    }

    /// The permission a tuple stands for.
    pub fn permission(&self, t: &Tuple) -> Permission {
        Permission::new(
            self.users[t.actor as usize].clone(),
            self.actions[usize::from(t.action)].clone(),
            self.reviews[t.review as usize].clone(),
        )
    }
}

/// Runs `op` on every probe, checks its answers, and records its latency
/// unless `warm_up`.
fn pass<T: PartialEq + Debug>(
    latency: &mut Latency,
    warm_up: bool,
    expected: &[T],
    mut op: impl FnMut(usize) -> Result<T, BoxError>,
) -> Result<(), BoxError> {
    for (i, want) in expected.iter().enumerate() {
        let started = Instant::now();
        let got = std::hint::black_box(op(i)?);
        let elapsed = started.elapsed();
        if !warm_up {
            latency.record(elapsed)?;
        }
        if got != *want {
            return Err(format!("probe {i}: answered {got:?}, expected {want:?}").into());
        }
    }
    Ok(())
}

/// Runs `op` on every probe on two threads at once, each thread the whole
/// set with its answers checked; the latencies of both threads.
fn on_two_threads<T: PartialEq + Debug + Sync>(
    expected: &[T],
    op: impl Fn(usize) -> Result<T, BoxError> + Sync,
) -> Result<Summary, BoxError> {
    let threads: Vec<Result<Latency, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut latency = Latency::new().map_err(|e| e.to_string())?;
                    pass(&mut latency, false, expected, &op).map_err(|e| e.to_string())?;
                    Ok(latency)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a check thread panicked".into()))
            })
            .collect()
    });
    let mut merged = Latency::new()?;
    for latency in threads {
        merged.merge(&latency?)?;
    }
    Ok(merged.summary())
}

/// `probes` random checks, each allowed or denied with even odds, answered
/// by the store and its peers over `rounds` measured rounds.
pub fn checks(
    s: &Subjects<'_>,
    values: &Values,
    probes: usize,
    rounds: usize,
    rng: &mut Rng,
) -> Result<Checks, BoxError> {
    let (tuples, expected): (Vec<Tuple>, Vec<bool>) =
        mixed_probes(s.chart.managers.len(), s.tuples, probes, rng)
            .into_iter()
            .unzip();
    let perms: Vec<Permission> = tuples.iter().map(|t| values.permission(t)).collect();
    let keys: Vec<Vec<u8>> = tuples.iter().map(fwd_key).collect();
    let dict_keys: Vec<[Vec<u8>; 2]> = perms
        .iter()
        .map(|p| {
            [
                dict_key(&p.actor.to_string()),
                dict_key(&p.action.to_string()),
            ]
        })
        .collect();
    let (mut once, mut per_check) = (Latency::new()?, Latency::new()?);
    let (mut raw, mut raw_three, mut set) = (Latency::new()?, Latency::new()?, Latency::new()?);
    let now = permafrost::load::now();
    for round in 0..=rounds {
        let warm_up = round == 0;
        let reader = s.store.read()?;
        pass(&mut once, warm_up, &expected, |i| {
            let p = &perms[i];
            Ok(reader.check(&p.actor, &p.action, &p.resource, now)?)
        })?;
        drop(reader);
        pass(&mut per_check, warm_up, &expected, |i| {
            let p = &perms[i];
            let reader = s.store.read()?;
            Ok(reader.check(&p.actor, &p.action, &p.resource, now)?)
        })?;
        pass(&mut raw, warm_up, &expected, |i| s.raw.get(&keys[i]))?;
        pass(&mut raw_three, warm_up, &expected, |i| {
            let [actor, action] = &dict_keys[i];
            let known = s.raw_dict.get(actor)? & s.raw_dict.get(action)?;
            Ok(known && s.raw.get(&keys[i])?)
        })?;
        pass(&mut set, warm_up, &expected, |i| {
            Ok(s.set.contains(&perms[i]))
        })?;
    }
    let two_threads = on_two_threads(&expected, |i| {
        let p = &perms[i];
        Ok(s.store
            .read()?
            .check(&p.actor, &p.action, &p.resource, now)?)
    })?;
    let raw_get_two_threads = on_two_threads(&expected, |i| s.raw.get(&keys[i]))?;
    Ok(Checks {
        two_threads,
        raw_get_two_threads,
        allowed: expected.iter().filter(|a| **a).count(),
        probes,
        reader_once: once.summary(),
        reader_per_check: per_check.summary(),
        raw_get: raw.summary(),
        raw_three_gets: raw_three.summary(),
        hash_set: set.summary(),
    })
}

/// The indexes whose count is closest to `target` (all of them, if several
/// are as close).
fn closest(counts: &[usize], target: usize) -> Vec<usize> {
    let best = counts.iter().map(|c| c.abs_diff(target)).min();
    (0..counts.len())
        .filter(|&i| Some(counts[i].abs_diff(target)) == best)
        .collect()
}

/// The figures of a scan from the expected sizes and the latency.
fn scan(expected: &[usize], latency: &Latency) -> Scan {
    Scan {
        probes: expected.len(),
        rows_min: expected.iter().copied().min().unwrap_or(0),
        rows_max: expected.iter().copied().max().unwrap_or(0),
        rows_mean: expected.iter().sum::<usize>() as f64 / expected.len().max(1) as f64,
        latency: latency.summary(),
    }
}

/// `who` can `read` the reviews whose answer is closest to `rows` actors
/// (`probes` random such reviews), each answer read whole; and the peer, a
/// prefix iteration of the bare RocksDB over the `perm_fwd`-shaped rows of
/// actors with closest to `rows` readable reviews.
pub fn whos(
    s: &Subjects<'_>,
    values: &Values,
    rows: usize,
    probes: usize,
    rounds: usize,
    rng: &mut Rng,
) -> Result<(Scan, Scan), BoxError> {
    let n = s.chart.managers.len();
    // The readers of a review: its employee and everyone above.
    let readers: Vec<usize> = (0..n).map(|e| s.chart.level(e) + 1).collect();
    let mut readable = vec![0; n];
    for t in s.tuples.iter().filter(|t| t.action == READ) {
        readable[t.actor as usize] += 1;
    }
    let (reviews, actors) = (closest(&readers, rows), closest(&readable, rows));
    let pick = |from: &[usize], rng: &mut Rng| -> Vec<usize> {
        (0..probes)
            .map(|_| from[rng.range(0, from.len() - 1)])
            .collect()
    };
    let (reviews, actors) = (pick(&reviews, rng), pick(&actors, rng));
    let review_rows: Vec<usize> = reviews.iter().map(|&e| readers[e]).collect();
    let actor_rows: Vec<usize> = actors.iter().map(|&a| readable[a]).collect();
    let prefixes: Vec<Vec<u8>> = actors.iter().map(|&a| fwd_prefix(a, READ)).collect();
    let read = &values.actions[usize::from(READ)];
    let now = permafrost::load::now();
    let (mut store, mut raw) = (Latency::new()?, Latency::new()?);
    for round in 0..=rounds {
        let reader = s.store.read()?;
        pass(&mut store, round == 0, &review_rows, |i| {
            let who = reader.who(read, &values.reviews[reviews[i]], None, usize::MAX, now)?;
            Ok(who.collect::<Result<Vec<Value>, _>>()?.len())
        })?;
        pass(&mut raw, round == 0, &actor_rows, |i| {
            Ok(s.raw.scan(&prefixes[i])?.0)
        })?;
    }
    Ok((scan(&review_rows, &store), scan(&actor_rows, &raw)))
}

/// `list` of the reviews the root of the chart (the CEO) can `read`, whole,
/// `repeats` times per round; and the peer, a prefix iteration of the bare
/// RocksDB over the same rows.
pub fn lists(
    s: &Subjects<'_>,
    values: &Values,
    repeats: usize,
    rounds: usize,
) -> Result<(Scan, Scan), BoxError> {
    let ceo = s
        .chart
        .managers
        .iter()
        .position(Option::is_none)
        .ok_or("the chart has no root")?;
    let rows = s
        .tuples
        .iter()
        .filter(|t| t.actor as usize == ceo && t.action == READ)
        .count();
    let expected = vec![rows; repeats];
    let prefix = fwd_prefix(ceo, READ);
    let read = &values.actions[usize::from(READ)];
    let now = permafrost::load::now();
    let (mut store, mut raw) = (Latency::new()?, Latency::new()?);
    for round in 0..=rounds {
        let reader = s.store.read()?;
        pass(&mut store, round == 0, &expected, |_| {
            let list = reader.list(&values.users[ceo], read, "Review", None, usize::MAX, now)?;
            Ok(list.collect::<Result<Vec<Value>, _>>()?.len())
        })?;
        pass(&mut raw, round == 0, &expected, |_| {
            Ok(s.raw.scan(&prefix)?.0)
        })?;
    }
    Ok((scan(&expected, &store), scan(&expected, &raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_keeps_every_tie() {
        assert_eq!(closest(&[3, 12, 11, 13, 12], 12), vec![1, 4]);
        assert_eq!(closest(&[3, 11, 13], 12), vec![1, 2]);
        assert!(closest(&[], 12).is_empty());
    }
}
