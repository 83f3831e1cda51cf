# GitHub-like: organizations, nested teams and repositories.
#
# Base relations (facts stream in):
#   has_role(u, role, x)              u holds `role` on organization or repository x
#   has_relation(x, "organization", o)  repository or team x belongs to organization o
#   team_member(u, t)                 u is a direct member of team t
#   parent_team(c, p)                 team c is a child team of team p
#   team_role(t, role, r)             team t holds `role` on repository r
#
# A team's members include the members of its child teams, recursively, so a
# role granted to a team reaches everyone in its subtree.

actor User {}

resource Organization {
  roles = ["member", "admin"];
  permissions = ["read", "create_repository", "manage_teams"];

  # organization admins are also members
  "member" if "admin";
  # members see the organization
  "read" if "member";
  # members may create repositories in it
  "create_repository" if "member";
  # only admins manage its teams
  "manage_teams" if "admin";
}

resource Team {
  permissions = ["read", "manage"];
  relations = { organization: Organization };

  # the members of a team's organization see the team
  "read" if "member" on "organization";
  # the admins of a team's organization manage the team
  "manage" if "admin" on "organization";
}

resource Repository {
  roles = ["reader", "maintainer", "admin"];
  permissions = ["read", "push", "delete"];
  relations = { organization: Organization };

  # every member of the owning organization is a reader
  "reader" if "member" on "organization";
  # every admin of the owning organization is a repository admin
  "admin" if "admin" on "organization";
  # repository admins are maintainers
  "maintainer" if "admin";
  # maintainers are readers
  "reader" if "maintainer";

  # readers read
  "read" if "reader";
  # maintainers push
  "push" if "maintainer";
  # only admins delete
  "delete" if "admin";
}

declare team_member(User, Team);
declare parent_team(Team, Team);
declare team_role(Team, String, Repository);

# u is in team t if u is a direct member of t
in_team(u: User, t: Team) if team_member(u, t);
# u is in team t if u is in some child team of t (any depth)
in_team(u: User, t: Team) if parent_team(c, t) and in_team(u, c);

# a role that a team holds on a repository is held by everyone in the team
has_role(u: User, role, r: Repository) if team_role(t, role, r) and in_team(u, t);

# everyone in a team is a member of the team's organization
has_role(u: User, "member", o: Organization) if
  in_team(u, t) and has_relation(t, "organization", o);

# everyone in a team sees the team
has_permission(u: User, "read", t: Team) if in_team(u, t);

# the entry point: an actor may do what they have permission to do
allow(actor, action, resource) if has_permission(actor, action, resource);

test "organization members read its repositories, admins administer them" {
  setup {
    has_relation(Repository{"anvil"}, "organization", Organization{"acme"});
    has_role(User{"alice"}, "member", Organization{"acme"});
    has_role(User{"bob"}, "admin", Organization{"acme"});
  }
  assert allow(User{"alice"}, "read", Repository{"anvil"});
  assert_not allow(User{"alice"}, "push", Repository{"anvil"});
  assert_not allow(User{"alice"}, "delete", Repository{"anvil"});
  assert allow(User{"bob"}, "read", Repository{"anvil"});
  assert allow(User{"bob"}, "push", Repository{"anvil"});
  assert allow(User{"bob"}, "delete", Repository{"anvil"});
  assert has_role(User{"bob"}, "member", Organization{"acme"});
  assert allow(User{"alice"}, "create_repository", Organization{"acme"});
  assert allow(User{"bob"}, "manage_teams", Organization{"acme"});
  assert_not allow(User{"alice"}, "manage_teams", Organization{"acme"});
  assert_not allow(User{"carol"}, "read", Repository{"anvil"});
}

test "roles granted directly on a repository" {
  setup {
    has_role(User{"carol"}, "maintainer", Repository{"anvil"});
    has_role(User{"dave"}, "reader", Repository{"rocket"});
    has_role(User{"erin"}, "admin", Repository{"rocket"});
  }
  assert allow(User{"carol"}, "push", Repository{"anvil"});
  assert allow(User{"carol"}, "read", Repository{"anvil"});
  assert_not allow(User{"carol"}, "delete", Repository{"anvil"});
  assert allow(User{"dave"}, "read", Repository{"rocket"});
  assert_not allow(User{"dave"}, "push", Repository{"rocket"});
  assert_not allow(User{"dave"}, "read", Repository{"anvil"});
  assert allow(User{"erin"}, "delete", Repository{"rocket"});
  assert has_role(User{"erin"}, "reader", Repository{"rocket"});
}

test "nested teams pass their roles down to child team members" {
  setup {
    # eng > backend > db
    parent_team(Team{"backend"}, Team{"eng"});
    parent_team(Team{"db"}, Team{"backend"});
    team_member(User{"erin"}, Team{"db"});
    team_member(User{"frank"}, Team{"eng"});
    team_role(Team{"eng"}, "reader", Repository{"anvil"});
    team_role(Team{"backend"}, "maintainer", Repository{"rocket"});
  }
  assert in_team(User{"erin"}, Team{"eng"});
  assert in_team(User{"erin"}, Team{"backend"});
  assert_not in_team(User{"frank"}, Team{"backend"});
  assert allow(User{"erin"}, "read", Repository{"anvil"});
  assert_not allow(User{"erin"}, "push", Repository{"anvil"});
  assert allow(User{"erin"}, "push", Repository{"rocket"});
  assert allow(User{"frank"}, "read", Repository{"anvil"});
  assert_not allow(User{"frank"}, "read", Repository{"rocket"});
  assert allow(User{"erin"}, "read", Team{"eng"});
  assert_not allow(User{"frank"}, "read", Team{"db"});
}

test "a cycle of parent teams terminates" {
  setup {
    parent_team(Team{"red"}, Team{"blue"});
    parent_team(Team{"blue"}, Team{"red"});
    team_member(User{"uma"}, Team{"red"});
    team_role(Team{"blue"}, "admin", Repository{"loop"});
  }
  assert in_team(User{"uma"}, Team{"blue"});
  assert in_team(User{"uma"}, Team{"red"});
  assert allow(User{"uma"}, "delete", Repository{"loop"});
  assert_not in_team(User{"vic"}, Team{"red"});
  assert_not allow(User{"vic"}, "read", Repository{"loop"});
}

test "team members join the team's organization; teams are visible to it" {
  setup {
    has_relation(Team{"eng"}, "organization", Organization{"acme"});
    has_relation(Team{"ops"}, "organization", Organization{"acme"});
    has_relation(Repository{"anvil"}, "organization", Organization{"acme"});
    team_member(User{"gus"}, Team{"eng"});
    has_role(User{"hana"}, "admin", Organization{"acme"});
  }
  assert has_role(User{"gus"}, "member", Organization{"acme"});
  assert allow(User{"gus"}, "read", Repository{"anvil"});
  assert allow(User{"gus"}, "read", Team{"ops"});
  assert_not allow(User{"gus"}, "manage", Team{"ops"});
  assert allow(User{"hana"}, "manage", Team{"eng"});
  assert_not allow(User{"gus"}, "push", Repository{"anvil"});
}

test "on \"organization\" only follows relations to an Organization" {
  setup {
    # a relation of the wrong type: the repository's "organization" is a team
    has_relation(Repository{"odd"}, "organization", Team{"eng"});
    team_member(User{"ivy"}, Team{"eng"});
    has_role(User{"ivy"}, "admin", Team{"eng"});
  }
  assert in_team(User{"ivy"}, Team{"eng"});
  assert_not allow(User{"ivy"}, "read", Repository{"odd"});
  assert_not allow(User{"ivy"}, "delete", Repository{"odd"});
}
