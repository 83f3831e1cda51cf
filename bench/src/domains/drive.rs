//! The Drive-like domain, under `policies/drive.polar`: shared drives
//! (trees of nested folders of at most `folder_depth` levels) holding
//! documents, and nested groups of at most `group_depth` levels.
//!
//! Each top folder has an owner, and a quarter of them give a random group the
//! role of viewer (or, one time in three, editor); one folder in ten is
//! shared with a user. Every document has an owner (its creator, a random
//! user), one in ten is shared with another user; a few documents block a
//! user, a few folders are frozen. Users are direct members of one or two
//! groups.
//!
//! The stream: folder moves (under any folder outside their own subtree,
//! possibly in another drive), group nesting changes (a group moves under
//! another group outside its own subtree), and new documents.

use engine::{Fact, Value};
use serde_json::json;

use super::forest::Forest;
use super::{delete, entity, insert, scaled, shuffle, Domain, Epoch, NOW};
use crate::rng::Rng;

/// The policy.
pub const POLICY: &str = include_str!("../../../policies/drive.polar");

/// Sizes of the world and its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveConfig {
    /// Users.
    pub users: usize,
    /// Groups.
    pub groups: usize,
    /// Top-level groups.
    pub group_roots: usize,
    /// Levels of group nesting at most.
    pub group_depth: usize,
    /// Folders.
    pub folders: usize,
    /// Top folders (shared drives).
    pub drives: usize,
    /// Levels of folder nesting at most.
    pub folder_depth: usize,
    /// Documents.
    pub documents: usize,
    /// Folder moves in the stream.
    pub folder_moves: usize,
    /// Group nesting changes in the stream.
    pub group_moves: usize,
    /// New documents in the stream.
    pub new_documents: usize,
}

impl DriveConfig {
    /// The sizes of a default run (10,000 users, 10,000 folders in 2,000
    /// drives, 100,000 documents, 2,000 groups) or a quick one, scaled by
    /// `scale`.
    pub fn sized(quick: bool, scale: f64) -> DriveConfig {
        let (users, groups, folders, documents, stream) = if quick {
            (400, 80, 400, 4_000, 20)
        } else {
            (10_000, 2_000, 10_000, 100_000, 200)
        };
        DriveConfig {
            users: scaled(users, scale, 1),
            groups: scaled(groups, scale, 1),
            group_roots: scaled(groups / 20, scale, 1),
            group_depth: 4,
            folders: scaled(folders, scale, 1),
            drives: scaled(folders / 5, scale, 1),
            folder_depth: 6,
            documents: scaled(documents, scale, 1),
            folder_moves: stream,
            group_moves: stream,
            new_documents: stream,
        }
    }
}

fn user(i: usize) -> Value {
    entity("User", "u", i)
}
fn group(i: usize) -> Value {
    entity("Group", "g", i)
}
fn folder(i: usize) -> Value {
    entity("Folder", "f", i)
}
fn document(i: usize) -> Value {
    entity("Document", "d", i)
}
fn parent(x: Value, f: usize) -> Fact {
    Fact::new("has_relation", vec![x, Value::str("parent"), folder(f)])
}
fn subgroup(c: usize, g: usize) -> Fact {
    Fact::new("subgroup", vec![group(c), group(g)])
}
fn has_role(u: usize, role: &str, x: Value) -> Fact {
    Fact::new("has_role", vec![user(u), Value::str(role), x])
}
/// Viewer two times in three, else editor.
fn share_role(rng: &mut Rng) -> &'static str {
    if rng.below(3) == 0 {
        "editor"
    } else {
        "viewer"
    }
}

/// The generated world, kept up to date by the stream.
#[derive(Clone, Debug)]
pub struct World {
    /// The folders.
    pub folders: Forest,
    /// The groups.
    pub groups: Forest,
    /// Users.
    pub users: usize,
    /// Documents so far.
    pub documents: usize,
}

/// The world `config` describes, and its facts.
pub fn generate(config: &DriveConfig, seed: u64) -> (World, Vec<Fact>) {
    let mut rng = Rng::new(seed);
    let users = config.users.max(1);
    let mut facts = Vec::new();
    let groups = Forest::generate(
        config.groups,
        config.group_roots,
        config.group_depth,
        &mut rng,
    );
    for (c, p) in groups.parent.iter().enumerate() {
        if let Some(p) = *p {
            facts.push(subgroup(c, p));
        }
    }
    if !groups.is_empty() {
        for u in 0..users {
            let mut first = None;
            for _ in 0..rng.range(1, 2) {
                let g = rng.below(groups.len());
                if first != Some(g) {
                    facts.push(Fact::new("member_of", vec![user(u), group(g)]));
                    first = Some(g);
                }
            }
        }
    }
    let folders = Forest::generate(config.folders, config.drives, config.folder_depth, &mut rng);
    for (f, p) in folders.parent.iter().enumerate() {
        match *p {
            Some(p) => {
                facts.push(parent(folder(f), p));
                if rng.below(10) == 0 {
                    let role = share_role(&mut rng);
                    facts.push(has_role(rng.below(users), role, folder(f)));
                }
            }
            None => {
                facts.push(has_role(rng.below(users), "owner", folder(f)));
                if rng.below(4) == 0 && !groups.is_empty() {
                    let g = rng.below(groups.len());
                    let role = Value::str(share_role(&mut rng));
                    facts.push(Fact::new("group_role", vec![group(g), role, folder(f)]));
                }
            }
        }
        if rng.below(100) == 0 {
            facts.push(Fact::new("frozen", vec![folder(f)]));
        }
    }
    for d in 0..config.documents {
        if !folders.is_empty() {
            facts.push(parent(document(d), rng.below(folders.len())));
        }
        facts.push(has_role(rng.below(users), "owner", document(d)));
        if rng.below(10) == 0 {
            let role = share_role(&mut rng);
            facts.push(has_role(rng.below(users), role, document(d)));
        }
        if rng.below(200) == 0 {
            facts.push(Fact::new(
                "blocked",
                vec![user(rng.below(users)), document(d)],
            ));
        }
    }
    let world = World {
        folders,
        groups,
        users,
        documents: config.documents,
    };
    (world, facts)
}

impl World {
    /// A folder that has a parent moves under another folder outside its
    /// own subtree.
    fn folder_move(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let f = rng.below(self.folders.len().max(1));
        let old = self.folders.parent.get(f).copied().flatten()?;
        let all: Vec<usize> = (0..self.folders.len()).collect();
        let new = self.folders.new_parent(f, &all, 20, rng)?;
        self.folders.move_under(f, Some(new));
        let changes = vec![
            delete(parent(folder(f), old)),
            insert(parent(folder(f), new)),
        ];
        Some(Epoch {
            moved: Some(self.folders.subtree_size(f)),
            ..Epoch::new("folder move", changes)
        })
    }

    /// A nested group moves under another group outside its own subtree.
    fn group_move(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let c = rng.below(self.groups.len().max(1));
        let old = self.groups.parent.get(c).copied().flatten()?;
        let all: Vec<usize> = (0..self.groups.len()).collect();
        let new = self.groups.new_parent(c, &all, 20, rng)?;
        self.groups.move_under(c, Some(new));
        let changes = vec![delete(subgroup(c, old)), insert(subgroup(c, new))];
        Some(Epoch {
            moved: Some(self.groups.subtree_size(c)),
            ..Epoch::new("group move", changes)
        })
    }

    /// A new document in a random folder, owned by a random user.
    fn new_document(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let f = rng.below(self.folders.len());
        let d = self.documents;
        self.documents += 1;
        let changes = vec![
            insert(parent(document(d), f)),
            insert(has_role(rng.below(self.users), "owner", document(d))),
        ];
        Some(Epoch::new("new document", changes))
    }
}

/// The change stream, shuffled; changes that cannot be made are redrawn a
/// few times, then dropped.
pub fn stream(world: &mut World, config: &DriveConfig, rng: &mut Rng) -> Vec<Epoch> {
    let mut kinds = vec![0u8; config.folder_moves];
    kinds.extend(std::iter::repeat_n(1u8, config.group_moves));
    kinds.extend(std::iter::repeat_n(2u8, config.new_documents));
    shuffle(&mut kinds, rng);
    let mut epochs = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let epoch = (0..10).find_map(|_| match kind {
            0 => world.folder_move(rng),
            1 => world.group_move(rng),
            _ if world.folders.is_empty() => None,
            _ => world.new_document(rng),
        });
        epochs.extend(epoch);
    }
    epochs
}

/// The domain: the world's facts and its stream.
pub fn domain(config: &DriveConfig, seed: u64) -> Domain {
    let (mut world, facts) = generate(config, seed);
    let (folder_depth, group_depth) = (world.folders.depth(), world.groups.depth());
    let mut rng = Rng::new(seed ^ 0x000d_217e);
    let epochs = stream(&mut world, config, &mut rng);
    Domain {
        name: "drive",
        policy_path: "policies/drive.polar",
        policy: POLICY,
        now: NOW,
        config: json!({
            "users": config.users,
            "groups": config.groups,
            "group_roots": config.group_roots,
            "group_depth_cap": config.group_depth,
            "group_depth": group_depth,
            "folders": config.folders,
            "drives": config.drives,
            "folder_depth_cap": config.folder_depth,
            "folder_depth": folder_depth,
            "documents": config.documents,
            "folder_moves": config.folder_moves,
            "group_moves": config.group_moves,
            "new_documents": config.new_documents,
        }),
        facts,
        epochs,
    }
}
