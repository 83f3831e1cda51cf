//! The `domains` workload: four example policies over seeded, generated
//! worlds, materialized through the real write path, then kept up to date
//! by a stream of realistic changes, one epoch per change.
//!
//! Where it sits: outside the flow of data, feeding it. Each domain module
//! pairs a policy of `policies/` with a generator whose facts fit that
//! policy's declarations exactly, and a change stream that keeps the
//! generated world consistent (a tree stays a tree):
//!
//! - [`org`]: `policies/org_chart.polar`; the demo's company (reviews, HR
//!   departments) on a chart of a given fan-out range and depth; hires,
//!   single manager moves, and re-orgs that move a manager with a subtree of
//!   about 10, 1,000 or 10,000 people.
//! - [`github`]: `policies/github.polar`; organizations, repositories,
//!   nested teams; team moves, team membership changes, new repositories.
//! - [`drive`]: `policies/drive.polar`; nested folders and nested groups of
//!   a given depth; folder moves, group nesting changes, new documents.
//! - [`hospital`]: `policies/hospital.polar`; doctors, patients, wards,
//!   timestamped visits around a fixed `now`; new visits, admissions,
//!   discharges.
//!
//! [`run`] materializes one [`Domain`] into a temporary store and applies
//! its stream, measuring the blow-up (derived tuples per base fact) and the
//! cost of each kind of change; [`report`] prints and serializes the
//! figures.

pub mod drive;
pub mod forest;
pub mod github;
pub mod hospital;
pub mod org;
pub mod report;
pub mod run;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use engine::{Fact, Value};
use ingest::{Change, Op};

use crate::BoxError;

/// The `@current_unix_time` every domain is materialized at.
pub const NOW: i64 = 1_700_000_000;

/// A generated world and its change stream, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    /// The domain's name: `org`, `github`, `drive` or `hospital`.
    pub name: &'static str,
    /// Where the policy comes from, for messages.
    pub policy_path: &'static str,
    /// The policy's text.
    pub policy: &'static str,
    /// The value of `@current_unix_time` while materializing.
    pub now: i64,
    /// What the generator was asked for, as JSON.
    pub config: serde_json::Value,
    /// The base facts.
    pub facts: Vec<Fact>,
    /// The change stream, applied one epoch at a time after the facts.
    pub epochs: Vec<Epoch>,
}

/// One change of the stream: one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Epoch {
    /// The kind of change (`hire`, `team move`, …): figures are grouped by
    /// it.
    pub kind: &'static str,
    /// The fact operations, applied in order.
    pub changes: Vec<Change>,
    /// For moves of a subtree, the number of entities moved with it (the
    /// moved node included).
    pub moved: Option<usize>,
}

impl Epoch {
    /// An epoch of `kind`.
    pub fn new(kind: &'static str, changes: Vec<Change>) -> Epoch {
        Epoch {
            kind,
            changes,
            moved: None,
        }
    }
}

/// An entity `ty{"{prefix}{i}"}`.
pub fn entity(ty: &str, prefix: &str, i: usize) -> Value {
    Value::entity(ty, format!("{prefix}{i}"))
}

/// `fact` inserted.
pub fn insert(fact: Fact) -> Change {
    Change {
        op: Op::Insert,
        fact,
    }
}

/// `fact` deleted.
pub fn delete(fact: Fact) -> Change {
    Change {
        op: Op::Delete,
        fact,
    }
}

/// Shuffles `items` in place (Fisher–Yates).
pub fn shuffle<T>(items: &mut [T], rng: &mut crate::rng::Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// `n` scaled by `scale`, at least `min`.
pub fn scaled(n: usize, scale: f64, min: usize) -> usize {
    ((n as f64 * scale).round() as usize).max(min)
}

/// Which domains to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// The org chart with reviews and HR departments.
    Org,
    /// Organizations, repositories and nested teams.
    Github,
    /// Nested folders and nested groups.
    Drive,
    /// Doctors, patients and timestamped visits.
    Hospital,
    /// All four, one after the other.
    All,
}

/// The options of `bench domains`.
#[derive(Clone, Debug, clap::Args)]
pub struct DomainsArgs {
    /// Which domain to run.
    #[arg(long, value_enum, default_value_t = Which::All)]
    pub domain: Which,
    /// Multiplies every generated size (not depths, fan-outs or streams).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Small sizes and short streams (the store is then compared with the
    /// reference evaluator); `--scale` applies on top.
    #[arg(long)]
    pub quick: bool,
    /// Compare the store with the reference evaluator after the stream at
    /// any size (always on with `--quick`).
    #[arg(long)]
    pub verify: bool,
    /// Dataflow workers of the materializer.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// The domains `args` asks for, generated.
pub fn domains(args: &DomainsArgs) -> Vec<Domain> {
    let (quick, scale, seed) = (args.quick, args.scale, args.seed);
    let wanted = |w: Which| args.domain == w || args.domain == Which::All;
    let mut all = Vec::new();
    if wanted(Which::Org) {
        all.push(org::domain(&org::OrgConfig::sized(quick, scale), seed));
    }
    if wanted(Which::Github) {
        let config = github::GithubConfig::sized(quick, scale);
        all.push(github::domain(&config, seed));
    }
    if wanted(Which::Drive) {
        all.push(drive::domain(
            &drive::DriveConfig::sized(quick, scale),
            seed,
        ));
    }
    if wanted(Which::Hospital) {
        let config = hospital::HospitalConfig::sized(quick, scale);
        all.push(hospital::domain(&config, seed));
    }
    all
}

/// Runs `bench domains`: one domain in this process, or (`--domain all`)
/// each domain in a child process of this binary, one after the other, so
/// that each one's peak resident memory is its own; then the JSON.
pub fn main(args: &DomainsArgs) -> Result<(), BoxError> {
    let load_before = report::load_average();
    let verify = args.quick || args.verify;
    let figures = if args.domain == Which::All {
        each_in_a_child(args)?
    } else {
        let mut figures = Vec::new();
        for domain in domains(args) {
            let outcome = run::run(&domain, args.workers, verify)?;
            report::print(&outcome);
            figures.push(report::outcome_json(&outcome));
        }
        figures
    };
    let load_after = report::load_average();
    println!();
    println!("load average (1, 5, 15 min): before {load_before}, after {load_after}");
    if let Some(path) = &args.json {
        let json = report::json(args, verify, figures, &load_before, &load_after);
        std::fs::write(path, format!("{json:#}\n"))
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}

/// Runs `bench domains --domain NAME` for each domain in turn, with the
/// same options; answers the figures of every domain, in order.
fn each_in_a_child(args: &DomainsArgs) -> Result<Vec<serde_json::Value>, BoxError> {
    let exe = std::env::current_exe()?;
    let temp = tempfile::Builder::new()
        .prefix("permafrost-bench-domains-json-")
        .tempdir()?;
    let mut figures = Vec::new();
    for name in ["org", "github", "drive", "hospital"] {
        let path = temp.path().join(format!("{name}.json"));
        let mut child = std::process::Command::new(&exe);
        child.args(["domains", "--domain", name]);
        child.args(["--scale", &args.scale.to_string()]);
        child.args(["--workers", &args.workers.to_string()]);
        child.args(["--seed", &args.seed.to_string()]);
        child.arg("--json").arg(&path);
        if args.quick {
            child.arg("--quick");
        }
        if args.verify {
            child.arg("--verify");
        }
        let status = child.status()?;
        if !status.success() {
            return Err(format!("the `{name}` domain failed ({status})").into());
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)?;
        if let Some(domains) = json["domains"].as_array() {
            figures.extend(domains.iter().cloned());
        }
    }
    Ok(figures)
}
