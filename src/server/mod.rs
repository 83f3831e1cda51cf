//! `permafrost serve`: the permission service (DESIGN.md §6), JSON over
//! HTTP with axum.
//!
//! Reads (`check`, `list`, `who`, `actions`, `explain`) are answered from
//! the store on the request's task, at the committed epoch; `at_least_epoch`
//! waits (bounded) on a watch of the committed epoch. Writes (`facts`) and
//! policy switches (`PUT /v1/policy`) go to one writer thread that owns the
//! [`Materializer`]: each request is one epoch, validated whole before
//! anything is applied. `watch` streams the change log; `metrics` and the
//! optional decision log tell operators and auditors what was answered.

mod decisions;
mod metrics;
mod reads;
mod watch;
mod writer;
mod writes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use engine::Program;
use serde_json::{json, Value as Json_};
use storage::Store;
use tokio::sync::{watch as epoch_watch, Semaphore};

use crate::error::CliError;
use crate::materializer::{Materializer, MaterializerConfig};
pub use decisions::DecisionLog;
use metrics::Metrics;

/// Largest request body accepted, in bytes.
const MAX_BODY: usize = 4 << 20;

/// Watch streams open at once, at most.
const MAX_WATCHERS: usize = 64;

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeArgs {
    /// The store.
    pub db: PathBuf,
    /// A policy to switch the store to first (default: the stored one).
    pub policy: Option<PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The bearer token of write and admin endpoints; without one they are
    /// disabled.
    pub token: Option<String>,
    /// Append a line per answered check to this file.
    pub decision_log: Option<PathBuf>,
    /// Dataflow workers and time.
    pub materializer: MaterializerConfig,
}

/// The policy being served: its checked program and its version.
#[derive(Clone)]
pub struct ServedPolicy {
    /// The checked policy.
    pub program: Arc<Program>,
    /// Its version: the SHA-256 of its text, in hex.
    pub version: Arc<str>,
}

impl ServedPolicy {
    fn of(materializer: &Materializer) -> ServedPolicy {
        ServedPolicy {
            program: Arc::clone(materializer.program()),
            version: Arc::from(materializer.policy_hash()),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    store: Arc<Store>,
    policy: Arc<RwLock<ServedPolicy>>,
    committed: epoch_watch::Receiver<u64>,
    writer: writer::WriterHandle,
    token: Option<Arc<str>>,
    metrics: Arc<Metrics>,
    decisions: Option<DecisionLog>,
    watchers: Arc<Semaphore>,
}

impl AppState {
    /// The policy served now.
    fn policy(&self) -> ServedPolicy {
        match self.policy.read() {
            Ok(policy) => policy.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// An error answer: a status and `{"error": "…"}`, with optional details.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    details: Option<Json_>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            details: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn internal(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message.to_string())
    }

    /// Adds the fields of `details` (an object) to the answer.
    fn with_details(mut self, details: Json_) -> ApiError {
        self.details = Some(details);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if let (Some(Json_::Object(details)), Json_::Object(body)) = (self.details, &mut body) {
            body.extend(details);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<storage::StoreError> for ApiError {
    fn from(error: storage::StoreError) -> Self {
        ApiError::internal(error)
    }
}

/// The routes of the API over `state`.
fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics::render))
        .route("/v1/openapi.yaml", get(openapi))
        .route("/v1/check", post(reads::check))
        .route("/v1/check/batch", post(reads::check_batch))
        .route("/v1/list", post(reads::list))
        .route("/v1/who", post(reads::who))
        .route("/v1/actions", post(reads::actions))
        .route("/v1/explain", post(reads::explain))
        .route("/v1/facts", post(writes::facts))
        .route("/v1/policy", put(writes::policy))
        .route("/v1/watch", get(watch::watch))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// The API's OpenAPI description.
const OPENAPI: &str = include_str!("openapi.yaml");

/// `GET /v1/openapi.yaml`.
async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/yaml")],
        OPENAPI,
    )
}

/// An opened service: the store, its writer thread and everything the
/// handlers share, ready to serve on a listener.
pub struct Service {
    state: AppState,
}

impl Service {
    /// Opens the store (switching it to `args.policy` first, if given) and
    /// starts the writer and the decision log.
    pub fn open(args: &ServeArgs) -> Result<Service, CliError> {
        let policy = args
            .policy
            .as_deref()
            .map(crate::load::read_source)
            .transpose()?;
        let (materializer, opened) = Materializer::open(&args.db, policy, &args.materializer)?;
        let store = Arc::clone(materializer.store());
        let served = ServedPolicy::of(&materializer);
        let epoch = store.committed_epoch()?;
        let metrics = Metrics::new(epoch, opened.tuples, &served.version)
            .map_err(|e| CliError::Other(format!("cannot set up the metrics: {e}")))?;
        let policy = Arc::new(RwLock::new(served));
        let (committed_tx, committed) = epoch_watch::channel(epoch);
        let writer = writer::spawn(
            materializer,
            committed_tx,
            Arc::clone(&policy),
            Arc::clone(&metrics),
        )?;
        let decisions = args
            .decision_log
            .as_deref()
            .map(DecisionLog::open)
            .transpose()?;
        let state = AppState {
            store,
            policy,
            committed,
            writer,
            token: args.token.as_deref().map(Arc::from),
            metrics,
            decisions,
            watchers: Arc::new(Semaphore::new(MAX_WATCHERS)),
        };
        Ok(Service { state })
    }

    /// Serves on `listener` until the task is dropped or the server fails.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<(), CliError> {
        axum::serve(listener, router(self.state))
            .await
            .map_err(|e| CliError::Other(format!("the server failed: {e}")))
    }
}

/// Opens the store and serves on `args.listen` until the process is
/// stopped.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let service = Service::open(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::Other(format!("cannot listen on {}: {e}", args.listen)))?;
        eprintln!(
            "permafrost serving {} on http://{}",
            args.db.display(),
            args.listen
        );
        service.serve(listener).await
    })
}
