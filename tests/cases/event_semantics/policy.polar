# Event semantics: set semantics for inserts and deletes, batches applied in
# order, and a predicate with both facts and rules.

actor User {}
resource Repo {}

declare member(User, Repo);
declare admin(User, Repo);
# access may be granted by a fact, or derived
declare has_access(User, Repo);

# members have access
has_access(u: User, r: Repo) if member(u, r);
# admins have access
has_access(u: User, r: Repo) if admin(u, r);

# whoever has access reads
allow(u: User, "read", r: Repo) if has_access(u, r);
# admins write
allow(u: User, "write", r: Repo) if admin(u, r);
