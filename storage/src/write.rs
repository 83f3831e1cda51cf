//! Writes: one epoch is one synced RocksDB write batch.
//!
//! A batch holds the epoch's facts, its permission rows in both indexes, its
//! change-log rows, the dictionary rows of new values, the source offsets and
//! the new committed epoch. It is applied entirely or not at all, so a crash
//! leaves the store at some committed epoch; and it is synced before the
//! commit returns, so an acknowledged epoch is never lost. Everything that
//! can fail (validation, reads) happens before the batch is written.

use std::collections::BTreeMap;
use std::sync::MutexGuard;

use engine::validity::Validity;
use engine::value::{Fact, Value};
use rocksdb::WriteBatch;

use crate::dict::Interner;
use crate::err::{Result, StoreError};
use crate::keys::fact_key;
use crate::schema::{meta, Cf};
use crate::store::{Store, Writer};
use crate::{Change, Permission};

/// The writes of one epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochCommit {
    /// The epoch; must be greater than the committed one.
    pub epoch: u64,
    /// Base facts inserted or deleted, applied in order: the last change of
    /// a fact wins.
    pub facts: Vec<(Fact, Change)>,
    /// Permissions with their validity after the epoch (the times at which
    /// they hold), applied in order: the last entry of a tuple wins.
    /// [`Validity::never`] revokes. An absent tuple made valid is granted, a
    /// present one made never is revoked, a present one given another
    /// validity is regranted; an entry that leaves the stored validity as it
    /// is changes nothing and is not logged.
    pub permissions: Vec<(Permission, Validity)>,
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
    /// Permissions present before and after, with another validity.
    pub regranted: usize,
}

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
        let updates = self.net_permissions(&mut dict, &commit.permissions)?;
        let stats = self.stage_permissions(commit.epoch, updates, &mut batch)?;
        let offsets = &commit.source_offsets;
        self.finish_commit(commit.epoch, None, offsets, dict, batch, &mut writer)?;
        Ok(stats)
    }

    /// Adds the source offsets, the policy, the new values and the new
    /// committed epoch to `batch`, writes it, and only then moves the
    /// writer's state.
    pub(crate) fn finish_commit(
        &self,
        epoch: u64,
        policy: Option<&Policy>,
        source_offsets: &[(String, u64)],
        dict: Interner<'_>,
        mut batch: WriteBatch,
        writer: &mut MutexGuard<'_, Writer>,
    ) -> Result<()> {
        let meta_cf = self.cf(Cf::Meta)?;
        for (path, offset) in source_offsets {
            batch.put_cf(meta_cf, meta::source_offset(path), offset.to_be_bytes());
        }
        if let Some(policy) = policy {
            batch.put_cf(meta_cf, meta::POLICY_HASH, policy.hash.as_bytes());
            batch.put_cf(meta_cf, meta::POLICY_TEXT, policy.text.as_bytes());
        }
        batch.put_cf(meta_cf, meta::COMMITTED_EPOCH, epoch.to_be_bytes());
        let next_id = dict.finish(&mut batch)?;
        self.write(batch)?;
        writer.committed = epoch;
        writer.next_id = next_id;
        Ok(())
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

    /// Refuses an epoch at or below the committed one.
    pub(crate) fn check_epoch(&self, epoch: u64, committed: u64) -> Result<()> {
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
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::testutil::{all_facts, ent, new_store};

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
