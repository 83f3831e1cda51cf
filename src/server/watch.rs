//! `GET /v1/watch?since=N`: the permission change feed. Every logged grant,
//! revocation and regrant (a new validity) of an epoch after `since`, in
//! epoch order, one JSON object per line (`application/x-ndjson`), then the
//! changes of each new epoch as it commits. A consumer that reconnects with
//! the last epoch it processed misses nothing and sees nothing twice.
//!
//! Each stream is fed by a blocking task that scans the change log and
//! hands chunks to the response body through a small channel, so a slow
//! consumer holds back its own scan and nothing else.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use storage::{LoggedChange, Store, Validity};
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
        feed(&store, committed, query.since, &chunks, &runtime);
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

/// Sends the changes after `since`, then each committed epoch's, until the
/// consumer goes away. A store error ends the stream with an
/// `{"error": …}` line.
fn feed(
    store: &Store,
    mut committed: watch::Receiver<u64>,
    since: u64,
    chunks: &mpsc::Sender<Bytes>,
    runtime: &tokio::runtime::Handle,
) {
    let mut last = since;
    loop {
        match send_after(store, last, chunks) {
            Ok(Some(upto)) => last = last.max(upto),
            Ok(None) => return,
            Err(error) => {
                let line = format!("{}\n", json!({ "error": error.to_string() }));
                let _ = chunks.blocking_send(Bytes::from(line));
                return;
            }
        }
        let gone = runtime.block_on(async {
            tokio::select! {
                changed = committed.wait_for(|epoch| *epoch > last) => changed.is_err(),
                () = chunks.closed() => true,
            }
        });
        if gone {
            return;
        }
    }
}

/// Sends every change after epoch `last` up to the committed epoch; answers
/// that epoch, or `None` if the consumer went away.
fn send_after(
    store: &Store,
    last: u64,
    chunks: &mpsc::Sender<Bytes>,
) -> Result<Option<u64>, storage::StoreError> {
    let reader = store.read()?;
    let mut chunk = Vec::with_capacity(CHUNK);
    for change in reader.changes_since(last)? {
        write_line(&mut chunk, &change?);
        if chunk.len() >= CHUNK
            && chunks
                .blocking_send(Bytes::from(std::mem::take(&mut chunk)))
                .is_err()
        {
            return Ok(None);
        }
    }
    if !chunk.is_empty() && chunks.blocking_send(Bytes::from(chunk)).is_err() {
        return Ok(None);
    }
    Ok(Some(reader.epoch()))
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
