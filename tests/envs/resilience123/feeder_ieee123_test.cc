// The resilience123 feeder: 12 switches, backup feeders behind ties, DER islands per zone.
#include "envs/resilience123/feeder_ieee123.h"

#include "gtest/gtest.h"

namespace gridrl::powerflow {
namespace {

TEST(FeederIeee123, SwitchesBackupsAndDersAsTheSpecSays) {
  auto f = BuildIeee123Resilience();
  ASSERT_TRUE(f.ok()) << f.status();
  const FeederData& d = f->model->data();
  const char* ends[12][2] = {{"150r", "149"}, {"13", "152"},  {"18", "135"},  {"60", "160"},
                             {"61", "61s"},   {"97", "197"},  {"250", "251"}, {"450", "451"},
                             {"54", "94"},    {"151", "300"}, {"300", "350"}, {"95", "195"}};
  FeederState s = f->model->NormalState();
  for (int k = 0; k < 12; ++k) {
    const FeederLine& l = d.lines[f->switch_line[k]];
    EXPECT_EQ(d.buses[l.bus1].name, ends[k][0]) << "sw" << k + 1;
    EXPECT_EQ(d.buses[l.bus2].name, ends[k][1]) << "sw" << k + 1;
    EXPECT_TRUE(l.is_switch);
    EXPECT_EQ(s.line_closed[f->switch_line[k]], k < 6 ? 1 : 0) << "sw" << k + 1;
  }
  for (int b = 0; b < 4; ++b) {
    const FeederSource& src = d.sources[f->backup_source[b]];
    EXPECT_EQ(src.kind, FeederSourceKind::kBackupFeeder);
    EXPECT_EQ(src.max_kva, 1000);
  }
  EXPECT_EQ(d.ders.size(), 4u);
  EXPECT_EQ(d.buses[d.ders[f->der[3]].bus].name, "56");

  FeederSolver solver(f->model);
  const FeederResult& r = solver.Solve(s);
  ASSERT_TRUE(r.converged) << r.message;
  const FeederIsland& main = r.islands[r.bus_island[d.FindBus("150")]];
  EXPECT_EQ(main.grid_sources, 1);
  // The published operating point is within [0.95, 1.05] pu, but the feeder head carries up to
  // 628 A against the 400 A default rating of the OpenDSS files.
  EXPECT_EQ(main.voltage_violations, 0);
  EXPECT_EQ(main.overloaded_branches, 5);
  EXPECT_FALSE(main.feasible());
  FeederSolveOptions loose;
  loose.loading_limit = 1.6;
  EXPECT_TRUE(solver.Solve(s, loose).islands[0].feasible());
  EXPECT_FALSE(r.islands[r.bus_island[d.FindBus("251")]].energised);
}

TEST(FeederIeee123, ZonesBecomeDerIslandsOrGoDark) {
  auto f = BuildIeee123Resilience();
  ASSERT_TRUE(f.ok()) << f.status();
  const FeederData& d = f->model->data();
  FeederSolver solver(f->model);
  FeederState s = f->model->NormalState();
  for (int k : {1, 2, 3, 5}) s.line_closed[f->switch_line[k]] = 0;  // sw2, sw3, sw4, sw6 open
  for (int g = 0; g < 4; ++g) s.der_on[f->der[g]] = 1;
  const FeederResult& r = solver.Solve(s);
  ASSERT_TRUE(r.converged) << r.message;
  for (const char* bus : {"49", "56", "105"}) {  // zones C, D, E: each held by its DER
    const FeederIsland& isl = r.islands[r.bus_island[d.FindBus(bus)]];
    EXPECT_TRUE(isl.energised) << bus;
    EXPECT_EQ(isl.grid_sources, 0);
    EXPECT_GE(isl.forming_der, 0);
    EXPECT_NEAR(r.vm_pu[f->model->NodeIndex(d.FindBus(bus), 1)], 1.0, 1e-3);
    EXPECT_GT(isl.load_kw, 0);
  }
  // Zone B (67-100) has no DER: dark. Zone A keeps the substation and DER 21 as PQ.
  EXPECT_FALSE(r.islands[r.bus_island[d.FindBus("76")]].energised);
  EXPECT_EQ(r.islands[r.bus_island[d.FindBus("21")]].grid_sources, 1);
  // Closing sw8 (450-451) brings zone B's backup feeder in.
  s.line_closed[f->switch_line[7]] = 1;
  const FeederResult& r2 = solver.Solve(s);
  ASSERT_TRUE(r2.converged) << r2.message;
  const FeederIsland& b = r2.islands[r2.bus_island[d.FindBus("76")]];
  EXPECT_TRUE(b.energised);
  EXPECT_EQ(b.grid_sources, 1);
  EXPECT_GT(r2.source_kw[f->backup_source[1]], 0);
  EXPECT_NEAR(r2.total_source_kw, r2.total_load_kw + r2.loss_kw, 1e-6 * r2.total_source_kw);
}

}  // namespace
}  // namespace gridrl::powerflow

#include <thread>

namespace gridrl::powerflow {
namespace {

// One immutable model, one workspace per thread: results equal the sequential ones.
TEST(FeederIeee123, SharedModelSolvesConcurrently) {
  auto f = BuildIeee123Resilience();
  ASSERT_TRUE(f.ok()) << f.status();
  auto run = [&](int variant, std::vector<double>* vm) {
    FeederSolver solver(f->model);
    FeederState s = f->model->NormalState();
    for (int step = 0; step < 50; ++step) {
      const int k = (step + variant) % 12;
      s.line_closed[f->switch_line[k]] ^= 1;
      s.der_on[f->der[(step + variant) % 4]] ^= 1;
      solver.Solve(s);
    }
    *vm = solver.result().vm_pu;
  };
  std::vector<double> seq0, seq1, par0, par1;
  run(0, &seq0);
  run(5, &seq1);
  std::thread t0(run, 0, &par0), t1(run, 5, &par1);
  t0.join();
  t1.join();
  EXPECT_EQ(seq0, par0);
  EXPECT_EQ(seq1, par1);
  EXPECT_NE(seq0, seq1);
}

// Cold solves (warm_start = false) depend on the state alone, bit for bit, whatever the
// workspace solved before: environments cache and clone on that.
TEST(FeederIeee123, ColdSolveIsAFunctionOfTheStateAlone) {
  auto f = BuildIeee123Resilience();
  ASSERT_TRUE(f.ok()) << f.status();
  FeederSolveOptions cold;
  cold.warm_start = false;
  FeederState target = f->model->NormalState();
  for (int k : {0, 1, 2}) target.line_closed[f->switch_line[k]] = 0;  // no substation; C, D apart
  for (int g = 0; g < 4; ++g) target.der_on[f->der[g]] = 1;
  FeederSolver fresh(f->model);
  const std::vector<double> expected = fresh.Solve(target, cold).vm_pu;
  FeederSolver used(f->model);
  FeederState other = target;  // same islands, other loads: other DER shares
  other.load_scale = 1.3;
  used.Solve(other, cold);
  EXPECT_EQ(used.Solve(target, cold).vm_pu, expected);
}

}  // namespace
}  // namespace gridrl::powerflow

namespace gridrl::powerflow {
namespace {

TEST(FeederIeee123, ErrorsNameWhatIsMissing) {
  Ieee123ResilienceOptions o;
  o.der_buses[2] = "9999";
  auto bad_der = BuildIeee123Resilience(o);
  ASSERT_FALSE(bad_der.ok());
  EXPECT_NE(bad_der.status().message().find("bus 9999"), std::string::npos) << bad_der.status();
  Ieee123ResilienceOptions f;
  f.feeder = "/nonexistent/feeder.json";
  auto bad_file = BuildIeee123Resilience(f);
  ASSERT_FALSE(bad_file.ok());
  EXPECT_NE(bad_file.status().message().find("/nonexistent/feeder.json"), std::string::npos)
      << bad_file.status();
}

}  // namespace
}  // namespace gridrl::powerflow
