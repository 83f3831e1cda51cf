//! `permafrost ingest --db DIR [FILE|-] [--follow]`: apply a JSON Lines
//! event stream to a store, epoch by epoch, resuming a file after its last
//! committed line.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use ingest::batch::{BatchConfig, Batcher};
use ingest::dead_letter::DeadLetter;
use ingest::source::{file_id, FileSource, FollowOptions, ReaderSource, Source};

use crate::error::CliError;
use crate::load::read_source;
use crate::materializer::{Materializer, MaterializerConfig};
use crate::pipeline::{commit_epochs, offset_keys, CommittedEpoch, IngestTotals};

/// What to ingest, and how.
#[derive(Debug)]
pub struct IngestArgs {
    /// The store.
    pub db: PathBuf,
    /// The event file; `None` or `-` for standard input.
    pub input: Option<PathBuf>,
    /// Keep reading the file as it grows, across rotations, until stopped.
    pub follow: bool,
    /// A policy to switch the store to first (like `load`); default: the
    /// stored one.
    pub policy: Option<PathBuf>,
    /// Where rejected lines go, with their reasons.
    pub dead_letter: Option<PathBuf>,
    /// When epochs close.
    pub batch: BatchConfig,
    /// Dataflow workers and time.
    pub materializer: MaterializerConfig,
    /// Print `epoch N` on standard output as each epoch is committed.
    pub print_epochs: bool,
}

/// What an ingest run did.
#[derive(Debug)]
pub struct IngestSummary {
    /// Totals over the run.
    pub totals: IngestTotals,
    /// The committed epoch at the end.
    pub committed_epoch: u64,
    /// Where the source resumed (0 for a new file or standard input).
    pub resumed_at: u64,
    /// Wall time of the run, after the store was opened.
    pub elapsed: Duration,
    /// Freshness (oldest event read → committed) per epoch, microseconds.
    pub freshness: Histogram<u64>,
}

/// Runs `ingest`; `stop` ends a followed file.
pub fn run(args: &IngestArgs, stop: Arc<AtomicBool>) -> Result<IngestSummary, CliError> {
    let policy = args.policy.as_deref().map(read_source).transpose()?;
    let (mut materializer, _) = Materializer::open(&args.db, policy, &args.materializer)?;
    let (source, resumed_at) = open_source(args, &materializer, stop)?;
    let size = source_size(args);
    let mut dead_letter = match &args.dead_letter {
        Some(path) => Some(DeadLetter::create_or_append(path).map_err(|e| {
            CliError::Other(format!(
                "cannot open the dead-letter file `{}`: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
    let batcher = Batcher::spawn(source, materializer.program().clone(), args.batch)
        .map_err(|e| CliError::Other(format!("cannot start reading: {e}")))?;
    let progress = progress_bar(size, resumed_at);
    let started = Instant::now();
    // Microseconds, from 1 µs to an hour.
    let mut freshness = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)
        .map_err(|e| CliError::Other(format!("cannot create a histogram: {e}")))?;
    let mut operations = 0usize;
    let name = args
        .input
        .as_deref()
        .map_or("<stdin>".into(), |p| p.display().to_string());
    let on_commit = |epoch: &CommittedEpoch<'_>| {
        for rejected in epoch.rejected {
            progress.suspend(|| {
                eprintln!("{}:{}: rejected: {}", name, rejected.line, rejected.error);
            });
        }
        if args.print_epochs {
            progress.suspend(|| println!("epoch {}", epoch.report.epoch));
        }
        let micros = u64::try_from(epoch.freshness.as_micros()).unwrap_or(u64::MAX);
        freshness.saturating_record(micros.max(1));
        operations += epoch.operations;
        let rate = operations as f64 / started.elapsed().as_secs_f64().max(1e-3);
        progress.set_position(epoch.end_offset);
        progress.set_message(format!(
            "epoch {} · {rate:.0} events/s · freshness {} ms",
            epoch.report.epoch,
            epoch.freshness.as_millis()
        ));
    };
    let result = commit_epochs(
        &mut materializer,
        batcher.receiver(),
        dead_letter.as_mut(),
        on_commit,
    );
    progress.finish_and_clear();
    let read_result = batcher.join();
    let totals = result?;
    read_result.map_err(|e| CliError::Other(format!("reading `{name}` failed: {e}")))?;
    Ok(IngestSummary {
        totals,
        committed_epoch: materializer.store().committed_epoch()?,
        resumed_at,
        elapsed: started.elapsed(),
        freshness,
    })
}

/// The source, positioned after its committed offset.
fn open_source(
    args: &IngestArgs,
    materializer: &Materializer,
    stop: Arc<AtomicBool>,
) -> Result<(Box<dyn Source>, u64), CliError> {
    let path = match &args.input {
        Some(path) if path != Path::new("-") => path,
        _ => return Ok((Box::new(ReaderSource::stdin()), 0)),
    };
    let cannot = |e: std::io::Error| CliError::Other(e.to_string());
    let key = std::fs::canonicalize(path).map_err(|e| CliError::Read {
        path: path.clone(),
        source: e,
    })?;
    let [offset_key, device_key, inode_key] = offset_keys(&key.to_string_lossy());
    let reader = materializer.store().read()?;
    let mut offset = reader.source_offset(&offset_key)?.unwrap_or(0);
    let stored_file = (
        reader.source_offset(&device_key)?,
        reader.source_offset(&inode_key)?,
    );
    drop(reader);
    let meta = std::fs::metadata(path).map_err(|e| CliError::Read {
        path: path.clone(),
        source: e,
    })?;
    if let (Some(dev), Some(ino)) = stored_file {
        if (dev, ino) != file_id(&meta) && offset > 0 {
            eprintln!(
                "note: `{}` was replaced since its last committed line (another file at the same path): reading it from the start",
                path.display()
            );
            offset = 0;
        }
    }
    let source = if args.follow {
        let options = FollowOptions {
            poll: Duration::from_millis(50),
            stop,
        };
        FileSource::follow(path, offset, options).map_err(cannot)?
    } else {
        FileSource::open(path, offset).map_err(cannot)?
    };
    Ok((Box::new(source), offset))
}

/// The size of a file read once through, for the progress bar.
fn source_size(args: &IngestArgs) -> Option<u64> {
    let path = args.input.as_deref().filter(|p| *p != Path::new("-"))?;
    if args.follow {
        return None;
    }
    std::fs::metadata(path).ok().map(|m| m.len())
}

fn progress_bar(size: Option<u64>, resumed_at: u64) -> ProgressBar {
    let (bar, template) = match size {
        Some(size) => (
            ProgressBar::new(size),
            "{bar:30} {bytes}/{total_bytes} · {msg}",
        ),
        None => (ProgressBar::new_spinner(), "{spinner} {msg}"),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_position(resumed_at);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

impl std::fmt::Display for IngestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.totals;
        let seconds = self.elapsed.as_secs_f64().max(1e-3);
        if self.resumed_at > 0 {
            writeln!(f, "resumed at byte {}", self.resumed_at)?;
        }
        writeln!(
            f,
            "applied {} lines ({} operations, {:.0} events/s), rejected {} lines, in {} epochs",
            t.accepted_lines,
            t.operations,
            t.operations as f64 / seconds,
            t.rejected_lines,
            t.epochs
        )?;
        write!(f, "permission tuples: +{} -{}", t.granted, t.revoked)?;
        if t.regranted > 0 {
            write!(f, " ({} with a new validity)", t.regranted)?;
        }
        writeln!(f)?;
        if t.epochs > 0 {
            writeln!(
                f,
                "freshness (read → visible): p50 {} ms, p99 {} ms",
                self.freshness.value_at_quantile(0.5) / 1000,
                self.freshness.value_at_quantile(0.99) / 1000
            )?;
        }
        Ok(())
    }
}
