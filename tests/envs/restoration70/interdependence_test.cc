#include "envs/restoration70/interdependence.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gridrl::metrics {
namespace {

std::string DataPath(const char* name) {
  return std::string(GRIDRL_SOURCE_DIR) + "/tests/data/restoration70/" + name;
}

// Default node order: power, water_station, hospital, government, ict.
TEST(DependencyGraphTest, DefaultGraphFixedPointByHand) {
  const DependencyGraph g = DependencyGraph::Default();
  ASSERT_EQ(g.num_nodes(), 5);
  EXPECT_FALSE(g.has_cycle());
  // ict = 0.5 * 1; water = 0.9 * min(1, ict) = 0.45; hospital = 0.8 * min(1, water) = 0.36;
  // government = 1.0 * min(1, ict) = 0.5.
  absl::StatusOr<OisResult> r = g.Solve(std::vector<double>{1.0, 0.9, 0.8, 1.0, 0.5});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->converged);
  EXPECT_EQ(r->iterations, 1);
  EXPECT_NEAR(r->output[g.IndexOf("ict")], 0.5, 1e-15);
  EXPECT_NEAR(r->output[g.IndexOf("water_station")], 0.45, 1e-15);
  EXPECT_NEAR(r->output[g.IndexOf("hospital")], 0.36, 1e-15);
  EXPECT_NEAR(r->output[g.IndexOf("government")], 0.5, 1e-15);
  // A weak source limits everything: power 0.6 -> ict 0.3, water 0.27, hospital 0.216, gov 0.3.
  r = g.Solve(std::vector<double>{0.6, 0.9, 0.8, 1.0, 0.5});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->output[1], 0.27, 1e-15);
  EXPECT_NEAR(r->output[2], 0.216, 1e-15);
  EXPECT_NEAR(r->output[3], 0.3, 1e-15);
  EXPECT_NEAR(r->output[4], 0.3, 1e-15);
}

TEST(DependencyGraphTest, CycleSettlesAtTheGreatestFixedPoint) {
  // a and b need each other. Shares 1: full operation is a fixed point and is kept.
  absl::StatusOr<DependencyGraph> g = DependencyGraph::Create(
      {{"power", OisNodeKind::kSource, ""}, {"a", OisNodeKind::kInfrastructure, ""},
       {"b", OisNodeKind::kInfrastructure, ""}},
      {{"power", "a"}, {"power", "b"}, {"a", "b"}, {"b", "a"}});
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE(g->has_cycle());
  ASSERT_EQ(g->cycle().size(), 3u);
  EXPECT_EQ(g->cycle().front(), g->cycle().back());
  EXPECT_NE(g->cycle()[0], g->cycle()[1]);
  absl::StatusOr<OisResult> r = g->Solve(std::vector<double>{1.0, 1.0, 1.0});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->converged);
  EXPECT_EQ(r->output, (std::vector<double>{1.0, 1.0, 1.0}));
  // a = 0.5 min(1, b), b = min(1, a): the only fixed point is 0, approached geometrically.
  r = g->Solve(std::vector<double>{1.0, 0.5, 1.0});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->converged);
  EXPECT_GT(r->iterations, 10);
  EXPECT_LT(r->output[1], 1e-11);
  EXPECT_LT(r->output[2], 1e-11);
}

TEST(DependencyGraphTest, NonConvergenceIsReportedNotAnError) {
  OisSolveOptions options;
  options.max_iterations = 5;
  absl::StatusOr<DependencyGraph> g = DependencyGraph::Create(
      {{"power", OisNodeKind::kSource, ""}, {"a", OisNodeKind::kInfrastructure, ""},
       {"b", OisNodeKind::kInfrastructure, ""}},
      {{"power", "a"}, {"a", "b"}, {"b", "a"}}, options);
  ASSERT_TRUE(g.ok());
  absl::StatusOr<OisResult> r = g->Solve(std::vector<double>{1.0, 0.5, 1.0});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->converged);
  EXPECT_EQ(r->iterations, 5);
  EXPECT_GT(r->max_change, 0.0);
}

TEST(DependencyGraphTest, CreateRejectsBadGraphs) {
  const std::vector<OisNode> nodes = {{"power", OisNodeKind::kSource, ""},
                                      {"water", OisNodeKind::kInfrastructure, ""}};
  absl::StatusOr<DependencyGraph> g = DependencyGraph::Create(nodes, {{"water", "power"}});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("edges[0].to"), std::string::npos);
  g = DependencyGraph::Create(nodes, {{"water", "water"}});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("self-loop"), std::string::npos);
  g = DependencyGraph::Create(nodes, {{"power", "water"}, {"power", "water"}});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("edges[1]"), std::string::npos);
  g = DependencyGraph::Create({nodes[0], nodes[0]}, {});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("nodes[1].name"), std::string::npos);
  EXPECT_FALSE(DependencyGraph::Create({}, {}).ok());
}

TEST(DependencyGraphTest, SolveRejectsBadInputs) {
  const DependencyGraph g = DependencyGraph::Default();
  absl::StatusOr<OisResult> r = g.Solve(std::vector<double>{1.0, 1.0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node_inputs"), std::string::npos);
  r = g.Solve(std::vector<double>{1.0, 1.0, std::nan(""), 1.0, 1.0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node_inputs[2] (hospital)"), std::string::npos);
  EXPECT_FALSE(g.Solve(std::vector<double>{1.0, 1.0, 1.2, 1.0, 1.0}).ok());
}

TEST(DependencyGraphJsonTest, FileMatchesTheDefault) {
  absl::StatusOr<DependencyGraph> g = DependencyGraph::FromJsonFile(DataPath("ois_default.json"));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->options().max_iterations, 500);
  const DependencyGraph d = DependencyGraph::Default();
  ASSERT_EQ(g->num_nodes(), d.num_nodes());
  const std::vector<double> inputs = {0.8, 0.7, 0.9, 0.6, 0.95};
  absl::StatusOr<OisResult> a = g->Solve(inputs);
  absl::StatusOr<OisResult> b = d.Solve(inputs);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->output, b->output);
}

TEST(DependencyGraphJsonTest, ErrorsNameTheBadField) {
  absl::StatusOr<DependencyGraph> g =
      DependencyGraph::FromJsonFile(DataPath("ois_bad_edge.json"));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("ois_bad_edge.json"), std::string::npos);
  EXPECT_NE(g.status().message().find("edges[1].to: unknown node \"wter_station\""),
            std::string::npos)
      << g.status();

  g = DependencyGraph::FromJsonFile(DataPath("ois_malformed.json"));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("malformed JSON"), std::string::npos);

  g = DependencyGraph::FromJsonFile(DataPath("does_not_exist.json"));
  EXPECT_EQ(g.status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<DependencyGraph> overflow = DependencyGraph::FromJsonText(
      R"({"nodes": [{"name": "p", "kind": "source"}], "solver": {"tolerance": 1e400}})");
  EXPECT_FALSE(overflow.ok());

  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {R"([1, 2])", "(root)"},
      {R"({"edges": []})", "nodes"},
      {R"({"nodes": [{"name": "p", "kind": "sauce"}]})", "nodes[0].kind"},
      {R"({"nodes": [{"name": 3, "kind": "source"}]})", "nodes[0].name"},
      {R"({"nodes": [{"kind": "source"}]})", "nodes[0].name: missing"},
      {R"({"nodes": [{"name": "p", "kind": "source", "colour": 1}]})", "nodes[0].colour"},
      {R"({"nodes": [{"name": "p", "kind": "source"}], "edgez": []})", "edgez: unknown field"},
      {R"({"nodes": [{"name": "p", "kind": "source"}], "edges": [{"from": "p"}]})",
       "edges[0].to: missing"},
      {R"({"nodes": [{"name": "p", "kind": "source"}], "edges": {}})", "edges: expected"},
      {R"({"nodes": [{"name": "p", "kind": "source"}], "solver": {"max_iterations": "ten"}})",
       "solver.max_iterations"},
      {R"({"nodes": [{"name": "p", "kind": "source"}], "solver": {"tolerance": -1}})",
       "solver.tolerance"},
      {R"({"nodes": [{"name": "p", "kind": "source", "oct_input": 5}]})", "nodes[0].oct_input"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<DependencyGraph> r = DependencyGraph::FromJsonText(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.text << " -> " << r.status();
  }
}

TEST(OctInputsFromOisTest, DefaultChainToSystemCiu) {
  // Outputs from the hand-computed default case: water 0.45 -> 63 L (CIU 51.875), hospital 36 %
  // (CIU 30), government 50 % (50), ICT 130 kbit/s (53.57); households 75 % -> 30 kWh (75).
  const OperationalCapacityTable oct = OperationalCapacityTable::Paper();
  const DependencyGraph g = DependencyGraph::Default();
  absl::StatusOr<OisResult> r = g.Solve(std::vector<double>{1.0, 0.9, 0.8, 1.0, 0.5});
  ASSERT_TRUE(r.ok());
  absl::StatusOr<std::vector<double>> inputs = OctInputsFromOis(oct, g, *r, 0.75);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  ASSERT_EQ(inputs->size(), 5u);
  EXPECT_NEAR((*inputs)[0], 30.0, 1e-12);
  EXPECT_NEAR((*inputs)[1], 63.0, 1e-12);
  EXPECT_NEAR((*inputs)[2], 36.0, 1e-12);
  EXPECT_NEAR((*inputs)[3], 50.0, 1e-12);
  EXPECT_NEAR((*inputs)[4], 130.0, 1e-12);
  absl::StatusOr<CiuResult> ciu = oct.SystemCiu(*inputs);
  ASSERT_TRUE(ciu.ok());
  EXPECT_NEAR(ciu->per_input_pct[1], 51.875, 1e-12);
  EXPECT_NEAR(ciu->per_input_pct[4], 50 + 25.0 * 10 / 70, 1e-12);
  EXPECT_NEAR(ciu->ciu_pct, 30.0, 1e-12);
  EXPECT_EQ(ciu->limiting_name, "hospital");

  EXPECT_FALSE(OctInputsFromOis(oct, g, *r, 1.5).ok());
}

TEST(OctInputsFromOisTest, UnfedOrUnknownColumnsAreErrors) {
  const OperationalCapacityTable oct = OperationalCapacityTable::Paper();
  absl::StatusOr<DependencyGraph> g = DependencyGraph::Create(
      {{"power", OisNodeKind::kSource, ""},
       {"water_station", OisNodeKind::kInfrastructure, "water_station"}},
      {{"power", "water_station"}});
  ASSERT_TRUE(g.ok());
  absl::StatusOr<OisResult> r = g->Solve(std::vector<double>{1.0, 1.0});
  ASSERT_TRUE(r.ok());
  absl::StatusOr<std::vector<double>> inputs = OctInputsFromOis(oct, *g, *r, 1.0);
  ASSERT_FALSE(inputs.ok());
  EXPECT_NE(inputs.status().message().find("hospital"), std::string::npos);

  g = DependencyGraph::Create({{"power", OisNodeKind::kSource, ""},
                               {"w", OisNodeKind::kInfrastructure, "sewage"}},
                              {{"power", "w"}});
  ASSERT_TRUE(g.ok());
  r = g->Solve(std::vector<double>{1.0, 1.0});
  inputs = OctInputsFromOis(oct, *g, *r, 1.0);
  ASSERT_FALSE(inputs.ok());
  EXPECT_NE(inputs.status().message().find("nodes[1].oct_input"), std::string::npos);
}

}  // namespace
}  // namespace gridrl::metrics
