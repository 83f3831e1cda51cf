# `or` (top level, nested in `and`, over comparisons), `_` wildcards (in
# body atoms, several in one atom, in queries), zero-argument predicates and
# ground rules.

actor User {}
resource Doc {}
resource Folder {}

declare owner(User, Doc);
declare editor(User, Doc);
declare in_folder(Doc, Folder);
declare pinned(User, Folder);
declare public(Doc);
declare tagged(Doc, String, String);
declare maintenance();

# u edits d if u owns d or is an editor of d
can_edit(u: User, d: Doc) if owner(u, d) or editor(u, d);

# u reads d if u edits d, or d lies in a folder u pinned
can_read(u: User, d: Doc) if can_edit(u, d) or (pinned(u, f) and in_folder(d, f));
# u reads a public document if u owns any document at all
can_read(u: User, d: Doc) if public(d) and owner(u, _);

# d has some owner
owned(d: Doc) if owner(_, d);

# d has some tag (two independent wildcards)
tagged_any(d: Doc) if tagged(d, _, _);

# d has a "lang" tag, or is about security
interesting(d: Doc) if tagged(d, "lang", _) or tagged(d, "topic", "security");

# d has a tag whose key is "priority" or whose value is "security"
loud(d: Doc) if tagged(d, k, v) and (k = "priority" or v = "security");

# u owns or edits a document that is public or of high priority
busy(u: User) if
  (owner(u, d) or editor(u, d)) and (public(d) or tagged(d, "priority", "high"));

# deleting is an owner-only action
admin_action("delete");
# sharing is an owner-only action
admin_action("share");

# the system is open unless in maintenance
open() if not maintenance();

# while open, readers read
allow(u: User, "read", d: Doc) if open() and can_read(u, d);
# while open, owners take the owner-only actions
allow(u: User, action, d: Doc) if open() and owner(u, d) and admin_action(action);
