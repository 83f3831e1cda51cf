//! Opening a store: creating it, recognising it, and the read-only
//! (secondary) mode for readers in other processes.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, Direction, IteratorMode, WriteBatch, DB};
use tempfile::TempDir;

use crate::dict::IdCache;
use crate::err::{Result, StoreError};
use crate::keys::{dict_id_key, dict_id_of_key, is_dict_text_key, read_u32, read_u64};
use crate::schema::OLDEST_FORMAT_VERSION;
use crate::schema::{block_cache, db_options, meta, sync_writes, Cf, FORMAT_VERSION};

/// A permafrost store: base facts, materialized permissions and the change
/// log in one RocksDB directory.
///
/// A store opened with [`Store::open`] is the single writer of its directory;
/// commits take `&self`, so readers on other threads keep reading (each
/// through its own [`Reader`](crate::Reader) snapshot) while an epoch is
/// written. A store opened with [`Store::open_read_only`] follows a writer in
/// another process and sees its commits after [`Store::catch_up`].
pub struct Store {
    // Declared before `_secondary` so that RocksDB closes before its
    // secondary directory is removed.
    pub(crate) db: DB,
    path: PathBuf,
    writer: Option<Mutex<Writer>>,
    /// Ids of values already looked up (see [`IdCache`]).
    pub(crate) ids: IdCache,
    /// The options the database was opened with; they hold its statistics.
    pub(crate) options: rocksdb::Options,
    _secondary: Option<TempDir>,
}

/// What the single writer keeps in memory between commits. Updated only
/// after a batch has been written, so a failed commit changes nothing.
pub(crate) struct Writer {
    /// The last committed epoch.
    pub(crate) committed: u64,
    /// The next free dictionary id.
    pub(crate) next_id: u64,
}

impl Store {
    /// Opens the store in `dir` for reading and writing, creating it if
    /// `dir` does not exist or is an empty directory.
    ///
    /// A store of an older format this build reads (format 1) is upgraded
    /// to the current one.
    ///
    /// Fails with [`StoreError::NotAStore`] if `dir` holds anything else,
    /// [`StoreError::FormatVersion`] if it was written in a format this
    /// build does not read and [`StoreError::Locked`] if another writer has
    /// it open.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        let path = dir.as_ref().to_path_buf();
        let present = match inspect(&path)? {
            Some(present) => present,
            None => {
                create(&path)?;
                Cf::ALL.to_vec()
            }
        };
        let cache = block_cache();
        let options = db_options();
        let db = DB::open_cf_descriptors(&options, &path, descriptors(&cache, &present))
            .map_err(|error| open_error(&path, error))?;
        let mut store = Store {
            db,
            path,
            writer: None,
            ids: IdCache::default(),
            options,
            _secondary: None,
        };
        let format = store.check_format()?;
        let missing: Vec<Cf> = Cf::ALL
            .into_iter()
            .filter(|cf| !present.contains(cf))
            .collect();
        if format < FORMAT_VERSION || !missing.is_empty() {
            store.upgrade(&missing, &cache)?;
        }
        let committed = store.stored_epoch()?;
        let next_id = store.last_id()?.map_or(Ok(1), |id| {
            id.checked_add(1)
                .ok_or_else(|| store.corrupt("the dictionary has used every id"))
        })?;
        store.writer = Some(Mutex::new(Writer { committed, next_id }));
        Ok(store)
    }

    /// Opens the store in `dir` for reading only, while another process may
    /// be writing it.
    ///
    /// The handle is a RocksDB secondary instance (its own files live in a
    /// temporary directory removed on drop): it sees the writer's commits as
    /// of the open, and newer ones after each [`Store::catch_up`]. Writes
    /// fail with [`StoreError::ReadOnly`].
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Store> {
        let path = dir.as_ref().to_path_buf();
        let Some(present) = inspect(&path)? else {
            return Err(StoreError::Missing { path });
        };
        let secondary = tempfile::Builder::new()
            .prefix("permafrost-secondary-")
            .tempdir()
            .map_err(|error| StoreError::Io {
                path: std::env::temp_dir(),
                error,
            })?;
        let mut opts = db_options();
        // A secondary must keep every table file open: the writer may delete
        // files (after compactions) that this instance still reads.
        opts.set_max_open_files(-1);
        let cache = block_cache();
        let db = DB::open_cf_descriptors_as_secondary(
            &opts,
            &path,
            &secondary.path().to_path_buf(),
            // A format-1 store read as it is: without the families format 2
            // added, whose reads find nothing.
            descriptors(&cache, &present),
        )
        .map_err(|error| open_error(&path, error))?;
        let store = Store {
            db,
            path,
            writer: None,
            ids: IdCache::default(),
            options: opts,
            _secondary: Some(secondary),
        };
        store
            .db
            .try_catch_up_with_primary()
            .map_err(|e| store.rocks(e))?;
        store.check_format()?;
        Ok(store)
    }

    /// Brings a read-only store up to the writer's last commit and returns
    /// the committed epoch it now reads at. Whole epochs only: a commit is
    /// one RocksDB write batch, applied entirely or not at all.
    ///
    /// Takes `&mut self` so that no [`Reader`](crate::Reader) is alive while
    /// the view moves (secondaries have no snapshots). A no-op for a store
    /// opened with [`Store::open`], which always reads its own commits.
    pub fn catch_up(&mut self) -> Result<u64> {
        if self.writer.is_none() {
            self.db
                .try_catch_up_with_primary()
                .map_err(|e| self.rocks(e))?;
        }
        self.stored_epoch()
    }

    /// The directory of the store.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the store was opened with [`Store::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    /// The handle of a column family.
    pub(crate) fn cf(&self, cf: Cf) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(cf.name())
            .ok_or_else(|| self.corrupt(format!("column family `{}` is missing", cf.name())))
    }

    /// The writer state, or [`StoreError::ReadOnly`].
    pub(crate) fn writer(&self) -> Result<MutexGuard<'_, Writer>> {
        let writer = self.writer.as_ref().ok_or_else(|| StoreError::ReadOnly {
            path: self.path.clone(),
        })?;
        // The state is assigned only after a successful write, so a panic
        // while the lock was held cannot have left it half updated.
        Ok(writer.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Writes `batch` durably (synced WAL).
    pub(crate) fn write(&self, batch: WriteBatch) -> Result<()> {
        self.db
            .write_opt(batch, &sync_writes())
            .map_err(|e| self.rocks(e))
    }

    /// A RocksDB error of this store.
    pub(crate) fn rocks(&self, error: rocksdb::Error) -> StoreError {
        StoreError::RocksDb {
            path: self.path.clone(),
            error,
        }
    }

    /// A corruption of this store.
    pub(crate) fn corrupt(&self, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what: what.into(),
        }
    }

    /// The format version of the store, if this build reads it.
    fn check_format(&self) -> Result<u32> {
        let found = self
            .db
            .get_pinned_cf(self.cf(Cf::Meta)?, meta::FORMAT_VERSION)
            .map_err(|e| self.rocks(e))?;
        let found = found.ok_or_else(|| StoreError::NotAStore {
            path: self.path.clone(),
            reason: "its `meta` column family has no format version".into(),
        })?;
        let found = read_u32(&found)
            .ok_or_else(|| self.corrupt("the format version is not a 4-byte number"))?;
        if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&found) {
            return Err(StoreError::FormatVersion {
                path: self.path.clone(),
                found,
                expected: FORMAT_VERSION,
            });
        }
        Ok(found)
    }

    /// Upgrades a store of an older format in place: creates the `missing`
    /// families, fills the schedule from the stored validities, and sets
    /// the format version, in one batch. From format 1, every row already
    /// reads as format 2 (empty permission values mean valid always;
    /// change-log grants without validity bytes were granted for always),
    /// so nothing else changes.
    fn upgrade(&mut self, missing: &[Cf], cache: &rocksdb::Cache) -> Result<()> {
        for cf in missing {
            let path = self.path.clone();
            self.db
                .create_cf(cf.name(), &cf.options(cache))
                .map_err(|error| StoreError::RocksDb { path, error })?;
        }
        let mut batch = WriteBatch::default();
        if missing.contains(&Cf::Schedule) {
            self.rebuild_schedule(&mut batch)?;
        }
        batch.put_cf(
            self.cf(Cf::Meta)?,
            meta::FORMAT_VERSION,
            FORMAT_VERSION.to_be_bytes(),
        );
        self.write(batch)
    }

    /// The committed epoch as stored (the latest state, not a snapshot).
    fn stored_epoch(&self) -> Result<u64> {
        let bytes = self
            .db
            .get_pinned_cf(self.cf(Cf::Meta)?, meta::COMMITTED_EPOCH)
            .map_err(|e| self.rocks(e))?
            .ok_or_else(|| self.corrupt("the committed epoch is missing from `meta`"))?;
        read_u64(&bytes).ok_or_else(|| self.corrupt("the committed epoch is not an 8-byte number"))
    }

    /// The greatest id in the dictionary, if any value was interned.
    fn last_id(&self) -> Result<Option<u64>> {
        let last = dict_id_key(u64::MAX);
        let mode = IteratorMode::From(&last, Direction::Reverse);
        let mut rows = self.db.iterator_cf(self.cf(Cf::Dict)?, mode);
        match rows.next() {
            None => Ok(None),
            Some(Err(e)) => Err(self.rocks(e)),
            Some(Ok((key, _))) => match dict_id_of_key(&key) {
                Some(id) => Ok(Some(id)),
                // The reverse scan landed on a text → id row: no id rows.
                None if is_dict_text_key(&key) => Ok(None),
                None => Err(self.corrupt("an undecodable key in `dict`")),
            },
        }
    }
}

/// The descriptors of column families, sharing one block cache.
fn descriptors(cache: &rocksdb::Cache, families: &[Cf]) -> Vec<ColumnFamilyDescriptor> {
    families
        .iter()
        .map(|cf| ColumnFamilyDescriptor::new(cf.name(), cf.options(cache)))
        .collect()
}

/// Tells whether `path` holds a store (its column families: all of them,
/// or all but some [`Cf::is_new`] ones for an older format), nothing
/// (`None`: absent or an empty directory), or something else (an error).
fn inspect(path: &Path) -> Result<Option<Vec<Cf>>> {
    let io = |error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    };
    let not_a_store = |reason: String| StoreError::NotAStore {
        path: path.to_path_buf(),
        reason,
    };
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    if !meta.is_dir() {
        return Err(not_a_store("it is a file, not a directory".into()));
    }
    if fs::read_dir(path).map_err(io)?.next().is_none() {
        return Ok(None);
    }
    if !path.join("CURRENT").is_file() {
        return Err(not_a_store("it holds files but no RocksDB database".into()));
    }
    // A store whose manifest is damaged still names our column families in
    // its options files: report it as corrupted, not as foreign.
    let corrupt = |what: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        what,
    };
    let ours_by_options = options_name_our_families(path);
    let found = match DB::list_cf(&rocksdb::Options::default(), path) {
        Ok(found) => found,
        Err(e) if ours_by_options => {
            return Err(corrupt(format!("rocksdb cannot read its manifest: {e}")))
        }
        Err(e) => return Err(not_a_store(format!("rocksdb cannot read it: {e}"))),
    };
    let ours: Vec<&str> = Cf::ALL.iter().map(|cf| cf.name()).collect();
    let extra: Vec<&str> = found
        .iter()
        .map(String::as_str)
        .filter(|name| *name != "default" && !ours.contains(name))
        .collect();
    let present: Vec<Cf> = Cf::ALL
        .into_iter()
        .filter(|cf| found.iter().any(|f| f == cf.name()))
        .collect();
    let missing: Vec<&str> = Cf::ALL
        .into_iter()
        .filter(|cf| !cf.is_new() && !present.contains(cf))
        .map(Cf::name)
        .collect();
    if !missing.is_empty() && ours_by_options {
        return Err(corrupt(format!(
            "its options name the column families `{}` but its manifest lacks them",
            missing.join("`, `")
        )));
    }
    if !missing.is_empty() || !extra.is_empty() {
        let mut reason = "it is a RocksDB database".to_string();
        if !missing.is_empty() {
            reason += &format!(" without the column families `{}`", missing.join("`, `"));
        }
        if !extra.is_empty() {
            reason += &format!(" with foreign column families `{}`", extra.join("`, `"));
        }
        return Err(not_a_store(reason));
    }
    Ok(Some(present))
}

/// Creates a new, empty store at `path` (absent or an empty directory).
///
/// The store is built in a temporary sibling directory and renamed into
/// place, so `path` is never left half created: it is a whole store, or it
/// is as it was.
fn create(path: &Path) -> Result<()> {
    let io = |path: &Path, error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".permafrost-new-")
        .tempdir_in(parent)
        .map_err(|e| io(parent, e))?;
    {
        let mut opts = db_options();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let cache = block_cache();
        let rocks = |error| StoreError::RocksDb {
            path: staging.path().to_path_buf(),
            error,
        };
        let db = DB::open_cf_descriptors(&opts, staging.path(), descriptors(&cache, &Cf::ALL))
            .map_err(rocks)?;
        let meta_cf = db
            .cf_handle(Cf::Meta.name())
            .ok_or_else(|| StoreError::Corrupt {
                path: staging.path().to_path_buf(),
                what: "the new `meta` column family is missing".into(),
            })?;
        let mut batch = WriteBatch::default();
        batch.put_cf(meta_cf, meta::COMMITTED_EPOCH, 0u64.to_be_bytes());
        batch.put_cf(meta_cf, meta::FORMAT_VERSION, FORMAT_VERSION.to_be_bytes());
        db.write_opt(batch, &sync_writes()).map_err(rocks)?;
    }
    fs::rename(staging.path(), path).map_err(|e| io(path, e))?;
    // Make the rename itself durable.
    fs::File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| io(parent, e))
}

/// Classifies an error of opening RocksDB.
/// Whether a RocksDB options file in `path` (`OPTIONS-…`, plain text that
/// RocksDB rewrites on every open) names every column family of a store.
fn options_name_our_families(path: &Path) -> bool {
    let Ok(entries) = fs::read_dir(path) else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|entry| {
        entry.file_name().to_string_lossy().starts_with("OPTIONS-")
            && fs::read_to_string(entry.path()).is_ok_and(|text| {
                Cf::ALL
                    .iter()
                    .filter(|cf| !cf.is_new())
                    .all(|cf| text.contains(&format!("[CFOptions \"{}\"]", cf.name())))
            })
    })
}

fn open_error(path: &Path, error: rocksdb::Error) -> StoreError {
    // RocksDB names its lock file in the message: `…/LOCK: Resource
    // temporarily unavailable`, `lock hold by current process … /LOCK`.
    if error.as_ref().contains("/LOCK") {
        StoreError::Locked {
            path: path.to_path_buf(),
            error,
        }
    } else {
        StoreError::RocksDb {
            path: path.to_path_buf(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{allow, commit_perms, commit_valid, new_store, raw_db, valid};
    use engine::validity::Validity;

    #[test]
    fn creates_reopens_and_keeps_the_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/new/db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.committed_epoch().unwrap(), 0);
        assert!(!store.is_read_only());
        assert_eq!(store.path(), path);
        commit_perms(&store, &[allow("a", "read", "Doc", "1")], &[]);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.committed_epoch().unwrap(), 1);
        // No staging directory is left beside the store.
        let siblings: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(siblings.len(), 1);
    }

    #[test]
    fn creates_in_an_existing_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.committed_epoch().unwrap(), 0);
    }

    fn open_error(path: &Path) -> String {
        match Store::open(path) {
            Ok(_) => panic!("`{}` opened", path.display()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_file_or_a_directory_of_files_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.txt");
        fs::write(&file, "hello").unwrap();
        let err = open_error(&file);
        assert!(
            err.contains("is not a permafrost store (it is a file"),
            "{err}"
        );
        assert!(err.contains("notes.txt"), "{err}");
        let err = open_error(dir.path());
        assert!(err.contains("holds files but no RocksDB database"), "{err}");
        // Nothing was touched.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(matches!(
            Store::open_read_only(dir.path()),
            Err(StoreError::NotAStore { .. })
        ));
    }

    #[test]
    fn a_foreign_rocksdb_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut opts = rocksdb::Options::default();
            opts.create_if_missing(true);
            let db = DB::open(&opts, dir.path()).unwrap();
            db.put(b"k", b"v").unwrap();
        }
        let err = open_error(dir.path());
        assert!(
            err.contains("is a RocksDB database without the column families `facts`"),
            "{err}"
        );
        let db = DB::open_default(dir.path()).unwrap();
        assert_eq!(db.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(
            DB::list_cf(&rocksdb::Options::default(), dir.path())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn extra_column_families_are_refused() {
        let (dir, store) = new_store();
        let path = store.path().to_path_buf();
        drop(store);
        {
            let mut db = raw_db(&path);
            db.create_cf("other", &rocksdb::Options::default()).unwrap();
        }
        let err = open_error(&path);
        assert!(
            err.contains("with foreign column families `other`"),
            "{err}"
        );
        drop(dir);
    }

    #[test]
    fn a_damaged_current_file_is_an_error() {
        let (_dir, store) = new_store();
        let path = store.path().to_path_buf();
        drop(store);
        fs::write(path.join("CURRENT"), "garbage").unwrap();
        let err = open_error(&path);
        assert!(err.contains("rocksdb cannot read it"), "{err}");
    }

    #[test]
    fn format_version_and_meta_are_checked() {
        let (_dir, store) = new_store();
        let path = store.path().to_path_buf();
        drop(store);
        let meta_put = |key: &[u8], value: &[u8]| {
            let db = raw_db(&path);
            let cf = db.cf_handle(Cf::Meta.name()).unwrap();
            db.put_cf(cf, key, value).unwrap();
        };
        meta_put(meta::FORMAT_VERSION, &7u32.to_be_bytes());
        let err = open_error(&path);
        assert_eq!(
            err,
            format!(
                "store `{}` has format version 7, this build reads version 2; \
                 rebuild it with `permafrost load` into a new directory",
                path.display()
            )
        );
        meta_put(meta::FORMAT_VERSION, b"x");
        assert!(open_error(&path).contains("the format version is not a 4-byte number"));
        meta_put(meta::FORMAT_VERSION, &FORMAT_VERSION.to_be_bytes());
        meta_put(meta::COMMITTED_EPOCH, b"short");
        assert!(open_error(&path).contains("is corrupted: the committed epoch"));
        {
            let db = raw_db(&path);
            let cf = db.cf_handle(Cf::Meta.name()).unwrap();
            db.delete_cf(cf, meta::FORMAT_VERSION).unwrap();
        }
        assert!(open_error(&path).contains("has no format version"));
    }

    /// The stored format version, read with plain RocksDB.
    fn stored_format(path: &Path) -> Vec<u8> {
        let db = raw_db(path);
        let cf = db.cf_handle(Cf::Meta.name()).unwrap();
        db.get_cf(cf, meta::FORMAT_VERSION).unwrap().unwrap()
    }

    #[test]
    fn a_format_1_store_is_read_and_upgraded() {
        let (_dir, store) = new_store();
        let p = allow("alice", "read", "Doc", "1");
        // Format 1 wrote exactly these rows: empty values, and 25-byte
        // change-log grants; it had no `schedule` family.
        commit_perms(&store, std::slice::from_ref(&p), &[]);
        let path = store.path().to_path_buf();
        drop(store);
        {
            let mut db = raw_db(&path);
            db.drop_cf(Cf::Schedule.name()).unwrap();
            let cf = db.cf_handle(Cf::Meta.name()).unwrap();
            db.put_cf(cf, meta::FORMAT_VERSION, 1u32.to_be_bytes())
                .unwrap();
        }
        let expect_v1_reads = |store: &Store| {
            let reader = store.read().unwrap();
            for at in [i64::MIN, 0, i64::MAX] {
                assert!(reader.check(&p.actor, &p.action, &p.resource, at).unwrap());
            }
            let all: Vec<_> = reader.permissions().unwrap().map(Result::unwrap).collect();
            assert_eq!(all, vec![(p.clone(), Validity::always())]);
            let log: Vec<_> = reader
                .changes_since(0)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(log.len(), 1);
            assert_eq!(log[0].change, crate::PermissionChange::Grant);
            assert!(log[0].validity.is_always());
            assert_eq!(reader.scheduled(i64::MIN, i64::MAX).unwrap().count(), 0);
            assert_eq!(reader.next_scheduled(i64::MIN).unwrap(), None);
        };
        // A read-only open reads it and leaves it alone.
        let follower = Store::open_read_only(&path).unwrap();
        expect_v1_reads(&follower);
        drop(follower);
        assert_eq!(stored_format(&path), 1u32.to_be_bytes());
        assert!(!families(&path).contains(&"schedule".to_string()));
        // A writable open upgrades it.
        let store = Store::open(&path).unwrap();
        expect_v1_reads(&store);
        drop(store);
        assert_eq!(stored_format(&path), FORMAT_VERSION.to_be_bytes());
        assert!(families(&path).contains(&"schedule".to_string()));
        let store = Store::open(&path).unwrap();
        expect_v1_reads(&store);
    }

    #[test]
    fn a_missing_schedule_is_rebuilt_from_the_validities() {
        let (_dir, store) = new_store();
        let p = allow("alice", "read", "Doc", "1");
        commit_valid(&store, &[(p.clone(), valid(&[(10, 19)]))]);
        let path = store.path().to_path_buf();
        drop(store);
        raw_db(&path).drop_cf(Cf::Schedule.name()).unwrap();
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        let edges: Vec<_> = reader
            .scheduled(i64::MIN, i64::MAX)
            .unwrap()
            .map(|c| c.map(|c| (c.at, c.change, c.permission)))
            .collect::<Result<_>>()
            .unwrap();
        use crate::PermissionChange::{Grant, Revoke};
        assert_eq!(edges, vec![(10, Grant, p.clone()), (20, Revoke, p)]);
    }

    /// The column families of a closed store.
    fn families(path: &Path) -> Vec<String> {
        DB::list_cf(&rocksdb::Options::default(), path).unwrap()
    }

    #[test]
    fn a_second_writer_is_locked_out_but_readers_are_not() {
        let (_dir, store) = new_store();
        commit_perms(&store, &[allow("a", "read", "Doc", "1")], &[]);
        let err = open_error(store.path());
        assert!(err.contains("is in use by another writer"), "{err}");
        let mut reader = Store::open_read_only(store.path()).unwrap();
        assert!(reader.is_read_only());
        assert_eq!(reader.catch_up().unwrap(), 1);
        commit_perms(&store, &[allow("b", "read", "Doc", "1")], &[]);
        assert_eq!(reader.committed_epoch().unwrap(), 1);
        assert_eq!(reader.catch_up().unwrap(), 2);
        let err = reader.set_policy(&crate::Policy {
            hash: "h".into(),
            text: "t".into(),
        });
        assert!(matches!(err, Err(StoreError::ReadOnly { .. })));
    }

    #[test]
    fn read_only_needs_an_existing_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent");
        match Store::open_read_only(&path) {
            Err(e @ StoreError::Missing { .. }) => assert_eq!(
                e.to_string(),
                format!(
                    "no permafrost store at `{0}`; create one first with \
                     `permafrost load --db {0}`",
                    path.display()
                )
            ),
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert!(!path.exists());
    }

    #[test]
    fn ids_continue_after_reopen() {
        let (_dir, store) = new_store();
        commit_perms(&store, &[allow("a", "read", "Doc", "1")], &[]);
        let path = store.path().to_path_buf();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.writer().unwrap().next_id, 4);
        commit_perms(&store, &[allow("b", "read", "Doc", "1")], &[]);
        assert_eq!(store.writer().unwrap().next_id, 5);
    }
}
