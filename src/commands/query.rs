//! `permafrost query --policy P [--facts F]… [--events E] [--at T] 'atom'`:
//! evaluate without a store and print every matching ground atom.

use std::path::PathBuf;

use engine::dataflow::{Engine, EngineConfig, TimedModel};
use engine::facts::{answer_lines, parse_query};
use engine::plan::{plan, PlanDisplay};
use engine::reference::{self, Model};
use engine::{Fact, Program, SourceFile};
use ingest::{Change, FactSet, Op};

use crate::error::CliError;
use crate::load::{load_events, load_facts, load_policy, now};

/// What to evaluate.
#[derive(Debug)]
pub struct QueryArgs {
    /// The policy file.
    pub policy: PathBuf,
    /// Facts files, loaded in order.
    pub facts: Vec<PathBuf>,
    /// An event file applied after the facts.
    pub events: Option<PathBuf>,
    /// The time for `@current_unix_time` (default: now).
    pub at: Option<i64>,
    /// Which engine evaluates.
    pub engine: EngineKind,
    /// Dataflow workers.
    pub workers: usize,
    /// The query atom.
    pub query: String,
}

/// The engines `query` can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// The incremental dataflow: facts as the first epoch, then one epoch per
    /// event line.
    Dataflow,
    /// The reference evaluator, from scratch over the final facts.
    Reference,
}

/// The plan of a policy, as `--explain-plan` prints it.
pub fn explain_plan(policy: &std::path::Path) -> Result<String, CliError> {
    let program = load_policy(policy)?;
    let plan = plan(&program);
    Ok(PlanDisplay {
        program: &program,
        plan: &plan,
    }
    .to_string())
}

/// The answer lines, and how many event lines were rejected (reported on
/// stderr as they are found).
pub fn run(args: &QueryArgs) -> Result<(Vec<String>, usize), CliError> {
    let program = load_policy(&args.policy)?;
    let query = parse_query(&program, &SourceFile::new("<query>", args.query.clone()))?;
    let base = load_facts(&program, &args.facts)?;
    let mut epochs = Vec::new();
    let mut rejected_count = 0;
    if let Some(path) = &args.events {
        let (accepted, rejected) = load_events(&program, path)?;
        for line in &rejected {
            eprintln!("{}:{}: rejected: {}", path.display(), line.line, line.error);
        }
        rejected_count = rejected.len();
        epochs = accepted;
    }
    let now = args.at.unwrap_or_else(now);
    let model = match args.engine {
        EngineKind::Reference => {
            let mut facts = FactSet::new();
            facts.extend(base);
            for changes in &epochs {
                facts.apply(changes);
            }
            reference::evaluate(&program, facts.iter(), now)
        }
        EngineKind::Dataflow => {
            run_dataflow(&program, base, &epochs, now, args.workers, query.pred)?
        }
    };
    Ok((
        answer_lines(&program, &query, model.tuples(query.pred)),
        rejected_count,
    ))
}

/// The facts as epoch 1, then one epoch per event line; only `output` is
/// reported.
fn run_dataflow(
    program: &Program,
    base: Vec<Fact>,
    epochs: &[Vec<Change>],
    now: i64,
    workers: usize,
    output: usize,
) -> Result<Model, CliError> {
    let failed = |err: engine::dataflow::EngineError| CliError::Other(err.to_string());
    let mut engine = Engine::start(
        program,
        EngineConfig {
            workers,
            outputs: Some(vec![output]),
        },
    )
    .map_err(failed)?;
    let mut model = TimedModel::default();
    let first: Vec<(Fact, bool)> = base.into_iter().map(|f| (f, true)).collect();
    model.accumulate(&engine.apply(&first).map_err(failed)?);
    for changes in epochs {
        let changes: Vec<(Fact, bool)> = changes
            .iter()
            .map(|c| (c.fact.clone(), c.op == Op::Insert))
            .collect();
        model.accumulate(&engine.apply(&changes).map_err(failed)?);
    }
    Ok(model.at(now))
}
