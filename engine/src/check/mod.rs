//! `engine::check`: a parsed policy to a checked [`Program`].
//!
//! The stages run as data flows: declarations ([`schema`]), shorthand
//! expansion ([`shorthand`]), the predicate table ([`names`]), rule
//! normalization and safety ([`rules`]), stratification ([`stratify`]), and
//! finally the test blocks. Every stage reports all it finds; the program is
//! returned only when nothing was reported.

use std::collections::HashSet;
use std::sync::Arc;

use crate::ast::{Item, Policy, RuleDef};
use crate::diagnostic::{Diagnostics, SourceFile};
use crate::facts;
use crate::parse::parse_policy;
use crate::program::{Assertion, Program, Test};

pub mod names;
pub mod rules;
pub mod schema;
pub mod shorthand;
pub mod stratify;

/// Parses and checks a policy.
pub fn check_policy(file: &Arc<SourceFile>) -> Result<Program, Diagnostics> {
    let policy = parse_policy(file)?;
    check_parsed(file, &policy)
}

/// Checks an already parsed policy whose spans point into `file`.
pub fn check_parsed(file: &Arc<SourceFile>, policy: &Policy) -> Result<Program, Diagnostics> {
    let mut errors = Diagnostics::default();
    let schema = schema::collect(file, policy, &mut errors);

    let mut rule_defs: Vec<RuleDef> = Vec::new();
    for item in &policy.items {
        match item {
            Item::Block(block) => {
                rule_defs.extend(shorthand::expand(file, &schema, block, &mut errors));
            }
            Item::Rule(rule) => rule_defs.push(rule.clone()),
            Item::Declare(_) | Item::Test(_) => {}
        }
    }
    let names = names::Names::new(file, &schema, &rule_defs, &mut errors);
    let rules: Vec<_> = rule_defs
        .iter()
        .flat_map(|rule| rules::normalize(file, &names, rule, &mut errors))
        .collect();
    let strata = stratify::components(file, &names.predicates, &rules, &mut errors);

    let mut program = Program {
        source: Arc::clone(file),
        predicates: names.predicates,
        by_name: names.by_name,
        rules,
        strata,
        actor_types: schema.actor_types(),
        resource_types: schema.resource_types(),
        tests: Vec::new(),
    };
    for item in &policy.items {
        if let Item::Test(test) = item {
            let mut setup = Vec::new();
            for atom in &test.setup {
                match facts::fact_from_atom(&program, file, atom) {
                    Ok(fact) => setup.push(fact),
                    Err(d) => errors.push(d),
                }
            }
            let mut asserts = Vec::new();
            for assertion in &test.asserts {
                match facts::query_from_atom(&program, file, &assertion.atom) {
                    Ok(query) => asserts.push(Assertion {
                        query,
                        expect: assertion.expect,
                        text: file
                            .text
                            .get(assertion.atom.span.start..assertion.atom.span.end)
                            .unwrap_or("")
                            .to_string(),
                        span: assertion.span,
                    }),
                    Err(d) => errors.push(d),
                }
            }
            program.tests.push(Test {
                name: test.name.value.clone(),
                setup,
                at: test.at.map(|(t, _)| t),
                asserts,
            });
        }
    }
    dedup(&mut errors);
    errors.into_result(program)
}

/// The same error found through several alternatives of one rule is
/// reported once.
fn dedup(errors: &mut Diagnostics) {
    let mut seen = HashSet::new();
    errors
        .0
        .retain(|d| seen.insert((d.span.start, d.span.end, d.message.clone())));
}
