// The hot paths the environments rely on allocate nothing once warmed up: a warm solve after new
// injections, a branch toggle and re-solve, and a repeated N-1 sweep. Counted by replacing the
// global operator new of this test binary (counting only while a probe is armed).
#include <atomic>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"
#include "powerflow/transmission/ac_power_flow.h"
#include "powerflow/network/case_io.h"
#include "powerflow/transmission/contingency.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gridrl::powerflow {
namespace {

class AllocationProbe {
 public:
  AllocationProbe() {
    g_allocations = 0;
    g_counting = true;
  }
  long Stop() {
    g_counting = false;
    return g_allocations.load();
  }
};

std::shared_ptr<const Grid> LoadGrid(const std::string& name) {
  auto net = LoadCase(name);
  EXPECT_TRUE(net.ok()) << net.status();
  auto grid = Grid::Create(*std::move(net));
  EXPECT_TRUE(grid.ok()) << grid.status();
  return *grid;
}

TEST(NoAllocationTest, ProbeSeesAllocations) {
  AllocationProbe probe;
  auto grid = LoadGrid("case33bw");  // reading a case allocates
  EXPECT_GT(probe.Stop(), 0);
  EXPECT_NE(grid, nullptr);
}

TEST(NoAllocationTest, WarmSolveWithNewInjections) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow pf(grid);
  ASSERT_TRUE(pf.Solve().converged);
  AllocationProbe probe;
  for (int k = 0; k < 20; ++k) {
    for (int i = 0; i < grid->num_buses(); ++i) {
      pf.SetLoad(i, grid->network().buses[i].pd_mw * (1 + 0.01 * k), grid->network().buses[i].qd_mvar);
    }
    pf.Solve();
  }
  EXPECT_EQ(probe.Stop(), 0);
}

TEST(NoAllocationTest, BranchTogglesOnCase70da) {
  auto grid = LoadGrid("case70da");
  AcPowerFlow pf(grid);
  ASSERT_TRUE(pf.Solve().converged);
  // Warm-up: visit islanded and meshed states once.
  for (int l = 0; l < grid->num_branches(); ++l) {
    pf.SetBranchInService(l, !pf.branch_in_service(l));
    pf.Solve();
    pf.SetBranchInService(l, !pf.branch_in_service(l));
    pf.Solve();
  }
  AllocationProbe probe;
  for (int l = 0; l < grid->num_branches(); ++l) {
    pf.SetBranchInService(l, !pf.branch_in_service(l));
    pf.Solve();
    pf.SetBranchInService(l, !pf.branch_in_service(l));
    pf.Solve();
  }
  EXPECT_EQ(probe.Stop(), 0);
}

TEST(NoAllocationTest, RepeatedContingencySweep) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow base(grid);
  ASSERT_TRUE(base.Solve().converged);
  ContingencyAnalyzer analyzer(grid);
  ContingencyOptions opt;
  analyzer.Run(base, opt);  // sizes the workspaces
  AllocationProbe probe;
  for (int k = 0; k < 3; ++k) analyzer.Run(base, opt);
  EXPECT_EQ(probe.Stop(), 0);
}

}  // namespace
}  // namespace gridrl::powerflow
