//! Explanations in words: body literals under bindings, rule text on one
//! line, the indented tree the CLI prints, and the JSON the HTTP API sends.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::program::{Expr, Literal, PredId, Program, Rule, Term, TypeTest};
use crate::reference::{resolve, Bindings};
use crate::value::Fact;

use super::{Derivation, Explanation, Step, TriedRule};

/// Serializes a fact as its canonical text.
pub(super) fn as_text<S: Serializer>(fact: &Fact, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(fact)
}

impl Serialize for Explanation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Explanation::Allowed(tree) => {
                let mut s = serializer.serialize_struct("Explanation", 2)?;
                s.serialize_field("allowed", &true)?;
                s.serialize_field("tree", tree)?;
                s.end()
            }
            Explanation::Denied { goal, tried } => {
                let mut s = serializer.serialize_struct("Explanation", 3)?;
                s.serialize_field("allowed", &false)?;
                s.serialize_field("goal", &goal.to_string())?;
                s.serialize_field("tried", tried)?;
                s.end()
            }
        }
    }
}

/// A rule's source text on one line: comments dropped, every run of
/// whitespace one space.
pub(super) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped, mut comment, mut space) = (false, false, false, false);
    for c in text.chars() {
        if comment {
            comment = c != '\n';
        } else if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '#' {
            comment = true;
            space = true;
        } else if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// What a failure message needs beyond the literal and its bindings.
pub(super) struct Context {
    /// The value of `@current_unix_time`.
    pub(super) now: i64,
    /// For an atom: whether rules derive its predicate.
    pub(super) derived: bool,
    /// For a negated atom: a tuple that makes it fail.
    pub(super) witness: Option<Fact>,
}

/// A literal that held in a derivation, instantiated; `None` for positive
/// atoms (they are the derivation's children) and for the type tests of the
/// head's specializers (the head's match implies them).
pub(super) fn held(
    program: &Program,
    rule: &Rule,
    literal: &Literal,
    bindings: &Bindings,
    now: i64,
) -> Option<String> {
    let text = match literal {
        Literal::Atom { negated: false, .. } => return None,
        Literal::Atom { pred, args, .. } => {
            format!("not {}", pattern(program, *pred, args, bindings))
        }
        Literal::Compare { negated, .. } => {
            let text = instance(rule, literal, bindings);
            let text = if *negated {
                format!("not ({text})")
            } else {
                text
            };
            format!("{text}{}", now_note(literal, now))
        }
        Literal::Assign { var, .. } => {
            let value = bindings.get(*var).cloned().flatten();
            let value = value.map_or_else(|| "_".to_string(), |v| v.to_string());
            format!("{} = {value}", name(rule, *var))
        }
        Literal::Type { term, .. } if rule.head_args.contains(term) => return None,
        Literal::Type { term, test } => {
            format!("{}: {}", value_text(rule, term, bindings), type_name(test))
        }
    };
    Some(text)
}

/// Why a literal failed under the bindings, in words.
pub(super) fn failed(
    program: &Program,
    rule: &Rule,
    literal: &Literal,
    bindings: &Bindings,
    context: &Context,
) -> String {
    let source = source(program, rule, literal);
    match literal {
        Literal::Atom {
            pred,
            args,
            negated: false,
        } => {
            let atom = pattern(program, *pred, args, bindings);
            let ground = args.iter().all(|t| resolve(t, bindings).is_some());
            match (context.derived, ground) {
                (false, true) => format!("no fact `{atom}`"),
                (false, false) => format!("no fact matches `{atom}`"),
                (true, true) => format!("`{atom}` does not hold"),
                (true, false) => format!("nothing matches `{atom}`"),
            }
        }
        Literal::Atom { .. } => match &context.witness {
            Some(witness) => format!("`{source}` failed: `{witness}` holds"),
            None => format!("`{source}` failed"),
        },
        Literal::Compare { .. } => format!(
            "`{source}` is false: `{}`{}",
            instance(rule, literal, bindings),
            now_note(literal, context.now)
        ),
        Literal::Assign { .. } => format!(
            "`{source}` has no value: `{}` overflows or is not an integer",
            instance(rule, literal, bindings)
        ),
        Literal::Type { term, test } => format!(
            "`{source}` failed: `{}` is not {}",
            value_text(rule, term, bindings),
            type_description(test)
        ),
    }
}

/// An atom with bound variables replaced by their values, others by `_`.
fn pattern(program: &Program, pred: PredId, args: &[Term], bindings: &Bindings) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|t| resolve(t, bindings).map_or_else(|| "_".to_string(), |v| v.to_string()))
        .collect();
    format!("{}({})", program.pred_name(pred), args.join(", "))
}

/// A literal as written, with the rule's variable names.
fn source(program: &Program, rule: &Rule, literal: &Literal) -> String {
    let term = |t: &Term| match t {
        Term::Var(v) => name(rule, *v).to_string(),
        Term::Const(c) => c.to_string(),
        Term::Wildcard => "_".to_string(),
    };
    match literal {
        Literal::Atom {
            pred,
            args,
            negated,
        } => {
            let args: Vec<String> = args.iter().map(term).collect();
            let not = if *negated { "not " } else { "" };
            format!("{not}{}({})", program.pred_name(*pred), args.join(", "))
        }
        Literal::Compare {
            op,
            left,
            right,
            negated,
        } => {
            let text = format!(
                "{} {} {}",
                expr(left, &term, false),
                op.symbol(),
                expr(right, &term, false)
            );
            if *negated {
                format!("not ({text})")
            } else {
                text
            }
        }
        Literal::Assign { var, expr: e } => {
            format!("{} = {}", name(rule, *var), expr(e, &term, false))
        }
        Literal::Type { term: t, test } => format!("{}: {}", term(t), type_name(test)),
    }
}

/// A comparison or an assignment with bound variables replaced by values.
fn instance(rule: &Rule, literal: &Literal, bindings: &Bindings) -> String {
    let term = |t: &Term| value_text(rule, t, bindings);
    match literal {
        Literal::Compare {
            op, left, right, ..
        } => format!(
            "{} {} {}",
            expr(left, &term, false),
            op.symbol(),
            expr(right, &term, false)
        ),
        Literal::Assign { var, expr: e } => {
            format!("{} = {}", name(rule, *var), expr(e, &term, false))
        }
        Literal::Atom { .. } | Literal::Type { .. } => String::new(),
    }
}

fn expr(e: &Expr, term: &dyn Fn(&Term) -> String, nested: bool) -> String {
    match e {
        Expr::Term(t) => term(t),
        Expr::Now => "@current_unix_time".to_string(),
        Expr::Arith(op, a, b) => {
            let text = format!(
                "{} {} {}",
                expr(a, term, true),
                op.symbol(),
                expr(b, term, true)
            );
            if nested {
                format!("({text})")
            } else {
                text
            }
        }
    }
}

/// ` (@current_unix_time = T)` when the literal reads the time.
fn now_note(literal: &Literal, now: i64) -> String {
    fn uses_now(e: &Expr) -> bool {
        match e {
            Expr::Now => true,
            Expr::Term(_) => false,
            Expr::Arith(_, a, b) => uses_now(a) || uses_now(b),
        }
    }
    match literal {
        Literal::Compare { left, right, .. } if uses_now(left) || uses_now(right) => {
            format!(" (@current_unix_time = {now})")
        }
        _ => String::new(),
    }
}

/// A term's value, or its variable's name while unbound.
fn value_text(rule: &Rule, term: &Term, bindings: &Bindings) -> String {
    match (resolve(term, bindings), term) {
        (Some(value), _) => value.to_string(),
        (None, Term::Var(v)) => name(rule, *v).to_string(),
        (None, _) => "_".to_string(),
    }
}

fn name(rule: &Rule, var: usize) -> &str {
    rule.vars.get(var).map_or("_", String::as_str)
}

fn type_name(test: &TypeTest) -> String {
    match test {
        TypeTest::Entity(types) => types.iter().map(|t| &**t).collect::<Vec<_>>().join(" | "),
        TypeTest::String => "String".to_string(),
        TypeTest::Integer => "Integer".to_string(),
        TypeTest::Boolean => "Boolean".to_string(),
    }
}

fn type_description(test: &TypeTest) -> String {
    match test {
        TypeTest::Entity(types) => {
            let names: Vec<String> = types.iter().map(|t| format!("`{t}`")).collect();
            format!("of type {}", names.join(" or "))
        }
        TypeTest::String => "a string".to_string(),
        TypeTest::Integer => "an integer".to_string(),
        TypeTest::Boolean => "a boolean".to_string(),
    }
}

// ---------------------------------------------------------------- the tree

impl fmt::Display for Explanation {
    /// An indented tree: for a true atom its derivation, each node an atom
    /// with the rule or fact it comes from; for a false one, the rules that
    /// could derive it, each with the literals it failed at.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Explanation::Allowed(tree) => write_derivation(f, tree, 0),
            Explanation::Denied { goal, tried } => {
                writeln!(f, "{goal} does not hold")?;
                if tried.is_empty() {
                    writeln!(f, "  it is not a fact, and no rule's head matches it")?;
                }
                write_tried(f, tried, 1)
            }
        }
    }
}

fn indent(f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
    for _ in 0..depth {
        f.write_str("  ")?;
    }
    Ok(())
}

fn write_derivation(f: &mut fmt::Formatter<'_>, node: &Derivation, depth: usize) -> fmt::Result {
    indent(f, depth)?;
    match &node.step {
        Step::Fact => writeln!(f, "{}  [fact]", node.atom),
        Step::Elided => writeln!(f, "{}  [derivation too deep, cut here]", node.atom),
        Step::Rule {
            line,
            rule_text,
            conditions,
            children,
            ..
        } => {
            writeln!(f, "{}  [rule at line {line}: {rule_text}]", node.atom)?;
            for condition in conditions {
                indent(f, depth + 1)?;
                writeln!(f, "where {condition}")?;
            }
            for child in children {
                write_derivation(f, child, depth + 1)?;
            }
            Ok(())
        }
    }
}

fn write_tried(f: &mut fmt::Formatter<'_>, tried: &[TriedRule], depth: usize) -> fmt::Result {
    for rule in tried {
        indent(f, depth)?;
        writeln!(f, "rule at line {}: {}", rule.line, rule.rule_text)?;
        for failure in &rule.failures {
            indent(f, depth + 1)?;
            writeln!(f, "{}", failure.reason)?;
            write_tried(f, &failure.tried, depth + 2)?;
        }
    }
    Ok(())
}
