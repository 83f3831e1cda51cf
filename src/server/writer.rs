//! The writer thread: the one owner of the [`Materializer`]. Fact batches
//! and policy switches reach it in order through a channel; each is one
//! epoch, and each committed epoch is published on a watch.

use std::sync::{Arc, RwLock};

use engine::{Diagnostics, SourceFile};
use ingest::Change;
use tokio::sync::{mpsc, oneshot, watch};

use super::metrics::Metrics;
use super::ServedPolicy;
use crate::error::CliError;
use crate::materializer::{MaterializeError, Materializer};

/// Write requests waiting for the writer, at most.
const QUEUE: usize = 64;

/// Why a write was refused or failed.
#[derive(Debug)]
pub enum WriteError {
    /// The new policy has errors: nothing changed.
    Policy(Diagnostics),
    /// The request does not fit the policy (a fact, or a policy the stored
    /// facts don't fit): nothing changed.
    Refused(String),
    /// Anything else: nothing of the request was committed.
    Failed(String),
}

impl From<MaterializeError> for WriteError {
    fn from(error: MaterializeError) -> Self {
        match error {
            MaterializeError::Policy(diagnostics) => WriteError::Policy(diagnostics),
            refused @ (MaterializeError::Fact { .. } | MaterializeError::AllowArity(_)) => {
                WriteError::Refused(refused.to_string())
            }
            other => WriteError::Failed(other.to_string()),
        }
    }
}

/// What a policy switch did.
#[derive(Debug)]
pub struct Switched {
    /// The epoch that switched.
    pub epoch: u64,
    /// The new policy's version.
    pub version: Arc<str>,
    /// Tuples granted and revoked by the switch.
    pub granted: usize,
    /// See `granted`.
    pub revoked: usize,
    /// Tuples kept with another validity (time windows).
    pub regranted: usize,
}

/// One request to the writer, and where to answer.
enum WriteRequest {
    /// Apply these changes as one epoch; answers the epoch.
    Facts {
        changes: Vec<Change>,
        reply: oneshot::Sender<Result<u64, WriteError>>,
    },
    /// Switch to this policy.
    Policy {
        source: Arc<SourceFile>,
        reply: oneshot::Sender<Result<Switched, WriteError>>,
    },
}

/// The way to the writer thread.
#[derive(Clone)]
pub struct WriterHandle {
    requests: mpsc::Sender<WriteRequest>,
}

impl WriterHandle {
    /// Applies `changes` as one epoch; answers the committed epoch.
    pub async fn apply(&self, changes: Vec<Change>) -> Result<u64, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.send(WriteRequest::Facts { changes, reply }).await?;
        answer.await.map_err(|_| stopped())?
    }

    /// Switches the store to the policy `source`.
    pub async fn switch_policy(&self, source: Arc<SourceFile>) -> Result<Switched, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.send(WriteRequest::Policy { source, reply }).await?;
        answer.await.map_err(|_| stopped())?
    }

    /// Requests accepted but not yet committed.
    pub fn queued(&self) -> usize {
        QUEUE - self.requests.capacity()
    }

    async fn send(&self, request: WriteRequest) -> Result<(), WriteError> {
        self.requests.send(request).await.map_err(|_| stopped())
    }
}

fn stopped() -> WriteError {
    WriteError::Failed("the writer stopped".into())
}

/// Starts the writer thread: it applies requests in order, publishes each
/// committed epoch on `committed`, and swaps `policy` after a switch.
pub fn spawn(
    mut materializer: Materializer,
    committed: watch::Sender<u64>,
    policy: Arc<RwLock<ServedPolicy>>,
    metrics: Arc<Metrics>,
) -> Result<WriterHandle, CliError> {
    let (requests, mut inbox) = mpsc::channel::<WriteRequest>(QUEUE);
    std::thread::Builder::new()
        .name("permafrost-writer".into())
        .spawn(move || {
            while let Some(request) = inbox.blocking_recv() {
                match request {
                    WriteRequest::Facts { changes, reply } => {
                        let result = materializer.apply(&changes, Vec::new());
                        let result = result.map_err(WriteError::from).map(|report| {
                            metrics.committed(report.epoch, &report.stats);
                            committed.send_replace(report.epoch);
                            report.epoch
                        });
                        // The client may have gone; the epoch is committed anyway.
                        let _ = reply.send(result);
                    }
                    WriteRequest::Policy { source, reply } => {
                        let result = materializer.switch_policy(&source);
                        let result = result.map_err(WriteError::from).and_then(|report| {
                            let served = ServedPolicy::of(&materializer);
                            let version = Arc::clone(&served.version);
                            let epoch = materializer
                                .store()
                                .committed_epoch()
                                .map_err(|e| WriteError::Failed(e.to_string()))?;
                            if let Ok(mut current) = policy.write() {
                                *current = served;
                            }
                            let stats = report.rebuilt.unwrap_or_default();
                            metrics.switched(epoch, report.tuples, &version);
                            committed.send_replace(epoch);
                            Ok(Switched {
                                epoch,
                                version,
                                granted: stats.granted,
                                revoked: stats.revoked,
                                regranted: stats.regranted,
                            })
                        });
                        let _ = reply.send(result);
                    }
                }
            }
        })
        .map_err(|e| CliError::Other(format!("cannot start the writer thread: {e}")))?;
    Ok(WriterHandle { requests })
}
