//! The schedule: when stored permissions start or stop holding, by time.
//!
//! A permission valid only at some times is granted and revoked again as
//! the clock passes the edges of its validity, with no epoch to log it.
//! The `schedule` family lists every edge of every stored validity keyed
//! by time, so `GET /v1/watch` finds the changes between two times with one
//! range scan. Its rows are written in the batch that writes the permission
//! rows, so the schedule always matches the stored validities.

use std::collections::BTreeMap;

use engine::validity::Validity;
use engine::value::Value;
use rocksdb::WriteBatch;

use crate::canon;
use crate::err::Result;
use crate::keys::{read_u64, split_perm_key, ID_LEN};
use crate::read::Reader;
use crate::scan::Rows;
use crate::schema::Cf;
use crate::store::Store;
use crate::{Permission, PermissionChange};

/// Schedule tag: the tuple starts holding at the key's time.
const STARTS: u8 = b'+';
/// Schedule tag: the tuple stops holding at the key's time (it held until
/// the second before).
const STOPS: u8 = b'-';

/// Flips the sign bit so that the big-endian bytes of any `i64` sort in
/// numeric order.
const SIGN: u64 = 1 << 63;

/// A change that happens as time passes: a stored permission starts or
/// stops holding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledChange {
    /// When: the first second at which the new state holds.
    pub at: i64,
    /// [`PermissionChange::Grant`] (holds from `at` on) or
    /// [`PermissionChange::Revoke`] (held until `at - 1`).
    pub change: PermissionChange,
    /// The permission.
    pub permission: Permission,
}

/// The 8 key bytes of a time.
fn time_bytes(t: i64) -> [u8; ID_LEN] {
    ((t as u64) ^ SIGN).to_be_bytes()
}

/// The time of 8 key bytes.
fn time_of(bytes: &[u8]) -> Option<i64> {
    read_u64(bytes).map(|u| (u ^ SIGN) as i64)
}

/// The `schedule` key of an edge of the `perm_fwd` row `fwd`.
fn schedule_key(t: i64, fwd: &[u8]) -> Vec<u8> {
    [&time_bytes(t)[..], fwd].concat()
}

/// The edges of a validity: when it starts holding (`+`) and when it stops
/// (`-`). The beginning and the end of time are no edges.
fn edges(validity: &Validity) -> BTreeMap<i64, u8> {
    let mut edges = BTreeMap::new();
    for interval in validity.intervals() {
        if interval.lo != i64::MIN {
            edges.insert(interval.lo, STARTS);
        }
        if let Some(end) = interval.hi.checked_add(1) {
            edges.insert(end, STOPS);
        }
    }
    edges
}

/// The schedule rows to write when the `perm_fwd` row `fwd` goes from
/// validity `before` to `after`: `Some(tag)` to put, `None` to delete.
pub(crate) fn edge_rows(
    fwd: &[u8],
    before: &Validity,
    after: &Validity,
    rows: &mut BTreeMap<Vec<u8>, Option<u8>>,
) {
    let (old, new) = (edges(before), edges(after));
    for t in old.keys().filter(|t| !new.contains_key(*t)) {
        rows.insert(schedule_key(*t, fwd), None);
    }
    for (t, tag) in new {
        if old.get(&t) != Some(&tag) {
            rows.insert(schedule_key(t, fwd), Some(tag));
        }
    }
}

impl Store {
    /// Adds schedule rows (from [`edge_rows`]) to `batch`, in key order.
    pub(crate) fn stage_schedule(
        &self,
        rows: BTreeMap<Vec<u8>, Option<u8>>,
        batch: &mut WriteBatch,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let cf = self.cf(Cf::Schedule)?;
        for (key, tag) in rows {
            match tag {
                Some(tag) => batch.put_cf(cf, key, [tag]),
                None => batch.delete_cf(cf, key),
            }
        }
        Ok(())
    }

    /// Writes the schedule rows of every stored validity: for a store whose
    /// `schedule` family was just created (a format-1 store, whose rows
    /// are all valid always, gets none).
    pub(crate) fn rebuild_schedule(&self, batch: &mut WriteBatch) -> Result<()> {
        let mut opts = rocksdb::ReadOptions::default();
        opts.set_total_order_seek(true);
        let mut iter = self.db.raw_iterator_cf_opt(self.cf(Cf::PermFwd)?, opts);
        iter.seek_to_first();
        let mut rows = BTreeMap::new();
        while let (Some(key), Some(value)) = (iter.key(), iter.value()) {
            if !value.is_empty() {
                let validity = self.validity_of_row(Cf::PermFwd, key, value)?;
                edge_rows(key, &Validity::never(), &validity, &mut rows);
            }
            iter.next();
        }
        iter.status().map_err(|e| self.rocks(e))?;
        self.stage_schedule(rows, batch)
    }
}

impl<'s> Reader<'s> {
    /// The changes scheduled at times `t` with `after < t <= until`, in time
    /// order (then by actor id, action id and resource), from the
    /// validities stored at this reader's epoch.
    pub fn scheduled(&self, after: i64, until: i64) -> Result<Rows<'_, ScheduledChange>> {
        let Some(cf) = self.store.db.cf_handle(Cf::Schedule.name()) else {
            // A read-only view of a format-1 store: nothing scheduled.
            return Ok(Rows::empty(self.store));
        };
        let mut opts = self.options();
        if let Some(end) = until.checked_add(1) {
            opts.set_iterate_upper_bound(time_bytes(end).to_vec());
        }
        let mut iter = self.store.db.raw_iterator_cf_opt(cf, opts);
        // An iterator that never seeks yields nothing.
        if let Some(start) = after.checked_add(1).filter(|_| after < until) {
            iter.seek(time_bytes(start));
        }
        let mut actor: Option<(u64, Value)> = None;
        let mut action: Option<(u64, Value)> = None;
        let decode = move |key: &[u8], value: &[u8]| {
            let bad = || self.store.corrupt("an undecodable row in `schedule`");
            let (time, fwd) = key.split_at_checked(ID_LEN).ok_or_else(bad)?;
            let at = time_of(time).ok_or_else(bad)?;
            let change = match value {
                [STARTS] => PermissionChange::Grant,
                [STOPS] => PermissionChange::Revoke,
                _ => return Err(bad()),
            };
            let (actor_id, action_id, resource) = split_perm_key(fwd).ok_or_else(bad)?;
            let resource = canon::decode(resource).ok_or_else(bad)?;
            let permission = Permission {
                actor: self.cached_value(&mut actor, actor_id)?,
                action: self.cached_value(&mut action, action_id)?,
                resource,
            };
            Ok(ScheduledChange {
                at,
                change,
                permission,
            })
        };
        Ok(Rows::new(self.store, iter, Box::new(decode)))
    }

    /// The time of the first change scheduled after `after`, if any: when a
    /// watch stream has something to send next.
    pub fn next_scheduled(&self, after: i64) -> Result<Option<i64>> {
        let Some(cf) = self.store.db.cf_handle(Cf::Schedule.name()) else {
            return Ok(None);
        };
        let Some(start) = after.checked_add(1) else {
            return Ok(None);
        };
        let mut iter = self.store.db.raw_iterator_cf_opt(cf, self.options());
        iter.seek(time_bytes(start));
        match iter.key() {
            Some(key) => key
                .get(..ID_LEN)
                .and_then(time_of)
                .map(Some)
                .ok_or_else(|| self.store.corrupt("an undecodable key in `schedule`")),
            None => iter
                .status()
                .map(|()| None)
                .map_err(|e| self.store.rocks(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{allow, commit_perms, commit_valid, new_store, valid};

    fn all(reader: &Reader<'_>, after: i64, until: i64) -> Vec<(i64, PermissionChange, String)> {
        reader
            .scheduled(after, until)
            .unwrap()
            .map(|c| c.map(|c| (c.at, c.change, c.permission.actor.to_string())))
            .collect::<Result<_>>()
            .unwrap()
    }

    #[test]
    fn time_keys_sort_numerically() {
        let times = [i64::MIN, -1_000, -1, 0, 1, 255, 256, 1 << 40, i64::MAX];
        for w in times.windows(2) {
            assert!(time_bytes(w[0]) < time_bytes(w[1]), "{w:?}");
        }
        for t in times {
            assert_eq!(time_of(&time_bytes(t)), Some(t));
        }
    }

    #[test]
    fn edges_follow_the_stored_validities() {
        use PermissionChange::{Grant, Revoke};
        let (_dir, store) = new_store();
        let (a, b, c) = (
            allow("a", "read", "Doc", "1"),
            allow("b", "read", "Doc", "1"),
            allow("c", "read", "Doc", "1"),
        );
        commit_valid(
            &store,
            &[
                (a.clone(), valid(&[(100, 199), (300, i64::MAX)])),
                (b.clone(), valid(&[(i64::MIN, 150)])),
                (c.clone(), engine::validity::Validity::always()),
            ],
        );
        let (ua, ub) = ("User{\"a\"}".to_string(), "User{\"b\"}".to_string());
        let reader = store.read().unwrap();
        assert_eq!(
            all(&reader, i64::MIN, i64::MAX),
            vec![
                (100, Grant, ua.clone()),
                (151, Revoke, ub.clone()),
                (200, Revoke, ua.clone()),
                (300, Grant, ua.clone()),
            ]
        );
        // `after` is excluded, `until` included.
        assert_eq!(all(&reader, 100, 200).len(), 2);
        assert_eq!(all(&reader, 99, 100), vec![(100, Grant, ua.clone())]);
        assert!(all(&reader, 300, i64::MAX).is_empty());
        assert!(all(&reader, 200, 100).is_empty());
        assert_eq!(reader.next_scheduled(i64::MIN).unwrap(), Some(100));
        assert_eq!(reader.next_scheduled(151).unwrap(), Some(200));
        assert_eq!(reader.next_scheduled(300).unwrap(), None);
        assert_eq!(reader.next_scheduled(i64::MAX).unwrap(), None);
        drop(reader);
        // A new validity moves the edges; a revoke removes them.
        commit_valid(&store, &[(a.clone(), valid(&[(100, 249)]))]);
        commit_perms(&store, &[], std::slice::from_ref(&b));
        let reader = store.read().unwrap();
        assert_eq!(
            all(&reader, i64::MIN, i64::MAX),
            vec![(100, Grant, ua.clone()), (250, Revoke, ua)]
        );
        drop(reader);
        // A replacement keeps the schedule in step too.
        store
            .replace_permissions(9, None, [(b, valid(&[(5, 6)]))])
            .unwrap();
        assert_eq!(
            all(&store.read().unwrap(), i64::MIN, i64::MAX),
            vec![(5, Grant, ub.clone()), (7, Revoke, ub)]
        );
    }
}
