//! The store commands of the binary: `load`, `check`, `list`, `who`,
//! `actions` and `query --db`, their outputs and exit codes, and clear
//! errors for foreign, missing and corrupted stores.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn permafrost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn load_org_chart(db: &Path) {
    let out = permafrost(&[
        "load",
        "--db",
        db.to_str().unwrap(),
        "--policy",
        "policies/org_chart.polar",
        "--facts",
        "tests/cases/org_chart_large/facts.facts",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("committed epoch"), "{}", stdout(&out));
}

#[test]
fn load_then_reads_agree_with_query_without_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    load_org_chart(&db);
    let db = db.to_str().unwrap();
    let atom = r#"allow(User{"ceo"}, action, r)"#;
    let from_store = permafrost(&["query", "--db", db, atom]);
    let evaluated = permafrost(&[
        "query",
        "--policy",
        "policies/org_chart.polar",
        "--facts",
        "tests/cases/org_chart_large/facts.facts",
        atom,
    ]);
    assert_eq!(from_store.status.code(), Some(0), "{}", stderr(&from_store));
    assert!(stdout(&from_store).lines().count() > 10);
    assert_eq!(stdout(&from_store), stdout(&evaluated));

    let allowed = permafrost(&["check", "--db", db, "User:ceo", "read", "Review:r_ann"]);
    assert_eq!(
        (allowed.status.code(), stdout(&allowed)),
        (Some(0), "allowed\n".into())
    );
    let denied = permafrost(&[
        "check",
        "--db",
        db,
        "User:ann",
        "read",
        r#"Review{"r_ceo"}"#,
    ]);
    assert_eq!(
        (denied.status.code(), stdout(&denied)),
        (Some(1), "denied\n".into())
    );

    // `list`, `who` and `actions` print the values `query` finds, sorted.
    let list = permafrost(&["list", "--db", db, "User:ceo", "read", "Review"]);
    let expected: Vec<String> = stdout(&from_store)
        .lines()
        .filter(|l| l.contains(r#""read""#) && l.contains("Review{"))
        .map(|l| {
            l.rsplit(", ")
                .next()
                .unwrap()
                .trim_end_matches(')')
                .to_string()
        })
        .collect();
    assert_eq!(stdout(&list).lines().collect::<Vec<_>>(), expected);
    let who = permafrost(&["who", "--db", db, "read", "Review:r_ann"]);
    assert!(
        stdout(&who).lines().any(|l| l == r#"User{"ceo"}"#),
        "{}",
        stdout(&who)
    );
    let actions = permafrost(&["actions", "--db", db, "User:ceo", "Review:r_ann"]);
    assert_eq!(stdout(&actions), "\"comment\"\n\"read\"\n");

    // A limit prints the cursor of the next page on stderr.
    let first = permafrost(&[
        "list", "--db", db, "User:ceo", "read", "Review", "--limit", "2",
    ]);
    assert_eq!(stdout(&first).lines().count(), 2);
    let cursor = stderr(&first)
        .trim()
        .strip_prefix("next cursor: ")
        .unwrap()
        .to_string();
    let rest = permafrost(&[
        "list", "--db", db, "User:ceo", "read", "Review", "--cursor", &cursor,
    ]);
    assert_eq!(stdout(&first) + &stdout(&rest), stdout(&list));
}

#[test]
fn bad_arguments_and_stores_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    load_org_chart(&db);
    let db = db.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["check", "--db", db, "Usr:ceo", "read", "Review:r"],
            "unknown entity type `Usr`",
        ),
        (
            vec!["check", "--db", db, "ceo", "read", "Review:r"],
            "is not an entity",
        ),
        (
            vec!["list", "--db", db, "User:ceo", "read", "Nope"],
            "unknown resource type `Nope`",
        ),
        (
            vec![
                "list", "--db", db, "User:ceo", "read", "Review", "--cursor", "zz",
            ],
            "bad cursor",
        ),
        (
            vec!["query", "--db", db, "manages(a, b)"],
            "derived but not stored",
        ),
        (vec!["query", "--db", db, "allow(a)"], "takes 3 arguments"),
        (
            vec![
                "check",
                "--db",
                "/nonexistent/store",
                "User:a",
                "read",
                "Review:r",
            ],
            "no permafrost store",
        ),
    ];
    for (args, message) in cases {
        let out = permafrost(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn foreign_and_corrupted_directories_are_refused_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let out = permafrost(&[
        "load",
        "--db",
        foreign.to_str().unwrap(),
        "--policy",
        "policies/org_chart.polar",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a permafrost store"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );

    // Garbage over every table and log file of a store.
    let db = dir.path().join("store");
    load_org_chart(&db);
    for entry in std::fs::read_dir(&db).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".sst") || name.ends_with(".log") || name.starts_with("MANIFEST") {
            std::fs::write(&path, b"this is not rocksdb data at all").unwrap();
        }
    }
    for args in [
        vec![
            "check",
            "--db",
            db.to_str().unwrap(),
            "User:ceo",
            "read",
            "Review:r_ann",
        ],
        vec![
            "load",
            "--db",
            db.to_str().unwrap(),
            "--policy",
            "policies/org_chart.polar",
        ],
    ] {
        let out = permafrost(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("is corrupted"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}

#[test]
fn reads_answer_at_the_time_given_by_at() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    load_org_chart(&db);
    // A permission that holds only in [1000, 2000], written as a time-aware
    // materializer would.
    {
        let store = storage::Store::open(&db).unwrap();
        let zed = storage::Permission::new(
            engine::Value::entity("User", "zed"),
            engine::Value::str("read"),
            engine::Value::entity("Review", "r_ann"),
        );
        let validity = storage::Validity::from_intervals(storage::Interval::new(1000, 2000));
        store
            .commit_epoch(&storage::EpochCommit {
                epoch: store.committed_epoch().unwrap() + 1,
                permissions: vec![(zed, validity)],
                ..storage::EpochCommit::default()
            })
            .unwrap();
    }
    let db = db.to_str().unwrap();
    let check = |at: &str| {
        let out = permafrost(&[
            "check",
            "--db",
            db,
            "User:zed",
            "read",
            "Review:r_ann",
            "--at",
            at,
        ]);
        (out.status.code(), stdout(&out))
    };
    let denied = (Some(1), "denied\n".to_string());
    let allowed = (Some(0), "allowed\n".to_string());
    assert_eq!(check("999"), denied);
    assert_eq!(check("1000"), allowed);
    assert_eq!(check("2000"), allowed);
    assert_eq!(check("2001"), denied);
    assert_eq!(check("-5"), denied);
    // Without `--at`: now, long after 2000.
    let now = permafrost(&["check", "--db", db, "User:zed", "read", "Review:r_ann"]);
    assert_eq!(now.status.code(), Some(1));
    let lines = |args: &[&str]| {
        let out = permafrost(args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let who_1500 = lines(&["who", "--db", db, "read", "Review:r_ann", "--at", "1500"]);
    assert!(who_1500.contains("User{\"zed\"}\n"), "{who_1500}");
    assert!(who_1500.contains("User{\"ceo\"}\n"), "{who_1500}");
    let who_now = lines(&["who", "--db", db, "read", "Review:r_ann"]);
    assert!(!who_now.contains("zed"), "{who_now}");
    assert!(who_now.contains("User{\"ceo\"}\n"), "{who_now}");
    let list = |at: &str| lines(&["list", "--db", db, "User:zed", "read", "Review", "--at", at]);
    assert_eq!(list("1000"), "Review{\"r_ann\"}\n");
    assert_eq!(list("3000"), "");
    let actions = |at: &str| {
        lines(&[
            "actions",
            "--db",
            db,
            "User:zed",
            "Review:r_ann",
            "--at",
            at,
        ])
    };
    assert_eq!(actions("2000"), "\"read\"\n");
    assert_eq!(actions("2001"), "");
    let query = |at: &str| {
        lines(&[
            "query",
            "--db",
            db,
            "--at",
            at,
            r#"allow(User{"zed"}, a, r)"#,
        ])
    };
    assert_eq!(
        query("1500"),
        "allow(User{\"zed\"}, \"read\", Review{\"r_ann\"})\n"
    );
    assert_eq!(query("999"), "");
}
