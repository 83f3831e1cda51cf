//! `permafrost repl`: an interactive session over a policy and facts.
//!
//! A line is a query atom (answered like `permafrost query`), or one of
//! the commands `explain ATOM`, `insert FACT`, `delete FACT`, `reload`,
//! `help` and `quit`. Every answer is evaluated by the reference evaluator
//! over the session's facts. A bad line prints an error on standard error
//! and the session goes on. On a terminal, lines are edited with
//! `rustyline` (arrows, Emacs keys, Ctrl-R search) and kept in a history
//! file across sessions; from a pipe, lines are read plainly and no prompt
//! is shown, so sessions can be scripted.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use engine::explain::Explainer;
use engine::facts::{answer_lines, fact_from_atom, parse_query, validate_fact};
use engine::parse::parse_atom;
use engine::program::Term;
use engine::{check_policy, reference, Diagnostics, Fact, Program, SourceFile};

use crate::error::{CliError, EXIT_OK};
use crate::load::{load_facts, load_policy, now, read_source};

/// The arguments of `permafrost repl`.
#[derive(Debug, clap::Args)]
pub struct ReplArgs {
    /// The policy file (`reload` reads it again).
    #[arg(long)]
    pub policy: PathBuf,
    /// Facts files (`pred(args);` statements), loaded in order.
    #[arg(long)]
    pub facts: Vec<PathBuf>,
    /// The time, in unix seconds, for `@current_unix_time` (default: the
    /// current time at each answer).
    #[arg(long, allow_hyphen_values = true)]
    pub at: Option<i64>,
    /// The history file of terminal sessions (default:
    /// `~/.permafrost_history`).
    #[arg(long)]
    pub history: Option<PathBuf>,
}

const HELP: &str = "\
commands:
  ATOM             the matching ground atoms, e.g. allow(User{\"alice\"}, action, _)
  explain ATOM     why a ground atom holds (a derivation), or why not
  insert FACT      add a fact, e.g. insert manager(User{\"a\"}, User{\"b\"})
  delete FACT      remove a fact
  reload           read the policy file again (the old policy stays on error)
  help             this text
  quit             end the session (also `exit`, or end of input)";

/// Runs a session on standard input and output until `quit` or the end of
/// input.
pub fn run(args: &ReplArgs) -> Result<i32, CliError> {
    let mut session = Session::open(args)?;
    if std::io::stdin().is_terminal() {
        interactive(&mut session, args.history.clone().or_else(default_history))?;
    } else {
        scripted(&mut session)?;
    }
    Ok(EXIT_OK)
}

/// `~/.permafrost_history`, if there is a home.
fn default_history() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".permafrost_history"))
}

/// A terminal session: line editing, and the history kept in `history`.
fn interactive(session: &mut Session, history: Option<PathBuf>) -> Result<(), CliError> {
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| CliError::Other(format!("cannot set up line editing: {e}")))?;
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(path);
    }
    let mut out = std::io::stdout();
    writeln!(out, "permafrost repl: `help` lists the commands").map_err(write_error)?;
    loop {
        let line = match editor.readline("permafrost> ") {
            Ok(line) => line,
            // Ctrl-C drops the line being typed; Ctrl-D ends the session.
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(CliError::Other(format!("cannot read the terminal: {e}"))),
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        if answer(session, &line, &mut out)? == Flow::Quit {
            break;
        }
    }
    if let Some(path) = &history {
        if let Err(e) = editor.save_history(path) {
            eprintln!(
                "warning: cannot save the history to `{}`: {e}",
                path.display()
            );
        }
    }
    Ok(())
}

/// A scripted session: lines from a pipe or file, no prompt.
fn scripted(session: &mut Session) -> Result<(), CliError> {
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut line = String::new();
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| CliError::Other(format!("cannot read standard input: {e}")))?;
        if read == 0 || answer(session, &line, &mut out)? == Flow::Quit {
            return Ok(());
        }
    }
}

/// Handles one line; a bad line's error goes to standard error and the
/// session goes on.
fn answer(session: &mut Session, line: &str, out: &mut impl Write) -> Result<Flow, CliError> {
    match session.handle(line.trim(), out) {
        Ok(flow) => Ok(flow),
        Err(err) => {
            out.flush().map_err(write_error)?;
            eprintln!("{err}");
            Ok(Flow::Continue)
        }
    }
}

/// Whether the session goes on after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// End the session.
    Quit,
}

/// The state of a session: the policy and the facts as changed so far.
pub struct Session {
    policy_path: PathBuf,
    program: Program,
    facts: BTreeSet<Fact>,
    at: Option<i64>,
}

impl Session {
    /// Loads the policy and the facts files.
    pub fn open(args: &ReplArgs) -> Result<Session, CliError> {
        let program = load_policy(&args.policy)?;
        let facts = load_facts(&program, &args.facts)?.into_iter().collect();
        Ok(Session {
            policy_path: args.policy.clone(),
            program,
            facts,
            at: args.at,
        })
    }

    /// Handles one line, writing its answer to `out`.
    pub fn handle(&mut self, line: &str, out: &mut impl Write) -> Result<Flow, CliError> {
        let (command, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(c, r)| (c, r.trim()));
        let answer = match (command, rest) {
            ("", _) => return Ok(Flow::Continue),
            (c, _) if c.starts_with('#') => return Ok(Flow::Continue),
            ("quit" | "exit", "") => return Ok(Flow::Quit),
            ("help", "") => HELP.to_string(),
            ("reload", "") => self.reload()?,
            ("explain", atom) => self.explain(atom)?,
            ("insert", fact) => self.change(fact, true)?,
            ("delete", fact) => self.change(fact, false)?,
            _ => self.query(line)?,
        };
        writeln!(out, "{}", answer.trim_end()).map_err(write_error)?;
        Ok(Flow::Continue)
    }

    fn now(&self) -> i64 {
        self.at.unwrap_or_else(now)
    }

    /// The matching ground atoms, one per line, or `(none)`.
    fn query(&self, atom: &str) -> Result<String, CliError> {
        let query = parse_query(&self.program, &input(atom))?;
        let model = reference::evaluate(&self.program, &self.facts, self.now());
        let lines = answer_lines(&self.program, &query, model.tuples(query.pred));
        Ok(if lines.is_empty() {
            "(none)".to_string()
        } else {
            lines.join("\n")
        })
    }

    fn explain(&self, atom: &str) -> Result<String, CliError> {
        let query = parse_query(&self.program, &input(atom))?;
        let ground: Option<Vec<_>> = query
            .args
            .iter()
            .map(|t| match t {
                Term::Const(value) => Some(value.clone()),
                Term::Var(_) | Term::Wildcard => None,
            })
            .collect();
        let tuple = ground.ok_or_else(|| {
            CliError::Other(format!(
                "`{atom}` is not ground\n  help: `explain` needs constants only; list the candidates first with the query `{atom}`"
            ))
        })?;
        let explainer = Explainer::new(&self.program, &self.facts, self.now());
        Ok(explainer.explain(query.pred, &tuple).to_string())
    }

    /// Inserts or deletes a fact (a trailing `;` is allowed).
    fn change(&mut self, text: &str, insert: bool) -> Result<String, CliError> {
        let file = input(text.trim_end().trim_end_matches(';'));
        let atom = parse_atom(&file)?;
        let fact = fact_from_atom(&self.program, &file, &atom).map_err(Diagnostics::from)?;
        let text = if insert {
            if self.facts.insert(fact.clone()) {
                format!("inserted {fact}")
            } else {
                format!("already present: {fact}")
            }
        } else if self.facts.remove(&fact) {
            format!("deleted {fact}")
        } else {
            format!("not present: {fact}")
        };
        Ok(text)
    }

    /// Reads and checks the policy again; keeps the facts that still fit it.
    fn reload(&mut self) -> Result<String, CliError> {
        let source = read_source(&self.policy_path)?;
        let program = check_policy(&source).map_err(|diagnostics| {
            CliError::Other(format!(
                "{}\nthe previous policy stays in use",
                CliError::Diagnostics(diagnostics)
            ))
        })?;
        let mut report = format!("reloaded {}", self.policy_path.display());
        let facts = std::mem::take(&mut self.facts);
        for fact in facts {
            match validate_fact(&program, &fact) {
                Ok(_) => {
                    self.facts.insert(fact);
                }
                Err(reason) => report.push_str(&format!("\ndropped {fact}: {reason}")),
            }
        }
        self.program = program;
        Ok(report)
    }
}

/// A line of input as a source file, for diagnostics.
fn input(text: &str) -> std::sync::Arc<SourceFile> {
    SourceFile::new("<input>", text)
}

fn write_error(error: std::io::Error) -> CliError {
    CliError::Other(format!("cannot write the answer: {error}"))
}
