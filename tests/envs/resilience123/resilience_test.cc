#include "envs/resilience123/resilience.h"

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace gridrl::metrics {
namespace {

Graph MakeGraph(int n, std::vector<Edge> edges) {
  absl::StatusOr<Graph> g = Graph::Create(n, std::move(edges));
  EXPECT_TRUE(g.ok()) << g.status();
  return *std::move(g);
}

GridState AllInService(const Graph& g, std::vector<Source> sources, std::vector<Load> loads) {
  return GridState{std::vector<uint8_t>(g.num_edges(), 1), std::move(sources), std::move(loads)};
}

// ---- Weighted path variability ----

TEST(WeightedPathVariabilityTest, SingleSourceOnAPathGivesOnlyTheSingleSourceTerm) {
  const Graph g = MakeGraph(3, {{0, 1}, {1, 2}});
  const GridState s = AllInService(g, {{0, 100.0}}, {{1, 10.0}, {2, 30.0}});
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok()) << pv.status();
  EXPECT_EQ(pv->n_k, 0);
  EXPECT_EQ(pv->ip, (std::vector<int>{1, 1}));
  EXPECT_EQ(pv->ic, (std::vector<int>{0, 0}));
  EXPECT_DOUBLE_EQ(pv->wpv, 0.1);
}

TEST(WeightedPathVariabilityTest, TwoSourcesOnBothEndsOfAPath) {
  // 0 - 1 - 2 with sources at both ends: every node is reached by two paths meeting only there,
  // including the source nodes themselves (a source at i reaches i by the trivial path).
  const Graph g = MakeGraph(3, {{0, 1}, {1, 2}});
  const GridState s = AllInService(g, {{0, 100.0}, {2, 50.0}}, {{0, 5.0}, {1, 10.0}, {2, 5.0}});
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->n_k, 1);
  EXPECT_EQ(pv->ic, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(pv->cc, (std::vector<int>{1, 1, 1}));
  // PV = 0.1 * 2/2 + 0.4 * 1/1 + 0.5 * 1/1 = 1.
  EXPECT_DOUBLE_EQ(pv->wpv, 1.0);
}

TEST(WeightedPathVariabilityTest, PathThroughAnotherSourceIsNotDisjoint) {
  // 0 - 1 - 2, sources at 0 and 1, load at 2: the path from 0 runs through source 1.
  const Graph g = MakeGraph(3, {{0, 1}, {1, 2}});
  const GridState s = AllInService(g, {{0, 100.0}, {1, 50.0}}, {{2, 10.0}});
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->ip[0], 2);
  EXPECT_EQ(pv->ic[0], 0);
  EXPECT_EQ(pv->cc[0], 1);
  EXPECT_DOUBLE_EQ(pv->pv[0], 0.1 + 0.5);  // 0.1 * 2/2 + 0 + 0.5 * 1/1
}

TEST(WeightedPathVariabilityTest, TwoSourcesAtOneNodeShareIt) {
  const Graph g = MakeGraph(2, {{0, 1}});
  const GridState s = AllInService(g, {{0, 100.0}, {0, 50.0}}, {{1, 10.0}});
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->ic[0], 0);
  EXPECT_DOUBLE_EQ(pv->wpv, 0.6);
}

TEST(WeightedPathVariabilityTest, StarCentreIsACutVertexForTheLeaves) {
  // Star: centre 0, leaves 1, 2, 3; sources at leaves 1 and 2.
  const Graph g = MakeGraph(4, {{0, 1}, {0, 2}, {0, 3}});
  const GridState s = AllInService(g, {{1, 100.0}, {2, 100.0}}, {{3, 5.0}, {0, 5.0}});
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->ic, (std::vector<int>{0, 1}));
  EXPECT_DOUBLE_EQ(pv->pv[0], 0.6);
  EXPECT_DOUBLE_EQ(pv->pv[1], 1.0);
  EXPECT_DOUBLE_EQ(pv->wpv, (5 * 0.6 + 5 * 1.0) / 10);
}

TEST(WeightedPathVariabilityTest, CycleWithThreeSources) {
  // Cycle 0-1-2-3-0, sources 0, 1, 2, load at 3 (degree 2). Pairs {0,1}: 0-3 and 1-2-3;
  // {0,2}: 0-3 and 2-3; {1,2}: 2-3 and 1-0-3; the triple needs three paths into a node of degree
  // 2: IC = 3. N_K = 4 = CC. PV = 0.1 * 3/3 + 0.4 * 3/4 + 0.5 * 4/4 = 0.9.
  const Graph g = MakeGraph(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}});
  const GridState s = AllInService(g, {{0, 1.0}, {1, 1.0}, {2, 1.0}}, {{3, 7.0}});
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->n_k, 4);
  EXPECT_EQ(pv->ic[0], 3);
  EXPECT_EQ(pv->cc[0], 4);
  EXPECT_NEAR(pv->wpv, 0.9, 1e-12);
}

TEST(WeightedPathVariabilityTest, IslandsAndOfflineSources) {
  // Two islands 0-1 and 2-3 (edge 1-2 open), a source in each, an offline one at node 1.
  const Graph g = MakeGraph(4, {{0, 1}, {1, 2}, {2, 3}});
  GridState s{{1, 0, 1}, {{0, 100.0}, {2, 100.0}, {1, 100.0, /*online=*/false}},
              {{1, 10.0}, {3, 10.0}}};
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->num_online_sources, 2);
  EXPECT_EQ(pv->ip, (std::vector<int>{1, 1}));
  EXPECT_EQ(pv->cc, (std::vector<int>{0, 0}));
  EXPECT_DOUBLE_EQ(pv->wpv, 0.05);  // 0.1 * 1/2
  // Closing the tie joins the islands: node 1 then lies between the two sources (IC = 1), while
  // the path from source 0 to node 3 runs through source 2's node (IC = 0).
  s.edge_in_service[1] = 1;
  pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->ic, (std::vector<int>{1, 0}));
  EXPECT_EQ(pv->cc, (std::vector<int>{1, 1}));
}

TEST(WeightedPathVariabilityTest, ManySourcesInSeparateIslands) {
  // 40 isolated nodes, each with a source and a load: N_K = 2^40 - 41 needs 64-bit counting, and
  // each island has one source only (IC = CC = 0), so PV = 0.1 / 40 everywhere.
  const Graph g = MakeGraph(40, {});
  GridState s;
  for (int v = 0; v < 40; ++v) {
    s.sources.push_back({v, 1.0});
    s.loads.push_back({v, 1.0});
  }
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, s);
  ASSERT_TRUE(pv.ok()) << pv.status();
  EXPECT_EQ(pv->n_k, (int64_t{1} << 40) - 41);
  EXPECT_DOUBLE_EQ(pv->wpv, 0.1 / 40);
  // Seventeen sources in one island exceed the subset enumeration limit: an error, not a hang.
  const Graph star = MakeGraph(2, {{0, 1}});
  GridState crowded = AllInService(star, {}, {{1, 1.0}});
  for (int k = 0; k < 17; ++k) crowded.sources.push_back({0, 1.0});
  pv = WeightedPathVariability(star, crowded);
  EXPECT_EQ(pv.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WeightedPathVariabilityTest, NoLoadsOrNoSourcesGiveZero) {
  const Graph g = MakeGraph(2, {{0, 1}});
  absl::StatusOr<PathVariability> pv = WeightedPathVariability(g, AllInService(g, {}, {{1, 3.0}}));
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->wpv, 0.0);
  pv = WeightedPathVariability(g, AllInService(g, {{0, 1.0}}, {}));
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->wpv, 0.0);
  PathWeights bad;
  bad.same_island = std::nan("");
  pv = WeightedPathVariability(g, AllInService(g, {{0, 1.0}}, {}), bad);
  ASSERT_FALSE(pv.ok());
  EXPECT_NE(pv.status().message().find("path_weights.same_island"), std::string::npos);
}

// Independent check of IC: enumerate simple paths and search for a disjoint system by
// backtracking, on random small graphs.
int BruteForceIc(int n, const std::vector<Edge>& edges, const std::vector<int>& sources, int i) {
  std::vector<std::vector<int>> adj(n);
  for (const Edge& e : edges) {
    if (e.from == e.to) continue;
    adj[e.from].push_back(e.to);
    adj[e.to].push_back(e.from);
  }
  // Node sets (as bitmasks, without i) of all simple paths from s to i.
  auto paths_from = [&](int s) {
    std::vector<uint32_t> out;
    std::function<void(int, uint32_t)> dfs = [&](int v, uint32_t visited) {
      if (v == i) {
        out.push_back(visited & ~(1u << i));
        return;
      }
      for (int w : adj[v]) {
        if (!(visited & (1u << w))) dfs(w, visited | (1u << w));
      }
    };
    dfs(s, 1u << s);
    return out;
  };
  std::vector<std::vector<uint32_t>> paths;
  for (int s : sources) paths.push_back(paths_from(s));
  const int m = static_cast<int>(sources.size());
  int count = 0;
  for (uint32_t mask = 0; mask < (1u << m); ++mask) {
    if (std::popcount(mask) < 2) continue;
    std::vector<int> members;
    for (int b = 0; b < m; ++b) {
      if (mask & (1u << b)) members.push_back(b);
    }
    std::function<bool(size_t, uint32_t)> search = [&](size_t k, uint32_t used) {
      if (k == members.size()) return true;
      for (uint32_t p : paths[members[k]]) {
        if (!(p & used) && search(k + 1, used | p)) return true;
      }
      return false;
    };
    if (search(0, 0)) ++count;
  }
  return count;
}

TEST(WeightedPathVariabilityTest, MaxFlowMatchesBruteForceOnRandomGraphs) {
  std::mt19937 rng(7);
  int nontrivial = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const int n = 3 + static_cast<int>(rng() % 5);  // 3..7 nodes
    std::vector<Edge> edges;
    for (int a = 0; a < n; ++a) {
      for (int b = a + 1; b < n; ++b) {
        if (rng() % 100 < 45) edges.push_back({a, b});
      }
    }
    const Graph g = MakeGraph(n, edges);
    const int m = 2 + static_cast<int>(rng() % 3);
    std::vector<Source> sources;
    std::vector<int> source_nodes;
    for (int k = 0; k < m; ++k) {
      const int node = static_cast<int>(rng() % n);
      sources.push_back({node, 1.0});
      source_nodes.push_back(node);
    }
    std::vector<Load> loads;
    for (int v = 0; v < n; ++v) loads.push_back({v, 1.0});
    absl::StatusOr<PathVariability> pv =
        WeightedPathVariability(g, AllInService(g, sources, loads));
    ASSERT_TRUE(pv.ok());
    for (int v = 0; v < n; ++v) {
      const int expected = BruteForceIc(n, edges, source_nodes, v);
      ASSERT_EQ(pv->ic[v], expected) << "trial " << trial << " node " << v;
      if (expected > 0 && expected < pv->cc[v]) ++nontrivial;
    }
  }
  // The random graphs must exercise partial cases (some subsets disjoint, others not).
  EXPECT_GT(nontrivial, 10);
}

// ---- R_CL and ARoS ----

TEST(CriticalLoadRatioTest, KvaWeightedShareOfCriticalLoadServed) {
  const std::vector<Load> loads = {
      {0, 10.0, true, true}, {1, 30.0, true, false}, {2, 100.0, false, false}};
  absl::StatusOr<double> r = CriticalLoadRatio(loads);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(*r, 0.25);
  const std::vector<Load> none = {{0, 10.0, false, false}};
  EXPECT_DOUBLE_EQ(*CriticalLoadRatio(none), 1.0);
  EXPECT_DOUBLE_EQ(*CriticalLoadRatio(none, 0.0), 0.0);
  const std::vector<Load> nan = {{0, std::nan(""), true, true}};
  EXPECT_FALSE(CriticalLoadRatio(nan).ok());
  EXPECT_FALSE(CriticalLoadRatio(loads, std::nan("")).ok());
}

TEST(AverageRatingOfServiceTest, HandComputedOnAPath) {
  // 0 - 1 - 2; sources at 0 (100 kVA) and 2 (20 kVA). Critical A at 1 (10 kVA, served), critical
  // B at 2 (40 kVA, not served). RoS_A = ((100-10)/10 + (20-10)/10) / 2 = 5;
  // ARoS = (1 served / 2 critical) * 5 = 2.5.
  const Graph g = MakeGraph(3, {{0, 1}, {1, 2}});
  GridState s = AllInService(g, {{0, 100.0}, {2, 20.0}},
                             {{1, 10.0, true, true}, {2, 40.0, true, false}, {0, 99.0}});
  absl::StatusOr<double> aros = AverageRatingOfService(g, s);
  ASSERT_TRUE(aros.ok());
  EXPECT_DOUBLE_EQ(*aros, 2.5);
  // Opening 1-2 leaves A with the 100 kVA source alone: RoS_A = 9, ARoS = 4.5.
  s.edge_in_service[1] = 0;
  EXPECT_DOUBLE_EQ(*AverageRatingOfService(g, s), 4.5);
  // A source smaller than the load adds no headroom: max(0, (5-10)/10) = 0.
  s.edge_in_service[1] = 1;
  s.sources[1].rating_kva = 5.0;
  EXPECT_DOUBLE_EQ(*AverageRatingOfService(g, s), 0.5 * (9.0 + 0.0) / 2);
  // Nothing served: 0.
  s.loads[0].served = false;
  EXPECT_DOUBLE_EQ(*AverageRatingOfService(g, s), 0.0);
}

// ---- Efficiency and information centrality ----

TEST(InformationCentralityTest, PathOfThree) {
  // E = (2 * (1 + 1 + 1/2)) / 6 = 5/6. Without an end node: only the pair (1,2) is left: 2/6.
  // Without the middle: 0. I_end = (5/6 - 1/3) / (5/6) = 0.6, I_mid = 1.
  const Graph g = MakeGraph(3, {{0, 1}, {1, 2}});
  const std::vector<uint8_t> mask(2, 1);
  absl::StatusOr<CentralityResult> c = InformationCentrality(g, mask);
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(c->efficiency, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(c->information_centrality[0], 0.6, 1e-12);
  EXPECT_NEAR(c->information_centrality[1], 1.0, 1e-12);
  EXPECT_NEAR(c->information_centrality[2], 0.6, 1e-12);
  EXPECT_EQ(c->n_high, 3);
  EXPECT_DOUBLE_EQ(c->indicator, 0.0);
}

TEST(InformationCentralityTest, StarAndTheThresholdParameter) {
  // Star, centre 0 and 4 leaves: sum over ordered pairs = 2 * (4 * 1 + 6 * 1/2) = 14, E = 14/20.
  // Without a leaf: a 3-leaf star, 2 * (3 + 3/2) = 9, E = 9/20; I_leaf = 5/14. Centre: I = 1.
  const Graph g = MakeGraph(5, {{0, 1}, {0, 2}, {0, 3}, {0, 4}});
  const std::vector<uint8_t> mask(4, 1);
  absl::StatusOr<CentralityResult> c = InformationCentrality(g, mask, 0.1);
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(c->efficiency, 0.7, 1e-12);
  EXPECT_NEAR(c->information_centrality[0], 1.0, 1e-12);
  EXPECT_NEAR(c->information_centrality[3], 5.0 / 14.0, 1e-12);
  EXPECT_DOUBLE_EQ(c->indicator, 0.0);
  c = InformationCentrality(g, mask, 0.5);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->n_high, 1);
  EXPECT_DOUBLE_EQ(c->indicator, 0.8);
}

TEST(InformationCentralityTest, CycleOfFourAndDisconnectedNodes) {
  // Cycle of 4: E = 4 * (1 + 1 + 1/2) / 12 = 5/6; without a node, a 3-path: 5/12; I = 0.5 each.
  const Graph cycle = MakeGraph(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}});
  absl::StatusOr<double> e = NetworkEfficiency(cycle, std::vector<uint8_t>(4, 1));
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(*e, 5.0 / 6.0, 1e-12);
  absl::StatusOr<CentralityResult> c =
      InformationCentrality(cycle, std::vector<uint8_t>(4, 1), 0.6);
  ASSERT_TRUE(c.ok());
  for (double ik : c->information_centrality) EXPECT_NEAR(ik, 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(c->indicator, 1.0);
  // Efficiency uses the fixed node set: one open edge leaves a 4-path, E = 2*(3 + 2/2 + 1/3)/12.
  const std::vector<uint8_t> one_open = {1, 1, 1, 0};
  EXPECT_NEAR(*NetworkEfficiency(cycle, one_open), 2 * (3 + 1.0 + 1.0 / 3) / 12, 1e-12);
  // No edges: E = 0 and every I_k = 0.
  c = InformationCentrality(cycle, std::vector<uint8_t>(4, 0));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->efficiency, 0.0);
  EXPECT_EQ(c->n_high, 0);
  EXPECT_DOUBLE_EQ(c->indicator, 1.0);
}

// Independent check: Floyd-Warshall hop distances, E and every I_k recomputed from scratch with
// node k's edges removed, on random graphs with parallel edges, self-loops and several components.
TEST(InformationCentralityTest, MatchesFloydWarshallOnRandomGraphs) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 2 + static_cast<int>(rng() % 70);  // crosses the 64-bit word boundary
    std::vector<Edge> edges;
    const int m = static_cast<int>(rng() % (2 * n));
    for (int k = 0; k < m; ++k) {
      edges.push_back({static_cast<int>(rng() % n), static_cast<int>(rng() % n)});
    }
    const Graph g = MakeGraph(n, edges);
    std::vector<uint8_t> mask(edges.size());
    for (auto& b : mask) b = rng() % 5 != 0;
    auto efficiency_without = [&](int removed) {
      constexpr int kInf = 1 << 20;
      std::vector<std::vector<int>> d(n, std::vector<int>(n, kInf));
      for (int v = 0; v < n; ++v) d[v][v] = 0;
      for (size_t k = 0; k < edges.size(); ++k) {
        const Edge& e = edges[k];
        if (!mask[k] || e.from == removed || e.to == removed || e.from == e.to) continue;
        d[e.from][e.to] = d[e.to][e.from] = 1;
      }
      for (int k = 0; k < n; ++k)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) d[i][j] = std::min(d[i][j], d[i][k] + d[k][j]);
      double sum = 0.0;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j && d[i][j] < kInf) sum += 1.0 / d[i][j];
      return sum / (static_cast<double>(n) * (n - 1));
    };
    absl::StatusOr<CentralityResult> c = InformationCentrality(g, mask, 0.1);
    ASSERT_TRUE(c.ok());
    const double e = efficiency_without(-1);
    ASSERT_NEAR(c->efficiency, e, 1e-12) << "trial " << trial;
    int n_high = 0;
    for (int k = 0; k < n; ++k) {
      const double expected = e > 0 ? (e - efficiency_without(k)) / e : 0.0;
      ASSERT_NEAR(c->information_centrality[k], expected, 1e-9) << "trial " << trial << " k " << k;
      if (expected >= 0.1) ++n_high;
    }
    EXPECT_EQ(c->n_high, n_high);
  }
}

// ---- AHP ----

TEST(AhpTest, SpecMatrixWeightsAndConsistency) {
  // Expected values computed independently with plain Python power iteration (no numpy here):
  //   python3 -c "A=[[1,2,3,4,5],[1/2,1,2,3,4],[1/3,1/2,1,2,3],[1/4,1/3,1/2,1,2],
  //     [1/5,1/4,1/3,1/2,1]]; n=5; w=[1.0]*n
  //     for _ in range(1000): v=[sum(A[i][j]*w[j] for j in range(n)) for i in range(n)];
  //       s=sum(v); w=[x/s for x in v]
  //     lam=sum(sum(A[i][j]*w[j] for j in range(n))/w[i] for i in range(n))/n
  //     print(w, lam, (lam-n)/(n-1), (lam-n)/(n-1)/1.12)"
  absl::StatusOr<AhpResult> ahp = ComputeAhp(AhpConfig{}.pairwise, 1.12);
  ASSERT_TRUE(ahp.ok()) << ahp.status();
  const std::vector<double> expected = {0.4185392870, 0.2625176148, 0.1599228595, 0.0972535918,
                                        0.0617666469};
  ASSERT_EQ(ahp->weights.size(), 5u);
  double sum = 0.0;
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(ahp->weights[k], expected[k], 1e-9) << k;
    sum += ahp->weights[k];
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_NEAR(ahp->lambda_max, 5.0680802570, 1e-9);
  EXPECT_NEAR(ahp->consistency_index, 0.0170200642, 1e-9);
  EXPECT_NEAR(ahp->consistency_ratio, 0.0151964859, 1e-9);
}

TEST(AhpTest, InconsistentMatrixIsRejected) {
  // Circular preferences a > b > c > a: lambda_max = 10.11, CR = 6.13 with RI(3) = 0.58.
  const std::vector<std::vector<double>> circular = {
      {1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}};
  absl::StatusOr<AhpResult> ahp = ComputeAhp(circular, 0.58);
  EXPECT_EQ(ahp.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(AhpTest, MalformedMatricesNameTheEntry) {
  absl::StatusOr<AhpResult> r = ComputeAhp({{1, 2}, {0.5}}, 1.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ahp.pairwise[1]"), std::string::npos);
  r = ComputeAhp({{1, 2}, {0.4, 1}}, 1.0);  // not reciprocal
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("reciprocal"), std::string::npos);
  r = ComputeAhp({{1, -2}, {-0.5, 1}}, 1.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ahp.pairwise[0][1]"), std::string::npos);
  r = ComputeAhp({{1, std::nan("")}, {1, 1}}, 1.0);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(ComputeAhp({}, 1.0).ok());
  r = ComputeAhp(AhpConfig{}.pairwise, 0.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ahp.random_index"), std::string::npos);
  EXPECT_FALSE(ComputeAhp(AhpConfig{}.pairwise, 1.12, std::nan("")).ok());
}

// ---- Normalisation, composite score, model ----

TEST(NormaliseTest, ClipsToUnitInterval) {
  EXPECT_DOUBLE_EQ(Normalise(0.25, {0.0, 0.5}), 0.5);
  EXPECT_DOUBLE_EQ(Normalise(0.9, {0.0, 0.5}), 1.0);
  EXPECT_DOUBLE_EQ(Normalise(-1.0, {0.0, 0.5}), 0.0);
  EXPECT_DOUBLE_EQ(Normalise(3.0, {1.0, 5.0}), 0.5);
}

TEST(CompositeScoresTest, RatioToTheBestConfiguration) {
  const std::vector<double> r = {0.2, 0.8, 0.4};
  absl::StatusOr<std::vector<double>> c = CompositeScores(r);
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ((*c)[0], 0.25);
  EXPECT_DOUBLE_EQ((*c)[1], 1.0);
  EXPECT_DOUBLE_EQ((*c)[2], 0.5);
  const std::vector<double> zeros = {0.0, 0.0};
  EXPECT_EQ(*CompositeScores(zeros), zeros);
  EXPECT_FALSE(CompositeScores(std::vector<double>{}).ok());
  absl::StatusOr<std::vector<double>> bad = CompositeScores(std::vector<double>{0.1, NAN});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("resilience[1]"), std::string::npos);
}

TEST(ResilienceModelTest, EvaluateMatchesHandComputation) {
  // Path 0 - 1 - 2, sources 0 (100 kVA) and 2 (20 kVA); critical 10 kVA load at 1, 30 kVA at 2,
  // both served. A one-point q grid pins q_c to 0.3 so the whole R is hand-computable:
  // R_CL = 1; ARoS = 5 -> 1 (clipped); WPV = 1; q_c = 0.3 -> 0.6 on [0, 0.5]; IC = 0 (every node
  // of a 3-path is central). R = w0 + w1 + w2 + 0.6 w3 = 0.8993319164 (weights from the AHP test).
  const Graph g = MakeGraph(3, {{0, 1}, {1, 2}});
  ResilienceConfig config;
  config.percolation.q_min = 0.3;
  config.percolation.q_max = 0.3;
  absl::StatusOr<ResilienceModel> model = ResilienceModel::Create(g, config);
  ASSERT_TRUE(model.ok()) << model.status();
  const GridState s =
      AllInService(g, {{0, 100.0}, {2, 20.0}}, {{1, 10.0, true, true}, {2, 30.0, false, true}});
  absl::StatusOr<IndicatorSet> r = model->Evaluate(s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->raw[kCriticalLoadRatio], 1.0);
  EXPECT_DOUBLE_EQ(r->raw[kAverageRatingOfService], 5.0);
  EXPECT_DOUBLE_EQ(r->raw[kWeightedPathVariability], 1.0);
  EXPECT_DOUBLE_EQ(r->raw[kPercolationThreshold], 0.3);
  EXPECT_DOUBLE_EQ(r->raw[kHighCentralityIndicator], 0.0);
  EXPECT_DOUBLE_EQ(r->normalised[kAverageRatingOfService], 1.0);
  EXPECT_NEAR(r->normalised[kPercolationThreshold], 0.6, 1e-12);
  EXPECT_NEAR(r->resilience, 0.8993319164, 1e-9);
}

TEST(ResilienceModelTest, DefaultConfigIsValidAndEvaluatesInRange) {
  // Two feeders joined by a tie: 0-1-2-3 and 4-5-6-7, tie 3-7, source at 0 and 4.
  const Graph g = MakeGraph(8, {{0, 1}, {1, 2}, {2, 3}, {4, 5}, {5, 6}, {6, 7}, {3, 7}});
  absl::StatusOr<ResilienceModel> model = ResilienceModel::Create(g);
  ASSERT_TRUE(model.ok()) << model.status();
  GridState s = AllInService(g, {{0, 1000.0}, {4, 300.0}},
                             {{2, 50.0, true, true}, {3, 40.0}, {6, 60.0, true, true}, {7, 30.0}});
  s.edge_in_service[6] = 0;
  absl::StatusOr<IndicatorSet> radial = model->Evaluate(s);
  ASSERT_TRUE(radial.ok());
  s.edge_in_service[6] = 1;
  absl::StatusOr<IndicatorSet> meshed = model->Evaluate(s);
  ASSERT_TRUE(meshed.ok());
  for (const IndicatorSet* r : {&*radial, &*meshed}) {
    for (double x : r->normalised) {
      EXPECT_GE(x, 0.0);
      EXPECT_LE(x, 1.0);
    }
    EXPECT_GE(r->resilience, 0.0);
    EXPECT_LE(r->resilience, 1.0);
  }
  // Closing the tie gives every load two disjoint supply paths.
  EXPECT_GT(meshed->raw[kWeightedPathVariability], radial->raw[kWeightedPathVariability]);
  EXPECT_GT(meshed->resilience, radial->resilience);
}

TEST(ResilienceModelTest, BadConfigAndStateNameTheField) {
  const Graph g = MakeGraph(2, {{0, 1}});
  ResilienceConfig config;
  config.normalisation.bounds[kPercolationThreshold] = {0.5, 0.5};
  absl::StatusOr<ResilienceModel> m = ResilienceModel::Create(g, config);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("normalisation.bounds[3]"), std::string::npos);

  config = ResilienceConfig{};
  config.percolation.trials = 0;
  m = ResilienceModel::Create(g, config);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("percolation.trials"), std::string::npos);

  config = ResilienceConfig{};
  config.path_weights.disjoint = std::nan("");
  EXPECT_FALSE(ResilienceModel::Create(g, config).ok());

  config = ResilienceConfig{};
  config.ahp.pairwise.pop_back();
  EXPECT_FALSE(ResilienceModel::Create(g, config).ok());

  config = ResilienceConfig{};
  config.percolation.q_step = 0.0;
  EXPECT_FALSE(ResilienceModel::Create(g, config).ok());

  m = ResilienceModel::Create(g);
  ASSERT_TRUE(m.ok());
  GridState s{{1, 1}, {}, {}};
  absl::StatusOr<IndicatorSet> r = m->Evaluate(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("edge_in_service"), std::string::npos);

  s = GridState{{1}, {{0, std::numeric_limits<double>::quiet_NaN()}}, {}};
  r = m->Evaluate(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sources[0].rating_kva"), std::string::npos);

  s = GridState{{1}, {{0, 10.0}}, {{5, 1.0}}};
  r = m->Evaluate(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("loads[0].node"), std::string::npos);

  s = GridState{{1}, {{0, 10.0}}, {{1, 0.0, /*critical=*/true}}};
  r = m->Evaluate(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("loads[0].kva"), std::string::npos);
}

}  // namespace
}  // namespace gridrl::metrics
