// The exact faster indicators of envs/resilience123/fast_indicators.h equal the resilience.h reference on
// hand-drawn graphs (paths, stars, loops, parallel edges, self-loops, disconnected parts), with
// worked values by hand; the IEEE 123 feeder under random masks is in
// tests/envs/resilience123/indicators_test.cc.
#include "envs/resilience123/fast_indicators.h"

#include <gtest/gtest.h>

#include <cmath>

#include "envs/resilience123/resilience.h"

namespace gridrl::metrics {
namespace {

double Reference(const Graph& g, const std::vector<uint8_t>& mask, double th) {
  auto r = InformationCentrality(g, mask, th);
  EXPECT_TRUE(r.ok()) << r.status();
  return r->indicator;
}

void ExpectSame(int n, std::vector<Edge> edges, const char* what) {
  auto g = Graph::Create(n, edges);
  ASSERT_TRUE(g.ok());
  std::vector<uint8_t> mask(edges.size(), 1);
  CentralityWorkspace ws;
  for (double th : {0.0, 0.05, 0.1, 0.2, 0.5}) {
    auto fast = ws.HighCentralityIndicator(*g, mask, th);
    ASSERT_TRUE(fast.ok()) << fast.status();
    EXPECT_EQ(*fast, Reference(*g, mask, th)) << what << " th " << th;
  }
}

TEST(FastCentrality, HandDrawnGraphs) {
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
// (0,2), (2,0) at distance 2: S = 4 + 1 = 5. Removing 1 leaves S_1 = 0: I_1 = 1. Removing 0
// leaves (1,2), (2,1): S_0 = 2, I_0 = 0.6 (node 2 alike). So with threshold 0.7 only node 1 is
// high: IC = 1 - 1/3.
TEST(FastCentrality, PathOfThreeByHand) {
  auto g = Graph::Create(3, {{0, 1}, {1, 2}});
  ASSERT_TRUE(g.ok());
  CentralityWorkspace ws;
  EXPECT_DOUBLE_EQ(*ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1, 1}, 0.7), 1.0 - 1.0 / 3);
  EXPECT_DOUBLE_EQ(*ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1, 1}, 0.5), 0.0);
}

TEST(FastCentrality, BadInput) {
  auto g = Graph::Create(3, {{0, 1}, {1, 2}});
  CentralityWorkspace ws;
  EXPECT_FALSE(ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1}, 0.1).ok());
  EXPECT_FALSE(ws.HighCentralityIndicator(*g, std::vector<uint8_t>{1, 1}, NAN).ok());
}

// Pruned WPV equals the reference bit for bit: a source on a leaf load, a load between two
// sources, a star worked by hand, and a load on a loop (which goes through the flows).
TEST(PrunedPathVariability, SmallGraphs) {
  {
    auto g = Graph::Create(5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}});
    GridState s;
    s.edge_in_service.assign(4, 1);
    s.sources = {{0, 100, true}, {4, 50, true}, {2, 10, true}};
    s.loads = {{2, 10, false, true}, {4, 5, true, true}, {1, 3, false, true}, {0, 1, false, true}};
    auto want = WeightedPathVariability(*g, s);
    auto got = PrunedWeightedPathVariability(*g, s, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->wpv);
    EXPECT_GT(*got, 0.0);
  }
  // Star: load at the centre, one source on each of three leaves, one at the centre, two on one
  // leaf's far side (a leaf with a tail): IC by hand = 2^1 * (1+1)(1+1)(1+3) - 1 - 6 = 25.
  auto g = Graph::Create(6, {{0, 1}, {0, 2}, {0, 3}, {3, 4}, {4, 5}});
  GridState s;
  s.edge_in_service.assign(5, 1);
  s.sources = {{1, 1, true}, {2, 1, true}, {3, 1, true}, {0, 1, true}, {4, 1, true}, {5, 1, true}};
  s.loads = {{0, 10, false, true}, {5, 2, false, true}, {2, 1, false, true}};
  auto want = WeightedPathVariability(*g, s);
  auto got = PrunedWeightedPathVariability(*g, s, {});
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_EQ(want->ic[0], 25);
  EXPECT_EQ(*got, want->wpv);
  // A loop: load on a 4-cycle with sources on both neighbours.
  auto c = Graph::Create(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}});
  GridState t;
  t.edge_in_service.assign(4, 1);
  t.sources = {{1, 1, true}, {3, 1, true}, {2, 1, true}};
  t.loads = {{0, 1, false, true}, {2, 1, false, true}};
  auto want2 = WeightedPathVariability(*c, t);
  auto got2 = PrunedWeightedPathVariability(*c, t, {});
  ASSERT_TRUE(want2.ok() && got2.ok());
  EXPECT_EQ(*got2, want2->wpv);
}

// Bucketed percolation equals the reference on small graphs (a triangle with a tail; a self-loop
// and parallel edges) and names the bad field of an invalid configuration.
TEST(BucketedPercolation, SmallGraphsAndBadConfig) {
  PercolationWorkspace ws;
  for (auto edges : {std::vector<Edge>{{0, 1}, {1, 2}, {2, 0}, {2, 3}},
                     std::vector<Edge>{{0, 0}, {0, 1}, {0, 1}, {1, 2}}}) {
    auto sg = Graph::Create(4, edges);
    std::vector<uint8_t> mask(edges.size(), 1);
    auto want = Percolation(*sg, mask, {});
    auto got = ws.Threshold(*sg, mask, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->q_c);
  }
  auto g = Graph::Create(3, {{0, 1}, {1, 2}});
  PercolationConfig bad;
  bad.trials = 0;
  auto err = ws.Threshold(*g, std::vector<uint8_t>(2, 1), bad);
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("trials"), std::string::npos);
}

}  // namespace
}  // namespace gridrl::metrics
