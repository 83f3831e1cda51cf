//! Streaming scans: `list` and `who` pages with cursors, and full scans of
//! facts, permissions and the change log. Rows are decoded one at a time as
//! the caller pulls them; nothing is loaded in advance.

use std::sync::Arc;

use engine::validity::Validity;
use engine::value::{Fact, Value};
use rocksdb::DBRawIterator;

use crate::canon;
use crate::err::{Result, StoreError};
use crate::keys::{change_key, pair, perm_key, split_change, split_fact_key, split_perm_key};
use crate::keys::{successor, PAIR_LEN};
use crate::read::Reader;
use crate::schema::Cf;
use crate::store::Store;
use crate::validity;
use crate::{LoggedChange, Permission, PermissionChange};

/// Decodes one row (key, value) of a scan.
pub(crate) type Decode<'r, T> = Box<dyn FnMut(&[u8], &[u8]) -> Result<T> + 'r>;

/// A forward scan over a column family, decoding rows as they are pulled.
///
/// Yields `Err` at most once (a RocksDB error or an undecodable row), and
/// nothing after it.
pub struct Rows<'r, T> {
    store: &'r Store,
    iter: Option<DBRawIterator<'r>>,
    decode: Decode<'r, T>,
    done: bool,
}

impl<'r, T> Rows<'r, T> {
    /// The rows of `iter` (positioned at the first), decoded by `decode`.
    pub(crate) fn new(store: &'r Store, iter: DBRawIterator<'r>, decode: Decode<'r, T>) -> Self {
        Rows {
            store,
            iter: Some(iter),
            decode,
            done: false,
        }
    }

    /// No rows at all.
    pub(crate) fn empty(store: &'r Store) -> Self {
        Rows {
            store,
            iter: None,
            decode: Box::new(|_: &[u8], _: &[u8]| Err(store.corrupt("a row of nothing"))),
            done: true,
        }
    }
}

impl<T> Iterator for Rows<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let iter = match &mut self.iter {
            Some(iter) if !self.done => iter,
            _ => return None,
        };
        let Some((key, value)) = iter.item() else {
            self.done = true;
            return iter.status().err().map(|e| Err(self.store.rocks(e)));
        };
        let item = (self.decode)(key, value);
        match item {
            Ok(_) => iter.next(),
            Err(_) => self.done = true,
        }
        Some(item)
    }
}

/// One page of a `list` or `who` answer at one time, sorted by canonical
/// form.
///
/// Pull values with [`Iterator::next`]; then [`Page::next_cursor`] tells
/// whether more follow and where to continue. A cursor is the hex form of the
/// canonical text of the last value returned, and a page that starts from it
/// begins at the first value greater than that text. That is well defined
/// across epochs: rows granted or revoked between two pages neither shift
/// nor repeat the rest.
///
/// Rows not valid at the page's time are skipped as the scan goes, so a
/// page is full whenever enough valid rows follow; the page looks one valid
/// row ahead so that its cursor is `None` when no valid row follows.
pub struct Page<'r> {
    /// Every row of the scanned range: `Some(value)` if valid at the time.
    rows: Option<Rows<'r, Option<Value>>>,
    remaining: usize,
    last: Option<Value>,
    /// The next valid row (or error), pulled ahead of the caller.
    ahead: Option<Result<Value>>,
}

impl Page<'_> {
    /// The cursor to pass as `after` to get the rows that follow the last
    /// value yielded so far, or `None` if no row valid at the page's time
    /// follows it (or none was yielded).
    pub fn next_cursor(&self) -> Option<String> {
        let last = self.last.as_ref()?;
        self.ahead
            .is_some()
            .then(|| hex(last.to_string().as_bytes()))
    }

    /// The next row valid at the page's time, or the error that ends the
    /// scan.
    fn pull(&mut self) -> Option<Result<Value>> {
        let rows = self.rows.as_mut()?;
        loop {
            match rows.next()? {
                Ok(None) => continue,
                Ok(Some(value)) => return Some(Ok(value)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl Iterator for Page<'_> {
    type Item = Result<Value>;

    fn next(&mut self) -> Option<Result<Value>> {
        if self.remaining == 0 {
            return None;
        }
        let item = match self.ahead.take() {
            Some(item) => item,
            None => self.pull()?,
        };
        if let Ok(value) = &item {
            self.last = Some(value.clone());
            self.remaining -= 1;
            self.ahead = self.pull();
        }
        Some(item)
    }
}

impl<'s> Reader<'s> {
    /// The resources of type `resource_type` that `actor` may do `action`
    /// on at time `at` (unix seconds): a prefix scan of `perm_fwd` over
    /// (actor, action, `Type{`), skipping rows not valid at `at`.
    ///
    /// At most `limit` values, starting after the cursor `after` (a
    /// [`Page::next_cursor`] of an earlier page) or from the first.
    pub fn list(
        &self,
        actor: &Value,
        action: &Value,
        resource_type: &str,
        after: Option<&str>,
        limit: usize,
        at: i64,
    ) -> Result<Page<'_>> {
        let type_prefix = canon::type_prefix(resource_type)?;
        let after = after.map(cursor_text).transpose()?;
        let (Some(actor), Some(action)) = (self.id_of(actor)?, self.id_of(action)?) else {
            return Ok(Page::empty());
        };
        let lower = perm_key(actor, action, &type_prefix);
        self.page(Cf::PermFwd, lower, after, limit, at)
    }

    /// The actors that may do `action` on `resource` at time `at`: a prefix
    /// scan of `perm_rev` over (resource, action). Paged like
    /// [`Reader::list`].
    pub fn who(
        &self,
        action: &Value,
        resource: &Value,
        after: Option<&str>,
        limit: usize,
        at: i64,
    ) -> Result<Page<'_>> {
        let after = after.map(cursor_text).transpose()?;
        let (Some(resource), Some(action)) = (self.id_of(resource)?, self.id_of(action)?) else {
            return Ok(Page::empty());
        };
        self.page(
            Cf::PermRev,
            pair(resource, action).to_vec(),
            after,
            limit,
            at,
        )
    }

    /// Every stored base fact, ordered by predicate id then argument ids
    /// (interning order, not canonical order).
    pub fn facts(&self) -> Result<Rows<'_, Fact>> {
        let mut iter = self.raw_iter(Cf::Facts, self.options())?;
        iter.seek_to_first();
        let mut predicate: Option<(u64, Arc<str>)> = None;
        let decode = move |key: &[u8], _: &[u8]| {
            let (id, args) = split_fact_key(key)
                .ok_or_else(|| self.store.corrupt("an undecodable key in `facts`"))?;
            let name = match &predicate {
                Some((known, name)) if *known == id => name.clone(),
                _ => match self.value_of(id)? {
                    Value::Str(name) => {
                        predicate = Some((id, name.clone()));
                        name
                    }
                    other => {
                        let what = format!("the predicate of a fact is `{other}`, not a name");
                        return Err(self.store.corrupt(what));
                    }
                },
            };
            let args = args
                .into_iter()
                .map(|arg| self.value_of(arg))
                .collect::<Result<Vec<Value>>>()?;
            Ok(Fact::new(name, args))
        };
        Ok(Rows::new(self.store, iter, Box::new(decode)))
    }

    /// Every stored permission with its validity, ordered by actor id,
    /// action id, then the resource's canonical form.
    pub fn permissions(&self) -> Result<Rows<'_, (Permission, Validity)>> {
        let mut opts = self.options();
        // A full scan crosses every (actor, action) prefix.
        opts.set_total_order_seek(true);
        let mut iter = self.raw_iter(Cf::PermFwd, opts)?;
        iter.seek_to_first();
        let mut actor: Option<(u64, Value)> = None;
        let mut action: Option<(u64, Value)> = None;
        let decode = move |key: &[u8], value: &[u8]| {
            let (actor_id, action_id, resource) = split_perm_key(key)
                .ok_or_else(|| self.store.corrupt("an undecodable key in `perm_fwd`"))?;
            let resource = self.decode_text(resource, Cf::PermFwd)?;
            let validity = self.store.validity_of_row(Cf::PermFwd, key, value)?;
            let permission = Permission {
                actor: self.cached_value(&mut actor, actor_id)?,
                action: self.cached_value(&mut action, action_id)?,
                resource,
            };
            Ok((permission, validity))
        };
        Ok(Rows::new(self.store, iter, Box::new(decode)))
    }

    /// Every logged permission change of an epoch after `epoch`, in commit
    /// order. `changes_since(0)` replays the whole log.
    pub fn changes_since(&self, epoch: u64) -> Result<Rows<'_, LoggedChange>> {
        let mut iter = self.raw_iter(Cf::Changes, self.options())?;
        // An iterator that never seeks yields nothing: no epoch follows
        // the last one.
        if let Some(first) = epoch.checked_add(1) {
            iter.seek(change_key(first, 0));
        }
        let decode = move |key: &[u8], value: &[u8]| {
            let (epoch, change, [actor, action, resource], valid) = split_change(key, value)
                .ok_or_else(|| self.store.corrupt("an undecodable row in `changes`"))?;
            let validity = match change {
                PermissionChange::Revoke => Validity::never(),
                _ => validity::decode(valid).map_err(|reason| {
                    let at = format!("epoch {epoch}");
                    self.store.corrupt(format!(
                        "the validity of a row of {at} in `changes` is undecodable: {reason}"
                    ))
                })?,
            };
            let permission = Permission {
                actor: self.value_of(actor)?,
                action: self.value_of(action)?,
                resource: self.value_of(resource)?,
            };
            Ok(LoggedChange {
                epoch,
                change,
                permission,
                validity,
            })
        };
        Ok(Rows::new(self.store, iter, Box::new(decode)))
    }

    /// A page over the keys of `cf` that start with `lower`, whose first
    /// [`PAIR_LEN`] bytes are the (first, action) pair, after `after`, of
    /// the rows valid at `at`.
    fn page(
        &self,
        cf: Cf,
        lower: Vec<u8>,
        after: Option<String>,
        limit: usize,
        at: i64,
    ) -> Result<Page<'_>> {
        let mut opts = self.options();
        // Every key in range shares the pair prefix: the prefix bloom
        // filters apply, and the scan stops at the end of the pair.
        opts.set_prefix_same_as_start(true);
        if let Some(upper) = successor(&lower) {
            opts.set_iterate_upper_bound(upper);
        }
        let mut start = lower.clone();
        if let Some(text) = after {
            // No canonical text holds a NUL byte, so this is the first
            // possible key after the cursor's row.
            let after_key = [&lower[..PAIR_LEN], text.as_bytes(), &[0]].concat();
            start = start.max(after_key);
        }
        let mut iter = self.raw_iter(cf, opts)?;
        iter.seek(start);
        let decode = move |key: &[u8], value: &[u8]| {
            if !value.is_empty() && !self.store.row_holds_at(cf, key, value, at)? {
                return Ok(None);
            }
            let text = key.get(PAIR_LEN..).unwrap_or_default();
            self.decode_text(text, cf).map(Some)
        };
        let mut page = Page {
            rows: Some(Rows::new(self.store, iter, Box::new(decode))),
            remaining: limit,
            last: None,
            ahead: None,
        };
        // Pull the first valid row now: later rows are pulled one ahead.
        if limit > 0 {
            page.ahead = page.pull();
        }
        Ok(page)
    }

    /// Decodes the canonical text that ends a key of `cf`.
    fn decode_text(&self, text: &[u8], cf: Cf) -> Result<Value> {
        canon::decode(text).ok_or_else(|| {
            let text = String::from_utf8_lossy(text);
            let what = format!("undecodable value `{text}` in `{}`", cf.name());
            self.store.corrupt(what)
        })
    }

    /// The value of `id`, through a one-entry cache (consecutive permission
    /// rows mostly share their actor and action).
    pub(crate) fn cached_value(&self, cache: &mut Option<(u64, Value)>, id: u64) -> Result<Value> {
        if let Some((known, value)) = cache {
            if *known == id {
                return Ok(value.clone());
            }
        }
        let value = self.value_of(id)?;
        *cache = Some((id, value.clone()));
        Ok(value)
    }
}

impl Page<'_> {
    fn empty() -> Self {
        Page {
            rows: None,
            remaining: 0,
            last: None,
            ahead: None,
        }
    }
}

/// Lower-case hex of `bytes`: cursors stay printable and URL-safe.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The canonical text a cursor stands for.
fn cursor_text(cursor: &str) -> Result<String> {
    let bad = || StoreError::BadCursor {
        cursor: cursor.to_string(),
    };
    if !cursor.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            cursor
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    // Only the canonical text of a value is a cursor.
    canon::decode(&bytes).ok_or_else(bad)?;
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::valid;
    use crate::testutil::{all_perms, allow, commit_perms, commit_valid, ent, new_store, raw_db};

    /// Ids whose byte order differs from their canonical order (`"a"}` sorts
    /// after `"a!"}`), plus escapes and non-ASCII.
    fn tricky_ids() -> Vec<String> {
        let mut ids: Vec<String> = (0..300).map(|i| format!("r{i}")).collect();
        ids.extend(["a", "a!", "a\"", "a\\", "a\n", "é", "", " ", "~"].map(String::from));
        ids
    }

    fn drain(page: &mut Page<'_>) -> Vec<Value> {
        page.collect::<Result<_>>().unwrap()
    }

    fn paged(reader: &Reader<'_>, limit: usize, list: bool) -> Vec<Value> {
        paged_at(reader, limit, list, 0)
    }

    /// Every page of a listing at `at`, joined; asserts that every page but
    /// the last is full and that the last has no cursor.
    fn paged_at(reader: &Reader<'_>, limit: usize, list: bool, at: i64) -> Vec<Value> {
        let (alice, read, doc) = (ent("User", "alice"), Value::str("read"), ent("Doc", "d"));
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut page = if list {
                reader.list(&alice, &read, "Doc", cursor.as_deref(), limit, at)
            } else {
                reader.who(&read, &doc, cursor.as_deref(), limit, at)
            }
            .unwrap();
            let rows = drain(&mut page);
            assert!(rows.len() <= limit);
            cursor = page.next_cursor();
            if cursor.is_some() {
                assert_eq!(rows.len(), limit, "a page with a cursor is full");
            }
            all.extend(rows);
            if cursor.is_none() {
                return all;
            }
        }
    }

    #[test]
    fn pages_join_up_to_the_full_sorted_list() {
        let (_dir, store) = new_store();
        let ids = tricky_ids();
        let mut grants: Vec<_> = ids
            .iter()
            .map(|id| allow("alice", "read", "Doc", id))
            .collect();
        grants.extend(ids.iter().map(|id| allow(id, "read", "Doc", "d")));
        commit_perms(&store, &grants, &[]);
        let reader = store.read().unwrap();
        let mut expected: Vec<Value> = ids.iter().map(|id| ent("Doc", id)).collect();
        expected.sort_by_cached_key(Value::to_string);
        let full = paged(&reader, usize::MAX, true);
        assert_eq!(full, expected);
        for limit in [1, 7, 100, 309, 310] {
            assert_eq!(paged(&reader, limit, true), expected, "limit {limit}");
        }
        let mut actors: Vec<Value> = ids.iter().map(|id| ent("User", id)).collect();
        actors.sort_by_cached_key(Value::to_string);
        assert_eq!(paged(&reader, usize::MAX, false), actors);
        assert_eq!(paged(&reader, 13, false), actors);
    }

    #[test]
    fn pages_skip_rows_not_valid_at_the_time() {
        let (_dir, store) = new_store();
        let ids = tricky_ids();
        // Row i is valid always, in [100, 199], or from 200 on, by i % 3;
        // a few rows are valid only at one second.
        let validity = |i: usize| match i % 3 {
            _ if i % 50 == 7 => valid(&[(150, 150)]),
            0 => Validity::always(),
            1 => valid(&[(100, 199)]),
            _ => valid(&[(200, i64::MAX)]),
        };
        let mut grants = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            grants.push((allow("alice", "read", "Doc", id), validity(i)));
            grants.push((allow(id, "read", "Doc", "d"), validity(i)));
        }
        commit_valid(&store, &grants);
        let reader = store.read().unwrap();
        for at in [i64::MIN, 99, 100, 150, 199, 200, i64::MAX] {
            let valid_ids = ids
                .iter()
                .enumerate()
                .filter(|(i, _)| validity(*i).contains(at));
            let mut docs: Vec<Value> = valid_ids.clone().map(|(_, id)| ent("Doc", id)).collect();
            docs.sort_by_cached_key(Value::to_string);
            let mut users: Vec<Value> = valid_ids.map(|(_, id)| ent("User", id)).collect();
            users.sort_by_cached_key(Value::to_string);
            for limit in [1, 2, 7, 64, usize::MAX] {
                assert_eq!(
                    paged_at(&reader, limit, true, at),
                    docs,
                    "at {at}, limit {limit}"
                );
                assert_eq!(
                    paged_at(&reader, limit, false, at),
                    users,
                    "at {at}, limit {limit}"
                );
            }
        }
        // Nothing valid after a cursor: no cursor, even on a full page.
        let only = valid(&[(1, 1)]);
        let late = [0, 1, 2].map(|i| (allow("bob", "read", "Doc", &format!("{i}")), only.clone()));
        commit_valid(&store, &late);
        let reader = store.read().unwrap();
        let (bob, read) = (ent("User", "bob"), Value::str("read"));
        let mut page = reader.list(&bob, &read, "Doc", None, 1, 1).unwrap();
        assert_eq!(drain(&mut page), vec![ent("Doc", "0")]);
        assert!(page.next_cursor().is_some());
        let mut page = reader.list(&bob, &read, "Doc", None, 1, 2).unwrap();
        assert!(drain(&mut page).is_empty());
        assert_eq!(page.next_cursor(), None);
        let mut page = reader.list(&bob, &read, "Doc", None, 3, 1).unwrap();
        assert_eq!(drain(&mut page).len(), 3);
        assert_eq!(page.next_cursor(), None);
    }

    #[test]
    fn listing_by_type_does_not_leak_other_types() {
        let (_dir, store) = new_store();
        let grants = [
            allow("alice", "read", "Use", "1"),
            allow("alice", "read", "User", "2"),
            allow("alice", "read", "UserGroup", "3"),
            allow("alice", "read", "Users", "4"),
            allow("alice", "write", "User", "5"),
            allow("bob", "read", "User", "6"),
            Permission::new(
                ent("User", "alice"),
                Value::str("read"),
                Value::str("User{"),
            ),
            Permission::new(ent("User", "alice"), Value::str("read"), Value::Int(1)),
        ];
        commit_perms(&store, &grants, &[]);
        let reader = store.read().unwrap();
        let (alice, read) = (ent("User", "alice"), Value::str("read"));
        let list = |ty: &str| drain(&mut reader.list(&alice, &read, ty, None, 100, 0).unwrap());
        assert_eq!(list("User"), vec![ent("User", "2")]);
        assert_eq!(list("Use"), vec![ent("Use", "1")]);
        assert_eq!(list("UserGroup"), vec![ent("UserGroup", "3")]);
        assert!(list("Group").is_empty());
        assert!(matches!(
            reader.list(&alice, &read, "User{", None, 1, 0),
            Err(StoreError::InvalidTypeName { .. })
        ));
        let unknown = reader.list(&ent("User", "nobody"), &read, "User", None, 10, 0);
        assert!(drain(&mut unknown.unwrap()).is_empty());
    }

    #[test]
    fn a_cursor_survives_changes_between_pages() {
        let (_dir, store) = new_store();
        let grants: Vec<_> = (0..10)
            .map(|i| allow("alice", "read", "Doc", &format!("{i}")))
            .collect();
        commit_perms(&store, &grants, &[]);
        let (alice, read) = (ent("User", "alice"), Value::str("read"));
        let cursor = {
            let reader = store.read().unwrap();
            let mut page = reader.list(&alice, &read, "Doc", None, 3, 0).unwrap();
            assert_eq!(drain(&mut page).len(), 3);
            page.next_cursor().unwrap()
        };
        // The last row returned and the next one go away; a new one comes.
        commit_perms(
            &store,
            &[allow("alice", "read", "Doc", "2a")],
            &[grants[2].clone(), grants[3].clone()],
        );
        let reader = store.read().unwrap();
        let mut page = reader
            .list(&alice, &read, "Doc", Some(&cursor), 100, 0)
            .unwrap();
        let rest: Vec<String> = drain(&mut page).iter().map(Value::to_string).collect();
        let expected = ["2a", "4", "5", "6", "7", "8", "9"].map(|i| format!("Doc{{\"{i}\"}}"));
        assert_eq!(rest, expected);
        assert_eq!(page.next_cursor(), None);
    }

    #[test]
    fn bad_cursors_are_refused() {
        let (_dir, store) = new_store();
        commit_perms(&store, &[allow("alice", "read", "Doc", "1")], &[]);
        let reader = store.read().unwrap();
        let (read, doc) = (Value::str("read"), ent("Doc", "1"));
        for bad in ["abc", "zz", "é1", &hex(b"not canonical"), &hex(b"+1")] {
            match reader.who(&read, &doc, Some(bad), 10, 0) {
                Err(e @ StoreError::BadCursor { .. }) => assert!(e.to_string().contains(bad)),
                Err(e) => panic!("{e}"),
                Ok(_) => panic!("`{bad}` accepted"),
            }
        }
        let before = hex(b"User{\"a\"}");
        assert_eq!(
            reader
                .who(&read, &doc, Some(&before), 10, 0)
                .unwrap()
                .count(),
            1
        );
        let last = hex(b"User{\"alice\"}");
        assert_eq!(
            reader.who(&read, &doc, Some(&last), 10, 0).unwrap().count(),
            0
        );
    }

    #[test]
    fn full_scans_decode_everything() {
        let (_dir, store) = new_store();
        let grants: Vec<_> = (0..50)
            .map(|i| {
                allow(
                    &format!("u{}", i % 7),
                    &format!("a{}", i % 3),
                    "Doc",
                    &format!("{i}"),
                )
            })
            .collect();
        commit_perms(&store, &grants, &[]);
        let reader = store.read().unwrap();
        assert_eq!(all_perms(&reader), grants.into_iter().collect());
    }

    #[test]
    fn damaged_rows_are_errors_not_panics() {
        let (_dir, store) = new_store();
        commit_perms(&store, &[allow("alice", "read", "Doc", "1")], &[]);
        let path = store.path().to_path_buf();
        let (alice_id, read_id) = {
            let reader = store.read().unwrap();
            let alice = reader.id_of(&ent("User", "alice")).unwrap().unwrap();
            (alice, reader.id_of(&Value::str("read")).unwrap().unwrap())
        };
        drop(store);
        {
            let db = raw_db(&path);
            let fwd = db.cf_handle(Cf::PermFwd.name()).unwrap();
            db.put_cf(fwd, perm_key(alice_id, read_id, "Doc{broken"), b"")
                .unwrap();
            let changes = db.cf_handle(Cf::Changes.name()).unwrap();
            db.put_cf(changes, change_key(9, 0), b"?").unwrap();
            // A grant whose validity bytes are cut short.
            let mut grant = crate::keys::change_value(
                PermissionChange::Grant,
                [alice_id, read_id, alice_id],
                &Validity::always(),
            );
            grant.extend_from_slice(&[0, 0, 1]);
            db.put_cf(changes, change_key(8, 0), grant).unwrap();
            let facts = db.cf_handle(Cf::Facts.name()).unwrap();
            db.put_cf(facts, [1, 2, 3], b"").unwrap();
        }
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        let (alice, read) = (ent("User", "alice"), Value::str("read"));
        let rows: Vec<_> = reader
            .list(&alice, &read, "Doc", None, 10, 0)
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].as_ref().unwrap(), &ent("Doc", "1"));
        let err = rows[1].as_ref().unwrap_err().to_string();
        assert!(
            err.contains("undecodable value `Doc{broken` in `perm_fwd`"),
            "{err}"
        );
        let last = reader.changes_since(8).unwrap().last().unwrap();
        assert!(last
            .unwrap_err()
            .to_string()
            .contains("undecodable row in `changes`"));
        let cut = reader.changes_since(7).unwrap().next().unwrap();
        let err = cut.unwrap_err().to_string();
        assert!(
            err.contains("the validity of a row of epoch 8 in `changes` is undecodable: 3 bytes"),
            "{err}"
        );
        let facts: Vec<_> = reader.facts().unwrap().collect();
        assert_eq!(facts.len(), 1);
        assert!(facts[0].is_err());
        assert!(reader.permissions().unwrap().any(|p| p.is_err()));
    }
}
