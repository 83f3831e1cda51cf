//! The oracle loop shared by the dataflow's tests: epochs of changes into a
//! fresh engine, and after each epoch every relation, at every probe time,
//! against the reference evaluator with the time replaced by that value.

use std::collections::BTreeSet;

use engine::dataflow::{Engine, EngineConfig, TimedModel};
use engine::{reference, Fact, Program, Value};

/// Runs `epochs` (facts inserted or deleted, in order) on `workers` and
/// checks, after each, that the tuples valid at each of `times(present
/// facts)` equal the reference evaluator's model at that time. Diffs must
/// keep set semantics and never derive a tuple for no time at all.
/// `describe` names the case in failure messages.
pub fn matches_reference_at_every_time(
    program: &Program,
    epochs: &[Vec<(Fact, bool)>],
    workers: usize,
    times: impl Fn(&BTreeSet<Fact>) -> Vec<i64>,
    describe: &str,
) {
    let mut engine = Engine::start(
        program,
        EngineConfig {
            workers,
            outputs: None,
        },
    )
    .unwrap_or_else(|e| panic!("engine failed to start: {e}"));
    let mut present: BTreeSet<Fact> = BTreeSet::new();
    let mut model = TimedModel::default();
    for (index, changes) in epochs.iter().enumerate() {
        for (f, insert) in changes {
            if *insert {
                present.insert(f.clone());
            } else {
                present.remove(f);
            }
        }
        let diffs = engine
            .apply(changes)
            .unwrap_or_else(|e| panic!("epoch failed: {e}"));
        for (_, _, validity, diff) in &diffs.diffs {
            assert!(
                *diff == 1 || *diff == -1,
                "a diff of {diff}: set semantics broken"
            );
            assert!(!validity.is_never(), "a tuple derived for no time at all");
        }
        model.accumulate(&diffs);
        for now in times(&present) {
            let expected = reference::evaluate(program, present.iter(), now);
            let at = model.at(now);
            for pred in 0..program.predicates.len() {
                let got: BTreeSet<&[Value]> = at.tuples(pred).collect();
                let want: BTreeSet<&[Value]> = expected.tuples(pred).collect();
                assert_eq!(
                    got,
                    want,
                    "`{}` differs at time {now} after epoch {} on {workers} worker(s)\n{describe}",
                    program.pred_name(pred),
                    index + 1
                );
            }
        }
    }
}
