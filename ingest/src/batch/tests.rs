use super::*;
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::unbounded;
use engine::{check_policy, SourceFile};

use crate::source::{ReaderSource, SourceLine};

fn program() -> Arc<Program> {
    let file = SourceFile::new("t.polar", "actor User {}\ndeclare manager(User, User);\n");
    match check_policy(&file) {
        Ok(program) => Arc::new(program),
        Err(d) => panic!("{}", d.render()),
    }
}

fn op(a: &str, b: &str) -> String {
    format!(
        r#"{{"op":"insert","fact":{{"predicate":"manager","args":[{{"type":"User","id":"{a}"}},{{"type":"User","id":"{b}"}}]}}}}"#
    )
}

fn config(max_events: usize, max_latency_ms: u64, queue_depth: usize) -> BatchConfig {
    BatchConfig {
        max_events,
        max_latency: Duration::from_millis(max_latency_ms),
        queue_depth,
    }
}

/// All epochs of `text` read through; the source must end without error.
fn epochs_of(text: String, config: BatchConfig) -> Vec<PendingEpoch> {
    let source = ReaderSource::new("<test>", Cursor::new(text));
    let batcher = Batcher::spawn(Box::new(source), program(), config).unwrap();
    let epochs: Vec<PendingEpoch> = batcher.receiver().iter().collect();
    batcher.join().unwrap();
    epochs
}

/// Byte offsets just after each line of `text`.
fn line_ends(text: &str) -> Vec<u64> {
    let ends = text.match_indices('\n').map(|(i, _)| i as u64 + 1);
    ends.collect()
}

/// A source fed line by line from the test; an `Err` ends it with that error.
struct ChannelSource {
    lines: Receiver<io::Result<String>>,
    line: u64,
    offset: u64,
}

impl Source for ChannelSource {
    fn name(&self) -> &str {
        "<channel>"
    }

    fn offset_key(&self) -> Option<&str> {
        Some("channel")
    }

    fn next_line(&mut self) -> io::Result<Option<SourceLine>> {
        let Ok(text) = self.lines.recv() else {
            return Ok(None);
        };
        let text = text?;
        self.line += 1;
        self.offset += text.len() as u64 + 1;
        Ok(Some(SourceLine {
            text,
            line: self.line,
            end_offset: self.offset,
        }))
    }
}

fn channel_batcher(config: BatchConfig) -> (Sender<io::Result<String>>, Batcher) {
    let (tx, lines) = unbounded();
    let source = ChannelSource {
        lines,
        line: 0,
        offset: 0,
    };
    let batcher = Batcher::spawn(Box::new(source), program(), config).unwrap();
    (tx, batcher)
}

#[test]
fn closes_on_size_with_the_offset_after_the_last_line() {
    let text: String = (0..25).map(|i| op(&format!("u{i}"), "m") + "\n").collect();
    let ends = line_ends(&text);
    let epochs = epochs_of(text, config(10, 10_000, 4));
    let sizes: Vec<usize> = epochs.iter().map(|e| e.changes.len()).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let offsets: Vec<u64> = epochs.iter().map(|e| e.end_offset).collect();
    assert_eq!(offsets, [ends[9], ends[19], ends[24]]);
    assert!(epochs.iter().all(|e| e.source.is_none()));
}

#[test]
fn never_splits_a_batch_line() {
    let batch = format!(
        r#"{{"batch":[{},{},{},{}]}}"#,
        op("a", "b"),
        op("b", "c"),
        op("c", "d"),
        op("d", "e")
    );
    let text = [op("x", "y"), batch, op("y", "z"), op("z", "x")].join("\n");
    let epochs = epochs_of(text, config(3, 10_000, 4));
    let shape: Vec<(usize, usize)> = epochs
        .iter()
        .map(|e| (e.changes.len(), e.accepted_lines))
        .collect();
    assert_eq!(shape, [(5, 2), (2, 2)]);
}

#[test]
fn carries_rejected_lines_with_numbers_and_text() {
    let bad_fact = r#"{"op":"insert","fact":{"predicate":"manager","args":["a"]}}"#;
    let text = [
        &op("a", "b"),
        "{not json",
        "  ",
        bad_fact,
        &op("b", "c"),
        "",
    ]
    .join("\n");
    let epochs = epochs_of(text.clone(), config(100, 10_000, 4));
    assert_eq!(epochs.len(), 1);
    let epoch = &epochs[0];
    assert_eq!((epoch.changes.len(), epoch.accepted_lines), (2, 2));
    assert_eq!(epoch.end_offset, text.len() as u64);
    let rejected: Vec<(&str, u64, &str, String)> = epoch
        .rejected
        .iter()
        .map(|r| {
            (
                r.source_name.as_str(),
                r.line,
                r.text.as_str(),
                r.error.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (
                "<test>",
                2,
                "{not json",
                "malformed event: key must be a string at line 1 column 2".to_string()
            ),
            (
                "<test>",
                4,
                bad_fact,
                "operation 1 of the line: `manager` takes 2 arguments, but 1 were given"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn emits_epochs_without_changes_so_their_offsets_commit() {
    let epochs = epochs_of("{bad\n\n".to_string(), config(100, 10_000, 4));
    let shape: Vec<(usize, usize, u64)> = epochs
        .iter()
        .map(|e| (e.changes.len(), e.rejected.len(), e.end_offset))
        .collect();
    assert_eq!(shape, [(0, 1, 6)]);
    let blank = epochs_of("\n\r\n".to_string(), config(100, 10_000, 4));
    let shape: Vec<(usize, usize, u64)> = blank
        .iter()
        .map(|e| (e.changes.len(), e.rejected.len(), e.end_offset))
        .collect();
    assert_eq!(shape, [(0, 0, 3)]);
}

#[test]
fn closes_on_latency_while_the_source_waits() {
    let (tx, batcher) = channel_batcher(config(1000, 20, 4));
    tx.send(Ok(op("a", "b"))).unwrap();
    tx.send(Ok(op("b", "c"))).unwrap();
    // The source stays open: only the latency can close this epoch.
    let first = batcher
        .receiver()
        .recv_timeout(Duration::from_secs(5))
        .unwrap();
    assert_eq!(first.accepted_lines, 2);
    assert!(first.first_read_at.elapsed() >= Duration::from_millis(20));
    assert_eq!(first.source.as_deref(), Some("channel"));
    tx.send(Ok(op("c", "d"))).unwrap();
    drop(tx);
    let rest: Vec<PendingEpoch> = batcher.receiver().iter().collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        (rest[0].accepted_lines, rest[0].end_offset),
        (1, first.end_offset + op("c", "d").len() as u64 + 1)
    );
    batcher.join().unwrap();
}

#[test]
fn reports_a_read_error_after_the_lines_before_it() {
    let (tx, batcher) = channel_batcher(config(1000, 10_000, 4));
    tx.send(Ok(op("a", "b"))).unwrap();
    tx.send(Err(io::Error::other("disk on fire"))).unwrap();
    let epochs: Vec<PendingEpoch> = batcher.receiver().iter().collect();
    assert_eq!(epochs.len(), 1);
    assert_eq!(epochs[0].accepted_lines, 1);
    let err = batcher.join().err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("reading `<channel>`: disk on fire"));
}

/// An endless source that counts the lines read from it.
struct Counting {
    read: Arc<AtomicU64>,
    line: String,
}

impl Source for Counting {
    fn name(&self) -> &str {
        "<counting>"
    }

    fn offset_key(&self) -> Option<&str> {
        None
    }

    fn next_line(&mut self) -> io::Result<Option<SourceLine>> {
        let n = self.read.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Some(SourceLine {
            text: self.line.clone(),
            line: n,
            end_offset: n * (self.line.len() as u64 + 1),
        }))
    }
}

#[test]
fn a_slow_committer_stops_the_reader() {
    let read = Arc::new(AtomicU64::new(0));
    let source = Counting {
        read: read.clone(),
        line: op("a", "b"),
    };
    let queue_depth = 2;
    let batcher =
        Batcher::spawn(Box::new(source), program(), config(1, 10_000, queue_depth)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let stalled = read.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        read.load(Ordering::SeqCst),
        stalled,
        "the reader should wait"
    );
    // Queued epochs, the one the grouper holds, the line queue, the line the
    // reader holds.
    let bound = queue_depth + 1 + LINE_QUEUE + 1;
    assert!(stalled <= bound as u64, "{stalled} lines read ahead");
    // Receiving lets it go on.
    let offsets: Vec<u64> = batcher
        .receiver()
        .iter()
        .take(50)
        .map(|e| e.end_offset)
        .collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    let deadline = Instant::now() + Duration::from_secs(5);
    while read.load(Ordering::SeqCst) <= stalled && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(read.load(Ordering::SeqCst) > stalled);
    batcher.join().unwrap();
}

/// Lines tagged with the file they came from, as a followed file reports
/// them across a rotation.
struct RotatingSource {
    lines: std::vec::IntoIter<(FileId, String)>,
    file: FileId,
    offset: u64,
}

impl Source for RotatingSource {
    fn name(&self) -> &str {
        "<rotating>"
    }

    fn offset_key(&self) -> Option<&str> {
        Some("rotating")
    }

    fn file_id(&self) -> Option<FileId> {
        Some(self.file)
    }

    fn next_line(&mut self) -> io::Result<Option<SourceLine>> {
        let Some((file, text)) = self.lines.next() else {
            return Ok(None);
        };
        if file != self.file {
            self.offset = 0;
        }
        self.file = file;
        self.offset += text.len() as u64 + 1;
        Ok(Some(SourceLine {
            text,
            line: 1,
            end_offset: self.offset,
        }))
    }
}

#[test]
fn a_rotation_closes_the_epoch_so_offsets_stay_within_one_file() {
    let (old, new) = ((1, 10), (1, 11));
    let lines = vec![
        (old, op("a", "m")),
        (old, op("b", "m")),
        (new, op("c", "m")),
    ];
    let source = RotatingSource {
        lines: lines.into_iter(),
        file: old,
        offset: 0,
    };
    let batcher = Batcher::spawn(Box::new(source), program(), config(100, 10_000, 4)).unwrap();
    let epochs: Vec<PendingEpoch> = batcher.receiver().iter().collect();
    batcher.join().unwrap();
    let shape: Vec<(Option<FileId>, usize, u64)> = epochs
        .iter()
        .map(|e| (e.file, e.changes.len(), e.end_offset))
        .collect();
    let line = op("a", "m").len() as u64 + 1;
    assert_eq!(shape, [(Some(old), 2, 2 * line), (Some(new), 1, line)]);
}
