//! The search state of an explanation over an evaluated model, and the
//! derivation of a true atom: guided by ranks, so it is always finite. The
//! attempts for a false atom are in [`super::deny`].

use std::collections::{HashMap, HashSet};

use crate::program::{Literal, PredId, Program, Rule};
use crate::reference::{bound_key, compare, eval, resolve, unify, Bindings, Model, Ranks, Tuple};
use crate::value::{Fact, Value};

use super::deny::MAX_TRIED_RULES;
use super::render;
use super::{Derivation, Step, MAX_PROOF_DEPTH};

/// One explanation's search state: the model, and hash indexes on it built
/// on first use.
pub(super) struct Search<'e> {
    pub(super) program: &'e Program,
    pub(super) model: &'e Model,
    pub(super) ranks: &'e Ranks,
    pub(super) now: i64,
    indexes: HashMap<(PredId, Vec<usize>), HashMap<Tuple, Vec<Tuple>>>,
    /// Whether some rule derives the predicate.
    pub(super) derived: Vec<bool>,
    /// Atoms whose denial is already reported (or being reported).
    pub(super) expanded: HashSet<(PredId, Tuple)>,
    /// Rules a denial may still report.
    pub(super) tried_left: usize,
}

impl<'e> Search<'e> {
    pub(super) fn new(program: &'e Program, model: &'e Model, ranks: &'e Ranks, now: i64) -> Self {
        let mut derived = vec![false; program.predicates.len()];
        for rule in &program.rules {
            if let Some(d) = derived.get_mut(rule.head) {
                *d = true;
            }
        }
        Search {
            program,
            model,
            ranks,
            now,
            indexes: HashMap::new(),
            derived,
            expanded: HashSet::new(),
            tried_left: MAX_TRIED_RULES,
        }
    }

    /// The tuples of `pred` whose `columns` equal `key`.
    pub(super) fn lookup(&mut self, pred: PredId, columns: &[usize], key: &[Value]) -> Vec<Tuple> {
        let relation = || self.model.relations.get(pred).into_iter().flatten();
        if columns.is_empty() {
            return relation().cloned().collect();
        }
        let index = self
            .indexes
            .entry((pred, columns.to_vec()))
            .or_insert_with(|| {
                let mut index: HashMap<Tuple, Vec<Tuple>> = HashMap::new();
                for tuple in self.model.relations.get(pred).into_iter().flatten() {
                    let key = columns.iter().map(|c| tuple[*c].clone()).collect();
                    index.entry(key).or_default().push(tuple.clone());
                }
                index
            });
        index.get(key).cloned().unwrap_or_default()
    }

    pub(super) fn rules_of(&self, pred: PredId) -> impl Iterator<Item = (usize, &'e Rule)> {
        let rules: &'e [Rule] = &self.program.rules;
        rules
            .iter()
            .enumerate()
            .filter(move |(_, r)| r.head == pred)
    }

    // ------------------------------------------------------------ proofs

    /// A derivation of `pred(tuple)`, which must be in the model.
    pub(super) fn prove(
        &mut self,
        pred: PredId,
        tuple: &[Value],
        depth: usize,
    ) -> Option<Derivation> {
        let rank = self.ranks.get(pred, tuple)?;
        let atom = Fact::new(self.program.pred_name(pred), tuple.to_vec());
        if rank == 0 {
            return Some(Derivation {
                atom,
                step: Step::Fact,
            });
        }
        if depth >= MAX_PROOF_DEPTH {
            return Some(Derivation {
                atom,
                step: Step::Elided,
            });
        }
        for (index, rule) in self.rules_of(pred) {
            let Some(mut bindings) = head_bindings(rule, tuple) else {
                continue;
            };
            let mut chosen = Vec::new();
            if let Some(children) = self.instance(rule, 0, &mut bindings, rank, &mut chosen, depth)
            {
                let conditions = rule
                    .body
                    .iter()
                    .filter_map(|literal| {
                        render::held(self.program, rule, literal, &bindings, self.now)
                    })
                    .collect();
                let step = Step::Rule {
                    rule_index: index,
                    line: self.program.source.line_col(rule.span.start).0,
                    rule_text: render::one_line(self.program.rule_text(rule)),
                    bindings: rule
                        .vars
                        .iter()
                        .zip(&bindings)
                        .filter_map(|(name, value)| Some((name.clone(), value.clone()?)))
                        .collect(),
                    conditions,
                    children,
                };
                return Some(Derivation { atom, step });
            }
        }
        None
    }

    /// Completes an instance of `rule` from body `position` on, using only
    /// atoms of rank below `rank`; answers the derivations of its positive
    /// atoms, leaving the instance's values in `bindings`.
    fn instance(
        &mut self,
        rule: &Rule,
        position: usize,
        bindings: &mut Bindings,
        rank: usize,
        chosen: &mut Vec<(PredId, Tuple)>,
        depth: usize,
    ) -> Option<Vec<Derivation>> {
        let Some(literal) = rule.body.get(position) else {
            let chosen = chosen.clone();
            return chosen
                .iter()
                .map(|(pred, tuple)| self.prove(*pred, tuple, depth + 1))
                .collect();
        };
        if let Literal::Atom {
            pred,
            args,
            negated: false,
        } = literal
        {
            let (columns, key) = bound_key(args, bindings);
            for tuple in self.lookup(*pred, &columns, &key) {
                if self.ranks.get(*pred, &tuple).is_none_or(|r| r >= rank) {
                    continue;
                }
                let saved = bindings.clone();
                if unify(args, &tuple, bindings) {
                    chosen.push((*pred, tuple));
                    let found = self.instance(rule, position + 1, bindings, rank, chosen, depth);
                    if found.is_some() {
                        return found;
                    }
                    chosen.pop();
                }
                *bindings = saved;
            }
            return None;
        }
        let saved = bindings.clone();
        if self.passes(literal, bindings) {
            let found = self.instance(rule, position + 1, bindings, rank, chosen, depth);
            if found.is_some() {
                return found;
            }
        }
        *bindings = saved;
        None
    }

    /// Whether a literal other than a positive atom holds; an assignment
    /// binds its variable.
    pub(super) fn passes(&mut self, literal: &Literal, bindings: &mut Bindings) -> bool {
        if let Literal::Assign { var, expr } = literal {
            return match eval(expr, bindings, self.now) {
                Some(value) => {
                    if let Some(slot) = bindings.get_mut(*var) {
                        *slot = Some(value);
                    }
                    true
                }
                None => false,
            };
        }
        if let Literal::Atom {
            pred,
            args,
            negated: true,
        } = literal
        {
            let (columns, key) = bound_key(args, bindings);
            return self.lookup(*pred, &columns, &key).is_empty();
        }
        check(literal, bindings, self.now)
    }
}

/// The bindings of a rule's head variables to the goal's values; `None`
/// when the head cannot match (a different constant, or a repeated variable
/// seeing different values).
pub(super) fn head_bindings(rule: &Rule, tuple: &[Value]) -> Option<Bindings> {
    let mut bindings = vec![None; rule.vars.len()];
    (rule.head_args.len() == tuple.len() && unify(&rule.head_args, tuple, &mut bindings))
        .then_some(bindings)
}

/// Whether a comparison or a type test holds under the bindings.
fn check(literal: &Literal, bindings: &Bindings, now: i64) -> bool {
    match literal {
        Literal::Compare {
            op,
            left,
            right,
            negated,
        } => {
            let holds = match (eval(left, bindings, now), eval(right, bindings, now)) {
                (Some(l), Some(r)) => compare(*op, &l, &r),
                _ => false,
            };
            holds != *negated
        }
        Literal::Type { term, test } => resolve(term, bindings).is_some_and(|v| test.accepts(&v)),
        Literal::Atom { .. } | Literal::Assign { .. } => false,
    }
}
