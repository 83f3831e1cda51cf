//! `permafrost serve` end to end: a real server on a loopback port, driven
//! over HTTP/1.1 by a minimal client — reads, paging, writes with and
//! without the token, read-your-writes, malformed requests that change
//! nothing and crash nothing, the watch feed across reconnects, hot policy
//! reload, metrics and the decision log.

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
    start_with(db, token_file, &[])
}

fn start_with(db: &Path, token_file: &Path, extra: &[&str]) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", &addr])
        .args(["--token-file", token_file.to_str().unwrap()])
        .args(extra)
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
    store_of(
        dir,
        "policies/org_chart.polar",
        &["--facts", "tests/cases/org_chart_large/facts.facts"],
    )
}

/// A store of `policy` loaded by `permafrost load` with `facts` arguments,
/// and a token file.
fn store_of(dir: &Path, policy: &str, facts: &[&str]) -> (PathBuf, PathBuf) {
    let db = dir.join("store");
    let out = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args(["load", "--db", db.to_str().unwrap(), "--policy", policy])
        .args(facts)
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
    // Answered at the server's clock unless the request says when.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let at = allowed["at"].as_i64().unwrap();
    assert!((now - 5..=now + 5).contains(&at), "{allowed}");
    let (_, then) = post(
        &server,
        "/v1/check",
        &json!({"actor": user("ceo"), "action": "read", "resource": review("r_ann"), "at": -42}),
    );
    assert_eq!((&then["allowed"], &then["at"]), (&json!(true), &json!(-42)));
    for (path, body) in [
        ("/v1/check/batch", json!({"checks": [], "at": 7})),
        (
            "/v1/list",
            json!({"actor": user("ceo"), "action": "read", "resource_type": "Review", "at": 7}),
        ),
        (
            "/v1/who",
            json!({"action": "read", "resource": review("r_ann"), "at": 7}),
        ),
        (
            "/v1/actions",
            json!({"actor": user("ceo"), "resource": review("r_ann"), "at": 7}),
        ),
        (
            "/v1/explain",
            json!({"actor": user("ceo"), "action": "read", "resource": review("r_ann"), "at": 7}),
        ),
    ] {
        let (status, answer) = post(&server, path, &body);
        assert_eq!(
            (status, &answer["at"]),
            (200, &json!(7)),
            "{path}: {answer}"
        );
    }
    let (status, _) = post(
        &server,
        "/v1/check",
        &json!({"actor": user("ceo"), "action": "read", "resource": review("r_ann"), "at": "noon"}),
    );
    assert!((400..500).contains(&status), "{status}");
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

/// A `GET /v1/watch` stream: the raw chunked body, decoded into lines.
struct Watch {
    stream: TcpStream,
    raw: Vec<u8>,
    body: Vec<u8>,
}

impl Watch {
    fn open(server: &Server, since: u64) -> Watch {
        let mut stream = TcpStream::connect(&server.addr).unwrap();
        let head = format!("GET /v1/watch?since={since} HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut watch = Watch {
            stream,
            raw: Vec::new(),
            body: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let end = loop {
            if let Some(end) = find(&watch.raw, b"\r\n\r\n") {
                break end;
            }
            assert!(Instant::now() < deadline, "no watch headers");
            watch.fill();
        };
        let head = String::from_utf8_lossy(&watch.raw[..end]).to_string();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        watch.raw.drain(..end + 4);
        watch
    }

    fn fill(&mut self) {
        let mut buf = [0u8; 1 << 16];
        match self.stream.read(&mut buf) {
            Ok(n) => self.raw.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("watch read: {e}"),
        }
    }

    /// Moves the whole chunks read so far into the body.
    fn dechunk(&mut self) {
        while let Some(line_end) = find(&self.raw, b"\r\n") {
            let size =
                usize::from_str_radix(std::str::from_utf8(&self.raw[..line_end]).unwrap(), 16)
                    .unwrap();
            if self.raw.len() < line_end + 2 + size + 2 {
                break;
            }
            self.body
                .extend_from_slice(&self.raw[line_end + 2..line_end + 2 + size]);
            self.raw.drain(..line_end + 2 + size + 2);
        }
    }

    /// The lines that arrive until the stream is quiet for a while, once
    /// at least `at_least` arrived.
    fn lines(&mut self, at_least: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut lines = Vec::new();
        let mut quiet_since = Instant::now();
        loop {
            let before = self.body.len();
            self.fill();
            self.dechunk();
            while let Some(end) = self.body.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.body.drain(..=end).collect();
                lines.push(serde_json::from_slice::<Value>(&line).unwrap());
            }
            if self.body.len() != before || !self.raw.is_empty() {
                quiet_since = Instant::now();
            }
            if lines.len() >= at_least && quiet_since.elapsed() > Duration::from_millis(400) {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "watch: {} lines of {at_least}",
                lines.len()
            );
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn facts(server: &Server, body: &Value) -> u64 {
    let (status, text) = request(
        server,
        "POST",
        "/v1/facts",
        Some(&body.to_string()),
        Some(TOKEN),
    );
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["epoch"]
        .as_u64()
        .unwrap()
}

fn grant(actor: &str, action: &str, resource: &str) -> Value {
    json!({"actor": user(actor), "action": action, "resource": review(resource)})
}

#[test]
fn watch_replays_follows_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token_file) = loaded_store(dir.path());
    let server = start(&db, &token_file);
    let loaded = post(&server, "/v1/check", &grant("ceo", "read", "r_ann")).1["epoch"]
        .as_u64()
        .unwrap();

    // From the start: the initial load's grants, nothing else.
    let mut from_start = Watch::open(&server, 0);
    let initial = from_start.lines(1);
    assert!(initial
        .iter()
        .all(|l| l["change"] == "grant" && l["epoch"].as_u64() <= Some(loaded)));
    assert!(
        initial
            .iter()
            .any(|l| l["tuple"] == grant("ceo", "read", "r_ann")),
        "{initial:?}"
    );
    let who = post(
        &server,
        "/v1/who",
        &json!({"action": "read", "resource": review("r_ann")}),
    )
    .1;
    let readers_of_ann = initial
        .iter()
        .filter(|l| l["tuple"]["action"] == "read" && l["tuple"]["resource"] == review("r_ann"))
        .count();
    assert_eq!(readers_of_ann, who["actors"].as_array().unwrap().len());

    // Following: a hire appears as its epoch's grants.
    let mut live = Watch::open(&server, loaded);
    let hired = facts(
        &server,
        &json!({"inserts": [{"predicate": "manager", "args": [user("ann"), user("newbie")]},
                            {"predicate": "review_of", "args": [review("r_newbie"), user("newbie")]}]}),
    );
    let first = live.lines(1);
    assert!(
        first
            .iter()
            .all(|l| l["epoch"] == json!(hired) && l["change"] == "grant"),
        "{first:?}"
    );
    assert!(
        first
            .iter()
            .any(|l| l["tuple"] == grant("ceo", "comment", "r_newbie")),
        "{first:?}"
    );
    drop(live);

    // Disconnected: newbie leaves. Reconnecting after the last epoch seen
    // gives exactly the revocations, nothing twice.
    let left = facts(
        &server,
        &json!({"deletes": [{"predicate": "manager", "args": [user("ann"), user("newbie")]}]}),
    );
    let mut resumed = Watch::open(&server, hired);
    let second = resumed.lines(1);
    assert!(
        second
            .iter()
            .all(|l| l["epoch"] == json!(left) && l["change"] == "revoke"),
        "{second:?}"
    );
    let revoked: Vec<&Value> = second.iter().map(|l| &l["tuple"]).collect();
    let granted_by_ann: Vec<&Value> = first
        .iter()
        .map(|l| &l["tuple"])
        .filter(|t| t["actor"] != user("newbie"))
        .collect();
    assert_eq!(revoked.len(), granted_by_ann.len(), "{second:?}");
    // The stream from the start carries on with both epochs, in order.
    let rest = from_start.lines(first.len() + second.len());
    assert_eq!(rest, [first, second].concat());
}

#[test]
fn policy_hot_reload_metrics_and_decision_log() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token_file) = loaded_store(dir.path());
    let log = dir.path().join("decisions.jsonl");
    let server = start_with(&db, &token_file, &["--decision-log", log.to_str().unwrap()]);
    let deep = grant("ceo", "read", "r_ann");
    assert_eq!(post(&server, "/v1/check", &deep).1["allowed"], json!(true));

    let original = std::fs::read_to_string(root().join("policies/org_chart.polar")).unwrap();
    // Without the token: refused, nothing changes.
    let (status, _) = request(&server, "PUT", "/v1/policy", Some(&original), None);
    assert_eq!(status, 401);
    // A broken policy: located diagnostics, the old policy keeps serving.
    let broken = original.replace("manages(m, e) and m != e;", "manages(m, e) and;");
    let (status, text) = request(&server, "PUT", "/v1/policy", Some(&broken), Some(TOKEN));
    assert_eq!(status, 400, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert!(
        answer["diagnostics"][0]["line"].as_u64().unwrap() > 1,
        "{answer}"
    );
    let before = post(&server, "/v1/check", &deep).1;
    assert_eq!(before["allowed"], json!(true));

    // A narrower policy: only direct managers comment on (so read) reviews.
    let narrower = original.replace(
        "review_of(r, e) and manages(m, e) and m != e;",
        "review_of(r, e) and manager(m, e) and m != e;",
    );
    assert_ne!(narrower, original);
    let (status, text) = request(&server, "PUT", "/v1/policy", Some(&narrower), Some(TOKEN));
    assert_eq!(status, 200, "{text}");
    let switched: Value = serde_json::from_str(&text).unwrap();
    let version = switched["policy_version"].as_str().unwrap().to_string();
    assert_eq!(version.len(), 64);
    assert!(switched["revoked"].as_u64().unwrap() > 0, "{switched}");
    assert_eq!(switched["granted"], json!(0), "{switched}");
    let epoch = switched["epoch"].as_u64().unwrap();
    assert!(epoch > before["epoch"].as_u64().unwrap());
    let after = post(&server, "/v1/check", &deep).1;
    assert_eq!(
        (after["allowed"].clone(), after["epoch"].as_u64()),
        (json!(false), Some(epoch))
    );
    // The switch is in the change feed, as revocations of its epoch.
    let mut feed = Watch::open(&server, epoch - 1);
    let lines = feed.lines(1);
    assert_eq!(lines.len() as u64, switched["revoked"].as_u64().unwrap());
    assert!(lines
        .iter()
        .any(|l| l["change"] == "revoke" && l["tuple"] == deep));
    // Switching back grants them again.
    let (status, text) = request(&server, "PUT", "/v1/policy", Some(&original), Some(TOKEN));
    assert_eq!(status, 200, "{text}");
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back["granted"], switched["revoked"]);
    assert_eq!(post(&server, "/v1/check", &deep).1["allowed"], json!(true));

    // Metrics: Prometheus text with the counters of what happened.
    let (status, metrics) = request(&server, "GET", "/metrics", None, None);
    assert_eq!(status, 200);
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no `{name}` in\n{metrics}"))
    };
    assert_eq!(
        value("permafrost_check_decisions_total{result=\"allowed\"}"),
        3.0
    );
    assert_eq!(
        value("permafrost_check_decisions_total{result=\"denied\"}"),
        1.0
    );
    assert_eq!(
        value("permafrost_committed_epoch"),
        back["epoch"].as_u64().unwrap() as f64
    );
    assert!(value("permafrost_tuples") > 0.0);
    assert!(
        metrics.contains("permafrost_http_request_duration_seconds_bucket{endpoint=\"/v1/check\"")
    );
    assert!(metrics.contains(&format!(
        "permafrost_policy_info{{version=\"{}\"}} 1",
        back["policy_version"].as_str().unwrap()
    )));

    // The decision log: every check, with its answer, epoch and policy.
    let deadline = Instant::now() + Duration::from_secs(10);
    let decisions = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if lines.len() >= 4 || Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(decisions.len(), 4, "{decisions:?}");
    assert_eq!(decisions[2]["allowed"], json!(false));
    assert_eq!(decisions[2]["policy_version"], json!(version));
    assert_eq!(decisions[2]["epoch"], json!(epoch));
    assert_eq!(decisions[2]["actor"], user("ceo"));
    assert!(decisions
        .iter()
        .all(|d| d["at"].as_i64().unwrap() > 1_700_000_000));
    assert_ne!(
        decisions[0]["policy_version"],
        decisions[2]["policy_version"]
    );
}

#[test]
fn openapi_describes_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token_file) = loaded_store(dir.path());
    let server = start(&db, &token_file);
    let (status, yaml) = request(&server, "GET", "/v1/openapi.yaml", None, None);
    assert_eq!(status, 200);
    // `  /path:` then `    method:` lines.
    let mut described = Vec::new();
    let mut path = None;
    for line in yaml.lines() {
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{p}"));
        } else if let (Some(p), Some(method)) = (
            &path,
            line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')),
        ) {
            if ["get", "post", "put"].contains(&method) {
                described.push((method.to_uppercase(), p.clone()));
            }
        } else if !line.starts_with("  ") {
            path = None;
        }
    }
    assert_eq!(described.len(), 12, "{described:?}");
    for (method, path) in &described {
        // A watch stream never ends: ask for an impossible cursor instead.
        let target = if path == "/v1/watch" {
            "/v1/watch?since=x"
        } else {
            path
        };
        let (status, text) = request(&server, method, target, Some("{}"), None);
        assert!(
            ![404, 405].contains(&status),
            "{method} {path} is described but not routed: {status} {text}"
        );
    }
    // And something not described is not routed.
    assert_eq!(
        request(&server, "POST", "/v1/nothing", Some("{}"), None).0,
        404
    );
}

/// Time-bounded permissions over HTTP: a visit posted once grants reading
/// from two days before it and writing from the visit on, both until seven
/// days after; every read answers at its `at`, and the watch feed carries
/// the grant's validity. Nothing is recomputed between the reads.
#[test]
fn visits_grant_in_time_windows_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token_file) = store_of(dir.path(), "policies/hospital.polar", &[]);
    let server = start(&db, &token_file);

    const T: i64 = 1_700_000_000;
    const DAY: i64 = 86_400;
    let house = json!({"type": "Doctor", "id": "house"});
    let p1 = json!({"type": "Patient", "id": "p1"});
    let epoch = facts(
        &server,
        &json!({"inserts": [{"predicate": "visit", "args": [house, p1, T]}]}),
    );
    let allowed = |action: &str, at: i64| {
        let body = json!({"actor": house, "action": action, "resource": p1, "at": at,
                          "at_least_epoch": epoch});
        let (status, answer) = post(&server, "/v1/check", &body);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["at"], json!(at));
        answer["allowed"].as_bool().unwrap()
    };
    let windows = [
        (T - 2 * DAY - 1, false, false),
        (T - 2 * DAY, true, false),
        (T - 1, true, false),
        (T, true, true),
        (T + 7 * DAY - 1, true, true),
        (T + 7 * DAY, false, false),
    ];
    for (at, read, write) in windows {
        assert_eq!(allowed("read", at), read, "read at {at}");
        assert_eq!(allowed("write", at), write, "write at {at}");
    }
    let who = |at: i64| {
        post(
            &server,
            "/v1/who",
            &json!({"action": "write", "resource": p1, "at": at}),
        )
        .1["actors"]
            .clone()
    };
    assert_eq!(who(T), json!([house]));
    assert_eq!(who(T - 1), json!([]));

    // The feed logs the grants with their windows (open ends as null).
    let mut feed = Watch::open(&server, 0);
    let lines = feed.lines(2);
    let write = lines
        .iter()
        .find(|l| l["tuple"]["action"] == "write" && l["change"] == "grant")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(write["valid"], json!([[T, T + 7 * DAY - 1]]), "{write}");
}
