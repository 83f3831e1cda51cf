//! Rule normalization and safety.
//!
//! A rule as written becomes one or more [`program::Rule`]s: negation is
//! pushed onto atoms and comparisons (De Morgan, valid because every variable
//! under `not` is bound outside it), the body is expanded into disjunctive
//! normal form (one rule per disjunct), and each body is ordered so that every
//! variable is bound by a positive atom (or an `x = expr` binding) before a
//! negation, comparison, type test or the head uses it. Whatever cannot be
//! ordered that way is unsafe and reported.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::ast::{self, CmpOp, Formula, Span};
use crate::check::names::Names;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::program::{self, Expr, Literal, Term, VarId};

/// Past this many disjuncts a rule body is rejected rather than expanded.
const MAX_DISJUNCTS: usize = 1024;

/// Normalizes one rule (from the policy or expanded from shorthand).
pub fn normalize(
    file: &Arc<SourceFile>,
    names: &Names,
    rule: &ast::RuleDef,
    errors: &mut Diagnostics,
) -> Vec<program::Rule> {
    let Some(head) = names.resolve(file, &rule.name, rule.params.len(), errors) else {
        return Vec::new();
    };
    let mut vars = Vars::default();
    let mut head_args = Vec::new();
    let mut head_tests = Vec::new();
    for param in &rule.params {
        let term = match &param.term {
            ast::Term::Wildcard(span) => {
                errors.push(
                    Diagnostic::new(file, *span, "`_` in a rule head is unsafe").with_help(
                        "a head argument must be a constant or a variable bound by the body",
                    ),
                );
                return Vec::new();
            }
            ast::Term::Var(id) => Term::Var(vars.id(&id.name, id.span)),
            ast::Term::Const(c, _) => match names.constant(file, c, errors) {
                Some(value) => Term::Const(value),
                None => return Vec::new(),
            },
        };
        if let Some(ty) = &param.specializer {
            match names.schema.type_test(&ty.name) {
                Some(test) => head_tests.push(Literal::Type {
                    term: term.clone(),
                    test,
                }),
                None => {
                    errors.push(
                        Diagnostic::new(file, ty.span, format!("unknown type `{}`", ty.name))
                            .with_help(format!(
                                "a specializer is `Actor`, `Resource`, `String`, `Integer`, `Boolean` or an entity type; {}",
                                names.schema.types_help()
                            )),
                    );
                    return Vec::new();
                }
            }
        }
        head_args.push(term);
    }

    let mut reported = BTreeSet::new();
    let disjuncts = match &rule.body {
        None => vec![Vec::new()],
        Some(body) => {
            reported = only_under_not(file, body, errors);
            let disjuncts = dnf(body, false);
            if disjuncts.len() > MAX_DISJUNCTS {
                errors.push(
                    Diagnostic::new(
                        file,
                        body.span(),
                        format!(
                            "this body expands to {} alternatives (more than {MAX_DISJUNCTS})",
                            disjuncts.len()
                        ),
                    )
                    .with_help("split the rule into several rules or helper predicates"),
                );
                return Vec::new();
            }
            disjuncts
        }
    };

    let mut rules = Vec::new();
    for disjunct in disjuncts {
        let mut vars = vars.clone();
        let mut literals: Vec<(Literal, Span)> =
            head_tests.iter().map(|t| (t.clone(), rule.span)).collect();
        let mut ok = true;
        for (lit, negated) in disjunct {
            match lower(file, names, &mut vars, lit, negated, errors) {
                Some(l) => literals.push(l),
                None => ok = false,
            }
        }
        if !ok {
            continue;
        }
        if let Some(body) = schedule(
            file, &vars, &head_args, literals, rule.span, &reported, errors,
        ) {
            rules.push(program::Rule {
                head,
                head_args: head_args.clone(),
                body,
                vars: vars.names.clone(),
                span: rule.span,
            });
        }
    }
    rules
}

/// Variable numbering for one rule.
#[derive(Clone, Debug, Default)]
struct Vars {
    names: Vec<String>,
    spans: Vec<Span>,
    ids: HashMap<String, VarId>,
}

impl Vars {
    fn id(&mut self, name: &str, span: Span) -> VarId {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len();
        self.names.push(name.to_string());
        self.spans.push(span);
        self.ids.insert(name.to_string(), id);
        id
    }
}

/// Reports variables that occur only under `not`: they would be existential,
/// and only `_` may be.
fn only_under_not(
    file: &Arc<SourceFile>,
    body: &Formula,
    errors: &mut Diagnostics,
) -> BTreeSet<String> {
    fn walk<'a>(
        f: &'a Formula,
        negated: bool,
        positive: &mut BTreeSet<&'a str>,
        under_not: &mut Vec<&'a ast::Ident>,
    ) {
        let mut term = |t: &'a ast::Term, negated: bool| {
            if let ast::Term::Var(id) = t {
                if negated {
                    under_not.push(id);
                } else {
                    positive.insert(&id.name);
                }
            }
        };
        match f {
            Formula::Atom(a) => {
                for arg in &a.args {
                    expr_terms(arg, &mut |t| term(t, negated));
                }
            }
            Formula::Compare(c) => {
                expr_terms(&c.left, &mut |t| term(t, negated));
                expr_terms(&c.right, &mut |t| term(t, negated));
            }
            Formula::Matches(t, _, _) => term(t, negated),
            Formula::And(fs) | Formula::Or(fs) => {
                for f in fs {
                    walk(f, negated, positive, under_not);
                }
            }
            Formula::Not(f, _) => walk(f, true, positive, under_not),
        }
    }
    let mut positive = BTreeSet::new();
    let mut under_not = Vec::new();
    walk(body, false, &mut positive, &mut under_not);
    let mut reported = BTreeSet::new();
    for id in under_not {
        if !positive.contains(id.name.as_str()) && reported.insert(id.name.clone()) {
            errors.push(
                Diagnostic::new(
                    file,
                    id.span,
                    format!("variable `{}` appears only inside `not`", id.name),
                )
                .with_help(format!(
                    "bind `{}` with a positive atom outside the `not`, or write `_` for \"any value\"",
                    id.name
                )),
            );
        }
    }
    reported
}

fn expr_terms<'a>(e: &'a ast::Expr, f: &mut impl FnMut(&'a ast::Term)) {
    match e {
        ast::Expr::Term(t) => f(t),
        ast::Expr::Now(_) => {}
        ast::Expr::Arith(_, a, b, _) => {
            expr_terms(a, f);
            expr_terms(b, f);
        }
    }
}

/// A leaf of a body with its polarity.
type Leaf<'a> = (&'a Formula, bool);

/// Disjunctive normal form with negation pushed to the leaves.
fn dnf(f: &Formula, negated: bool) -> Vec<Vec<Leaf<'_>>> {
    match (f, negated) {
        (Formula::Not(inner, _), n) => dnf(inner, !n),
        (Formula::Atom(_) | Formula::Compare(_) | Formula::Matches(..), n) => vec![vec![(f, n)]],
        (Formula::And(fs), false) | (Formula::Or(fs), true) => {
            let mut acc: Vec<Vec<Leaf<'_>>> = vec![Vec::new()];
            for f in fs {
                let parts = dnf(f, negated);
                let mut next = Vec::with_capacity(acc.len() * parts.len());
                for a in &acc {
                    for p in &parts {
                        let mut joined = a.clone();
                        joined.extend(p.iter().copied());
                        next.push(joined);
                    }
                    if next.len() > MAX_DISJUNCTS {
                        break;
                    }
                }
                acc = next;
            }
            acc
        }
        (Formula::Or(fs), false) | (Formula::And(fs), true) => {
            fs.iter().flat_map(|f| dnf(f, negated)).collect()
        }
    }
}

/// Turns one leaf into a literal, checking names, constants and the allowed
/// places of arithmetic and `@current_unix_time`.
fn lower(
    file: &Arc<SourceFile>,
    names: &Names,
    vars: &mut Vars,
    leaf: &Formula,
    negated: bool,
    errors: &mut Diagnostics,
) -> Option<(Literal, Span)> {
    match leaf {
        Formula::Atom(atom) => {
            let pred = names.resolve_body(file, &atom.name, atom.args.len(), errors)?;
            let mut args = Vec::new();
            for arg in &atom.args {
                let ast::Expr::Term(t) = arg else {
                    errors.push(
                        Diagnostic::new(file, arg.span(), "arithmetic and `@current_unix_time` cannot be atom arguments")
                            .with_help("bind the value first, e.g. `y = x + 1 and p(y)`, or compare it: `p(t) and t > @current_unix_time`"),
                    );
                    return None;
                };
                args.push(term(file, names, vars, t, errors)?);
            }
            Some((
                Literal::Atom {
                    pred,
                    args,
                    negated,
                },
                atom.span,
            ))
        }
        Formula::Compare(c) => {
            check_now(file, c, errors)?;
            let left = expr(file, names, vars, &c.left, errors)?;
            let right = expr(file, names, vars, &c.right, errors)?;
            Some((
                Literal::Compare {
                    op: c.op,
                    left,
                    right,
                    negated,
                },
                c.span,
            ))
        }
        Formula::Matches(t, ty, span) => {
            let term = term(file, names, vars, t, errors)?;
            if matches!(term, Term::Wildcard) {
                errors.push(
                    Diagnostic::new(file, *span, "`_ matches …` tests nothing")
                        .with_help("name the variable to test"),
                );
                return None;
            }
            let Some(test) = names.schema.type_test(&ty.name) else {
                errors.push(
                    Diagnostic::new(file, ty.span, format!("unknown type `{}`", ty.name))
                        .with_help(names.schema.types_help()),
                );
                return None;
            };
            if negated {
                errors.push(
                    Diagnostic::new(file, *span, "`not … matches …` is not supported")
                        .with_help("test the types that are allowed instead"),
                );
                return None;
            }
            Some((Literal::Type { term, test }, *span))
        }
        Formula::And(_) | Formula::Or(_) | Formula::Not(..) => None,
    }
}

fn term(
    file: &Arc<SourceFile>,
    names: &Names,
    vars: &mut Vars,
    t: &ast::Term,
    errors: &mut Diagnostics,
) -> Option<Term> {
    match t {
        ast::Term::Var(id) => Some(Term::Var(vars.id(&id.name, id.span))),
        ast::Term::Wildcard(_) => Some(Term::Wildcard),
        ast::Term::Const(c, _) => names.constant(file, c, errors).map(Term::Const),
    }
}

fn expr(
    file: &Arc<SourceFile>,
    names: &Names,
    vars: &mut Vars,
    e: &ast::Expr,
    errors: &mut Diagnostics,
) -> Option<Expr> {
    match e {
        ast::Expr::Term(ast::Term::Wildcard(span)) => {
            errors.push(
                Diagnostic::new(file, *span, "`_` in a comparison is unsafe")
                    .with_help("compare a named variable bound by an atom"),
            );
            None
        }
        ast::Expr::Term(t) => term(file, names, vars, t, errors).map(Expr::Term),
        ast::Expr::Now(_) => Some(Expr::Now),
        ast::Expr::Arith(op, a, b, _) => Some(Expr::Arith(
            *op,
            Box::new(expr(file, names, vars, a, errors)?),
            Box::new(expr(file, names, vars, b, errors)?),
        )),
    }
}

/// `@current_unix_time` may only be compared with `x`, `x + c` or `x - c`.
fn check_now(file: &Arc<SourceFile>, c: &ast::Compare, errors: &mut Diagnostics) -> Option<()> {
    fn mentions_now(e: &ast::Expr) -> Option<Span> {
        match e {
            ast::Expr::Now(span) => Some(*span),
            ast::Expr::Term(_) => None,
            ast::Expr::Arith(_, a, b, _) => mentions_now(a).or_else(|| mentions_now(b)),
        }
    }
    fn simple(e: &ast::Expr) -> bool {
        match e {
            ast::Expr::Term(ast::Term::Var(_)) => true,
            ast::Expr::Arith(ast::ArithOp::Add | ast::ArithOp::Sub, a, b, _) => matches!(
                (&**a, &**b),
                (
                    ast::Expr::Term(ast::Term::Var(_)),
                    ast::Expr::Term(ast::Term::Const(ast::Const::Int(_), _))
                )
            ),
            _ => false,
        }
    }
    let bad = match (&c.left, &c.right) {
        (ast::Expr::Now(_), ast::Expr::Now(_)) => Some(c.span),
        (ast::Expr::Now(_), other) | (other, ast::Expr::Now(_)) => {
            (!simple(other)).then(|| other.span())
        }
        (left, right) => mentions_now(left).or_else(|| mentions_now(right)),
    };
    match bad {
        None => Some(()),
        Some(span) => {
            errors.push(
                Diagnostic::new(file, span, "`@current_unix_time` can only be compared with `x`, `x + c` or `x - c`")
                    .with_help("write the comparison as `t + 604800 > @current_unix_time`, with a variable `t` and an integer constant"),
            );
            None
        }
    }
}

fn term_vars(t: &Term, out: &mut BTreeSet<VarId>) {
    if let Term::Var(v) = t {
        out.insert(*v);
    }
}

fn expr_vars(e: &Expr, out: &mut BTreeSet<VarId>) {
    match e {
        Expr::Term(t) => term_vars(t, out),
        Expr::Now => {}
        Expr::Arith(_, a, b) => {
            expr_vars(a, out);
            expr_vars(b, out);
        }
    }
}

/// The variables a literal mentions.
pub(crate) fn literal_vars(literal: &Literal) -> BTreeSet<VarId> {
    let mut out = BTreeSet::new();
    match literal {
        Literal::Atom { args, .. } => args.iter().for_each(|t| term_vars(t, &mut out)),
        Literal::Compare { left, right, .. } => {
            expr_vars(left, &mut out);
            expr_vars(right, &mut out);
        }
        Literal::Assign { var, expr } => {
            out.insert(*var);
            expr_vars(expr, &mut out);
        }
        Literal::Type { term, .. } => term_vars(term, &mut out),
    }
    out
}

/// If `literal` is `x = e` (or `e = x`) with `x` unbound and `e`'s variables
/// bound (and no `@current_unix_time`), the binding it stands for.
fn as_binding(literal: &Literal, bound: &BTreeSet<VarId>) -> Option<Literal> {
    let Literal::Compare {
        op: CmpOp::Eq,
        left,
        right,
        negated: false,
    } = literal
    else {
        return None;
    };
    fn mentions_now(e: &Expr) -> bool {
        match e {
            Expr::Now => true,
            Expr::Term(_) => false,
            Expr::Arith(_, a, b) => mentions_now(a) || mentions_now(b),
        }
    }
    let ready = |e: &Expr| {
        let mut used = BTreeSet::new();
        expr_vars(e, &mut used);
        !mentions_now(e) && used.is_subset(bound)
    };
    match (left, right) {
        (Expr::Term(Term::Var(x)), e) if !bound.contains(x) && ready(e) => Some(Literal::Assign {
            var: *x,
            expr: e.clone(),
        }),
        (e, Expr::Term(Term::Var(x))) if !bound.contains(x) && ready(e) => Some(Literal::Assign {
            var: *x,
            expr: e.clone(),
        }),
        _ => None,
    }
}

/// The variable of `x = @current_unix_time` (or `@current_unix_time = x`).
fn binds_time(literal: &Literal) -> Option<VarId> {
    match literal {
        Literal::Compare {
            op: CmpOp::Eq,
            left,
            right,
            negated: false,
        } => match (left, right) {
            (Expr::Term(Term::Var(x)), Expr::Now) | (Expr::Now, Expr::Term(Term::Var(x))) => {
                Some(*x)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Orders a conjunctive body so every literal's variables are bound before
/// use; reports what cannot be bound.
fn schedule(
    file: &Arc<SourceFile>,
    vars: &Vars,
    head_args: &[Term],
    literals: Vec<(Literal, Span)>,
    rule_span: Span,
    already_reported: &BTreeSet<String>,
    errors: &mut Diagnostics,
) -> Option<Vec<Literal>> {
    let (mut positives, mut pending): (Vec<_>, Vec<_>) = literals
        .into_iter()
        .partition(|(l, _)| matches!(l, Literal::Atom { negated: false, .. }));
    let mut bound = BTreeSet::new();
    let mut order = Vec::new();
    loop {
        // Everything that is ready runs as early as possible.
        let mut progress = true;
        while progress {
            progress = false;
            let mut i = 0;
            while i < pending.len() {
                let (literal, _) = &pending[i];
                if literal_vars(literal).is_subset(&bound) {
                    order.push(pending.remove(i).0);
                    progress = true;
                } else if let Some(binding) = as_binding(literal, &bound) {
                    bound.extend(literal_vars(&binding));
                    order.push(binding);
                    pending.remove(i);
                    progress = true;
                } else {
                    i += 1;
                }
            }
        }
        if positives.is_empty() {
            break;
        }
        // Next atom: the first one connected to what is bound, so joins
        // follow shared variables instead of forming cross products.
        let next = positives
            .iter()
            .position(|(l, _)| !literal_vars(l).is_disjoint(&bound))
            .unwrap_or(0);
        let (atom, _) = positives.remove(next);
        bound.extend(literal_vars(&atom));
        order.push(atom);
    }
    let mut ok = pending.is_empty();
    let head_vars: BTreeSet<VarId> = head_args
        .iter()
        .filter_map(|t| match t {
            Term::Var(v) => Some(*v),
            _ => None,
        })
        .collect();
    // Variables that `x = @current_unix_time` tried to bind: reported once,
    // here, rather than as unsafe head variables.
    let mut time_bound = BTreeSet::new();
    for (literal, span) in &pending {
        let unbound_ids: BTreeSet<VarId> =
            literal_vars(literal).difference(&bound).copied().collect();
        if let Some(var) = binds_time(literal).filter(|v| unbound_ids.contains(v)) {
            let name = &vars.names[var];
            errors.push(
                Diagnostic::new(file, *span, format!("`{name} = @current_unix_time` cannot bind `{name}`: the time is not a value a tuple can hold"))
                    .with_help(format!("answers are precomputed for every time at once, so a rule compares with the time but cannot keep it; bind `{name}` with an atom and compare, e.g. `visit(d, p, {name}) and {name} <= @current_unix_time`")),
            );
            time_bound.insert(var);
            ok = false;
            continue;
        }
        // Reported elsewhere: head variables (below) and variables that
        // occur only under `not`.
        if unbound_ids
            .iter()
            .all(|v| head_vars.contains(v) || already_reported.contains(&vars.names[*v]))
        {
            continue;
        }
        let unbound: Vec<String> = unbound_ids
            .iter()
            .map(|v| format!("`{}`", vars.names[*v]))
            .collect();
        let what = match literal {
            Literal::Atom { .. } => "negated atom",
            Literal::Compare { .. } | Literal::Assign { .. } => "comparison",
            Literal::Type { .. } => "type test",
        };
        errors.push(
            Diagnostic::new(
                file,
                *span,
                format!("unsafe {what}: {} not bound", unbound.join(", ")),
            )
            .with_help("every variable of a negation or comparison must be bound by a positive atom (or by `x = expr` from bound variables)"),
        );
    }
    for arg in head_args {
        if let Term::Var(v) = arg {
            if !bound.contains(v) && !time_bound.contains(v) {
                errors.push(
                    Diagnostic::new(
                        file,
                        vars.spans.get(*v).copied().unwrap_or(rule_span),
                        format!("unsafe head variable `{}`", vars.names[*v]),
                    )
                    .with_help(format!(
                        "bind `{}` with a positive atom in the body (in every alternative of an `or`)",
                        vars.names[*v]
                    )),
                );
                ok = false;
            }
        }
    }
    ok.then_some(order)
}
