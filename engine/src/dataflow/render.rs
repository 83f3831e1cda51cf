//! The plan rendered as differential-dataflow operators.
//!
//! Every relation is a collection of [`Row`]s. Rules join arrangements
//! keyed by (relation, key columns), built once per scope and shared by every
//! rule that needs them; recursive components run in an `iterative` scope
//! with one `Variable` per predicate (mutual recursion included); `not`
//! becomes an antijoin with the distinct projection of an earlier stratum;
//! each derived relation is made a set with `distinct`. Every worker must
//! build the same operators in the same order, so only ordered maps are
//! iterated here.

use std::collections::BTreeMap;
use std::sync::Arc;

use differential_dataflow::collection::concatenate;
use differential_dataflow::lattice::Lattice;
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::operators::iterate::VecVariable;
use differential_dataflow::trace::implementations::ValSpine;
use differential_dataflow::VecCollection;
use timely::dataflow::Scope;
use timely::order::Product;
use timely::progress::Timestamp;

use crate::ast::{ArithOp, CmpOp};
use crate::dataflow::datum::{Datum, DatumTest, Interner, Row};
use crate::plan::{Column, ComponentPlan, PlanExpr, RulePlan, Slot, Source, Step};
use crate::program::PredId;

/// A relation in some scope.
pub type Rel<'s, T> = VecCollection<'s, T, Row, isize>;
type Arrangement<'s, T> = Arranged<'s, TraceAgent<ValSpine<Row, Row, T, isize>>>;

/// What the closures of a rendered rule share.
#[derive(Clone)]
pub struct Context {
    /// The interner, for string ordering and constants.
    pub interner: Arc<Interner>,
    /// The value of `@current_unix_time`.
    pub now: i64,
}

/// The relations visible in one scope, with the arrangements and negation
/// keys built from them so far.
pub struct Relations<'s, T: Timestamp + Lattice + Ord> {
    /// Relation contents by predicate.
    pub collections: BTreeMap<PredId, Rel<'s, T>>,
    arrangements: BTreeMap<(PredId, Vec<usize>), Arrangement<'s, T>>,
    negation_keys: BTreeMap<(PredId, Vec<usize>), Rel<'s, T>>,
}

impl<'s, T: Timestamp + Lattice + Ord> Relations<'s, T> {
    /// Relations over the given collections.
    pub fn new(collections: BTreeMap<PredId, Rel<'s, T>>) -> Self {
        Relations {
            collections,
            arrangements: BTreeMap::new(),
            negation_keys: BTreeMap::new(),
        }
    }

    fn collection(&self, pred: PredId) -> Option<Rel<'s, T>> {
        self.collections.get(&pred).cloned()
    }

    /// `pred` arranged by its `key_columns` (the value is the whole tuple),
    /// built on first use and shared afterwards.
    fn arranged(&mut self, pred: PredId, key_columns: &[usize]) -> Option<Arrangement<'s, T>> {
        let id = (pred, key_columns.to_vec());
        if let Some(arranged) = self.arrangements.get(&id) {
            return Some(arranged.clone());
        }
        let columns = key_columns.to_vec();
        let arranged = self
            .collection(pred)?
            .map(move |tuple| (project(&tuple, &columns), tuple))
            .arrange_by_key();
        self.arrangements.insert(id, arranged.clone());
        Some(arranged)
    }

    /// The distinct projection of `pred` on `key_columns`, for antijoins.
    fn negation_key(&mut self, pred: PredId, key_columns: &[usize]) -> Option<Rel<'s, T>> {
        let id = (pred, key_columns.to_vec());
        if let Some(keys) = self.negation_keys.get(&id) {
            return Some(keys.clone());
        }
        let columns = key_columns.to_vec();
        let keys = self
            .collection(pred)?
            .map(move |tuple| project(&tuple, &columns))
            .distinct();
        self.negation_keys.insert(id, keys.clone());
        Some(keys)
    }
}

fn project(tuple: &[Datum], columns: &[usize]) -> Row {
    columns
        .iter()
        .filter_map(|c| tuple.get(*c).copied())
        .collect()
}

/// A plan slot with its constant encoded.
#[derive(Clone, Copy, Debug)]
enum DataSlot {
    Row(usize),
    Const(Datum),
}

impl DataSlot {
    fn get(self, row: &[Datum]) -> Option<Datum> {
        match self {
            DataSlot::Row(i) => row.get(i).copied(),
            DataSlot::Const(d) => Some(d),
        }
    }
}

#[derive(Clone, Debug)]
enum DataExpr {
    Slot(DataSlot),
    Now,
    Arith(ArithOp, Box<DataExpr>, Box<DataExpr>),
}

fn slot(interner: &Interner, slot: &Slot) -> DataSlot {
    match slot {
        Slot::Row(i) => DataSlot::Row(*i),
        Slot::Const(v) => DataSlot::Const(interner.encode(v)),
    }
}

fn expr(interner: &Interner, e: &PlanExpr) -> DataExpr {
    match e {
        PlanExpr::Slot(s) => DataExpr::Slot(slot(interner, s)),
        PlanExpr::Now => DataExpr::Now,
        PlanExpr::Arith(op, a, b) => DataExpr::Arith(
            *op,
            Box::new(expr(interner, a)),
            Box::new(expr(interner, b)),
        ),
    }
}

/// Evaluates an expression; `None` on overflow or a non-integer operand.
fn eval(e: &DataExpr, row: &[Datum], now: i64) -> Option<Datum> {
    match e {
        DataExpr::Slot(s) => s.get(row),
        DataExpr::Now => Some(Datum::Int(now)),
        DataExpr::Arith(op, a, b) => {
            let (Datum::Int(a), Datum::Int(b)) = (eval(a, row, now)?, eval(b, row, now)?) else {
                return None;
            };
            match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                ArithOp::Mul => a.checked_mul(b),
            }
            .map(Datum::Int)
        }
    }
}

/// The comparison semantics of `reference::compare`, over data.
fn compare(interner: &Interner, op: CmpOp, left: Datum, right: Datum) -> bool {
    let order = match (left, right) {
        (Datum::Int(a), Datum::Int(b)) => Some(a.cmp(&b)),
        (Datum::Str(a), Datum::Str(b)) if a == b => Some(std::cmp::Ordering::Equal),
        (Datum::Str(a), Datum::Str(b)) => match (interner.text(a), interner.text(b)) {
            (Some(a), Some(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            _ => None,
        },
        _ => None,
    };
    crate::reference::holds(op, left == right, order)
}

/// Renders one rule: its head tuples, with multiplicities (not yet distinct).
fn render_rule<'s, T: Timestamp + Lattice + Ord>(
    relations: &mut Relations<'s, T>,
    rule: &RulePlan,
    unit: Option<&Rel<'s, T>>,
    context: &Context,
) -> Option<Rel<'s, T>> {
    let interner = &context.interner;
    let mut rows = match &rule.source {
        Source::Unit => unit?.clone(),
        Source::Scan { pred, columns } => {
            let columns: Vec<Result<Column, Datum>> = columns
                .iter()
                .map(|c| c.clone().map_err(|v| interner.encode(&v)))
                .collect();
            relations.collection(*pred)?.flat_map(move |tuple| {
                let mut row = Row::new();
                for (column, handling) in columns.iter().enumerate() {
                    let value = tuple.get(column).copied()?;
                    match handling {
                        Err(constant) if *constant != value => return None,
                        Ok(Column::Bind) => row.push(value),
                        Ok(Column::Same(slot)) if row.get(*slot) != Some(&value) => return None,
                        _ => {}
                    }
                }
                Some(row)
            })
        }
    };
    for step in &rule.steps {
        rows = match step {
            Step::Join {
                pred,
                key_columns,
                key,
                rest,
            } => {
                let arranged = relations.arranged(*pred, key_columns)?;
                let key: Vec<DataSlot> = key.iter().map(|s| slot(interner, s)).collect();
                let rest = rest.clone();
                rows.map(move |row| (key.iter().filter_map(|s| s.get(&row)).collect::<Row>(), row))
                    .join_core(arranged, move |_key, row, tuple| {
                        let mut next = row.clone();
                        for (column, handling) in &rest {
                            let value = tuple.get(*column).copied()?;
                            match handling {
                                Column::Bind => next.push(value),
                                Column::Same(slot) if next.get(*slot) != Some(&value) => {
                                    return None
                                }
                                _ => {}
                            }
                        }
                        Some(next)
                    })
            }
            Step::Antijoin {
                pred,
                key_columns,
                key,
            } => {
                let keys = relations.negation_key(*pred, key_columns)?;
                let key: Vec<DataSlot> = key.iter().map(|s| slot(interner, s)).collect();
                rows.map(move |row| (key.iter().filter_map(|s| s.get(&row)).collect::<Row>(), row))
                    .antijoin(keys)
                    .map(|(_, row)| row)
            }
            Step::Compare {
                op,
                left,
                right,
                negated,
            } => {
                let (left, right, op, negated) =
                    (expr(interner, left), expr(interner, right), *op, *negated);
                let (interner, now) = (Arc::clone(interner), context.now);
                rows.filter(move |row| {
                    let holds = match (eval(&left, row, now), eval(&right, row, now)) {
                        (Some(l), Some(r)) => compare(&interner, op, l, r),
                        _ => false,
                    };
                    holds != negated
                })
            }
            Step::Type { slot: s, test } => {
                let (s, test): (DataSlot, DatumTest) =
                    (slot(interner, s), interner.type_test(test));
                rows.filter(move |row| s.get(row).is_some_and(|d| test.accepts(&d)))
            }
            Step::Bind(e) => {
                let (e, now) = (expr(interner, e), context.now);
                rows.flat_map(move |mut row| {
                    let value = eval(&e, &row, now)?;
                    row.push(value);
                    Some(row)
                })
            }
        };
    }
    let head: Vec<DataSlot> = rule.head_slots.iter().map(|s| slot(interner, s)).collect();
    Some(rows.flat_map(move |row| head.iter().map(|s| s.get(&row)).collect::<Option<Row>>()))
}

/// Renders a non-recursive component in the current scope: each predicate
/// becomes the distinct union of its facts and its rules' results.
pub fn render_component<'s, T: Timestamp + Lattice + Ord>(
    scope: Scope<'s, T>,
    relations: &mut Relations<'s, T>,
    component: &ComponentPlan,
    facts: &BTreeMap<PredId, Rel<'s, T>>,
    unit: &Rel<'s, T>,
    context: &Context,
) {
    let mut derived: BTreeMap<PredId, Vec<Rel<'s, T>>> = BTreeMap::new();
    for rule in &component.rules {
        if let Some(rows) = render_rule(relations, rule, Some(unit), context) {
            derived.entry(rule.head).or_default().push(rows);
        }
    }
    for pred in &component.preds {
        let mut parts: Vec<Rel<'s, T>> = derived.remove(pred).unwrap_or_default();
        if parts.is_empty() {
            if let Some(f) = facts.get(pred) {
                relations.collections.insert(*pred, f.clone());
            }
            continue;
        }
        parts.extend(facts.get(pred).cloned());
        relations
            .collections
            .insert(*pred, concatenate(scope, parts).distinct());
    }
}

/// Renders a recursive component as a fixpoint in an iterative scope: one
/// variable per predicate, set to the distinct union of its facts and rules.
pub fn render_recursive<'s>(
    scope: Scope<'s, u64>,
    relations: &mut Relations<'s, u64>,
    component: &ComponentPlan,
    facts: &BTreeMap<PredId, Rel<'s, u64>>,
    unit: &Rel<'s, u64>,
    context: &Context,
) {
    let results: Vec<(PredId, Rel<'s, u64>)> = scope.iterative::<u64, _, _>(|inner| {
        // Only the relations the rules read enter the loop.
        let used = used_preds(component);
        let mut entered: BTreeMap<PredId, Rel<'_, Product<u64, u64>>> = relations
            .collections
            .iter()
            .filter(|(pred, _)| used.contains(pred))
            .map(|(pred, rel)| (*pred, rel.clone().enter(inner)))
            .collect();
        let mut variables = Vec::new();
        for pred in &component.preds {
            let (variable, current) = VecVariable::new(inner, Product::new(Default::default(), 1));
            entered.insert(*pred, current);
            variables.push((*pred, variable));
        }
        let inner_facts: BTreeMap<PredId, Rel<'_, Product<u64, u64>>> = facts
            .iter()
            .filter(|(p, _)| component.preds.contains(p))
            .map(|(p, f)| (*p, f.clone().enter(inner)))
            .collect();
        // The unit enters the loop only when a rule starts from it.
        let needs_unit = component.rules.iter().any(|r| r.source == Source::Unit);
        let inner_unit = needs_unit.then(|| unit.clone().enter(inner));
        let mut inner_relations = Relations::new(entered);
        let mut derived: BTreeMap<PredId, Vec<Rel<'_, Product<u64, u64>>>> = BTreeMap::new();
        for rule in &component.rules {
            if let Some(rows) =
                render_rule(&mut inner_relations, rule, inner_unit.as_ref(), context)
            {
                derived.entry(rule.head).or_default().push(rows);
            }
        }
        let mut results = Vec::new();
        for (pred, variable) in variables {
            let mut parts = derived.remove(&pred).unwrap_or_default();
            parts.extend(inner_facts.get(&pred).cloned());
            let result = concatenate(inner, parts).distinct();
            variable.set(result.clone());
            results.push((pred, result.leave(scope)));
        }
        results
    });
    relations.collections.extend(results);
}

/// The predicates a component's rules read.
fn used_preds(component: &ComponentPlan) -> std::collections::BTreeSet<PredId> {
    let mut used = std::collections::BTreeSet::new();
    for rule in &component.rules {
        if let Source::Scan { pred, .. } = &rule.source {
            used.insert(*pred);
        }
        for step in &rule.steps {
            if let Step::Join { pred, .. } | Step::Antijoin { pred, .. } = step {
                used.insert(*pred);
            }
        }
    }
    used
}
