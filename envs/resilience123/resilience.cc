#include "envs/resilience123/resilience.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_format.h"
#include "envs/resilience123/splitmix.h"

namespace gridrl::metrics {
namespace {

int64_t SubsetCount(int m) {
  // 2^m - m - 1: subsets of size >= 2 (m <= 62 is checked by the caller).
  return m < 2 ? 0 : (int64_t{1} << m) - m - 1;
}

// Unit-capacity max-flow on the node-split graph of one target node; reused for every source
// subset of that target. Flow values are tiny (<= number of sources), so BFS augmenting paths
// (Edmonds-Karp) are as fast as anything fancier here.
class DisjointPathFlow {
 public:
  DisjointPathFlow(const Adjacency& adj, int target) : n_(adj.num_nodes()), target_(target) {
    head_.assign(2 * n_ + 1, -1);
    for (int v = 0; v < n_; ++v) {
      if (v != target_) AddArc(In(v), Out(v), 1);
      if (v == target_) continue;  // paths end at the target: it has no outgoing arcs
      for (int k = adj.offsets[v]; k < adj.offsets[v + 1]; ++k) {
        AddArc(Out(v), In(adj.neighbors[k]), 1);
      }
    }
    super_first_arc_ = static_cast<int>(to_.size());
    base_cap_ = cap_;
    base_head_ = head_;
    parent_arc_.resize(2 * n_ + 1);
    queue_.resize(2 * n_ + 1);
  }

  // Adds the super-source arcs for the given source nodes (one per source, capacity 1).
  void SetSources(const std::vector<int>& source_nodes) {
    to_.resize(super_first_arc_);
    cap_.resize(super_first_arc_);
    next_.resize(super_first_arc_);
    // Drop the previous subset's super arcs and all flow: back to the saved base graph.
    head_ = base_head_;
    cap_ = base_cap_;
    for (int s : source_nodes) AddArc(Super(), In(s), 1);
  }

  // True iff the flow from the super source to the target reaches `needed`.
  bool Reaches(int needed) {
    const int sink = In(target_);
    int flow = 0;
    std::vector<int>& parent_arc = parent_arc_;
    std::vector<int>& queue = queue_;
    while (flow < needed) {
      std::fill(parent_arc.begin(), parent_arc.end(), -1);
      int qh = 0, qt = 0;
      queue[qt++] = Super();
      parent_arc[Super()] = -2;
      while (qh < qt && parent_arc[sink] == -1) {
        const int u = queue[qh++];
        for (int a = head_[u]; a >= 0; a = next_[a]) {
          if (cap_[a] > 0 && parent_arc[to_[a]] == -1) {
            parent_arc[to_[a]] = a;
            queue[qt++] = to_[a];
          }
        }
      }
      if (parent_arc[sink] == -1) return false;
      for (int v = sink; v != Super();) {
        const int a = parent_arc[v];
        --cap_[a];
        ++cap_[a ^ 1];
        v = to_[a ^ 1];
      }
      ++flow;
    }
    return true;
  }

 private:
  int In(int v) const { return 2 * v; }
  int Out(int v) const { return 2 * v + 1; }
  int Super() const { return 2 * n_; }
  // Arc a and its residual twin a ^ 1.
  void AddArc(int u, int v, int c) {
    for (auto [from, to, cap] : {std::tuple{u, v, c}, std::tuple{v, u, 0}}) {
      to_.push_back(to);
      cap_.push_back(cap);
      next_.push_back(head_[from]);
      head_[from] = static_cast<int>(to_.size()) - 1;
    }
  }

  int n_;
  int target_;
  int super_first_arc_ = 0;
  std::vector<int> head_, base_head_;
  std::vector<int> to_, cap_, next_, base_cap_;
  std::vector<int> parent_arc_, queue_;  // BFS workspaces
};

struct OnlineSource {
  int node;
  double rating_kva;
};

std::vector<OnlineSource> OnlineSources(const GridState& state) {
  std::vector<OnlineSource> out;
  for (const Source& s : state.sources) {
    if (s.online) out.push_back({s.node, s.rating_kva});
  }
  return out;
}

absl::Status CheckFinite(double v, const std::string& field) {
  if (!std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: expected a finite number, got %f",
                                                      field, v));
  }
  return absl::OkStatus();
}

absl::Status ValidatePathWeights(const PathWeights& pw) {
  for (auto [value, name] : {std::pair{pw.single_source, "path_weights.single_source"},
                             std::pair{pw.disjoint, "path_weights.disjoint"},
                             std::pair{pw.same_island, "path_weights.same_island"}}) {
    if (!std::isfinite(value) || value < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: expected a finite value >= 0, got %f", name, value));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateGridState(const Graph& graph, const GridState& state) {
  if (absl::Status s = graph.CheckEdgeMask(state.edge_in_service, "edge_in_service"); !s.ok()) {
    return s;
  }
  const int n = graph.num_nodes();
  for (size_t k = 0; k < state.sources.size(); ++k) {
    const Source& src = state.sources[k];
    if (src.node < 0 || src.node >= n) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "sources[%d].node: expected a node index in [0, %d), got %d", k, n, src.node));
    }
    if (!std::isfinite(src.rating_kva) || src.rating_kva < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "sources[%d].rating_kva: expected a finite value >= 0, got %f", k, src.rating_kva));
    }
  }
  for (size_t k = 0; k < state.loads.size(); ++k) {
    const Load& load = state.loads[k];
    if (load.node < 0 || load.node >= n) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "loads[%d].node: expected a node index in [0, %d), got %d", k, n, load.node));
    }
    if (!std::isfinite(load.kva) || load.kva < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "loads[%d].kva: expected a finite value >= 0, got %f", k, load.kva));
    }
    if (load.critical && load.kva <= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "loads[%d].kva: a critical load needs kva > 0 (ARoS divides by it)", k));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PathVariability> WeightedPathVariability(const Graph& graph,
                                                        const GridState& state,
                                                        const PathWeights& weights) {
  if (absl::Status s = ValidateGridState(graph, state); !s.ok()) return s;
  if (absl::Status s = ValidatePathWeights(weights); !s.ok()) return s;
  const Adjacency adj = BuildAdjacency(graph, state.edge_in_service);
  const std::vector<int> label = ComponentLabels(adj);
  const std::vector<OnlineSource> sources = OnlineSources(state);

  PathVariability out;
  out.num_online_sources = static_cast<int>(sources.size());
  if (out.num_online_sources > 62) {
    return absl::InvalidArgumentError("sources: more than 62 online sources");
  }
  out.n_k = SubsetCount(out.num_online_sources);
  const size_t num_loads = state.loads.size();
  out.ip.assign(num_loads, 0);
  out.ic.assign(num_loads, 0);
  out.cc.assign(num_loads, 0);
  out.pv.assign(num_loads, 0.0);

  // Results depend only on the load's node: compute once per node.
  struct NodeCounts {
    int ip = -1, ic = 0, cc = 0;
  };
  std::vector<NodeCounts> per_node(graph.num_nodes());

  for (size_t li = 0; li < num_loads; ++li) {
    const int i = state.loads[li].node;
    NodeCounts& nc = per_node[i];
    if (nc.ip < 0) {
      std::vector<int> island_sources;
      for (const OnlineSource& s : sources) {
        if (label[s.node] == label[i]) island_sources.push_back(s.node);
      }
      const int m = static_cast<int>(island_sources.size());
      if (m > kMaxSourcesPerIsland) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "sources: %d online sources in the island of loads[%d]; at most %d are supported", m,
            li, kMaxSourcesPerIsland));
      }
      nc.ip = m;
      nc.cc = static_cast<int>(SubsetCount(m));  // m <= kMaxSourcesPerIsland
      nc.ic = 0;
      if (m >= 2) {
        DisjointPathFlow flow(adj, i);
        const uint32_t full = (1u << m);
        std::vector<uint8_t> ok(full, 0);
        std::vector<int> subset_nodes;
        for (uint32_t mask = 1; mask < full; ++mask) {
          const int size = std::popcount(mask);
          if (size == 1) {
            ok[mask] = 1;  // one source in the island always has a path
            continue;
          }
          // A subset can only succeed if every subset one smaller does.
          bool all_smaller_ok = true;
          for (uint32_t rest = mask; rest != 0 && all_smaller_ok; rest &= rest - 1) {
            const uint32_t bit = rest & (~rest + 1);
            all_smaller_ok = ok[mask ^ bit] != 0;
          }
          if (!all_smaller_ok) continue;
          subset_nodes.clear();
          for (int b = 0; b < m; ++b) {
            if (mask & (1u << b)) subset_nodes.push_back(island_sources[b]);
          }
          flow.SetSources(subset_nodes);
          if (flow.Reaches(size)) {
            ok[mask] = 1;
            ++nc.ic;
          }
        }
      }
    }
    out.ip[li] = nc.ip;
    out.ic[li] = nc.ic;
    out.cc[li] = nc.cc;
    double pv = 0.0;
    if (out.num_online_sources > 0) {
      pv += weights.single_source * nc.ip / out.num_online_sources;
    }
    if (out.n_k > 0) {
      const double n_k = static_cast<double>(out.n_k);
      pv += weights.disjoint * nc.ic / n_k + weights.same_island * nc.cc / n_k;
    }
    out.pv[li] = pv;
  }

  double weighted = 0.0;
  double total_kva = 0.0;
  for (size_t li = 0; li < num_loads; ++li) {
    weighted += state.loads[li].kva * out.pv[li];
    total_kva += state.loads[li].kva;
  }
  // No load (or no kVA) gives 0: there is nothing whose supply paths could vary.
  out.wpv = total_kva > 0 ? weighted / total_kva : 0.0;
  return out;
}

absl::StatusOr<double> CriticalLoadRatio(std::span<const Load> loads,
                                         double value_without_critical_loads) {
  if (absl::Status s = CheckFinite(value_without_critical_loads, "r_cl_without_critical_loads");
      !s.ok()) {
    return s;
  }
  double served = 0.0;
  double total = 0.0;
  for (size_t k = 0; k < loads.size(); ++k) {
    if (!std::isfinite(loads[k].kva) || loads[k].kva < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "loads[%d].kva: expected a finite value >= 0, got %f", k, loads[k].kva));
    }
    if (!loads[k].critical) continue;
    total += loads[k].kva;
    if (loads[k].served) served += loads[k].kva;
  }
  if (total <= 0) return value_without_critical_loads;
  return served / total;
}

absl::StatusOr<double> AverageRatingOfService(const Graph& graph, const GridState& state) {
  if (absl::Status s = ValidateGridState(graph, state); !s.ok()) return s;
  const Adjacency adj = BuildAdjacency(graph, state.edge_in_service);
  const std::vector<int> label = ComponentLabels(adj);
  const std::vector<OnlineSource> sources = OnlineSources(state);
  int n_crit = 0;
  int n_served = 0;
  double ros_sum = 0.0;
  for (const Load& load : state.loads) {
    if (!load.critical) continue;
    ++n_crit;
    if (!load.served) continue;
    ++n_served;
    int n_j = 0;
    double headroom = 0.0;
    for (const OnlineSource& s : sources) {
      if (label[s.node] != label[load.node]) continue;
      ++n_j;
      headroom += std::max(0.0, (s.rating_kva - load.kva) / load.kva);
    }
    if (n_j > 0) ros_sum += headroom / n_j;
  }
  if (n_crit == 0 || n_served == 0) return 0.0;
  // (n_served / N_crit) * (ros_sum / n_served)
  return ros_sum / n_crit;
}

absl::StatusOr<PercolationCurve> Percolation(const Graph& graph,
                                             std::span<const uint8_t> edge_in_service,
                                             const PercolationConfig& config) {
  if (absl::Status s = graph.CheckEdgeMask(edge_in_service, "edge_in_service"); !s.ok()) {
    return s;
  }
  if (!(config.q_min >= 0 && config.q_max <= 1 && config.q_min <= config.q_max)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "percolation.q_min/q_max: expected 0 <= q_min <= q_max <= 1, got %f, %f", config.q_min,
        config.q_max));
  }
  if (!(config.q_step > 0) || !std::isfinite(config.q_step)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("percolation.q_step: expected > 0, got %f", config.q_step));
  }
  if (config.trials < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("percolation.trials: expected >= 1, got %d", config.trials));
  }
  const int num_q =
      static_cast<int>(std::llround((config.q_max - config.q_min) / config.q_step)) + 1;
  if (num_q > 100000) {
    return absl::InvalidArgumentError("percolation.q_step: more than 100000 grid points");
  }
  PercolationCurve curve;
  curve.q.resize(num_q);
  for (int k = 0; k < num_q; ++k) {
    curve.q[k] = std::min(config.q_max, config.q_min + k * config.q_step);
  }

  std::vector<Edge> edges;
  for (int k = 0; k < graph.num_edges(); ++k) {
    const Edge& e = graph.edges()[k];
    if (edge_in_service[k] && e.from != e.to) edges.push_back(e);
  }
  const int n = graph.num_nodes();
  const double inv_n = 1.0 / n;
  std::vector<double> sum_s(num_q, 0.0);
  std::vector<double> sum_s2(num_q, 0.0);
  std::vector<std::pair<double, int>> draws(edges.size());
  UnionFind uf(n);
  SplitMix64 rng(config.seed);
  for (int t = 0; t < config.trials; ++t) {
    for (size_t e = 0; e < edges.size(); ++e) draws[e] = {rng.Uniform(), static_cast<int>(e)};
    // Descending u: sweeping q from high to low adds the edges with u >= q one by one.
    std::sort(draws.begin(), draws.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    uf.Reset();
    size_t next = 0;
    for (int k = num_q - 1; k >= 0; --k) {
      while (next < draws.size() && draws[next].first >= curve.q[k]) {
        const Edge& e = edges[draws[next].second];
        uf.Union(e.from, e.to);
        ++next;
      }
      const double s_max = uf.largest() * inv_n;
      sum_s[k] += s_max;
      sum_s2[k] += s_max * s_max;
    }
  }
  curve.strength.resize(num_q);
  curve.susceptibility.resize(num_q);
  double best = -1.0;
  for (int k = 0; k < num_q; ++k) {
    const double mean = sum_s[k] / config.trials;
    const double mean2 = sum_s2[k] / config.trials;
    curve.strength[k] = mean;
    // Rounding can make the variance a hair negative when every trial agrees.
    curve.susceptibility[k] = n * std::max(0.0, mean2 - mean * mean) / mean;
    if (curve.susceptibility[k] > best) {
      best = curve.susceptibility[k];
      curve.peak_index = k;
    }
  }
  curve.q_c = curve.q[curve.peak_index];
  return curve;
}

namespace {

// Sum over ordered pairs (s, t), s != t, of 1 / d(s, t) with node `removed` (-1: none) taken out,
// and per-source row sums. All sources are searched at once, bit-parallel: after level d,
// reached[v] holds the set of sources within d hops of v, and the sources first reached at level
// d are counted with weight 1/d. A level costs O((N + 2E) * N/64) word operations, so the whole
// sweep is several times cheaper than N separate breadth-first searches on feeder-sized graphs.
class InverseHopSum {
 public:
  explicit InverseHopSum(const Adjacency& adj)
      : adj_(adj), n_(adj.num_nodes()), words_((n_ + 63) / 64) {
    reached_.resize(static_cast<size_t>(n_) * words_);
    frontier_.resize(reached_.size());
    next_.resize(reached_.size());
  }

  // Total over ordered pairs; if row_sums is not null it receives sum_t 1/d(v, t) per node v.
  double Sum(int removed, std::vector<double>* row_sums) {
    std::fill(reached_.begin(), reached_.end(), 0);
    std::fill(frontier_.begin(), frontier_.end(), 0);
    for (int v = 0; v < n_; ++v) {
      if (v == removed) continue;
      reached_[Word(v, v / 64)] = frontier_[Word(v, v / 64)] = uint64_t{1} << (v % 64);
    }
    if (row_sums != nullptr) row_sums->assign(n_, 0.0);
    double total = 0.0;
    for (int d = 1; d < n_; ++d) {
      bool grew = false;
      const double inv_d = 1.0 / d;
      for (int v = 0; v < n_; ++v) {
        uint64_t* next = &next_[Word(v, 0)];
        std::fill(next, next + words_, 0);
        if (v == removed) continue;
        for (int k = adj_.offsets[v]; k < adj_.offsets[v + 1]; ++k) {
          const int u = adj_.neighbors[k];
          if (u == removed) continue;
          const uint64_t* f = &frontier_[Word(u, 0)];
          for (int w = 0; w < words_; ++w) next[w] |= f[w];
        }
        int count = 0;
        const uint64_t* seen = &reached_[Word(v, 0)];
        for (int w = 0; w < words_; ++w) {
          next[w] &= ~seen[w];
          count += std::popcount(next[w]);
        }
        if (count > 0) {
          grew = true;
          total += count * inv_d;
          if (row_sums != nullptr) (*row_sums)[v] += count * inv_d;
        }
      }
      if (!grew) break;
      for (size_t i = 0; i < reached_.size(); ++i) reached_[i] |= next_[i];
      frontier_.swap(next_);
    }
    return total;
  }

 private:
  size_t Word(int v, int w) const { return static_cast<size_t>(v) * words_ + w; }
  const Adjacency& adj_;
  int n_;
  int words_;
  std::vector<uint64_t> reached_, frontier_, next_;
};

}  // namespace

absl::StatusOr<double> NetworkEfficiency(const Graph& graph,
                                         std::span<const uint8_t> edge_in_service) {
  if (absl::Status s = graph.CheckEdgeMask(edge_in_service, "edge_in_service"); !s.ok()) {
    return s;
  }
  const int n = graph.num_nodes();
  if (n < 2) return 0.0;
  const Adjacency adj = BuildAdjacency(graph, edge_in_service);
  InverseHopSum sum(adj);
  return sum.Sum(-1, nullptr) / (static_cast<double>(n) * (n - 1));
}

absl::StatusOr<CentralityResult> InformationCentrality(const Graph& graph,
                                                       std::span<const uint8_t> edge_in_service,
                                                       double high_threshold) {
  if (absl::Status s = graph.CheckEdgeMask(edge_in_service, "edge_in_service"); !s.ok()) {
    return s;
  }
  if (!std::isfinite(high_threshold)) {
    return absl::InvalidArgumentError("high_centrality_threshold: expected a finite number");
  }
  const int n = graph.num_nodes();
  CentralityResult out;
  out.information_centrality.assign(n, 0.0);
  if (n >= 2) {
    const Adjacency adj = BuildAdjacency(graph, edge_in_service);
    InverseHopSum sum(adj);
    std::vector<double> row_sums;
    const double total = sum.Sum(-1, &row_sums);
    const double pairs = static_cast<double>(n) * (n - 1);
    out.efficiency = total / pairs;
    if (out.efficiency > 0) {
      for (int k = 0; k < n; ++k) {
        // A node of degree <= 1 is never inside a shortest path: removing it only drops its own
        // pairs (2 row_sums[k] over ordered pairs), no search needed.
        const int degree = adj.offsets[k + 1] - adj.offsets[k];
        const double total_k =
            degree <= 1 ? total - 2.0 * row_sums[k] : sum.Sum(k, nullptr);
        out.information_centrality[k] = (total - total_k) / total;
      }
    }
  }
  for (int k = 0; k < n; ++k) {
    if (out.information_centrality[k] >= high_threshold) ++out.n_high;
  }
  out.indicator = 1.0 - static_cast<double>(out.n_high) / n;
  return out;
}

absl::StatusOr<AhpResult> ComputeAhp(const std::vector<std::vector<double>>& pairwise,
                                     double random_index, double max_consistency_ratio) {
  const size_t n = pairwise.size();
  if (n == 0) return absl::InvalidArgumentError("ahp.pairwise: expected a non-empty matrix");
  for (size_t i = 0; i < n; ++i) {
    if (pairwise[i].size() != n) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "ahp.pairwise[%d]: expected %d entries (square matrix), got %d", i, n,
          pairwise[i].size()));
    }
    for (size_t j = 0; j < n; ++j) {
      const double a = pairwise[i][j];
      if (!std::isfinite(a) || a <= 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "ahp.pairwise[%d][%d]: expected a finite value > 0, got %f", i, j, a));
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const double product = pairwise[i][j] * pairwise[j][i];
      if (std::abs(product - 1.0) > 1e-9) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "ahp.pairwise[%d][%d]: expected the reciprocal of pairwise[%d][%d] (%f), got %f", j,
            i, i, j, 1.0 / pairwise[i][j], pairwise[j][i]));
      }
    }
  }
  if (!(max_consistency_ratio > 0) || !std::isfinite(max_consistency_ratio)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ahp.max_consistency_ratio: expected a finite value > 0, got %f", max_consistency_ratio));
  }
  if (n > 2 && !(random_index > 0 && std::isfinite(random_index))) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ahp.random_index: expected > 0, got %f", random_index));
  }
  // Power iteration: a positive matrix has a simple dominant eigenvalue (Perron), so it converges
  // from the uniform vector; tolerance far below what the weights are ever compared at.
  std::vector<double> w(n, 1.0 / n), next(n);
  for (int it = 0; it < 10000; ++it) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
      next[i] = 0.0;
      for (size_t j = 0; j < n; ++j) next[i] += pairwise[i][j] * w[j];
      sum += next[i];
    }
    double change = 0.0;
    for (size_t i = 0; i < n; ++i) {
      next[i] /= sum;
      change = std::max(change, std::abs(next[i] - w[i]));
    }
    w.swap(next);
    if (change < 1e-15) break;
  }
  AhpResult out;
  double lambda = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double row = 0.0;
    for (size_t j = 0; j < n; ++j) row += pairwise[i][j] * w[j];
    lambda += row / w[i];
  }
  out.lambda_max = lambda / n;
  out.weights = std::move(w);
  if (n > 2) {
    out.consistency_index = (out.lambda_max - n) / (n - 1);
    out.consistency_ratio = out.consistency_index / random_index;
  }
  if (out.consistency_ratio >= max_consistency_ratio) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "ahp.pairwise: consistency ratio %.4f is not below %.4f; revise the comparisons",
        out.consistency_ratio, max_consistency_ratio));
  }
  return out;
}

double Normalise(double value, Bounds bounds) {
  const double x = (value - bounds.lo) / (bounds.hi - bounds.lo);
  return std::clamp(x, 0.0, 1.0);
}

absl::StatusOr<std::vector<double>> CompositeScores(std::span<const double> resilience) {
  if (resilience.empty()) {
    return absl::InvalidArgumentError("resilience: expected at least one configuration");
  }
  double best = 0.0;
  for (size_t c = 0; c < resilience.size(); ++c) {
    if (!std::isfinite(resilience[c]) || resilience[c] < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "resilience[%d]: expected a finite value >= 0, got %f", c, resilience[c]));
    }
    best = std::max(best, resilience[c]);
  }
  std::vector<double> out(resilience.size(), 0.0);
  if (best > 0) {
    for (size_t c = 0; c < resilience.size(); ++c) out[c] = resilience[c] / best;
  }
  return out;
}

absl::Status ValidateResilienceConfig(const ResilienceConfig& config) {
  if (absl::Status s = ValidatePathWeights(config.path_weights); !s.ok()) return s;
  if (absl::Status s = CheckFinite(config.high_centrality_threshold, "high_centrality_threshold");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckFinite(config.r_cl_without_critical_loads, "r_cl_without_critical_loads");
      !s.ok()) {
    return s;
  }
  for (int m = 0; m < kNumIndicators; ++m) {
    const Bounds& b = config.normalisation.bounds[m];
    if (!std::isfinite(b.lo) || !std::isfinite(b.hi) || !(b.hi > b.lo)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "normalisation.bounds[%d] (%s): expected finite lo < hi, got [%f, %f]", m,
          kIndicatorNames[m], b.lo, b.hi));
    }
  }
  if (config.ahp.pairwise.size() != kNumIndicators) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ahp.pairwise: expected %d rows (one per indicator), got %d", kNumIndicators,
        config.ahp.pairwise.size()));
  }
  // Percolation parameters are checked by running it on a one-node graph (cheap, same checks).
  absl::StatusOr<Graph> probe = Graph::Create(1, {});
  absl::StatusOr<PercolationCurve> curve =
      Percolation(*probe, {}, PercolationConfig{config.percolation.q_min,
                                                config.percolation.q_max,
                                                config.percolation.q_step, 1, 0});
  if (!curve.ok()) return curve.status();
  if (config.percolation.trials < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "percolation.trials: expected >= 1, got %d", config.percolation.trials));
  }
  return absl::OkStatus();
}

absl::StatusOr<ResilienceModel> ResilienceModel::Create(Graph graph, ResilienceConfig config) {
  if (absl::Status s = ValidateResilienceConfig(config); !s.ok()) return s;
  absl::StatusOr<AhpResult> ahp = ComputeAhp(config.ahp.pairwise, config.ahp.random_index,
                                             config.ahp.max_consistency_ratio);
  if (!ahp.ok()) return ahp.status();
  return ResilienceModel(std::move(graph), std::move(config), *std::move(ahp));
}

absl::StatusOr<IndicatorSet> ResilienceModel::Evaluate(const GridState& state) const {
  if (absl::Status s = ValidateGridState(graph_, state); !s.ok()) return s;
  IndicatorSet out;
  absl::StatusOr<double> r_cl = CriticalLoadRatio(state.loads, config_.r_cl_without_critical_loads);
  if (!r_cl.ok()) return r_cl.status();
  absl::StatusOr<double> aros = AverageRatingOfService(graph_, state);
  if (!aros.ok()) return aros.status();
  absl::StatusOr<PathVariability> wpv =
      WeightedPathVariability(graph_, state, config_.path_weights);
  if (!wpv.ok()) return wpv.status();
  absl::StatusOr<PercolationCurve> perc =
      Percolation(graph_, state.edge_in_service, config_.percolation);
  if (!perc.ok()) return perc.status();
  absl::StatusOr<CentralityResult> ic = InformationCentrality(
      graph_, state.edge_in_service, config_.high_centrality_threshold);
  if (!ic.ok()) return ic.status();
  out.raw = {*r_cl, *aros, wpv->wpv, perc->q_c, ic->indicator};
  out.resilience = 0.0;
  for (int m = 0; m < kNumIndicators; ++m) {
    out.normalised[m] = Normalise(out.raw[m], config_.normalisation.bounds[m]);
    out.resilience += ahp_.weights[m] * out.normalised[m];
  }
  return out;
}

}  // namespace gridrl::metrics
