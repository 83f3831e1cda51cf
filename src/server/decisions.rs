//! The decision log: one JSON line per check answered — when, who, what,
//! on what, the answer, the epoch, the time it was answered at and the
//! policy version — so a security
//! team can say who was allowed to do what, when, under which policy. With
//! the change log (`/v1/watch`) and `explain` it also says why.
//!
//! Lines are written by a thread of their own, in the order the checks were
//! answered, and flushed whenever the log catches up.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Receiver, Sender};
use engine::Value;
use serde_json::json;

use crate::error::CliError;

/// Lines waiting for the log thread, at most (then checks wait for it).
const BACKLOG: usize = 1 << 16;

/// The way to the decision log's thread.
#[derive(Clone)]
pub struct DecisionLog {
    lines: Sender<String>,
}

/// One answered check.
pub struct Decision<'a> {
    /// Who asked to act.
    pub actor: &'a Value,
    /// The action.
    pub action: &'a str,
    /// On what.
    pub resource: &'a Value,
    /// The answer.
    pub allowed: bool,
    /// The epoch it was answered at.
    pub epoch: u64,
    /// The time it was answered at (unix seconds): the request's `at`, or
    /// the server's clock.
    pub at: i64,
    /// The policy version it was answered under.
    pub policy_version: &'a str,
}

impl DecisionLog {
    /// Appends to the file at `path` (created if absent).
    pub fn open(path: &Path) -> Result<DecisionLog, CliError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                CliError::Other(format!(
                    "cannot open decision log `{}`: {e}",
                    path.display()
                ))
            })?;
        let (lines, inbox) = crossbeam_channel::bounded(BACKLOG);
        let name = path.display().to_string();
        std::thread::Builder::new()
            .name("permafrost-decisions".into())
            .spawn(move || write_lines(&inbox, BufWriter::new(file), &name))
            .map_err(|e| CliError::Other(format!("cannot start the decision log: {e}")))?;
        Ok(DecisionLog { lines })
    }

    /// Logs one decision.
    pub fn record(&self, decision: &Decision<'_>) {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let line = json!({
            "time_unix_ms": time_ms,
            "actor": decision.actor,
            "action": decision.action,
            "resource": decision.resource,
            "allowed": decision.allowed,
            "epoch": decision.epoch,
            "at": decision.at,
            "policy_version": decision.policy_version,
        });
        // The thread only stops when every sender is gone.
        let _ = self.lines.send(line.to_string());
    }
}

fn write_lines(inbox: &Receiver<String>, mut out: BufWriter<std::fs::File>, name: &str) {
    while let Ok(line) = inbox.recv() {
        let mut written = writeln!(out, "{line}");
        if inbox.is_empty() {
            written = written.and_then(|()| out.flush());
        }
        if let Err(error) = written {
            eprintln!("error: decision log `{name}`: {error}; decisions are not being logged");
            // Keep draining so checks never wait on a broken log.
            for _ in inbox.iter() {}
            return;
        }
    }
}
