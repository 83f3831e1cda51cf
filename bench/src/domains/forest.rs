//! Random forests of a given depth: the nested teams of [`super::github`],
//! the nested folders and groups of [`super::drive`].
//!
//! Node `i` lies in tree `i % trees`. The first `depth` nodes of a tree form
//! a chain (so every tree that has enough nodes is exactly `depth` levels
//! deep); every later node hangs under a random earlier node of its tree
//! that is not on the last level. A parent always has a smaller number than
//! its children, until nodes are moved.

use crate::rng::Rng;

/// A forest: the parent of every node, `None` for roots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forest {
    /// The parent of each node.
    pub parent: Vec<Option<usize>>,
    /// The tree each node was generated in.
    pub tree: Vec<usize>,
}

impl Forest {
    /// `nodes` nodes in `trees` trees of at most `depth` levels.
    pub fn generate(nodes: usize, trees: usize, depth: usize, rng: &mut Rng) -> Forest {
        let trees = trees.clamp(1, nodes.max(1));
        let depth = depth.max(1);
        let mut parent = Vec::with_capacity(nodes);
        let mut level = Vec::with_capacity(nodes);
        // Per tree: its nodes that may still take children.
        let mut open: Vec<Vec<usize>> = vec![Vec::new(); trees];
        let mut size = vec![0usize; trees];
        for i in 0..nodes {
            let t = i % trees;
            let (p, l) = if size[t] == 0 {
                (None, 0)
            } else if size[t] < depth {
                // The chain: under the previous node of the tree.
                let previous = i - trees;
                (Some(previous), level[previous] + 1)
            } else {
                let candidates = &open[t];
                let p = candidates[rng.below(candidates.len())];
                (Some(p), level[p] + 1)
            };
            parent.push(p);
            level.push(l);
            if l + 1 < depth {
                open[t].push(i);
            }
            size[t] += 1;
        }
        let tree = (0..nodes).map(|i| i % trees).collect();
        Forest { parent, tree }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Whether `a` is `b` or above `b`. Stops after `len` steps, so a cycle
    /// (never made by [`Forest::move_under`]) cannot hang it.
    pub fn is_above_or_same(&self, a: usize, b: usize) -> bool {
        let mut at = Some(b);
        for _ in 0..=self.len() {
            match at {
                Some(x) if x == a => return true,
                Some(x) => at = self.parent[x],
                None => return false,
            }
        }
        false
    }

    /// Levels above `i` (0 for a root).
    pub fn level(&self, i: usize) -> usize {
        let mut at = self.parent[i];
        let mut level = 0;
        while let Some(x) = at {
            level += 1;
            at = self.parent[x];
            if level > self.len() {
                break;
            }
        }
        level
    }

    /// The number of levels of the deepest tree.
    pub fn depth(&self) -> usize {
        (0..self.len())
            .map(|i| self.level(i) + 1)
            .max()
            .unwrap_or(0)
    }

    /// A new parent for `node` among `candidates` (tried in a random order,
    /// at most `tries` of them): not `node`'s current parent, and not `node`
    /// or anything below it, so the forest stays a forest.
    pub fn new_parent(
        &self,
        node: usize,
        candidates: &[usize],
        tries: usize,
        rng: &mut Rng,
    ) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        (0..tries)
            .map(|_| candidates[rng.below(candidates.len())])
            .find(|&p| self.parent[node] != Some(p) && !self.is_above_or_same(node, p))
    }

    /// Moves `node` under `parent` (or makes it a root); answers the old
    /// parent.
    pub fn move_under(&mut self, node: usize, parent: Option<usize>) -> Option<usize> {
        std::mem::replace(&mut self.parent[node], parent)
    }

    /// Adds a node under `parent` in `tree`; answers its number.
    pub fn push(&mut self, parent: Option<usize>, tree: usize) -> usize {
        self.parent.push(parent);
        self.tree.push(tree);
        self.parent.len() - 1
    }

    /// The number of nodes in `node`'s subtree (itself included).
    pub fn subtree_size(&self, node: usize) -> usize {
        (0..self.len())
            .filter(|&i| self.is_above_or_same(node, i))
            .count()
    }

    /// The size of every node's subtree (itself included).
    pub fn subtree_sizes(&self) -> Vec<usize> {
        let mut size = vec![1usize; self.len()];
        // Children before parents: by level, deepest first.
        let mut order: Vec<usize> = (0..self.len()).collect();
        let levels: Vec<usize> = order.iter().map(|&i| self.level(i)).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(levels[i]));
        for i in order {
            if let Some(p) = self.parent[i] {
                size[p] += size[i];
            }
        }
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_reach_the_requested_depth_and_moves_keep_a_forest() {
        let mut rng = Rng::new(5);
        let mut forest = Forest::generate(1_000, 10, 6, &mut rng);
        assert_eq!(forest.depth(), 6);
        assert_eq!(forest.parent.iter().filter(|p| p.is_none()).count(), 10);
        for (i, p) in forest.parent.iter().enumerate() {
            if let Some(p) = *p {
                assert!(p < i);
                assert_eq!(forest.tree[p], forest.tree[i]);
            }
        }
        let sizes = forest.subtree_sizes();
        assert_eq!(forest.subtree_size(3), sizes[3]);
        let roots: usize = (0..1000)
            .filter(|&i| forest.parent[i].is_none())
            .map(|i| sizes[i])
            .sum();
        assert_eq!(roots, 1000);
        let all: Vec<usize> = (0..1000).collect();
        for _ in 0..500 {
            let node = rng.below(1000);
            if let Some(p) = forest.new_parent(node, &all, 20, &mut rng) {
                forest.move_under(node, Some(p));
            }
        }
        // Still a forest: every walk up reaches a root.
        for i in 0..1000 {
            let mut at = Some(i);
            let mut steps = 0;
            while let Some(x) = at {
                at = forest.parent[x];
                steps += 1;
                assert!(steps <= 1000, "a cycle through {i}");
            }
        }
        assert_eq!(
            Forest::generate(1_000, 10, 6, &mut Rng::new(5))
                .parent
                .len(),
            1000
        );
    }
}
