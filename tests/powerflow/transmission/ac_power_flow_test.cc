#include "powerflow/transmission/ac_power_flow.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "powerflow/network/case_io.h"
#include "powerflow/transmission/dc_power_flow.h"

namespace gridrl::powerflow {
namespace {

std::shared_ptr<const Grid> LoadGrid(const std::string& name) {
  auto net = LoadCase(name);
  EXPECT_TRUE(net.ok()) << net.status();
  auto grid = Grid::Create(*std::move(net));
  EXPECT_TRUE(grid.ok()) << grid.status();
  return *grid;
}

nlohmann::json ReadGolden(const std::string& name) {
  std::ifstream in(std::string(GRIDRL_SOURCE_DIR) + "/tests/data/powerflow/golden_" + name + ".json");
  EXPECT_TRUE(in.good()) << "missing golden file for " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// Golden values from an independent solver (tests/data/powerflow/make_golden.py).
class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesIndependentSolver) {
  const nlohmann::json golden = ReadGolden(GetParam());
  auto grid = LoadGrid(golden["case"].get<std::string>());
  for (bool flat : {true, false}) {
    AcPowerFlow pf(grid);
    for (int l : golden["branches_out"]) pf.SetBranchInService(l, false);
    SolveOptions opt;
    opt.tolerance_pu = 1e-10;
    opt.flat_start = flat;
    const SolveReport rep = pf.Solve(opt);
    ASSERT_TRUE(rep.converged) << GetParam() << " flat=" << flat;
    EXPECT_LE(rep.max_mismatch_pu, 1e-10);
    const auto& buses = golden["buses"];
    ASSERT_EQ(buses.size(), static_cast<size_t>(grid->num_buses()));
    for (int i = 0; i < grid->num_buses(); ++i) {
      ASSERT_EQ(buses[i]["id"].get<int>(), grid->network().buses[i].id);
      EXPECT_NEAR(pf.vm_pu(i), buses[i]["vm_pu"].get<double>(), 1e-6) << "bus " << buses[i]["id"];
      EXPECT_NEAR(pf.va_deg(i), buses[i]["va_deg"].get<double>(), 1e-4) << "bus " << buses[i]["id"];
    }
    EXPECT_NEAR(pf.losses_mw(), golden["losses_mw"].get<double>(), 1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest,
                         ::testing::Values("rts96", "rts_gmlc", "case70da", "case33bw", "case69",
                                           "rts96_branch10_out"));

// Power balance: generation = load + shunt consumption + branch losses, and KCL at every bus.
TEST(AcPowerFlowTest, PowerBalanceAndKcl) {
  for (const char* name : {"rts96", "case70da", "case33bw"}) {
    auto grid = LoadGrid(name);
    AcPowerFlow pf(grid);
    ASSERT_TRUE(pf.Solve().converged) << name;
    const Network& net = grid->network();
    const int nb = grid->num_buses();
    std::vector<double> p_out(nb, 0), q_out(nb, 0);
    for (int l = 0; l < grid->num_branches(); ++l) {
      const BranchFlow f = pf.branch_flow(l);
      p_out[grid->branch_from()[l]] += f.p_from_mw;
      q_out[grid->branch_from()[l]] += f.q_from_mvar;
      p_out[grid->branch_to()[l]] += f.p_to_mw;
      q_out[grid->branch_to()[l]] += f.q_to_mvar;
    }
    std::vector<double> pg(nb, 0), qg(nb, 0);
    for (int k = 0; k < grid->num_gens(); ++k) {
      pg[grid->gen_bus()[k]] += pf.gen_p_mw(k);
      qg[grid->gen_bus()[k]] += pf.gen_q_mvar(k);
    }
    double total_gen = 0, total_load = 0, total_shunt = 0;
    for (int i = 0; i < nb; ++i) {
      const double v2 = pf.vm_pu(i) * pf.vm_pu(i);
      const double p_sh = net.buses[i].gs_mw * v2, q_sh = -net.buses[i].bs_mvar * v2;
      EXPECT_NEAR(pg[i] - net.buses[i].pd_mw - p_sh, p_out[i], 1e-6) << name << " bus " << i;
      EXPECT_NEAR(qg[i] - net.buses[i].qd_mvar - q_sh, q_out[i], 1e-6) << name << " bus " << i;
      total_gen += pg[i];
      total_load += net.buses[i].pd_mw;
      total_shunt += p_sh;
    }
    EXPECT_NEAR(total_gen, total_load + total_shunt + pf.losses_mw(), 1e-6) << name;
    EXPECT_GT(pf.losses_mw(), 0) << name;
  }
}

TEST(AcPowerFlowTest, WarmStartNeedsFewerIterations) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow pf(grid);
  SolveOptions flat;
  flat.flat_start = true;
  const int cold = pf.Solve(flat).iterations;
  // New injections: scale every load by 3 %, keep topology, warm-start.
  for (int i = 0; i < grid->num_buses(); ++i) {
    pf.SetLoad(i, pf.load_p_mw(i) * 1.03, pf.load_q_mvar(i) * 1.03);
  }
  const SolveReport warm = pf.Solve();
  ASSERT_TRUE(warm.converged);
  EXPECT_LT(warm.iterations, cold);
  AcPowerFlow check(grid);
  for (int i = 0; i < grid->num_buses(); ++i) check.SetLoad(i, pf.load_p_mw(i), pf.load_q_mvar(i));
  ASSERT_TRUE(check.Solve(flat).converged);
  for (int i = 0; i < grid->num_buses(); ++i) EXPECT_NEAR(check.vm_pu(i), pf.vm_pu(i), 1e-8);
}

TEST(AcPowerFlowTest, TwoSlackSubstationsHoldTheirVoltage) {
  auto grid = LoadGrid("case70da");
  AcPowerFlow pf(grid);
  const SolveReport rep = pf.Solve();
  ASSERT_TRUE(rep.converged);
  EXPECT_EQ(rep.num_islands, 2);  // two radial trees, one per substation
  const int a = grid->FindBusIndex(1), b = grid->FindBusIndex(70);
  EXPECT_DOUBLE_EQ(pf.vm_pu(a), 1.0);
  EXPECT_DOUBLE_EQ(pf.vm_pu(b), 1.0);
  EXPECT_GT(pf.gen_p_mw(0), 0);
  EXPECT_GT(pf.gen_p_mw(1), 0);
  // Closing a tie joins the two trees into one island with two slacks.
  for (int l = 0; l < grid->num_branches(); ++l) {
    const auto& br = grid->network().branches[l];
    if (br.from_id == 9 && br.to_id == 50) pf.SetBranchInService(l, true);
  }
  const SolveReport joined = pf.Solve();
  ASSERT_TRUE(joined.converged);
  EXPECT_EQ(joined.num_islands, 1);
}

TEST(AcPowerFlowTest, IslandWithoutGenerationIsUnserved) {
  auto grid = LoadGrid("case33bw");
  AcPowerFlow pf(grid);
  // Opening 6-7 (bus ids) cuts off 7..18 from the substation.
  int cut = -1;
  for (int l = 0; l < grid->num_branches(); ++l) {
    const auto& br = grid->network().branches[l];
    if (br.from_id == 6 && br.to_id == 7) cut = l;
  }
  ASSERT_GE(cut, 0);
  pf.SetBranchInService(cut, false);
  const SolveReport rep = pf.Solve();
  ASSERT_TRUE(rep.converged);
  EXPECT_EQ(rep.num_dead_buses, 12);
  double expected = 0;
  for (int id = 7; id <= 18; ++id) expected += grid->network().buses[grid->FindBusIndex(id)].pd_mw;
  EXPECT_NEAR(rep.unserved_mw, expected, 1e-12);
  EXPECT_FALSE(pf.energized(grid->FindBusIndex(10)));
  EXPECT_EQ(pf.vm_pu(grid->FindBusIndex(10)), 0.0);
  // Re-closing restores everything, warm-started from the de-energized state.
  pf.SetBranchInService(cut, true);
  const SolveReport back = pf.Solve();
  ASSERT_TRUE(back.converged);
  EXPECT_EQ(back.num_dead_buses, 0);
  AcPowerFlow fresh(grid);
  fresh.Solve();
  for (int i = 0; i < grid->num_buses(); ++i) EXPECT_NEAR(pf.vm_pu(i), fresh.vm_pu(i), 1e-8);
}

TEST(AcPowerFlowTest, IslandWithGenerationGetsItsOwnSlack) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow pf(grid);
  // Bus 207 (generators, load) hangs on the single branch 207-208 (107 also has a tie to 203).
  int cut = -1;
  for (int l = 0; l < grid->num_branches(); ++l) {
    const auto& br = grid->network().branches[l];
    if ((br.from_id == 207 && br.to_id == 208) || (br.from_id == 208 && br.to_id == 207)) cut = l;
  }
  ASSERT_GE(cut, 0);
  pf.SetBranchInService(cut, false);
  const SolveReport rep = pf.Solve();
  ASSERT_TRUE(rep.converged);
  EXPECT_EQ(rep.num_islands, 2);
  EXPECT_EQ(rep.num_dead_buses, 0);
  // The island's slack balances its own load.
  const int b107 = grid->FindBusIndex(207);
  double pg = 0;
  for (int k = 0; k < grid->num_gens(); ++k) {
    if (grid->gen_bus()[k] == b107) pg += pf.gen_p_mw(k);
  }
  EXPECT_NEAR(pg, grid->network().buses[b107].pd_mw, 1e-6);
  // A preferred slack elsewhere in the island is honoured (only bus 207 there, so same result).
  pf.SetPreferredSlacks({b107});
  EXPECT_TRUE(pf.Solve().converged);
}

// Unit commitment may switch off every unit at the REF bus: the bus becomes PQ and the largest
// remaining unit takes over as slack.
TEST(AcPowerFlowTest, RefBusWithAllUnitsOffHandsOverTheSlack) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow pf(grid);
  const int ref = grid->FindBusIndex(113);
  ASSERT_EQ(grid->base_bus_type()[ref], BusType::kRef);
  double lost = 0;
  for (int k = 0; k < grid->num_gens(); ++k) {
    if (grid->gen_bus()[k] == ref) {
      lost += pf.gen_p_setpoint_mw(k);
      pf.SetGenInService(k, false);
    }
  }
  ASSERT_GT(lost, 0);
  const SolveReport rep = pf.Solve();
  ASSERT_TRUE(rep.converged);
  EXPECT_EQ(rep.num_islands, 1);
  EXPECT_NE(pf.vm_pu(ref), grid->network().gens[0].vg_pu);  // no longer voltage-controlled
  double gen = 0, load = 0;
  for (int k = 0; k < grid->num_gens(); ++k) gen += pf.gen_p_mw(k);
  for (const Bus& b : grid->network().buses) load += b.pd_mw;
  EXPECT_NEAR(gen, load + pf.losses_mw(), 1e-6);
  auto dc = SolveDcPowerFlow(pf);
  ASSERT_TRUE(dc.ok());
  EXPECT_NE(dc->va_deg[ref], 0.0);  // 113 is no longer the angle reference
  // Back on: the original slack returns.
  for (int k = 0; k < grid->num_gens(); ++k) {
    if (grid->gen_bus()[k] == ref) pf.SetGenInService(k, true);
  }
  ASSERT_TRUE(pf.Solve().converged);
  EXPECT_NEAR(pf.va_deg(ref), grid->network().buses[ref].va_deg, 1e-12);
}

TEST(AcPowerFlowTest, ReactiveLimitsSwitchPvToPq) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow pf(grid);
  // Heavier reactive load makes some generators hit Qmax.
  for (int i = 0; i < grid->num_buses(); ++i) pf.SetLoad(i, pf.load_p_mw(i), pf.load_q_mvar(i) * 1.6);
  SolveOptions opt;
  ASSERT_TRUE(pf.Solve(opt).converged);
  int violated = 0;
  const auto& gens = grid->network().gens;
  for (int k = 0; k < grid->num_gens(); ++k) {
    if (gens[k].in_service && pf.gen_q_mvar(k) > gens[k].qmax_mvar + 1e-3 &&
        grid->base_bus_type()[grid->gen_bus()[k]] == BusType::kPV) {
      ++violated;
    }
  }
  ASSERT_GT(violated, 0) << "scenario should violate limits without enforcement";
  opt.enforce_q_limits = true;
  const SolveReport rep = pf.Solve(opt);
  ASSERT_TRUE(rep.converged);
  EXPECT_GT(rep.q_limit_switches, 0);
  for (int k = 0; k < grid->num_gens(); ++k) {
    if (!gens[k].in_service || grid->base_bus_type()[grid->gen_bus()[k]] != BusType::kPV) continue;
    EXPECT_LE(pf.gen_q_mvar(k), gens[k].qmax_mvar + 1e-4) << "gen " << k;
    EXPECT_GE(pf.gen_q_mvar(k), gens[k].qmin_mvar - 1e-4) << "gen " << k;
  }
  // The next plain solve goes back to the PV set-points.
  ASSERT_TRUE(pf.Solve(SolveOptions{}).converged);
  const int b = grid->gen_bus()[0];
  EXPECT_NEAR(pf.vm_pu(b), gens[0].vg_pu, 1e-12);
}

TEST(AcPowerFlowTest, NonConvergenceIsAResult) {
  auto grid = LoadGrid("case33bw");
  AcPowerFlow pf(grid);
  for (int i = 0; i < grid->num_buses(); ++i) pf.SetLoad(i, pf.load_p_mw(i) * 40, pf.load_q_mvar(i) * 40);
  SolveOptions opt;
  opt.max_iterations = 15;
  const SolveReport rep = pf.Solve(opt);
  EXPECT_FALSE(rep.converged);
  EXPECT_GT(rep.max_mismatch_pu, opt.tolerance_pu);
  EXPECT_TRUE(rep.retried_flat);         // warm start failed, flat retry failed too
  EXPECT_LE(rep.iterations, 30);
  // The solver recovers when the load comes back, without being told to start flat.
  pf.ResetInputs();
  EXPECT_TRUE(pf.Solve(opt).converged);
}

// Restoration-style switching: random branch flips on case70da, each re-solved warm, must stay
// convergent and agree with a fresh flat-start solve of the same statuses.
TEST(AcPowerFlowTest, ManyBranchTogglesStayConsistent) {
  auto grid = LoadGrid("case70da");
  AcPowerFlow pf(grid);
  ASSERT_TRUE(pf.Solve().converged);
  unsigned seed = 7;
  for (int step = 0; step < 400; ++step) {
    seed = seed * 1103515245u + 12345u;
    const int l = static_cast<int>((seed >> 8) % grid->num_branches());
    pf.SetBranchInService(l, !pf.branch_in_service(l));
    const SolveReport rep = pf.Solve();
    ASSERT_TRUE(rep.converged) << "step " << step;
    if (step % 50 != 49) continue;
    AcPowerFlow fresh(grid);
    for (int b = 0; b < grid->num_branches(); ++b) fresh.SetBranchInService(b, pf.branch_in_service(b));
    SolveOptions flat;
    flat.flat_start = true;
    ASSERT_TRUE(fresh.Solve(flat).converged);
    EXPECT_EQ(fresh.report().num_dead_buses, rep.num_dead_buses);
    EXPECT_NEAR(fresh.report().unserved_mw, rep.unserved_mw, 1e-12);
    for (int i = 0; i < grid->num_buses(); ++i) {
      EXPECT_NEAR(fresh.vm_pu(i), pf.vm_pu(i), 1e-7) << "step " << step << " bus " << i;
      EXPECT_NEAR(fresh.va_deg(i), pf.va_deg(i), 1e-5) << "step " << step << " bus " << i;
    }
  }
}

TEST(AcPowerFlowTest, CopiesShareTheGridAndSolveIndependently) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow a(grid);
  ASSERT_TRUE(a.Solve().converged);
  AcPowerFlow b(grid);
  b.CopyStateFrom(a);
  b.SetBranchInService(5, false);
  ASSERT_TRUE(b.Solve().converged);
  EXPECT_TRUE(a.branch_in_service(5));
  EXPECT_NE(a.vm_pu(3), b.vm_pu(3));
  EXPECT_EQ(&a.grid(), &b.grid());
}

TEST(DcPowerFlowTest, CloseToAcAnglesOnRts96) {
  auto grid = LoadGrid("rts96");
  AcPowerFlow pf(grid);
  ASSERT_TRUE(pf.Solve().converged);
  auto dc = SolveDcPowerFlow(pf);
  ASSERT_TRUE(dc.ok()) << dc.status();
  double worst = 0;
  for (int i = 0; i < grid->num_buses(); ++i) worst = std::max(worst, std::fabs(dc->va_deg[i] - pf.va_deg(i)));
  EXPECT_LT(worst, 15.0);  // DC ignores losses and voltage magnitudes
  // Flows balance at every non-slack bus (lossless).
  const Network& net = grid->network();
  std::vector<double> out(grid->num_buses(), 0);
  for (int l = 0; l < grid->num_branches(); ++l) {
    out[grid->branch_from()[l]] += dc->p_from_mw[l];
    out[grid->branch_to()[l]] -= dc->p_from_mw[l];
  }
  std::vector<double> pg(grid->num_buses(), 0);
  for (int k = 0; k < grid->num_gens(); ++k) {
    if (net.gens[k].in_service) pg[grid->gen_bus()[k]] += net.gens[k].pg_mw;
  }
  for (int i = 0; i < grid->num_buses(); ++i) {
    if (grid->base_bus_type()[i] == BusType::kRef) continue;
    EXPECT_NEAR(out[i], pg[i] - net.buses[i].pd_mw - net.buses[i].gs_mw, 1e-6) << "bus " << i;
  }
}

}  // namespace
}  // namespace gridrl::powerflow
