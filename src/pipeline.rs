//! The commit loop of streaming ingest: epochs grouped by an
//! [`ingest::batch::Batcher`] go through the [`Materializer`] into the
//! store, one durable epoch each.
//!
//! Order per epoch, so that nothing is lost or applied twice: the rejected
//! lines are written to the dead-letter file and synced first; then the
//! accepted changes, the permission diffs and the source offset after the
//! epoch's last line are committed in one write batch. A crash before the
//! commit re-reads the epoch's lines on restart (a dead letter may then be
//! written twice, never lost); a crash after it resumes after them.

use std::time::Duration;

use crossbeam_channel::Receiver;
use ingest::batch::{PendingEpoch, Rejected};
use ingest::dead_letter::DeadLetter;

use crate::error::CliError;
use crate::materializer::{EpochReport, Materializer};

/// What one committed epoch held and did.
#[derive(Debug)]
pub struct CommittedEpoch<'p> {
    /// The epoch number and its permission changes.
    pub report: EpochReport,
    /// Event lines applied.
    pub accepted_lines: usize,
    /// Operations applied.
    pub operations: usize,
    /// Lines rejected, in order.
    pub rejected: &'p [Rejected],
    /// The source offset committed with it.
    pub end_offset: u64,
    /// From reading the epoch's oldest line to its commit: the longest any
    /// of its events waited before becoming visible to reads.
    pub freshness: Duration,
}

/// Totals of an ingest run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestTotals {
    /// Event lines applied.
    pub accepted_lines: usize,
    /// Operations applied.
    pub operations: usize,
    /// Lines rejected.
    pub rejected_lines: usize,
    /// Epochs committed.
    pub epochs: usize,
    /// Permission tuples granted.
    pub granted: usize,
    /// Permission tuples revoked.
    pub revoked: usize,
    /// Permission tuples that stayed with another validity (time windows).
    pub regranted: usize,
}

/// Commits every epoch `epochs` yields until it disconnects; calls
/// `on_commit` after each commit. Stops at the first error, with everything
/// before it committed.
pub fn commit_epochs(
    materializer: &mut Materializer,
    epochs: &Receiver<PendingEpoch>,
    mut dead_letter: Option<&mut DeadLetter>,
    mut on_commit: impl FnMut(&CommittedEpoch<'_>),
) -> Result<IngestTotals, CliError> {
    let mut totals = IngestTotals::default();
    for pending in epochs.iter() {
        if let Some(dead_letter) = dead_letter.as_deref_mut() {
            if !pending.rejected.is_empty() {
                for rejected in &pending.rejected {
                    dead_letter.write(rejected).map_err(dead_letter_error)?;
                }
                dead_letter.flush_durable().map_err(dead_letter_error)?;
            }
        }
        let offsets = source_offsets(&pending);
        let report = materializer.apply(&pending.changes, offsets)?;
        let committed = CommittedEpoch {
            report,
            accepted_lines: pending.accepted_lines,
            operations: pending.changes.len(),
            rejected: &pending.rejected,
            end_offset: pending.end_offset,
            freshness: pending.first_read_at.elapsed(),
        };
        totals.accepted_lines += committed.accepted_lines;
        totals.operations += committed.operations;
        totals.rejected_lines += committed.rejected.len();
        totals.epochs += 1;
        totals.granted += report.stats.granted;
        totals.revoked += report.stats.revoked;
        totals.regranted += report.stats.regranted;
        on_commit(&committed);
    }
    Ok(totals)
}

/// The meta keys that record where a file source stands: its offset under
/// its canonical path, and which file (device, inode) the offset is in.
pub fn offset_keys(path: &str) -> [String; 3] {
    [
        path.to_string(),
        format!("{path}#device"),
        format!("{path}#inode"),
    ]
}

/// The offsets an epoch commits: nothing for a source that cannot resume.
fn source_offsets(pending: &PendingEpoch) -> Vec<(String, u64)> {
    let Some(path) = &pending.source else {
        return Vec::new();
    };
    let [offset, device, inode] = offset_keys(path);
    let mut offsets = vec![(offset, pending.end_offset)];
    if let Some((dev, ino)) = pending.file {
        offsets.extend([(device, dev), (inode, ino)]);
    }
    offsets
}

fn dead_letter_error(error: std::io::Error) -> CliError {
    CliError::Other(format!("cannot write the dead-letter file: {error}"))
}
