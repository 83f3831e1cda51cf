//! The dictionary: every stored value gets a u64 id, kept in both
//! directions in the `dict` column family.
//!
//! Ids are handed out in increasing order by the single writer and written
//! in the same batch as the rows that use them, so a crash can neither lose
//! an id that a committed row refers to nor hand one out twice: after a
//! restart the next id is one past the greatest id stored.

use std::collections::HashMap;
use std::sync::RwLock;

use engine::value::Value;
use rocksdb::WriteBatch;

use crate::canon;
use crate::err::Result;
use crate::keys::{dict_id_key, dict_text_key, read_u64};
use crate::read::Reader;
use crate::schema::Cf;
use crate::store::Store;

/// Assigns ids for one write batch. Lookups read the latest state, which is
/// the committed one since the caller holds the writer lock.
pub(crate) struct Interner<'s> {
    store: &'s Store,
    next_id: u64,
    /// Ids found or assigned so far, by canonical text.
    known: HashMap<String, u64>,
    /// Values new in this batch, in id order.
    fresh: Vec<(u64, String)>,
}

impl<'s> Interner<'s> {
    /// An interner whose first new id is `next_id`.
    pub(crate) fn new(store: &'s Store, next_id: u64) -> Self {
        Interner {
            store,
            next_id,
            known: HashMap::new(),
            fresh: Vec::new(),
        }
    }

    /// The id of a value, if it is stored or was interned in this batch.
    pub(crate) fn lookup(&mut self, value: &Value) -> Result<Option<u64>> {
        self.lookup_text(&value.to_string())
    }

    /// The id of a value, assigning a new one if needed.
    pub(crate) fn intern(&mut self, value: &Value) -> Result<u64> {
        let text = canon::checked_text(value)?;
        if let Some(id) = self.lookup_text(&text)? {
            return Ok(id);
        }
        let id = self.next_id;
        self.next_id = id
            .checked_add(1)
            .ok_or_else(|| self.store.corrupt("the dictionary has used every id"))?;
        self.known.insert(text.clone(), id);
        self.fresh.push((id, text));
        Ok(id)
    }

    /// The id of the value whose canonical text is `text`, which is stored.
    pub(crate) fn stored_id(&mut self, text: &[u8]) -> Result<u64> {
        let text = std::str::from_utf8(text)
            .map_err(|_| self.store.corrupt("a permission key is not UTF-8"))?;
        self.lookup_text(text)?
            .ok_or_else(|| self.store.corrupt(format!("`{text}` has no id in `dict`")))
    }

    fn lookup_text(&mut self, text: &str) -> Result<Option<u64>> {
        if let Some(id) = self.known.get(text) {
            return Ok(Some(*id));
        }
        let store = self.store;
        let row = store
            .db
            .get_pinned_cf(store.cf(Cf::Dict)?, dict_text_key(text))
            .map_err(|e| store.rocks(e))?;
        let Some(bytes) = row else {
            return Ok(None);
        };
        let id = read_u64(&bytes)
            .ok_or_else(|| store.corrupt(format!("the id of `{text}` is not 8 bytes")))?;
        self.known.insert(text.to_string(), id);
        Ok(Some(id))
    }

    /// Adds the rows of the new values to `batch` in key order (text → id
    /// rows sort before id → text rows) and returns the next free id.
    pub(crate) fn finish(self, batch: &mut WriteBatch) -> Result<u64> {
        let dict = self.store.cf(Cf::Dict)?;
        let mut by_text: Vec<&(u64, String)> = self.fresh.iter().collect();
        by_text.sort_by(|a, b| a.1.cmp(&b.1));
        for (id, text) in by_text {
            batch.put_cf(dict, dict_text_key(text), id.to_be_bytes());
        }
        for (id, text) in &self.fresh {
            batch.put_cf(dict, dict_id_key(*id), text.as_bytes());
        }
        Ok(self.next_id)
    }
}

/// Values most lookups need, by canonical text → id, kept in memory so
/// that a check is one RocksDB read instead of three.
///
/// Sound across epochs because ids are never reassigned: the dictionary
/// only grows, and a failed commit writes nothing. A reader at an epoch
/// older than a cached id finds no rows under it, exactly as if it had not
/// found the id. Absent values are not cached. Bounded: when full, it
/// starts over.
#[derive(Default)]
pub(crate) struct IdCache {
    ids: RwLock<HashMap<String, u64>>,
}

/// Entries the cache holds at most (about 100 MB of short texts).
const ID_CACHE_CAPACITY: usize = 1 << 20;

impl IdCache {
    fn get(&self, text: &str) -> Option<u64> {
        self.ids.read().ok()?.get(text).copied()
    }

    fn insert(&self, text: String, id: u64) {
        if let Ok(mut ids) = self.ids.write() {
            if ids.len() >= ID_CACHE_CAPACITY {
                ids.clear();
            }
            ids.insert(text, id);
        }
    }
}

impl Reader<'_> {
    /// The id of a value at this reader's epoch, if it was ever stored.
    pub(crate) fn id_of(&self, value: &Value) -> Result<Option<u64>> {
        let text = value.to_string();
        if let Some(id) = self.store.ids.get(&text) {
            return Ok(Some(id));
        }
        let Some(bytes) = self.get(Cf::Dict, &dict_text_key(&text))? else {
            return Ok(None);
        };
        let id = read_u64(&bytes).ok_or_else(|| {
            self.store
                .corrupt(format!("the id of `{value}` is not 8 bytes"))
        })?;
        self.store.ids.insert(text, id);
        Ok(Some(id))
    }

    /// The value of a stored id.
    pub(crate) fn value_of(&self, id: u64) -> Result<Value> {
        let bytes = self.get(Cf::Dict, &dict_id_key(id))?.ok_or_else(|| {
            self.store
                .corrupt(format!("id {id} has no value in `dict`"))
        })?;
        canon::decode(&bytes).ok_or_else(|| {
            self.store
                .corrupt(format!("the value of id {id} is undecodable"))
        })
    }
}
