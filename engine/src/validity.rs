//! When a derived tuple holds: a set of closed intervals of unix seconds.
//!
//! A rule that compares a variable with `@current_unix_time` holds for some
//! values of the time and not others (DESIGN.md §3, "Time"). Engines that
//! materialize tuples keep, with each tuple, the times at which it holds: a
//! [`Validity`]. Conjunction intersects validities, alternative derivations
//! unite them, and `not` complements them; a tuple that does not depend on
//! the time is valid [`Validity::always`]. A check at time `T` is then a
//! lookup and [`Validity::contains`], with nothing recomputed as the clock
//! moves.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ast::CmpOp;

/// Closed interval `[lo, hi]` of unix seconds, `lo <= hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Interval {
    /// The first second of the interval.
    pub lo: i64,
    /// The last second of the interval (inclusive).
    pub hi: i64,
}

impl Interval {
    /// All of time.
    pub const ALWAYS: Interval = Interval {
        lo: i64::MIN,
        hi: i64::MAX,
    };

    /// `[lo, hi]`, or `None` when it is empty (`lo > hi`).
    pub fn new(lo: i64, hi: i64) -> Option<Interval> {
        (lo <= hi).then_some(Interval { lo, hi })
    }

    /// The common part of two intervals, if any.
    pub fn intersect(self, other: Interval) -> Option<Interval> {
        Interval::new(self.lo.max(other.lo), self.hi.min(other.hi))
    }

    /// Whether `t` lies in the interval.
    pub fn contains(self, t: i64) -> bool {
        self.lo <= t && t <= self.hi
    }
}

impl fmt::Display for Interval {
    /// `[lo, hi]`, with `-inf` and `+inf` for the ends of time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = |t: i64| match t {
            i64::MIN => "-inf".to_string(),
            i64::MAX => "+inf".to_string(),
            t => t.to_string(),
        };
        write!(f, "[{}, {}]", end(self.lo), end(self.hi))
    }
}

/// A set of times, as sorted, disjoint, non-adjacent closed intervals.
///
/// The representation is canonical: two validities are equal exactly when
/// they hold at the same times, so a change of validity is a real change.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Validity {
    intervals: Vec<Interval>,
}

impl Validity {
    /// Every time.
    pub fn always() -> Validity {
        Validity {
            intervals: vec![Interval::ALWAYS],
        }
    }

    /// No time at all.
    pub fn never() -> Validity {
        Validity::default()
    }

    /// The union of any intervals, made canonical.
    pub fn from_intervals(intervals: impl IntoIterator<Item = Interval>) -> Validity {
        let mut sorted: Vec<Interval> = intervals.into_iter().collect();
        sorted.sort_unstable();
        let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
        for next in sorted {
            match merged.last_mut() {
                // Overlapping or adjacent (`hi + 1 == next.lo`) intervals merge.
                Some(last) if last.hi == i64::MAX || last.hi + 1 >= next.lo => {
                    last.hi = last.hi.max(next.hi);
                }
                _ => merged.push(next),
            }
        }
        Validity { intervals: merged }
    }

    /// The times `T` at which `value OP T` holds, for an integer `value`.
    pub fn when(value: i64, op: CmpOp) -> Validity {
        let from = |lo: Option<i64>| lo.map(|lo| Interval { lo, hi: i64::MAX });
        let until = |hi: Option<i64>| hi.map(|hi| Interval { lo: i64::MIN, hi });
        let at = Interval {
            lo: value,
            hi: value,
        };
        match op {
            CmpOp::Eq => Validity {
                intervals: vec![at],
            },
            CmpOp::Ne => Validity {
                intervals: vec![at],
            }
            .complement(),
            // value < T  ⟺  T ≥ value + 1
            CmpOp::Lt => Validity::from_intervals(from(value.checked_add(1))),
            CmpOp::Le => Validity::from_intervals(from(Some(value))),
            // value > T  ⟺  T ≤ value − 1
            CmpOp::Gt => Validity::from_intervals(until(value.checked_sub(1))),
            CmpOp::Ge => Validity::from_intervals(until(Some(value))),
        }
    }

    /// The intervals, sorted and disjoint.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    /// Whether the tuple holds at time `t`.
    pub fn contains(&self, t: i64) -> bool {
        // Few intervals per tuple: a scan beats a binary search.
        self.intervals.iter().any(|i| i.contains(t))
    }

    /// Whether it holds at every time.
    pub fn is_always(&self) -> bool {
        self.intervals == [Interval::ALWAYS]
    }

    /// Whether it holds at no time.
    pub fn is_never(&self) -> bool {
        self.intervals.is_empty()
    }

    /// The times in both.
    pub fn intersect(&self, other: &Validity) -> Validity {
        let mut out = Vec::new();
        for a in &self.intervals {
            for b in &other.intervals {
                out.extend(a.intersect(*b));
            }
        }
        Validity::from_intervals(out)
    }

    /// The times in either.
    pub fn union(&self, other: &Validity) -> Validity {
        Validity::from_intervals(self.intervals.iter().chain(&other.intervals).copied())
    }

    /// The times not in this validity.
    pub fn complement(&self) -> Validity {
        let mut out = Vec::new();
        let mut from = Some(i64::MIN);
        for i in &self.intervals {
            if let Some(lo) = from {
                if i.lo > lo {
                    out.push(Interval { lo, hi: i.lo - 1 });
                }
            }
            from = i.hi.checked_add(1);
        }
        if let Some(lo) = from {
            out.push(Interval { lo, hi: i64::MAX });
        }
        Validity { intervals: out }
    }

    /// The first time after `t` at which `contains` changes, if it ever does:
    /// when a grant begins or ends.
    pub fn next_change_after(&self, t: i64) -> Option<i64> {
        self.intervals
            .iter()
            .flat_map(|i| [Some(i.lo), i.hi.checked_add(1)])
            .flatten()
            .filter(|&edge| edge > t && edge != i64::MIN)
            .min()
    }
}

impl fmt::Display for Validity {
    /// `always`, `never`, or the intervals joined by ` ∪ `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_always() {
            return f.write_str("always");
        }
        if self.is_never() {
            return f.write_str("never");
        }
        let parts: Vec<String> = self.intervals.iter().map(Interval::to_string).collect();
        f.write_str(&parts.join(" ∪ "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn interval(lo: i64, hi: i64) -> Interval {
        Interval { lo, hi }
    }

    fn arbitrary_validity() -> impl Strategy<Value = Validity> {
        proptest::collection::vec((-20i64..20, 0i64..8), 0..5).prop_map(|pairs| {
            Validity::from_intervals(pairs.into_iter().map(|(lo, len)| interval(lo, lo + len)))
        })
    }

    #[test]
    fn canonical_form_merges_overlapping_and_adjacent_intervals() {
        let v = Validity::from_intervals([interval(5, 9), interval(1, 4), interval(7, 12)]);
        assert_eq!(v.intervals(), [interval(1, 12)]);
        let v = Validity::from_intervals([interval(1, 2), interval(4, 5)]);
        assert_eq!(v.intervals().len(), 2);
        assert_eq!(v.to_string(), "[1, 2] ∪ [4, 5]");
        assert_eq!(Validity::always().to_string(), "always");
        assert_eq!(Validity::always().complement(), Validity::never());
        assert_eq!(Validity::never().complement(), Validity::always());
    }

    #[test]
    fn next_change_is_the_next_edge() {
        let v = Validity::from_intervals([interval(10, 19), interval(30, i64::MAX)]);
        assert_eq!(v.next_change_after(0), Some(10));
        assert_eq!(v.next_change_after(10), Some(20));
        assert_eq!(v.next_change_after(25), Some(30));
        assert_eq!(v.next_change_after(30), None);
        assert_eq!(Validity::always().next_change_after(0), None);
    }

    #[test]
    fn comparisons_with_the_time_become_intervals() {
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            for value in [-3i64, 0, 7, i64::MIN, i64::MAX] {
                let validity = Validity::when(value, op);
                for t in [-5i64, -3, -2, 0, 6, 7, 8, i64::MIN, i64::MAX] {
                    let holds = crate::reference::compare(
                        op,
                        &crate::value::Value::Int(value),
                        &crate::value::Value::Int(t),
                    );
                    assert_eq!(validity.contains(t), holds, "{value} {} {t}", op.symbol());
                }
            }
        }
    }

    proptest! {
        #[test]
        fn set_operations_agree_with_membership(a in arbitrary_validity(), b in arbitrary_validity()) {
            for t in -25i64..35 {
                prop_assert_eq!(a.intersect(&b).contains(t), a.contains(t) && b.contains(t));
                prop_assert_eq!(a.union(&b).contains(t), a.contains(t) || b.contains(t));
                prop_assert_eq!(a.complement().contains(t), !a.contains(t));
            }
            prop_assert_eq!(a.complement().complement(), a.clone());
            prop_assert_eq!(a.union(&b), Validity::from_intervals(a.union(&b).intervals().to_vec()));
        }
    }
}
