# Stratified negation over several strata: negated base facts, a negated
# recursive predicate, a negated derived predicate that itself uses negation,
# `_` inside `not`, `or` inside `not`, a negated conjunction, and a negation
# nested in a negation.

actor User {}
resource Doc {}
resource Group {}

declare user(User);
declare group(Group);
declare doc(Doc);
declare member(User, Group);
declare sub(Group, Group);
declare banned(User);
declare suspended(User);
declare shared_with(Doc, Group);
declare owner(User, Doc);
declare archived(Doc);
declare legal_hold(Doc);

# u is in group g if a direct member
in_group(u: User, g: Group) if member(u, g);
# u is in group g if in a group h nested in g (any depth)
in_group(u: User, g: Group) if sub(h, g) and in_group(u, h);

# u can see d if d is shared with a group u is in
can_see(u: User, d: Doc) if in_group(u, g) and shared_with(d, g);
# u can see the documents u owns
can_see(u: User, d: Doc) if owner(u, d);

# a known user is active unless banned or suspended
active(u: User) if user(u) and not (banned(u) or suspended(u));

# a known user who is a direct member of no group at all
loner(u: User) if user(u) and not member(u, _);

# u is outside group g (negation of a recursive predicate)
outsider(u: User, g: Group) if user(u) and group(g) and not in_group(u, g);

# an active user sees a document that is not archived
visible(u: User, d: Doc) if can_see(u, d) and active(u) and not archived(d);

# u could see d, but it is not visible to u (negation of a predicate that
# itself uses negation)
hidden(u: User, d: Doc) if can_see(u, d) and not visible(u, d);

# a document that nobody sees
unseen(d: Doc) if doc(d) and not visible(_, d);

# a document shared with no group
unshared(d: Doc) if doc(d) and not shared_with(d, _);

# archived documents can be read by their owners only (a negation nested in
# a negation: not (archived and not owner))
readable(u: User, d: Doc) if can_see(u, d) and not (archived(d) and not owner(u, d));

# an owner deletes a document unless it is both archived and on legal hold
deletable(u: User, d: Doc) if owner(u, d) and not (archived(d) and legal_hold(d));
