#include "powerflow/transmission/contingency.h"

#include "gtest/gtest.h"
#include "powerflow/network/case_io.h"

namespace gridrl::powerflow {
namespace {

std::shared_ptr<const Grid> LoadGrid(const std::string& name) {
  auto net = LoadCase(name);
  EXPECT_TRUE(net.ok()) << net.status();
  auto grid = Grid::Create(*std::move(net));
  EXPECT_TRUE(grid.ok()) << grid.status();
  return *grid;
}

TEST(ContingencyTest, MatchesIndependentSingleSolves) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow base(grid);
  ASSERT_TRUE(base.Solve().converged);
  ContingencyAnalyzer analyzer(grid);
  ContingencyOptions opt;
  const auto results = analyzer.Run(base, opt);  // copy
  ASSERT_EQ(results.size(), 120u);
  int islanded = 0;
  for (const ContingencyResult& r : results) {
    AcPowerFlow single(grid);
    single.SetBranchInService(r.branch, false);
    SolveOptions flat;
    flat.flat_start = true;
    const SolveReport rep = single.Solve(flat);
    ASSERT_EQ(rep.converged, r.converged) << "branch " << r.branch;
    EXPECT_EQ(grid->network().branches[r.branch].from_id, r.from_id);
    if (!rep.converged) continue;
    double max_loading = 0;
    EXPECT_EQ(CountOverloads(single, &max_loading), r.overloads) << "branch " << r.branch;
    EXPECT_NEAR(max_loading, r.max_loading, 1e-6) << "branch " << r.branch;
    EXPECT_EQ(CountVoltageViolations(single, opt.voltage_tolerance_pu), r.v_violations);
    islanded += r.islanded;
  }
  // RTS-96 spurs: 207-208 and 307-308 split off a generator island (107 is also tied to 203).
  EXPECT_EQ(islanded, 2);
}

TEST(ContingencyTest, ThreadsGiveIdenticalResults) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow base(grid);
  ASSERT_TRUE(base.Solve().converged);
  ContingencyAnalyzer analyzer(grid);
  ContingencyOptions opt;
  const auto one = analyzer.Run(base, opt);
  for (int threads : {2, 3, 2, 1}) {  // the pool grows, shrinks and survives a move
    opt.threads = threads;
    ContingencyAnalyzer moved = std::move(analyzer);
    const auto many = moved.Run(base, opt);
    analyzer = std::move(moved);
    ASSERT_EQ(one.size(), many.size());
    for (size_t c = 0; c < one.size(); ++c) {
      EXPECT_EQ(one[c].branch, many[c].branch);
      EXPECT_EQ(one[c].iterations, many[c].iterations);
      EXPECT_EQ(one[c].overloads, many[c].overloads);
      EXPECT_DOUBLE_EQ(one[c].max_loading, many[c].max_loading);
    }
  }
}

TEST(ContingencyTest, RadialFeederOutagesIslandAndShedLoad) {
  auto grid = LoadGrid("case33bw");
  AcPowerFlow base(grid);
  ASSERT_TRUE(base.Solve().converged);
  ContingencyAnalyzer analyzer(grid);
  const auto& results = analyzer.Run(base, ContingencyOptions{});
  ASSERT_EQ(results.size(), 32u);  // the 5 open ties are not contingencies
  for (const auto& r : results) {
    EXPECT_TRUE(r.islanded) << "every radial branch outage islands";
    EXPECT_TRUE(r.converged);
    EXPECT_GT(r.unserved_mw, 0);
  }
}

TEST(ContingencyTest, SubsetMatchesFullSweep) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow base(grid);
  ASSERT_TRUE(base.Solve().converged);
  ContingencyAnalyzer analyzer(grid);
  const auto full = analyzer.Run(base, ContingencyOptions{});
  const std::vector<int> subset = {7, 3, 500, -1, 42};  // out-of-range indices are ignored
  const auto& some = analyzer.Run(base, ContingencyOptions{}, subset);
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some[0].branch, 7);
  EXPECT_EQ(some[1].branch, 3);
  EXPECT_EQ(some[2].branch, 42);
  for (const auto& r : some) {
    EXPECT_EQ(r.iterations, full[r.branch].iterations);
    EXPECT_DOUBLE_EQ(r.max_loading, full[r.branch].max_loading);
  }
}

TEST(ContingencyTest, SkipsBranchesAlreadyOut) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow base(grid);
  base.SetBranchInService(0, false);
  base.SetBranchInService(50, false);
  ASSERT_TRUE(base.Solve().converged);
  ContingencyAnalyzer analyzer(grid);
  const auto& results = analyzer.Run(base, ContingencyOptions{});
  EXPECT_EQ(results.size(), 118u);
  for (const auto& r : results) {
    EXPECT_NE(r.branch, 0);
    EXPECT_NE(r.branch, 50);
  }
}

}  // namespace
}  // namespace gridrl::powerflow
