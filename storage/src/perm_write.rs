//! Permission writes: new validities compared with the stored ones, and
//! the rows of a real change — both indexes, the change log and the
//! schedule — added to an epoch's write batch.
//!
//! A tuple's validity after an epoch replaces the stored one. An absent row
//! is valid [`Validity::never`]; a row whose validity becomes never is
//! deleted. Only real changes (grant, revoke, regrant) are written and
//! logged.

use std::collections::BTreeMap;

use engine::validity::Validity;
use rocksdb::WriteBatch;

use crate::dict::Interner;
use crate::err::Result;
use crate::keys::{change_key, dict_id_key, perm_key, split_perm_key};
use crate::schedule::edge_rows;
use crate::schema::Cf;
use crate::store::Store;
use crate::validity;
use crate::write::{CommitStats, Policy};
use crate::{Permission, PermissionChange};

/// A permission row: its ids and its `perm_rev` key (the `perm_fwd` key is
/// the map key).
pub(crate) struct Row {
    /// Actor, action and resource ids, in that order.
    ids: [u64; 3],
    /// The `perm_rev` key.
    rev: Vec<u8>,
}

/// A real change of one row: its validity before and after the epoch.
pub(crate) struct Update {
    row: Row,
    before: Validity,
    after: Validity,
}

/// Real changes by `perm_fwd` key, in key order.
pub(crate) type Updates = BTreeMap<Vec<u8>, Update>;

impl Store {
    /// The real changes among `permissions`: the last validity of each
    /// tuple, compared with the stored one.
    pub(crate) fn net_permissions(
        &self,
        dict: &mut Interner<'_>,
        permissions: &[(Permission, Validity)],
    ) -> Result<Updates> {
        let mut net = BTreeMap::new();
        for (permission, after) in permissions {
            // A tuple with a value never stored is not stored either: making
            // it valid never is a no-op. (Had an earlier entry of this
            // commit made it valid, its values would have been interned.)
            if let Some((fwd, row)) = permission_row(dict, permission, !after.is_never())? {
                net.insert(fwd, (row, after));
            }
        }
        let perm_fwd = self.cf(Cf::PermFwd)?;
        let mut updates = Updates::new();
        for (fwd, (row, after)) in net {
            let stored = self
                .db
                .get_pinned_cf(perm_fwd, &fwd)
                .map_err(|e| self.rocks(e))?;
            let before = match stored {
                None => Validity::never(),
                Some(value) => self.validity_of_row(Cf::PermFwd, &fwd, &value)?,
            };
            if before != *after {
                let after = after.clone();
                updates.insert(fwd, Update { row, before, after });
            }
        }
        Ok(updates)
    }

    /// Replaces the whole materialization by `permissions` (each tuple with
    /// its validity; a tuple absent or valid [`Validity::never`] is revoked)
    /// as epoch `epoch`, in one batch: the rows that differ are granted,
    /// revoked or regranted (and logged as such), the others are left
    /// alone. With `policy`, the stored policy changes in the same batch.
    /// A tuple listed twice takes its last validity.
    ///
    /// For a rebuild after a policy change, or after a recomputation found
    /// the stored permissions wrong. Holds the set of new keys in memory.
    pub fn replace_permissions(
        &self,
        epoch: u64,
        policy: Option<&Policy>,
        permissions: impl IntoIterator<Item = (Permission, Validity)>,
    ) -> Result<CommitStats> {
        let mut writer = self.writer()?;
        self.check_epoch(epoch, writer.committed)?;
        let mut dict = Interner::new(self, writer.next_id);
        let mut wanted = BTreeMap::new();
        for (permission, validity) in permissions {
            if let Some((fwd, row)) = permission_row(&mut dict, &permission, !validity.is_never())?
            {
                wanted.insert(fwd, (row, validity));
            }
        }
        // Merge the stored rows (in key order) with the wanted ones.
        let mut updates = Updates::new();
        let mut rows = self
            .db
            .raw_iterator_cf_opt(self.cf(Cf::PermFwd)?, total_order());
        rows.seek_to_first();
        while let (Some(key), Some(value)) = (rows.key(), rows.value()) {
            let before = self.validity_of_row(Cf::PermFwd, key, value)?;
            let (row, after) = match wanted.remove(key) {
                Some((row, after)) => (row, after),
                None => (self.stored_row(&mut dict, key)?, Validity::never()),
            };
            if before != after {
                let update = Update { row, before, after };
                updates.insert(key.to_vec(), update);
            }
            rows.next();
        }
        rows.status().map_err(|e| self.rocks(e))?;
        drop(rows);
        for (fwd, (row, after)) in wanted {
            if !after.is_never() {
                let before = Validity::never();
                updates.insert(fwd, Update { row, before, after });
            }
        }
        let mut batch = WriteBatch::default();
        let stats = self.stage_permissions(epoch, updates, &mut batch)?;
        self.finish_commit(epoch, policy, &[], dict, batch, &mut writer)?;
        Ok(stats)
    }

    /// Adds the rows of real changes to `batch`: both indexes, the
    /// change-log rows numbered in `perm_fwd` key order, and the schedule.
    pub(crate) fn stage_permissions(
        &self,
        epoch: u64,
        updates: Updates,
        batch: &mut WriteBatch,
    ) -> Result<CommitStats> {
        let (fwd_cf, rev_cf) = (self.cf(Cf::PermFwd)?, self.cf(Cf::PermRev)?);
        let changes_cf = self.cf(Cf::Changes)?;
        let mut stats = CommitStats::default();
        // `perm_rev` and `schedule` rows, written after in their own key
        // order.
        let mut rev = BTreeMap::new();
        let mut schedule = BTreeMap::new();
        let mut seq = 0u64;
        for (fwd, update) in updates {
            let Some(change) = PermissionChange::between(&update.before, &update.after) else {
                continue;
            };
            match change {
                PermissionChange::Grant => stats.granted += 1,
                PermissionChange::Revoke => stats.revoked += 1,
                PermissionChange::Regrant => stats.regranted += 1,
            }
            let value = (!update.after.is_never()).then(|| validity::encode(&update.after));
            match &value {
                Some(value) => batch.put_cf(fwd_cf, &fwd, value),
                None => batch.delete_cf(fwd_cf, &fwd),
            }
            let logged = crate::keys::change_value(change, update.row.ids, &update.after);
            batch.put_cf(changes_cf, change_key(epoch, seq), logged);
            seq += 1;
            edge_rows(&fwd, &update.before, &update.after, &mut schedule);
            rev.insert(update.row.rev, value);
        }
        for (key, value) in rev {
            match value {
                Some(value) => batch.put_cf(rev_cf, key, value),
                None => batch.delete_cf(rev_cf, key),
            }
        }
        self.stage_schedule(schedule, batch)?;
        Ok(stats)
    }

    /// The row of a stored `perm_fwd` key, for revoking it.
    fn stored_row(&self, dict: &mut Interner<'_>, fwd: &[u8]) -> Result<Row> {
        let (actor, action, resource) =
            split_perm_key(fwd).ok_or_else(|| self.corrupt("an undecodable key in `perm_fwd`"))?;
        let resource_id = dict.stored_id(resource)?;
        let actor_text = self.stored_text(actor)?;
        Ok(Row {
            ids: [actor, action, resource_id],
            rev: perm_key(resource_id, action, &actor_text),
        })
    }

    /// The canonical text of a stored id.
    fn stored_text(&self, id: u64) -> Result<String> {
        let bytes = self
            .db
            .get_pinned_cf(self.cf(Cf::Dict)?, dict_id_key(id))
            .map_err(|e| self.rocks(e))?
            .ok_or_else(|| self.corrupt(format!("id {id} has no value in `dict`")))?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| self.corrupt(format!("the value of id {id} is not UTF-8")))
    }
}

/// The `perm_fwd` key and the row of a permission. With `intern`, new values
/// get ids; without, a tuple with a value never stored has no row.
fn permission_row(
    dict: &mut Interner<'_>,
    permission: &Permission,
    intern: bool,
) -> Result<Option<(Vec<u8>, Row)>> {
    let Permission {
        actor,
        action,
        resource,
    } = permission;
    let (actor_text, resource_text) = (actor.to_string(), resource.to_string());
    let ids = if intern {
        Some([
            dict.intern(actor)?,
            dict.intern(action)?,
            dict.intern(resource)?,
        ])
    } else {
        match (
            dict.lookup(actor)?,
            dict.lookup(action)?,
            dict.lookup(resource)?,
        ) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            _ => None,
        }
    };
    let Some(ids @ [actor_id, action_id, resource_id]) = ids else {
        return Ok(None);
    };
    let row = Row {
        ids,
        rev: perm_key(resource_id, action_id, &actor_text),
    };
    Ok(Some((perm_key(actor_id, action_id, &resource_text), row)))
}

/// Read options for a full scan of a prefix-extracted family.
fn total_order() -> rocksdb::ReadOptions {
    let mut opts = rocksdb::ReadOptions::default();
    opts.set_total_order_seek(true);
    opts
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use engine::value::{Fact, Value};

    use super::*;
    use crate::testutil::{all_facts, all_perms, all_valid, allow, commit_perms, commit_valid};
    use crate::testutil::{ent, new_store, valid};
    use crate::{Change, EpochCommit, LoggedChange, Reader, StoreError};

    fn log(reader: &Reader<'_>, since: u64) -> Vec<LoggedChange> {
        reader
            .changes_since(since)
            .unwrap()
            .collect::<crate::Result<_>>()
            .unwrap()
    }

    fn kinds(reader: &Reader<'_>, since: u64) -> Vec<(u64, PermissionChange, Permission)> {
        log(reader, since)
            .into_iter()
            .map(|c| (c.epoch, c.change, c.permission))
            .collect()
    }

    #[test]
    fn only_real_permission_changes_are_logged() {
        let (_dir, store) = new_store();
        let (p, q) = (
            allow("a", "read", "Doc", "1"),
            allow("b", "read", "Doc", "1"),
        );
        let (always, never) = (Validity::always(), Validity::never());
        let stats = store
            .commit_epoch(&EpochCommit {
                epoch: 1,
                permissions: vec![
                    (p.clone(), always.clone()),
                    (p.clone(), always.clone()),
                    (q.clone(), always.clone()),
                    (q.clone(), never.clone()),
                    (allow("z", "z", "Z", "z"), never.clone()),
                ],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!(
            stats,
            CommitStats {
                granted: 1,
                revoked: 0,
                regranted: 0
            }
        );
        let stats = store
            .commit_epoch(&EpochCommit {
                epoch: 2,
                permissions: vec![
                    (p.clone(), always.clone()),
                    (q.clone(), never.clone()),
                    (q.clone(), always.clone()),
                ],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!(
            stats,
            CommitStats {
                granted: 1,
                revoked: 0,
                regranted: 0
            }
        );
        commit_perms(&store, &[], std::slice::from_ref(&p));
        let reader = store.read().unwrap();
        assert_eq!(
            kinds(&reader, 0),
            vec![
                (1, PermissionChange::Grant, p.clone()),
                (2, PermissionChange::Grant, q.clone()),
                (3, PermissionChange::Revoke, p),
            ]
        );
        assert_eq!(reader.changes_since(2).unwrap().count(), 1);
        assert_eq!(reader.changes_since(3).unwrap().count(), 0);
        assert_eq!(reader.changes_since(u64::MAX).unwrap().count(), 0);
        assert_eq!(all_perms(&reader), BTreeSet::from([q]));
    }

    #[test]
    fn validities_round_trip_and_changes_are_counted() {
        let (_dir, store) = new_store();
        let (p, q, r) = (
            allow("a", "read", "Doc", "1"),
            allow("b", "read", "Doc", "1"),
            allow("c", "read", "Doc", "1"),
        );
        let week = valid(&[(1_000, 1_604_800)]);
        let odd = valid(&[(i64::MIN, -10), (0, 0), (20, i64::MAX)]);
        let e1 = commit_valid(
            &store,
            &[
                (p.clone(), week.clone()),
                (q.clone(), Validity::always()),
                (r.clone(), odd.clone()),
            ],
        );
        let expected = BTreeMap::from([
            (p.clone(), week.clone()),
            (q.clone(), Validity::always()),
            (r.clone(), odd.clone()),
        ]);
        assert_eq!(all_valid(&store.read().unwrap()), expected);
        // A reopen reads the same.
        let path = store.path().to_path_buf();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(all_valid(&store.read().unwrap()), expected);
        // p: another validity; q: the same (no-op); r: revoked; s: granted
        // for a while.
        let s = allow("d", "read", "Doc", "1");
        let later = valid(&[(5_000, 6_000)]);
        let stats = store
            .commit_epoch(&EpochCommit {
                epoch: e1 + 1,
                permissions: vec![
                    (p.clone(), Validity::always()),
                    (p.clone(), later.clone()),
                    (q.clone(), Validity::always()),
                    (r.clone(), Validity::never()),
                    (s.clone(), week.clone()),
                ],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!(
            stats,
            CommitStats {
                granted: 1,
                revoked: 1,
                regranted: 1
            }
        );
        let reader = store.read().unwrap();
        let logged = log(&reader, e1);
        let expected_log = [
            (PermissionChange::Regrant, p.clone(), later.clone()),
            (PermissionChange::Revoke, r, Validity::never()),
            (PermissionChange::Grant, s.clone(), week.clone()),
        ];
        let found: Vec<_> = logged
            .iter()
            .map(|c| (c.change, c.permission.clone(), c.validity.clone()))
            .collect();
        assert_eq!(found, expected_log);
        // The first epoch logged the validities it granted.
        let first: BTreeMap<_, _> = log(&reader, 0)
            .into_iter()
            .filter(|c| c.epoch == e1)
            .map(|c| (c.permission, c.validity))
            .collect();
        assert_eq!(first, expected);
        // Both indexes hold the new validity.
        let who: Vec<Value> = reader
            .who(&p.action, &p.resource, None, 10, 5_500)
            .unwrap()
            .collect::<crate::Result<_>>()
            .unwrap();
        assert_eq!(who, vec![p.actor.clone(), q.actor.clone(), s.actor.clone()]);
        let who = reader.who(&p.action, &p.resource, None, 10, 500).unwrap();
        assert_eq!(who.map(Result::unwrap).collect::<Vec<_>>(), vec![q.actor]);
    }

    #[test]
    fn a_refused_commit_writes_nothing() {
        let (_dir, store) = new_store();
        let p = allow("a", "read", "Doc", "1");
        commit_perms(&store, std::slice::from_ref(&p), &[]);
        let before = store.writer().unwrap().next_id;
        let stale = store.commit_epoch(&EpochCommit {
            epoch: 1,
            permissions: vec![(allow("new", "read", "Doc", "2"), Validity::always())],
            ..EpochCommit::default()
        });
        assert_eq!(
            stale.unwrap_err().to_string(),
            format!(
                "epoch 1 is not after the committed epoch 1 of store `{}`; commit a greater epoch",
                store.path().display()
            )
        );
        // The bad value comes last: the facts and grants before it must not
        // be written either.
        let bad = store.commit_epoch(&EpochCommit {
            epoch: 5,
            facts: vec![(Fact::new("f", vec![ent("User", "new")]), Change::Insert)],
            permissions: vec![
                (allow("new", "read", "Doc", "2"), Validity::always()),
                (p.clone(), Validity::never()),
                (
                    Permission::new(ent("User", "x"), Value::str("read"), ent("Bad Type", "y")),
                    valid(&[(1, 2)]),
                ),
            ],
            source_offsets: vec![("src".into(), 9)],
        });
        assert!(matches!(bad, Err(StoreError::InvalidEntityType { .. })));
        let reader = store.read().unwrap();
        assert_eq!(reader.epoch(), 1);
        assert_eq!(all_perms(&reader), BTreeSet::from([p.clone()]));
        assert!(all_facts(&reader).is_empty());
        assert_eq!(reader.source_offset("src").unwrap(), None);
        assert_eq!(reader.changes_since(0).unwrap().count(), 1);
        assert_eq!(reader.id_of(&ent("User", "new")).unwrap(), None);
        assert_eq!(store.writer().unwrap().next_id, before);
        drop(reader);
        // The next commit reuses nothing and loses nothing.
        let q = allow("new", "read", "Doc", "2");
        commit_perms(&store, std::slice::from_ref(&q), &[]);
        let reader = store.read().unwrap();
        assert_eq!(all_perms(&reader), BTreeSet::from([p, q.clone()]));
        for value in [q.actor, q.action, q.resource] {
            let id = reader.id_of(&value).unwrap().unwrap();
            assert_eq!(reader.value_of(id).unwrap(), value);
        }
    }

    #[test]
    fn replace_rewrites_only_the_difference() {
        let (_dir, store) = new_store();
        let keep = allow("a", "read", "Doc", "1");
        let gone = allow("b", "read", "Doc", "1");
        let new = allow("c", "write", "Doc", "2");
        let shift = allow("d", "read", "Doc", "1");
        let (always, never) = (Validity::always(), Validity::never());
        commit_valid(
            &store,
            &[
                (keep.clone(), valid(&[(1, 9)])),
                (gone.clone(), always.clone()),
                (shift.clone(), always.clone()),
            ],
        );
        let policy = Policy {
            hash: "h2".into(),
            text: "actor User {}".into(),
        };
        let derived = [
            (keep.clone(), valid(&[(1, 9)])),
            (new.clone(), always.clone()),
            (new.clone(), valid(&[(3, 4)])),
            (shift.clone(), valid(&[(100, i64::MAX)])),
            (allow("never", "read", "Doc", "9"), never.clone()),
        ];
        let stats = store
            .replace_permissions(4, Some(&policy), derived)
            .unwrap();
        assert_eq!(
            stats,
            CommitStats {
                granted: 1,
                revoked: 1,
                regranted: 1
            }
        );
        let reader = store.read().unwrap();
        assert_eq!(reader.epoch(), 4);
        assert_eq!(
            all_valid(&reader),
            BTreeMap::from([
                (keep.clone(), valid(&[(1, 9)])),
                (new.clone(), valid(&[(3, 4)])),
                (shift.clone(), valid(&[(100, i64::MAX)])),
            ])
        );
        let who = reader.who(&Value::str("read"), &ent("Doc", "1"), None, 10, 5);
        assert_eq!(who.unwrap().count(), 1);
        assert_eq!(reader.id_of(&ent("User", "never")).unwrap(), None);
        assert_eq!(reader.policy().unwrap(), Some(policy));
        let found: Vec<_> = log(&reader, 1)
            .into_iter()
            .map(|c| (c.change, c.permission, c.validity))
            .collect();
        assert_eq!(
            found,
            // In `perm_fwd` key order: actor ids, and `c` was interned last.
            vec![
                (PermissionChange::Revoke, gone, never.clone()),
                (PermissionChange::Regrant, shift, valid(&[(100, i64::MAX)])),
                (PermissionChange::Grant, new, valid(&[(3, 4)])),
            ]
        );
        drop(reader);
        assert!(matches!(
            store.replace_permissions(4, None, []),
            Err(StoreError::StaleEpoch { .. })
        ));
        let stats = store.replace_permissions(5, None, []).unwrap();
        assert_eq!(stats.revoked, 3);
        assert!(all_perms(&store.read().unwrap()).is_empty());
        assert_eq!(
            store.read().unwrap().policy_hash().unwrap().as_deref(),
            Some("h2")
        );
    }
}
