//! Expansion of resource-block shorthand rules into ordinary rules.
//!
//! Inside `resource R`, `"X" if "Y";` becomes
//! `has_permission(actor: Actor, "X", resource: R) if has_role(actor, "Y", resource);`
//! (head and body predicate chosen by whether X and Y are roles or
//! permissions), and `"X" if "Y" on "rel";` follows
//! `has_relation(resource, "rel", related)` to a `related` of the type that
//! `relations` gives for `rel`.

use std::sync::Arc;

use crate::ast::{
    Atom, Block, BlockMember, Const, Expr, Formula, Ident, Param, RuleDef, Shorthand, Span, Term,
};
use crate::check::schema::{Schema, TypeInfo};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};

/// The rules a block's shorthand statements stand for.
pub fn expand(
    file: &Arc<SourceFile>,
    schema: &Schema,
    block: &Block,
    errors: &mut Diagnostics,
) -> Vec<RuleDef> {
    let Some(info) = schema.types.get(block.name.name.as_str()) else {
        return Vec::new();
    };
    if info.span != block.name.span {
        return Vec::new(); // a duplicate block, already reported
    }
    block
        .members
        .iter()
        .filter_map(|member| match member {
            BlockMember::Shorthand(s) => expand_one(file, schema, &block.name, info, s, errors),
            _ => None,
        })
        .collect()
}

/// `has_role` or `has_permission`, by what `name` is in `info`.
fn predicate_for(info: &TypeInfo, name: &str) -> Option<&'static str> {
    if info.permissions.contains(name) {
        Some("has_permission")
    } else if info.roles.contains(name) {
        Some("has_role")
    } else {
        None
    }
}

fn unknown_name(
    file: &Arc<SourceFile>,
    span: Span,
    name: &str,
    ty: &str,
    info: &TypeInfo,
) -> Diagnostic {
    let known: Vec<String> = info
        .roles
        .iter()
        .chain(&info.permissions)
        .map(|n| format!("`\"{n}\"`"))
        .collect();
    let help = if known.is_empty() {
        format!("`{ty}` has no roles or permissions; add `roles = [\"{name}\"];` or `permissions = [\"{name}\"];` to its block")
    } else {
        format!(
            "roles and permissions of `{ty}` are {}; add `\"{name}\"` to its `roles` or `permissions`",
            known.join(", ")
        )
    };
    Diagnostic::new(
        file,
        span,
        format!("unknown role or permission `\"{name}\"` of `{ty}`"),
    )
    .with_help(help)
}

fn expand_one(
    file: &Arc<SourceFile>,
    schema: &Schema,
    ty: &Ident,
    info: &TypeInfo,
    shorthand: &Shorthand,
    errors: &mut Diagnostics,
) -> Option<RuleDef> {
    let span = shorthand.span;
    let var = |name: &str| {
        Expr::Term(Term::Var(Ident {
            name: name.to_string(),
            span,
        }))
    };
    let string =
        |text: &str, span: Span| Expr::Term(Term::Const(Const::Str(text.to_string()), span));
    let ident = |name: &str| Ident {
        name: name.to_string(),
        span,
    };

    let head_pred = predicate_for(info, &shorthand.target.value);
    if head_pred.is_none() {
        errors.push(unknown_name(
            file,
            shorthand.target.span,
            &shorthand.target.value,
            &ty.name,
            info,
        ));
    }

    let (condition_owner, owner_info, mut body) = match &shorthand.via {
        None => (ty.name.clone(), info, Vec::new()),
        Some(rel) => {
            let Some(related_ty) = info.relations.get(&rel.value) else {
                let known: Vec<String> = info
                    .relations
                    .keys()
                    .map(|n| format!("`\"{n}\"`"))
                    .collect();
                let help = if known.is_empty() {
                    format!(
                        "`{}` has no relations; add `relations = {{ {}: Type }};` to its block",
                        ty.name, rel.value
                    )
                } else {
                    format!("relations of `{}` are {}", ty.name, known.join(", "))
                };
                errors.push(
                    Diagnostic::new(
                        file,
                        rel.span,
                        format!("unknown relation `\"{}\"` of `{}`", rel.value, ty.name),
                    )
                    .with_help(help),
                );
                return None;
            };
            let related_info = schema.types.get(related_ty)?;
            let body = vec![
                Formula::Atom(Atom {
                    name: ident("has_relation"),
                    args: vec![
                        var("resource"),
                        string(&rel.value, rel.span),
                        var("related"),
                    ],
                    span,
                }),
                Formula::Matches(Term::Var(ident("related")), ident(related_ty), span),
            ];
            (related_ty.to_string(), related_info, body)
        }
    };

    let Some(body_pred) = predicate_for(owner_info, &shorthand.condition.value) else {
        errors.push(unknown_name(
            file,
            shorthand.condition.span,
            &shorthand.condition.value,
            &condition_owner,
            owner_info,
        ));
        return None;
    };
    let head_pred = head_pred?;
    let subject = if shorthand.via.is_some() {
        "related"
    } else {
        "resource"
    };
    body.push(Formula::Atom(Atom {
        name: ident(body_pred),
        args: vec![
            var("actor"),
            string(&shorthand.condition.value, shorthand.condition.span),
            var(subject),
        ],
        span,
    }));

    let param = |name: &str, specializer: &str| Param {
        term: Term::Var(ident(name)),
        specializer: Some(ident(specializer)),
    };
    Some(RuleDef {
        name: ident(head_pred),
        params: vec![
            param("actor", "Actor"),
            Param {
                term: Term::Const(
                    Const::Str(shorthand.target.value.clone()),
                    shorthand.target.span,
                ),
                specializer: None,
            },
            param("resource", &ty.name),
        ],
        body: Some(if body.len() == 1 {
            body.remove(0)
        } else {
            Formula::And(body)
        }),
        span,
    })
}
