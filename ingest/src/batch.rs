//! Lines into epochs: a [`Batcher`] reads a [`Source`] on its own thread,
//! validates each line against the policy, and groups the lines into
//! [`PendingEpoch`]s that close on size or on age.
//!
//! Two threads: the reader blocks in [`Source::next_line`] (a followed file
//! may wait there for a long time) and hands each line over a small channel
//! to the grouper, which waits with a deadline so an epoch closes once its
//! oldest line is `max_latency` old even when no further line comes. Closed
//! epochs wait on a bounded channel: a slow committer stops the grouper and
//! then the reader, so memory stays bounded.

use std::io;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use engine::Program;

use crate::event::{parse_event_line, Change, EventError};
use crate::source::{FileId, Source};

/// Lines read ahead of the grouper, at most.
const LINE_QUEUE: usize = 1024;

/// When epochs close, and how many may wait for the committer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchConfig {
    /// An epoch closes once it holds this many operations. A `{"batch":[…]}`
    /// line is never split, so an epoch may hold more.
    pub max_events: usize,
    /// An epoch closes once its oldest line was read this long ago.
    pub max_latency: Duration,
    /// Closed epochs that may wait for the committer before reading stops.
    pub queue_depth: usize,
}

impl Default for BatchConfig {
    /// 10,000 operations, 20 ms, 4 epochs queued.
    fn default() -> Self {
        BatchConfig {
            max_events: 10_000,
            max_latency: Duration::from_millis(20),
            queue_depth: 4,
        }
    }
}

/// A line that failed validation, for the dead-letter file.
#[derive(Debug)]
pub struct Rejected {
    /// The source's name (file path or `<stdin>`).
    pub source_name: String,
    /// 1-based line number.
    pub line: u64,
    /// The line as read.
    pub text: String,
    /// Why it was rejected.
    pub error: EventError,
}

/// Consecutive lines of a source, validated, ready to be committed as one
/// epoch together with the offset after its last line.
#[derive(Debug)]
pub struct PendingEpoch {
    /// The accepted lines' operations, in order.
    pub changes: Vec<Change>,
    /// How many lines were accepted.
    pub accepted_lines: usize,
    /// The rejected lines, in order.
    pub rejected: Vec<Rejected>,
    /// The source's offset key ([`Source::offset_key`]).
    pub source: Option<String>,
    /// The file (device, inode) the epoch's lines came from
    /// ([`Source::file_id`]); an epoch never spans two files.
    pub file: Option<FileId>,
    /// The byte offset just after the epoch's last line (accepted, rejected
    /// or blank): where to resume once the epoch is committed.
    pub end_offset: u64,
    /// When the epoch's oldest line was read, for freshness.
    pub first_read_at: Instant,
}

/// What became of one line.
enum Outcome {
    Blank,
    Accepted(Vec<Change>),
    Rejected(Rejected),
}

/// A line as handed from the reader to the grouper.
struct ReadLine {
    read_at: Instant,
    file: Option<FileId>,
    end_offset: u64,
    outcome: Outcome,
}

/// A source being read and grouped into epochs on background threads.
pub struct Batcher {
    epochs: Receiver<PendingEpoch>,
    reader: JoinHandle<io::Result<()>>,
    grouper: JoinHandle<()>,
}

impl Batcher {
    /// Starts reading `source`, validating lines against `program`.
    pub fn spawn(
        source: Box<dyn Source>,
        program: Arc<Program>,
        config: BatchConfig,
    ) -> io::Result<Batcher> {
        let (line_tx, line_rx) = bounded(LINE_QUEUE);
        let (epoch_tx, epochs) = bounded(config.queue_depth);
        let key = source.offset_key().map(str::to_string);
        let reader = thread::Builder::new()
            .name("ingest-reader".to_string())
            .spawn(move || read(source, &program, &line_tx))?;
        let grouper = thread::Builder::new()
            .name("ingest-batcher".to_string())
            .spawn(move || group(&line_rx, &epoch_tx, config, key))?;
        Ok(Batcher {
            epochs,
            reader,
            grouper,
        })
    }

    /// The closed epochs, in order; disconnected after the last one, when the
    /// source ended, failed or was stopped. Iterate with
    /// `batcher.receiver().iter()`.
    pub fn receiver(&self) -> &Receiver<PendingEpoch> {
        &self.epochs
    }

    /// Waits for the threads to end and answers the source's read error, if
    /// reading ended in one. Call it once the receiver is drained: epochs not
    /// received by then are dropped (their lines are read again on resume,
    /// since their offsets were never committed). A followed source is only
    /// done once its stop flag is set.
    pub fn join(self) -> io::Result<()> {
        drop(self.epochs);
        let panicked = |name: &str| io::Error::other(format!("the ingest {name} thread panicked"));
        self.grouper.join().map_err(|_| panicked("batcher"))?;
        self.reader.join().map_err(|_| panicked("reader"))?
    }
}

/// The reader thread: reads and validates lines until the source ends or
/// fails, or the grouper is gone.
fn read(
    mut source: Box<dyn Source>,
    program: &Program,
    lines: &Sender<ReadLine>,
) -> io::Result<()> {
    let name = source.name().to_string();
    loop {
        let line = source
            .next_line()
            .map_err(|err| io::Error::new(err.kind(), format!("reading `{name}`: {err}")))?;
        let Some(line) = line else {
            return Ok(());
        };
        let read_at = Instant::now();
        let outcome = if line.text.trim().is_empty() {
            Outcome::Blank
        } else {
            match parse_event_line(program, &line.text) {
                Ok(changes) => Outcome::Accepted(changes),
                Err(error) => Outcome::Rejected(Rejected {
                    source_name: name.clone(),
                    line: line.line,
                    text: line.text,
                    error,
                }),
            }
        };
        let read = ReadLine {
            read_at,
            file: source.file_id(),
            end_offset: line.end_offset,
            outcome,
        };
        if lines.send(read).is_err() {
            return Ok(()); // The batcher was dropped: nobody wants more.
        }
    }
}

/// The grouper thread: gathers lines into epochs until the reader is done
/// or nobody receives epochs any more.
fn group(
    lines: &Receiver<ReadLine>,
    epochs: &Sender<PendingEpoch>,
    config: BatchConfig,
    key: Option<String>,
) {
    let mut open: Option<PendingEpoch> = None;
    loop {
        let deadline = open
            .as_ref()
            .and_then(|epoch| epoch.first_read_at.checked_add(config.max_latency));
        let received = match deadline {
            None => lines.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(deadline) => lines.recv_deadline(deadline),
        };
        let line = match received {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                if !close(&mut open, epochs) {
                    return;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Offsets are per file: a rotation closes the epoch.
        let other_file = open.as_ref().is_some_and(|epoch| epoch.file != line.file);
        if other_file && !close(&mut open, epochs) {
            return;
        }
        let epoch = open.get_or_insert_with(|| PendingEpoch {
            file: line.file,
            changes: Vec::new(),
            accepted_lines: 0,
            rejected: Vec::new(),
            source: key.clone(),
            end_offset: line.end_offset,
            first_read_at: line.read_at,
        });
        epoch.end_offset = line.end_offset;
        match line.outcome {
            Outcome::Blank => {}
            Outcome::Accepted(changes) => {
                epoch.accepted_lines += 1;
                epoch.changes.extend(changes);
            }
            Outcome::Rejected(rejected) => epoch.rejected.push(rejected),
        }
        let full = epoch.changes.len() >= config.max_events;
        if full && !close(&mut open, epochs) {
            return;
        }
    }
    // The last epoch; if nobody receives it, there is nobody to tell.
    close(&mut open, epochs);
}

/// Sends the open epoch, if any; answers false once nobody receives epochs.
fn close(open: &mut Option<PendingEpoch>, epochs: &Sender<PendingEpoch>) -> bool {
    open.take().is_none_or(|epoch| epochs.send(epoch).is_ok())
}

#[cfg(test)]
mod tests;
