//! The write path: a policy's dataflow kept in step with a store.
//!
//! A [`Materializer`] owns the single writer handle of a store and a running
//! dataflow of the store's policy. Each call to [`Materializer::apply`] is
//! one epoch: the changes go through the dataflow, and the changed facts,
//! the `allow` diffs they cause, the source offset and the new epoch number
//! are committed in one write batch.
//!
//! Opening rebuilds the dataflow from the stored facts and compares what it
//! derives with what the store holds: after a policy change the
//! materialization is rebuilt, and a mismatch (a store written by a buggy
//! build, or edited by hand) is repaired. Both are reported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::dataflow::{Engine, EngineConfig, EngineError};
use engine::facts::validate_fact;
use engine::program::PredId;
use engine::{check_policy, Diagnostics, Fact, Program, SourceFile, Value};
use ingest::{Change, Op};
use sha2::{Digest, Sha256};
use storage::{CommitStats, EpochCommit, Permission, Policy, Store, StoreError, Validity};

/// Why the write path failed. Nothing of a failed epoch is committed.
#[derive(Debug, thiserror::Error)]
pub enum MaterializeError {
    /// The store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The dataflow failed.
    #[error("dataflow: {0}")]
    Engine(#[from] EngineError),
    /// The policy (given or stored) has errors.
    #[error("{}", .0.render().trim_end())]
    Policy(Diagnostics),
    /// A store without a policy was opened without one.
    #[error("store `{}` has no policy yet; pass one with `--policy FILE`", .0.display())]
    NoPolicy(PathBuf),
    /// The policy derives `allow` with another arity than 3.
    #[error("the policy's `allow` has {0} arguments; the store materializes `allow(actor, action, resource)`")]
    AllowArity(usize),
    /// A fact (given or stored) does not fit the policy's declarations.
    #[error("fact `{fact}` does not fit the policy: {reason}")]
    Fact {
        /// The fact in canonical form.
        fact: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// How to run the dataflow behind a store.
#[derive(Clone, Debug)]
pub struct MaterializerConfig {
    /// Timely worker threads.
    pub workers: usize,
}

/// What opening a store found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Base facts read back from the store.
    pub facts: usize,
    /// `allow` tuples the policy derives from them.
    pub tuples: usize,
    /// The policy changed (or was set for the first time): the
    /// materialization was rebuilt, with these changes.
    pub rebuilt: Option<CommitStats>,
    /// The stored tuples differed from the derived ones and were repaired:
    /// missing ones granted, extra ones revoked.
    pub repaired: Option<CommitStats>,
}

/// What one epoch changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpochReport {
    /// The committed epoch.
    pub epoch: u64,
    /// Permission tuples granted and revoked.
    pub stats: CommitStats,
}

/// A store and the running dataflow of its policy.
pub struct Materializer {
    store: Arc<Store>,
    program: Arc<Program>,
    policy_hash: String,
    engine: Engine,
    allow: Option<PredId>,
    config: MaterializerConfig,
}

impl Materializer {
    /// Opens (or creates) the store in `dir` and rebuilds its dataflow.
    ///
    /// With `policy` (the source of a policy file), that policy is used: if
    /// it differs from the stored one, the materialization is rebuilt and
    /// the new policy recorded, in one epoch. Without, the stored policy is
    /// used. The stored facts must fit the policy's declarations.
    pub fn open(
        dir: &Path,
        policy: Option<Arc<SourceFile>>,
        config: &MaterializerConfig,
    ) -> Result<(Materializer, OpenReport), MaterializeError> {
        let store = Arc::new(Store::open(dir)?);
        let stored = store.read()?.policy()?;
        let source = match (policy, &stored) {
            (Some(source), _) => source,
            (None, Some(stored)) => SourceFile::new(
                format!("{} (stored policy)", dir.display()),
                stored.text.clone(),
            ),
            (None, None) => return Err(MaterializeError::NoPolicy(dir.to_path_buf())),
        };
        let changed_policy = stored.as_ref().map(|p| &p.hash) != Some(&policy_hash(&source.text));
        let mut materializer = Materializer::start(store, &source, config)?;
        let report = materializer.rebuild(changed_policy)?;
        Ok((materializer, report))
    }

    /// Checks `source` and starts its dataflow beside `store`, empty.
    fn start(
        store: Arc<Store>,
        source: &Arc<SourceFile>,
        config: &MaterializerConfig,
    ) -> Result<Materializer, MaterializeError> {
        let program = Arc::new(check_policy(source).map_err(MaterializeError::Policy)?);
        let allow = allow_predicate(&program)?;
        let engine = Engine::start(
            &program,
            EngineConfig {
                workers: config.workers,
                outputs: Some(allow.into_iter().collect()),
            },
        )?;
        Ok(Materializer {
            store,
            program,
            policy_hash: policy_hash(&source.text),
            engine,
            allow,
            config: config.clone(),
        })
    }

    /// Switches the store to another policy: the new policy is checked and
    /// its materialization built from the stored facts beside the running
    /// one, then the stored tuples become the new ones in one epoch (the
    /// grants and revocations logged), together with the new policy. On
    /// any error (a broken policy, facts that don't fit it) nothing
    /// changes and the old policy keeps running.
    pub fn switch_policy(
        &mut self,
        source: &Arc<SourceFile>,
    ) -> Result<OpenReport, MaterializeError> {
        let mut next = Materializer::start(Arc::clone(&self.store), source, &self.config)?;
        let changed = next.policy_hash != self.policy_hash;
        let report = next.rebuild(changed)?;
        *self = next;
        Ok(report)
    }

    /// Feeds the stored facts to the fresh dataflow and makes the stored
    /// tuples equal to the derived ones.
    /// With `new_policy`, the policy text is recorded in the same batch.
    fn rebuild(&mut self, new_policy: bool) -> Result<OpenReport, MaterializeError> {
        let reader = self.store.read()?;
        let facts = reader.facts()?.collect::<Result<Vec<Fact>, StoreError>>()?;
        drop(reader);
        for fact in &facts {
            self.validate(fact)?;
        }
        let inserts: Vec<(Fact, bool)> = facts.into_iter().map(|f| (f, true)).collect();
        let diffs = self.engine.apply(&inserts)?;
        let derived: HashMap<Permission, Validity> = diffs
            .diffs
            .into_iter()
            .filter(|(_, _, _, diff)| *diff > 0)
            .filter_map(|(_, tuple, validity, _)| Some((permission(tuple)?, validity)))
            .collect();
        let mut report = OpenReport {
            facts: inserts.len(),
            tuples: derived.len(),
            ..OpenReport::default()
        };
        let next = self.store.committed_epoch()? + 1;
        if new_policy {
            let policy = Policy {
                hash: self.policy_hash.clone(),
                text: self.program.source.text.clone(),
            };
            report.rebuilt = Some(
                self.store
                    .replace_permissions(next, Some(&policy), derived)?,
            );
        } else if !self.matches_store(&derived)? {
            report.repaired = Some(self.store.replace_permissions(next, None, derived)?);
        }
        Ok(report)
    }

    /// Whether the stored tuples and their validities are exactly `derived`.
    fn matches_store(
        &self,
        derived: &HashMap<Permission, Validity>,
    ) -> Result<bool, MaterializeError> {
        let reader = self.store.read()?;
        let mut stored = 0usize;
        for row in reader.permissions()? {
            let (permission, validity) = row?;
            if derived.get(&permission) != Some(&validity) {
                return Ok(false);
            }
            stored += 1;
        }
        Ok(stored == derived.len())
    }

    /// Applies one epoch of changes (in order, with the no-op rule) and
    /// commits it with the sources' new offsets. Every fact is validated
    /// first: on any error nothing is applied.
    pub fn apply(
        &mut self,
        changes: &[Change],
        source_offsets: Vec<(String, u64)>,
    ) -> Result<EpochReport, MaterializeError> {
        for change in changes {
            self.validate(&change.fact)?;
        }
        let inputs: Vec<(Fact, bool)> = changes
            .iter()
            .map(|c| (c.fact.clone(), c.op == Op::Insert))
            .collect();
        let diffs = self.engine.apply(&inputs)?;
        let permissions = net_permissions(diffs.diffs);
        let facts = changes
            .iter()
            .map(|c| {
                let change = match c.op {
                    Op::Insert => storage::Change::Insert,
                    Op::Delete => storage::Change::Delete,
                };
                (c.fact.clone(), change)
            })
            .collect();
        let epoch = self.store.committed_epoch()? + 1;
        let stats = self.store.commit_epoch(&EpochCommit {
            epoch,
            facts,
            permissions,
            source_offsets,
        })?;
        Ok(EpochReport { epoch, stats })
    }

    fn validate(&self, fact: &Fact) -> Result<(), MaterializeError> {
        validate_fact(&self.program, fact)
            .map(|_| ())
            .map_err(|reason| MaterializeError::Fact {
                fact: fact.to_string(),
                reason: reason.to_string(),
            })
    }

    /// The version of the running policy: the SHA-256 of its text, in hex.
    pub fn policy_hash(&self) -> &str {
        &self.policy_hash
    }

    /// The checked policy.
    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// The store, for reads and offsets. Readers on other threads may
    /// share it: commits never block reads, and a [`storage::Reader`] sees
    /// whole epochs only.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Whether the policy derives `allow` at all.
    pub fn has_allow(&self) -> bool {
        self.allow.is_some()
    }
}

/// The `allow` predicate, if the policy has one; it must have arity 3.
fn allow_predicate(program: &Program) -> Result<Option<PredId>, MaterializeError> {
    match program.pred("allow") {
        Some(pred) if program.predicates[pred].arity != 3 => {
            Err(MaterializeError::AllowArity(program.predicates[pred].arity))
        }
        found => Ok(found),
    }
}

/// An epoch's `allow` diffs netted per tuple: its validity after the epoch,
/// [`Validity::never`] when it was retracted and not derived again (a
/// validity change comes as a retraction and a derivation, in any order).
fn net_permissions(diffs: Vec<(PredId, Vec<Value>, Validity, i64)>) -> Vec<(Permission, Validity)> {
    let mut after: HashMap<Permission, Validity> = HashMap::new();
    for (_, tuple, validity, diff) in diffs {
        let Some(permission) = permission(tuple) else {
            continue;
        };
        if diff > 0 {
            after.insert(permission, validity);
        } else {
            after.entry(permission).or_insert_with(Validity::never);
        }
    }
    after.into_iter().collect()
}

/// An `allow` tuple as a permission.
fn permission(tuple: Vec<Value>) -> Option<Permission> {
    let [actor, action, resource]: [Value; 3] = tuple.try_into().ok()?;
    Some(Permission::new(actor, action, resource))
}

/// The hash recorded with a stored policy: SHA-256 of its text, in hex.
pub fn policy_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
