//! The write and admin endpoints: `POST /v1/facts` (one atomic epoch per
//! request) and `PUT /v1/policy` (hot reload), both behind the bearer token
//! and both applied by the writer thread.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use engine::facts::validate_fact;
use engine::{Diagnostics, Fact, SourceFile};
use ingest::{Change, Op};
use serde::Deserialize;
use serde_json::{json, Value as Json_};

use super::writer::WriteError;
use super::{ApiError, AppState};

/// Most facts one request may change.
const MAX_FACTS: usize = 100_000;

/// `POST /v1/facts` body: deletes apply first, then inserts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactsRequest {
    #[serde(default)]
    inserts: Vec<Fact>,
    #[serde(default)]
    deletes: Vec<Fact>,
}

/// Answers 401 unless the request carries the server's bearer token; 403
/// if the server has none (writes are then disabled).
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this server has no token (--token-file or PERMAFROST_TOKEN): \
             writes and admin requests are disabled",
        ));
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given == Some(&**token) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token",
        ))
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Policy(diagnostics) => ApiError::bad_request(diagnostics.render()),
            WriteError::Refused(message) => {
                ApiError::bad_request(format!("{message}; nothing was changed"))
            }
            WriteError::Failed(message) => ApiError::internal(message),
        }
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
    let program = state.policy().program;
    let mut changes = Vec::new();
    for (op, list, name) in [
        (Op::Delete, &request.deletes, "deletes"),
        (Op::Insert, &request.inserts, "inserts"),
    ] {
        for (index, fact) in list.iter().enumerate() {
            validate_fact(&program, fact).map_err(|e| {
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
    // A policy switched in between may still refuse what the old one took.
    let epoch = state.writer.apply(changes).await?;
    Ok(Json(json!({ "epoch": epoch })))
}

/// `PUT /v1/policy`: the body is the policy text. It is checked first
/// (diagnostics answer 400, and the old policy keeps serving); then its
/// materialization is built from the stored facts beside the served one
/// and switched to in one epoch.
pub async fn policy(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Json<Json_>, ApiError> {
    authorize(&state, &headers)?;
    let source = SourceFile::new("PUT /v1/policy", body);
    match state.writer.switch_policy(source).await {
        Ok(switched) => Ok(Json(json!({
            "policy_version": &*switched.version,
            "epoch": switched.epoch,
            "granted": switched.granted,
            "revoked": switched.revoked,
            "regranted": switched.regranted,
        }))),
        Err(WriteError::Policy(diagnostics)) => Err(ApiError::bad_request(diagnostics.render())
            .with_details(json!({ "diagnostics": diagnostics_json(&diagnostics) }))),
        Err(other) => Err(other.into()),
    }
}

/// Each diagnostic as `{"message", "line", "column", "help"}`.
fn diagnostics_json(diagnostics: &Diagnostics) -> Json_ {
    diagnostics
        .0
        .iter()
        .map(|d| {
            let (line, column) = d.file.line_col(d.span.start);
            json!({ "message": d.message, "line": line, "column": column, "help": d.help })
        })
        .collect()
}
