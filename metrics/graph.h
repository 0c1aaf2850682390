// A small undirected multigraph for the metrics module: nodes 0..num_nodes-1 and a fixed list of
// edges (lines, switches). Which edges are in service changes every step, so it is passed as a
// per-call mask rather than stored: the graph is the immutable model shared by every environment
// copy, the mask is the per-environment state. metrics/ does not use powerflow's network model on
// purpose, so the indicators can be tested on hand-drawn graphs.
//
// Invariants of a created Graph: num_nodes >= 1, every edge's endpoints are in range. Self-loops
// and parallel edges are allowed (parallel lines exist) and never change connectivity results.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridrl::metrics {

struct Edge {
  int from = 0;
  int to = 0;
};

class Graph {
 public:
  // Errors: InvalidArgument naming `num_nodes` or `edges[k]` when out of range.
  static absl::StatusOr<Graph> Create(int num_nodes, std::vector<Edge> edges);

  int num_nodes() const { return num_nodes_; }
  int num_edges() const { return static_cast<int>(edges_.size()); }
  const std::vector<Edge>& edges() const { return edges_; }

  // OK when `mask` has one entry per edge; `field` names the argument in the error.
  absl::Status CheckEdgeMask(std::span<const uint8_t> mask, const char* field) const;

 private:
  Graph(int num_nodes, std::vector<Edge> edges) : num_nodes_(num_nodes), edges_(std::move(edges)) {}
  int num_nodes_;
  std::vector<Edge> edges_;
};

// Compressed adjacency (CSR) of the in-service edges of a graph; self-loops are dropped. Built
// once per topology and reused by every breadth-first search on it.
struct Adjacency {
  std::vector<int> offsets;    // size num_nodes + 1
  std::vector<int> neighbors;  // neighbours of node v: [offsets[v], offsets[v+1])

  int num_nodes() const { return static_cast<int>(offsets.size()) - 1; }
};

// `edge_in_service` must match graph.num_edges() (checked by the callers' public entries).
Adjacency BuildAdjacency(const Graph& graph, std::span<const uint8_t> edge_in_service);

// Union-find with path halving and union by size; sizes are tracked so the largest cluster is
// known after each union without a final pass (percolation needs only that number).
class UnionFind {
 public:
  explicit UnionFind(int n) : parent_(n), size_(n) { Reset(); }
  void Reset() {
    for (size_t v = 0; v < parent_.size(); ++v) {
      parent_[v] = static_cast<int>(v);
      size_[v] = 1;
    }
    largest_ = parent_.empty() ? 0 : 1;
  }
  // Inline: percolation runs millions of these per evaluation.
  int Find(int v) {
    while (parent_[v] != v) {
      parent_[v] = parent_[parent_[v]];
      v = parent_[v];
    }
    return v;
  }
  // Returns the size of the merged cluster.
  int Union(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a == b) return size_[a];
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    if (size_[a] > largest_) largest_ = size_[a];
    return size_[a];
  }
  int largest() const { return largest_; }

 private:
  std::vector<int> parent_;
  std::vector<int> size_;
  int largest_ = 1;
};

// Connected-component label of every node (labels 0..k-1 in order of first node).
std::vector<int> ComponentLabels(const Adjacency& adjacency);

// Hop distance from `source` to every node (-1 if unreachable), skipping node `removed` (pass -1
// to remove nothing). `distance` and `queue` are caller-owned workspaces of size num_nodes.
void BfsHops(const Adjacency& adjacency, int source, int removed, std::vector<int>& distance,
             std::vector<int>& queue);

}  // namespace gridrl::metrics
