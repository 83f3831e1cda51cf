//! Facts and queries against a checked program.
//!
//! Facts may only be inserted for declared base relations, with values of
//! the declared column types. Queries name any predicate of the program and
//! may use variables, constants and `_`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{self, Atom};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::parse::{parse_atom, parse_facts};
use crate::program::{ColumnType, PredId, Program, Query, Term};
use crate::value::{Fact, Value};

/// Why a fact does not fit its declaration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FactError {
    /// No such predicate, or not a declared base relation.
    #[error("`{0}` is not a declared base relation")]
    Undeclared(String),
    /// Wrong number of arguments.
    #[error("`{predicate}` takes {expected} arguments, but {given} were given")]
    Arity {
        /// The predicate.
        predicate: String,
        /// Its declared arity.
        expected: usize,
        /// The arity of the fact.
        given: usize,
    },
    /// A value of the wrong type.
    #[error("argument {position} of `{predicate}` must be {expected}, but {given} was given")]
    Type {
        /// The predicate.
        predicate: String,
        /// 1-based argument position.
        position: usize,
        /// The declared type, described.
        expected: String,
        /// The value given, in canonical form.
        given: String,
    },
}

impl FactError {
    /// A help line for the error.
    pub fn help(&self) -> &'static str {
        match self {
            FactError::Undeclared(_) => "facts can only be inserted for predicates declared with `declare p(T, …);` (or `has_role`/`has_relation` when resource blocks exist)",
            FactError::Arity { .. } => "give one value per declared column",
            FactError::Type { .. } => "use a value of the declared column type",
        }
    }
}

fn describe(program: &Program, column: &ColumnType) -> String {
    let list = |types: &std::collections::BTreeSet<Arc<str>>| {
        types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match column {
        ColumnType::Entity(t) => format!("a `{t}` entity"),
        ColumnType::Actor => format!("an actor ({})", list(&program.actor_types)),
        ColumnType::Resource => format!("a resource ({})", list(&program.resource_types)),
        ColumnType::String => "a string".to_string(),
        ColumnType::Integer => "an integer".to_string(),
        ColumnType::Boolean => "a boolean".to_string(),
    }
}

/// Whether `value` belongs to the column type.
pub fn column_accepts(program: &Program, column: &ColumnType, value: &Value) -> bool {
    match (column, value) {
        (ColumnType::Entity(t), Value::Entity(e)) => *t == e.ty,
        (ColumnType::Actor, Value::Entity(e)) => program.actor_types.contains(&e.ty),
        (ColumnType::Resource, Value::Entity(e)) => program.resource_types.contains(&e.ty),
        (ColumnType::String, Value::Str(_)) => true,
        (ColumnType::Integer, Value::Int(_)) => true,
        (ColumnType::Boolean, Value::Bool(_)) => true,
        _ => false,
    }
}

/// Checks a fact against its declaration; answers its predicate id.
pub fn validate_fact(program: &Program, fact: &Fact) -> Result<PredId, FactError> {
    let pred = program
        .pred(&fact.predicate)
        .filter(|p| program.predicates[*p].declared.is_some())
        .ok_or_else(|| FactError::Undeclared(fact.predicate.to_string()))?;
    let columns = program.predicates[pred].declared.as_deref().unwrap_or(&[]);
    if columns.len() != fact.args.len() {
        return Err(FactError::Arity {
            predicate: fact.predicate.to_string(),
            expected: columns.len(),
            given: fact.args.len(),
        });
    }
    for (position, (column, value)) in columns.iter().zip(&fact.args).enumerate() {
        if !column_accepts(program, column, value) {
            return Err(FactError::Type {
                predicate: fact.predicate.to_string(),
                position: position + 1,
                expected: describe(program, column),
                given: value.to_string(),
            });
        }
    }
    Ok(pred)
}

fn entity_type_known(program: &Program, ty: &str) -> bool {
    program.actor_types.contains(ty) || program.resource_types.contains(ty)
}

fn constant(
    program: &Program,
    file: &Arc<SourceFile>,
    c: &ast::Const,
) -> Result<Value, Diagnostic> {
    Ok(match c {
        ast::Const::Str(s) => Value::str(s.as_str()),
        ast::Const::Int(i) => Value::Int(*i),
        ast::Const::Bool(b) => Value::Bool(*b),
        ast::Const::Entity(ty, id) => {
            if !entity_type_known(program, &ty.name) {
                return Err(Diagnostic::new(
                    file,
                    ty.span,
                    format!("unknown entity type `{}`", ty.name),
                )
                .with_help(
                    "the policy declares its entity types with `actor` and `resource` blocks",
                ));
            }
            Value::entity(ty.name.as_str(), id.as_str())
        }
    })
}

/// A ground atom from a facts file or a test setup, checked.
pub fn fact_from_atom(
    program: &Program,
    file: &Arc<SourceFile>,
    atom: &Atom,
) -> Result<Fact, Diagnostic> {
    let mut args = Vec::new();
    for arg in &atom.args {
        match arg {
            ast::Expr::Term(ast::Term::Const(c, _)) => args.push(constant(program, file, c)?),
            other => {
                return Err(Diagnostic::new(
                    file,
                    other.span(),
                    "a fact's arguments must be constants",
                )
                .with_help("write values such as `User{\"alice\"}`, `\"read\"`, `42` or `true`"))
            }
        }
    }
    let fact = Fact::new(atom.name.name.as_str(), args);
    validate_fact(program, &fact).map_err(|err| {
        let span = match &err {
            FactError::Type { position, .. } => {
                atom.args.get(position - 1).map_or(atom.span, |a| a.span())
            }
            FactError::Undeclared(_) => atom.name.span,
            FactError::Arity { .. } => atom.span,
        };
        Diagnostic::new(file, span, err.to_string()).with_help(err.help())
    })?;
    Ok(fact)
}

/// A query atom, checked: the predicate must exist with that arity.
pub fn query_from_atom(
    program: &Program,
    file: &Arc<SourceFile>,
    atom: &Atom,
) -> Result<Query, Diagnostic> {
    let pred = program.pred(&atom.name.name).ok_or_else(|| {
        let mut known: Vec<&str> = program.predicates.iter().map(|p| &*p.name).collect();
        known.sort_unstable();
        Diagnostic::new(
            file,
            atom.name.span,
            format!("unknown predicate `{}`", atom.name.name),
        )
        .with_help(format!("the policy defines {}", known.join(", ")))
    })?;
    let arity = program.predicates[pred].arity;
    if arity != atom.args.len() {
        return Err(Diagnostic::new(
            file,
            atom.span,
            format!(
                "`{}` takes {arity} arguments, but {} were given",
                atom.name.name,
                atom.args.len()
            ),
        )
        .with_help("give one term per argument: a constant, a variable or `_`"));
    }
    let mut vars: Vec<String> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut args = Vec::new();
    for arg in &atom.args {
        args.push(match arg {
            ast::Expr::Term(ast::Term::Const(c, _)) => Term::Const(constant(program, file, c)?),
            ast::Expr::Term(ast::Term::Wildcard(_)) => Term::Wildcard,
            ast::Expr::Term(ast::Term::Var(id)) => {
                Term::Var(*ids.entry(id.name.clone()).or_insert_with(|| {
                    vars.push(id.name.clone());
                    vars.len() - 1
                }))
            }
            other => {
                return Err(Diagnostic::new(
                    file,
                    other.span(),
                    "a query's arguments must be constants, variables or `_`",
                )
                .with_help("arithmetic and `@current_unix_time` belong in rules"))
            }
        });
    }
    Ok(Query { pred, args, vars })
}

/// Parses and checks a facts file.
pub fn parse_facts_file(
    program: &Program,
    file: &Arc<SourceFile>,
) -> Result<Vec<Fact>, Diagnostics> {
    let atoms = parse_facts(file)?;
    let mut errors = Diagnostics::default();
    let mut facts = Vec::new();
    for atom in &atoms {
        match fact_from_atom(program, file, atom) {
            Ok(fact) => facts.push(fact),
            Err(d) => errors.push(d),
        }
    }
    errors.into_result(facts)
}

/// Parses and checks a query such as `allow(User{"alice"}, action, _)`.
pub fn parse_query(program: &Program, file: &Arc<SourceFile>) -> Result<Query, Diagnostics> {
    let atom = parse_atom(file)?;
    query_from_atom(program, file, &atom).map_err(Diagnostics::from)
}

/// A query answer: the matching ground atoms, in canonical text, sorted
/// bytewise and deduplicated.
pub fn answer_lines<'a>(
    program: &Program,
    query: &Query,
    tuples: impl IntoIterator<Item = &'a [Value]>,
) -> Vec<String> {
    let name = program.pred_name(query.pred);
    let mut lines: Vec<String> = tuples
        .into_iter()
        .filter(|t| query.matches(t))
        .map(|t| Fact::new(name, t.to_vec()).to_string())
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}
