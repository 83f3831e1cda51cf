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
//!
//! Time (DESIGN.md §3): a rule that compares with `@current_unix_time`, or
//! reads a timed predicate, runs with a [`Stamp`] on each row — the
//! [`Interval`] of times at which the row holds; a join intersects the
//! row's interval with the joined tuple's, a comparison with the time
//! restricts it ([`Validity::when`]), `not` of a timed predicate keeps the
//! times outside the union of the matching tuples' validities. A timed
//! relation holds one row per tuple, the tuple followed by its canonical
//! validity as `lo, hi` integer pairs ([`encode_validity`]); the union of a
//! tuple's derivations replaces `distinct`. Untimed rules carry the
//! zero-sized stamp `()`, so a policy without time pays nothing for it.

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

use smallvec::SmallVec;

use crate::ast::{ArithOp, CmpOp};
use crate::dataflow::datum::{Datum, DatumTest, Interner, Row};
use crate::plan::{Column, ComponentPlan, Plan, PlanExpr, RulePlan, Slot, Source, Step};
use crate::program::PredId;
use crate::validity::{Interval, Validity};

/// A relation in some scope.
pub type Rel<'s, T> = VecCollection<'s, T, Row, isize>;
type Arrangement<'s, T> = Arranged<'s, TraceAgent<ValSpine<Row, Row, T, isize>>>;

/// What the closures of a rendered rule share.
#[derive(Clone)]
pub struct Context {
    /// The interner, for string ordering and constants.
    pub interner: Arc<Interner>,
    /// The plan rendered: arities and timed predicates.
    pub plan: Arc<Plan>,
}

/// The validity a row carries through a rule: `()` in a rule that does not
/// depend on the time (every row holds always), an [`Interval`] in one that
/// does.
pub trait Stamp: differential_dataflow::ExchangeData + std::hash::Hash + Copy {
    /// The stamp of a row that holds always.
    fn always() -> Self;
    /// The stamp restricted to `interval`; `None` when nothing is left.
    /// Untimed rules only ever meet [`Interval::ALWAYS`].
    fn restrict(self, interval: Interval) -> Option<Self>;
    /// The times it stands for.
    fn interval(self) -> Interval;
}

impl Stamp for () {
    fn always() -> Self {}
    fn restrict(self, _interval: Interval) -> Option<Self> {
        Some(())
    }
    fn interval(self) -> Interval {
        Interval::ALWAYS
    }
}

impl Stamp for Interval {
    fn always() -> Self {
        Interval::ALWAYS
    }
    fn restrict(self, interval: Interval) -> Option<Self> {
        self.intersect(interval)
    }
    fn interval(self) -> Interval {
        self
    }
}

/// Rows with their stamps: a rule's pipeline.
type Stamped<'s, T, S> = VecCollection<'s, T, (Row, S), isize>;

/// Results of one operator on one row: usually one, sometimes none or a few.
type Few<S> = SmallVec<[(Row, S); 1]>;

/// The validity of a relation's row: the `lo, hi` pairs after its `arity`
/// columns, or always when there are none (an untimed relation).
pub fn validity_of(row: &[Datum], arity: usize) -> impl Iterator<Item = Interval> + '_ {
    let encoded = row.get(arity..).unwrap_or_default();
    let always = encoded.is_empty().then_some(Interval::ALWAYS);
    always
        .into_iter()
        .chain(encoded.chunks_exact(2).filter_map(|pair| match pair {
            [Datum::Int(lo), Datum::Int(hi)] => Interval::new(*lo, *hi),
            _ => None,
        }))
}

/// Appends a validity to a tuple, as `lo, hi` integer pairs.
pub fn encode_validity(row: &mut Row, intervals: impl IntoIterator<Item = Interval>) {
    for interval in intervals {
        row.push(Datum::Int(interval.lo));
        row.push(Datum::Int(interval.hi));
    }
}

/// The relations visible in one scope, with the arrangements and negation
/// keys built from them so far.
pub struct Relations<'s, T: Timestamp + Lattice + Ord> {
    /// Relation contents by predicate.
    pub collections: BTreeMap<PredId, Rel<'s, T>>,
    arrangements: BTreeMap<(PredId, Vec<usize>), Arrangement<'s, T>>,
    negation_keys: BTreeMap<(PredId, Vec<usize>), Rel<'s, T>>,
    complements: BTreeMap<(PredId, Vec<usize>), Stamped<'s, T, Interval>>,
}

impl<'s, T: Timestamp + Lattice + Ord> Relations<'s, T> {
    /// Relations over the given collections.
    pub fn new(collections: BTreeMap<PredId, Rel<'s, T>>) -> Self {
        Relations {
            collections,
            arrangements: BTreeMap::new(),
            negation_keys: BTreeMap::new(),
            complements: BTreeMap::new(),
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

    /// For `not` of a timed predicate: per key of `key_columns`, the times
    /// at which no tuple with that key holds, one record per interval (keys
    /// that hold always have none).
    fn complement(
        &mut self,
        pred: PredId,
        key_columns: &[usize],
        arity: usize,
    ) -> Option<Stamped<'s, T, Interval>> {
        let id = (pred, key_columns.to_vec());
        if let Some(complement) = self.complements.get(&id) {
            return Some(complement.clone());
        }
        let columns = key_columns.to_vec();
        let complement = united(self.collection(pred)?, arity, move |tuple| {
            project(tuple, &columns)
        })
        .flat_map(|(key, validity)| {
            validity
                .complement()
                .intervals()
                .iter()
                .map(|interval| (key.clone(), *interval))
                .collect::<Vec<_>>()
        });
        self.complements.insert(id, complement.clone());
        Some(complement)
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
        PlanExpr::Arith(op, a, b) => DataExpr::Arith(
            *op,
            Box::new(expr(interner, a)),
            Box::new(expr(interner, b)),
        ),
    }
}

/// Evaluates an expression; `None` on overflow or a non-integer operand.
fn eval(e: &DataExpr, row: &[Datum]) -> Option<Datum> {
    match e {
        DataExpr::Slot(s) => s.get(row),
        DataExpr::Arith(op, a, b) => {
            let (Datum::Int(a), Datum::Int(b)) = (eval(a, row)?, eval(b, row)?) else {
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

/// When `value OP T` holds (`value` being the other operand's result):
/// only an integer is ordered against the time; `!=` holds for any other
/// value, and a failed expression holds never.
fn during(value: Option<Datum>, op: CmpOp, negated: bool) -> Validity {
    let holds = match value {
        Some(Datum::Int(v)) => Validity::when(v, op),
        Some(_) if op == CmpOp::Ne => Validity::always(),
        _ => Validity::never(),
    };
    if negated {
        holds.complement()
    } else {
        holds
    }
}

/// Renders one rule: its head tuples with their stamps, with
/// multiplicities (not yet distinct).
fn render_rule<'s, T: Timestamp + Lattice + Ord, S: Stamp>(
    relations: &mut Relations<'s, T>,
    rule: &RulePlan,
    unit: Option<&Rel<'s, T>>,
    context: &Context,
) -> Option<Stamped<'s, T, S>> {
    let interner = &context.interner;
    let arity = |pred: PredId| context.plan.arity.get(pred).copied().unwrap_or(0);
    let mut rows: Stamped<'s, T, S> = match &rule.source {
        Source::Unit => unit?.clone().map(|row| (row, S::always())),
        Source::Scan { pred, columns } => {
            let columns: Vec<Result<Column, Datum>> = columns
                .iter()
                .map(|c| c.clone().map_err(|v| interner.encode(&v)))
                .collect();
            let arity = arity(*pred);
            relations.collection(*pred)?.flat_map(move |tuple| {
                let mut row = Row::new();
                for (column, handling) in columns.iter().enumerate() {
                    let Some(value) = tuple.get(column).copied() else {
                        return Few::new();
                    };
                    match handling {
                        Err(constant) if *constant != value => return Few::new(),
                        Ok(Column::Bind) => row.push(value),
                        Ok(Column::Same(slot)) if row.get(*slot) != Some(&value) => {
                            return Few::new()
                        }
                        _ => {}
                    }
                }
                validity_of(&tuple, arity)
                    .filter_map(|interval| S::always().restrict(interval))
                    .map(|stamp| (row.clone(), stamp))
                    .collect()
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
                let arity = arity(*pred);
                rows.map(move |(row, stamp)| (project_slots(&row, &key), (row, stamp)))
                    .join_core(arranged, move |_key, (row, stamp), tuple| {
                        let mut next = row.clone();
                        for (column, handling) in &rest {
                            let Some(value) = tuple.get(*column).copied() else {
                                return Few::new();
                            };
                            match handling {
                                Column::Bind => next.push(value),
                                Column::Same(slot) if next.get(*slot) != Some(&value) => {
                                    return Few::new()
                                }
                                _ => {}
                            }
                        }
                        validity_of(tuple, arity)
                            .filter_map(|interval| stamp.restrict(interval))
                            .map(|stamp| (next.clone(), stamp))
                            .collect::<Few<S>>()
                    })
            }
            Step::Antijoin {
                pred,
                key_columns,
                key,
            } => {
                let keys = relations.negation_key(*pred, key_columns)?;
                let key: Vec<DataSlot> = key.iter().map(|s| slot(interner, s)).collect();
                let keyed = rows.map(move |(row, stamp)| (project_slots(&row, &key), (row, stamp)));
                let absent = keyed.clone().antijoin(keys).map(|(_, row)| row);
                if context.plan.is_timed(*pred) {
                    // Where a key matches, the row holds outside the times
                    // at which the matching tuples hold.
                    let complement = relations.complement(*pred, key_columns, arity(*pred))?;
                    let outside = keyed.join_core(
                        complement.arrange_by_key(),
                        |_key, (row, stamp), interval| {
                            stamp.restrict(*interval).map(|stamp| (row.clone(), stamp))
                        },
                    );
                    absent.concat(outside)
                } else {
                    absent
                }
            }
            Step::Compare {
                op,
                left,
                right,
                negated,
            } => {
                let (left, right, op, negated) =
                    (expr(interner, left), expr(interner, right), *op, *negated);
                let interner = Arc::clone(interner);
                rows.filter(move |(row, _)| {
                    let holds = match (eval(&left, row), eval(&right, row)) {
                        (Some(l), Some(r)) => compare(&interner, op, l, r),
                        _ => false,
                    };
                    holds != negated
                })
            }
            Step::During { op, value, negated } => {
                let (value, op, negated) = (expr(interner, value), *op, *negated);
                rows.flat_map(move |(row, stamp)| {
                    during(eval(&value, &row), op, negated)
                        .intervals()
                        .iter()
                        .filter_map(|interval| stamp.restrict(*interval))
                        .map(|stamp| (row.clone(), stamp))
                        .collect::<Few<S>>()
                })
            }
            Step::Type { slot: s, test } => {
                let (s, test): (DataSlot, DatumTest) =
                    (slot(interner, s), interner.type_test(test));
                rows.filter(move |(row, _)| s.get(row).is_some_and(|d| test.accepts(&d)))
            }
            Step::Bind(e) => {
                let e = expr(interner, e);
                rows.flat_map(move |(mut row, stamp)| {
                    let value = eval(&e, &row)?;
                    row.push(value);
                    Some((row, stamp))
                })
            }
        };
    }
    let head: Vec<DataSlot> = rule.head_slots.iter().map(|s| slot(interner, s)).collect();
    Some(rows.flat_map(move |(row, stamp)| {
        let head = head.iter().map(|s| s.get(&row)).collect::<Option<Row>>()?;
        Some((head, stamp))
    }))
}

/// The values of `slots` in a row (a join or antijoin key).
fn project_slots(row: &[Datum], slots: &[DataSlot]) -> Row {
    slots.iter().filter_map(|s| s.get(row)).collect()
}

/// Renders a rule as rows of its head's relation: the head tuple, followed
/// by the row's interval when the head is timed.
fn render_head_rows<'s, T: Timestamp + Lattice + Ord>(
    relations: &mut Relations<'s, T>,
    rule: &RulePlan,
    unit: Option<&Rel<'s, T>>,
    context: &Context,
) -> Option<Rel<'s, T>> {
    let head_timed = context.plan.is_timed(rule.head);
    let stamped = move |(mut row, stamp): (Row, Interval)| {
        if head_timed {
            encode_validity(&mut row, [stamp]);
        }
        row
    };
    if rule.timed {
        Some(render_rule::<T, Interval>(relations, rule, unit, context)?.map(stamped))
    } else {
        Some(
            render_rule::<T, ()>(relations, rule, unit, context)?
                .map(move |(row, ())| stamped((row, Interval::ALWAYS))),
        )
    }
}

/// The relation of `pred` from the rows of its facts and rules: a set
/// (`distinct`) for an untimed predicate; for a timed one, one row per
/// tuple with the union of the validities of its rows.
fn set_of<'s, T: Timestamp + Lattice + Ord>(
    scope: Scope<'s, T>,
    pred: PredId,
    facts: Option<Rel<'s, T>>,
    mut parts: Vec<Rel<'s, T>>,
    context: &Context,
) -> Rel<'s, T> {
    if !context.plan.is_timed(pred) {
        parts.extend(facts);
        return concatenate(scope, parts).distinct();
    }
    // Facts hold always.
    parts.extend(facts.map(|f| {
        f.map(|mut tuple| {
            encode_validity(&mut tuple, [Interval::ALWAYS]);
            tuple
        })
    }));
    let arity = context.plan.arity.get(pred).copied().unwrap_or(0);
    united(concatenate(scope, parts), arity, move |row| {
        row.iter().take(arity).copied().collect()
    })
    .map(|(mut tuple, validity)| {
        encode_validity(&mut tuple, validity.intervals().iter().copied());
        tuple
    })
}

/// Per `key` of a relation's rows, the union of the validities of the rows
/// with that key (one record per key that holds at some time).
fn united<'s, T: Timestamp + Lattice + Ord>(
    rows: Rel<'s, T>,
    arity: usize,
    key: impl Fn(&[Datum]) -> Row + 'static,
) -> VecCollection<'s, T, (Row, Validity), isize> {
    rows.flat_map(move |row| {
        let key = key(&row);
        validity_of(&row, arity)
            .map(|interval| (key.clone(), interval))
            .collect::<Vec<_>>()
    })
    .reduce(|_key, intervals, out| {
        let held = intervals
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(interval, _)| **interval);
        out.push((Validity::from_intervals(held), 1));
    })
}

/// Renders a non-recursive component in the current scope: each predicate
/// becomes the set of its facts and its rules' results.
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
        if let Some(rows) = render_head_rows(relations, rule, Some(unit), context) {
            derived.entry(rule.head).or_default().push(rows);
        }
    }
    for pred in &component.preds {
        let parts: Vec<Rel<'s, T>> = derived.remove(pred).unwrap_or_default();
        if parts.is_empty() {
            if let Some(f) = facts.get(pred) {
                relations.collections.insert(*pred, f.clone());
            }
            continue;
        }
        let set = set_of(scope, *pred, facts.get(pred).cloned(), parts, context);
        relations.collections.insert(*pred, set);
    }
}

/// Renders a recursive component as a fixpoint in an iterative scope: one
/// variable per predicate, set to the set of its facts and rules' results.
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
                render_head_rows(&mut inner_relations, rule, inner_unit.as_ref(), context)
            {
                derived.entry(rule.head).or_default().push(rows);
            }
        }
        let mut results = Vec::new();
        for (pred, variable) in variables {
            let parts = derived.remove(&pred).unwrap_or_default();
            let result = set_of(inner, pred, inner_facts.get(&pred).cloned(), parts, context);
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
