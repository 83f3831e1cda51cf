//! Helpers shared by the unit tests.

use std::collections::BTreeSet;

use engine::value::{Fact, Value};
use rocksdb::DB;
use tempfile::TempDir;

use crate::schema::Cf;
use crate::{Change, EpochCommit, Permission, Reader, Store};

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

/// Commits `grants` and `revokes` of permissions as the next epoch.
pub(crate) fn commit_perms(store: &Store, grants: &[Permission], revokes: &[Permission]) -> u64 {
    let epoch = store.committed_epoch().unwrap() + 1;
    let permissions = grants
        .iter()
        .map(|p| (p.clone(), Change::Insert))
        .chain(revokes.iter().map(|p| (p.clone(), Change::Delete)))
        .collect();
    store
        .commit_epoch(&EpochCommit {
            epoch,
            permissions,
            ..EpochCommit::default()
        })
        .unwrap();
    epoch
}

/// Every stored permission.
pub(crate) fn all_perms(reader: &Reader<'_>) -> BTreeSet<Permission> {
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

/// Opens a closed store's directory with plain RocksDB, to damage it.
pub(crate) fn raw_db(path: &std::path::Path) -> DB {
    let names = Cf::ALL.map(Cf::name);
    DB::open_cf(&rocksdb::Options::default(), path, names).unwrap()
}
