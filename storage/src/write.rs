//! Writes: one epoch is one synced RocksDB write batch.
//!
//! A batch holds the epoch's facts, its permission rows in both indexes, its
//! change-log rows, the dictionary rows of new values, the source offsets and
//! the new committed epoch. It is applied entirely or not at all, so a crash
//! leaves the store at some committed epoch; and it is synced before the
//! commit returns, so an acknowledged epoch is never lost. Everything that
//! can fail (validation, reads) happens before the batch is written.

use std::collections::BTreeMap;

use engine::value::{Fact, Value};
use rocksdb::WriteBatch;

use crate::dict::Interner;
use crate::err::{Result, StoreError};
use crate::keys::{change_key, change_value, dict_id_key, fact_key, perm_key, split_perm_key};
use crate::schema::{meta, Cf};
use crate::store::Store;
use crate::{Change, Permission};

/// The writes of one epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochCommit {
    /// The epoch; must be greater than the committed one.
    pub epoch: u64,
    /// Base facts inserted or deleted, applied in order: the last change of
    /// a fact wins.
    pub facts: Vec<(Fact, Change)>,
    /// Permissions granted or revoked, applied in order: the last change of
    /// a tuple wins; granting a present tuple or revoking an absent one is a
    /// no-op and is not logged.
    pub permissions: Vec<(Permission, Change)>,
    /// Committed offsets of input sources (canonical path, offset).
    pub source_offsets: Vec<(String, u64)>,
}

/// A policy: its hash (the caller's choice of hash, compared on restart) and
/// its text, so that a store can be reopened without the policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The hash of the policy text.
    pub hash: String,
    /// The policy text.
    pub text: String,
}

/// What a commit changed in the materialized permissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Permissions that were absent and are now present.
    pub granted: usize,
    /// Permissions that were present and are now absent.
    pub revoked: usize,
}

/// A permission row to write or delete: its ids and both keys.
struct Row {
    /// Actor, action and resource ids, in that order.
    ids: [u64; 3],
    /// The `perm_rev` key; the `perm_fwd` key is the map key.
    rev: Vec<u8>,
}

/// Permission rows keyed by their `perm_fwd` key.
type Rows = BTreeMap<Vec<u8>, Row>;

impl Store {
    /// Commits one epoch atomically and durably.
    ///
    /// Fails with [`StoreError::StaleEpoch`] unless `commit.epoch` is greater
    /// than the committed epoch, and with [`StoreError::ReadOnly`] on a
    /// read-only store; a failed commit writes nothing.
    pub fn commit_epoch(&self, commit: &EpochCommit) -> Result<CommitStats> {
        let mut writer = self.writer()?;
        self.check_epoch(commit.epoch, writer.committed)?;
        let mut dict = Interner::new(self, writer.next_id);
        let mut batch = WriteBatch::default();
        self.stage_facts(&mut dict, &commit.facts, &mut batch)?;
        let (grants, revokes) = self.net_permissions(&mut dict, &commit.permissions)?;
        let stats = self.stage_permissions(commit.epoch, grants, revokes, &mut batch)?;
        let meta_cf = self.cf(Cf::Meta)?;
        for (path, offset) in &commit.source_offsets {
            batch.put_cf(meta_cf, meta::source_offset(path), offset.to_be_bytes());
        }
        batch.put_cf(meta_cf, meta::COMMITTED_EPOCH, commit.epoch.to_be_bytes());
        let next_id = dict.finish(&mut batch)?;
        self.write(batch)?;
        writer.committed = commit.epoch;
        writer.next_id = next_id;
        Ok(stats)
    }

    /// Replaces the whole materialization by `permissions` as epoch `epoch`,
    /// in one batch: the rows that differ are granted or revoked (and logged
    /// as such), the others are left alone. With `policy`, the stored policy
    /// changes in the same batch.
    ///
    /// For a rebuild after a policy change, or after a recomputation found
    /// the stored permissions wrong. Holds the set of new keys in memory.
    pub fn replace_permissions(
        &self,
        epoch: u64,
        policy: Option<&Policy>,
        permissions: impl IntoIterator<Item = Permission>,
    ) -> Result<CommitStats> {
        let mut writer = self.writer()?;
        self.check_epoch(epoch, writer.committed)?;
        let mut dict = Interner::new(self, writer.next_id);
        let mut wanted = Rows::new();
        for permission in permissions {
            if let Some((fwd, row)) = permission_row(&mut dict, &permission, true)? {
                wanted.insert(fwd, row);
            }
        }
        // Merge the stored rows (in key order) with the wanted ones.
        let mut revokes = Rows::new();
        let mut rows = self
            .db
            .raw_iterator_cf_opt(self.cf(Cf::PermFwd)?, total_order());
        rows.seek_to_first();
        while let Some(key) = rows.key() {
            if wanted.remove(key).is_none() {
                let row = self.stored_row(&mut dict, key)?;
                revokes.insert(key.to_vec(), row);
            }
            rows.next();
        }
        rows.status().map_err(|e| self.rocks(e))?;
        drop(rows);
        let mut batch = WriteBatch::default();
        let stats = self.stage_permissions(epoch, wanted, revokes, &mut batch)?;
        let meta_cf = self.cf(Cf::Meta)?;
        if let Some(policy) = policy {
            batch.put_cf(meta_cf, meta::POLICY_HASH, policy.hash.as_bytes());
            batch.put_cf(meta_cf, meta::POLICY_TEXT, policy.text.as_bytes());
        }
        batch.put_cf(meta_cf, meta::COMMITTED_EPOCH, epoch.to_be_bytes());
        let next_id = dict.finish(&mut batch)?;
        self.write(batch)?;
        writer.committed = epoch;
        writer.next_id = next_id;
        Ok(stats)
    }

    /// Stores the policy (hash and text) durably, without changing the
    /// epoch. To change the policy together with the permissions derived
    /// from it, use [`Store::replace_permissions`].
    pub fn set_policy(&self, policy: &Policy) -> Result<()> {
        let _writer = self.writer()?;
        let meta_cf = self.cf(Cf::Meta)?;
        let mut batch = WriteBatch::default();
        batch.put_cf(meta_cf, meta::POLICY_HASH, policy.hash.as_bytes());
        batch.put_cf(meta_cf, meta::POLICY_TEXT, policy.text.as_bytes());
        self.write(batch)
    }

    fn check_epoch(&self, epoch: u64, committed: u64) -> Result<()> {
        if epoch <= committed {
            return Err(StoreError::StaleEpoch {
                path: self.path().to_path_buf(),
                epoch,
                committed,
            });
        }
        Ok(())
    }

    /// Adds the net fact changes to `batch`, in key order.
    fn stage_facts(
        &self,
        dict: &mut Interner<'_>,
        facts: &[(Fact, Change)],
        batch: &mut WriteBatch,
    ) -> Result<()> {
        let mut net = BTreeMap::new();
        for (fact, change) in facts {
            let insert = *change == Change::Insert;
            let predicate = Value::Str(fact.predicate.clone());
            let mut ids = Vec::with_capacity(fact.args.len() + 1);
            for value in std::iter::once(&predicate).chain(&fact.args) {
                ids.push(if insert {
                    Some(dict.intern(value)?)
                } else {
                    dict.lookup(value)?
                });
            }
            // A fact with a value never stored is not stored either: its
            // deletion is a no-op.
            if let Some(ids) = ids.into_iter().collect::<Option<Vec<u64>>>() {
                net.insert(fact_key(ids[0], &ids[1..]), *change);
            }
        }
        let facts_cf = self.cf(Cf::Facts)?;
        for (key, change) in net {
            match change {
                Change::Insert => batch.put_cf(facts_cf, key, b""),
                Change::Delete => batch.delete_cf(facts_cf, key),
            }
        }
        Ok(())
    }

    /// The real grants and revokes among `permissions`: the last change of
    /// each tuple, compared with what is stored.
    fn net_permissions(
        &self,
        dict: &mut Interner<'_>,
        permissions: &[(Permission, Change)],
    ) -> Result<(Rows, Rows)> {
        let mut net = BTreeMap::new();
        for (permission, change) in permissions {
            let grant = *change == Change::Insert;
            // A tuple with a value never stored is not stored either: its
            // revocation is a no-op. (Had an earlier change of this commit
            // granted it, its values would have been interned.)
            if let Some((fwd, row)) = permission_row(dict, permission, grant)? {
                net.insert(fwd, (row, *change));
            }
        }
        let (mut grants, mut revokes) = (Rows::new(), Rows::new());
        let perm_fwd = self.cf(Cf::PermFwd)?;
        for (fwd, (row, change)) in net {
            let present = self
                .db
                .get_pinned_cf(perm_fwd, &fwd)
                .map_err(|e| self.rocks(e))?
                .is_some();
            match change {
                Change::Insert if !present => grants.insert(fwd, row),
                Change::Delete if present => revokes.insert(fwd, row),
                _ => None,
            };
        }
        Ok((grants, revokes))
    }

    /// Adds the rows of real grants and revokes to `batch`, with their
    /// change-log rows numbered in `perm_fwd` key order.
    fn stage_permissions(
        &self,
        epoch: u64,
        grants: Rows,
        revokes: Rows,
        batch: &mut WriteBatch,
    ) -> Result<CommitStats> {
        let stats = CommitStats {
            granted: grants.len(),
            revoked: revokes.len(),
        };
        let mut all: Vec<(Vec<u8>, Row, Change)> = grants
            .into_iter()
            .map(|(fwd, row)| (fwd, row, Change::Insert))
            .chain(
                revokes
                    .into_iter()
                    .map(|(fwd, row)| (fwd, row, Change::Delete)),
            )
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let (fwd_cf, rev_cf) = (self.cf(Cf::PermFwd)?, self.cf(Cf::PermRev)?);
        let changes_cf = self.cf(Cf::Changes)?;
        let mut rev = BTreeMap::new();
        for (seq, (fwd, row, change)) in (0u64..).zip(all) {
            match change {
                Change::Insert => batch.put_cf(fwd_cf, &fwd, b""),
                Change::Delete => batch.delete_cf(fwd_cf, &fwd),
            }
            batch.put_cf(
                changes_cf,
                change_key(epoch, seq),
                change_value(change, row.ids),
            );
            rev.insert(row.rev, change);
        }
        for (key, change) in rev {
            match change {
                Change::Insert => batch.put_cf(rev_cf, key, b""),
                Change::Delete => batch.delete_cf(rev_cf, key),
            }
        }
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
    use std::collections::BTreeSet;

    use super::*;
    use crate::testutil::{all_facts, all_perms, allow, commit_perms, ent, new_store};

    fn fact(predicate: &str, args: Vec<Value>) -> Fact {
        Fact::new(predicate, args)
    }

    fn every_kind() -> Vec<Fact> {
        vec![
            fact("manager", vec![ent("User", "ceo"), ent("User", "vp")]),
            fact(
                "visit",
                vec![ent("User", "dr"), ent("Patient", "p\"1"), Value::Int(-5)],
            ),
            fact("flag", vec![Value::Bool(true), Value::str("x, y")]),
            fact("ready", vec![]),
            fact("manager", vec![ent("User", "vp"), ent("User", "eng")]),
        ]
    }

    #[test]
    fn facts_round_trip_through_a_reopen() {
        let (_dir, store) = new_store();
        let facts = every_kind();
        store
            .commit_epoch(&EpochCommit {
                epoch: 3,
                facts: facts.iter().map(|f| (f.clone(), Change::Insert)).collect(),
                source_offsets: vec![("/data/a.jsonl".into(), 42)],
                ..EpochCommit::default()
            })
            .unwrap();
        let path = store.path().to_path_buf();
        drop(store);
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        assert_eq!(reader.epoch(), 3);
        assert_eq!(all_facts(&reader), facts.into_iter().collect());
        assert_eq!(reader.source_offset("/data/a.jsonl").unwrap(), Some(42));
        assert_eq!(reader.source_offset("/data/b.jsonl").unwrap(), None);
    }

    #[test]
    fn the_last_change_of_a_fact_wins() {
        let (_dir, store) = new_store();
        let [a, b, c] = [0, 1, 2].map(|i| every_kind().swap_remove(i));
        store
            .commit_epoch(&EpochCommit {
                epoch: 1,
                facts: vec![
                    (a.clone(), Change::Delete),
                    (a.clone(), Change::Insert),
                    (b.clone(), Change::Insert),
                    (b.clone(), Change::Delete),
                    (c.clone(), Change::Delete),
                ],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!(
            all_facts(&store.read().unwrap()),
            BTreeSet::from([a.clone()])
        );
        store
            .commit_epoch(&EpochCommit {
                epoch: 2,
                facts: vec![(a, Change::Delete), (c.clone(), Change::Insert)],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!(all_facts(&store.read().unwrap()), BTreeSet::from([c]));
    }

    #[test]
    fn only_real_permission_changes_are_logged() {
        let (_dir, store) = new_store();
        let (p, q) = (
            allow("a", "read", "Doc", "1"),
            allow("b", "read", "Doc", "1"),
        );
        let stats = store
            .commit_epoch(&EpochCommit {
                epoch: 1,
                permissions: vec![
                    (p.clone(), Change::Insert),
                    (p.clone(), Change::Insert),
                    (q.clone(), Change::Insert),
                    (q.clone(), Change::Delete),
                    (allow("z", "z", "Z", "z"), Change::Delete),
                ],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!((stats.granted, stats.revoked), (1, 0));
        let stats = store
            .commit_epoch(&EpochCommit {
                epoch: 2,
                permissions: vec![
                    (p.clone(), Change::Insert),
                    (q.clone(), Change::Delete),
                    (q.clone(), Change::Insert),
                ],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!((stats.granted, stats.revoked), (1, 0));
        commit_perms(&store, &[], std::slice::from_ref(&p));
        let reader = store.read().unwrap();
        let log: Vec<_> = reader
            .changes_since(0)
            .unwrap()
            .map(|c| c.map(|c| (c.epoch, c.change, c.permission)))
            .collect::<crate::Result<_>>()
            .unwrap();
        assert_eq!(
            log,
            vec![
                (1, Change::Insert, p.clone()),
                (2, Change::Insert, q.clone()),
                (3, Change::Delete, p),
            ]
        );
        assert_eq!(reader.changes_since(2).unwrap().count(), 1);
        assert_eq!(reader.changes_since(3).unwrap().count(), 0);
        assert_eq!(reader.changes_since(u64::MAX).unwrap().count(), 0);
        assert_eq!(all_perms(&reader), BTreeSet::from([q]));
    }

    #[test]
    fn a_refused_commit_writes_nothing() {
        let (_dir, store) = new_store();
        let p = allow("a", "read", "Doc", "1");
        commit_perms(&store, std::slice::from_ref(&p), &[]);
        let before = store.writer().unwrap().next_id;
        let stale = store.commit_epoch(&EpochCommit {
            epoch: 1,
            permissions: vec![(allow("new", "read", "Doc", "2"), Change::Insert)],
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
                (allow("new", "read", "Doc", "2"), Change::Insert),
                (p.clone(), Change::Delete),
                (
                    Permission::new(ent("User", "x"), Value::str("read"), ent("Bad Type", "y")),
                    Change::Insert,
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
        commit_perms(&store, &[keep.clone(), gone.clone()], &[]);
        let policy = Policy {
            hash: "h2".into(),
            text: "actor User {}".into(),
        };
        let stats = store
            .replace_permissions(4, Some(&policy), [keep.clone(), new.clone(), new.clone()])
            .unwrap();
        assert_eq!((stats.granted, stats.revoked), (1, 1));
        let reader = store.read().unwrap();
        assert_eq!(reader.epoch(), 4);
        assert_eq!(
            all_perms(&reader),
            BTreeSet::from([keep.clone(), new.clone()])
        );
        let who = reader.who(&Value::str("read"), &ent("Doc", "1"), None, 10);
        assert_eq!(who.unwrap().count(), 1);
        assert_eq!(reader.policy().unwrap(), Some(policy));
        let log: Vec<_> = reader
            .changes_since(1)
            .unwrap()
            .map(|c| c.map(|c| (c.change, c.permission)))
            .collect::<crate::Result<_>>()
            .unwrap();
        assert_eq!(log, vec![(Change::Delete, gone), (Change::Insert, new)]);
        drop(reader);
        assert!(matches!(
            store.replace_permissions(4, None, []),
            Err(StoreError::StaleEpoch { .. })
        ));
        store.replace_permissions(5, None, []).unwrap();
        assert!(all_perms(&store.read().unwrap()).is_empty());
        assert_eq!(
            store.read().unwrap().policy_hash().unwrap().as_deref(),
            Some("h2")
        );
    }

    #[test]
    fn the_policy_survives_a_reopen() {
        let (_dir, store) = new_store();
        assert_eq!(store.read().unwrap().policy().unwrap(), None);
        let policy = Policy {
            hash: "abc".into(),
            text: "resource Doc {}\n".into(),
        };
        store.set_policy(&policy).unwrap();
        let path = store.path().to_path_buf();
        drop(store);
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        assert_eq!(reader.policy().unwrap(), Some(policy));
        assert_eq!(reader.epoch(), 0);
    }
}
