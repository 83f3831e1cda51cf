//! `engine::dataflow`: a checked program as an incremental dataflow.
//!
//! [`Engine::start`] plans the program ([`crate::plan`]), renders it on
//! `workers` timely workers ([`render`]) and keeps them running. Each call to
//! [`Engine::apply`] is one epoch: the net fact changes go in, and once every
//! worker's probe has passed the epoch the exact diffs `(tuple, ±1)` of the
//! requested relations come back — what a store commits atomically.
//!
//! Workers are timely's own (`Config::process(n)`); the input is split among
//! them and every arrangement is exchanged by key, so answers do not depend on
//! the number of workers. Moving to timely's cluster mode changes the
//! `Config` only, plus an interner that agrees across processes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use std::time::Duration;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TryRecvError};
use differential_dataflow::input::{Input, InputSession};
use timely::communication::initialize::WorkerGuards;
use timely::dataflow::operators::probe::Handle as Probe;

use crate::plan::{plan, Plan};
use crate::program::{PredId, Program};
use crate::reference::Model;
use crate::validity::Validity;
use crate::value::{Fact, Value};

pub mod datum;
pub mod render;

use datum::{Interner, Row};
use render::{render_component, render_recursive, validity_of, Context, Rel, Relations};

/// How to run the engine.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Number of timely workers (threads), at least 1.
    pub workers: usize,
    /// Predicates whose diffs are reported; `None` for all.
    pub outputs: Option<Vec<PredId>>,
}

/// Why the engine failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Timely could not start its workers.
    #[error("cannot start dataflow workers: {0}")]
    Start(String),
    /// A worker stopped (it panicked or was shut down).
    #[error("a dataflow worker stopped unexpectedly")]
    WorkerLost,
    /// A fact of a predicate the program does not declare.
    #[error("`{0}` is not a declared base relation of the policy")]
    Undeclared(String),
}

/// The changes of one epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochDiffs {
    /// The epoch number (1 for the first `apply`).
    pub epoch: u64,
    /// Consolidated changes: predicate, tuple, its validity, +1 (derived)
    /// or -1 (retracted). A tuple whose validity changes is retracted with
    /// the old validity and derived with the new one; tuples of untimed
    /// predicates are valid always.
    pub diffs: Vec<(PredId, Vec<Value>, Validity, i64)>,
}

enum Command {
    Epoch {
        epoch: u64,
        updates: Arc<Vec<(PredId, Row, isize)>>,
    },
}

enum WorkerReport {
    /// Sent once at start: the worker thread, to wake it for commands.
    Started(std::thread::Thread),
    /// One epoch's captured diffs.
    Done(Vec<(PredId, Row, isize)>),
}

/// A running dataflow for one program.
pub struct Engine {
    interner: Arc<Interner>,
    commands: Vec<Sender<Command>>,
    done: Receiver<WorkerReport>,
    threads: Vec<std::thread::Thread>,
    guards: Option<WorkerGuards<()>>,
    epoch: u64,
    present: HashSet<(PredId, Row)>,
    by_name: HashMap<Arc<str>, PredId>,
    plan: Arc<Plan>,
}

impl Engine {
    /// Plans and starts the dataflow of `program`.
    pub fn start(program: &Program, config: EngineConfig) -> Result<Engine, EngineError> {
        let workers = config.workers.max(1);
        let interner = Interner::new();
        let plan = Arc::new(plan(program));
        let declared: Vec<PredId> = (0..program.predicates.len())
            .filter(|p| program.predicates[*p].declared.is_some())
            .collect();
        let outputs: Vec<PredId> = config
            .outputs
            .clone()
            .unwrap_or_else(|| (0..program.predicates.len()).collect());
        let (done_tx, done) = unbounded();
        let mut commands = Vec::new();
        let mut receivers = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = bounded::<Command>(4);
            commands.push(tx);
            receivers.push(rx);
        }
        let receivers = Arc::new(receivers);
        let context = Context {
            interner: Arc::clone(&interner),
            plan: Arc::clone(&plan),
        };
        let worker_plan = Arc::clone(&plan);
        let guards = timely::execute(timely::Config::process(workers), move |worker| {
            let index = worker.index();
            let Some(commands) = receivers.get(index).cloned() else {
                return;
            };
            run_worker(
                worker,
                &worker_plan,
                &declared,
                &outputs,
                &context,
                &commands,
                &done_tx,
            );
        })
        .map_err(EngineError::Start)?;
        let mut threads = Vec::new();
        for _ in 0..workers {
            match done.recv() {
                Ok(WorkerReport::Started(thread)) => threads.push(thread),
                _ => return Err(EngineError::WorkerLost),
            }
        }
        Ok(Engine {
            interner,
            commands,
            done,
            threads,
            guards: Some(guards),
            epoch: 0,
            present: HashSet::new(),
            by_name: program.by_name.clone(),
            plan,
        })
    }

    /// The plan being run.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The last completed epoch (0 before the first `apply`).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Applies one epoch of changes: `(fact, true)` inserts, `(fact, false)`
    /// deletes, in order, each with the no-op rule (inserting a present fact
    /// or deleting an absent one changes nothing). Facts must have been
    /// validated against the program. Answers the epoch's diffs.
    pub fn apply(&mut self, changes: &[(Fact, bool)]) -> Result<EpochDiffs, EngineError> {
        // Net effect per fact, in order: present before vs. present after.
        let mut after: HashMap<(PredId, Row), bool> = HashMap::new();
        for (fact, insert) in changes {
            let pred = *self
                .by_name
                .get(&fact.predicate)
                .ok_or_else(|| EngineError::Undeclared(fact.predicate.to_string()))?;
            let row = self.interner.encode_row(&fact.args);
            after.insert((pred, row), *insert);
        }
        let mut updates = Vec::new();
        for (key, present_after) in after {
            let present_before = self.present.contains(&key);
            if present_before == present_after {
                continue;
            }
            if present_after {
                self.present.insert(key.clone());
                updates.push((key.0, key.1, 1));
            } else {
                self.present.remove(&key);
                updates.push((key.0, key.1, -1));
            }
        }
        updates.sort();
        self.epoch += 1;
        let updates = Arc::new(updates);
        for commands in &self.commands {
            commands
                .send(Command::Epoch {
                    epoch: self.epoch,
                    updates: Arc::clone(&updates),
                })
                .map_err(|_| EngineError::WorkerLost)?;
        }
        for thread in &self.threads {
            thread.unpark();
        }
        let mut merged: HashMap<(PredId, Row), isize> = HashMap::new();
        for _ in 0..self.commands.len() {
            let Ok(WorkerReport::Done(diffs)) = self.done.recv() else {
                return Err(EngineError::WorkerLost);
            };
            for (pred, row, diff) in diffs {
                *merged.entry((pred, row)).or_default() += diff;
            }
        }
        let plan = &self.plan;
        let mut diffs: Vec<(PredId, Vec<Value>, Validity, i64)> = merged
            .into_iter()
            .filter(|(_, diff)| *diff != 0)
            .filter_map(|((pred, row), diff)| {
                let arity = plan.arity.get(pred).copied().unwrap_or(0);
                let values = self.interner.decode_row(row.get(..arity)?)?;
                let validity = Validity::from_intervals(validity_of(&row, arity));
                Some((pred, values, validity, diff as i64))
            })
            .collect();
        diffs.sort();
        Ok(EpochDiffs {
            epoch: self.epoch,
            diffs,
        })
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Closing the command channels ends the workers' loops.
        self.commands.clear();
        for thread in &self.threads {
            thread.unpark();
        }
        if let Some(guards) = self.guards.take() {
            drop(guards.join());
        }
    }
}

/// One worker: builds the dataflow, then runs epochs until the driver hangs up.
fn run_worker(
    worker: &mut timely::worker::Worker,
    plan: &Plan,
    declared: &[PredId],
    outputs: &[PredId],
    context: &Context,
    commands: &Receiver<Command>,
    done: &Sender<WorkerReport>,
) {
    if done
        .send(WorkerReport::Started(std::thread::current()))
        .is_err()
    {
        return;
    }
    let index = worker.index();
    let peers = worker.peers();
    let captured: std::rc::Rc<std::cell::RefCell<Vec<(PredId, Row, isize)>>> = Default::default();
    let probe = Probe::new();
    let (mut inputs, mut unit) = worker.dataflow::<u64, _, _>(|scope| {
        // Every worker must build the same operators in the same order:
        // ordered maps only.
        let mut inputs: BTreeMap<PredId, InputSession<u64, Row, isize>> = BTreeMap::new();
        let mut facts: BTreeMap<PredId, Rel<'_, u64>> = BTreeMap::new();
        for pred in declared {
            let (input, collection) = scope.new_collection::<Row, isize>();
            inputs.insert(*pred, input);
            facts.insert(*pred, collection);
        }
        let (unit_input, unit) = scope.new_collection::<Row, isize>();
        let mut relations = Relations::new(facts.clone());
        for component in &plan.components {
            if component.recursive {
                render_recursive(scope, &mut relations, component, &facts, &unit, context);
            } else {
                render_component(scope, &mut relations, component, &facts, &unit, context);
            }
        }
        for pred in outputs {
            if let Some(rel) = relations.collections.get(pred) {
                let captured = std::rc::Rc::clone(&captured);
                let pred = *pred;
                rel.clone()
                    .consolidate()
                    .inspect(move |(row, _time, diff)| {
                        captured.borrow_mut().push((pred, row.clone(), *diff))
                    })
                    .probe_with(&probe);
            }
        }
        (inputs, unit_input)
    });
    if index == 0 {
        unit.insert(Row::new());
    }
    // A worker keeps stepping between epochs: the others may still need the
    // progress messages its last steps produced. It parks when idle; timely
    // wakes it for messages of other workers, the driver for commands.
    loop {
        let (epoch, updates) = match commands.try_recv() {
            Ok(Command::Epoch { epoch, updates }) => (epoch, updates),
            Err(TryRecvError::Empty) => {
                worker.step_or_park(Some(Duration::from_millis(1)));
                continue;
            }
            Err(TryRecvError::Disconnected) => break,
        };
        for (position, (pred, row, diff)) in updates.iter().enumerate() {
            if position % peers == index {
                if let Some(input) = inputs.get_mut(pred) {
                    input.update(row.clone(), *diff);
                }
            }
        }
        for input in inputs.values_mut() {
            input.advance_to(epoch + 1);
            input.flush();
        }
        unit.advance_to(epoch + 1);
        unit.flush();
        // Park rather than spin while waiting for the other workers: on a
        // machine with as many cores as workers, a spinning worker takes the
        // core that the worker it waits for needs.
        while probe.less_than(&(epoch + 1)) {
            worker.step_or_park(Some(Duration::from_millis(1)));
        }
        let diffs = std::mem::take(&mut *captured.borrow_mut());
        if done.send(WorkerReport::Done(diffs)).is_err() {
            break;
        }
    }
}

/// The tuples of a model with the times at which they hold: what a
/// dataflow's diffs add up to. [`TimedModel::at`] is the model at one time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimedModel {
    /// Tuples by predicate id, with their validities.
    pub relations: Vec<BTreeMap<Vec<Value>, Validity>>,
}

impl TimedModel {
    /// Folds an epoch's diffs in: retractions first, then derivations, so
    /// a validity change (−old, +new) lands whatever the diffs' order.
    pub fn accumulate(&mut self, diffs: &EpochDiffs) {
        for (pred, tuple, validity, diff) in &diffs.diffs {
            if self.relations.len() <= *pred {
                self.relations.resize(*pred + 1, BTreeMap::new());
            }
            if *diff < 0 && self.relations[*pred].get(tuple) == Some(validity) {
                self.relations[*pred].remove(tuple);
            }
        }
        for (pred, tuple, validity, diff) in &diffs.diffs {
            if *diff > 0 {
                self.relations[*pred].insert(tuple.clone(), validity.clone());
            }
        }
    }

    /// The model at time `at`: the tuples whose validity contains it.
    pub fn at(&self, at: i64) -> Model {
        Model {
            relations: self
                .relations
                .iter()
                .map(|tuples| {
                    tuples
                        .iter()
                        .filter(|(_, validity)| validity.contains(at))
                        .map(|(tuple, _)| tuple.clone())
                        .collect()
                })
                .collect(),
        }
    }
}

/// The model of `program` over `facts`, with validities, computed by the
/// dataflow on `workers` workers in one epoch.
pub fn evaluate_timed(
    program: &Program,
    facts: &[Fact],
    workers: usize,
) -> Result<TimedModel, EngineError> {
    let mut engine = Engine::start(
        program,
        EngineConfig {
            workers,
            outputs: None,
        },
    )?;
    let changes: Vec<(Fact, bool)> = facts.iter().map(|f| (f.clone(), true)).collect();
    let mut model = TimedModel::default();
    model.accumulate(&engine.apply(&changes)?);
    Ok(model)
}

/// The model of `program` over `facts` at time `now`, computed by the
/// dataflow on `workers` workers in one epoch.
pub fn evaluate(
    program: &Program,
    facts: &[Fact],
    now: i64,
    workers: usize,
) -> Result<Model, EngineError> {
    Ok(evaluate_timed(program, facts, workers)?.at(now))
}
