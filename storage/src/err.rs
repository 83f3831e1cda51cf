//! The one error type of the store.
//!
//! Messages are lower case and one line; each names the store path (when
//! there is one) and says what to do next.

use std::path::PathBuf;

/// Everything that can go wrong when opening, writing or reading a store.
///
/// The store never panics on what it finds on disk: foreign directories,
/// other format versions and undecodable bytes all come back as one of these.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory could not be created, listed or renamed.
    #[error("cannot use `{}`: {error}; check that the path is a writable directory", .path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// A read-only open found no store at the path.
    #[error("no permafrost store at `{}`; create one first with `permafrost load --db {}`", .path.display(), .path.display())]
    Missing {
        /// The path that was opened.
        path: PathBuf,
    },
    /// The path holds something that is not a permafrost store.
    #[error("`{}` is not a permafrost store ({reason}); point at a store, or at a new or empty directory to create one", .path.display())]
    NotAStore {
        /// The path that was opened.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The store was written by a build with another on-disk format.
    #[error("store `{}` has format version {found}, this build reads version {expected}; rebuild it with `permafrost load` into a new directory", .path.display())]
    FormatVersion {
        /// The store path.
        path: PathBuf,
        /// The version found in the store.
        found: u32,
        /// The version this build reads and writes.
        expected: u32,
    },
    /// Bytes in the store could not be decoded.
    #[error("store `{}` is corrupted: {what}; restore it from a backup or rebuild it with `permafrost load` into a new directory", .path.display())]
    Corrupt {
        /// The store path.
        path: PathBuf,
        /// What could not be decoded, and where.
        what: String,
    },
    /// Another process (or another handle in this one) holds the write lock.
    #[error("store `{}` is in use by another writer ({error}); stop that process, or open the store read-only", .path.display())]
    Locked {
        /// The store path.
        path: PathBuf,
        /// What RocksDB said.
        error: rocksdb::Error,
    },
    /// RocksDB reported an error.
    #[error("rocksdb failed on store `{}`: {error}; check disk space and permissions, then retry", .path.display())]
    RocksDb {
        /// The store path.
        path: PathBuf,
        /// What RocksDB said.
        error: rocksdb::Error,
    },
    /// A write was attempted through a read-only handle.
    #[error("store `{}` is open read-only; open it with `Store::open` to write", .path.display())]
    ReadOnly {
        /// The store path.
        path: PathBuf,
    },
    /// A commit did not advance the epoch.
    #[error("epoch {epoch} is not after the committed epoch {committed} of store `{}`; commit a greater epoch", .path.display())]
    StaleEpoch {
        /// The store path.
        path: PathBuf,
        /// The epoch that was to be committed.
        epoch: u64,
        /// The epoch already committed.
        committed: u64,
    },
    /// A value to be stored has an entity type that is not an identifier,
    /// so its canonical form would be ambiguous.
    #[error("cannot store `{value}`: entity type `{ty}` is not an identifier; use a type declared in the policy")]
    InvalidEntityType {
        /// The canonical form of the value.
        value: String,
        /// The offending type name.
        ty: String,
    },
    /// A `list` was asked for a resource type that is not an identifier.
    #[error("`{ty}` is not an entity type name; pass a type declared in the policy, such as `Repository`")]
    InvalidTypeName {
        /// The type name given.
        ty: String,
    },
    /// A pagination cursor did not come from this store.
    #[error("bad cursor `{cursor}`; pass back a `next_cursor` returned by the store, or no cursor to start over")]
    BadCursor {
        /// The cursor given.
        cursor: String,
    },
}

/// The result type of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
