#include "envs/resilience123/fast_indicators.h"

#include <algorithm>
#include <cmath>

#include "envs/resilience123/resilience.h"
#include "envs/resilience123/splitmix.h"

namespace gridrl::metrics {
namespace {

// BFS from `s` skipping node `removed` (-1: none); returns the sum of 1/d over reached nodes
// other than s and, when `dist_row` is given, writes the hop distances (-1 unreachable).
double SweepFrom(const Adjacency& adj, int s, int removed, std::vector<int>& queue,
                 std::vector<int>& dist, int* dist_row) {
  const int n = adj.num_nodes();
  std::fill(dist.begin(), dist.end(), -1);
  int head = 0, tail = 0;
  queue[tail++] = s;
  dist[s] = 0;
  double sum = 0.0;
  while (head < tail) {
    const int v = queue[head++];
    const int dv = dist[v] + 1;
    for (int e = adj.offsets[v]; e < adj.offsets[v + 1]; ++e) {
      const int w = adj.neighbors[e];
      if (w == removed || dist[w] >= 0) continue;
      dist[w] = dv;
      sum += 1.0 / dv;
      queue[tail++] = w;
    }
  }
  if (dist_row != nullptr) std::copy(dist.begin(), dist.begin() + n, dist_row);
  return sum;
}

}  // namespace

absl::StatusOr<double> CentralityWorkspace::HighCentralityIndicator(
    const Graph& graph, std::span<const uint8_t> edge_in_service, double high_threshold) {
  if (absl::Status s = graph.CheckEdgeMask(edge_in_service, "edge_in_service"); !s.ok()) return s;
  if (!std::isfinite(high_threshold)) {
    return absl::InvalidArgumentError("high_centrality_threshold: expected a finite number");
  }
  const int n = graph.num_nodes();
  last_swept_ = 0;
  auto reference = [&]() -> absl::StatusOr<double> {
    absl::StatusOr<CentralityResult> r =
        InformationCentrality(graph, edge_in_service, high_threshold);
    if (!r.ok()) return r.status();
    return r->indicator;
  };
  if (n < 2) return reference();
  const Adjacency adj = BuildAdjacency(graph, edge_in_service);
  dist_.resize(static_cast<size_t>(n) * n);
  queue_.resize(n);
  bfs_dist_.resize(n);
  row_.assign(n, 0.0);
  double total = 0.0;
  for (int s = 0; s < n; ++s) {
    row_[s] = SweepFrom(adj, s, -1, queue_, bfs_dist_, &dist_[static_cast<size_t>(s) * n]);
    total += row_[s];
  }
  if (!(total > 0.0)) {  // E(G) = 0: every I_k is 0
    const int n_high = 0.0 >= high_threshold ? n : 0;
    return 1.0 - static_cast<double>(n_high) / n;
  }
  label_.resize(n);
  side_size_.resize(n);
  std::vector<int> side_root;
  side_root.reserve(8);
  int n_high = 0;
  bool near_threshold = false;
  for (int k = 0; k < n; ++k) {
    std::fill(label_.begin(), label_.end(), -1);
    side_root.clear();
    bool tree_like = true;
    for (int e = adj.offsets[k]; e < adj.offsets[k + 1]; ++e) {
      const int u = adj.neighbors[e];
      if (label_[u] >= 0) {
        if (side_root[label_[u]] != u) tree_like = false;  // two neighbours joined without k
        continue;
      }
      const int side = static_cast<int>(side_root.size());
      side_root.push_back(u);
      // Label u's component of G \ k.
      int head = 0, tail = 0;
      queue_[tail++] = u;
      label_[u] = side;
      while (head < tail) {
        const int v = queue_[head++];
        for (int f = adj.offsets[v]; f < adj.offsets[v + 1]; ++f) {
          const int w = adj.neighbors[f];
          if (w == k || label_[w] >= 0) continue;
          label_[w] = side;
          queue_[tail++] = w;
        }
      }
      side_size_[side] = tail;
    }
    double total_k;
    if (!tree_like) {
      // k lies on a loop: fresh sweeps in G \ k from the sources of k's component; the other
      // components keep their row sums (k is unreachable from them).
      ++last_swept_;
      total_k = 0.0;
      for (int s = 0; s < n; ++s) {
        if (s == k) continue;
        total_k += label_[s] < 0 ? row_[s] : SweepFrom(adj, s, k, queue_, bfs_dist_, nullptr);
      }
    } else {
      const int sides = static_cast<int>(side_root.size());
      int largest = 0;
      for (int a = 1; a < sides; ++a) {
        if (side_size_[a] > side_size_[largest]) largest = a;
      }
      double cross = 0.0;  // ordered pairs in different sides
      for (int s = 0; s < n; ++s) {
        const int ls = label_[s];
        if (ls < 0 || ls == largest) continue;
        const int* ds = &dist_[static_cast<size_t>(s) * n];
        for (int t = 0; t < n; ++t) {
          const int lt = label_[t];
          if (lt < 0 || lt == ls) continue;
          const double w = 1.0 / ds[t];
          cross += lt == largest ? 2.0 * w : w;
        }
      }
      total_k = total - 2.0 * row_[k] - cross;
    }
    const double ik = (total - total_k) / total;
    if (std::abs(ik - high_threshold) < 1e-9) near_threshold = true;
    if (ik >= high_threshold) ++n_high;
  }
  if (near_threshold) return reference();
  return 1.0 - static_cast<double>(n_high) / n;
}


absl::StatusOr<double> PercolationWorkspace::Threshold(const Graph& graph,
                                                       std::span<const uint8_t> edge_in_service,
                                                       const PercolationConfig& config) {
  const bool valid = config.q_min >= 0 && config.q_max <= 1 && config.q_min <= config.q_max &&
                     config.q_step > 0 && std::isfinite(config.q_step) && config.trials >= 1 &&
                     std::llround((config.q_max - config.q_min) / config.q_step) + 1 <= 100000 &&
                     graph.CheckEdgeMask(edge_in_service, "edge_in_service").ok();
  if (!valid) {  // the reference names the bad field
    absl::StatusOr<PercolationCurve> r =
        Percolation(graph, edge_in_service, config);
    if (!r.ok()) return r.status();
    return r->q_c;
  }
  const int num_q =
      static_cast<int>(std::llround((config.q_max - config.q_min) / config.q_step)) + 1;
  q_.resize(num_q);
  for (int k = 0; k < num_q; ++k) q_[k] = std::min(config.q_max, config.q_min + k * config.q_step);
  edges_.clear();
  for (int k = 0; k < graph.num_edges(); ++k) {
    const Edge& e = graph.edges()[k];
    if (edge_in_service[k] && e.from != e.to) edges_.push_back(e);
  }
  const int n = graph.num_nodes();
  const double inv_n = 1.0 / n;
  const int ne = static_cast<int>(edges_.size());
  sum_s_.assign(num_q, 0.0);
  sum_s2_.assign(num_q, 0.0);
  bucket_of_.resize(ne);
  count_.resize(num_q + 1);
  order_.resize(ne);
  UnionFind uf(n);
  SplitMix64 rng(config.seed);  // the reference's generator: the same draws
  const double inv_step = 1.0 / config.q_step;
  for (int t = 0; t < config.trials; ++t) {
    std::fill(count_.begin(), count_.end(), 0);
    for (int e = 0; e < ne; ++e) {
      const double u = rng.Uniform();
      // Largest k with q[k] <= u (-1: kept at no grid point); the guess is corrected below.
      int k = static_cast<int>(std::floor((u - config.q_min) * inv_step));
      k = std::clamp(k, -1, num_q - 1);
      while (k + 1 < num_q && q_[k + 1] <= u) ++k;
      while (k >= 0 && q_[k] > u) --k;
      bucket_of_[e] = k;
      ++count_[k + 1];
    }
    // Counting sort by bucket (bucket -1 first; it is never added).
    for (int b = 1; b <= num_q; ++b) count_[b] += count_[b - 1];
    for (int e = ne - 1; e >= 0; --e) order_[--count_[bucket_of_[e] + 1]] = e;
    // count_[b] is now the start of bucket b - 1.
    uf.Reset();
    for (int k = num_q - 1; k >= 0; --k) {
      const int begin = count_[k + 1];
      const int end = k + 2 <= num_q ? count_[k + 2] : ne;
      for (int i = begin; i < end; ++i) {
        const Edge& e = edges_[order_[i]];
        uf.Union(e.from, e.to);
      }
      const double s_max = uf.largest() * inv_n;
      sum_s_[k] += s_max;
      sum_s2_[k] += s_max * s_max;
    }
  }
  double best = -1.0;
  int peak = 0;
  for (int k = 0; k < num_q; ++k) {
    const double mean = sum_s_[k] / config.trials;
    const double mean2 = sum_s2_[k] / config.trials;
    const double chi = n * std::max(0.0, mean2 - mean * mean) / mean;
    if (chi > best) {
      best = chi;
      peak = k;
    }
  }
  return q_[peak];
}

absl::StatusOr<double> PrunedWeightedPathVariability(const Graph& graph,
                                                     const GridState& state,
                                                     const PathWeights& weights) {
  if (absl::Status s = ValidateGridState(graph, state); !s.ok()) return s;
  const Adjacency adj = BuildAdjacency(graph, state.edge_in_service);
  const std::vector<int> label = ComponentLabels(adj);
  const int n = graph.num_nodes();
  std::vector<int> sources_in(n, 0);  // per component label
  int num_online = 0;
  for (const Source& src : state.sources) {
    if (!src.online) continue;
    ++num_online;
    ++sources_in[label[src.node]];
  }
  // Which loads need the flows. A load node i whose distinct neighbours all lie in different
  // components ("sides") of G \ i gets IC_i in closed form: paths from different sides meet only
  // at i, two sources in one side must share the side's neighbour of i (capacity 1), and sources
  // at i count on their own; so the subsets that succeed are those with at most one source per
  // side, any sources at i: IC_i = prod_sides (1 + c_side) * 2^(c_at_i) - 1 - m.
  GridState rest;
  rest.edge_in_service = state.edge_in_service;
  rest.sources = state.sources;
  std::vector<int> rest_index(state.loads.size(), -1);
  std::vector<int64_t> closed_ic(n, -1);  // per node: closed-form IC, -1 = needs flows
  std::vector<int8_t> decided(n, 0);
  std::vector<int> side(n, -1), queue(n), side_root, side_sources;
  for (size_t li = 0; li < state.loads.size(); ++li) {
    const int i = state.loads[li].node;
    if (!decided[i]) {
      decided[i] = 1;
      const int m = sources_in[label[i]];
      if (m < 2) {
        closed_ic[i] = 0;
      } else {
        std::fill(side.begin(), side.end(), -1);
        side_root.clear();
        bool tree_like = true;
        for (int e = adj.offsets[i]; e < adj.offsets[i + 1] && tree_like; ++e) {
          const int u = adj.neighbors[e];
          if (side[u] >= 0) {
            if (side_root[side[u]] != u) tree_like = false;
            continue;
          }
          const int sd = static_cast<int>(side_root.size());
          side_root.push_back(u);
          int head = 0, tail = 0;
          queue[tail++] = u;
          side[u] = sd;
          while (head < tail) {
            const int v = queue[head++];
            for (int f = adj.offsets[v]; f < adj.offsets[v + 1]; ++f) {
              const int w = adj.neighbors[f];
              if (w == i || side[w] >= 0) continue;
              side[w] = sd;
              queue[tail++] = w;
            }
          }
        }
        if (tree_like) {
          side_sources.assign(side_root.size(), 0);
          int at_i = 0;
          for (const Source& src : state.sources) {
            if (!src.online) continue;
            if (src.node == i) {
              ++at_i;
            } else if (side[src.node] >= 0) {
              ++side_sources[side[src.node]];
            }
          }
          int64_t product = int64_t{1} << at_i;
          for (int c : side_sources) product *= (1 + c);
          closed_ic[i] = product - 1 - m;
        }
      }
    }
    if (closed_ic[i] < 0) {
      rest_index[li] = static_cast<int>(rest.loads.size());
      rest.loads.push_back(state.loads[li]);
    }
  }
  PathVariability flows;
  if (!rest.loads.empty()) {
    absl::StatusOr<PathVariability> r =
        WeightedPathVariability(graph, rest, weights);
    if (!r.ok()) return r.status();
    flows = *std::move(r);
  } else if (absl::Status s = WeightedPathVariability(graph, rest, weights).status();
             !s.ok()) {
    return s;  // same validation (weights, source limits) as the reference
  }
  const int64_t n_k_int = num_online < 2 ? 0 : (int64_t{1} << num_online) - num_online - 1;
  double weighted = 0.0;
  double total_kva = 0.0;
  for (size_t li = 0; li < state.loads.size(); ++li) {
    double pv;
    if (rest_index[li] >= 0) {
      pv = flows.pv[rest_index[li]];
    } else {
      const int m = sources_in[label[state.loads[li].node]];
      if (m > kMaxSourcesPerIsland) {
        return absl::InvalidArgumentError("sources: too many online sources in one island");
      }
      const int ip = m;
      const int cc = m < 2 ? 0 : static_cast<int>((int64_t{1} << m) - m - 1);
      const int ic = static_cast<int>(closed_ic[state.loads[li].node]);
      pv = 0.0;
      if (num_online > 0) pv += weights.single_source * ip / num_online;
      if (n_k_int > 0) {
        const double n_k = static_cast<double>(n_k_int);
        pv += weights.disjoint * ic / n_k + weights.same_island * cc / n_k;
      }
    }
    weighted += state.loads[li].kva * pv;
    total_kva += state.loads[li].kva;
  }
  return total_kva > 0 ? weighted / total_kva : 0.0;
}

}  // namespace gridrl::metrics
