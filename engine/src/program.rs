//! The checked program: what [`crate::check`] produces and every engine runs.
//!
//! Rules here are normalized: bodies are conjunctions (a rule with `or` becomes
//! several rules), negation sits on atoms and comparisons only, `x = expr`
//! bindings are explicit, head specializers are type tests, and each body is
//! listed in an order in which every literal's variables are bound before it
//! is used. Predicates are numbered; strata list the recursive components in
//! dependency order.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::ast::{ArithOp, CmpOp, Span};
use crate::diagnostic::SourceFile;
use crate::value::{Fact, Value};

/// Index of a predicate in [`Program::predicates`].
pub type PredId = usize;
/// Index of a variable in [`Rule::vars`].
pub type VarId = usize;

/// The declared type of a base relation's column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Entities of one type.
    Entity(Arc<str>),
    /// Entities of any type declared by an `actor` block.
    Actor,
    /// Entities of any type declared by a `resource` block.
    Resource,
    /// Strings.
    String,
    /// Integers.
    Integer,
    /// Booleans.
    Boolean,
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Entity(t) => f.write_str(t),
            ColumnType::Actor => f.write_str("Actor"),
            ColumnType::Resource => f.write_str("Resource"),
            ColumnType::String => f.write_str("String"),
            ColumnType::Integer => f.write_str("Integer"),
            ColumnType::Boolean => f.write_str("Boolean"),
        }
    }
}

/// A predicate of the program.
#[derive(Clone, Debug)]
pub struct Predicate {
    /// Its name.
    pub name: Arc<str>,
    /// Its arity.
    pub arity: usize,
    /// Column types when declared with `declare` (or implicitly by a
    /// resource block): facts may be inserted only for these.
    pub declared: Option<Vec<ColumnType>>,
}

/// A term of a normalized rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// A variable of the rule.
    Var(VarId),
    /// A constant.
    Const(Value),
    /// `_`: matches anything, binds nothing.
    Wildcard,
}

/// An integer expression in a comparison or a binding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A variable or constant (never a wildcard).
    Term(Term),
    /// `@current_unix_time`.
    Now,
    /// Integer arithmetic.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
}

/// What a type test accepts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeTest {
    /// Entities whose type is in the set.
    Entity(BTreeSet<Arc<str>>),
    /// Strings.
    String,
    /// Integers.
    Integer,
    /// Booleans.
    Boolean,
}

impl TypeTest {
    /// Whether `value` passes.
    pub fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (TypeTest::Entity(types), Value::Entity(e)) => types.contains(&e.ty),
            (TypeTest::String, Value::Str(_)) => true,
            (TypeTest::Integer, Value::Int(_)) => true,
            (TypeTest::Boolean, Value::Bool(_)) => true,
            _ => false,
        }
    }
}

/// One literal of a normalized rule body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Literal {
    /// `p(args)` or `not p(args)`.
    Atom {
        /// The predicate.
        pred: PredId,
        /// The arguments.
        args: Vec<Term>,
        /// Whether it is negated.
        negated: bool,
    },
    /// `left OP right`, or its negation.
    Compare {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        left: Expr,
        /// Right operand.
        right: Expr,
        /// Whether it is negated.
        negated: bool,
    },
    /// `var = expr` where `var` is not yet bound: binds it.
    Assign {
        /// The variable bound.
        var: VarId,
        /// Its value.
        expr: Expr,
    },
    /// A head specializer `x: Type` (or a relation's type in shorthand).
    Type {
        /// The term tested.
        term: Term,
        /// The types accepted.
        test: TypeTest,
    },
}

/// A normalized rule `head(args) if l1 and l2 and …`.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The predicate defined.
    pub head: PredId,
    /// Head arguments: variables bound by the body, or constants.
    pub head_args: Vec<Term>,
    /// The body in evaluation order.
    pub body: Vec<Literal>,
    /// Variable names, indexed by [`VarId`].
    pub vars: Vec<String>,
    /// Where the rule was written.
    pub span: Span,
}

/// A strongly connected component of the predicate dependency graph.
#[derive(Clone, Debug)]
pub struct Component {
    /// Its predicates.
    pub preds: Vec<PredId>,
    /// Indexes into [`Program::rules`] of the rules defining them.
    pub rules: Vec<usize>,
    /// Whether some rule's body uses a predicate of the component.
    pub recursive: bool,
}

/// A query `p(t, …)`: terms may be variables, constants or `_`.
#[derive(Clone, Debug)]
pub struct Query {
    /// The predicate.
    pub pred: PredId,
    /// The pattern.
    pub args: Vec<Term>,
    /// Variable names.
    pub vars: Vec<String>,
}

impl Query {
    /// Whether a tuple of the predicate matches the pattern (a repeated
    /// variable must see equal values).
    pub fn matches(&self, tuple: &[Value]) -> bool {
        let mut bound: Vec<Option<&Value>> = vec![None; self.vars.len()];
        tuple.len() == self.args.len()
            && self.args.iter().zip(tuple).all(|(term, value)| match term {
                Term::Wildcard => true,
                Term::Const(c) => c == value,
                Term::Var(v) => match bound.get(*v).copied().flatten() {
                    Some(seen) => seen == value,
                    None => {
                        if let Some(slot) = bound.get_mut(*v) {
                            *slot = Some(value);
                        }
                        true
                    }
                },
            })
    }
}

/// One assertion of a test block.
#[derive(Clone, Debug)]
pub struct Assertion {
    /// The atom queried.
    pub query: Query,
    /// Whether an answer is expected (`assert`) or not (`assert_not`).
    pub expect: bool,
    /// The assertion's text, for reports.
    pub text: String,
    /// Where it was written.
    pub span: Span,
}

/// A `test` block, checked.
#[derive(Clone, Debug)]
pub struct Test {
    /// The name.
    pub name: String,
    /// Setup facts.
    pub setup: Vec<Fact>,
    /// `at T;`, if given.
    pub at: Option<i64>,
    /// The assertions.
    pub asserts: Vec<Assertion>,
}

/// A checked policy, ready to be evaluated by any engine.
#[derive(Clone, Debug)]
pub struct Program {
    /// The policy source (for diagnostics and rule text).
    pub source: Arc<SourceFile>,
    /// All predicates.
    pub predicates: Vec<Predicate>,
    /// Predicate ids by name.
    pub by_name: HashMap<Arc<str>, PredId>,
    /// All rules.
    pub rules: Vec<Rule>,
    /// Components in dependency order: a component only uses its own and
    /// earlier components' predicates.
    pub strata: Vec<Component>,
    /// Types declared by `actor` blocks.
    pub actor_types: BTreeSet<Arc<str>>,
    /// Types declared by `resource` blocks.
    pub resource_types: BTreeSet<Arc<str>>,
    /// The test blocks.
    pub tests: Vec<Test>,
}

impl Program {
    /// The id of a predicate by name.
    pub fn pred(&self, name: &str) -> Option<PredId> {
        self.by_name.get(name).copied()
    }

    /// The predicate's name.
    pub fn pred_name(&self, pred: PredId) -> &str {
        self.predicates.get(pred).map_or("?", |p| &p.name)
    }

    /// Whether any rule mentions `@current_unix_time`.
    pub fn uses_time(&self) -> bool {
        fn expr_uses(e: &Expr) -> bool {
            match e {
                Expr::Now => true,
                Expr::Term(_) => false,
                Expr::Arith(_, a, b) => expr_uses(a) || expr_uses(b),
            }
        }
        self.rules.iter().flat_map(|r| &r.body).any(|l| match l {
            Literal::Compare { left, right, .. } => expr_uses(left) || expr_uses(right),
            Literal::Assign { expr, .. } => expr_uses(expr),
            _ => false,
        })
    }

    /// The source text of a rule (for plans and explanations).
    pub fn rule_text(&self, rule: &Rule) -> &str {
        self.source
            .text
            .get(rule.span.start..rule.span.end)
            .unwrap_or("")
    }
}
