//! Rejected lines, kept: each one becomes a JSON line in a dead-letter file,
//! `{"source":…,"line":N,"error":"…","text":"the original line"}`.
//!
//! The committer writes an epoch's rejected lines and calls
//! [`DeadLetter::flush_durable`] before it commits the offset that skips
//! them, so no rejected line is lost to a crash.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::batch::Rejected;

/// An append-only dead-letter file.
pub struct DeadLetter {
    path: PathBuf,
    file: BufWriter<File>,
}

/// One line of the dead-letter file.
#[derive(Serialize)]
struct Letter<'a> {
    source: &'a str,
    line: u64,
    error: String,
    text: &'a str,
}

impl DeadLetter {
    /// Opens `path` for appending, creating it if needed; a new file's
    /// directory entry is made durable at once.
    pub fn create_or_append(path: impl AsRef<Path>) -> io::Result<DeadLetter> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|err| annotate(&path, err))?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|err| annotate(&path, err))?;
        Ok(DeadLetter {
            path,
            file: BufWriter::new(file),
        })
    }

    /// Appends one rejected line. It is buffered until
    /// [`flush_durable`](DeadLetter::flush_durable).
    pub fn write(&mut self, rejected: &Rejected) -> io::Result<()> {
        let letter = Letter {
            source: &rejected.source_name,
            line: rejected.line,
            error: rejected.error.to_string(),
            text: &rejected.text,
        };
        serde_json::to_writer(&mut self.file, &letter)
            .map_err(io::Error::from)
            .and_then(|()| self.file.write_all(b"\n"))
            .map_err(|err| annotate(&self.path, err))
    }

    /// Writes out what is buffered and waits until it is on disk (fsync).
    pub fn flush_durable(&mut self) -> io::Result<()> {
        self.file
            .flush()
            .and_then(|()| self.file.get_ref().sync_data())
            .map_err(|err| annotate(&self.path, err))
    }
}

fn annotate(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("dead-letter file `{}`: {err}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventError;
    use serde_json::{json, Value};

    fn rejected(line: u64, text: &str) -> Rejected {
        Rejected {
            source_name: "events.jsonl".to_string(),
            line,
            text: text.to_string(),
            error: EventError::Malformed("expected value".to_string()),
        }
    }

    fn letters(path: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn writes_one_json_line_per_rejected_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let mut dead = DeadLetter::create_or_append(&path).unwrap();
        dead.write(&rejected(2, r#"{"op": "ins"#)).unwrap();
        dead.write(&rejected(7, "\u{fffd} \"quoted\"")).unwrap();
        dead.flush_durable().unwrap();
        assert_eq!(
            letters(&path),
            [
                json!({"source":"events.jsonl","line":2,"error":"malformed event: expected value","text":"{\"op\": \"ins"}),
                json!({"source":"events.jsonl","line":7,"error":"malformed event: expected value","text":"\u{fffd} \"quoted\""}),
            ]
        );
    }

    #[test]
    fn appends_to_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        for line in [1, 2] {
            let mut dead = DeadLetter::create_or_append(&path).unwrap();
            dead.write(&rejected(line, "x")).unwrap();
            dead.flush_durable().unwrap();
        }
        let lines: Vec<Value> = letters(&path)
            .into_iter()
            .map(|l| l["line"].clone())
            .collect();
        assert_eq!(lines, [json!(1), json!(2)]);
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("dead.jsonl");
        let err = DeadLetter::create_or_append(&path).err().unwrap();
        assert_eq!(
            err.to_string(),
            format!(
                "dead-letter file `{}`: No such file or directory (os error 2)",
                path.display()
            )
        );
    }
}
