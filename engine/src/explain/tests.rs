//! Explanations checked mechanically on the example policies: every
//! derivation instantiates its rules over the model and ends in stored
//! facts; every denial lists the rules that could have derived the atom.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use super::render::one_line;
use super::*;
use crate::program::{Literal, Test};
use crate::reference::{compare, eval, resolve, unify, Bindings};
use crate::{check_policy, SourceFile};

const POLICIES: [(&str, &str); 4] = [
    (
        "org_chart.polar",
        include_str!("../../../policies/org_chart.polar"),
    ),
    (
        "github.polar",
        include_str!("../../../policies/github.polar"),
    ),
    ("drive.polar", include_str!("../../../policies/drive.polar")),
    (
        "hospital.polar",
        include_str!("../../../policies/hospital.polar"),
    ),
];

/// The time of test blocks without `at T;`.
const NOW: i64 = 1_700_000_000;

fn checked(name: &str, text: &str) -> Program {
    check_policy(&SourceFile::new(name, text)).unwrap()
}

fn test_setup(test: &Test) -> (BTreeSet<Fact>, i64) {
    (test.setup.iter().cloned().collect(), test.at.unwrap_or(NOW))
}

/// Asserts that `node` is a derivation over `facts`: leaves are stored
/// facts, each rule node's bindings instantiate its rule so that the head is
/// the node's atom, the children are its positive body atoms, and its other
/// literals hold; no atom repeats on a path.
fn validate(
    program: &Program,
    model: &Model,
    facts: &BTreeSet<Fact>,
    now: i64,
    node: &Derivation,
    path: &mut Vec<Fact>,
) {
    assert!(
        !path.contains(&node.atom),
        "{} repeats on its path",
        node.atom
    );
    let pred = program.pred(&node.atom.predicate).unwrap();
    assert!(
        model.contains(pred, &node.atom.args),
        "{} is false",
        node.atom
    );
    let Step::Rule {
        rule_index,
        bindings,
        conditions,
        children,
        ..
    } = &node.step
    else {
        assert_eq!(node.step, Step::Fact, "{}", node.atom);
        assert!(facts.contains(&node.atom), "{} is not a fact", node.atom);
        return;
    };
    let rule = &program.rules[*rule_index];
    assert_eq!(rule.head, pred);
    let b: Bindings = rule.vars.iter().map(|n| bindings.get(n).cloned()).collect();
    let head: Vec<Value> = rule
        .head_args
        .iter()
        .map(|t| resolve(t, &b).unwrap())
        .collect();
    assert_eq!(head, node.atom.args, "head of rule {rule_index}");
    let mut kids = children.iter();
    let mut held = 0;
    for literal in &rule.body {
        match literal {
            Literal::Atom {
                pred,
                args,
                negated: false,
            } => {
                let child = kids.next().expect("a child per positive atom");
                assert_eq!(&*child.atom.predicate, program.pred_name(*pred));
                let mut after = b.clone();
                assert!(unify(args, &child.atom.args, &mut after) && after == b);
            }
            Literal::Atom { pred, args, .. } => {
                let mut matched = model
                    .tuples(*pred)
                    .filter(|t| unify(args, t, &mut b.clone()));
                assert!(matched.next().is_none(), "negation failed in {}", node.atom);
            }
            Literal::Compare {
                op,
                left,
                right,
                negated,
            } => {
                let holds = match (eval(left, &b, now), eval(right, &b, now)) {
                    (Some(l), Some(r)) => compare(*op, &l, &r),
                    _ => false,
                };
                assert_ne!(holds, *negated, "comparison in {}", node.atom);
            }
            Literal::Assign { var, expr } => assert_eq!(eval(expr, &b, now), b[*var]),
            Literal::Type { term, test } => assert!(test.accepts(&resolve(term, &b).unwrap())),
        }
        held += usize::from(match literal {
            Literal::Atom { negated, .. } => *negated,
            Literal::Type { term, .. } => !rule.head_args.contains(term),
            _ => true,
        });
    }
    assert!(kids.next().is_none(), "extra children under {}", node.atom);
    assert_eq!(held, conditions.len());
    path.push(node.atom.clone());
    for child in children {
        validate(program, model, facts, now, child, path);
    }
    path.pop();
}

fn depth(node: &Derivation) -> usize {
    match &node.step {
        Step::Rule { children, .. } => 1 + children.iter().map(depth).max().unwrap_or(0),
        _ => 1,
    }
}

#[test]
fn every_allowed_tuple_has_a_valid_derivation() {
    for (name, text) in POLICIES {
        let program = checked(name, text);
        let allow = program.pred("allow").unwrap();
        let mut proved = 0;
        for test in &program.tests {
            let (facts, now) = test_setup(test);
            let explainer = Explainer::new(&program, &facts, now);
            for tuple in explainer.model().tuples(allow) {
                match explainer.explain(allow, tuple) {
                    Explanation::Allowed(tree) => {
                        let model = explainer.model();
                        validate(&program, model, &facts, now, &tree, &mut Vec::new());
                        proved += 1;
                    }
                    denied => panic!("{name}: `{}` holds but got\n{denied}", tuple[0]),
                }
            }
        }
        assert!(proved > 5, "{name}: only {proved} allowed tuples");
    }
}

#[test]
fn ground_assertions_are_explained_as_asserted() {
    for (name, text) in POLICIES {
        let program = checked(name, text);
        for test in &program.tests {
            let (facts, now) = test_setup(test);
            let explainer = Explainer::new(&program, &facts, now);
            for assertion in &test.asserts {
                let query = &assertion.query;
                let ground: Option<Vec<Value>> =
                    query.args.iter().map(|t| resolve(t, &Vec::new())).collect();
                let Some(tuple) = ground else { continue };
                let explanation = explainer.explain(query.pred, &tuple);
                assert_eq!(
                    explanation.allowed(),
                    assertion.expect,
                    "{name}: {}",
                    assertion.text
                );
                if let Explanation::Allowed(tree) = &explanation {
                    validate(
                        &program,
                        explainer.model(),
                        &facts,
                        now,
                        tree,
                        &mut Vec::new(),
                    );
                }
            }
        }
    }
}

#[test]
fn denied_tuples_list_the_rules_tried() {
    for (name, text) in POLICIES {
        let program = checked(name, text);
        let allow = program.pred("allow").unwrap();
        let mut denied = 0;
        for test in &program.tests {
            let (facts, now) = test_setup(test);
            let explainer = Explainer::new(&program, &facts, now);
            let actors: BTreeSet<&Value> = explainer.model().tuples(allow).map(|t| &t[0]).collect();
            // Every actor against every allowed action and resource.
            for tuple in explainer.model().tuples(allow) {
                for actor in &actors {
                    let goal = vec![(*actor).clone(), tuple[1].clone(), tuple[2].clone()];
                    if explainer.model().contains(allow, &goal) {
                        continue;
                    }
                    let Explanation::Denied { goal: g, tried } = explainer.explain(allow, &goal)
                    else {
                        panic!("{name}: {goal:?} is false but explained as allowed");
                    };
                    assert_eq!(g.args, goal);
                    // `allow(actor, action, resource) if …` matches any goal.
                    assert!(!tried.is_empty(), "{name}: {g}");
                    for rule in &tried {
                        assert!(!rule.failures.is_empty(), "{name}: {g}: {}", rule.rule_text);
                    }
                    denied += 1;
                }
            }
        }
        assert!(denied > 0, "{name}: no denied tuple tried");
    }
}

#[test]
fn every_derived_tuple_of_the_data_cases_has_a_valid_derivation() {
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases");
    let mut proved = 0;
    for entry in std::fs::read_dir(cases).unwrap() {
        let dir = entry.unwrap().path();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        if !dir.join("policy.polar").exists() {
            continue;
        }
        let program = checked("policy.polar", &read("policy.polar"));
        let file = SourceFile::new("facts.facts", read("facts.facts"));
        let facts: BTreeSet<Fact> = crate::facts::parse_facts_file(&program, &file)
            .unwrap()
            .into_iter()
            .collect();
        let explainer = Explainer::new(&program, &facts, NOW);
        let derived: BTreeSet<PredId> = program.rules.iter().map(|r| r.head).collect();
        for pred in derived {
            for tuple in explainer.model().tuples(pred) {
                let Explanation::Allowed(tree) = explainer.explain(pred, tuple) else {
                    panic!(
                        "{}: {}{tuple:?} holds",
                        dir.display(),
                        program.pred_name(pred)
                    );
                };
                validate(
                    &program,
                    explainer.model(),
                    &facts,
                    NOW,
                    &tree,
                    &mut Vec::new(),
                );
                proved += 1;
            }
        }
    }
    assert!(proved > 500, "only {proved} derived tuples");
}

#[test]
#[should_panic(expected = "is not a fact")]
fn the_checker_rejects_a_forged_leaf() {
    let (program, facts) = org_chart_cycle();
    let explainer = Explainer::new(&program, &facts, NOW);
    let manages = program.pred("manages").unwrap();
    let a = Value::entity("User", "a");
    let Explanation::Allowed(mut tree) = explainer.explain(manages, &[a.clone(), a]) else {
        panic!("a manages a");
    };
    // Claim a derived atom is a stored fact.
    tree.step = Step::Fact;
    let set = facts.into_iter().collect();
    validate(
        &program,
        explainer.model(),
        &set,
        NOW,
        &tree,
        &mut Vec::new(),
    );
}

fn org_chart_cycle() -> (Program, Vec<Fact>) {
    let program = checked("org_chart.polar", POLICIES[0].1);
    let user = |id: &str| Value::entity("User", id);
    let manager = |m: &str, e: &str| Fact::new("manager", vec![user(m), user(e)]);
    let facts = vec![manager("a", "b"), manager("b", "c"), manager("c", "a")];
    (program, facts)
}

#[test]
fn a_manager_cycle_gives_a_finite_derivation() {
    let (program, facts) = org_chart_cycle();
    let explainer = Explainer::new(&program, &facts, NOW);
    let manages = program.pred("manages").unwrap();
    let set: BTreeSet<Fact> = facts.iter().cloned().collect();
    for tuple in explainer.model().tuples(manages) {
        let Explanation::Allowed(tree) = explainer.explain(manages, tuple) else {
            panic!("manages{tuple:?} holds");
        };
        validate(
            &program,
            explainer.model(),
            &set,
            NOW,
            &tree,
            &mut Vec::new(),
        );
        // a manages a through b and c: three rule steps, then a fact.
        assert!(depth(&tree) <= 4, "{}", Explanation::Allowed(tree.clone()));
    }
    let goal = Fact::new(
        "manages",
        vec![Value::entity("User", "a"), Value::entity("User", "a")],
    );
    let text = explain(&program, &facts, &goal, NOW).to_string();
    assert!(
        text.starts_with("manages(User{\"a\"}, User{\"a\"})  [rule at line"),
        "{text}"
    );
    assert!(
        text.contains("manager(User{\"c\"}, User{\"a\"})  [fact]"),
        "{text}"
    );
}

/// `allow(Type{"id"}, "action", Type{"id"})`.
fn allow(actor: (&str, &str), action: &str, resource: (&str, &str)) -> Fact {
    let (actor, resource) = (
        Value::entity(actor.0, actor.1),
        Value::entity(resource.0, resource.1),
    );
    Fact::new("allow", vec![actor, Value::str(action), resource])
}

/// The hospital policy and the setup of one of its test blocks.
fn hospital(test: &str) -> (Program, BTreeSet<Fact>, i64) {
    let program = checked("hospital.polar", POLICIES[3].1);
    let (facts, now) = test_setup(program.tests.iter().find(|t| t.name == test).unwrap());
    (program, facts, now)
}

#[test]
fn denials_name_the_failing_literal() {
    let (program, facts) = org_chart_cycle();
    // a comments on nobody's review: there are none.
    let goal = allow(("User", "a"), "comment", ("Review", "ra"));
    let text = explain(&program, &facts, &goal, NOW).to_string();
    let expected = [
        format!("{goal} does not hold\n  rule at line 63: allow(actor, action, resource) if"),
        "`has_permission(User{\"a\"}, \"comment\", Review{\"ra\"})` does not hold".into(),
        "no fact matches `review_of(Review{\"ra\"}, _)`".into(),
    ];
    for part in expected {
        assert!(text.contains(&part), "{part} in\n{text}");
    }

    let (program, facts, now) = hospital("when an on-call shift starts");
    let goal = allow(("Doctor", "chase"), "read", ("Patient", "p2"));
    let text = explain(&program, &facts, &goal, now).to_string();
    let part = "`not restricted(p)` failed: `restricted(Patient{\"p2\"})` holds";
    assert!(text.contains(part), "{text}");

    let (program, facts, now) = hospital("a week after a visit: access is gone");
    let goal = allow(("Doctor", "house"), "write", ("Patient", "p1"));
    let text = explain(&program, &facts, &goal, now).to_string();
    let part = "`t + 604800 > @current_unix_time` is false: \
        `1700000000 + 604800 > @current_unix_time` (@current_unix_time = 1700604800)";
    assert!(text.contains(part), "{text}");
}

#[test]
fn derivations_show_conditions_and_serialize_as_json() {
    let (program, facts, now) = hospital("when an on-call shift starts");
    let goal = allow(("Doctor", "chase"), "read", ("Patient", "p1"));
    let explanation = explain(&program, &facts, &goal, now);
    let text = explanation.to_string();
    for part in [
        "where not restricted(Patient{\"p1\"})",
        "where 1700000000 <= @current_unix_time (@current_unix_time = 1700000000)",
    ] {
        assert!(text.contains(part), "{part} in\n{text}");
    }
    let json = serde_json::to_value(&explanation).unwrap();
    assert_eq!(json["allowed"], true);
    assert_eq!(json["tree"]["atom"], goal.to_string());
    assert_eq!(json["tree"]["kind"], "rule");
    assert_eq!(json["tree"]["children"][0]["kind"], "rule");
    let chase = serde_json::json!({"type": "Doctor", "id": "chase"});
    assert_eq!(json["tree"]["bindings"]["actor"], chase);

    let goal = allow(("Doctor", "chase"), "write", ("Patient", "p1"));
    let json = serde_json::to_value(explain(&program, &facts, &goal, now)).unwrap();
    assert_eq!(json["allowed"], false);
    assert_eq!(json["goal"], goal.to_string());
    assert!(
        json["tried"][0]["failures"][0]["reason"].is_string(),
        "{json}"
    );
}

#[test]
fn unknown_and_base_atoms_are_denied_without_rules() {
    let (program, facts) = org_chart_cycle();
    let missing = Fact::new(
        "manager",
        vec![Value::entity("User", "a"), Value::entity("User", "c")],
    );
    let explanation = explain(&program, &facts, &missing, NOW);
    assert_eq!(
        explanation.to_string(),
        format!("{missing} does not hold\n  it is not a fact, and no rule's head matches it\n")
    );
    let unknown = Fact::new("nope", vec![]);
    assert!(!explain(&program, &facts, &unknown, NOW).allowed());
}

#[test]
fn rule_text_is_one_line_without_comments() {
    assert_eq!(
        one_line("p(x) if # why \"\n  q(x, \"# not a comment\")\n\tand  r(x);"),
        "p(x) if q(x, \"# not a comment\") and r(x);"
    );
}
