//! Reads at one committed epoch: `check`, `actions` and the `meta` values.
//! Scans (`list`, `who`, `facts`, `permissions`, `changes_since`) live in
//! `scan.rs`.

use engine::value::Value;
use rocksdb::{DBPinnableSlice, DBRawIterator, ReadOptions, Snapshot};

use crate::err::Result;
use crate::keys::{pair, perm_key, read_u64, split_perm_key, successor, ID_LEN};
use crate::schema::{meta, Cf};
use crate::store::Store;
use crate::Policy;

/// A consistent view of a store at its committed epoch.
///
/// Every read through one `Reader` sees the same whole epochs, however many
/// commits happen meanwhile: on a writable store it holds a RocksDB snapshot;
/// on a read-only store the view only moves on [`Store::catch_up`], which
/// cannot run while a `Reader` borrows the store. Take a new `Reader` to see
/// newer epochs.
pub struct Reader<'s> {
    pub(crate) store: &'s Store,
    snapshot: Option<Snapshot<'s>>,
    epoch: u64,
}

impl Store {
    /// A reader at the committed epoch.
    pub fn read(&self) -> Result<Reader<'_>> {
        // Secondaries do not support snapshots; their view is frozen between
        // catch-ups instead.
        let snapshot = (!self.is_read_only()).then(|| self.db.snapshot());
        let mut reader = Reader {
            store: self,
            snapshot,
            epoch: 0,
        };
        reader.epoch = reader
            .meta_u64(meta::COMMITTED_EPOCH)?
            .ok_or_else(|| self.corrupt("the committed epoch is missing from `meta`"))?;
        Ok(reader)
    }

    /// The committed epoch (0 for a new store).
    pub fn committed_epoch(&self) -> Result<u64> {
        Ok(self.read()?.epoch())
    }
}

impl<'s> Reader<'s> {
    /// The epoch this reader sees: every epoch up to it, none after.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether `actor` may do `action` on `resource`: one point lookup in
    /// `perm_fwd` after two in `dict`.
    pub fn check(&self, actor: &Value, action: &Value, resource: &Value) -> Result<bool> {
        let (Some(actor), Some(action)) = (self.id_of(actor)?, self.id_of(action)?) else {
            return Ok(false);
        };
        let key = perm_key(actor, action, &resource.to_string());
        Ok(self.get(Cf::PermFwd, &key)?.is_some())
    }

    /// The actions `actor` may take on `resource`, sorted by canonical form.
    ///
    /// Skips from action to action of the actor in `perm_fwd` (one seek and
    /// one point lookup per action the actor has on anything), so the cost
    /// does not grow with the number of resources.
    pub fn actions(&self, actor: &Value, resource: &Value) -> Result<Vec<Value>> {
        let Some(actor) = self.id_of(actor)? else {
            return Ok(Vec::new());
        };
        let resource = resource.to_string();
        let lower = actor.to_be_bytes();
        let mut opts = self.options();
        // The seeks below land between (actor, action) prefixes.
        opts.set_total_order_seek(true);
        if let Some(upper) = successor(&lower) {
            opts.set_iterate_upper_bound(upper);
        }
        let mut rows = self.raw_iter(Cf::PermFwd, opts)?;
        rows.seek(lower);
        let mut actions = Vec::new();
        while let Some(key) = rows.key() {
            let (_, action, _) = split_perm_key(key)
                .ok_or_else(|| self.store.corrupt("an undecodable key in `perm_fwd`"))?;
            if self
                .get(Cf::PermFwd, &perm_key(actor, action, &resource))?
                .is_some()
            {
                actions.push(self.value_of(action)?);
            }
            match action.checked_add(1) {
                Some(next) => rows.seek(pair(actor, next)),
                None => break,
            }
        }
        rows.status().map_err(|e| self.store.rocks(e))?;
        actions.sort_by_cached_key(Value::to_string);
        Ok(actions)
    }

    /// The policy the permissions were derived with, if one was set.
    pub fn policy(&self) -> Result<Option<Policy>> {
        let (Some(hash), Some(text)) = (
            self.meta_text(meta::POLICY_HASH)?,
            self.meta_text(meta::POLICY_TEXT)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Policy { hash, text }))
    }

    /// The hash of the policy the permissions were derived with, if one was
    /// set.
    pub fn policy_hash(&self) -> Result<Option<String>> {
        self.meta_text(meta::POLICY_HASH)
    }

    /// The committed offset of an input source (a canonical file path), if
    /// one was committed.
    pub fn source_offset(&self, path: &str) -> Result<Option<u64>> {
        self.meta_u64(&meta::source_offset(path))
    }

    /// Read options at this reader's view.
    pub(crate) fn options(&self) -> ReadOptions {
        let mut opts = ReadOptions::default();
        if let Some(snapshot) = &self.snapshot {
            opts.set_snapshot(snapshot);
        }
        opts
    }

    /// One row at this reader's view.
    pub(crate) fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<DBPinnableSlice<'_>>> {
        let store = self.store;
        store
            .db
            .get_pinned_cf_opt(store.cf(cf)?, key, &self.options())
            .map_err(|e| store.rocks(e))
    }

    /// A raw iterator over `cf`; `opts` must come from [`Reader::options`].
    pub(crate) fn raw_iter(&self, cf: Cf, opts: ReadOptions) -> Result<DBRawIterator<'_>> {
        Ok(self.store.db.raw_iterator_cf_opt(self.store.cf(cf)?, opts))
    }

    fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        let Some(bytes) = self.get(Cf::Meta, key)? else {
            return Ok(None);
        };
        let value = read_u64(&bytes).ok_or_else(|| {
            let key = String::from_utf8_lossy(key);
            self.store
                .corrupt(format!("`meta` value `{key}` is not {ID_LEN} bytes"))
        })?;
        Ok(Some(value))
    }

    fn meta_text(&self, key: &[u8]) -> Result<Option<String>> {
        let Some(bytes) = self.get(Cf::Meta, key)? else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            let key = String::from_utf8_lossy(key);
            self.store
                .corrupt(format!("`meta` value `{key}` is not UTF-8"))
        })?;
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{allow, commit_perms, ent, new_store};
    use crate::{Change, EpochCommit, Permission};

    #[test]
    fn check_answers_from_the_store() {
        let (_dir, store) = new_store();
        commit_perms(&store, &[allow("alice", "read", "Repo", "anvil")], &[]);
        let reader = store.read().unwrap();
        let (alice, read) = (ent("User", "alice"), Value::str("read"));
        assert!(reader.check(&alice, &read, &ent("Repo", "anvil")).unwrap());
        assert!(!reader.check(&alice, &read, &ent("Repo", "other")).unwrap());
        assert!(!reader
            .check(&alice, &Value::str("push"), &ent("Repo", "anvil"))
            .unwrap());
        assert!(!reader
            .check(&ent("User", "bob"), &read, &ent("Repo", "anvil"))
            .unwrap());
        // The string "alice" is not the entity.
        assert!(!reader
            .check(&Value::str("alice"), &read, &ent("Repo", "anvil"))
            .unwrap());
    }

    #[test]
    fn actions_are_sorted_by_canonical_form() {
        let (_dir, store) = new_store();
        let (alice, doc) = (ent("User", "alice"), ent("Doc", "d"));
        let on_doc = |action: Value| Permission::new(alice.clone(), action, doc.clone());
        let grants = [
            on_doc(Value::str("write")),
            allow("alice", "delete", "Doc", "other"),
            allow("bob", "admin", "Doc", "d"),
            on_doc(Value::Int(7)),
            on_doc(Value::str("read")),
            on_doc(Value::str("Read")),
            on_doc(ent("Action", "x")),
        ];
        commit_perms(&store, &grants, &[]);
        let reader = store.read().unwrap();
        let actions: Vec<String> = reader
            .actions(&alice, &doc)
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        assert_eq!(
            actions,
            ["\"Read\"", "\"read\"", "\"write\"", "7", "Action{\"x\"}"]
        );
        assert!(reader
            .actions(&ent("User", "carol"), &doc)
            .unwrap()
            .is_empty());
        assert!(reader
            .actions(&alice, &ent("Doc", "none"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_reader_keeps_its_epoch() {
        let (_dir, store) = new_store();
        let p = allow("alice", "read", "Repo", "anvil");
        commit_perms(&store, std::slice::from_ref(&p), &[]);
        let reader = store.read().unwrap();
        store
            .commit_epoch(&EpochCommit {
                epoch: 2,
                permissions: vec![
                    (p.clone(), Change::Delete),
                    (allow("bob", "read", "Repo", "anvil"), Change::Insert),
                ],
                source_offsets: vec![("f".into(), 10)],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!(reader.epoch(), 1);
        assert!(reader.check(&p.actor, &p.action, &p.resource).unwrap());
        assert_eq!(reader.source_offset("f").unwrap(), None);
        assert_eq!(
            reader
                .who(&p.action, &p.resource, None, 10)
                .unwrap()
                .count(),
            1
        );
        let now = store.read().unwrap();
        assert_eq!(now.epoch(), 2);
        assert!(!now.check(&p.actor, &p.action, &p.resource).unwrap());
        assert_eq!(now.source_offset("f").unwrap(), Some(10));
    }
}
