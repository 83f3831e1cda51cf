//! What RocksDB wrote for this process: the bytes users asked to write and
//! the bytes that reached the disk, for write amplification.

use rocksdb::statistics::Ticker;

use crate::store::Store;

/// Cumulative write counters of an open store (since it was opened).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStatistics {
    /// Bytes of keys and values in committed write batches.
    pub user_bytes: u64,
    /// Bytes appended to the write-ahead log.
    pub wal_bytes: u64,
    /// Bytes of table files written by memtable flushes.
    pub flush_bytes: u64,
    /// Bytes of table files written by compactions.
    pub compaction_bytes: u64,
}

impl WriteStatistics {
    /// Disk bytes (log, flushes, compactions) per user byte; 0 before any
    /// write.
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes == 0 {
            return 0.0;
        }
        (self.wal_bytes + self.flush_bytes + self.compaction_bytes) as f64 / self.user_bytes as f64
    }

    /// The counters accumulated since `earlier`.
    pub fn since(&self, earlier: &WriteStatistics) -> WriteStatistics {
        WriteStatistics {
            user_bytes: self.user_bytes.saturating_sub(earlier.user_bytes),
            wal_bytes: self.wal_bytes.saturating_sub(earlier.wal_bytes),
            flush_bytes: self.flush_bytes.saturating_sub(earlier.flush_bytes),
            compaction_bytes: self
                .compaction_bytes
                .saturating_sub(earlier.compaction_bytes),
        }
    }
}

impl Store {
    /// The write counters since the store was opened.
    pub fn write_statistics(&self) -> WriteStatistics {
        let ticker = |t| self.options.get_ticker_count(t);
        WriteStatistics {
            user_bytes: ticker(Ticker::BytesWritten),
            wal_bytes: ticker(Ticker::WalFileBytes),
            flush_bytes: ticker(Ticker::FlushWriteBytes),
            compaction_bytes: ticker(Ticker::CompactWriteBytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{allow, commit_perms, new_store};

    #[test]
    fn commits_are_counted_in_user_and_log_bytes() {
        let (_dir, store) = new_store();
        assert_eq!(store.write_statistics().user_bytes, 0);
        commit_perms(
            &store,
            &[allow("alice", "read", "Repository", "anvil")],
            &[],
        );
        let stats = store.write_statistics();
        assert!(stats.user_bytes > 0, "{stats:?}");
        assert!(stats.wal_bytes >= stats.user_bytes, "{stats:?}");
        assert!(stats.write_amplification() >= 1.0, "{stats:?}");
        assert_eq!(stats.since(&stats).user_bytes, 0);
    }
}
