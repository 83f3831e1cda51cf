//! Stratification: strongly connected components of the predicate
//! dependency graph, in dependency order; negation inside a component
//! (negation through recursion) is rejected.

use std::sync::Arc;

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::program::{Component, Literal, Predicate, Rule};

/// The components of the program, dependencies first.
pub fn components(
    file: &Arc<SourceFile>,
    predicates: &[Predicate],
    rules: &[Rule],
    errors: &mut Diagnostics,
) -> Vec<Component> {
    let mut graph = DiGraph::<usize, ()>::new();
    let nodes: Vec<_> = (0..predicates.len()).map(|p| graph.add_node(p)).collect();
    for rule in rules {
        for literal in &rule.body {
            if let Literal::Atom { pred, .. } = literal {
                graph.update_edge(nodes[*pred], nodes[rule.head], ());
            }
        }
    }
    // tarjan_scc lists components sinks first; reversed, every component
    // comes after the ones it uses.
    let mut sccs = tarjan_scc(&graph);
    sccs.reverse();
    let mut component_of = vec![0; predicates.len()];
    for (c, scc) in sccs.iter().enumerate() {
        for node in scc {
            component_of[graph[*node]] = c;
        }
    }
    let mut components: Vec<Component> = sccs
        .iter()
        .map(|scc| Component {
            preds: scc.iter().map(|n| graph[*n]).collect(),
            rules: Vec::new(),
            recursive: false,
        })
        .collect();
    for (index, rule) in rules.iter().enumerate() {
        let c = component_of[rule.head];
        components[c].rules.push(index);
        for literal in &rule.body {
            if let Literal::Atom { pred, negated, .. } = literal {
                if component_of[*pred] != c {
                    continue;
                }
                components[c].recursive = true;
                if *negated {
                    let head = &predicates[rule.head].name;
                    let used = &predicates[*pred].name;
                    let cycle = if head == used {
                        format!("`{head}` depends on its own negation")
                    } else {
                        format!(
                            "`{head}` depends on `not {used}`, and `{used}` depends on `{head}`"
                        )
                    };
                    errors.push(
                        Diagnostic::new(file, rule.span, format!("negation through recursion: {cycle}"))
                            .with_help("negate only predicates that do not depend on the rule's own predicate (stratified negation)"),
                    );
                }
            }
        }
    }
    for component in &mut components {
        component.preds.sort_unstable();
    }
    components
}
