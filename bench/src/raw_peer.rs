//! The physical floor: a bare RocksDB database holding keys shaped like the
//! store's `perm_fwd` keys (or its `dict` rows), read with plain `get` and
//! prefix iteration.
//!
//! Options are RocksDB's defaults except three, which make it a peer of the
//! store rather than a different machine: LZ4 compression (the only codec
//! this build links), a 64 MiB LRU block cache (the store's size) and a
//! 10-bits-per-key bloom filter (as the store's point-lookup families). The
//! keys are written without a WAL, flushed, and compacted into the
//! bottommost level (forced, so that even a single flushed file is rewritten
//! and its sequence numbers zeroed): the smallest and best-packed layout
//! RocksDB gives these keys.

use std::path::Path;

use rocksdb::{BlockBasedOptions, BottommostLevelCompaction, Cache, CompactOptions};
use rocksdb::{DBCompressionType, Options, ReadOptions};
use rocksdb::{WriteBatch, WriteOptions, DB};
use tempfile::TempDir;

use crate::reviews::Tuple;
use crate::BoxError;

/// Width of the two ids that lead a `perm_fwd` key.
pub const PAIR_LEN: usize = 16;

/// A key shaped like the store's `perm_fwd` key of `tuple`: actor id,
/// action id (both `u64` big-endian), then the resource's canonical text.
/// The ids are stand-ins for dictionary ids; the widths are the store's.
pub fn fwd_key(tuple: &Tuple) -> Vec<u8> {
    let mut key = fwd_prefix(tuple.actor as usize, tuple.action);
    key.extend_from_slice(format!("Review{{\"r{}\"}}", tuple.review).as_bytes());
    key
}

/// The 16-byte prefix of the `fwd_key`s of one actor and action.
pub fn fwd_prefix(actor: usize, action: u8) -> Vec<u8> {
    let mut key = Vec::with_capacity(PAIR_LEN + 16);
    key.extend_from_slice(&(actor as u64 + 1).to_be_bytes());
    key.extend_from_slice(&(1 << 32 | u64::from(action)).to_be_bytes());
    key
}

/// Rows shaped like the store's `dict` rows of `values` (canonical texts):
/// `0x01 | text` → id and `0x02 | id` → text, ids from 1.
pub fn dict_rows(values: impl IntoIterator<Item = String>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut rows = Vec::new();
    for (i, text) in values.into_iter().enumerate() {
        let id = (i as u64 + 1).to_be_bytes();
        rows.push(([&[2], &id[..]].concat(), text.as_bytes().to_vec()));
        rows.push((dict_key(&text), id.to_vec()));
    }
    rows
}

/// The key of the `dict`-shaped row that maps `text` to its id.
pub fn dict_key(text: &str) -> Vec<u8> {
    [&[1], text.as_bytes()].concat()
}

/// A bare RocksDB database in a temporary directory.
pub struct RawPeer {
    db: DB,
    dir: TempDir,
}

impl RawPeer {
    /// Creates the database and writes `rows` (key and value, any order)
    /// into it.
    pub fn build(rows: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<RawPeer, BoxError> {
        let dir = tempfile::Builder::new()
            .prefix("permafrost-raw-peer-")
            .tempdir()?;
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&Cache::new_lru_cache(64 << 20));
        table.set_bloom_filter(10.0, false);
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(DBCompressionType::Lz4);
        opts.set_block_based_table_factory(&table);
        let db = DB::open(&opts, dir.path())?;
        let mut unlogged = WriteOptions::default();
        unlogged.disable_wal(true);
        let mut batch = WriteBatch::default();
        for (key, value) in rows {
            batch.put(key, value);
            if batch.len() >= 100_000 {
                db.write_opt(std::mem::take(&mut batch), &unlogged)?;
            }
        }
        db.write_opt(batch, &unlogged)?;
        db.flush()?;
        let mut compact = CompactOptions::default();
        compact.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
        db.compact_range_opt(None::<&[u8]>, None::<&[u8]>, &compact);
        Ok(RawPeer { db, dir })
    }

    /// Whether `key` is present: one `get`.
    pub fn get(&self, key: &[u8]) -> Result<bool, BoxError> {
        Ok(self.db.get_pinned(key)?.is_some())
    }

    /// The number of keys that start with `prefix`, iterating over them as
    /// `list` does (an upper bound at the prefix's successor), and the bytes
    /// of those keys, so the keys are read, not only counted.
    pub fn scan(&self, prefix: &[u8]) -> Result<(usize, usize), BoxError> {
        let mut opts = ReadOptions::default();
        if let Some(upper) = successor(prefix) {
            opts.set_iterate_upper_bound(upper);
        }
        let mut iter = self.db.raw_iterator_opt(opts);
        iter.seek(prefix);
        let (mut rows, mut bytes) = (0, 0);
        while let Some(key) = iter.key() {
            rows += 1;
            bytes += std::hint::black_box(key).len();
            iter.next();
        }
        iter.status()?;
        Ok((rows, bytes))
    }

    /// The directory of the database.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The smallest byte string greater than every string that starts with
/// `prefix`, if there is one.
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut upper = prefix.to_vec();
    while let Some(last) = upper.pop() {
        if last < u8::MAX {
            upper.push(last + 1);
            return Some(upper);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gets_and_scans() {
        let tuple = |actor, review| Tuple {
            actor,
            action: 0,
            review,
        };
        let keys: Vec<Vec<u8>> = (0..50).map(|r| fwd_key(&tuple(r % 3, r))).collect();
        let peer = RawPeer::build(keys.iter().map(|k| (k.clone(), Vec::new()))).unwrap();
        assert!(peer.get(&keys[7]).unwrap());
        assert!(!peer.get(&fwd_key(&tuple(1, 2))).unwrap());
        let (rows, bytes) = peer.scan(&fwd_prefix(1, 0)).unwrap();
        assert_eq!(rows, 17);
        assert!(bytes > rows * PAIR_LEN);
        assert_eq!(successor(&[1, 255]), Some(vec![2]));
        assert_eq!(successor(&[255]), None);
        assert!(peer.path().exists());
        let dict = RawPeer::build(dict_rows(["\"read\"".to_string()])).unwrap();
        assert!(dict.get(&dict_key("\"read\"")).unwrap());
        assert!(!dict.get(&dict_key("\"write\"")).unwrap());
        assert_eq!(dict.scan(&[2]).unwrap().0, 1);
    }
}
