#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "envs/resilience123/resilience.h"

namespace gridrl::metrics {
namespace {

Graph MakeGraph(int n, std::vector<Edge> edges) {
  absl::StatusOr<Graph> g = Graph::Create(n, std::move(edges));
  EXPECT_TRUE(g.ok());
  return *std::move(g);
}

Graph Path(int n) {
  std::vector<Edge> edges;
  for (int v = 0; v + 1 < n; ++v) edges.push_back({v, v + 1});
  return MakeGraph(n, edges);
}

// A 6 x 6 grid graph: meshed, like a feeder with many ties closed.
Graph Lattice(int side) {
  std::vector<Edge> edges;
  for (int r = 0; r < side; ++r) {
    for (int c = 0; c < side; ++c) {
      const int v = r * side + c;
      if (c + 1 < side) edges.push_back({v, v + 1});
      if (r + 1 < side) edges.push_back({v, v + side});
    }
  }
  return MakeGraph(side * side, edges);
}

TEST(PercolationTest, SpecGridAndBasicProperties) {
  const Graph g = Lattice(6);
  const std::vector<uint8_t> mask(g.num_edges(), 1);
  absl::StatusOr<PercolationCurve> c = Percolation(g, mask);
  ASSERT_TRUE(c.ok()) << c.status();
  // q = 0.01, 0.03, ..., 0.99: 50 points.
  ASSERT_EQ(c->q.size(), 50u);
  EXPECT_DOUBLE_EQ(c->q.front(), 0.01);
  EXPECT_NEAR(c->q.back(), 0.99, 1e-12);
  EXPECT_GE(c->q_c, 0.01);
  EXPECT_LE(c->q_c, 0.99);
  EXPECT_EQ(c->q_c, c->q[c->peak_index]);
  for (size_t k = 0; k < c->q.size(); ++k) {
    EXPECT_GE(c->susceptibility[k], 0.0);
    EXPECT_LE(c->susceptibility[k], c->susceptibility[c->peak_index]);
    EXPECT_GT(c->strength[k], 0.0);
    EXPECT_LE(c->strength[k], 1.0);
    // Common random numbers make the strength non-increasing in q exactly.
    if (k > 0) {
      EXPECT_LE(c->strength[k], c->strength[k - 1]);
    }
  }
  EXPECT_GT(c->strength.front(), 0.9);
  EXPECT_LT(c->strength.back(), 0.2);
}

TEST(PercolationTest, SameSeedSameCurveOtherSeedOtherSamples) {
  const Graph g = Lattice(5);
  const std::vector<uint8_t> mask(g.num_edges(), 1);
  PercolationConfig config;
  absl::StatusOr<PercolationCurve> a = Percolation(g, mask, config);
  absl::StatusOr<PercolationCurve> b = Percolation(g, mask, config);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->strength, b->strength);
  EXPECT_EQ(a->susceptibility, b->susceptibility);
  EXPECT_EQ(a->q_c, b->q_c);
  config.seed = 99;
  absl::StatusOr<PercolationCurve> other = Percolation(g, mask, config);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(a->strength, other->strength);
}

TEST(PercolationTest, SingleEdgeMatchesTheExactCurve) {
  // Two nodes, one edge: S_max = 1 if the edge survives (1 - q), else 1/2. P(q) = 1 - q/2;
  // chi(q) = 2 * q(1-q)/4 / (1 - q/2), which peaks at q = 2 - sqrt(2) = 0.586.
  const Graph g = MakeGraph(2, {{0, 1}});
  PercolationConfig config;
  config.trials = 20000;
  absl::StatusOr<PercolationCurve> c = Percolation(g, std::vector<uint8_t>{1}, config);
  ASSERT_TRUE(c.ok());
  for (size_t k = 0; k < c->q.size(); ++k) {
    const double q = c->q[k];
    EXPECT_NEAR(c->strength[k], 1 - q / 2, 0.01) << q;
    EXPECT_NEAR(c->susceptibility[k], 0.5 * q * (1 - q) / (1 - q / 2), 0.02) << q;
  }
  EXPECT_NEAR(c->q_c, 2 - std::sqrt(2.0), 0.1);
}

TEST(PercolationTest, NoEdgesMeansNoFluctuation) {
  const Graph g = Path(4);
  absl::StatusOr<PercolationCurve> c = Percolation(g, std::vector<uint8_t>(3, 0));
  ASSERT_TRUE(c.ok());
  for (size_t k = 0; k < c->q.size(); ++k) {
    EXPECT_DOUBLE_EQ(c->strength[k], 0.25);
    EXPECT_DOUBLE_EQ(c->susceptibility[k], 0.0);
  }
  EXPECT_DOUBLE_EQ(c->q_c, 0.01);  // ties go to the smallest q
}

TEST(PercolationTest, MeshedGridIsMoreRobustThanARadialOne) {
  // Same 36 nodes: the lattice survives much more edge removal than a path.
  absl::StatusOr<PercolationCurve> mesh =
      Percolation(Lattice(6), std::vector<uint8_t>(60, 1));
  const Graph path = Path(36);
  absl::StatusOr<PercolationCurve> radial =
      Percolation(path, std::vector<uint8_t>(35, 1));
  ASSERT_TRUE(mesh.ok() && radial.ok());
  EXPECT_GT(mesh->q_c, radial->q_c);
  EXPECT_GT(mesh->strength[10], radial->strength[10]);  // q = 0.21
}

TEST(PercolationTest, BadConfigNamesTheField) {
  const Graph g = Path(3);
  const std::vector<uint8_t> mask(2, 1);
  PercolationConfig config;
  config.trials = 0;
  absl::StatusOr<PercolationCurve> c = Percolation(g, mask, config);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("percolation.trials"), std::string::npos);
  config = PercolationConfig{};
  config.q_max = 1.5;
  EXPECT_FALSE(Percolation(g, mask, config).ok());
  config = PercolationConfig{};
  config.q_step = std::nan("");
  EXPECT_FALSE(Percolation(g, mask, config).ok());
  EXPECT_FALSE(Percolation(g, std::vector<uint8_t>(5, 1)).ok());
}

}  // namespace
}  // namespace gridrl::metrics
