//! The GitHub-like domain, under `policies/github.polar`: organizations,
//! their members and admins, repositories with a few outside collaborators,
//! and nested teams that hold roles on repositories.
//!
//! Users belong to a home organization (user `i` to organization
//! `i % orgs`), some to a second one; repositories and teams are spread over
//! the organizations at random. Each organization's teams form a forest of
//! at most `team_depth` levels ([`Forest`]); team members are drawn from the
//! organization's members.
//!
//! The stream: team moves under another team of the same organization (or
//! to the top), team membership changes (a member added or removed), and
//! new repositories (with a team's role on them, half of the time).

use engine::{Fact, Value};
use serde_json::json;

use super::forest::Forest;
use super::{delete, entity, insert, scaled, shuffle, Domain, Epoch, NOW};
use crate::rng::Rng;

/// The policy.
pub const POLICY: &str = include_str!("../../../policies/github.polar");

/// Repository roles, and how often a team holds each (in 10ths).
const TEAM_ROLES: [(&str, usize); 3] = [("reader", 3), ("maintainer", 5), ("admin", 2)];

/// Sizes of the world and its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubConfig {
    /// Users.
    pub users: usize,
    /// Organizations.
    pub orgs: usize,
    /// Teams, over all organizations.
    pub teams: usize,
    /// Top-level teams per organization.
    pub root_teams: usize,
    /// Levels of team nesting at most.
    pub team_depth: usize,
    /// Direct members per team (inclusive range).
    pub team_members: (usize, usize),
    /// Repositories each team holds a role on (inclusive range).
    pub team_repos: (usize, usize),
    /// Repositories.
    pub repos: usize,
    /// Users in a second organization, in percent.
    pub second_org_percent: usize,
    /// Team moves in the stream.
    pub team_moves: usize,
    /// Team membership changes in the stream.
    pub membership_changes: usize,
    /// New repositories in the stream.
    pub new_repos: usize,
}

impl GithubConfig {
    /// The sizes of a default run (10,000 users, 1,000 teams, 10,000
    /// repositories in 100 organizations) or a quick one, scaled by `scale`.
    pub fn sized(quick: bool, scale: f64) -> GithubConfig {
        let (users, orgs, teams, repos, stream) = if quick {
            (500, 5, 60, 400, 20)
        } else {
            (10_000, 100, 1_000, 10_000, 200)
        };
        GithubConfig {
            users: scaled(users, scale, 1),
            orgs: scaled(orgs, scale, 1),
            teams: scaled(teams, scale, 1),
            root_teams: 3,
            team_depth: 4,
            team_members: (2, 12),
            team_repos: (1, 4),
            repos: scaled(repos, scale, 1),
            second_org_percent: 10,
            team_moves: stream,
            membership_changes: stream,
            new_repos: stream,
        }
    }
}

fn user(i: usize) -> Value {
    entity("User", "u", i)
}
fn org(i: usize) -> Value {
    entity("Organization", "o", i)
}
fn team(i: usize) -> Value {
    entity("Team", "t", i)
}
fn repo(i: usize) -> Value {
    entity("Repository", "r", i)
}
fn in_org(x: Value, o: usize) -> Fact {
    Fact::new("has_relation", vec![x, Value::str("organization"), org(o)])
}
fn parent_team(c: usize, p: usize) -> Fact {
    Fact::new("parent_team", vec![team(c), team(p)])
}
fn team_member(u: usize, t: usize) -> Fact {
    Fact::new("team_member", vec![user(u), team(t)])
}
fn team_role(t: usize, role: &str, r: usize) -> Fact {
    Fact::new("team_role", vec![team(t), Value::str(role), repo(r)])
}

fn pick_role(rng: &mut Rng) -> &'static str {
    let mut draw = rng.below(10);
    for (role, weight) in TEAM_ROLES {
        if draw < weight {
            return role;
        }
        draw -= weight;
    }
    "reader"
}

/// The generated world, kept up to date by the stream.
#[derive(Clone, Debug)]
pub struct World {
    /// Members of each organization.
    pub members: Vec<Vec<usize>>,
    /// Repositories of each organization.
    pub repos: Vec<Vec<usize>>,
    /// Teams of each organization.
    pub teams: Vec<Vec<usize>>,
    /// The team forest (tree `t` belongs to organization `t % orgs`).
    pub forest: Forest,
    /// Direct members of each team.
    pub team_members: Vec<Vec<usize>>,
    /// Repositories so far.
    pub repo_count: usize,
}

/// The world `config` describes, and its facts.
pub fn generate(config: &GithubConfig, seed: u64) -> (World, Vec<Fact>) {
    let mut rng = Rng::new(seed);
    let orgs = config.orgs.max(1);
    let mut facts = Vec::new();
    let mut members = vec![Vec::new(); orgs];
    for u in 0..config.users {
        members[u % orgs].push(u);
        if rng.below(100) < config.second_org_percent && orgs > 1 {
            let other = (u % orgs + 1 + rng.below(orgs - 1)) % orgs;
            members[other].push(u);
        }
    }
    for (o, people) in members.iter().enumerate() {
        // One to three admins; everyone else a member.
        let admins = rng.range(1, 3);
        for (k, &u) in people.iter().enumerate() {
            let role = if k < admins { "admin" } else { "member" };
            facts.push(Fact::new(
                "has_role",
                vec![user(u), Value::str(role), org(o)],
            ));
        }
    }
    let mut repos = vec![Vec::new(); orgs];
    for r in 0..config.repos {
        let o = rng.below(orgs);
        repos[o].push(r);
        facts.push(in_org(repo(r), o));
        // Zero to two outside collaborators.
        for _ in 0..rng.below(3) {
            let role = if rng.below(2) == 0 {
                "reader"
            } else {
                "maintainer"
            };
            let u = rng.below(config.users.max(1));
            facts.push(Fact::new(
                "has_role",
                vec![user(u), Value::str(role), repo(r)],
            ));
        }
    }
    let trees = config.root_teams.max(1) * orgs;
    let forest = Forest::generate(config.teams, trees, config.team_depth, &mut rng);
    let mut teams = vec![Vec::new(); orgs];
    let mut team_members = vec![Vec::new(); config.teams];
    for (t, mine) in team_members.iter_mut().enumerate() {
        let o = forest.tree[t] % orgs;
        teams[o].push(t);
        facts.push(in_org(team(t), o));
        if let Some(p) = forest.parent[t] {
            facts.push(parent_team(t, p));
        }
        let people = &members[o];
        if !people.is_empty() {
            for _ in 0..rng.range(config.team_members.0, config.team_members.1) {
                let u = people[rng.below(people.len())];
                if !mine.contains(&u) {
                    mine.push(u);
                    facts.push(team_member(u, t));
                }
            }
        }
        if !repos[o].is_empty() {
            for _ in 0..rng.range(config.team_repos.0, config.team_repos.1) {
                let r = repos[o][rng.below(repos[o].len())];
                facts.push(team_role(t, pick_role(&mut rng), r));
            }
        }
    }
    let world = World {
        members,
        repos,
        teams,
        forest,
        team_members,
        repo_count: config.repos,
    };
    (world, facts)
}

impl World {
    /// The organization of team `t`.
    fn org_of(&self, t: usize) -> Option<usize> {
        Some(*self.forest.tree.get(t)? % self.members.len().max(1))
    }

    /// A team moves under another team of its organization, or to the top.
    fn team_move(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let t = rng.below(self.forest.len().max(1));
        let o = self.org_of(t)?;
        let old = self.forest.parent[t];
        let new = if old.is_some() && rng.below(5) == 0 {
            None
        } else {
            Some(self.forest.new_parent(t, &self.teams[o], 20, rng)?)
        };
        self.forest.move_under(t, new);
        let mut changes = Vec::new();
        if let Some(old) = old {
            changes.push(delete(parent_team(t, old)));
        }
        if let Some(new) = new {
            changes.push(insert(parent_team(t, new)));
        }
        Some(Epoch {
            moved: Some(self.forest.subtree_size(t)),
            ..Epoch::new("team move", changes)
        })
    }

    /// A member joins or leaves a team.
    fn membership(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let t = rng.below(self.team_members.len().max(1));
        let o = self.org_of(t)?;
        let members = &mut self.team_members[t];
        if !members.is_empty() && rng.below(2) == 0 {
            let u = members.swap_remove(rng.below(members.len()));
            return Some(Epoch::new("team leave", vec![delete(team_member(u, t))]));
        }
        let people = &self.members[o];
        let u = *people.get(rng.below(people.len().max(1)))?;
        if members.contains(&u) {
            return None;
        }
        members.push(u);
        Some(Epoch::new("team join", vec![insert(team_member(u, t))]))
    }

    /// A new repository in a random organization, with a role for one of
    /// its teams half of the time.
    fn new_repo(&mut self, rng: &mut Rng) -> Epoch {
        let o = rng.below(self.repos.len().max(1));
        let r = self.repo_count;
        self.repo_count += 1;
        self.repos[o].push(r);
        let mut changes = vec![insert(in_org(repo(r), o))];
        let teams = &self.teams[o];
        if !teams.is_empty() && rng.below(2) == 0 {
            let t = teams[rng.below(teams.len())];
            changes.push(insert(team_role(t, pick_role(rng), r)));
        }
        Epoch::new("new repository", changes)
    }
}

/// The change stream, shuffled; changes that cannot be made (a team with
/// nowhere to go) are redrawn a few times, then dropped.
pub fn stream(world: &mut World, config: &GithubConfig, rng: &mut Rng) -> Vec<Epoch> {
    let mut kinds = vec![0u8; config.team_moves];
    kinds.extend(std::iter::repeat_n(1u8, config.membership_changes));
    kinds.extend(std::iter::repeat_n(2u8, config.new_repos));
    shuffle(&mut kinds, rng);
    let mut epochs = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let epoch = (0..10).find_map(|_| match kind {
            0 => world.team_move(rng),
            1 => world.membership(rng),
            _ => Some(world.new_repo(rng)),
        });
        epochs.extend(epoch);
    }
    epochs
}

/// The domain: the world's facts and its stream.
pub fn domain(config: &GithubConfig, seed: u64) -> Domain {
    let (mut world, facts) = generate(config, seed);
    let depth = world.forest.depth();
    let mut rng = Rng::new(seed ^ 0x0617_74ab);
    let epochs = stream(&mut world, config, &mut rng);
    Domain {
        name: "github",
        policy_path: "policies/github.polar",
        policy: POLICY,
        now: NOW,
        config: json!({
            "users": config.users,
            "orgs": config.orgs,
            "teams": config.teams,
            "root_teams_per_org": config.root_teams,
            "team_depth_cap": config.team_depth,
            "team_depth": depth,
            "team_members": [config.team_members.0, config.team_members.1],
            "team_repos": [config.team_repos.0, config.team_repos.1],
            "repos": config.repos,
            "second_org_percent": config.second_org_percent,
            "team_moves": config.team_moves,
            "membership_changes": config.membership_changes,
            "new_repos": config.new_repos,
        }),
        facts,
        epochs,
    }
}
