#include "metrics/graph.h"

#include <vector>

#include "gtest/gtest.h"

namespace gridrl::metrics {
namespace {

TEST(GraphTest, RejectsOutOfRangeEdgesAndEmptyGraphs) {
  EXPECT_FALSE(Graph::Create(0, {}).ok());
  absl::StatusOr<Graph> bad = Graph::Create(3, {{0, 1}, {1, 3}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("edges[1]"), std::string::npos);
  EXPECT_FALSE(Graph::Create(3, {{-1, 1}}).ok());
}

TEST(GraphTest, EdgeMaskMustMatchEdgeCount) {
  absl::StatusOr<Graph> g = Graph::Create(3, {{0, 1}, {1, 2}});
  ASSERT_TRUE(g.ok());
  const std::vector<uint8_t> short_mask = {1};
  absl::Status s = g->CheckEdgeMask(short_mask, "edge_in_service");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("edge_in_service"), std::string::npos);
}

TEST(GraphTest, ComponentsFollowInServiceEdgesOnly) {
  absl::StatusOr<Graph> g = Graph::Create(5, {{0, 1}, {1, 2}, {3, 4}, {2, 3}, {4, 4}});
  ASSERT_TRUE(g.ok());
  const std::vector<uint8_t> mask = {1, 1, 1, 0, 1};
  const std::vector<int> label = ComponentLabels(BuildAdjacency(*g, mask));
  EXPECT_EQ(label[0], label[1]);
  EXPECT_EQ(label[1], label[2]);
  EXPECT_EQ(label[3], label[4]);
  EXPECT_NE(label[2], label[3]);
}

TEST(GraphTest, BfsHopsSkipsTheRemovedNode) {
  // Cycle 0-1-2-3-0.
  absl::StatusOr<Graph> g = Graph::Create(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}});
  ASSERT_TRUE(g.ok());
  const std::vector<uint8_t> mask(4, 1);
  const Adjacency adj = BuildAdjacency(*g, mask);
  std::vector<int> dist(4), queue(4);
  BfsHops(adj, 0, -1, dist, queue);
  EXPECT_EQ(dist, (std::vector<int>{0, 1, 2, 1}));
  BfsHops(adj, 0, 3, dist, queue);
  EXPECT_EQ(dist, (std::vector<int>{0, 1, 2, -1}));
}

TEST(GraphTest, UnionFindTracksLargestCluster) {
  UnionFind uf(6);
  EXPECT_EQ(uf.largest(), 1);
  uf.Union(0, 1);
  uf.Union(2, 3);
  EXPECT_EQ(uf.largest(), 2);
  EXPECT_EQ(uf.Union(1, 3), 4);
  EXPECT_EQ(uf.largest(), 4);
  EXPECT_EQ(uf.Find(0), uf.Find(2));
  uf.Reset();
  EXPECT_EQ(uf.largest(), 1);
  EXPECT_NE(uf.Find(0), uf.Find(1));
}

}  // namespace
}  // namespace gridrl::metrics
