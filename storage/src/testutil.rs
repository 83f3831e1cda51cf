//! Helpers shared by the unit tests.

use std::collections::{BTreeMap, BTreeSet};

use engine::validity::{Interval, Validity};
use engine::value::{Fact, Value};
use rocksdb::DB;
use tempfile::TempDir;

use crate::{EpochCommit, Permission, Reader, Store};

/// An entity value.
pub(crate) fn ent(ty: &str, id: &str) -> Value {
    Value::entity(ty, id)
}

/// `allow(User{actor}, "action", Type{id})`.
pub(crate) fn allow(actor: &str, action: &str, ty: &str, id: &str) -> Permission {
    Permission::new(ent("User", actor), Value::str(action), ent(ty, id))
}

/// A fresh store in a temporary directory (kept alive by the `TempDir`).
pub(crate) fn new_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("db")).unwrap();
    (dir, store)
}

/// The validity made of closed intervals `[lo, hi]`.
pub(crate) fn valid(pairs: &[(i64, i64)]) -> Validity {
    Validity::from_intervals(pairs.iter().map(|&(lo, hi)| Interval { lo, hi }))
}

/// Commits `grants` (valid always) and `revokes` of permissions as the
/// next epoch.
pub(crate) fn commit_perms(store: &Store, grants: &[Permission], revokes: &[Permission]) -> u64 {
    let permissions: Vec<_> = grants
        .iter()
        .map(|p| (p.clone(), Validity::always()))
        .chain(revokes.iter().map(|p| (p.clone(), Validity::never())))
        .collect();
    commit_valid(store, &permissions)
}

/// Commits permissions with their new validities as the next epoch.
pub(crate) fn commit_valid(store: &Store, permissions: &[(Permission, Validity)]) -> u64 {
    let epoch = store.committed_epoch().unwrap() + 1;
    store
        .commit_epoch(&EpochCommit {
            epoch,
            permissions: permissions.to_vec(),
            ..EpochCommit::default()
        })
        .unwrap();
    epoch
}

/// Every stored permission.
pub(crate) fn all_perms(reader: &Reader<'_>) -> BTreeSet<Permission> {
    all_valid(reader).into_keys().collect()
}

/// Every stored permission with its validity.
pub(crate) fn all_valid(reader: &Reader<'_>) -> BTreeMap<Permission, Validity> {
    reader
        .permissions()
        .unwrap()
        .collect::<crate::Result<_>>()
        .unwrap()
}

/// Every stored fact.
pub(crate) fn all_facts(reader: &Reader<'_>) -> BTreeSet<Fact> {
    reader
        .facts()
        .unwrap()
        .collect::<crate::Result<_>>()
        .unwrap()
}

/// Opens a closed store's directory with plain RocksDB (every family it
/// has), to damage it.
pub(crate) fn raw_db(path: &std::path::Path) -> DB {
    let names = DB::list_cf(&rocksdb::Options::default(), path).unwrap();
    DB::open_cf(&rocksdb::Options::default(), path, names).unwrap()
}
