//! The predicate table: every predicate's name, arity and declaration, and
//! the resolution of names and constants used in rules.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{Const, Ident, RuleDef, Span};
use crate::check::schema::Schema;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::program::{PredId, Predicate};
use crate::value::Value;

/// Predicates known to a policy, with the schema they were checked against.
pub struct Names<'a> {
    /// Declared types and relations.
    pub schema: &'a Schema,
    /// Predicates by id.
    pub predicates: Vec<Predicate>,
    /// Ids by name.
    pub by_name: HashMap<Arc<str>, PredId>,
    /// Where each predicate got its arity (for arity-mismatch help).
    first_seen: Vec<Span>,
}

impl<'a> Names<'a> {
    /// Registers every declared predicate and every rule head. The first
    /// occurrence of a name fixes its arity.
    pub fn new(
        file: &Arc<SourceFile>,
        schema: &'a Schema,
        rules: &[RuleDef],
        errors: &mut Diagnostics,
    ) -> Self {
        let mut names = Names {
            schema,
            predicates: Vec::new(),
            by_name: HashMap::new(),
            first_seen: Vec::new(),
        };
        for (name, (columns, span)) in &schema.declared {
            names
                .by_name
                .insert(Arc::clone(name), names.predicates.len());
            names.predicates.push(Predicate {
                name: Arc::clone(name),
                arity: columns.len(),
                declared: Some(columns.clone()),
            });
            names.first_seen.push(*span);
        }
        for rule in rules {
            if names.by_name.contains_key(rule.name.name.as_str()) {
                continue;
            }
            if super::schema::RESERVED.contains(&rule.name.name.as_str()) || rule.name.name == "_" {
                errors.push(
                    Diagnostic::new(
                        file,
                        rule.name.span,
                        format!("`{}` cannot name a predicate", rule.name.name),
                    )
                    .with_help("choose another name"),
                );
                continue;
            }
            let name: Arc<str> = Arc::from(rule.name.name.as_str());
            names
                .by_name
                .insert(Arc::clone(&name), names.predicates.len());
            names.predicates.push(Predicate {
                name,
                arity: rule.params.len(),
                declared: None,
            });
            names.first_seen.push(rule.name.span);
        }
        names
    }

    /// Resolves a rule head: the predicate exists by construction; checks arity.
    pub fn resolve(
        &self,
        file: &Arc<SourceFile>,
        name: &Ident,
        arity: usize,
        errors: &mut Diagnostics,
    ) -> Option<PredId> {
        let id = *self.by_name.get(name.name.as_str())?;
        self.check_arity(file, id, name, arity, errors)
    }

    /// Resolves a body atom: the predicate must be declared or defined.
    pub fn resolve_body(
        &self,
        file: &Arc<SourceFile>,
        name: &Ident,
        arity: usize,
        errors: &mut Diagnostics,
    ) -> Option<PredId> {
        match self.by_name.get(name.name.as_str()) {
            Some(id) => self.check_arity(file, *id, name, arity, errors),
            None => {
                let params = vec!["T"; arity].join(", ");
                errors.push(
                    Diagnostic::new(
                        file,
                        name.span,
                        format!("undeclared predicate `{}`", name.name),
                    )
                    .with_help(format!(
                        "declare it with `declare {}({params});` or define it with a rule",
                        name.name
                    )),
                );
                None
            }
        }
    }

    fn check_arity(
        &self,
        file: &Arc<SourceFile>,
        id: PredId,
        name: &Ident,
        arity: usize,
        errors: &mut Diagnostics,
    ) -> Option<PredId> {
        let expected = self.predicates.get(id)?.arity;
        if expected == arity {
            return Some(id);
        }
        let mut diagnostic = Diagnostic::new(
            file,
            name.span,
            format!(
                "`{}` takes {expected} argument{}, but {arity} {} given",
                name.name,
                if expected == 1 { "" } else { "s" },
                if arity == 1 { "is" } else { "are" },
            ),
        )
        .with_help("a predicate has one arity everywhere; use another name for a different shape");
        if let Some(span) = self.first_seen.get(id).filter(|s| **s != Span::default()) {
            diagnostic = diagnostic.with_related(*span, "arity fixed here");
        }
        errors.push(diagnostic);
        None
    }

    /// The value of a constant, checking that an entity's type is declared.
    pub fn constant(
        &self,
        file: &Arc<SourceFile>,
        c: &Const,
        errors: &mut Diagnostics,
    ) -> Option<Value> {
        constant_value(file, self.schema, c)
            .map_err(|d| errors.push(d))
            .ok()
    }
}

/// The value of a constant under a schema.
pub fn constant_value(
    file: &Arc<SourceFile>,
    schema: &Schema,
    c: &Const,
) -> Result<Value, Diagnostic> {
    Ok(match c {
        Const::Str(s) => Value::str(s.as_str()),
        Const::Int(i) => Value::Int(*i),
        Const::Bool(b) => Value::Bool(*b),
        Const::Entity(ty, id) => {
            if !schema.is_entity_type(&ty.name) {
                return Err(Diagnostic::new(
                    file,
                    ty.span,
                    format!("unknown entity type `{}`", ty.name),
                )
                .with_help(schema.types_help()));
            }
            Value::entity(ty.name.as_str(), id.as_str())
        }
    })
}
