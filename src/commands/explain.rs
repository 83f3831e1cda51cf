//! `permafrost explain`: why ACTOR may, or may not, do ACTION on RESOURCE.
//!
//! The facts come from a store (read-only, at its committed epoch, with its
//! stored policy) or from a policy and facts files; the reference evaluator
//! evaluates them at the requested time, and [`engine::explain`] answers a
//! derivation tree of rules and facts, or the rules that failed and where.

use std::io::Write;
use std::path::PathBuf;

use engine::explain::{Explainer, Explanation};
use engine::program::PredId;
use engine::{Fact, Program, Value};
use storage::StoreError;

use crate::commands::store_reads::StoreView;
use crate::entity_arg::parse_entity;
use crate::error::{CliError, EXIT_DENIED, EXIT_OK};
use crate::load::{load_facts, load_policy, now};

/// The arguments of `permafrost explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The store whose policy and facts to explain with (read-only).
    #[arg(long, required_unless_present = "policy", conflicts_with = "policy")]
    pub db: Option<PathBuf>,
    /// The policy file (explain without a store).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Facts files (`pred(args);` statements), with `--policy`.
    #[arg(long, requires = "policy")]
    pub facts: Vec<PathBuf>,
    /// The time, in unix seconds, for `@current_unix_time` (default: now).
    #[arg(long, allow_hyphen_values = true)]
    pub at: Option<i64>,
    /// Print the explanation as JSON (as `POST /v1/explain` answers).
    #[arg(long)]
    pub json: bool,
    /// The actor, `Type:id` or `Type{"id"}`.
    pub actor: String,
    /// The action, e.g. `read`.
    pub action: String,
    /// The resource, `Type:id` or `Type{"id"}`.
    pub resource: String,
}

/// Explains the check and prints it: `allowed` or `denied`, then the tree
/// (or the JSON with `--json`). Answers the exit status: 0 allowed, 1 denied.
pub fn run(args: &ExplainArgs) -> Result<i32, CliError> {
    let explanation = explain(args)?;
    let text = if args.json {
        let json = serde_json::to_string_pretty(&explanation)
            .map_err(|e| CliError::Other(format!("cannot write the explanation: {e}")))?;
        format!("{json}\n")
    } else {
        let verdict = if explanation.allowed() {
            "allowed"
        } else {
            "denied"
        };
        format!("{verdict}\n{explanation}")
    };
    // A closed pipe (`| head`) ends the output; nothing else to do.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(if explanation.allowed() {
        EXIT_OK
    } else {
        EXIT_DENIED
    })
}

/// The explanation of the check `args` describes.
pub fn explain(args: &ExplainArgs) -> Result<Explanation, CliError> {
    let now = args.at.unwrap_or_else(now);
    let explain_with = |program: &Program, facts: &[Fact]| {
        let (allow, goal) = allow_goal(program, &args.actor, &args.action, &args.resource)?;
        Ok(Explainer::new(program, facts, now).explain(allow, &goal))
    };
    match (&args.db, &args.policy) {
        (Some(db), _) => {
            let view = StoreView::open(db)?;
            let facts = view
                .read()?
                .facts()?
                .collect::<Result<Vec<Fact>, StoreError>>()?;
            explain_with(view.program(), &facts)
        }
        (None, Some(policy)) => {
            let program = load_policy(policy)?;
            let facts = load_facts(&program, &args.facts)?;
            explain_with(&program, &facts)
        }
        (None, None) => Err(CliError::Other(
            "give a store with `--db DIR` or a policy with `--policy FILE`".into(),
        )),
    }
}

/// The `allow` predicate and the tuple `(actor, action, resource)` of a
/// check given on the command line.
pub fn allow_goal(
    program: &Program,
    actor: &str,
    action: &str,
    resource: &str,
) -> Result<(PredId, Vec<Value>), CliError> {
    let allow = program
        .pred("allow")
        .filter(|p| program.predicates[*p].arity == 3)
        .ok_or_else(|| {
            CliError::Other(
                "the policy has no `allow(actor, action, resource)` to explain\n  help: explain other atoms with `permafrost repl`".into(),
            )
        })?;
    let actor = parse_entity(program, actor)?;
    let resource = parse_entity(program, resource)?;
    Ok((allow, vec![actor, Value::str(action), resource]))
}
