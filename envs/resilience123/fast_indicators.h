// Exact faster replacements of three indicators of resilience.h for feeder-like graphs (mostly
// trees with a few loops), used where indicators are evaluated on every new topology (the
// resilience123 environment's cache misses). Each returns exactly what the resilience.h function
// returns (tested value for value against it); resilience.h stays the readable reference.
//
// High-information-centrality indicator IC = 1 - n_high / N, by the same definitions as
// InformationCentrality: hop distances over in-service edges, E(G) over the full node set,
// I_k = (S - S_k) / S with S the sum of 1/d over ordered connected pairs, n_high = #{I_k >= th}.
// Why it is faster: one all-pairs BFS gives S and each node's row sum. A node k whose distinct
// neighbours all fall into different components of G \ k (every edge at k is a bridge: most feeder
// nodes) lies on no shortest path between two nodes of the same side, so
//   S_k = S - 2 row(k) - sum over ordered pairs in different sides of 1/d,
// computed from the distance matrix in O(|small sides| x N). Only nodes on loops need fresh
// searches, and only from the sources of their own component. If some I_k falls within 1e-9 of
// the threshold (where summation order could flip the comparison) InformationCentrality is
// called instead, so the result is always the reference one.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "metrics/graph.h"
#include "envs/resilience123/resilience.h"

namespace gridrl::metrics {

class CentralityWorkspace {
 public:
  absl::StatusOr<double> HighCentralityIndicator(const Graph& graph,
                                                 std::span<const uint8_t> edge_in_service,
                                                 double high_threshold);
  // How many nodes needed a fresh sweep in the last call (for benchmarks).
  int last_swept_nodes() const { return last_swept_; }

 private:
  std::vector<int> dist_, queue_, label_, side_size_, bfs_dist_;
  std::vector<double> row_;
  int last_swept_ = 0;
};

// q_c exactly as Percolation computes it (same SplitMix64 stream, one draw per in-service
// edge per trial in edge order, the same q grid and argmax), with the per-trial sort of the draws
// replaced by bucketing each edge at the largest grid index k with q[k] <= u: the largest cluster
// at each q is a function of the set of kept edges, so every s_max, sum and the argmax are
// identical (tested). Validation errors are the reference's (it is called for invalid configs).
class PercolationWorkspace {
 public:
  absl::StatusOr<double> Threshold(const Graph& graph,
                                   std::span<const uint8_t> edge_in_service,
                                   const PercolationConfig& config);

 private:
  std::vector<Edge> edges_;
  std::vector<int> bucket_of_, count_, order_;
  std::vector<double> q_, sum_s_, sum_s2_;
};

// WPV exactly as WeightedPathVariability computes it, without max-flows for load nodes
// whose edges are all bridges (distinct neighbours in different components of G \ i): there a
// source subset has node-disjoint paths iff it holds at most one source per side (sources at i
// are free), so IC_i = prod_sides (1 + c_side) * 2^(c_at_i) - 1 - m in closed form. Load nodes on
// loops go through WeightedPathVariability; per-load values are combined in the
// reference order, so the result is bit-identical (tested).
absl::StatusOr<double> PrunedWeightedPathVariability(const Graph& graph,
                                                     const GridState& state,
                                                     const PathWeights& weights);

}  // namespace gridrl::metrics
