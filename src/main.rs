//! The `permafrost` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ingest::batch::BatchConfig;
use permafrost::commands;
use permafrost::commands::ingest::IngestArgs;
use permafrost::commands::query::EngineKind;
use permafrost::commands::store_reads::{self, PageArgs, StoreView};
use permafrost::demo::DemoArgs;
use permafrost::error::{CliError, EXIT_DENIED, EXIT_ERROR, EXIT_OK, EXIT_REJECTED_EVENTS};
use permafrost::load::now;
use permafrost::materializer::MaterializerConfig;

/// permafrost: Polar policies compiled to an incremental dataflow, with every
/// derived permission materialized.
#[derive(Parser)]
#[command(name = "permafrost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: generate a company, materialize the org chart policy
    /// into a store, stream HR changes while answering checks, and print
    /// what was measured.
    Demo {
        /// Employees in the generated company.
        #[arg(long, default_value_t = 30_000)]
        employees: usize,
        /// HR changes streamed through ingest.
        #[arg(long, default_value_t = 5_000)]
        changes: usize,
        /// Random checks measured.
        #[arg(long, default_value_t = 100_000)]
        checks: usize,
        /// Single manager moves whose visibility is measured.
        #[arg(long, default_value_t = 200)]
        moves: usize,
        /// Keep the store in this directory (default: a temporary one,
        /// removed at the end).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Dataflow worker threads.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Evaluate a query over a policy and facts, without a store.
    Query {
        /// The policy file (evaluate without a store).
        #[arg(long, required_unless_present = "db", conflicts_with = "db")]
        policy: Option<PathBuf>,
        /// Answer from this store's materialized relations instead.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Facts files (`pred(args);` statements), loaded in order.
        #[arg(long, conflicts_with = "db")]
        facts: Vec<PathBuf>,
        /// A JSON Lines event file applied after the facts.
        #[arg(long, conflicts_with = "db")]
        events: Option<PathBuf>,
        /// The time, in unix seconds, for `@current_unix_time` (default: now).
        #[arg(long, allow_hyphen_values = true)]
        at: Option<i64>,
        /// The engine that evaluates.
        #[arg(long, value_enum, default_value = "dataflow")]
        engine: EngineKind,
        /// Dataflow worker threads.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Print the dataflow plan of the policy instead of answering.
        #[arg(long, requires = "policy")]
        explain_plan: bool,
        /// The query atom, e.g. `allow(User{"alice"}, action, _)`.
        #[arg(required_unless_present = "explain_plan")]
        query: Option<String>,
    },
    /// Run the `test` blocks of policies.
    Test {
        /// Policy files.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// The engine that evaluates.
        #[arg(long, value_enum, default_value = "dataflow")]
        engine: EngineKind,
        /// Dataflow worker threads.
        #[arg(long, default_value_t = 1)]
        workers: usize,
    },
    /// Create or reopen a store and materialize a policy over facts.
    Load {
        /// The store directory (created if missing or empty).
        #[arg(long)]
        db: PathBuf,
        /// The policy file; a different policy than the stored one rebuilds
        /// the materialization.
        #[arg(long)]
        policy: PathBuf,
        /// Facts files, added to the store's facts as one epoch.
        #[arg(long)]
        facts: Vec<PathBuf>,
        /// Dataflow worker threads.
        #[arg(long, default_value_t = 1)]
        workers: usize,
    },
    /// Apply a JSON Lines event stream to a store, epoch by epoch. A file
    /// resumes after its last committed line.
    Ingest {
        /// The store directory (made by `load`).
        #[arg(long)]
        db: PathBuf,
        /// The event file, or `-` (the default) for standard input.
        input: Option<PathBuf>,
        /// Keep reading the file as it grows, across rotations, until
        /// interrupted (like `tail -F`).
        #[arg(long, requires = "input")]
        follow: bool,
        /// Switch the store to this policy first (default: the stored one).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Append rejected lines, with their reasons, to this JSON Lines file.
        #[arg(long)]
        dead_letter: Option<PathBuf>,
        /// An epoch closes once it holds this many operations.
        #[arg(long, default_value_t = 10_000)]
        max_events: usize,
        /// An epoch closes once its oldest event waited this long (ms).
        #[arg(long, default_value_t = 20)]
        max_latency_ms: u64,
        /// Closed epochs that may wait for the store before reading pauses.
        #[arg(long, default_value_t = 4)]
        queue_depth: usize,
        /// Dataflow worker threads.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Print `epoch N` as each epoch is committed (durable).
        #[arg(long)]
        print_epochs: bool,
    },
    /// The HTTP permission service (DESIGN.md §6).
    Serve {
        /// The store directory (made by `load`).
        #[arg(long)]
        db: PathBuf,
        /// Switch the store to this policy first (default: the stored one).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:7070")]
        listen: std::net::SocketAddr,
        /// A file holding the bearer token of write and admin endpoints
        /// (default: the `PERMAFROST_TOKEN` environment variable).
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// Append one JSON line per answered check (time, actor, action,
        /// resource, result, epoch, time answered at, policy version) to this file.
        #[arg(long)]
        decision_log: Option<PathBuf>,
        /// Dataflow worker threads.
        #[arg(long, default_value_t = 1)]
        workers: usize,
    },
    /// Whether ACTOR may do ACTION on RESOURCE: prints `allowed` (exit 0) or
    /// `denied` (exit 1).
    Check {
        /// The store directory.
        #[arg(long)]
        db: PathBuf,
        /// The actor, `Type:id` or `Type{"id"}`.
        actor: String,
        /// The action, e.g. `read`.
        action: String,
        /// The resource, `Type:id` or `Type{"id"}`.
        resource: String,
        /// The time of the answer, in unix seconds (default: now).
        #[arg(long, allow_hyphen_values = true)]
        at: Option<i64>,
    },
    /// The resources of TYPE that ACTOR may do ACTION on, one per line.
    List {
        /// The store directory.
        #[arg(long)]
        db: PathBuf,
        /// The actor, `Type:id` or `Type{"id"}`.
        actor: String,
        /// The action.
        action: String,
        /// The resource type, e.g. `Repository`.
        resource_type: String,
        #[command(flatten)]
        page: PageOptions,
        /// The time of the answer, in unix seconds (default: now).
        #[arg(long, allow_hyphen_values = true)]
        at: Option<i64>,
    },
    /// The actors that may do ACTION on RESOURCE, one per line.
    Who {
        /// The store directory.
        #[arg(long)]
        db: PathBuf,
        /// The action.
        action: String,
        /// The resource, `Type:id` or `Type{"id"}`.
        resource: String,
        #[command(flatten)]
        page: PageOptions,
        /// The time of the answer, in unix seconds (default: now).
        #[arg(long, allow_hyphen_values = true)]
        at: Option<i64>,
    },
    /// The actions ACTOR may take on RESOURCE, one per line.
    Actions {
        /// The store directory.
        #[arg(long)]
        db: PathBuf,
        /// The actor, `Type:id` or `Type{"id"}`.
        actor: String,
        /// The resource, `Type:id` or `Type{"id"}`.
        resource: String,
        /// The time of the answer, in unix seconds (default: now).
        #[arg(long, allow_hyphen_values = true)]
        at: Option<i64>,
    },
    /// Check policies and print their diagnostics.
    CheckPolicy {
        /// Policy files.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
    },
    /// Why ACTOR may or may not do ACTION on RESOURCE: prints `allowed` and
    /// a derivation of rules and facts (exit 0), or `denied` and the rules
    /// that failed (exit 1).
    Explain(commands::explain::ExplainArgs),
    /// An interactive session over a policy and facts: queries, `explain`,
    /// `insert`, `delete`, `reload`.
    Repl(commands::repl::ReplArgs),
}

/// Paging of `list` and `who`.
#[derive(clap::Args)]
struct PageOptions {
    /// At most this many rows; when more follow, the cursor of the next page
    /// is printed on standard error.
    #[arg(long)]
    limit: Option<usize>,
    /// Continue after this cursor (printed by an earlier `--limit` answer).
    #[arg(long)]
    cursor: Option<String>,
}

impl From<PageOptions> for PageArgs {
    fn from(options: PageOptions) -> Self {
        PageArgs {
            cursor: options.cursor,
            limit: options.limit,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{err}");
            EXIT_ERROR
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

fn run(command: Command) -> Result<i32, CliError> {
    match command {
        Command::Demo {
            employees,
            changes,
            checks,
            moves,
            db,
            workers,
            seed,
        } => {
            let args = DemoArgs {
                employees,
                changes,
                checks,
                moves,
                db,
                workers,
                seed,
            };
            print!("{}", permafrost::demo::run(&args)?);
            Ok(EXIT_OK)
        }
        Command::Query {
            policy,
            db,
            facts,
            events,
            at,
            engine,
            workers,
            explain_plan,
            query,
        } => {
            let query = query.unwrap_or_default();
            let (Some(policy), None) = (policy, &db) else {
                let view = StoreView::open(db.as_deref().unwrap_or(Path::new(".")))?;
                let at = at.unwrap_or_else(now);
                print_lines(store_reads::query(&view, &query, at)?);
                return Ok(EXIT_OK);
            };
            if explain_plan {
                print!("{}", commands::query::explain_plan(&policy)?);
                return Ok(EXIT_OK);
            }
            let args = commands::query::QueryArgs {
                policy,
                facts,
                events,
                at,
                engine,
                workers,
                query,
            };
            let (lines, rejected) = commands::query::run(&args)?;
            print_lines(lines);
            Ok(if rejected > 0 {
                EXIT_REJECTED_EVENTS
            } else {
                EXIT_OK
            })
        }
        Command::Test {
            policies,
            engine,
            workers,
        } => Ok(if commands::test::run(&policies, engine, workers)? {
            EXIT_OK
        } else {
            EXIT_DENIED
        }),
        Command::Load {
            db,
            policy,
            facts,
            workers,
        } => {
            let config = MaterializerConfig { workers };
            println!("{}", commands::load::run(&db, &policy, &facts, &config)?);
            Ok(EXIT_OK)
        }
        Command::Ingest {
            db,
            input,
            follow,
            policy,
            dead_letter,
            max_events,
            max_latency_ms,
            queue_depth,
            workers,
            print_epochs,
        } => {
            let args = IngestArgs {
                db,
                input,
                follow,
                policy,
                dead_letter,
                batch: BatchConfig {
                    max_events: max_events.max(1),
                    max_latency: Duration::from_millis(max_latency_ms),
                    queue_depth: queue_depth.max(1),
                },
                materializer: MaterializerConfig { workers },
                print_epochs,
            };
            // A followed file is read until the process is stopped; stopping
            // it at any moment is safe: epochs are atomic and the next run
            // resumes after the last committed line.
            let summary = commands::ingest::run(&args, Arc::new(AtomicBool::new(false)))?;
            eprint!("{summary}");
            println!("committed epoch {}", summary.committed_epoch);
            Ok(if summary.totals.rejected_lines > 0 {
                EXIT_REJECTED_EVENTS
            } else {
                EXIT_OK
            })
        }
        Command::Serve {
            db,
            policy,
            listen,
            token_file,
            decision_log,
            workers,
        } => {
            let token = match token_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|source| CliError::Read { path, source })?
                        .trim()
                        .to_string(),
                ),
                None => std::env::var("PERMAFROST_TOKEN").ok(),
            };
            if token.as_deref() == Some("") {
                return Err(CliError::Other(
                    "the bearer token is empty; give a non-empty one, or none to disable writes"
                        .into(),
                ));
            }
            let args = permafrost::server::ServeArgs {
                db,
                policy,
                listen,
                token,
                decision_log,
                materializer: MaterializerConfig { workers },
            };
            permafrost::server::run(&args)?;
            Ok(EXIT_OK)
        }
        Command::Check {
            db,
            actor,
            action,
            resource,
            at,
        } => {
            let view = StoreView::open(&db)?;
            let at = at.unwrap_or_else(now);
            Ok(
                if store_reads::check(&view, &actor, &action, &resource, at)? {
                    println!("allowed");
                    EXIT_OK
                } else {
                    println!("denied");
                    EXIT_DENIED
                },
            )
        }
        Command::List {
            db,
            actor,
            action,
            resource_type,
            page,
            at,
        } => {
            let view = StoreView::open(&db)?;
            let mut out = std::io::stdout().lock();
            let next = store_reads::list(
                &view,
                &actor,
                &action,
                &resource_type,
                &page.into(),
                at.unwrap_or_else(now),
                &mut out,
            )?;
            print_cursor(next);
            Ok(EXIT_OK)
        }
        Command::Who {
            db,
            action,
            resource,
            page,
            at,
        } => {
            let view = StoreView::open(&db)?;
            let mut out = std::io::stdout().lock();
            let at = at.unwrap_or_else(now);
            let next = store_reads::who(&view, &action, &resource, &page.into(), at, &mut out)?;
            print_cursor(next);
            Ok(EXIT_OK)
        }
        Command::Actions {
            db,
            actor,
            resource,
            at,
        } => {
            let view = StoreView::open(&db)?;
            let at = at.unwrap_or_else(now);
            print_lines(store_reads::actions(&view, &actor, &resource, at)?);
            Ok(EXIT_OK)
        }
        Command::CheckPolicy { policies } => {
            commands::check_policy::run(&policies)?;
            Ok(EXIT_OK)
        }
        Command::Explain(args) => commands::explain::run(&args),
        Command::Repl(args) => commands::repl::run(&args),
    }
}

fn print_lines<T: std::fmt::Display>(lines: impl IntoIterator<Item = T>) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        // A closed pipe (`| head`) ends the output; nothing else to do.
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
}

fn print_cursor(next: Option<String>) {
    if let Some(cursor) = next {
        eprintln!("next cursor: {cursor}");
    }
}
