use super::*;
use std::fs::OpenOptions;
use std::io::{Cursor, Write};
use std::thread::{self, JoinHandle};

/// A line as (text, line number, end offset).
type Line = (String, u64, u64);

fn next(source: &mut impl Source) -> Option<Line> {
    source
        .next_line()
        .unwrap()
        .map(|l| (l.text, l.line, l.end_offset))
}

fn all(source: &mut impl Source) -> Vec<Line> {
    std::iter::from_fn(|| next(source)).collect()
}

fn line(text: &str, line: u64, end_offset: u64) -> Option<Line> {
    Some((text.to_string(), line, end_offset))
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

/// Runs `f` on another thread after `ms` milliseconds.
fn after(ms: u64, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(ms));
        f();
    })
}

/// Follows `path` with a 5 ms poll. A watchdog stops the source after 5 s,
/// so a test whose line never comes fails instead of hanging.
fn follow(path: &Path, offset: u64) -> (FileSource, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let watchdog = stop.clone();
    after(5000, move || watchdog.store(true, Ordering::Relaxed));
    let options = FollowOptions {
        poll: Duration::from_millis(5),
        stop: stop.clone(),
    };
    (FileSource::follow(path, offset, options).unwrap(), stop)
}

#[test]
fn reads_lines_with_and_without_trailing_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "a\nb\n").unwrap();
    let mut source = FileSource::open(&path, 0).unwrap();
    assert_eq!(
        all(&mut source),
        [line("a", 1, 2), line("b", 2, 4)].map(Option::unwrap)
    );
    fs::write(&path, "a\nb").unwrap();
    let mut source = FileSource::open(&path, 0).unwrap();
    assert_eq!(
        all(&mut source),
        [line("a", 1, 2), line("b", 2, 3)].map(Option::unwrap)
    );
}

#[test]
fn strips_crlf_and_replaces_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, b"a\r\nx\ry\n\r\n\xff\n").unwrap();
    let mut source = FileSource::open(&path, 0).unwrap();
    let expected = [
        line("a", 1, 3),
        line("x\ry", 2, 7),
        line("", 3, 9),
        line("\u{fffd}", 4, 11),
    ];
    assert_eq!(all(&mut source), expected.map(Option::unwrap));
}

#[test]
fn resumes_at_an_offset_with_true_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "a\nbb\nccc\n").unwrap();
    let mut source = FileSource::open(&path, 5).unwrap();
    let canonical = fs::canonicalize(&path).unwrap();
    assert_eq!(source.offset_key(), canonical.to_str());
    assert_eq!(all(&mut source), [line("ccc", 3, 9).unwrap()]);
    let mut at_end = FileSource::open(&path, 9).unwrap();
    assert_eq!(next(&mut at_end), None);
}

#[test]
fn refuses_an_offset_beyond_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "a\nb\n").unwrap();
    let err = FileSource::open(&path, 100).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot resume `{}` at byte 100: the file holds only 4 bytes (was it replaced or truncated?)",
            path.display()
        )
    );
}

#[test]
fn reader_source_reads_once_through() {
    let mut source = ReaderSource::new("<test>", Cursor::new("x\n\ny"));
    assert_eq!(source.name(), "<test>");
    assert_eq!(source.offset_key(), None);
    let expected = [line("x", 1, 2), line("", 2, 3), line("y", 3, 4)];
    assert_eq!(all(&mut source), expected.map(Option::unwrap));
}

#[test]
fn follow_picks_up_appended_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "a\n").unwrap();
    let (mut source, _stop) = follow(&path, 0);
    assert_eq!(next(&mut source), line("a", 1, 2));
    let appended = path.clone();
    let writer = after(20, move || append(&appended, b"b\n"));
    assert_eq!(next(&mut source), line("b", 2, 4));
    writer.join().unwrap();
}

#[test]
fn follow_holds_a_partial_line_until_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "a\npar").unwrap();
    let (mut source, _stop) = follow(&path, 0);
    assert_eq!(next(&mut source), line("a", 1, 2));
    let appended = path.clone();
    let writer = after(30, move || append(&appended, b"tial\n"));
    assert_eq!(next(&mut source), line("partial", 2, 10));
    writer.join().unwrap();
}

#[test]
fn follow_drains_a_rotated_file_then_reads_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let rotated = dir.path().join("events.jsonl.1");
    fs::write(&path, "1\n2\n").unwrap();
    let (mut source, _stop) = follow(&path, 0);
    assert_eq!(next(&mut source), line("1", 1, 2));
    fs::rename(&path, &rotated).unwrap();
    // The writer still holds the old file; then a new one, longer than what
    // was read, takes the path (so only its inode tells it apart).
    append(&rotated, b"3\n4");
    fs::write(&path, "new file!\n").unwrap();
    assert_eq!(next(&mut source), line("2", 2, 4));
    assert_eq!(next(&mut source), line("3", 3, 6));
    assert_eq!(next(&mut source), line("4", 4, 7));
    assert_eq!(next(&mut source), line("new file!", 1, 10));
}

#[test]
fn follow_waits_for_a_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "1\n").unwrap();
    let (mut source, _stop) = follow(&path, 0);
    assert_eq!(next(&mut source), line("1", 1, 2));
    fs::rename(&path, dir.path().join("events.jsonl.1")).unwrap();
    let created = path.clone();
    let writer = after(30, move || fs::write(&created, "y\n").unwrap());
    assert_eq!(next(&mut source), line("y", 1, 2));
    writer.join().unwrap();
}

#[test]
fn follow_restarts_a_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "aaaa\nbbbb\n").unwrap();
    let (mut source, _stop) = follow(&path, 0);
    assert_eq!(next(&mut source), line("aaaa", 1, 5));
    assert_eq!(next(&mut source), line("bbbb", 2, 10));
    let id = file_id(&fs::metadata(&path).unwrap());
    fs::write(&path, "c\n").unwrap();
    assert_eq!(file_id(&fs::metadata(&path).unwrap()), id, "same file");
    assert_eq!(next(&mut source), line("c", 1, 2));
}

#[test]
fn follow_stops_on_the_flag_without_returning_a_partial_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, "a\nhalf").unwrap();
    let (mut source, stop) = follow(&path, 0);
    assert_eq!(next(&mut source), line("a", 1, 2));
    let stopper = after(30, move || stop.store(true, Ordering::Relaxed));
    assert_eq!(next(&mut source), None);
    stopper.join().unwrap();
}
