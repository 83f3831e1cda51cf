//! Every generator is deterministic per seed, its facts and changes fit its
//! policy, and a tiny run keeps the store equal to the reference evaluator.

use engine::check_policy;
use engine::facts::validate_fact;
use engine::SourceFile;

use super::drive::DriveConfig;
use super::github::GithubConfig;
use super::hospital::HospitalConfig;
use super::org::OrgConfig;
use super::{drive, github, hospital, org, run, Domain};

/// Tiny worlds (a tenth of `--quick`) with five changes of each kind.
fn tiny(seed: u64) -> Vec<Domain> {
    let mut o = OrgConfig::sized(true, 0.1);
    (o.hires, o.moves, o.reorgs) = (5, 5, 1);
    let mut g = GithubConfig::sized(true, 0.1);
    (g.team_moves, g.membership_changes, g.new_repos) = (5, 5, 5);
    let mut d = DriveConfig::sized(true, 0.1);
    (d.folder_moves, d.group_moves, d.new_documents) = (5, 5, 5);
    let mut h = HospitalConfig::sized(true, 0.1);
    (h.new_visits, h.admissions, h.discharges) = (5, 5, 5);
    vec![
        org::domain(&o, seed),
        github::domain(&g, seed),
        drive::domain(&d, seed),
        hospital::domain(&h, seed),
    ]
}

#[test]
fn generators_are_deterministic_and_fit_their_policies() {
    let (first, again, other) = (tiny(7), tiny(7), tiny(8));
    for ((a, b), c) in first.iter().zip(&again).zip(&other) {
        assert_eq!(a, b, "{}: the same seed, another world", a.name);
        assert_ne!(a.facts, c.facts, "{}: another seed, the same facts", a.name);
        assert!(!a.facts.is_empty() && !a.epochs.is_empty(), "{}", a.name);
        let program = check_policy(&SourceFile::new(a.policy_path, a.policy))
            .unwrap_or_else(|d| panic!("{}", d.render()));
        let changes = a.epochs.iter().flat_map(|e| &e.changes).map(|c| &c.fact);
        for fact in a.facts.iter().chain(changes) {
            if let Err(e) = validate_fact(&program, fact) {
                panic!("{}: `{fact}` does not fit the policy: {e}", a.name);
            }
        }
    }
}

#[test]
fn every_kind_of_change_is_generated() {
    let kinds = |d: &Domain| {
        let mut kinds: Vec<&str> = d.epochs.iter().map(|e| e.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    };
    let all = tiny(3);
    assert_eq!(
        kinds(&all[0]),
        [
            "hire",
            "manager move",
            "re-org ~1,000",
            "re-org ~10",
            "re-org ~10,000"
        ]
    );
    assert!(all[0]
        .epochs
        .iter()
        .filter(|e| e.kind.starts_with("re-org"))
        .all(|e| e.moved.is_some()));
    assert_eq!(kinds(&all[1]).len(), 4, "{:?}", kinds(&all[1]));
    assert_eq!(
        kinds(&all[2]),
        ["folder move", "group move", "new document"]
    );
    assert_eq!(kinds(&all[3]), ["admission", "discharge", "new visit"]);
}

#[test]
fn a_tiny_stream_keeps_the_store_equal_to_the_reference() {
    for domain in tiny(11) {
        let outcome = run::run(&domain, 2, true).unwrap_or_else(|e| panic!("{}: {e}", domain.name));
        assert!(outcome.reference_checked);
        assert!(outcome.tuples > 0, "{}: nothing derived", domain.name);
        let changes: usize = outcome.kinds.iter().map(|k| k.changed.len()).sum();
        assert_eq!(changes, domain.epochs.len());
    }
}
