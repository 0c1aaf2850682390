// The fast high-centrality indicator equals metrics::InformationCentrality's on hand-drawn graphs
// (paths, stars, loops, parallel edges, self-loops, disconnected parts) and on the IEEE 123
// feeder graph under random edge masks and several thresholds.
#include "env/envs/resilience123_centrality.h"

#include <gtest/gtest.h>

#include "env/envs/resilience123_model.h"
#include "env/rng.h"
#include "metrics/resilience.h"

namespace gridrl::env::r123 {
namespace {

double Reference(const metrics::Graph& g, const std::vector<uint8_t>& mask, double th) {
  auto r = metrics::InformationCentrality(g, mask, th);
  EXPECT_TRUE(r.ok()) << r.status();
  return r->indicator;
}

void ExpectSame(int n, std::vector<metrics::Edge> edges, const char* what) {
  auto g = metrics::Graph::Create(n, edges);
  ASSERT_TRUE(g.ok());
  std::vector<uint8_t> mask(edges.size(), 1);
  CentralityWorkspace ws;
  for (double th : {0.0, 0.05, 0.1, 0.2, 0.5}) {
    auto fast = ws.HighCentralityIndicator(*g, mask, th);
    ASSERT_TRUE(fast.ok()) << fast.status();
    EXPECT_EQ(*fast, Reference(*g, mask, th)) << what << " th " << th;
  }
}

TEST(Resilience123Centrality, HandDrawnGraphs) {
  ExpectSame(5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}}, "path");
  ExpectSame(6, {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}}, "star");
  ExpectSame(6, {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 0}}, "cycle");
  ExpectSame(9, {{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 4}, {6, 7}, {7, 8}},
             "two loops joined by a path");
  ExpectSame(5, {{0, 1}, {0, 1}, {1, 2}, {2, 2}, {2, 3}}, "parallel edge and self-loop");
  ExpectSame(7, {{0, 1}, {1, 2}, {3, 4}, {4, 5}, {5, 3}}, "disconnected, isolated node");
  ExpectSame(3, {}, "no edges");
  ExpectSame(1, {}, "one node");
}

// A worked value on the path 0-1-2. Ordered pairs (0,1), (1,0), (1,2), (2,1) at distance 1 and
// (0,2), (2,0) at distance 2: S = 4 + 1 = 5. Removing 1 leaves
// S_1 = 0: I_1 = 1. Removing 0 leaves (1,2), (2,1): S_0 = 2, I_0 = 0.6 (node 2 alike). So with threshold 0.7
// only node 1 is high: IC = 1 - 1/3.
TEST(Resilience123Centrality, PathOfThreeByHand) {
  auto g = metrics::Graph::Create(3, {{0, 1}, {1, 2}});
  ASSERT_TRUE(g.ok());
  CentralityWorkspace ws;
  EXPECT_DOUBLE_EQ(*ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1, 1}, 0.7), 1.0 - 1.0 / 3);
  EXPECT_DOUBLE_EQ(*ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1, 1}, 0.5), 0.0);
}

TEST(Resilience123Centrality, FeederUnderRandomMasks) {
  auto model = Resilience123Model::Build(Resilience123Params{});
  ASSERT_TRUE(model.ok()) << model.status();
  const metrics::Graph& g = (*model)->metric_model().graph();
  const auto& d = (*model)->feeder().data();
  Rng rng(99);
  CentralityWorkspace ws;
  int swept_cases = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<uint8_t> mask(g.num_edges(), 1);
    for (size_t l = 0; l < d.lines.size(); ++l) {
      mask[l] = d.lines[l].is_switch ? rng.Bernoulli(0.5) : !rng.Bernoulli(trial % 3 == 0 ? 0.0 : 0.05);
    }
    for (double th : {0.05, 0.1, 0.2}) {
      auto fast = ws.HighCentralityIndicator(g, mask, th);
      ASSERT_TRUE(fast.ok());
      EXPECT_EQ(*fast, Reference(g, mask, th)) << "trial " << trial << " th " << th;
      if (ws.last_swept_nodes() > 0) ++swept_cases;
    }
  }
  EXPECT_GT(swept_cases, 0);  // loops were exercised
}

// Pruned WPV equals the reference bit for bit: small graphs with a source on a leaf load, a load
// between two sources, and the feeder under random masks and random online sources.
TEST(Resilience123Centrality, PrunedPathVariabilityMatchesTheReference) {
  {
    auto g = metrics::Graph::Create(5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}});
    metrics::GridState s;
    s.edge_in_service.assign(4, 1);
    s.sources = {{0, 100, true}, {4, 50, true}, {2, 10, true}};
    s.loads = {{2, 10, false, true}, {4, 5, true, true}, {1, 3, false, true}, {0, 1, false, true}};
    auto want = metrics::WeightedPathVariability(*g, s);
    auto got = PrunedWeightedPathVariability(*g, s, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->wpv);
    EXPECT_GT(*got, 0.0);
  }
  {
    // Star: load at the centre, one source on each of three leaves, one at the centre, two on
    // one leaf's far side (a leaf with a tail): IC by hand = 2^1 * (1+1)(1+1)(1+3) - 1 - 6 = 25.
    auto g = metrics::Graph::Create(6, {{0, 1}, {0, 2}, {0, 3}, {3, 4}, {4, 5}});
    metrics::GridState s;
    s.edge_in_service.assign(5, 1);
    s.sources = {{1, 1, true}, {2, 1, true}, {3, 1, true}, {0, 1, true}, {4, 1, true}, {5, 1, true}};
    s.loads = {{0, 10, false, true}, {5, 2, false, true}, {2, 1, false, true}};
    auto want = metrics::WeightedPathVariability(*g, s);
    auto got = PrunedWeightedPathVariability(*g, s, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(want->ic[0], 25);
    EXPECT_EQ(*got, want->wpv);
    // A loop: load on a 4-cycle with sources on both neighbours goes through the flows.
    auto c = metrics::Graph::Create(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}});
    metrics::GridState t;
    t.edge_in_service.assign(4, 1);
    t.sources = {{1, 1, true}, {3, 1, true}, {2, 1, true}};
    t.loads = {{0, 1, false, true}, {2, 1, false, true}};
    auto want2 = metrics::WeightedPathVariability(*c, t);
    auto got2 = PrunedWeightedPathVariability(*c, t, {});
    ASSERT_TRUE(want2.ok() && got2.ok());
    EXPECT_EQ(*got2, want2->wpv);
  }
  auto model = Resilience123Model::Build(Resilience123Params{});
  ASSERT_TRUE(model.ok());
  const metrics::Graph& g = (*model)->metric_model().graph();
  const auto& d = (*model)->feeder().data();
  Rng rng(7);
  for (int trial = 0; trial < 80; ++trial) {
    metrics::GridState s;
    s.edge_in_service.assign(g.num_edges(), 1);
    for (size_t l = 0; l < d.lines.size(); ++l) {
      s.edge_in_service[l] = d.lines[l].is_switch ? rng.Bernoulli(0.5) : !rng.Bernoulli(0.04);
    }
    s.sources.push_back({d.sources[0].bus, 5000, true});
    for (int j = 1; j < static_cast<int>(d.sources.size()); ++j) {
      s.sources.push_back({d.sources[j].bus, 1000, rng.Bernoulli(0.5)});
    }
    for (const auto& der : d.ders) s.sources.push_back({der.bus, 350.35, rng.Bernoulli(0.6)});
    for (const auto& grp : (*model)->groups()) s.loads.push_back({grp.bus, grp.kva, grp.critical, true});
    auto want = metrics::WeightedPathVariability(g, s);
    auto got = PrunedWeightedPathVariability(g, s, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->wpv) << "trial " << trial;
  }
}

TEST(Resilience123Centrality, BucketedPercolationMatchesTheReference) {
  auto model = Resilience123Model::Build(Resilience123Params{});
  ASSERT_TRUE(model.ok());
  const metrics::Graph& g = (*model)->metric_model().graph();
  const auto& d = (*model)->feeder().data();
  Rng rng(13);
  PercolationWorkspace ws;
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<uint8_t> mask(g.num_edges(), 1);
    for (size_t l = 0; l < d.lines.size(); ++l) {
      mask[l] = d.lines[l].is_switch ? rng.Bernoulli(0.5) : !rng.Bernoulli(0.06);
    }
    metrics::PercolationConfig cfg;
    cfg.seed = 100 + trial;
    cfg.trials = trial % 2 ? 200 : 37;
    if (trial % 5 == 0) {  // another grid, with q_max off the step
      cfg.q_min = 0.0;
      cfg.q_max = 0.95;
      cfg.q_step = 0.03;
    }
    auto want = metrics::Percolation(g, mask, cfg);
    auto got = ws.Threshold(g, mask, cfg);
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->q_c) << "trial " << trial;
  }
  // Small graphs: a triangle with a tail, and a graph with a self-loop and parallel edges.
  for (auto edges : {std::vector<metrics::Edge>{{0, 1}, {1, 2}, {2, 0}, {2, 3}},
                     std::vector<metrics::Edge>{{0, 0}, {0, 1}, {0, 1}, {1, 2}}}) {
    auto sg = metrics::Graph::Create(4, edges);
    std::vector<uint8_t> mask(edges.size(), 1);
    auto want = metrics::Percolation(*sg, mask, {});
    auto got = ws.Threshold(*sg, mask, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->q_c);
  }
  metrics::PercolationConfig bad;
  bad.trials = 0;
  auto err = ws.Threshold(g, std::vector<uint8_t>(g.num_edges(), 1), bad);
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("trials"), std::string::npos);
}

TEST(Resilience123Centrality, BadInput) {
  auto g = metrics::Graph::Create(3, {{0, 1}, {1, 2}});
  CentralityWorkspace ws;
  EXPECT_FALSE(ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1}, 0.1).ok());
  EXPECT_FALSE(ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1, 1}, NAN).ok());
}

}  // namespace
}  // namespace gridrl::env::r123
