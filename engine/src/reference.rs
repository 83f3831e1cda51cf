//! `engine::reference`: the reference evaluator, the oracle of every engine.
//!
//! It computes the perfect model of a checked program over a set of facts:
//! components in dependency order, each to its least fixpoint by semi-naive
//! iteration, negation only on earlier components, set semantics throughout,
//! `@current_unix_time` replaced by the requested time. It is meant to be
//! obviously correct rather than fast: plain nested-loop joins over sets,
//! helped by hash indexes on the bound columns.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::ast::{ArithOp, CmpOp};
use crate::program::{Expr, Literal, PredId, Program, Rule, Term};
use crate::value::{Fact, Value};

/// A tuple of a relation.
pub type Tuple = Vec<Value>;

/// The evaluated model: every relation of the program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    /// Tuples by predicate id.
    pub relations: Vec<BTreeSet<Tuple>>,
}

impl Model {
    /// The tuples of one predicate.
    pub fn tuples(&self, pred: PredId) -> impl Iterator<Item = &[Value]> {
        self.relations
            .get(pred)
            .into_iter()
            .flatten()
            .map(Vec::as_slice)
    }

    /// Whether the tuple is in the model.
    pub fn contains(&self, pred: PredId, tuple: &[Value]) -> bool {
        self.relations.get(pred).is_some_and(|r| r.contains(tuple))
    }
}

/// When each tuple of a model was first derived: `0` for a base fact, else
/// the evaluation round (counted across all components, in order) that first
/// derived it. Every tuple of rank `r > 0` has a rule instance whose positive
/// body atoms all have ranks below `r` — so following ranks downwards always
/// reaches base facts, even through recursive rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ranks {
    /// Ranks by predicate id, then tuple.
    pub relations: Vec<HashMap<Tuple, usize>>,
}

impl Ranks {
    /// The rank of a tuple, if it is in the model.
    pub fn get(&self, pred: PredId, tuple: &[Value]) -> Option<usize> {
        self.relations.get(pred)?.get(tuple).copied()
    }
}

/// Evaluates `program` over `facts` at time `now` (unix seconds).
///
/// Facts must have been validated against the program
/// ([`crate::facts::validate_fact`]); facts of unknown predicates are ignored.
pub fn evaluate<'a>(
    program: &Program,
    facts: impl IntoIterator<Item = &'a Fact>,
    now: i64,
) -> Model {
    run(program, facts, now, false).0
}

/// Like [`evaluate`], and also answers when each tuple was first derived
/// (what [`crate::explain`] follows to build finite derivations).
pub fn evaluate_ranked<'a>(
    program: &Program,
    facts: impl IntoIterator<Item = &'a Fact>,
    now: i64,
) -> (Model, Ranks) {
    let (model, ranks) = run(program, facts, now, true);
    (model, ranks.unwrap_or_default())
}

fn run<'a>(
    program: &Program,
    facts: impl IntoIterator<Item = &'a Fact>,
    now: i64,
    ranked: bool,
) -> (Model, Option<Ranks>) {
    let mut db = Database::new(program.predicates.len(), ranked);
    for fact in facts {
        if let Some(pred) = program.pred(&fact.predicate) {
            db.insert(pred, fact.args.clone());
        }
    }
    for component in &program.strata {
        let in_component: HashSet<PredId> = component.preds.iter().copied().collect();
        let rules: Vec<&Rule> = component.rules.iter().map(|r| &program.rules[*r]).collect();
        // First round: every rule over everything known so far.
        let mut delta: Vec<(PredId, Tuple)> = Vec::new();
        for rule in &rules {
            for tuple in derive(&mut db, rule, None, now) {
                delta.push((rule.head, tuple));
            }
        }
        let mut delta = db.insert_new(delta);
        if !component.recursive {
            continue;
        }
        // Semi-naive rounds: each rule once per recursive atom, with that
        // atom reading only the tuples that are new since the last round.
        while !delta.iter().all(HashSet::is_empty) {
            let mut next = Vec::new();
            for rule in &rules {
                for (position, literal) in rule.body.iter().enumerate() {
                    if let Literal::Atom {
                        pred,
                        negated: false,
                        ..
                    } = literal
                    {
                        if in_component.contains(pred) && !delta[*pred].is_empty() {
                            let mut seed = Seed {
                                position,
                                tuples: &delta[*pred],
                                indexes: HashMap::new(),
                            };
                            for tuple in derive(&mut db, rule, Some(&mut seed), now) {
                                next.push((rule.head, tuple));
                            }
                        }
                    }
                }
            }
            delta = db.insert_new(next);
        }
    }
    let ranks = db.ranks.map(|relations| Ranks { relations });
    (
        Model {
            relations: db.relations,
        },
        ranks,
    )
}

/// Relations with hash indexes on column subsets, kept up to date on insert.
struct Database {
    relations: Vec<BTreeSet<Tuple>>,
    indexes: HashMap<(PredId, Vec<usize>), HashMap<Tuple, Vec<Tuple>>>,
    /// When kept: each tuple's rank (see [`Ranks`]).
    ranks: Option<Vec<HashMap<Tuple, usize>>>,
    /// The rank of the tuples being inserted.
    round: usize,
}

impl Database {
    fn new(predicates: usize, ranked: bool) -> Self {
        Database {
            relations: vec![BTreeSet::new(); predicates],
            indexes: HashMap::new(),
            ranks: ranked.then(|| vec![HashMap::new(); predicates]),
            round: 0,
        }
    }

    fn insert(&mut self, pred: PredId, tuple: Tuple) -> bool {
        let Some(relation) = self.relations.get_mut(pred) else {
            return false;
        };
        if relation.contains(&tuple) {
            return false;
        }
        for ((p, columns), index) in &mut self.indexes {
            if *p == pred {
                let key = columns.iter().map(|c| tuple[*c].clone()).collect();
                index.entry(key).or_default().push(tuple.clone());
            }
        }
        if let Some(ranks) = self.ranks.as_mut().and_then(|r| r.get_mut(pred)) {
            ranks.insert(tuple.clone(), self.round);
        }
        relation.insert(tuple)
    }

    /// Inserts the tuples of one round, answering per predicate the tuples
    /// that were new.
    fn insert_new(&mut self, tuples: Vec<(PredId, Tuple)>) -> Vec<HashSet<Tuple>> {
        self.round += 1;
        let mut new = vec![HashSet::new(); self.relations.len()];
        for (pred, tuple) in tuples {
            if self.insert(pred, tuple.clone()) {
                new[pred].insert(tuple);
            }
        }
        new
    }

    /// The tuples of `pred` whose `columns` equal `key`.
    fn lookup(&mut self, pred: PredId, columns: &[usize], key: &[Value]) -> Vec<Tuple> {
        if columns.is_empty() {
            return self.relations[pred].iter().cloned().collect();
        }
        let relations = &self.relations;
        let index = self
            .indexes
            .entry((pred, columns.to_vec()))
            .or_insert_with(|| {
                let mut index: HashMap<Tuple, Vec<Tuple>> = HashMap::new();
                for tuple in &relations[pred] {
                    let key = columns.iter().map(|c| tuple[*c].clone()).collect();
                    index.entry(key).or_default().push(tuple.clone());
                }
                index
            });
        index.get(key).cloned().unwrap_or_default()
    }
}

/// Values of a rule's variables, by [`crate::program::VarId`] (`None` while unbound).
pub(crate) type Bindings = Vec<Option<Value>>;

/// The new tuples a semi-naive round feeds to one body position, with hash
/// indexes on the columns bound there (built on first use).
struct Seed<'a> {
    position: usize,
    tuples: &'a HashSet<Tuple>,
    indexes: HashMap<Vec<usize>, HashMap<Tuple, Vec<Tuple>>>,
}

impl Seed<'_> {
    fn lookup(&mut self, columns: &[usize], key: &[Value]) -> Vec<Tuple> {
        let tuples = self.tuples;
        let index = self.indexes.entry(columns.to_vec()).or_insert_with(|| {
            let mut index: HashMap<Tuple, Vec<Tuple>> = HashMap::new();
            for tuple in tuples {
                let key = columns.iter().map(|c| tuple[*c].clone()).collect();
                index.entry(key).or_default().push(tuple.clone());
            }
            index
        });
        index.get(key).cloned().unwrap_or_default()
    }
}

/// All head tuples of `rule`; with a seed, the body literal at its position
/// reads only the seed's tuples.
fn derive(db: &mut Database, rule: &Rule, mut seed: Option<&mut Seed<'_>>, now: i64) -> Vec<Tuple> {
    let mut out = Vec::new();
    let mut bindings = vec![None; rule.vars.len()];
    solve(db, rule, 0, &mut bindings, &mut seed, now, &mut out);
    out
}

fn solve(
    db: &mut Database,
    rule: &Rule,
    position: usize,
    bindings: &mut Bindings,
    seed: &mut Option<&mut Seed<'_>>,
    now: i64,
    out: &mut Vec<Tuple>,
) {
    let Some(literal) = rule.body.get(position) else {
        let head: Option<Tuple> = rule
            .head_args
            .iter()
            .map(|t| resolve(t, bindings))
            .collect();
        if let Some(head) = head {
            out.push(head);
        }
        return;
    };
    match literal {
        Literal::Atom {
            pred,
            args,
            negated: false,
        } => {
            let (columns, key) = bound_key(args, bindings);
            let candidates = match seed {
                Some(s) if s.position == position => s.lookup(&columns, &key),
                _ => db.lookup(*pred, &columns, &key),
            };
            for tuple in candidates {
                let saved = bindings.clone();
                if unify(args, &tuple, bindings) {
                    solve(db, rule, position + 1, bindings, seed, now, out);
                }
                *bindings = saved;
            }
        }
        Literal::Atom {
            pred,
            args,
            negated: true,
        } => {
            let (columns, key) = bound_key(args, bindings);
            if db.lookup(*pred, &columns, &key).is_empty() {
                solve(db, rule, position + 1, bindings, seed, now, out);
            }
        }
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
            if holds != *negated {
                solve(db, rule, position + 1, bindings, seed, now, out);
            }
        }
        Literal::Assign { var, expr } => {
            if let Some(value) = eval(expr, bindings, now) {
                bindings[*var] = Some(value);
                solve(db, rule, position + 1, bindings, seed, now, out);
                bindings[*var] = None;
            }
        }
        Literal::Type { term, test } => {
            if resolve(term, bindings).is_some_and(|v| test.accepts(&v)) {
                solve(db, rule, position + 1, bindings, seed, now, out);
            }
        }
    }
}

/// The columns of an atom whose values are known (constants and bound
/// variables), and those values.
pub(crate) fn bound_key(args: &[Term], bindings: &Bindings) -> (Vec<usize>, Vec<Value>) {
    args.iter()
        .enumerate()
        .filter_map(|(c, t)| resolve(t, bindings).map(|v| (c, v)))
        .unzip()
}

/// The value of a term under the bindings (`None` for `_` or unbound).
pub(crate) fn resolve(term: &Term, bindings: &Bindings) -> Option<Value> {
    match term {
        Term::Var(v) => bindings.get(*v).cloned().flatten(),
        Term::Const(c) => Some(c.clone()),
        Term::Wildcard => None,
    }
}

/// Matches a tuple against atom arguments, binding unbound variables.
pub(crate) fn unify(args: &[Term], tuple: &[Value], bindings: &mut Bindings) -> bool {
    args.iter().zip(tuple).all(|(term, value)| match term {
        Term::Wildcard => true,
        Term::Const(c) => c == value,
        Term::Var(v) => match &bindings[*v] {
            Some(bound) => bound == value,
            None => {
                bindings[*v] = Some(value.clone());
                true
            }
        },
    })
}

/// Evaluates an expression; `None` on overflow or a non-integer operand.
pub fn eval(expr: &Expr, bindings: &[Option<Value>], now: i64) -> Option<Value> {
    match expr {
        Expr::Term(t) => match t {
            Term::Var(v) => bindings.get(*v).cloned().flatten(),
            Term::Const(c) => Some(c.clone()),
            Term::Wildcard => None,
        },
        Expr::Now => Some(Value::Int(now)),
        Expr::Arith(op, a, b) => {
            let a = eval(a, bindings, now)?.as_int()?;
            let b = eval(b, bindings, now)?.as_int()?;
            let result = match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                ArithOp::Mul => a.checked_mul(b),
            };
            result.map(Value::Int)
        }
    }
}

/// A comparison: `=`/`!=` structural, ordering only between two integers or
/// two strings (strings by UTF-8 bytes), false for any other pair.
pub fn compare(op: CmpOp, left: &Value, right: &Value) -> bool {
    let order = match (left, right) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Str(a), Value::Str(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        _ => None,
    };
    holds(op, left == right, order)
}

/// Whether `op` holds between two values that are structurally `equal` and
/// ordered by `order` (`None` when ordering does not apply to the pair).
/// Shared by every engine so that comparison semantics cannot drift.
pub fn holds(op: CmpOp, equal: bool, order: Option<std::cmp::Ordering>) -> bool {
    match op {
        CmpOp::Eq => equal,
        CmpOp::Ne => !equal,
        CmpOp::Lt => order.is_some_and(|o| o.is_lt()),
        CmpOp::Le => order.is_some_and(|o| o.is_le()),
        CmpOp::Gt => order.is_some_and(|o| o.is_gt()),
        CmpOp::Ge => order.is_some_and(|o| o.is_ge()),
    }
}
