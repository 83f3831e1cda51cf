# Drive-like: folders nested to any depth, documents, nested groups.
#
# Base relations (facts stream in):
#   has_role(u, role, x)           u holds `role` on folder or document x
#   has_relation(x, "parent", f)   folder or document x lies in folder f
#   member_of(u, g)                u is a direct member of group g
#   subgroup(c, g)                 group c is a member of group g
#   group_role(g, role, x)         group g holds `role` on folder or document x
#   blocked(u, d)                  u is denied every access to document d
#   frozen(f)                      folder f and everything below it are read-only
#
# A role on a folder is inherited by everything below it. Owners are editors,
# editors are viewers.

actor User {}

resource Group {}

resource Folder {
  roles = ["viewer", "editor", "owner"];
  permissions = ["read", "write", "share", "delete"];
  relations = { parent: Folder };

  # owners are editors
  "editor" if "owner";
  # editors are viewers
  "viewer" if "editor";
  # a viewer of the folder it lies in is a viewer of this folder
  "viewer" if "viewer" on "parent";
  # an editor of the folder it lies in is an editor of this folder
  "editor" if "editor" on "parent";
  # an owner of the folder it lies in is an owner of this folder
  "owner" if "owner" on "parent";

  # viewers read
  "read" if "viewer";
  # editors write
  "write" if "editor";
  # owners share
  "share" if "owner";
  # owners delete
  "delete" if "owner";
}

resource Document {
  roles = ["viewer", "editor", "owner"];
  permissions = ["read", "write", "share", "delete"];
  relations = { parent: Folder };

  # owners are editors
  "editor" if "owner";
  # editors are viewers
  "viewer" if "editor";
  # a viewer of the folder it lies in is a viewer of this document
  "viewer" if "viewer" on "parent";
  # an editor of the folder it lies in is an editor of this document
  "editor" if "editor" on "parent";
  # an owner of the folder it lies in is an owner of this document
  "owner" if "owner" on "parent";

  # viewers read
  "read" if "viewer";
  # editors write
  "write" if "editor";
  # owners share
  "share" if "owner";
  # owners delete
  "delete" if "owner";
}

declare member_of(User, Group);
declare subgroup(Group, Group);
declare group_role(Group, String, Resource);
declare blocked(User, Document);
declare frozen(Folder);

# u is in group g if u is a direct member of g
in_group(u: User, g: Group) if member_of(u, g);
# u is in group g if u is in a group that is a member of g (any depth)
in_group(u: User, g: Group) if subgroup(c, g) and in_group(u, c);

# a role that a group holds on a folder or document is held by everyone in it
has_role(u: User, role, x: Resource) if group_role(g, role, x) and in_group(u, g);

# a frozen folder is read-only
read_only(f: Folder) if frozen(f);
# whatever lies in a read-only folder is read-only (any depth)
read_only(x: Resource) if has_relation(x, "parent", f) and read_only(f);

# writing changes a resource
mutates("write");
# deleting changes a resource
mutates("delete");

# the entry point: an actor may do what they have permission to do, unless
# they are blocked on the resource, or the action changes a read-only resource
allow(actor, action, resource) if
  has_permission(actor, action, resource) and
  not blocked(actor, resource) and
  not (mutates(action) and read_only(resource));

test "roles on a folder reach everything below it" {
  setup {
    # root > projects > alpha > spec
    has_relation(Folder{"projects"}, "parent", Folder{"root"});
    has_relation(Folder{"alpha"}, "parent", Folder{"projects"});
    has_relation(Document{"spec"}, "parent", Folder{"alpha"});
    has_role(User{"alice"}, "editor", Folder{"root"});
    has_role(User{"bob"}, "viewer", Folder{"alpha"});
    has_role(User{"carol"}, "owner", Document{"spec"});
  }
  assert allow(User{"alice"}, "write", Document{"spec"});
  assert allow(User{"alice"}, "read", Folder{"alpha"});
  assert_not allow(User{"alice"}, "delete", Document{"spec"});
  assert allow(User{"bob"}, "read", Document{"spec"});
  assert_not allow(User{"bob"}, "write", Document{"spec"});
  assert_not allow(User{"bob"}, "read", Folder{"projects"});
  assert allow(User{"carol"}, "share", Document{"spec"});
  assert allow(User{"carol"}, "write", Document{"spec"});
  # a role on a document does not climb up to its folder
  assert_not allow(User{"carol"}, "read", Folder{"alpha"});
}

test "group roles reach the members of nested groups" {
  setup {
    # everyone > eng > backend
    subgroup(Group{"eng"}, Group{"everyone"});
    subgroup(Group{"backend"}, Group{"eng"});
    member_of(User{"dan"}, Group{"backend"});
    member_of(User{"eve"}, Group{"everyone"});
    has_relation(Document{"handbook"}, "parent", Folder{"shared"});
    group_role(Group{"everyone"}, "viewer", Folder{"shared"});
    group_role(Group{"eng"}, "editor", Document{"design"});
  }
  assert in_group(User{"dan"}, Group{"everyone"});
  assert_not in_group(User{"eve"}, Group{"eng"});
  assert allow(User{"dan"}, "read", Document{"handbook"});
  assert allow(User{"eve"}, "read", Document{"handbook"});
  assert_not allow(User{"eve"}, "write", Document{"handbook"});
  assert allow(User{"dan"}, "write", Document{"design"});
  assert_not allow(User{"eve"}, "read", Document{"design"});
}

test "cycles among folders and among groups terminate" {
  setup {
    # the folders x and y lie in each other
    has_relation(Folder{"x"}, "parent", Folder{"y"});
    has_relation(Folder{"y"}, "parent", Folder{"x"});
    has_relation(Document{"note"}, "parent", Folder{"y"});
    has_role(User{"fay"}, "owner", Folder{"x"});
    # the groups g1 and g2 contain each other
    subgroup(Group{"g1"}, Group{"g2"});
    subgroup(Group{"g2"}, Group{"g1"});
    member_of(User{"gil"}, Group{"g1"});
    group_role(Group{"g2"}, "viewer", Folder{"y"});
  }
  assert allow(User{"fay"}, "delete", Folder{"y"});
  assert allow(User{"fay"}, "delete", Document{"note"});
  assert in_group(User{"gil"}, Group{"g2"});
  assert allow(User{"gil"}, "read", Folder{"x"});
  assert allow(User{"gil"}, "read", Document{"note"});
  assert_not allow(User{"gil"}, "write", Document{"note"});
  assert_not allow(User{"hal"}, "read", Folder{"x"});
}

test "a blocked user is denied a document despite their roles" {
  setup {
    has_relation(Document{"salaries"}, "parent", Folder{"finance"});
    has_relation(Document{"budget"}, "parent", Folder{"finance"});
    has_role(User{"ivan"}, "owner", Folder{"finance"});
    blocked(User{"ivan"}, Document{"salaries"});
  }
  assert has_permission(User{"ivan"}, "read", Document{"salaries"});
  assert_not allow(User{"ivan"}, "read", Document{"salaries"});
  assert_not allow(User{"ivan"}, "delete", Document{"salaries"});
  assert allow(User{"ivan"}, "read", Document{"budget"});
  # blocking is per document, not per folder
  assert allow(User{"ivan"}, "delete", Folder{"finance"});
}

test "everything below a frozen folder is read-only" {
  setup {
    # archive > y2020 > report
    has_relation(Folder{"y2020"}, "parent", Folder{"archive"});
    has_relation(Document{"report"}, "parent", Folder{"y2020"});
    has_relation(Document{"draft"}, "parent", Folder{"live"});
    has_role(User{"jo"}, "owner", Folder{"archive"});
    has_role(User{"jo"}, "owner", Folder{"live"});
    frozen(Folder{"archive"});
  }
  assert read_only(Document{"report"});
  assert_not read_only(Folder{"live"});
  assert allow(User{"jo"}, "read", Document{"report"});
  assert allow(User{"jo"}, "share", Document{"report"});
  assert has_permission(User{"jo"}, "write", Document{"report"});
  assert_not allow(User{"jo"}, "write", Document{"report"});
  assert_not allow(User{"jo"}, "delete", Folder{"y2020"});
  assert_not allow(User{"jo"}, "write", Folder{"archive"});
  assert allow(User{"jo"}, "write", Document{"draft"});
}
