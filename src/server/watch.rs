//! `GET /v1/watch?since=N`: the permission change feed. Every logged grant,
//! revocation and regrant (a new validity) of an epoch after `since`, in
//! epoch order, one JSON object per line (`application/x-ndjson`), then the
//! changes of each new epoch as it commits. A consumer that reconnects with
//! the last epoch it processed misses nothing and sees nothing twice.
//!
//! Permissions that hold only at some times are also granted and revoked
//! as the clock passes the edges of their validities, with no epoch: the
//! stream sends those as time lines (`"cause":"time"`, `"at":T`) when the
//! server's clock reaches `T`, from the store's schedule at the epoch the
//! stream has reached. `since_time` resumes them after the last `at` a
//! consumer processed; without it, a stream sends the edges from the time
//! it opens on.
//!
//! Each stream is fed by a blocking task that scans the change log and
//! hands chunks to the response body through a small channel, so a slow
//! consumer holds back its own scan and nothing else.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use storage::{LoggedChange, ScheduledChange, Store, Validity};
use tokio::sync::{mpsc, watch};

use super::{ApiError, AppState};

/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 64 << 10;

/// The query of `GET /v1/watch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchQuery {
    /// The last epoch the consumer processed (0: from the start).
    #[serde(default)]
    since: u64,
    /// The `at` of the last time line the consumer processed: time lines
    /// after it are sent (default: the time the stream opens).
    since_time: Option<i64>,
}

/// The longest wait for the clock between two looks at the schedule, so
/// that a stream follows changes of the system clock.
const MAX_CLOCK_WAIT: Duration = Duration::from_secs(60);

/// Where a stream is: the last epoch sent, the time up to which time lines
/// were sent, and when the next scheduled change is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    epoch: u64,
    time: i64,
    next: Option<i64>,
}

/// `GET /v1/watch?since=N`.
pub async fn watch(
    State(state): State<AppState>,
    Query(query): Query<WatchQuery>,
) -> Result<Response, ApiError> {
    let permit = Arc::clone(&state.watchers)
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many open watch streams; retry later",
            )
        })?;
    let (chunks, mut body) = mpsc::channel::<Bytes>(4);
    let runtime = tokio::runtime::Handle::current();
    let store = Arc::clone(&state.store);
    let committed = state.committed.clone();
    let metrics = Arc::clone(&state.metrics);
    tokio::task::spawn_blocking(move || {
        metrics.watchers(1);
        let since_time = query.since_time.unwrap_or_else(crate::load::now);
        feed(
            &store,
            committed,
            query.since,
            since_time,
            &chunks,
            &runtime,
        );
        metrics.watchers(-1);
        drop(permit);
    });
    let stream = futures_util::stream::poll_fn(move |cx| {
        body.poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, Infallible>))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Sends the changes after epoch `since` and the time lines after
/// `since_time`, then each committed epoch's changes as it commits and each
/// scheduled change as the clock reaches it, until the consumer goes away.
/// A store error ends the stream with an `{"error": …}` line.
fn feed(
    store: &Store,
    mut committed: watch::Receiver<u64>,
    since: u64,
    since_time: i64,
    chunks: &mpsc::Sender<Bytes>,
    runtime: &tokio::runtime::Handle,
) {
    let mut at = Position {
        epoch: since,
        time: since_time,
        next: None,
    };
    loop {
        match send_after(store, at, chunks) {
            Ok(Some(reached)) => at = reached,
            Ok(None) => return,
            Err(error) => {
                let line = format!("{}\n", json!({ "error": error.to_string() }));
                let _ = chunks.blocking_send(Bytes::from(line));
                return;
            }
        }
        let clock = at.next.map(until);
        let last = at.epoch;
        let gone = runtime.block_on(async {
            tokio::select! {
                changed = committed.wait_for(|epoch| *epoch > last) => changed.is_err(),
                () = chunks.closed() => true,
                () = pause(clock) => false,
            }
        });
        if gone {
            return;
        }
    }
}

/// How long until the clock reaches second `t` (at most [`MAX_CLOCK_WAIT`]).
fn until(t: i64) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let wait = t.saturating_mul(1000).saturating_sub(now_ms).max(0);
    Duration::from_millis(u64::try_from(wait).unwrap_or(0)).min(MAX_CLOCK_WAIT)
}

/// Waits `wait`, or for ever.
async fn pause(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

/// Sends every change after epoch `at.epoch` up to the committed epoch,
/// then the time lines after `at.time` up to now; answers where that left
/// the stream, or `None` if the consumer went away.
fn send_after(
    store: &Store,
    at: Position,
    chunks: &mpsc::Sender<Bytes>,
) -> Result<Option<Position>, storage::StoreError> {
    let reader = store.read()?;
    let mut out = Chunks::new(chunks);
    for change in reader.changes_since(at.epoch)? {
        let change = change?;
        if !out.push(|line| write_line(line, &change)) {
            return Ok(None);
        }
    }
    let epoch = reader.epoch().max(at.epoch);
    let now = crate::load::now().max(at.time);
    for change in reader.scheduled(at.time, now)? {
        let change = change?;
        if !out.push(|line| write_time_line(line, epoch, &change)) {
            return Ok(None);
        }
    }
    if !out.flush() {
        return Ok(None);
    }
    Ok(Some(Position {
        epoch,
        time: now,
        next: reader.next_scheduled(now)?,
    }))
}

/// Lines gathered into chunks of about [`CHUNK`] bytes.
struct Chunks<'a> {
    to: &'a mpsc::Sender<Bytes>,
    chunk: Vec<u8>,
}

impl<'a> Chunks<'a> {
    fn new(to: &'a mpsc::Sender<Bytes>) -> Self {
        Chunks {
            to,
            chunk: Vec::with_capacity(CHUNK),
        }
    }

    /// Adds a line (written by `line`); false if the consumer went away.
    fn push(&mut self, line: impl FnOnce(&mut Vec<u8>)) -> bool {
        line(&mut self.chunk);
        self.chunk.len() < CHUNK || self.flush()
    }

    /// Sends what was gathered; false if the consumer went away.
    fn flush(&mut self) -> bool {
        self.chunk.is_empty()
            || self
                .to
                .blocking_send(Bytes::from(std::mem::take(&mut self.chunk)))
                .is_ok()
    }
}

/// `{"epoch":N,"change":"grant","tuple":{"actor":E,"action":A,"resource":E}}`,
/// with `"valid":[[lo,hi],…]` when a grant or regrant holds only at some
/// times.
fn write_line(out: &mut Vec<u8>, change: &LoggedChange) {
    let mut line = json!({
        "epoch": change.epoch,
        "change": change.change.as_str(),
        "tuple": {
            "actor": change.permission.actor,
            "action": change.permission.action,
            "resource": change.permission.resource,
        },
    });
    if !change.validity.is_always() && !change.validity.is_never() {
        line["valid"] = valid_json(&change.validity);
    }
    out.extend_from_slice(line.to_string().as_bytes());
    out.push(b'\n');
}

/// `{"epoch":N,"change":"grant","tuple":{…},"at":T,"cause":"time"}`: a
/// change scheduled at `T`, from the validities of epoch `epoch`.
fn write_time_line(out: &mut Vec<u8>, epoch: u64, change: &ScheduledChange) {
    let line = json!({
        "epoch": epoch,
        "change": change.change.as_str(),
        "tuple": {
            "actor": change.permission.actor,
            "action": change.permission.action,
            "resource": change.permission.resource,
        },
        "at": change.at,
        "cause": "time",
    });
    out.extend_from_slice(line.to_string().as_bytes());
    out.push(b'\n');
}

/// A validity as `[[lo, hi], …]`, closed intervals of unix seconds, with
/// `null` for an open end (the beginning or the end of time), since the
/// extreme `i64` values are beyond the integers JSON readers keep exactly.
pub fn valid_json(validity: &Validity) -> serde_json::Value {
    let end = |t: i64, open: i64| (t != open).then_some(t);
    validity
        .intervals()
        .iter()
        .map(|i| json!([end(i.lo, i64::MIN), end(i.hi, i64::MAX)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::{Interval, Permission, PermissionChange};

    fn line(change: PermissionChange, validity: Validity) -> serde_json::Value {
        let logged = LoggedChange {
            epoch: 3,
            change,
            permission: Permission::new(
                engine::Value::entity("User", "a"),
                engine::Value::str("read"),
                engine::Value::entity("Doc", "d"),
            ),
            validity,
        };
        let mut out = Vec::new();
        write_line(&mut out, &logged);
        assert_eq!(out.pop(), Some(b'\n'));
        serde_json::from_slice(&out).unwrap_or_default()
    }

    /// Lines of a feed over `store` until `count` arrived (or 10 s passed).
    fn feed_lines(store: Store, since_time: i64, count: usize) -> Vec<serde_json::Value> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let epoch = store.committed_epoch().unwrap_or_default();
        let (_committed, epochs) = watch::channel(epoch);
        let (chunks, mut body) = mpsc::channel::<Bytes>(4);
        let handle = runtime.handle().clone();
        runtime.spawn_blocking(move || feed(&store, epochs, 0, since_time, &chunks, &handle));
        let mut text = Vec::new();
        runtime.block_on(async {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while text.iter().filter(|b| **b == b'\n').count() < count {
                match tokio::time::timeout_at(deadline, body.recv()).await {
                    Ok(Some(chunk)) => text.extend_from_slice(&chunk),
                    _ => break,
                }
            }
        });
        drop(body);
        runtime.shutdown_timeout(Duration::from_secs(1));
        text.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap_or_default())
            .collect()
    }

    #[test]
    fn time_lines_follow_the_clock() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let now = crate::load::now();
        let tuple = |id: &str| {
            Permission::new(
                engine::Value::entity("User", id),
                engine::Value::str("read"),
                engine::Value::entity("Doc", "d"),
            )
        };
        let window = |lo, hi| Validity::from_intervals(Interval::new(lo, hi));
        store
            .commit_epoch(&storage::EpochCommit {
                epoch: 1,
                permissions: vec![
                    (tuple("past"), window(now - 100, now - 51)),
                    (tuple("soon"), window(now + 2, i64::MAX)),
                ],
                ..storage::EpochCommit::default()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let lines = feed_lines(store, now - 200, 5);
        let expected = [
            json!({"epoch": 1, "change": "grant", "valid": [[now - 100, now - 51]]}),
            json!({"epoch": 1, "change": "grant", "valid": [[now + 2, null]]}),
            json!({"epoch": 1, "change": "grant", "at": now - 100, "cause": "time"}),
            json!({"epoch": 1, "change": "revoke", "at": now - 50, "cause": "time"}),
            json!({"epoch": 1, "change": "grant", "at": now + 2, "cause": "time"}),
        ];
        assert_eq!(lines.len(), expected.len(), "{lines:?}");
        for (line, expected) in lines.iter().zip(expected) {
            for (key, value) in expected.as_object().into_iter().flatten() {
                assert_eq!(&line[key], value, "{key} of {line}");
            }
        }
        assert_eq!(
            lines[4]["tuple"]["actor"],
            json!({"type": "User", "id": "soon"})
        );
        assert_eq!(
            lines[3]["tuple"]["actor"],
            json!({"type": "User", "id": "past"})
        );
        // The time lines came when the clock reached them, not before.
        assert!(crate::load::now() >= now + 2);
    }

    #[test]
    fn lines_carry_the_validity_unless_always() {
        let always = line(PermissionChange::Grant, Validity::always());
        assert_eq!(
            always,
            json!({"epoch": 3, "change": "grant", "tuple": {
                "actor": {"type": "User", "id": "a"}, "action": "read",
                "resource": {"type": "Doc", "id": "d"}}})
        );
        let windows = Validity::from_intervals(
            [(i64::MIN, -5), (10, 20), (30, i64::MAX)]
                .into_iter()
                .filter_map(|(lo, hi)| Interval::new(lo, hi)),
        );
        let regrant = line(PermissionChange::Regrant, windows);
        assert_eq!(regrant["change"], json!("regrant"));
        assert_eq!(regrant["valid"], json!([[null, -5], [10, 20], [30, null]]));
        let revoke = line(PermissionChange::Revoke, Validity::never());
        assert_eq!(revoke["change"], json!("revoke"));
        assert!(revoke.get("valid").is_none());
    }
}
