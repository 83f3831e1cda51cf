//! The `permafrost` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use permafrost::commands;
use permafrost::commands::query::EngineKind;
use permafrost::error::{CliError, EXIT_DENIED, EXIT_ERROR, EXIT_OK, EXIT_REJECTED_EVENTS};

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
    /// Evaluate a query over a policy and facts, without a store.
    Query {
        /// The policy file.
        #[arg(long)]
        policy: PathBuf,
        /// Facts files (`pred(args);` statements), loaded in order.
        #[arg(long)]
        facts: Vec<PathBuf>,
        /// A JSON Lines event file applied after the facts.
        #[arg(long)]
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
        #[arg(long)]
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
    /// Check policies and print their diagnostics.
    CheckPolicy {
        /// Policy files.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
    },
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
        Command::Query {
            policy,
            facts,
            events,
            at,
            engine,
            workers,
            explain_plan,
            query,
        } => {
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
                query: query.unwrap_or_default(),
            };
            let (lines, rejected) = commands::query::run(&args)?;
            for line in lines {
                println!("{line}");
            }
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
        Command::CheckPolicy { policies } => {
            commands::check_policy::run(&policies)?;
            Ok(EXIT_OK)
        }
    }
}
