//! The syntax tree of a policy, as written, with source spans.
//!
//! Spans are byte ranges into the source text. The tree is consumed by
//! [`crate::check`], which turns it into a [`crate::program::Program`].

/// A byte range in a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// Builds a span from its byte bounds.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name with its place in the source.
#[derive(Clone, Debug)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A string literal with its place in the source (already unescaped).
#[derive(Clone, Debug)]
pub struct StrLit {
    /// The unescaped text.
    pub value: String,
    /// Where it was written.
    pub span: Span,
}

/// A whole policy file.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Top-level statements in source order.
    pub items: Vec<Item>,
}

/// One top-level statement.
#[derive(Clone, Debug)]
pub enum Item {
    /// `actor T { … }` or `resource T { … }`.
    Block(Block),
    /// `declare p(T1, …);`.
    Declare(Declare),
    /// `head(args) [if body];`.
    Rule(RuleDef),
    /// `test "name" { … }`.
    Test(TestDef),
}

/// Whether a block declares an actor or a resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// `actor T { … }`.
    Actor,
    /// `resource T { … }`.
    Resource,
}

/// An `actor` or `resource` block.
#[derive(Clone, Debug)]
pub struct Block {
    /// Actor or resource.
    pub kind: BlockKind,
    /// The declared type name.
    pub name: Ident,
    /// Its members in source order.
    pub members: Vec<BlockMember>,
    /// The whole block.
    pub span: Span,
}

/// A statement inside a block.
#[derive(Clone, Debug)]
pub enum BlockMember {
    /// `roles = ["a", …];`.
    Roles(Vec<StrLit>, Span),
    /// `permissions = ["a", …];`.
    Permissions(Vec<StrLit>, Span),
    /// `relations = { name: Type, … };`.
    Relations(Vec<(Ident, Ident)>, Span),
    /// `"X" if "Y" [on "rel"];`.
    Shorthand(Shorthand),
}

/// A resource-block shorthand rule `"X" if "Y" [on "rel"];`.
#[derive(Clone, Debug)]
pub struct Shorthand {
    /// The role or permission granted.
    pub target: StrLit,
    /// The role or permission that grants it.
    pub condition: StrLit,
    /// The relation to follow, if any.
    pub via: Option<StrLit>,
    /// The whole statement.
    pub span: Span,
}

/// `declare p(T1, …, Tn);`.
#[derive(Clone, Debug)]
pub struct Declare {
    /// The predicate name.
    pub name: Ident,
    /// The column types.
    pub params: Vec<Ident>,
    /// The whole statement.
    pub span: Span,
}

/// A rule `head(params) if body;`, or a ground rule without body.
#[derive(Clone, Debug)]
pub struct RuleDef {
    /// The predicate defined.
    pub name: Ident,
    /// Head parameters.
    pub params: Vec<Param>,
    /// The body, absent for a ground rule.
    pub body: Option<Formula>,
    /// The whole rule.
    pub span: Span,
}

/// A head parameter: a term with an optional specializer `x: Type`.
#[derive(Clone, Debug)]
pub struct Param {
    /// The term.
    pub term: Term,
    /// The specializer type name.
    pub specializer: Option<Ident>,
}

/// A rule body.
#[derive(Clone, Debug)]
pub enum Formula {
    /// `p(t, …)`.
    Atom(Atom),
    /// `a and b and …`.
    And(Vec<Formula>),
    /// `a or b or …`.
    Or(Vec<Formula>),
    /// `not f`.
    Not(Box<Formula>, Span),
    /// `l OP r`.
    Compare(Compare),
    /// `x matches Type`: a type test.
    Matches(Term, Ident, Span),
}

impl Formula {
    /// The source range of the formula.
    pub fn span(&self) -> Span {
        match self {
            Formula::Atom(a) => a.span,
            Formula::And(fs) | Formula::Or(fs) => fs
                .iter()
                .map(Formula::span)
                .reduce(Span::to)
                .unwrap_or_default(),
            Formula::Not(_, span) | Formula::Matches(_, _, span) => *span,
            Formula::Compare(c) => c.span,
        }
    }
}

/// An atom `p(args)` as written; arguments are parsed as expressions so the
/// checks can point at misplaced arithmetic.
#[derive(Clone, Debug)]
pub struct Atom {
    /// The predicate name.
    pub name: Ident,
    /// The arguments.
    pub args: Vec<Expr>,
    /// The whole atom.
    pub span: Span,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator with its operands swapped: `a OP b` is `b OP.flipped() a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Ne => CmpOp::Ne,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
        }
    }
}

/// A comparison `left OP right`.
#[derive(Clone, Debug)]
pub struct Compare {
    /// The operator.
    pub op: CmpOp,
    /// Left operand.
    pub left: Expr,
    /// Right operand.
    pub right: Expr,
    /// The whole comparison.
    pub span: Span,
}

/// An integer operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
}

impl ArithOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
        }
    }
}

/// An expression: a term, `@current_unix_time`, or integer arithmetic.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A plain term.
    Term(Term),
    /// `@current_unix_time`.
    Now(Span),
    /// `left OP right`.
    Arith(ArithOp, Box<Expr>, Box<Expr>, Span),
}

impl Expr {
    /// The source range of the expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Term(t) => t.span(),
            Expr::Now(span) | Expr::Arith(_, _, _, span) => *span,
        }
    }
}

/// A term: variable, wildcard or constant.
#[derive(Clone, Debug)]
pub enum Term {
    /// A named variable.
    Var(Ident),
    /// `_`.
    Wildcard(Span),
    /// A constant.
    Const(Const, Span),
}

impl Term {
    /// The source range of the term.
    pub fn span(&self) -> Span {
        match self {
            Term::Var(id) => id.span,
            Term::Wildcard(span) | Term::Const(_, span) => *span,
        }
    }
}

/// A constant as written; entity types are checked later.
#[derive(Clone, Debug)]
pub enum Const {
    /// `"text"`.
    Str(String),
    /// `42`, `-7`.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// `Type{"id"}`.
    Entity(Ident, String),
}

/// A `test "name" { … }` block.
#[derive(Clone, Debug)]
pub struct TestDef {
    /// The test name.
    pub name: StrLit,
    /// Facts inserted before the assertions.
    pub setup: Vec<Atom>,
    /// `at T;`: the time the assertions are evaluated at.
    pub at: Option<(i64, Span)>,
    /// The assertions, in order.
    pub asserts: Vec<Assertion>,
    /// The whole block.
    pub span: Span,
}

/// `assert atom;` or `assert_not atom;`.
#[derive(Clone, Debug)]
pub struct Assertion {
    /// The atom queried.
    pub atom: Atom,
    /// True for `assert`, false for `assert_not`.
    pub expect: bool,
    /// The whole statement.
    pub span: Span,
}

/// The statements of a test block body (an intermediate of the parser).
#[derive(Clone, Debug)]
pub enum TestStatement {
    /// `setup { … }`.
    Setup(Vec<Atom>),
    /// `at T;`.
    At(i64, Span),
    /// `assert` / `assert_not`.
    Assert(Assertion),
}
