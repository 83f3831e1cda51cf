# expect: negation through recursion: `trusted` and `suspicious` depend on each other through `not`
# at 9:58 `trusted` -> not `suspicious` -> not `trusted`: a cycle through negation
actor User {}

declare vouches(User, User);
declare seed(User);

trusted(u: User) if seed(u);
trusted(u: User) if vouches(v, u) and trusted(v) and not suspicious(u);
suspicious(u: User) if vouches(v, u) and suspicious(v);
suspicious(u: User) if vouches(u, v) and not trusted(v);
