# Reachability over a graph with cycles and a self loop, written three ways
# (left-linear, right-linear, non-linear); all three must agree.

actor User {}
resource Node {}

declare edge(Node, Node);
declare can_enter(User, Node);

# y is reachable from x by one edge
reach(x: Node, y: Node) if edge(x, y);
# z is reachable from x by a path to some y followed by an edge (left-linear)
reach(x: Node, z: Node) if reach(x, y) and edge(y, z);

# the same closure, right-linear: an edge followed by a path
reach2(x: Node, z: Node) if edge(x, y) and reach2(y, z);
# a single edge is a path
reach2(x: Node, y: Node) if edge(x, y);

# the same closure, non-linear: a single edge ...
reach3(x: Node, y: Node) if edge(x, y);
# ... or two paths joined
reach3(x: Node, z: Node) if reach3(x, y) and reach3(y, z);

# x lies on a cycle if x is reachable from itself
on_cycle(x: Node) if reach(x, x);

# x and y are in the same strongly connected component (with a cycle)
same_scc(x: Node, y: Node) if reach(x, y) and reach(y, x);

# a user who may enter at node s may visit every node reachable from s
allow(u: User, "visit", n: Node) if can_enter(u, s) and reach(s, n);
