//! The value bytes of a permission row: when the tuple holds.
//!
//! A [`Validity`] is stored as its intervals, each `lo | hi` as big-endian
//! `i64`, 16 bytes, in canonical order (sorted, disjoint, not adjacent).
//! [`Validity::always`] is stored as no bytes at all, so that the rows of a
//! format-1 store (always empty) read as valid at every time, and a check of
//! a tuple that does not depend on the time decodes nothing. A validity that
//! is [`Validity::never`] is never stored: the row is deleted instead.

use engine::validity::{Interval, Validity};

use crate::err::{Result, StoreError};
use crate::keys::show_perm_key;
use crate::schema::Cf;
use crate::store::Store;

/// Bytes of one stored interval.
pub(crate) const INTERVAL_LEN: usize = 16;

impl Store {
    /// The validity stored in the value of the permission row `key` of
    /// `cf` (`perm_fwd` or `perm_rev`).
    pub(crate) fn validity_of_row(&self, cf: Cf, key: &[u8], value: &[u8]) -> Result<Validity> {
        decode(value).map_err(|reason| self.bad_validity(cf, key, &reason))
    }

    /// Whether the permission row `key` of `cf`, whose value is `value`,
    /// holds at `at`.
    pub(crate) fn row_holds_at(&self, cf: Cf, key: &[u8], value: &[u8], at: i64) -> Result<bool> {
        contains(value, at).map_err(|reason| self.bad_validity(cf, key, &reason))
    }

    fn bad_validity(&self, cf: Cf, key: &[u8], reason: &str) -> StoreError {
        self.corrupt(format!(
            "the value of `{}` row `{}` is not a validity: {reason}",
            cf.name(),
            show_perm_key(key)
        ))
    }
}

/// The value bytes of a present permission row (`validity` not never).
pub(crate) fn encode(validity: &Validity) -> Vec<u8> {
    if validity.is_always() {
        return Vec::new();
    }
    let mut bytes = Vec::with_capacity(validity.intervals().len() * INTERVAL_LEN);
    for interval in validity.intervals() {
        bytes.extend_from_slice(&interval.lo.to_be_bytes());
        bytes.extend_from_slice(&interval.hi.to_be_bytes());
    }
    bytes
}

/// Decodes value bytes, or says what is wrong with them.
pub(crate) fn decode(bytes: &[u8]) -> Result<Validity, String> {
    if bytes.is_empty() {
        return Ok(Validity::always());
    }
    let intervals = intervals(bytes).collect::<Result<Vec<Interval>, String>>()?;
    // Canonical by construction: `from_intervals` changes nothing.
    Ok(Validity::from_intervals(intervals))
}

/// Whether value bytes hold at `t`, without allocating: empty bytes hold
/// always, others are validated whole (damaged bytes never pass for a plain
/// `false` or `true`).
pub(crate) fn contains(bytes: &[u8], t: i64) -> Result<bool, String> {
    let mut found = bytes.is_empty();
    for interval in intervals(bytes) {
        found |= interval?.contains(t);
    }
    Ok(found)
}

/// The intervals of non-empty value bytes, each checked against the
/// previous one.
fn intervals(bytes: &[u8]) -> impl Iterator<Item = Result<Interval, String>> + '_ {
    let mut previous: Option<Interval> = None;
    let length_error = (!bytes.len().is_multiple_of(INTERVAL_LEN)).then(|| {
        format!(
            "{} bytes, not a multiple of {INTERVAL_LEN} (intervals of two big-endian i64)",
            bytes.len()
        )
    });
    let chunks = bytes.chunks_exact(INTERVAL_LEN).map(move |chunk| {
        let (lo, hi) = chunk.split_at(INTERVAL_LEN / 2);
        let lo = i64::from_be_bytes(lo.try_into().map_err(|_| "short interval".to_string())?);
        let hi = i64::from_be_bytes(hi.try_into().map_err(|_| "short interval".to_string())?);
        let interval = Interval::new(lo, hi)
            .ok_or_else(|| format!("interval [{lo}, {hi}] ends before it starts"))?;
        if let Some(before) = previous {
            // Canonical: after the previous one, with a gap of at least
            // one second (adjacent intervals are stored merged).
            if before
                .hi
                .checked_add(1)
                .is_none_or(|end| interval.lo <= end)
            {
                return Err(format!(
                    "interval {interval} does not follow {before} (intervals must be sorted, \
                     disjoint and not adjacent)"
                ));
            }
        }
        previous = Some(interval);
        Ok(interval)
    });
    length_error.map(Err).into_iter().chain(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validity(pairs: &[(i64, i64)]) -> Validity {
        Validity::from_intervals(pairs.iter().map(|&(lo, hi)| Interval { lo, hi }))
    }

    fn raw(pairs: &[(i64, i64)]) -> Vec<u8> {
        pairs
            .iter()
            .flat_map(|(lo, hi)| [lo.to_be_bytes(), hi.to_be_bytes()])
            .flatten()
            .collect()
    }

    #[test]
    fn validities_round_trip() {
        let cases = [
            Validity::always(),
            validity(&[(100, 200)]),
            validity(&[(i64::MIN, -1), (5, 5), (7, i64::MAX)]),
            validity(&[(1_700_000_000, i64::MAX)]),
        ];
        for v in cases {
            let bytes = encode(&v);
            assert_eq!(
                bytes.len(),
                if v.is_always() {
                    0
                } else {
                    16 * v.intervals().len()
                }
            );
            assert_eq!(decode(&bytes).unwrap(), v);
            for t in [
                i64::MIN,
                -2,
                -1,
                0,
                4,
                5,
                6,
                7,
                99,
                100,
                150,
                200,
                201,
                i64::MAX,
            ] {
                assert_eq!(contains(&bytes, t), Ok(v.contains(t)), "{v} at {t}");
            }
        }
        assert!(encode(&Validity::always()).is_empty());
        assert_eq!(raw(&[(1, 2)]), encode(&validity(&[(1, 2)])));
    }

    #[test]
    fn damaged_bytes_are_reported() {
        let err = decode(&[0; 17]).unwrap_err();
        assert!(err.contains("17 bytes, not a multiple of 16"), "{err}");
        let err = decode(&raw(&[(5, 4)])).unwrap_err();
        assert_eq!(err, "interval [5, 4] ends before it starts");
        for bad in [
            &[(10, 20), (1, 2)][..],
            &[(1, 10), (5, 20)],
            &[(1, 2), (3, 4)],
        ] {
            let err = decode(&raw(bad)).unwrap_err();
            assert!(
                err.contains("must be sorted, disjoint and not adjacent"),
                "{err}"
            );
            // `contains` never answers from damaged bytes either.
            assert!(contains(&raw(bad), 0).is_err());
            assert!(contains(&raw(bad), 1).is_err());
            assert!(contains(&raw(bad), 100).is_err());
        }
        assert!(contains(&[1, 2, 3], 0).is_err());
        let err = decode(&raw(&[(1, i64::MAX), (i64::MAX, i64::MAX)])).unwrap_err();
        assert!(err.contains("does not follow"), "{err}");
    }
}
