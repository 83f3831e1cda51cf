//! `permafrost serve`: the permission service (DESIGN.md §6), JSON over
//! HTTP with axum.
//!
//! Reads (`check`, `list`, `who`, `actions`) are answered from the store on
//! the request's task, at the committed epoch; `at_least_epoch` waits
//! (bounded) on a watch of the committed epoch. Writes (`facts`) go to one
//! writer thread that owns the [`Materializer`]: each request is one epoch,
//! validated whole before anything is applied.

mod reads;
mod writes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::Program;
use serde_json::json;
use storage::Store;
use tokio::sync::watch;

use crate::error::CliError;
use crate::materializer::{Materializer, MaterializerConfig};

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeArgs {
    /// The store.
    pub db: PathBuf,
    /// A policy to switch the store to first (default: the stored one).
    pub policy: Option<PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The bearer token of write and admin endpoints.
    pub token: Option<String>,
    /// Dataflow workers and time.
    pub materializer: MaterializerConfig,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    store: Arc<Store>,
    program: Arc<Program>,
    committed: watch::Receiver<u64>,
    writer: writes::WriterHandle,
    token: Option<Arc<str>>,
}

/// An error answer: a status and `{"error": "…"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn internal(message: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<storage::StoreError> for ApiError {
    fn from(error: storage::StoreError) -> Self {
        ApiError::internal(error)
    }
}

/// The routes of the API over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/v1/check", post(reads::check))
        .route("/v1/check/batch", post(reads::check_batch))
        .route("/v1/list", post(reads::list))
        .route("/v1/who", post(reads::who))
        .route("/v1/actions", post(reads::actions))
        .route("/v1/explain", post(reads::explain))
        .route("/v1/facts", post(writes::facts))
        .layer(axum::extract::DefaultBodyLimit::max(4 << 20))
        .with_state(state)
}

/// Opens the store and serves until the process is stopped.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let policy = args
        .policy
        .as_deref()
        .map(crate::load::read_source)
        .transpose()?;
    let (materializer, _) = Materializer::open(&args.db, policy, &args.materializer)?;
    let store = Arc::clone(materializer.store());
    let program = Arc::clone(materializer.program());
    let (committed_tx, committed) = watch::channel(store.committed_epoch()?);
    let writer = writes::spawn_writer(materializer, committed_tx)?;
    let state = AppState {
        store,
        program,
        committed,
        writer,
        token: args.token.as_deref().map(Arc::from),
    };
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
        axum::serve(listener, router(state))
            .await
            .map_err(|e| CliError::Other(format!("the server failed: {e}")))
    })
}
