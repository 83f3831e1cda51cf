//! `permafrost explain` (from a store and without one) and `permafrost
//! repl`, driven through standard input and in process.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use permafrost::commands::repl::{Flow, ReplArgs, Session};

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

const ORG_FACTS: &str = "tests/cases/org_chart_large/facts.facts";

fn load_org_chart(db: &Path) {
    let out = permafrost(&[
        "load",
        "--db",
        db.to_str().unwrap(),
        "--policy",
        "policies/org_chart.polar",
        "--facts",
        ORG_FACTS,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn explain_from_a_store_allowed_and_denied() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    load_org_chart(&db);
    let db = db.to_str().unwrap();

    let allowed = permafrost(&["explain", "--db", db, "User:ceo", "read", "Review:r_ann"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    let text = stdout(&allowed);
    assert!(
        text.starts_with(
            "allowed\nallow(User{\"ceo\"}, \"read\", Review{\"r_ann\"})  [rule at line "
        ),
        "{text}"
    );
    assert!(text.contains("  has_permission(User{\"ceo\"}, \"read\", Review{\"r_ann\"})"));
    assert!(
        text.contains("review_of(Review{\"r_ann\"}, User{\"ann\"})  [fact]"),
        "{text}"
    );
    assert!(
        text.contains("where User{\"ceo\"} != User{\"ann\"}"),
        "{text}"
    );

    let denied = permafrost(&[
        "explain",
        "--db",
        db,
        "User:ann",
        "read",
        r#"Review{"r_ceo"}"#,
    ]);
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    let text = stdout(&denied);
    assert!(
        text.starts_with(
            "denied\nallow(User{\"ann\"}, \"read\", Review{\"r_ceo\"}) does not hold\n  rule at line "
        ),
        "{text}"
    );
    assert!(
        text.contains("`has_permission(User{\"ann\"}, \"read\", Review{\"r_ceo\"})` does not hold"),
        "{text}"
    );
    assert!(
        text.contains("no fact `review_of(Review{\"r_ceo\"}, User{\"ann\"})`"),
        "{text}"
    );

    // The verdict agrees with `check`, and the JSON is what the HTTP API sends.
    let json = permafrost(&[
        "explain",
        "--db",
        db,
        "--json",
        "User:ceo",
        "comment",
        "Review:r_ann",
    ]);
    let check = permafrost(&["check", "--db", db, "User:ceo", "comment", "Review:r_ann"]);
    assert_eq!(json.status.code(), check.status.code());
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(value["allowed"], true);
    assert_eq!(value["tree"]["kind"], "rule");
    assert_eq!(
        value["tree"]["atom"],
        r#"allow(User{"ceo"}, "comment", Review{"r_ann"})"#
    );

    let bad = permafrost(&["explain", "--db", db, "Usr:ceo", "read", "Review:r_ann"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown entity type `Usr`"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn explain_without_a_store() {
    let args = [
        "explain",
        "--policy",
        "policies/org_chart.polar",
        "--facts",
        ORG_FACTS,
    ];
    let allowed = permafrost(&[&args[..], &["User:ceo", "read", "Review:r_ann"]].concat());
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    load_org_chart(&db);
    let from_store = permafrost(&[
        "explain",
        "--db",
        db.to_str().unwrap(),
        "User:ceo",
        "read",
        "Review:r_ann",
    ]);
    assert_eq!(stdout(&allowed), stdout(&from_store));
    let denied = permafrost(&[&args[..], &["User:ann", "write", "Review:r_ann"]].concat());
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    assert!(
        stdout(&denied).starts_with("denied\n"),
        "{}",
        stdout(&denied)
    );
}

const SESSION: &str = r#"allow(User{"ceo"}, action, Review{"r1"})
insert review_of(Review{"r1"}, User{"eng"});
allow(User{"ceo"}, action, Review{"r1"})
explain allow(User{"ceo"}, "comment", Review{"r1"})

# a comment, then bad lines: each prints an error and the session goes on
this is not an atom
insert nope(User{"x"})
explain allow(User{"ceo"}, action, Review{"r1"})
explain allow(User{"ceo"}, "write", Review{"r1"})
delete manager(User{"ceo"}, User{"vp"})
delete manager(User{"ceo"}, User{"vp"})
allow(User{"ceo"}, action, Review{"r1"})
quit
manager(x, y)
"#;

#[test]
fn a_repl_session_through_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("chart.facts");
    std::fs::write(
        &facts,
        "manager(User{\"ceo\"}, User{\"vp\"});\nmanager(User{\"vp\"}, User{\"eng\"});\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args(["repl", "--policy", "policies/org_chart.polar", "--facts"])
        .arg(&facts)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(SESSION.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let expected_start = "(none)\n\
        inserted review_of(Review{\"r1\"}, User{\"eng\"})\n\
        allow(User{\"ceo\"}, \"comment\", Review{\"r1\"})\n\
        allow(User{\"ceo\"}, \"read\", Review{\"r1\"})\n\
        allow(User{\"ceo\"}, \"comment\", Review{\"r1\"})  [rule at line ";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(
        text.contains("manager(User{\"vp\"}, User{\"eng\"})  [fact]\n"),
        "{text}"
    );
    assert!(
        text.contains("allow(User{\"ceo\"}, \"write\", Review{\"r1\"}) does not hold\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "deleted manager(User{\"ceo\"}, User{\"vp\"})\n\
             not present: manager(User{\"ceo\"}, User{\"vp\"})\n\
             (none)\n"
        ),
        "{text}"
    );
    let errors = stderr(&out);
    assert_eq!(errors.matches("error").count(), 3, "{errors}");
    assert!(
        errors.contains("`nope` is not a declared base relation"),
        "{errors}"
    );
    assert!(errors.contains("is not ground"), "{errors}");
}

#[test]
fn reload_keeps_the_old_policy_on_error_and_drops_facts_that_no_longer_fit() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.polar");
    let original = "actor User {}\ndeclare manager(User, User);\ndeclare peer(User, User);\n\
        boss(m: User, e: User) if manager(m, e);\n";
    std::fs::write(&policy, original).unwrap();
    let mut session = Session::open(&ReplArgs {
        policy: policy.clone(),
        facts: Vec::new(),
        at: Some(0),
        history: None,
    })
    .unwrap();
    let mut run = |line: &str| {
        let mut out = Vec::new();
        let result = session.handle(line, &mut out);
        (
            result.map_err(|e| e.to_string()),
            String::from_utf8(out).unwrap(),
        )
    };
    let (_, out) = run(r#"insert manager(User{"a"}, User{"b"})"#);
    assert_eq!(out, "inserted manager(User{\"a\"}, User{\"b\"})\n");
    assert!(run(r#"insert peer(User{"a"}, User{"c"})"#).0.is_ok());

    std::fs::write(
        &policy,
        "actor User {}\nboss(m: User, e: User) if nope(m, e);\n",
    )
    .unwrap();
    let (result, _) = run("reload");
    let error = result.unwrap_err();
    assert!(
        error.contains("the previous policy stays in use"),
        "{error}"
    );
    assert_eq!(run("boss(x, y)").1, "boss(User{\"a\"}, User{\"b\"})\n");

    std::fs::write(&policy, original.replace("declare peer(User, User);\n", "")).unwrap();
    let (result, out) = run("reload");
    assert!(result.is_ok(), "{result:?}");
    assert!(out.starts_with("reloaded "), "{out}");
    assert!(
        out.contains(
            "dropped peer(User{\"a\"}, User{\"c\"}): `peer` is not a declared base relation"
        ),
        "{out}"
    );
    assert_eq!(
        run("manager(x, _)").1,
        "manager(User{\"a\"}, User{\"b\"})\n"
    );
    assert_eq!(run("help").0, Ok(Flow::Continue));
    assert_eq!(run("quit").0, Ok(Flow::Quit));
}
