//! What a RocksDB directory holds on disk: bytes by kind of file, and the
//! table files of each column family by level.

use std::collections::BTreeMap;
use std::path::Path;

use rocksdb::{Options, DB};
use serde_json::{json, Value as Json};

use crate::BoxError;

/// Bytes of a RocksDB directory, by kind of file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirSize {
    /// Table files (`*.sst`).
    pub sst: u64,
    /// Write-ahead logs (`*.log`): rows not flushed to tables yet.
    pub wal: u64,
    /// Everything else: manifest, options, the info `LOG` files.
    pub other: u64,
    /// Number of table files.
    pub sst_files: usize,
}

impl DirSize {
    /// Measures `dir` (not recursively: a store keeps everything at the top).
    pub fn of(dir: &Path) -> Result<DirSize, BoxError> {
        let mut size = DirSize::default();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if !meta.is_file() {
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".sst") {
                size.sst += meta.len();
                size.sst_files += 1;
            } else if name.ends_with(".log") {
                size.wal += meta.len();
            } else {
                size.other += meta.len();
            }
        }
        Ok(size)
    }

    /// Every byte in the directory.
    pub fn total(&self) -> u64 {
        self.sst + self.wal + self.other
    }

    /// The sizes as JSON.
    pub fn json(&self) -> Json {
        json!({
            "total_bytes": self.total(),
            "sst_bytes": self.sst,
            "wal_bytes": self.wal,
            "other_bytes": self.other,
            "sst_files": self.sst_files,
        })
    }
}

/// The table files of one column family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FamilyFiles {
    /// Bytes of its table files.
    pub bytes: u64,
    /// Entries in its table files.
    pub entries: u64,
    /// Table files per level, level 0 first.
    pub files_per_level: BTreeMap<i32, usize>,
}

/// The table files of every column family of the database in `dir`, which
/// may be open in this or another process: they are read through a
/// secondary instance whose own files go to a temporary directory.
pub fn families(dir: &Path) -> Result<BTreeMap<String, FamilyFiles>, BoxError> {
    let opts = Options::default();
    let names = DB::list_cf(&opts, dir)?;
    let secondary = tempfile::Builder::new()
        .prefix("permafrost-bench-secondary-")
        .tempdir()?;
    let mut secondary_opts = Options::default();
    secondary_opts.set_max_open_files(-1);
    let db = DB::open_cf_as_secondary(&secondary_opts, dir, secondary.path(), &names)?;
    let mut families: BTreeMap<String, FamilyFiles> = BTreeMap::new();
    for file in db.live_files()? {
        let family = families.entry(file.column_family_name).or_default();
        family.bytes += file.size as u64;
        family.entries += file.num_entries;
        *family.files_per_level.entry(file.level).or_default() += 1;
    }
    Ok(families)
}

/// The families as JSON.
pub fn families_json(families: &BTreeMap<String, FamilyFiles>) -> Json {
    let entries = families.iter().map(|(name, f)| {
        let levels: BTreeMap<String, usize> = f
            .files_per_level
            .iter()
            .map(|(level, n)| (format!("L{level}"), *n))
            .collect();
        let family = json!({"sst_bytes": f.bytes, "entries": f.entries, "files_per_level": levels});
        (name.clone(), family)
    });
    Json::Object(entries.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        {
            let db = DB::open(&opts, dir.path()).unwrap();
            for i in 0..1000u32 {
                db.put(i.to_be_bytes(), b"").unwrap();
            }
            db.flush().unwrap();
        }
        let size = DirSize::of(dir.path()).unwrap();
        assert_eq!(size.sst_files, 1);
        assert!(size.sst > 0 && size.total() > size.sst);
        let families = families(dir.path()).unwrap();
        assert_eq!(families["default"].entries, 1000);
        assert_eq!(families["default"].files_per_level[&0], 1);
        assert!(families_json(&families)["default"]["sst_bytes"].as_u64() > Some(0));
    }
}
