//! The read commands of a store: `check`, `list`, `who`, `actions` and
//! `query --db`. They open the store read-only (a RocksDB secondary), so
//! they answer while another process — `load`, `ingest` or `serve` — writes
//! it, and never touch the dataflow: every answer is at the committed epoch,
//! at a time (`--at`, unix seconds; default now) that the stored validities
//! are compared with.

use std::io::Write;
use std::path::Path;

use engine::facts::{answer_lines, parse_query};
use engine::program::{Query, Term};
use engine::{check_policy, Program, SourceFile, Value};
use storage::{Reader, Store, StoreError};

use crate::entity_arg::{parse_entity, parse_resource_type};
use crate::error::CliError;

/// A store opened for reading, with its policy.
pub struct StoreView {
    store: Store,
    program: Program,
}

impl StoreView {
    /// Opens the store in `dir` read-only and checks its stored policy.
    pub fn open(dir: &Path) -> Result<StoreView, CliError> {
        let store = Store::open_read_only(dir)?;
        let policy = store.read()?.policy()?.ok_or_else(|| {
            CliError::Other(format!(
                "store `{}` has no policy yet\n  help: load one with `permafrost load --db {} --policy FILE`",
                dir.display(),
                dir.display()
            ))
        })?;
        let source = SourceFile::new(format!("{} (stored policy)", dir.display()), policy.text);
        let program = check_policy(&source)?;
        Ok(StoreView { store, program })
    }

    /// The stored policy.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// A reader at the committed epoch.
    pub fn read(&self) -> Result<Reader<'_>, CliError> {
        Ok(self.store.read()?)
    }
}

/// `check ACTOR ACTION RESOURCE`: whether the tuple is materialized and
/// valid at `at`.
pub fn check(
    view: &StoreView,
    actor: &str,
    action: &str,
    resource: &str,
    at: i64,
) -> Result<bool, CliError> {
    let actor = parse_entity(view.program(), actor)?;
    let resource = parse_entity(view.program(), resource)?;
    Ok(view
        .read()?
        .check(&actor, &Value::str(action), &resource, at)?)
}

/// Where a paged answer starts and how long it may be.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    /// Continue after this cursor (from an earlier answer).
    pub cursor: Option<String>,
    /// At most this many rows.
    pub limit: Option<usize>,
}

/// `list ACTOR ACTION TYPE`: writes the resources (at `at`) one per line,
/// streamed; answers the cursor of the next page when the limit cut the
/// answer.
pub fn list(
    view: &StoreView,
    actor: &str,
    action: &str,
    resource_type: &str,
    page: &PageArgs,
    at: i64,
    out: &mut impl Write,
) -> Result<Option<String>, CliError> {
    let actor = parse_entity(view.program(), actor)?;
    let resource_type = parse_resource_type(view.program(), resource_type)?;
    let reader = view.read()?;
    let rows = reader.list(
        &actor,
        &Value::str(action),
        resource_type,
        page.cursor.as_deref(),
        page.limit.unwrap_or(usize::MAX),
        at,
    )?;
    write_page(rows, out)
}

/// `who ACTION RESOURCE`: writes the actors (at `at`) one per line,
/// streamed; answers the cursor of the next page when the limit cut the
/// answer.
pub fn who(
    view: &StoreView,
    action: &str,
    resource: &str,
    page: &PageArgs,
    at: i64,
    out: &mut impl Write,
) -> Result<Option<String>, CliError> {
    let resource = parse_entity(view.program(), resource)?;
    let reader = view.read()?;
    let rows = reader.who(
        &Value::str(action),
        &resource,
        page.cursor.as_deref(),
        page.limit.unwrap_or(usize::MAX),
        at,
    )?;
    write_page(rows, out)
}

fn write_page(
    mut rows: storage::Page<'_>,
    out: &mut impl Write,
) -> Result<Option<String>, CliError> {
    for value in rows.by_ref() {
        writeln!(out, "{}", value?).map_err(write_error)?;
    }
    Ok(rows.next_cursor())
}

/// `actions ACTOR RESOURCE`: the actions at `at`, sorted by canonical form.
pub fn actions(
    view: &StoreView,
    actor: &str,
    resource: &str,
    at: i64,
) -> Result<Vec<Value>, CliError> {
    let actor = parse_entity(view.program(), actor)?;
    let resource = parse_entity(view.program(), resource)?;
    Ok(view.read()?.actions(&actor, &resource, at)?)
}

/// `query --db DIR 'atom'`: the matching ground atoms of `allow` (valid at
/// `at`) or of a base relation, from the store, in the canonical output of
/// `query`.
pub fn query(view: &StoreView, atom: &str, at: i64) -> Result<Vec<String>, CliError> {
    let program = view.program();
    let query = parse_query(program, &SourceFile::new("<query>", atom.to_string()))?;
    let reader = view.read()?;
    let name = program.pred_name(query.pred);
    let tuples = if name == "allow" && query.args.len() == 3 {
        allow_tuples(&reader, &query, at)?
    } else if is_base(program, query.pred) {
        let mut tuples = Vec::new();
        for fact in reader.facts()? {
            let fact = fact?;
            if *fact.predicate == *name {
                tuples.push(fact.args);
            }
        }
        tuples
    } else {
        return Err(CliError::Other(format!(
            "`{name}` is derived but not stored; a store answers `allow` and the base relations\n  help: ask `permafrost query --policy` to evaluate `{name}` without a store"
        )));
    };
    Ok(answer_lines(
        program,
        &query,
        tuples.iter().map(Vec::as_slice),
    ))
}

/// Whether a relation holds only stored facts: declared, and the head of
/// no rule.
pub fn is_base(program: &Program, pred: usize) -> bool {
    program.predicates[pred].declared.is_some() && program.rules.iter().all(|r| r.head != pred)
}

/// The `allow` tuples valid at `at` that may match the query: through an
/// index when the resource and the actor or action are constants, else a
/// full scan (a resource may be any value, so a scan by resource type could
/// miss some).
fn allow_tuples(reader: &Reader<'_>, query: &Query, at: i64) -> Result<Vec<Vec<Value>>, CliError> {
    let constant = |i: usize| match &query.args[i] {
        Term::Const(value) => Some(value.clone()),
        _ => None,
    };
    let mut tuples = Vec::new();
    match (constant(0), constant(1), constant(2)) {
        (Some(actor), _, Some(resource)) => {
            for action in reader.actions(&actor, &resource, at)? {
                tuples.push(vec![actor.clone(), action, resource.clone()]);
            }
        }
        (_, Some(action), Some(resource)) => {
            for actor in reader.who(&action, &resource, None, usize::MAX, at)? {
                tuples.push(vec![actor?, action.clone(), resource.clone()]);
            }
        }
        _ => {
            for row in reader.permissions()? {
                let (p, validity) = row?;
                if validity.contains(at) {
                    tuples.push(vec![p.actor, p.action, p.resource]);
                }
            }
        }
    }
    Ok(tuples)
}

fn write_error(error: std::io::Error) -> CliError {
    CliError::Other(format!("cannot write the answer: {error}"))
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        CliError::Other(error.to_string())
    }
}
