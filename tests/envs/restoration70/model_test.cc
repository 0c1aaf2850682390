// Restoration mechanics of restoration70: the radial sweep against the Newton-Raphson power flow,
// radiality of every reconfiguration, hand-computed CIU of simple outages, load shedding order.
#include "envs/restoration70/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "env/rng.h"
#include "powerflow/transmission/ac_power_flow.h"
#include "powerflow/network/case_io.h"
#include "powerflow/transmission/grid.h"

namespace gridrl::env::restoration70 {
namespace {

std::shared_ptr<const RestorationModel> MakeModel(ModelOptions o = {}) {
  auto m = RestorationModel::Create(o);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

int BranchIndex(const RestorationModel& m, int from_id, int to_id) {
  for (int k = 0; k < m.num_branches(); ++k) {
    const auto& b = m.branch(k);
    if ((b.from_id == from_id && b.to_id == to_id) || (b.from_id == to_id && b.to_id == from_id)) {
      return k;
    }
  }
  return -1;
}

TEST(Restoration70Model, CaseShape) {
  auto m = MakeModel();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->num_buses(), 70);
  EXPECT_EQ(m->num_branches(), 76);
  EXPECT_EQ(m->sources().size(), 2u);
  int ties = 0;
  for (int k = 0; k < m->num_branches(); ++k) ties += !m->branch(k).normally_closed;
  EXPECT_EQ(ties, 8);
  EXPECT_NEAR(m->total_load_kw(), 5385.4, 1e-6);
}

TEST(Restoration70Model, AllAvailableIsFullService) {
  for (auto method : {ReconfigMethod::kShortestPathTree, ReconfigMethod::kMinimumSpanningTree}) {
    ModelOptions o;
    o.method = method;
    auto m = MakeModel(o);
    auto ws = m->MakeWorkspace();
    std::vector<uint8_t> avail(m->num_branches(), 1);
    EXPECT_DOUBLE_EQ(m->Evaluate(avail, ws), 100.0);
    EXPECT_EQ(ws.num_shed, 0);
    EXPECT_NEAR(ws.served_kw, 5385.4, 1e-6);
    EXPECT_GE(ws.vmin_pu, 0.88);
    EXPECT_TRUE(CheckRadial(*m, avail, ws.closed).ok());
    int closed = 0;
    for (auto c : ws.closed) closed += c;
    EXPECT_EQ(closed, 70 - 2);  // a spanning forest with one tree per substation
    // With the tie penalty the repaired network is the normal configuration.
    for (int k = 0; k < m->num_branches(); ++k) {
      EXPECT_EQ(ws.closed[k] != 0, m->branch(k).normally_closed) << "branch " << k;
    }
  }
}

// The sweep on the normally closed configuration against the project's Newton-Raphson.
TEST(Restoration70Model, RadialSweepMatchesNewtonRaphson) {
  auto net = powerflow::LoadCase("case70da");
  ASSERT_TRUE(net.ok());
  auto grid = powerflow::Grid::Create(*net);
  ASSERT_TRUE(grid.ok()) << grid.status();
  powerflow::AcPowerFlow nr(*grid);
  powerflow::SolveOptions so;
  so.tolerance_pu = 1e-10;
  auto rep = nr.Solve(so);
  ASSERT_TRUE(rep.converged);

  auto m = MakeModel();
  // Build the normal configuration as a forest by restricting availability to closed branches.
  std::vector<uint8_t> avail(m->num_branches());
  for (int k = 0; k < m->num_branches(); ++k) avail[k] = m->branch(k).normally_closed;
  auto ws = m->MakeWorkspace();
  m->Evaluate(avail, ws);
  ASSERT_EQ(ws.num_shed, 0);
  double worst = 0;
  for (int b = 0; b < m->num_buses(); ++b) {
    const double vm = std::hypot(ws.v_re[b], ws.v_im[b]);
    const double va = std::atan2(ws.v_im[b], ws.v_re[b]) * 180.0 / M_PI;
    worst = std::max(worst, std::abs(vm - nr.vm_pu(b)));
    EXPECT_NEAR(vm, nr.vm_pu(b), 1e-7) << "bus " << m->bus_id(b);
    EXPECT_NEAR(va, nr.va_deg(b), 1e-5) << "bus " << m->bus_id(b);
  }
  EXPECT_LT(ws.vmin_pu, 0.97);  // the feeders do carry load
}

TEST(Restoration70Model, EveryReconfigurationIsRadial) {
  for (auto method : {ReconfigMethod::kShortestPathTree, ReconfigMethod::kMinimumSpanningTree}) {
    ModelOptions o;
    o.method = method;
    auto m = MakeModel(o);
    auto ws = m->MakeWorkspace();
    Rng rng(7);
    for (int trial = 0; trial < 500; ++trial) {
      std::vector<uint8_t> avail(m->num_branches());
      const double p_fail = 0.05 + 0.4 * rng.Uniform();
      for (auto& a : avail) a = !rng.Bernoulli(p_fail);
      const double ciu = m->Evaluate(avail, ws);
      ASSERT_TRUE(CheckRadial(*m, avail, ws.closed).ok()) << CheckRadial(*m, avail, ws.closed);
      EXPECT_GE(ciu, 0.0);
      EXPECT_LE(ciu, 100.0);
      // Every bus reachable over available branches is energised (possibly shed), no other.
      for (int b = 0; b < m->num_buses(); ++b) {
        if (ws.served[b]) {
          const double vm = std::hypot(ws.v_re[b], ws.v_im[b]);
          EXPECT_GE(vm, 0.88 - 1e-9);
        }
      }
    }
  }
}

TEST(Restoration70Model, CheckRadialRejectsLoopsAndUnavailable) {
  auto m = MakeModel();
  std::vector<uint8_t> avail(m->num_branches(), 1), closed(m->num_branches(), 0);
  for (int k = 0; k < m->num_branches(); ++k) closed[k] = m->branch(k).normally_closed;
  EXPECT_TRUE(CheckRadial(*m, avail, closed).ok());
  closed[BranchIndex(*m, 22, 67)] = 1;  // a tie between two feeders of the same substation
  EXPECT_FALSE(CheckRadial(*m, avail, closed).ok());
  closed[BranchIndex(*m, 22, 67)] = 0;
  avail[0] = 0;
  EXPECT_FALSE(CheckRadial(*m, avail, closed).ok());
}

// A leaf bus out (bus 69, 48 kW, on branch 68-69 only): every critical bus is served, so only
// the household input drops: share = 1 - 48 / (5385.4 - critical load), and the power column of
// the OCT is linear (40 kWh per 100 %), so CIU = 100 * share.
TEST(Restoration70Model, HandComputedCiuHouseholdLimits) {
  auto m = MakeModel();
  std::vector<uint8_t> avail(m->num_branches(), 1);
  avail[BranchIndex(*m, 68, 69)] = 0;
  auto ws = m->MakeWorkspace();
  const double ciu = m->Evaluate(avail, ws);
  const double critical_kw = 288 + 180 + 120 + 180;  // buses 58, 39, 27, 62
  const double expected = 100.0 * (1.0 - 48.0 / (5385.4 - critical_kw));
  EXPECT_NEAR(ciu, expected, 1e-9);
  EXPECT_EQ(m->oct().column(ws.limiting_input).name, "power_supply");
  EXPECT_NEAR(ws.dark_kw, 48.0, 1e-9);
}

// The government bus (27) cut off from every source: government input 0, CIU 0, limiting input
// government; ICT and water still full, so the hospital (needs water) stays at 100 %.
TEST(Restoration70Model, HandComputedCiuGovernmentDark) {
  auto m = MakeModel();
  std::vector<uint8_t> avail(m->num_branches(), 1);
  for (auto [a, b] : {std::pair{26, 27}, {27, 28}, {21, 27}}) avail[BranchIndex(*m, a, b)] = 0;
  auto ws = m->MakeWorkspace();
  EXPECT_DOUBLE_EQ(m->Evaluate(avail, ws), 0.0);
  const auto& oct = m->oct();
  EXPECT_EQ(oct.column(ws.limiting_input).name, "government");
  EXPECT_DOUBLE_EQ(ws.per_input_pct[oct.IndexOf("government")], 0.0);
  EXPECT_DOUBLE_EQ(ws.per_input_pct[oct.IndexOf("hospital")], 100.0);
  EXPECT_DOUBLE_EQ(ws.per_input_pct[oct.IndexOf("ict")], 100.0);
}

// The water station dark: the hospital depends on water, so both are 0; the first column in
// table order (water) is reported as limiting.
TEST(Restoration70Model, HandComputedCiuWaterCascadesToHospital) {
  auto m = MakeModel();
  std::vector<uint8_t> avail(m->num_branches(), 1);
  for (auto [a, b] : {std::pair{57, 58}, {58, 59}}) avail[BranchIndex(*m, a, b)] = 0;
  auto ws = m->MakeWorkspace();
  EXPECT_DOUBLE_EQ(m->Evaluate(avail, ws), 0.0);
  const auto& oct = m->oct();
  EXPECT_DOUBLE_EQ(ws.per_input_pct[oct.IndexOf("water_station")], 0.0);
  EXPECT_DOUBLE_EQ(ws.per_input_pct[oct.IndexOf("hospital")], 0.0);
  EXPECT_DOUBLE_EQ(ws.per_input_pct[oct.IndexOf("government")], 100.0);
  EXPECT_EQ(oct.column(ws.limiting_input).name, "water_station");
}

// A tight voltage band forces shedding: the result is feasible, critical buses are kept while
// non-critical load remains in their feeder, and the shed buses are the farthest ones.
TEST(Restoration70Model, SheddingRestoresLimitsAndSparesCriticalLoads) {
  ModelOptions o;
  o.vmin_pu = 0.97;
  auto m = MakeModel(o);
  std::vector<uint8_t> avail(m->num_branches(), 1);
  auto ws = m->MakeWorkspace();
  m->Evaluate(avail, ws);
  EXPECT_GT(ws.num_shed, 0);
  for (int b = 0; b < m->num_buses(); ++b) {
    if (ws.served[b]) EXPECT_GE(std::hypot(ws.v_re[b], ws.v_im[b]), 0.97 - 1e-9);
  }
  for (int c : m->critical_buses()) EXPECT_TRUE(ws.served[c]) << "bus " << m->bus_id(c);
  // Farthest first: no served non-critical loaded bus of a shed bus's feeder is farther out.
  for (int s = 0; s < m->num_buses(); ++s) {
    if (!ws.shed[s]) continue;
    for (int b = 0; b < m->num_buses(); ++b) {
      if (ws.served[b] && !m->is_critical(b) && m->load_kw(b) > 0 && ws.root[b] == ws.root[s]) {
        EXPECT_LE(ws.edist[b], ws.edist[s]) << "served bus " << m->bus_id(b) << " is farther than "
                                          << "shed bus " << m->bus_id(s);
      }
    }
  }
  EXPECT_LT(ws.ciu_pct, 100.0);
}

TEST(Restoration70Model, BadOptionsAreErrors) {
  ModelOptions o;
  o.critical_bus_ids = {58, 39, 27};
  auto m = RestorationModel::Create(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("critical_buses"), std::string::npos) << m.status();
  o.critical_bus_ids = {58, 39, 27, 999};
  m = RestorationModel::Create(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("critical_buses[3]"), std::string::npos) << m.status();
  o.critical_bus_ids = {58, 39, 27, 1};
  EXPECT_FALSE(RestorationModel::Create(o).ok());  // a substation
  o = {};
  o.case_name = "no_such_case";
  m = RestorationModel::Create(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("case"), std::string::npos);
  o = {};
  o.ois_file = "/nonexistent/ois.json";
  m = RestorationModel::Create(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("ois_file"), std::string::npos) << m.status();
}

TEST(Restoration70Model, OisFromFileChangesTheDependencies) {
  // Without the water -> hospital edge the hospital survives a dark water station.
  const std::string path = ::testing::TempDir() + "/r70_ois.json";
  std::ofstream(path) << R"({"nodes": [
      {"name": "power", "kind": "source"},
      {"name": "water_station", "kind": "infrastructure", "oct_input": "water_station"},
      {"name": "hospital", "kind": "infrastructure", "oct_input": "hospital"},
      {"name": "government", "kind": "infrastructure", "oct_input": "government"},
      {"name": "ict", "kind": "infrastructure", "oct_input": "ict"}],
    "edges": [{"from": "power", "to": "water_station"}, {"from": "power", "to": "hospital"},
              {"from": "power", "to": "government"}, {"from": "power", "to": "ict"}]})";
  ModelOptions o;
  o.ois_file = path;
  auto m = MakeModel(o);
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> avail(m->num_branches(), 1);
  for (auto [a, b] : {std::pair{57, 58}, {58, 59}}) avail[BranchIndex(*m, a, b)] = 0;
  auto ws = m->MakeWorkspace();
  m->Evaluate(avail, ws);
  EXPECT_DOUBLE_EQ(ws.per_input_pct[m->oct().IndexOf("hospital")], 100.0);
  EXPECT_DOUBLE_EQ(ws.per_input_pct[m->oct().IndexOf("water_station")], 0.0);
}

}  // namespace
}  // namespace gridrl::env::restoration70

namespace gridrl::env::restoration70 {
namespace {

// Bisection on the number of shed loads gives what shedding one load at a time gives.
TEST(Restoration70Model, BisectionSheddingEqualsSequential) {
  ModelOptions seq_o;
  seq_o.sequential_shedding = true;
  auto fast = MakeModel();
  auto seq = MakeModel(seq_o);
  auto wf = fast->MakeWorkspace();
  auto wsq = seq->MakeWorkspace();
  Rng rng(11);
  int with_shedding = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<uint8_t> avail(fast->num_branches());
    for (auto& a : avail) a = !rng.Bernoulli(0.25);
    const double a = fast->Evaluate(avail, wf);
    const double b = seq->Evaluate(avail, wsq);
    ASSERT_EQ(a, b) << "trial " << trial;
    ASSERT_EQ(wf.served, wsq.served) << "trial " << trial;
    with_shedding += wf.num_shed > 0;
  }
  EXPECT_GT(with_shedding, 20);  // the comparison exercised shedding
}

}  // namespace
}  // namespace gridrl::env::restoration70

namespace gridrl::env::restoration70 {
namespace {

// The CIU-only shortcut (a dark critical bus gives CIU 0) agrees with the full evaluation.
TEST(Restoration70Model, CiuOnlyShortcutAgreesWithFullEvaluation) {
  auto m = MakeModel();
  auto a = m->MakeWorkspace();
  auto b = m->MakeWorkspace();
  Rng rng(13);
  int shortcut = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<uint8_t> avail(m->num_branches());
    for (auto& x : avail) x = !rng.Bernoulli(0.2);
    const double full = m->Evaluate(avail, a);
    const double fast = m->Evaluate(avail, b, /*ciu_only=*/true);
    ASSERT_EQ(full, fast) << "trial " << trial;
    bool dark = false;
    for (int c : m->critical_buses()) dark = dark || !a.in_tree[c];
    shortcut += dark;
  }
  EXPECT_GT(shortcut, 10);  // the shortcut was taken
}

}  // namespace
}  // namespace gridrl::env::restoration70
