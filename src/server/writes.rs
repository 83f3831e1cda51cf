//! The write endpoint: `POST /v1/facts`, one atomic epoch per request,
//! applied by the single writer thread that owns the materializer.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use engine::facts::validate_fact;
use engine::Fact;
use ingest::{Change, Op};
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use tokio::sync::{mpsc, oneshot, watch};

use super::{ApiError, AppState};
use crate::error::CliError;
use crate::materializer::Materializer;

/// Most facts one request may change.
const MAX_FACTS: usize = 100_000;

/// One epoch to apply, and where to answer.
struct WriteRequest {
    changes: Vec<Change>,
    reply: oneshot::Sender<Result<u64, String>>,
}

/// The way to the writer thread.
#[derive(Clone)]
pub struct WriterHandle {
    requests: mpsc::Sender<WriteRequest>,
}

/// Starts the writer thread: it applies requests in order and publishes
/// each committed epoch.
pub fn spawn_writer(
    mut materializer: Materializer,
    committed: watch::Sender<u64>,
) -> Result<WriterHandle, CliError> {
    let (requests, mut inbox) = mpsc::channel::<WriteRequest>(64);
    std::thread::Builder::new()
        .name("permafrost-writer".into())
        .spawn(move || {
            while let Some(request) = inbox.blocking_recv() {
                let result = materializer
                    .apply(&request.changes, Vec::new())
                    .map(|report| report.epoch)
                    .map_err(|e| e.to_string());
                if let Ok(epoch) = result {
                    committed.send_replace(epoch);
                }
                // The client may have gone; the epoch is committed anyway.
                let _ = request.reply.send(result);
            }
        })
        .map_err(|e| CliError::Other(format!("cannot start the writer thread: {e}")))?;
    Ok(WriterHandle { requests })
}

/// `POST /v1/facts` body: deletes apply first, then inserts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactsRequest {
    #[serde(default)]
    inserts: Vec<Fact>,
    #[serde(default)]
    deletes: Vec<Fact>,
}

/// Answers 401 unless the request carries the server's bearer token.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.token else {
        return Ok(());
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given == Some(&**token) {
        Ok(())
    } else {
        Err(ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: "missing or wrong bearer token".into(),
        })
    }
}

/// `POST /v1/facts`: validated whole, then one epoch.
pub async fn facts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<FactsRequest>,
) -> Result<Json<Json_>, ApiError> {
    authorize(&state, &headers)?;
    if request.inserts.len() + request.deletes.len() > MAX_FACTS {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_FACTS} facts per request"
        )));
    }
    let mut changes = Vec::new();
    for (op, list, name) in [
        (Op::Delete, &request.deletes, "deletes"),
        (Op::Insert, &request.inserts, "inserts"),
    ] {
        for (index, fact) in list.iter().enumerate() {
            validate_fact(&state.program, fact).map_err(|e| {
                ApiError::bad_request(format!(
                    "{name}[{index}] `{fact}`: {e}; nothing was applied"
                ))
            })?;
            changes.push(Change {
                op,
                fact: fact.clone(),
            });
        }
    }
    let (reply, answer) = oneshot::channel();
    state
        .writer
        .requests
        .send(WriteRequest { changes, reply })
        .await
        .map_err(|_| ApiError::internal("the writer stopped"))?;
    let epoch = answer
        .await
        .map_err(|_| ApiError::internal("the writer stopped"))?
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "epoch": epoch })))
}
