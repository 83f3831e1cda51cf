//! The read endpoints: answered from the store at the committed epoch,
//! after waiting (bounded) for `at_least_epoch`, at the time `at` (unix
//! seconds; default: the server's clock), which every answer echoes.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use engine::{Program, Value};
use serde::Deserialize;
use serde_json::{json, Value as Json_};

use super::decisions::Decision;
use super::{ApiError, AppState};

/// What every read shares: read-your-writes, and the time it is answered
/// at.
#[derive(Debug, Default, Deserialize)]
pub struct Consistency {
    /// Wait until this epoch is committed.
    at_least_epoch: Option<u64>,
    /// How long to wait, in ms (default 5000).
    timeout_ms: Option<u64>,
    /// The time of the answer, in unix seconds (default: now): a tuple
    /// counts if its validity holds then.
    at: Option<i64>,
}

impl Consistency {
    /// The time to answer at: the request's `at`, or now.
    fn at(&self) -> i64 {
        self.at.unwrap_or_else(crate::load::now)
    }
}

/// Most rows a page may hold.
const MAX_PAGE: usize = 10_000;

/// `POST /v1/check` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    actor: Value,
    action: String,
    resource: Value,
    #[serde(flatten)]
    consistency: Consistency,
}

/// `POST /v1/check/batch` body.
#[derive(Debug, Deserialize)]
pub struct BatchRequest {
    checks: Vec<CheckRequest>,
    #[serde(flatten)]
    consistency: Consistency,
}

/// `POST /v1/list` body.
#[derive(Debug, Deserialize)]
pub struct ListRequest {
    actor: Value,
    action: String,
    resource_type: String,
    limit: Option<usize>,
    cursor: Option<String>,
    #[serde(flatten)]
    consistency: Consistency,
}

/// `POST /v1/who` body.
#[derive(Debug, Deserialize)]
pub struct WhoRequest {
    action: String,
    resource: Value,
    limit: Option<usize>,
    cursor: Option<String>,
    #[serde(flatten)]
    consistency: Consistency,
}

/// `POST /v1/actions` body.
#[derive(Debug, Deserialize)]
pub struct ActionsRequest {
    actor: Value,
    resource: Value,
    #[serde(flatten)]
    consistency: Consistency,
}

/// Waits until `at_least_epoch` is committed, or answers 409.
async fn wait_for(state: &AppState, consistency: &Consistency) -> Result<(), ApiError> {
    let Some(wanted) = consistency.at_least_epoch else {
        return Ok(());
    };
    let mut committed = state.committed.clone();
    let timeout = Duration::from_millis(consistency.timeout_ms.unwrap_or(5000).min(60_000));
    let reached = tokio::time::timeout(timeout, committed.wait_for(|epoch| *epoch >= wanted)).await;
    match reached {
        Ok(Ok(_)) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("epoch {wanted} is not committed yet; retry later"),
        )),
    }
}

/// An entity of a type the policy declares, or 400.
fn entity(program: &Program, value: &Value, role: &str) -> Result<(), ApiError> {
    let Value::Entity(e) = value else {
        return Err(ApiError::bad_request(format!(
            "`{role}` must be an entity {{\"type\":…,\"id\":…}}, not {value}"
        )));
    };
    if program.actor_types.contains(&e.ty) || program.resource_types.contains(&e.ty) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "unknown entity type `{}` in `{role}`",
            e.ty
        )))
    }
}

/// Answers the checks at one epoch, each at its own `at` or else at `at`,
/// counted and logged as decisions; answers the results and the epoch.
fn decide(
    state: &AppState,
    checks: &[CheckRequest],
    at: i64,
) -> Result<(Vec<bool>, u64), ApiError> {
    let policy = state.policy();
    for check in checks {
        entity(&policy.program, &check.actor, "actor")?;
        entity(&policy.program, &check.resource, "resource")?;
    }
    let reader = state.store.read()?;
    let epoch = reader.epoch();
    let mut results = Vec::with_capacity(checks.len());
    for check in checks {
        let at = check.consistency.at.unwrap_or(at);
        let allowed = reader.check(
            &check.actor,
            &Value::str(check.action.as_str()),
            &check.resource,
            at,
        )?;
        if let Some(log) = &state.decisions {
            log.record(&Decision {
                actor: &check.actor,
                action: &check.action,
                resource: &check.resource,
                allowed,
                epoch,
                at,
                policy_version: &policy.version,
            });
        }
        results.push(allowed);
    }
    let allowed = results.iter().filter(|a| **a).count();
    state.metrics.decisions(allowed, results.len() - allowed);
    Ok((results, epoch))
}

/// `POST /v1/check`.
pub async fn check(
    State(state): State<AppState>,
    Json(request): Json<CheckRequest>,
) -> Result<Json<Json_>, ApiError> {
    wait_for(&state, &request.consistency).await?;
    let at = request.consistency.at();
    let (results, epoch) = decide(&state, std::slice::from_ref(&request), at)?;
    Ok(Json(json!({
        "allowed": results.first() == Some(&true),
        "epoch": epoch,
        "at": at,
    })))
}

/// `POST /v1/check/batch`: every check at one epoch.
pub async fn check_batch(
    State(state): State<AppState>,
    Json(request): Json<BatchRequest>,
) -> Result<Json<Json_>, ApiError> {
    if request.checks.len() > MAX_PAGE {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_PAGE} checks per batch"
        )));
    }
    wait_for(&state, &request.consistency).await?;
    let at = request.consistency.at();
    let (results, epoch) = decide(&state, &request.checks, at)?;
    Ok(Json(
        json!({ "results": results, "epoch": epoch, "at": at }),
    ))
}

/// `POST /v1/list`.
pub async fn list(
    State(state): State<AppState>,
    Json(request): Json<ListRequest>,
) -> Result<Json<Json_>, ApiError> {
    wait_for(&state, &request.consistency).await?;
    let program = state.policy().program;
    entity(&program, &request.actor, "actor")?;
    let ty = request.resource_type.as_str();
    if !program.resource_types.contains(ty) && !program.actor_types.contains(ty) {
        return Err(ApiError::bad_request(format!(
            "unknown resource type `{ty}`"
        )));
    }
    let reader = state.store.read()?;
    let limit = request.limit.unwrap_or(1000).min(MAX_PAGE);
    let at = request.consistency.at();
    let mut page = reader
        .list(
            &request.actor,
            &Value::str(request.action.as_str()),
            ty,
            request.cursor.as_deref(),
            limit,
            at,
        )
        .map_err(page_error)?;
    let resources = page.by_ref().collect::<Result<Vec<Value>, _>>()?;
    Ok(Json(json!({
        "resources": resources,
        "next_cursor": page.next_cursor(),
        "epoch": reader.epoch(),
        "at": at,
    })))
}

/// `POST /v1/who`.
pub async fn who(
    State(state): State<AppState>,
    Json(request): Json<WhoRequest>,
) -> Result<Json<Json_>, ApiError> {
    wait_for(&state, &request.consistency).await?;
    entity(&state.policy().program, &request.resource, "resource")?;
    let reader = state.store.read()?;
    let limit = request.limit.unwrap_or(1000).min(MAX_PAGE);
    let at = request.consistency.at();
    let mut page = reader
        .who(
            &Value::str(request.action.as_str()),
            &request.resource,
            request.cursor.as_deref(),
            limit,
            at,
        )
        .map_err(page_error)?;
    let actors = page.by_ref().collect::<Result<Vec<Value>, _>>()?;
    Ok(Json(json!({
        "actors": actors,
        "next_cursor": page.next_cursor(),
        "epoch": reader.epoch(),
        "at": at,
    })))
}

/// `POST /v1/actions`.
pub async fn actions(
    State(state): State<AppState>,
    Json(request): Json<ActionsRequest>,
) -> Result<Json<Json_>, ApiError> {
    wait_for(&state, &request.consistency).await?;
    let program = state.policy().program;
    entity(&program, &request.actor, "actor")?;
    entity(&program, &request.resource, "resource")?;
    let reader = state.store.read()?;
    let at = request.consistency.at();
    let actions = reader.actions(&request.actor, &request.resource, at)?;
    let names: Vec<Json_> = actions
        .iter()
        .map(|a| match a {
            Value::Str(s) => Json_::String(s.to_string()),
            other => Json_::String(other.to_string()),
        })
        .collect();
    Ok(Json(
        json!({ "actions": names, "epoch": reader.epoch(), "at": at }),
    ))
}

/// A bad cursor is the caller's mistake; anything else is ours.
fn page_error(error: storage::StoreError) -> ApiError {
    match error {
        storage::StoreError::BadCursor { .. } | storage::StoreError::InvalidTypeName { .. } => {
            ApiError::bad_request(error.to_string())
        }
        other => ApiError::internal(other),
    }
}

/// `POST /v1/explain`: why a check is allowed (a derivation tree of rules
/// and stored facts) or denied (the rules tried and what was missing),
/// evaluated by the reference evaluator over the facts at the committed
/// epoch, with `@current_unix_time` = `at`. A debugging endpoint: it evaluates the whole model per request,
/// on a blocking thread.
pub async fn explain(
    State(state): State<AppState>,
    Json(request): Json<CheckRequest>,
) -> Result<Json<Json_>, ApiError> {
    wait_for(&state, &request.consistency).await?;
    let program = state.policy().program;
    entity(&program, &request.actor, "actor")?;
    entity(&program, &request.resource, "resource")?;
    let allow = program
        .pred("allow")
        .filter(|p| program.predicates[*p].arity == 3)
        .ok_or_else(|| {
            ApiError::bad_request("the policy has no `allow(actor, action, resource)`")
        })?;
    let at = request.consistency.at();
    let answer = tokio::task::spawn_blocking(move || -> Result<Json_, ApiError> {
        let reader = state.store.read()?;
        let facts = reader.facts()?.collect::<Result<Vec<engine::Fact>, _>>()?;
        let goal = [
            request.actor,
            Value::str(request.action.as_str()),
            request.resource,
        ];
        let explainer = engine::explain::Explainer::new(&program, &facts, at);
        let mut answer =
            serde_json::to_value(explainer.explain(allow, &goal)).map_err(ApiError::internal)?;
        answer["epoch"] = json!(reader.epoch());
        answer["at"] = json!(at);
        Ok(answer)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(answer))
}
