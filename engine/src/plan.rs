//! `engine::plan`: checked rules to a small relational plan.
//!
//! Each rule becomes a linear pipeline over a *row* of the variables bound so
//! far: a scan of its first atom, then joins (on the bound columns and
//! constants of the next atom), antijoins for `not`, filters for comparisons
//! and type tests, bindings for `x = expr`, and finally the head. The plan is
//! grouped like the program: per component, recursive or not, in dependency
//! order. Its `Display` shows every rule as Datalog above its operators.

use std::collections::BTreeSet;
use std::fmt;

use crate::ast::{ArithOp, CmpOp};
use crate::program::{self, Literal, PredId, Program, Rule, Term, TypeTest, VarId};
use crate::value::Value;

/// Where a value comes from: a position of the current row, or a constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The row's value at this position.
    Row(usize),
    /// A constant.
    Const(Value),
}

/// What happens to a column of an atom that is not part of the join key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// A new variable: appended to the row.
    Bind,
    /// A variable bound earlier in the same atom: must equal that row slot.
    Same(usize),
    /// `_`: ignored.
    Ignore,
}

/// An integer expression over row slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanExpr {
    /// A slot or a constant.
    Slot(Slot),
    /// Integer arithmetic.
    Arith(ArithOp, Box<PlanExpr>, Box<PlanExpr>),
}

/// One operator of a rule pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Join with `pred` on `key_columns` (sorted), whose values come from
    /// `key`; the other columns are handled per `rest`.
    Join {
        /// The relation joined.
        pred: PredId,
        /// The relation's key columns, ascending.
        key_columns: Vec<usize>,
        /// The value of each key column.
        key: Vec<Slot>,
        /// The remaining columns, in column order.
        rest: Vec<(usize, Column)>,
    },
    /// Keep rows with no tuple of `pred` whose `key_columns` equal `key`.
    Antijoin {
        /// The relation.
        pred: PredId,
        /// The constrained columns, ascending (wildcards are left out).
        key_columns: Vec<usize>,
        /// The value of each.
        key: Vec<Slot>,
    },
    /// Keep rows where the comparison holds (or fails, when negated).
    Compare {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        left: PlanExpr,
        /// Right operand.
        right: PlanExpr,
        /// Whether negated.
        negated: bool,
    },
    /// Keep rows whose slot passes the type test.
    Type {
        /// The value tested.
        slot: Slot,
        /// The test.
        test: TypeTest,
    },
    /// Append the value of an expression (drop the row if it fails).
    Bind(PlanExpr),
    /// Restrict the row's validity to the times `T` at which
    /// `value OP T` holds (or fails, when negated): a comparison with
    /// `@current_unix_time`, normalized to have the time on the right.
    During {
        /// The operator, with the time on its right.
        op: CmpOp,
        /// The other operand.
        value: PlanExpr,
        /// Whether negated.
        negated: bool,
    },
}

/// Where a rule's rows start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// One empty row (a rule whose body has no positive atom).
    Unit,
    /// The tuples of `pred` matching constants, each column handled per
    /// `columns` (constants are checked, not bound).
    Scan {
        /// The relation.
        pred: PredId,
        /// Per column: a constant it must equal, or what to do with it.
        columns: Vec<Result<Column, Value>>,
    },
}

/// The pipeline of one rule.
#[derive(Clone, Debug)]
pub struct RulePlan {
    /// Index of the rule in [`Program::rules`].
    pub rule: usize,
    /// The predicate derived.
    pub head: PredId,
    /// The first rows.
    pub source: Source,
    /// The operators, in order.
    pub steps: Vec<Step>,
    /// The head tuple built from each final row.
    pub head_slots: Vec<Slot>,
    /// Whether its result depends on the time: it compares with
    /// `@current_unix_time` or reads a timed predicate.
    pub timed: bool,
}

/// The plan of one component.
#[derive(Clone, Debug)]
pub struct ComponentPlan {
    /// Its predicates.
    pub preds: Vec<PredId>,
    /// Whether it needs a fixpoint loop.
    pub recursive: bool,
    /// Its rules.
    pub rules: Vec<RulePlan>,
}

/// The plan of a whole program.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Components in dependency order.
    pub components: Vec<ComponentPlan>,
    /// The arity of every predicate, by id.
    pub arity: Vec<usize>,
    /// The predicates whose tuples depend on the time: their tuples carry a
    /// [`crate::validity::Validity`].
    pub timed: BTreeSet<PredId>,
}

impl Plan {
    /// Whether `pred`'s tuples carry a validity.
    pub fn is_timed(&self, pred: PredId) -> bool {
        self.timed.contains(&pred)
    }
}

/// Plans every rule of the program.
pub fn plan(program: &Program) -> Plan {
    let mut components: Vec<ComponentPlan> = program
        .strata
        .iter()
        .map(|component| ComponentPlan {
            preds: component.preds.clone(),
            recursive: component.recursive,
            rules: component
                .rules
                .iter()
                .map(|r| plan_rule(*r, &program.rules[*r]))
                .collect(),
        })
        .collect();
    let timed = mark_timed(&mut components);
    Plan {
        components,
        arity: program.predicates.iter().map(|p| p.arity).collect(),
        timed,
    }
}

/// Marks the rules whose results depend on the time, to a fixpoint: a rule
/// is timed when it compares with the time or reads a timed predicate, and a
/// predicate when one of its rules is. Answers the timed predicates.
fn mark_timed(components: &mut [ComponentPlan]) -> BTreeSet<PredId> {
    let mut timed = BTreeSet::new();
    loop {
        let mut changed = false;
        for rule in components.iter_mut().flat_map(|c| &mut c.rules) {
            if !rule.timed && rule.reads_time(&timed) {
                rule.timed = true;
                changed = true;
            }
            if rule.timed {
                changed |= timed.insert(rule.head);
            }
        }
        if !changed {
            return timed;
        }
    }
}

impl RulePlan {
    /// Whether the rule compares with the time or reads one of `timed`.
    fn reads_time(&self, timed: &BTreeSet<PredId>) -> bool {
        let source = matches!(&self.source, Source::Scan { pred, .. } if timed.contains(pred));
        source
            || self.steps.iter().any(|step| match step {
                Step::During { .. } => true,
                Step::Join { pred, .. } | Step::Antijoin { pred, .. } => timed.contains(pred),
                _ => false,
            })
    }
}

/// Variable positions in the row, as they get bound.
struct Layout(Vec<VarId>);

impl Layout {
    fn slot(&self, var: VarId) -> Option<usize> {
        self.0.iter().position(|v| *v == var)
    }

    fn term(&self, term: &Term) -> Option<Slot> {
        match term {
            Term::Var(v) => self.slot(*v).map(Slot::Row),
            Term::Const(c) => Some(Slot::Const(c.clone())),
            Term::Wildcard => None,
        }
    }

    fn expr(&self, expr: &program::Expr) -> PlanExpr {
        match expr {
            program::Expr::Term(t) => {
                PlanExpr::Slot(self.term(t).unwrap_or(Slot::Const(Value::Bool(false))))
            }
            // The checks allow the time only as a whole side of a
            // comparison, which becomes `Step::During`.
            program::Expr::Now => PlanExpr::Slot(Slot::Const(Value::Bool(false))),
            program::Expr::Arith(op, a, b) => {
                PlanExpr::Arith(*op, Box::new(self.expr(a)), Box::new(self.expr(b)))
            }
        }
    }

    /// How the columns of an atom that are not bound yet are handled;
    /// appends the new variables to the layout.
    fn bind_columns(&mut self, args: &[Term], skip: &[usize]) -> Vec<(usize, Column)> {
        let mut rest = Vec::new();
        for (column, term) in args.iter().enumerate() {
            if skip.contains(&column) {
                continue;
            }
            let handling = match term {
                Term::Var(v) => match self.slot(*v) {
                    Some(slot) => Column::Same(slot),
                    None => {
                        self.0.push(*v);
                        Column::Bind
                    }
                },
                Term::Wildcard | Term::Const(_) => Column::Ignore,
            };
            rest.push((column, handling));
        }
        rest
    }
}

fn plan_rule(index: usize, rule: &Rule) -> RulePlan {
    let mut layout = Layout(Vec::new());
    let mut steps = Vec::new();
    // Rows start from the first positive atom, unless a binding `x = expr`
    // comes before it (then from one empty row, and the atom is a join).
    let first_atom = rule
        .body
        .iter()
        .take_while(|l| !matches!(l, Literal::Assign { .. }))
        .position(|l| matches!(l, Literal::Atom { negated: false, .. }));
    let mut source = Source::Unit;
    if let Some(Literal::Atom { pred, args, .. }) = first_atom.and_then(|i| rule.body.get(i)) {
        let rest = layout.bind_columns(args, &[]);
        let columns = args
            .iter()
            .zip(rest)
            .map(|(term, (_, handling))| match term {
                Term::Const(c) => Err(c.clone()),
                _ => Ok(handling),
            })
            .collect();
        source = Source::Scan {
            pred: *pred,
            columns,
        };
    }
    for (position, literal) in rule.body.iter().enumerate() {
        if Some(position) == first_atom {
            continue;
        }
        steps.push(match literal {
            Literal::Atom {
                pred,
                args,
                negated: false,
            } => {
                let (key_columns, key) = key_of(&layout, args);
                let rest = layout.bind_columns(args, &key_columns);
                Step::Join {
                    pred: *pred,
                    key_columns,
                    key,
                    rest,
                }
            }
            Literal::Atom {
                pred,
                args,
                negated: true,
            } => {
                let (key_columns, key) = key_of(&layout, args);
                Step::Antijoin {
                    pred: *pred,
                    key_columns,
                    key,
                }
            }
            Literal::Compare {
                op,
                left,
                right,
                negated,
            } => match (left, right) {
                (other, program::Expr::Now) => Step::During {
                    op: *op,
                    value: layout.expr(other),
                    negated: *negated,
                },
                (program::Expr::Now, other) => Step::During {
                    op: op.flipped(),
                    value: layout.expr(other),
                    negated: *negated,
                },
                _ => Step::Compare {
                    op: *op,
                    left: layout.expr(left),
                    right: layout.expr(right),
                    negated: *negated,
                },
            },
            Literal::Assign { var, expr } => {
                let step = Step::Bind(layout.expr(expr));
                layout.0.push(*var);
                step
            }
            Literal::Type { term, test } => Step::Type {
                slot: layout.term(term).unwrap_or(Slot::Const(Value::Bool(false))),
                test: test.clone(),
            },
        });
    }
    let head_slots = rule
        .head_args
        .iter()
        .map(|t| layout.term(t).unwrap_or(Slot::Const(Value::Bool(false))))
        .collect();
    RulePlan {
        rule: index,
        head: rule.head,
        source,
        steps,
        head_slots,
        timed: false,
    }
}

/// The key of an atom: its columns holding constants or bound variables.
fn key_of(layout: &Layout, args: &[Term]) -> (Vec<usize>, Vec<Slot>) {
    args.iter()
        .enumerate()
        .filter_map(|(column, term)| match term {
            Term::Wildcard => None,
            t => layout.term(t).map(|slot| (column, slot)),
        })
        .unzip()
}

// ---------------------------------------------------------------- display

struct Named<'a>(&'a Program, &'a Rule);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Named(program, rule) = self;
        let term = |t: &Term| match t {
            Term::Var(v) => rule.vars.get(*v).cloned().unwrap_or_default(),
            Term::Const(c) => c.to_string(),
            Term::Wildcard => "_".to_string(),
        };
        fn expr(e: &program::Expr, term: &dyn Fn(&Term) -> String) -> String {
            match e {
                program::Expr::Term(t) => term(t),
                program::Expr::Now => "@current_unix_time".to_string(),
                program::Expr::Arith(op, a, b) => {
                    format!("({} {} {})", expr(a, term), op.symbol(), expr(b, term))
                }
            }
        }
        let args: Vec<String> = rule.head_args.iter().map(term).collect();
        write!(f, "{}({})", program.pred_name(rule.head), args.join(", "))?;
        let body: Vec<String> = rule
            .body
            .iter()
            .map(|l| match l {
                Literal::Atom {
                    pred,
                    args,
                    negated,
                } => format!(
                    "{}{}({})",
                    if *negated { "not " } else { "" },
                    program.pred_name(*pred),
                    args.iter().map(term).collect::<Vec<_>>().join(", ")
                ),
                Literal::Compare {
                    op,
                    left,
                    right,
                    negated,
                } => format!(
                    "{}{} {} {}",
                    if *negated { "not " } else { "" },
                    expr(left, &term),
                    op.symbol(),
                    expr(right, &term)
                ),
                Literal::Assign { var, expr: e } => format!(
                    "{} := {}",
                    rule.vars.get(*var).cloned().unwrap_or_default(),
                    expr(e, &term)
                ),
                Literal::Type { term: t, test } => {
                    format!("{} matches {}", term(t), describe_test(test))
                }
            })
            .collect();
        if !body.is_empty() {
            write!(f, " if {}", body.join(" and "))?;
        }
        f.write_str(";")
    }
}

fn describe_test(test: &TypeTest) -> String {
    match test {
        TypeTest::Entity(types) => types
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join("|"),
        TypeTest::String => "String".to_string(),
        TypeTest::Integer => "Integer".to_string(),
        TypeTest::Boolean => "Boolean".to_string(),
    }
}

fn slot(s: &Slot) -> String {
    match s {
        Slot::Row(i) => format!("#{i}"),
        Slot::Const(c) => c.to_string(),
    }
}

/// `column=slot, …` for a join or antijoin key.
fn key_text(columns: &[usize], key: &[Slot]) -> String {
    columns
        .iter()
        .zip(key)
        .map(|(c, s)| format!("{c}={}", slot(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plan_expr(e: &PlanExpr) -> String {
    match e {
        PlanExpr::Slot(s) => slot(s),
        PlanExpr::Arith(op, a, b) => format!("({} {} {})", plan_expr(a), op.symbol(), plan_expr(b)),
    }
}

/// A plan paired with its program, for display.
pub struct PlanDisplay<'a> {
    /// The program planned.
    pub program: &'a Program,
    /// Its plan.
    pub plan: &'a Plan,
}

impl fmt::Display for PlanDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let program = self.program;
        for (index, component) in self.plan.components.iter().enumerate() {
            if component.rules.is_empty() {
                continue;
            }
            let names: Vec<&str> = component
                .preds
                .iter()
                .map(|p| program.pred_name(*p))
                .collect();
            writeln!(
                f,
                "component {index} [{}]{}",
                names.join(", "),
                if component.recursive {
                    " (recursive: iterate to fixpoint)"
                } else {
                    ""
                }
            )?;
            for rule in &component.rules {
                let source_rule = &program.rules[rule.rule];
                writeln!(f, "  # {}", Named(program, source_rule))?;
                match &rule.source {
                    Source::Unit => writeln!(f, "    unit")?,
                    Source::Scan { pred, columns } => {
                        let cols: Vec<String> = columns
                            .iter()
                            .map(|c| match c {
                                Err(v) => format!("={v}"),
                                Ok(Column::Bind) => "bind".to_string(),
                                Ok(Column::Same(s)) => format!("=#{s}"),
                                Ok(Column::Ignore) => "_".to_string(),
                            })
                            .collect();
                        writeln!(
                            f,
                            "    scan {}({})",
                            program.pred_name(*pred),
                            cols.join(", ")
                        )?;
                    }
                }
                for step in &rule.steps {
                    match step {
                        Step::Join {
                            pred,
                            key_columns,
                            key,
                            rest,
                        } => {
                            let keys = key_text(key_columns, key);
                            let binds = rest.iter().filter(|(_, c)| *c == Column::Bind).count();
                            writeln!(
                                f,
                                "    join {} on [{}] binding {binds}",
                                program.pred_name(*pred),
                                keys
                            )?;
                        }
                        Step::Antijoin {
                            pred,
                            key_columns,
                            key,
                        } => {
                            let keys = key_text(key_columns, key);
                            writeln!(f, "    antijoin {} on [{}]", program.pred_name(*pred), keys)?;
                        }
                        Step::Compare {
                            op,
                            left,
                            right,
                            negated,
                        } => writeln!(
                            f,
                            "    filter {}{} {} {}",
                            if *negated { "not " } else { "" },
                            plan_expr(left),
                            op.symbol(),
                            plan_expr(right)
                        )?,
                        Step::Type { slot: s, test } => {
                            writeln!(f, "    filter {} matches {}", slot(s), describe_test(test))?
                        }
                        Step::Bind(e) => writeln!(f, "    bind {}", plan_expr(e))?,
                        Step::During { op, value, negated } => writeln!(
                            f,
                            "    valid when {}{} {} @current_unix_time",
                            if *negated { "not " } else { "" },
                            plan_expr(value),
                            op.symbol()
                        )?,
                    }
                }
                let head: Vec<String> = rule.head_slots.iter().map(slot).collect();
                writeln!(
                    f,
                    "    emit {}({})",
                    program.pred_name(rule.head),
                    head.join(", ")
                )?;
            }
            let timed = component.preds.iter().any(|p| self.plan.is_timed(*p));
            if timed {
                writeln!(f, "  union validities per tuple")?;
            } else if component.recursive || component.rules.len() > 1 {
                writeln!(f, "  distinct")?;
            }
        }
        Ok(())
    }
}
