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

    /// Whether `actor` may do `action` on `resource` at time `at` (unix
    /// seconds): one point lookup in `perm_fwd` after two in `dict`. The
    /// row's validity is decoded only when it is not "always" (non-empty).
    pub fn check(&self, actor: &Value, action: &Value, resource: &Value, at: i64) -> Result<bool> {
        let (Some(actor), Some(action)) = (self.id_of(actor)?, self.id_of(action)?) else {
            return Ok(false);
        };
        let key = perm_key(actor, action, &resource.to_string());
        self.holds_at(&key, at)
    }

    /// Whether the `perm_fwd` row `key` is present and valid at `at`.
    fn holds_at(&self, key: &[u8], at: i64) -> Result<bool> {
        match self.get(Cf::PermFwd, key)? {
            None => Ok(false),
            Some(value) if value.is_empty() => Ok(true),
            Some(value) => self.store.row_holds_at(Cf::PermFwd, key, &value, at),
        }
    }

    /// The actions `actor` may take on `resource` at time `at`, sorted by
    /// canonical form.
    ///
    /// Skips from action to action of the actor in `perm_fwd` (one seek and
    /// one point lookup per action the actor has on anything), so the cost
    /// does not grow with the number of resources.
    pub fn actions(&self, actor: &Value, resource: &Value, at: i64) -> Result<Vec<Value>> {
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
            if self.holds_at(&perm_key(actor, action, &resource), at)? {
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
    use engine::validity::Validity;

    use crate::testutil::{allow, commit_perms, commit_valid, ent, new_store, raw_db, valid};
    use crate::{EpochCommit, Permission, StoreError};

    #[test]
    fn check_answers_from_the_store() {
        let (_dir, store) = new_store();
        commit_perms(&store, &[allow("alice", "read", "Repo", "anvil")], &[]);
        let reader = store.read().unwrap();
        let (alice, read) = (ent("User", "alice"), Value::str("read"));
        assert!(reader
            .check(&alice, &read, &ent("Repo", "anvil"), 0)
            .unwrap());
        assert!(!reader
            .check(&alice, &read, &ent("Repo", "other"), 0)
            .unwrap());
        assert!(!reader
            .check(&alice, &Value::str("push"), &ent("Repo", "anvil"), 0)
            .unwrap());
        assert!(!reader
            .check(&ent("User", "bob"), &read, &ent("Repo", "anvil"), 0)
            .unwrap());
        // The string "alice" is not the entity.
        assert!(!reader
            .check(&Value::str("alice"), &read, &ent("Repo", "anvil"), 0)
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
            .actions(&alice, &doc, 0)
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        assert_eq!(
            actions,
            ["\"Read\"", "\"read\"", "\"write\"", "7", "Action{\"x\"}"]
        );
        assert!(reader
            .actions(&ent("User", "carol"), &doc, 0)
            .unwrap()
            .is_empty());
        assert!(reader
            .actions(&alice, &ent("Doc", "none"), 0)
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
                    (p.clone(), Validity::never()),
                    (allow("bob", "read", "Repo", "anvil"), Validity::always()),
                ],
                source_offsets: vec![("f".into(), 10)],
                ..EpochCommit::default()
            })
            .unwrap();
        assert_eq!(reader.epoch(), 1);
        assert!(reader.check(&p.actor, &p.action, &p.resource, 0).unwrap());
        assert_eq!(reader.source_offset("f").unwrap(), None);
        assert_eq!(
            reader
                .who(&p.action, &p.resource, None, 10, 0)
                .unwrap()
                .count(),
            1
        );
        let now = store.read().unwrap();
        assert_eq!(now.epoch(), 2);
        assert!(!now.check(&p.actor, &p.action, &p.resource, 0).unwrap());
        assert_eq!(now.source_offset("f").unwrap(), Some(10));
    }

    /// Times around the edges of `[100, 199] ∪ [300, 300]`.
    const TIMES: [i64; 9] = [i64::MIN, 99, 100, 150, 199, 200, 300, 301, i64::MAX];

    #[test]
    fn check_and_actions_answer_at_a_time() {
        let (_dir, store) = new_store();
        let (alice, doc) = (ent("User", "alice"), ent("Doc", "d"));
        let on_doc = |action: &str| Permission::new(alice.clone(), Value::str(action), doc.clone());
        let windows = valid(&[(100, 199), (300, 300)]);
        commit_valid(
            &store,
            &[
                (on_doc("read"), Validity::always()),
                (on_doc("write"), windows.clone()),
                (on_doc("admin"), valid(&[(i64::MIN, 99)])),
                (on_doc("share"), valid(&[(200, i64::MAX)])),
            ],
        );
        let reader = store.read().unwrap();
        for at in TIMES {
            let check = |action: &str| reader.check(&alice, &Value::str(action), &doc, at).unwrap();
            assert!(check("read"), "read at {at}");
            assert_eq!(check("write"), windows.contains(at), "write at {at}");
            assert_eq!(check("admin"), at <= 99, "admin at {at}");
            assert_eq!(check("share"), at >= 200, "share at {at}");
            let mut expected: Vec<&str> = vec!["read"];
            expected.extend(windows.contains(at).then_some("write"));
            expected.extend((at <= 99).then_some("admin"));
            expected.extend((at >= 200).then_some("share"));
            let mut expected: Vec<Value> = expected.into_iter().map(Value::str).collect();
            expected.sort_by_cached_key(Value::to_string);
            assert_eq!(
                reader.actions(&alice, &doc, at).unwrap(),
                expected,
                "at {at}"
            );
        }
    }

    #[test]
    fn a_damaged_validity_is_an_error_naming_the_row() {
        let (_dir, store) = new_store();
        commit_perms(&store, &[allow("alice", "read", "Doc", "1")], &[]);
        let path = store.path().to_path_buf();
        let (alice, read, doc) = {
            let reader = store.read().unwrap();
            let id = |v: &Value| reader.id_of(v).unwrap().unwrap();
            let ids = (ent("User", "alice"), Value::str("read"), ent("Doc", "1"));
            (id(&ids.0), id(&ids.1), id(&ids.2))
        };
        drop(store);
        let key = perm_key(alice, read, "Doc{\"1\"}");
        let rev_key = perm_key(doc, read, "User{\"alice\"}");
        let damage = |value: &[u8]| {
            let db = raw_db(&path);
            db.put_cf(db.cf_handle(Cf::PermFwd.name()).unwrap(), &key, value)
                .unwrap();
            db.put_cf(db.cf_handle(Cf::PermRev.name()).unwrap(), &rev_key, value)
                .unwrap();
        };
        let unsorted: Vec<u8> = [[0, 0, 0, 0, 0, 0, 0, 9], [0, 0, 0, 0, 0, 0, 0, 9]]
            .concat()
            .repeat(2);
        for (value, reason) in [
            (&[1u8, 2, 3][..], "3 bytes, not a multiple of 16"),
            (&unsorted[..], "must be sorted, disjoint and not adjacent"),
        ] {
            damage(value);
            let store = Store::open(&path).unwrap();
            let reader = store.read().unwrap();
            let (alice, read, doc) = (ent("User", "alice"), Value::str("read"), ent("Doc", "1"));
            for err in [
                reader.check(&alice, &read, &doc, 0).unwrap_err(),
                reader.actions(&alice, &doc, 0).unwrap_err(),
            ] {
                assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
                let err = err.to_string();
                assert!(
                    err.contains(&format!(
                        "the value of `perm_fwd` row `{alice_id} | {read_id} | Doc{{\"1\"}}` \
                         is not a validity: ",
                        alice_id = key_ids(&key).0,
                        read_id = key_ids(&key).1
                    )),
                    "{err}"
                );
                assert!(err.contains(reason), "{err}");
            }
            let listed = reader.list(&alice, &read, "Doc", None, 10, 0).unwrap();
            let listed: Vec<_> = listed.collect();
            assert_eq!(listed.len(), 1);
            let err = listed[0].as_ref().unwrap_err().to_string();
            assert!(err.contains("`perm_fwd` row"), "{err}");
            let who: Vec<_> = reader.who(&read, &doc, None, 10, 0).unwrap().collect();
            let err = who[0].as_ref().unwrap_err().to_string();
            assert!(err.contains("`perm_rev` row"), "{err}");
            let all: Vec<_> = reader.permissions().unwrap().collect();
            assert!(all[0].is_err());
            drop(reader);
            // A commit over it fails too, and writes nothing.
            let commit = store.commit_epoch(&EpochCommit {
                epoch: 9,
                permissions: vec![(allow("alice", "read", "Doc", "1"), Validity::always())],
                ..EpochCommit::default()
            });
            assert!(matches!(commit, Err(StoreError::Corrupt { .. })));
            assert_eq!(store.committed_epoch().unwrap(), 1);
        }
    }

    fn key_ids(key: &[u8]) -> (u64, u64) {
        let (a, b, _) = crate::keys::split_perm_key(key).unwrap();
        (a, b)
    }
}
