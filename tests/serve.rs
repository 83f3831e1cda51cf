//! `permafrost serve` end to end: a real server on a loopback port, driven
//! over HTTP/1.1 by a minimal client — reads, paging, writes with and
//! without the token, read-your-writes, and malformed requests that change
//! nothing and crash nothing.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TOKEN: &str = "s3cret-token";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A server process, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &Path, token_file: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", &addr])
        .args(["--token-file", token_file.to_str().unwrap()])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, addr };
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(&server, "GET", "/healthz", None, None).0 != 200 {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// One request; answers the status and the body (status 0 if the
/// connection failed).
fn request(
    server: &Server,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(&server.addr) else {
        return (0, String::new());
    };
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut answer = String::new();
    if stream.read_to_string(&mut answer).is_err() {
        return (0, String::new());
    }
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn post(server: &Server, path: &str, body: &Value) -> (u16, Value) {
    let (status, text) = request(server, "POST", path, Some(&body.to_string()), None);
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn user(id: &str) -> Value {
    json!({"type": "User", "id": id})
}

fn review(id: &str) -> Value {
    json!({"type": "Review", "id": id})
}

fn loaded_store(dir: &Path) -> (PathBuf, PathBuf) {
    let db = dir.join("store");
    let out = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args([
            "load",
            "--db",
            db.to_str().unwrap(),
            "--policy",
            "policies/org_chart.polar",
        ])
        .args(["--facts", "tests/cases/org_chart_large/facts.facts"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    (db, token_file)
}

#[test]
fn reads_writes_tokens_and_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token_file) = loaded_store(dir.path());
    let server = start(&db, &token_file);

    let (status, allowed) = post(
        &server,
        "/v1/check",
        &json!({"actor": user("ceo"), "action": "read", "resource": review("r_ann")}),
    );
    assert_eq!(
        (status, &allowed["allowed"]),
        (200, &json!(true)),
        "{allowed}"
    );
    let epoch = allowed["epoch"].as_u64().unwrap();
    let (_, denied) = post(
        &server,
        "/v1/check",
        &json!({"actor": user("ann"), "action": "read", "resource": review("r_ceo")}),
    );
    assert_eq!(denied["allowed"], json!(false));
    let (_, batch) = post(
        &server,
        "/v1/check/batch",
        &json!({"checks": [
            {"actor": user("ceo"), "action": "read", "resource": review("r_ann")},
            {"actor": user("ann"), "action": "read", "resource": review("r_ceo")},
        ]}),
    );
    assert_eq!(batch["results"], json!([true, false]));
    let (_, actions) = post(
        &server,
        "/v1/actions",
        &json!({"actor": user("ceo"), "resource": review("r_ann")}),
    );
    assert_eq!(actions["actions"], json!(["comment", "read"]));
    let (_, who) = post(
        &server,
        "/v1/who",
        &json!({"action": "read", "resource": review("r_ann")}),
    );
    assert!(
        who["actors"].as_array().unwrap().contains(&user("ceo")),
        "{who}"
    );

    // Explain: a derivation for an allowed check, the rules tried for a denied one.
    let (_, why) = post(
        &server,
        "/v1/explain",
        &json!({"actor": user("ceo"), "action": "read", "resource": review("r_ann")}),
    );
    assert_eq!(why["allowed"], json!(true), "{why}");
    assert!(why["tree"].is_object(), "{why}");
    let (_, why_not) = post(
        &server,
        "/v1/explain",
        &json!({"actor": user("ann"), "action": "read", "resource": review("r_ceo")}),
    );
    assert_eq!(why_not["allowed"], json!(false), "{why_not}");
    assert!(
        !why_not["tried"].as_array().unwrap().is_empty(),
        "{why_not}"
    );

    // Pages with cursors cover the whole list once.
    let (_, all) = post(
        &server,
        "/v1/list",
        &json!({"actor": user("ceo"), "action": "read", "resource_type": "Review"}),
    );
    let all = all["resources"].as_array().unwrap().clone();
    assert!(all.len() > 5);
    let (mut paged, mut cursor) = (Vec::new(), Value::Null);
    loop {
        let (_, page) = post(
            &server,
            "/v1/list",
            &json!({"actor": user("ceo"), "action": "read", "resource_type": "Review", "limit": 2, "cursor": cursor}),
        );
        paged.extend(page["resources"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(paged, all);

    // Writes need the token; without it, nothing changes.
    let hire = json!({"inserts": [{"predicate": "manager", "args": [user("ann"), user("newbie")]},
                                   {"predicate": "review_of", "args": [review("r_newbie"), user("newbie")]}]});
    let (status, _) = request(&server, "POST", "/v1/facts", Some(&hire.to_string()), None);
    assert_eq!(status, 401);
    let (status, _) = request(
        &server,
        "POST",
        "/v1/facts",
        Some(&hire.to_string()),
        Some("wrong"),
    );
    assert_eq!(status, 401);
    let newbie = json!({"actor": user("ceo"), "action": "read", "resource": review("r_newbie")});
    assert_eq!(
        post(&server, "/v1/check", &newbie).1["allowed"],
        json!(false)
    );
    // A bad fact rejects the whole request.
    let bad = json!({"inserts": [{"predicate": "manager", "args": [user("ann"), user("x")]},
                                  {"predicate": "manager", "args": [user("ann")]}]});
    let (status, text) = request(
        &server,
        "POST",
        "/v1/facts",
        Some(&bad.to_string()),
        Some(TOKEN),
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("nothing was applied"), "{text}");
    assert_eq!(
        post(&server, "/v1/check", &newbie).1["epoch"].as_u64(),
        Some(epoch)
    );
    // With the token: one epoch, visible to a read that asks for it.
    let (status, text) = request(
        &server,
        "POST",
        "/v1/facts",
        Some(&hire.to_string()),
        Some(TOKEN),
    );
    assert_eq!(status, 200, "{text}");
    let written: Value = serde_json::from_str(&text).unwrap();
    let new_epoch = written["epoch"].as_u64().unwrap();
    assert!(new_epoch > epoch);
    let mut read_your_write = newbie.clone();
    read_your_write["at_least_epoch"] = json!(new_epoch);
    let (_, seen) = post(&server, "/v1/check", &read_your_write);
    assert_eq!(seen["allowed"], json!(true), "{seen}");
    // An epoch that never comes: 409 after the timeout.
    let mut future = newbie.clone();
    future["at_least_epoch"] = json!(new_epoch + 1000);
    future["timeout_ms"] = json!(100);
    assert_eq!(post(&server, "/v1/check", &future).0, 409);

    // Malformed requests: 4xx, and the server keeps serving.
    for (path, body) in [
        ("/v1/check", "{not json"),
        ("/v1/check", "{}"),
        (
            "/v1/check",
            r#"{"actor":{"type":"Usr","id":"a"},"action":"read","resource":{"type":"Review","id":"r"}}"#,
        ),
        (
            "/v1/check",
            r#"{"actor":"ceo","action":"read","resource":{"type":"Review","id":"r"}}"#,
        ),
        (
            "/v1/list",
            r#"{"actor":{"type":"User","id":"a"},"action":"read","resource_type":"Nope"}"#,
        ),
        (
            "/v1/list",
            r#"{"actor":{"type":"User","id":"a"},"action":"read","resource_type":"Review","cursor":"zz"}"#,
        ),
        ("/v1/who", "[]"),
    ] {
        let (status, text) = request(&server, "POST", path, Some(body), None);
        assert!(
            (400..500).contains(&status),
            "{path} {body}: {status} {text}"
        );
    }
    assert_eq!(request(&server, "GET", "/healthz", None, None).0, 200);
}
