//! The column families, the `meta` keys, the format version and how RocksDB
//! is tuned for each family. SCHEMA.md documents the bytes.

use rocksdb::{BlockBasedOptions, Cache, DBCompressionType, DataBlockIndexType, Options};
use rocksdb::{SliceTransform, WriteOptions};

use crate::keys::PAIR_LEN;

/// The on-disk format this build reads and writes. Bump it whenever a key
/// or value layout in SCHEMA.md changes.
pub(crate) const FORMAT_VERSION: u32 = 2;

/// The oldest format this build still reads: a writable open upgrades it
/// to [`FORMAT_VERSION`]. Format 1 had no validities: its permission rows
/// have empty values, which format 2 reads as valid always.
pub(crate) const OLDEST_FORMAT_VERSION: u32 = 1;

/// Bytes of the block cache shared by all column families.
const BLOCK_CACHE_BYTES: usize = 64 << 20;

/// Bits per key of the bloom filters: about 1% false positives.
const BLOOM_BITS_PER_KEY: f64 = 10.0;

/// A column family of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cf {
    /// Every present base fact: predicate id, then argument ids. Key-only.
    Facts,
    /// Permissions by actor: actor id | action id | resource text. Key-only.
    PermFwd,
    /// Permissions by resource: resource id | action id | actor text. Key-only.
    PermRev,
    /// Value interning, both directions.
    Dict,
    /// Format version, committed epoch, policy, source offsets.
    Meta,
    /// Permission diffs by epoch and sequence number.
    Changes,
    /// Edges of the stored validities by time: when permissions start or
    /// stop holding. Added in format 2.
    Schedule,
}

impl Cf {
    /// Every column family of a store, in SCHEMA.md order.
    pub(crate) const ALL: [Cf; 7] = [
        Cf::Facts,
        Cf::PermFwd,
        Cf::PermRev,
        Cf::Dict,
        Cf::Meta,
        Cf::Changes,
        Cf::Schedule,
    ];

    /// Whether a store of an older format may lack the family: a writable
    /// open creates it (and fills it), a read-only open reads without it.
    pub(crate) fn is_new(self) -> bool {
        self == Cf::Schedule
    }

    /// The RocksDB name of the column family.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Cf::Facts => "facts",
            Cf::PermFwd => "perm_fwd",
            Cf::PermRev => "perm_rev",
            Cf::Dict => "dict",
            Cf::Meta => "meta",
            Cf::Changes => "changes",
            Cf::Schedule => "schedule",
        }
    }

    /// The options of the column family, all sharing `cache`.
    pub(crate) fn options(self, cache: &Cache) -> Options {
        let mut table = BlockBasedOptions::default();
        // One cache for data, index and filter blocks of every family bounds
        // the memory of the store; L0 filters and indexes stay pinned since
        // every lookup consults them.
        table.set_block_cache(cache);
        table.set_cache_index_and_filter_blocks(true);
        table.set_pin_l0_filter_and_index_blocks_in_cache(true);
        let mut opts = Options::default();
        opts.set_compression_type(DBCompressionType::Lz4);
        match self {
            // Point lookups dominate: a check costs two `dict` gets and one
            // `perm_fwd` get, many of them for absent keys (unknown actors,
            // denied checks). Bloom filters answer most absent keys without
            // reading a data block, and the hash index inside data blocks
            // finds present keys without a binary search.
            Cf::Dict | Cf::PermFwd | Cf::PermRev => {
                table.set_bloom_filter(BLOOM_BITS_PER_KEY, false);
                table.set_data_block_index_type(DataBlockIndexType::BinaryAndHash);
            }
            // Facts are read whole on restart, the change log in epoch
            // order, the schedule in time order: no point lookups, so no
            // filters to keep in memory.
            Cf::Facts | Cf::Changes | Cf::Meta | Cf::Schedule => {}
        }
        if matches!(self, Cf::PermFwd | Cf::PermRev) {
            // `list` and `who` scan one (actor, action) or (resource, action)
            // pair: with the pair as prefix, the filters also hold prefixes,
            // so such a scan skips files without the pair, and the memtable
            // gets a prefix bloom too. Whole keys stay in the filters for
            // `check`.
            opts.set_prefix_extractor(SliceTransform::create_fixed_prefix(PAIR_LEN));
            opts.set_memtable_prefix_bloom_ratio(0.1);
        }
        opts.set_block_based_table_factory(&table);
        opts
    }
}

/// The shared block cache of a store.
pub(crate) fn block_cache() -> Cache {
    Cache::new_lru_cache(BLOCK_CACHE_BYTES)
}

/// Options of the whole database (column families have their own).
pub(crate) fn db_options() -> Options {
    let mut opts = Options::default();
    opts.set_keep_log_file_num(4);
    // Tickers only (no timers): their cost is a few atomic counters per
    // write, and they make write amplification measurable
    // ([`crate::Store::write_statistics`]).
    opts.enable_statistics();
    opts.set_statistics_level(rocksdb::statistics::StatsLevel::ExceptTimers);
    opts
}

/// Write options of every commit: the WAL is synced before a commit returns,
/// so an acknowledged epoch survives a crash of the process or the machine.
pub(crate) fn sync_writes() -> WriteOptions {
    let mut opts = WriteOptions::default();
    opts.set_sync(true);
    opts
}

/// Keys of the `meta` column family.
pub(crate) mod meta {
    /// `u32` big-endian: the format version ([`super::FORMAT_VERSION`]).
    pub(crate) const FORMAT_VERSION: &[u8] = b"format_version";
    /// `u64` big-endian: the last committed epoch (0 for a new store).
    pub(crate) const COMMITTED_EPOCH: &[u8] = b"committed_epoch";
    /// UTF-8: the hash of the policy the permissions were derived with.
    pub(crate) const POLICY_HASH: &[u8] = b"policy_hash";
    /// UTF-8: the text of that policy.
    pub(crate) const POLICY_TEXT: &[u8] = b"policy_text";

    /// Key of a source's committed offset (`u64` big-endian).
    pub(crate) fn source_offset(path: &str) -> Vec<u8> {
        [b"offset/".as_slice(), path.as_bytes()].concat()
    }
}
