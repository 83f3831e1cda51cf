//! Where event lines come from: a file, a followed file (`tail -F`), stdin —
//! and later a network source — all behind [`Source`], so the
//! [batcher](crate::batch) reads them alike.
//!
//! Every line carries its 1-based line number and the byte offset just after
//! it. Committing that offset with the epoch that applies the line lets a
//! restart resume right after it: [`FileSource::open`] with the offset.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Stdin};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One complete line of a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// The line without its `\n` or `\r\n`. Invalid UTF-8 is replaced by
    /// U+FFFD, so the line is rejected by validation instead of ending the
    /// stream.
    pub text: String,
    /// 1-based line number in the current file.
    pub line: u64,
    /// Byte offset just after this line's newline: where to resume after it.
    pub end_offset: u64,
}

/// A stream of event lines.
pub trait Source: Send {
    /// Name for error messages (file path or `<stdin>`).
    fn name(&self) -> &str;

    /// Key under which the committed offset is stored: the canonical path for
    /// files, `None` for sources that cannot resume (stdin).
    fn offset_key(&self) -> Option<&str>;

    /// Which file (device, inode) the last returned line came from, for
    /// sources that read files: a resume must not apply an offset committed
    /// in one file to another that replaced it at the same path.
    fn file_id(&self) -> Option<FileId> {
        None
    }

    /// The next complete line; `Ok(None)` at the end (for a followed source:
    /// only once stopped).
    fn next_line(&mut self) -> io::Result<Option<SourceLine>>;
}

/// The bytes read past the last returned line, and where that line ended.
#[derive(Default)]
struct Lines {
    /// Byte offset just after the last returned line.
    offset: u64,
    /// Number of the last returned line.
    line: u64,
    /// Bytes read after `offset`: a line without its newline (yet).
    partial: Vec<u8>,
}

impl Lines {
    /// Reads up to the next newline; answers whether a complete line is held.
    fn read(&mut self, reader: &mut impl BufRead) -> io::Result<bool> {
        reader.read_until(b'\n', &mut self.partial)?;
        Ok(self.partial.last() == Some(&b'\n'))
    }

    /// Returns the held bytes as the next line.
    fn take(&mut self) -> SourceLine {
        let mut bytes = std::mem::take(&mut self.partial);
        self.offset += bytes.len() as u64;
        self.line += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        };
        SourceLine {
            text,
            line: self.line,
            end_offset: self.offset,
        }
    }

    /// The held bytes as a last line without newline, if there are any.
    fn take_unfinished(&mut self) -> Option<SourceLine> {
        (!self.partial.is_empty()).then(|| self.take())
    }

    /// How far the reader has read.
    fn position(&self) -> u64 {
        self.offset + self.partial.len() as u64
    }
}

/// How a followed file is watched.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// How long to wait at the end of the file before looking again.
    pub poll: Duration,
    /// Set it to end the stream: [`Source::next_line`] then answers `None`.
    pub stop: Arc<AtomicBool>,
}

/// A file read from a byte offset, once through or followed like `tail -F`.
pub struct FileSource {
    name: String,
    key: String,
    reader: BufReader<File>,
    lines: Lines,
    follow: Option<Follow>,
    /// The file the last returned line came from.
    line_file: FileId,
}

/// Device and inode: which file a path names.
pub type FileId = (u64, u64);

/// The identity of the file `meta` describes.
pub fn file_id(meta: &fs::Metadata) -> FileId {
    (meta.dev(), meta.ino())
}

/// The state of a followed file.
struct Follow {
    path: PathBuf,
    options: FollowOptions,
    /// The file being read.
    id: FileId,
    /// The file now at the path, once the one being read was replaced or
    /// truncated: read from its start after the old handle is drained.
    next: Option<File>,
}

impl FileSource {
    /// Reads `path` from `start_offset` to its end. Line numbers count the
    /// lines before the offset, so they stay true after a resume.
    pub fn open(path: impl AsRef<Path>, start_offset: u64) -> io::Result<FileSource> {
        FileSource::start(path.as_ref(), start_offset, None)
    }

    /// Reads `path` from `start_offset` and then waits for more, like
    /// `tail -F`: an unfinished last line is held until its newline arrives;
    /// when the path names a new file (rotation) or the file shrinks below
    /// what was read (truncation), the old file is read to its end and the
    /// path is read again from its start, line numbers from 1; a missing path
    /// is waited for.
    pub fn follow(
        path: impl AsRef<Path>,
        start_offset: u64,
        options: FollowOptions,
    ) -> io::Result<FileSource> {
        FileSource::start(path.as_ref(), start_offset, Some(options))
    }

    fn start(path: &Path, offset: u64, options: Option<FollowOptions>) -> io::Result<FileSource> {
        let name = path.display().to_string();
        let cannot_open =
            |err: io::Error| io::Error::new(err.kind(), format!("cannot open `{name}`: {err}"));
        let key = fs::canonicalize(path).map_err(cannot_open)?;
        let file = File::open(path).map_err(cannot_open)?;
        let meta = file.metadata().map_err(cannot_open)?;
        if meta.len() < offset {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot resume `{name}` at byte {offset}: the file holds only {} bytes (was it replaced or truncated?)",
                    meta.len()
                ),
            ));
        }
        let mut reader = BufReader::new(file);
        let line = skip_counting_newlines(&mut reader, offset)
            .map_err(|err| io::Error::new(err.kind(), format!("reading `{name}`: {err}")))?;
        Ok(FileSource {
            key: key.to_string_lossy().into_owned(),
            reader,
            lines: Lines {
                offset,
                line,
                partial: Vec::new(),
            },
            line_file: file_id(&meta),
            follow: options.map(|options| Follow {
                path: path.to_path_buf(),
                options,
                id: file_id(&meta),
                next: None,
            }),
            name,
        })
    }
}

/// Consumes `count` bytes; answers how many newlines they hold.
fn skip_counting_newlines(reader: &mut impl BufRead, mut count: u64) -> io::Result<u64> {
    let mut newlines = 0;
    while count > 0 {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while resuming",
            ));
        }
        let len = buf.len().min(usize::try_from(count).unwrap_or(usize::MAX));
        newlines += buf.iter().take(len).filter(|&&b| b == b'\n').count() as u64;
        reader.consume(len);
        count -= len as u64;
    }
    Ok(newlines)
}

/// The file at `path`, if it is no longer the one read (identified by `id`,
/// read up to `position`): another file, or the same one truncated.
fn successor(path: &Path, id: FileId, position: u64) -> io::Result<Option<File>> {
    let missing = |err: &io::Error| err.kind() == io::ErrorKind::NotFound;
    let meta = match fs::metadata(path) {
        Err(err) if missing(&err) => return Ok(None),
        meta => meta?,
    };
    if file_id(&meta) == id && meta.len() >= position {
        return Ok(None);
    }
    match File::open(path) {
        Err(err) if missing(&err) => Ok(None),
        file => file.map(Some),
    }
}

impl Source for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn offset_key(&self) -> Option<&str> {
        Some(&self.key)
    }

    fn file_id(&self) -> Option<FileId> {
        Some(self.line_file)
    }

    fn next_line(&mut self) -> io::Result<Option<SourceLine>> {
        loop {
            let Some(follow) = &mut self.follow else {
                return Ok(if self.lines.read(&mut self.reader)? {
                    Some(self.lines.take())
                } else {
                    self.lines.take_unfinished()
                });
            };
            if follow.options.stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if self.lines.read(&mut self.reader)? {
                self.line_file = follow.id;
                return Ok(Some(self.lines.take()));
            }
            // At the end of the file as it is now.
            if let Some(next) = follow.next.take() {
                // The old file is drained: its unfinished last line will
                // never be finished, so it is returned as it is.
                let last = self.lines.take_unfinished();
                self.line_file = follow.id;
                follow.id = file_id(&next.metadata()?);
                self.reader = BufReader::new(next);
                self.lines = Lines::default();
                if last.is_some() {
                    return Ok(last);
                }
                continue;
            }
            follow.next = successor(&follow.path, follow.id, self.lines.position())?;
            if follow.next.is_none() {
                std::thread::sleep(follow.options.poll);
            }
        }
    }
}

/// Any buffered reader read once through, such as stdin. It cannot resume.
pub struct ReaderSource<R> {
    name: String,
    reader: R,
    lines: Lines,
}

/// Standard input as a source.
pub type StdinSource = ReaderSource<BufReader<Stdin>>;

impl<R: BufRead + Send> ReaderSource<R> {
    /// Reads `reader`, called `name` in error messages.
    pub fn new(name: impl Into<String>, reader: R) -> Self {
        ReaderSource {
            name: name.into(),
            reader,
            lines: Lines::default(),
        }
    }
}

impl StdinSource {
    /// Reads standard input, called `<stdin>`.
    pub fn stdin() -> Self {
        ReaderSource::new("<stdin>", BufReader::new(io::stdin()))
    }
}

impl<R: BufRead + Send> Source for ReaderSource<R> {
    fn name(&self) -> &str {
        &self.name
    }

    fn offset_key(&self) -> Option<&str> {
        None
    }

    fn next_line(&mut self) -> io::Result<Option<SourceLine>> {
        Ok(if self.lines.read(&mut self.reader)? {
            Some(self.lines.take())
        } else {
            self.lines.take_unfinished()
        })
    }
}

#[cfg(test)]
mod tests;
