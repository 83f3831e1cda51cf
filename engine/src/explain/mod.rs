//! `engine::explain`: why a ground atom holds, or why it does not.
//!
//! Where it sits in the flow of data: beside the [`crate::reference`]
//! evaluator, on the debugging path (`permafrost explain`, the REPL, `POST
//! /v1/explain`), never on the read path. The model is evaluated once with
//! ranks — the round in which each tuple was first derived
//! ([`crate::reference::Ranks`]). A true atom is then proved top down, by a
//! rule instance whose positive body atoms all have smaller ranks, so every
//! derivation is finite, even through recursive rules and cycles in the
//! facts. A false atom is explained by the rules whose heads match it and,
//! for each, the first body literal that fails under the bindings that got
//! furthest; a missing ground atom that rules could derive is explained in
//! turn, within fixed bounds.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::program::{PredId, Program};
use crate::reference::{evaluate_ranked, Model, Ranks};
use crate::value::{Fact, Value};

mod deny;
mod render;
mod search;
#[cfg(test)]
mod tests;

/// Why an atom holds, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Explanation {
    /// The atom holds: one derivation of it. Serialized as
    /// `{"allowed":true,"tree":{…}}`.
    Allowed(Derivation),
    /// The atom does not hold. Serialized as
    /// `{"allowed":false,"goal":"…","tried":[…]}`.
    Denied {
        /// The atom asked about.
        goal: Fact,
        /// The rules whose heads match it, each with why it failed; empty
        /// when no rule can derive the atom (then it could only be a fact).
        tried: Vec<TriedRule>,
    },
}

impl Explanation {
    /// Whether the atom holds.
    pub fn allowed(&self) -> bool {
        matches!(self, Explanation::Allowed(_))
    }
}

/// One node of a derivation tree: an atom and how it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Derivation {
    /// The atom (serialized in canonical text).
    #[serde(serialize_with = "render::as_text")]
    pub atom: Fact,
    /// How it holds.
    #[serde(flatten)]
    pub step: Step,
}

/// How an atom of a derivation holds. Serialized with `"kind"`: `"fact"`,
/// `"rule"` or `"elided"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// It is a stored base fact.
    Fact,
    /// It is the head of an instance of a rule.
    Rule {
        /// The rule's index in [`Program::rules`].
        rule_index: usize,
        /// The line of the policy where the rule is written.
        line: usize,
        /// The rule's source text on one line (comments dropped).
        rule_text: String,
        /// The values of the rule's variables in this instance.
        bindings: BTreeMap<String, Value>,
        /// The conditions of the body that held, in body order, instantiated:
        /// comparisons, negations (`not p(…)`), bindings and type tests
        /// (but not those of the head's specializers, which the head implies).
        conditions: Vec<String>,
        /// Derivations of the positive body atoms, in body order.
        children: Vec<Derivation>,
    },
    /// The atom holds, but its derivation is deeper than
    /// [`MAX_PROOF_DEPTH`] and is cut here.
    Elided,
}

/// A rule that could have derived a false atom, and why it did not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TriedRule {
    /// The rule's index in [`Program::rules`].
    pub rule_index: usize,
    /// The line of the policy where the rule is written.
    pub line: usize,
    /// The rule's source text on one line (comments dropped).
    pub rule_text: String,
    /// The first failing body literal under the bindings that got furthest
    /// (a few, when several bindings fail at the same literal).
    pub failures: Vec<Failure>,
}

/// A body literal that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What failed, e.g. ``no fact matches `manager(User{"x"}, _)` ``.
    pub reason: String,
    /// When the failing literal is a ground atom that rules could derive:
    /// why those rules did not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<TriedRule>,
}

/// Derivations deeper than this are cut with [`Step::Elided`].
pub const MAX_PROOF_DEPTH: usize = 256;

/// A program evaluated over facts at a time, ready to explain atoms.
#[derive(Debug)]
pub struct Explainer<'p> {
    program: &'p Program,
    model: Model,
    ranks: Ranks,
    now: i64,
}

impl<'p> Explainer<'p> {
    /// Evaluates `program` over `facts` (validated, as for
    /// [`crate::reference::evaluate`]) at time `now`.
    pub fn new<'a>(
        program: &'p Program,
        facts: impl IntoIterator<Item = &'a Fact>,
        now: i64,
    ) -> Self {
        let (model, ranks) = evaluate_ranked(program, facts, now);
        Explainer {
            program,
            model,
            ranks,
            now,
        }
    }

    /// The evaluated model (to answer queries from the same evaluation).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Why `pred(tuple)` holds or not.
    pub fn explain(&self, pred: PredId, tuple: &[Value]) -> Explanation {
        let mut search = search::Search::new(self.program, &self.model, &self.ranks, self.now);
        if self.ranks.get(pred, tuple).is_some() {
            if let Some(tree) = search.prove(pred, tuple, 0) {
                return Explanation::Allowed(tree);
            }
        }
        // Also reached if a true atom had no derivation, which ranks rule
        // out: the attempts then show what the search saw.
        Explanation::Denied {
            goal: Fact::new(self.program.pred_name(pred), tuple.to_vec()),
            tried: search.deny(pred, tuple, 0),
        }
    }

    /// Why a ground atom holds or not, by predicate name; a predicate the
    /// program does not know never holds.
    pub fn explain_fact(&self, goal: &Fact) -> Explanation {
        match self.program.pred(&goal.predicate) {
            Some(pred) => self.explain(pred, &goal.args),
            None => Explanation::Denied {
                goal: goal.clone(),
                tried: Vec::new(),
            },
        }
    }
}

/// Why `goal` holds or not in the model of `program` over `facts` at time
/// `now`: evaluates, then explains (use [`Explainer`] for several goals).
pub fn explain<'a>(
    program: &Program,
    facts: impl IntoIterator<Item = &'a Fact>,
    goal: &Fact,
    now: i64,
) -> Explanation {
    Explainer::new(program, facts, now).explain_fact(goal)
}
