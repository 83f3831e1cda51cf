# Mutual recursion: two pairs of predicates defined in terms of each other,
# and a negation of both in a later stratum.

resource Node {}

declare node(Node);
declare edge(Node, Node);
declare start(Node);

# a walk of odd length from x to y: one edge ...
odd(x: Node, y: Node) if edge(x, y);
# ... or an edge followed by a walk of even length
odd(x: Node, z: Node) if edge(x, y) and even(y, z);
# a walk of even length (at least 2): an edge followed by a walk of odd length
even(x: Node, z: Node) if edge(x, y) and odd(y, z);

# two-colouring from the start nodes: start nodes are red ...
red(x: Node) if start(x);
# ... the successors of red nodes are blue ...
blue(y: Node) if red(x) and edge(x, y);
# ... and the successors of blue nodes are red
red(y: Node) if blue(x) and edge(x, y);

# a node coloured both ways lies on an odd cycle reachable from a start
conflict(x: Node) if red(x) and blue(x);

# a node that no colour reaches
uncolored(x: Node) if node(x) and not red(x) and not blue(x);
