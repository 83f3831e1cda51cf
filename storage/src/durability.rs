//! Tests of the atomicity and durability promises across threads and
//! processes: readers see whole epochs while a writer commits, and an
//! acknowledged epoch survives `kill -9` of the writer.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use engine::validity::Validity;
use engine::value::{Fact, Value};

use crate::testutil::{all_facts, all_perms, allow};
use crate::{Change, EpochCommit, Permission, Reader, Store};

/// Where the child writer of [`kill_9_keeps_every_acknowledged_epoch`] writes.
const CHILD_DIR: &str = "PERMAFROST_STORAGE_TEST_CHILD_DIR";

/// Tuples granted per epoch.
const WIDTH: usize = 5;

/// The permissions present at `epoch`: [`WIDTH`] tuples naming the epoch.
fn generation(epoch: u64) -> Vec<Permission> {
    (0..WIDTH)
        .map(|i| allow(&format!("u{epoch}-{i}"), "read", "Doc", "d"))
        .collect()
}

/// Epoch `epoch` replaces the previous generation, adds one fact and moves
/// the offset of source `src` to `epoch`.
fn commit(epoch: u64) -> EpochCommit {
    let grants = generation(epoch)
        .into_iter()
        .map(|p| (p, Validity::always()));
    let revokes = generation(epoch - 1)
        .into_iter()
        .map(|p| (p, Validity::never()));
    EpochCommit {
        epoch,
        facts: vec![(
            Fact::new("tick", vec![Value::Int(epoch as i64)]),
            Change::Insert,
        )],
        permissions: revokes.chain(grants).collect(),
        source_offsets: vec![("src".into(), epoch)],
    }
}

/// Asserts that `reader` sees exactly the state after its epoch, and
/// returns that epoch.
fn assert_whole(reader: &Reader<'_>) -> u64 {
    let epoch = reader.epoch();
    let perms = all_perms(reader);
    let expected: BTreeSet<Permission> = generation(epoch).into_iter().collect();
    assert_eq!(
        perms,
        if epoch == 0 {
            BTreeSet::new()
        } else {
            expected
        },
        "epoch {epoch}"
    );
    assert_eq!(all_facts(reader).len() as u64, epoch);
    let offset = reader.source_offset("src").unwrap();
    assert_eq!(offset, (epoch > 0).then_some(epoch));
    assert_eq!(
        reader.changes_since(0).unwrap().count() as u64,
        epoch * 10 - 5 * epoch.min(1)
    );
    epoch
}

#[test]
fn a_read_only_store_sees_whole_epochs_while_a_writer_commits() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Store::open(dir.path()).unwrap();
    let mut follower = Store::open_read_only(dir.path()).unwrap();
    let last = 40;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for epoch in 1..=last {
                writer.commit_epoch(&commit(epoch)).unwrap();
            }
        });
        let mut seen = 0;
        while seen < last {
            let epoch = follower.catch_up().unwrap();
            assert!(epoch >= seen, "went back from {seen} to {epoch}");
            seen = assert_whole(&follower.read().unwrap());
            // Readers of the writer's own handle see whole epochs too.
            assert_whole(&writer.read().unwrap());
        }
    });
}

/// Commits epochs forever, printing `acked N` after each commit returns.
/// Run as a child process by [`kill_9_keeps_every_acknowledged_epoch`].
#[test]
#[ignore = "a child process of kill_9_keeps_every_acknowledged_epoch"]
fn child_writer() {
    let dir = std::env::var_os(CHILD_DIR).expect("run by kill_9_keeps_every_acknowledged_epoch");
    let store = Store::open(Path::new(&dir)).unwrap();
    let mut epoch = store.committed_epoch().unwrap();
    loop {
        epoch += 1;
        store.commit_epoch(&commit(epoch)).unwrap();
        println!("acked {epoch}");
    }
}

#[test]
fn kill_9_keeps_every_acknowledged_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "durability::child_writer",
            "--nocapture",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = 0;
    let mut follower: Option<Store> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let Some(n) = line.strip_prefix("acked ") else {
            continue;
        };
        acked = n.parse().unwrap();
        // A reader in this process follows the writer in the child.
        let follower = match &mut follower {
            Some(f) => f,
            None => follower.insert(Store::open_read_only(dir.path()).unwrap()),
        };
        assert!(follower.catch_up().unwrap() >= acked);
        assert_whole(&follower.read().unwrap());
        if acked >= 25 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(acked >= 25, "the child writer stopped at {acked}");
    let store = Store::open(dir.path()).unwrap();
    let reader = store.read().unwrap();
    assert!(reader.epoch() >= acked);
    assert_whole(&reader);
}
