//! The failed attempts of the rules that could derive a false atom: for
//! each, the body literal it failed at under the bindings that got furthest,
//! and — for a missing ground atom that rules could derive — why those
//! failed in turn. Bounded in depth, rules and steps.

use crate::program::{Literal, PredId, Rule};
use crate::reference::{bound_key, resolve, unify, Bindings, Tuple};
use crate::value::{Fact, Value};

use super::render;
use super::search::{head_bindings, Search};
use super::{Failure, TriedRule};

/// How deep missing atoms of a denial are explained in turn.
const MAX_DENIAL_DEPTH: usize = 6;
/// How many rules one denial reports in all, nested ones included.
pub(super) const MAX_TRIED_RULES: usize = 64;
/// Literal evaluations per tried rule before its attempt stops.
const STEPS_PER_RULE: usize = 4096;
/// Failures reported per tried rule.
const FAILURES_PER_RULE: usize = 3;

/// The deepest failures of one rule's attempt.
struct Attempt {
    steps_left: usize,
    position: usize,
    failures: Vec<Bindings>,
}

impl Search<'_> {
    /// Why a literal failed under the bindings, in words.
    fn failure(&mut self, rule: &Rule, literal: &Literal, bindings: &Bindings) -> String {
        let mut witness = None;
        let mut derived = false;
        if let Literal::Atom {
            pred,
            args,
            negated,
        } = literal
        {
            derived = self.derived.get(*pred).copied().unwrap_or(false);
            if *negated {
                let (columns, key) = bound_key(args, bindings);
                witness = self
                    .lookup(*pred, &columns, &key)
                    .into_iter()
                    .next()
                    .map(|tuple| Fact::new(self.program.pred_name(*pred), tuple));
            }
        }
        render::failed(
            self.program,
            rule,
            literal,
            bindings,
            &render::Context {
                now: self.now,
                derived,
                witness,
            },
        )
    }

    /// The rules whose heads match the false atom `pred(tuple)`, each with
    /// the literal it failed at.
    pub(super) fn deny(&mut self, pred: PredId, tuple: &[Value], depth: usize) -> Vec<TriedRule> {
        self.expanded.insert((pred, tuple.to_vec()));
        let mut tried = Vec::new();
        for (index, rule) in self.rules_of(pred) {
            let Some(mut bindings) = head_bindings(rule, tuple) else {
                continue;
            };
            if !head_types_hold(rule, &bindings) {
                continue;
            }
            if self.tried_left == 0 {
                break;
            }
            self.tried_left -= 1;
            let mut attempt = Attempt {
                steps_left: STEPS_PER_RULE,
                position: 0,
                failures: Vec::new(),
            };
            self.attempt(rule, 0, &mut bindings, &mut attempt);
            let mut failures: Vec<Failure> = Vec::new();
            for bindings in &attempt.failures {
                let Some(literal) = rule.body.get(attempt.position) else {
                    continue;
                };
                let reason = self.failure(rule, literal, bindings);
                if failures.len() < FAILURES_PER_RULE && failures.iter().all(|f| f.reason != reason)
                {
                    let tried = self.deny_missing(literal, bindings, depth);
                    failures.push(Failure { reason, tried });
                }
            }
            tried.push(TriedRule {
                rule_index: index,
                line: self.program.source.line_col(rule.span.start).0,
                rule_text: render::one_line(self.program.rule_text(rule)),
                failures,
            });
        }
        tried
    }

    /// Explores instances of `rule` depth first, keeping the bindings that
    /// failed at the furthest body position.
    fn attempt(
        &mut self,
        rule: &Rule,
        position: usize,
        bindings: &mut Bindings,
        attempt: &mut Attempt,
    ) {
        let Some(literal) = rule.body.get(position) else {
            return;
        };
        if attempt.steps_left == 0 {
            return;
        }
        attempt.steps_left -= 1;
        let mut failed = true;
        if let Literal::Atom {
            pred,
            args,
            negated: false,
        } = literal
        {
            let (columns, key) = bound_key(args, bindings);
            for tuple in self.lookup(*pred, &columns, &key) {
                let saved = bindings.clone();
                if unify(args, &tuple, bindings) {
                    failed = false;
                    self.attempt(rule, position + 1, bindings, attempt);
                }
                *bindings = saved;
            }
        } else {
            let saved = bindings.clone();
            if self.passes(literal, bindings) {
                failed = false;
                self.attempt(rule, position + 1, bindings, attempt);
            }
            *bindings = saved;
        }
        if failed && position >= attempt.position {
            if position > attempt.position {
                attempt.position = position;
                attempt.failures.clear();
            }
            if attempt.failures.len() < 4 * FAILURES_PER_RULE {
                attempt.failures.push(bindings.clone());
            }
        }
    }

    /// Why a missing positive atom does not hold, when it is ground, rules
    /// could derive it and it is not already explained.
    fn deny_missing(
        &mut self,
        literal: &Literal,
        bindings: &Bindings,
        depth: usize,
    ) -> Vec<TriedRule> {
        let Literal::Atom {
            pred,
            args,
            negated: false,
        } = literal
        else {
            return Vec::new();
        };
        let ground: Option<Tuple> = args.iter().map(|t| resolve(t, bindings)).collect();
        match ground {
            Some(tuple)
                if depth < MAX_DENIAL_DEPTH
                    && self.derived.get(*pred).copied().unwrap_or(false)
                    && !self.expanded.contains(&(*pred, tuple.clone())) =>
            {
                self.deny(*pred, &tuple, depth + 1)
            }
            _ => Vec::new(),
        }
    }
}

/// Whether the type tests on head-bound variables (the head's
/// specializers) accept the goal's values.
fn head_types_hold(rule: &Rule, bindings: &Bindings) -> bool {
    rule.body.iter().all(|literal| match literal {
        Literal::Type { term, test } => {
            resolve(term, bindings).is_none_or(|value| test.accepts(&value))
        }
        _ => true,
    })
}
