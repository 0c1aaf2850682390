// The resilience123 model: feeder assembly (switches, zones, backups, DERs, load groups), the
// cached indicator path against metrics::ResilienceModel::Evaluate, and service invariants.
#include "envs/resilience123/model.h"

#include <gtest/gtest.h>

#include <set>

#include "envs/resilience123/env.h"
#include "env/registry.h"

namespace gridrl::env::r123 {
namespace {

std::shared_ptr<const Resilience123Model> Model() {
  static auto model = *Resilience123Model::Build(Resilience123Params{});
  return model;
}

TEST(Resilience123Model, FeederAssembly) {
  auto m = Model();
  const auto& d = m->feeder().data();
  // Switch buses as in the spec's table.
  const char* ends[kNumSwitches][2] = {{"150r", "149"}, {"13", "152"}, {"18", "135"}, {"60", "160"},
                                       {"61", "61s"},   {"97", "197"}, {"250", "251"}, {"450", "451"},
                                       {"54", "94"},    {"151", "300"}, {"300", "350"}, {"95", "195"}};
  for (int k = 0; k < kNumSwitches; ++k) {
    const auto& ln = d.lines[m->switch_line()[k]];
    std::set<std::string> got = {d.buses[ln.bus1].name, d.buses[ln.bus2].name};
    std::set<std::string> want = {ends[k][0], ends[k][1]};
    EXPECT_EQ(got, want) << "sw" << k + 1;
    EXPECT_TRUE(ln.is_switch);
  }
  // Normal state: sw1-sw6 closed, sw7-sw12 open.
  for (int k = 0; k < kNumSwitches; ++k) EXPECT_EQ(d.lines[m->switch_line()[k]].closed, k < 6) << k;
  EXPECT_EQ(d.ders.size(), 4u);
  EXPECT_EQ(d.sources.size(), 5u);  // substation + 4 backups
  // Zones [data]: spot checks of the spec's ranges.
  auto zone = [&](const char* bus) { return m->bus_zone()[d.FindBus(bus)]; };
  EXPECT_EQ(zone("1"), 0);
  EXPECT_EQ(zone("34"), 0);
  EXPECT_EQ(zone("149"), 0);
  EXPECT_EQ(zone("250"), 0);
  EXPECT_EQ(zone("160"), 1);
  EXPECT_EQ(zone("100"), 1);
  EXPECT_EQ(zone("450"), 1);
  EXPECT_EQ(zone("135"), 2);
  EXPECT_EQ(zone("151"), 2);
  EXPECT_EQ(zone("51"), 2);
  EXPECT_EQ(zone("152"), 3);
  EXPECT_EQ(zone("66"), 3);
  EXPECT_EQ(zone("197"), 4);
  EXPECT_EQ(zone("300"), 4);
  EXPECT_EQ(zone("114"), 4);
  EXPECT_EQ(zone("251"), -1);  // backup feeder buses belong to no zone
  // DER zones: 21 in A, 49 in C, 105 in E, 56 in D; none in B.
  EXPECT_EQ(zone("21"), 0);
  EXPECT_EQ(zone("49"), 2);
  EXPECT_EQ(zone("105"), 4);
  EXPECT_EQ(zone("56"), 3);
  // Load groups: 85 loaded buses, critical 48 and 76 first in priority.
  EXPECT_EQ(m->groups().size(), 85u);
  double total = 0;
  for (const auto& g : m->groups()) total += g.kva;
  EXPECT_GT(total, 3900.0);
  const auto& first = m->groups()[m->group_priority()[0]];
  const auto& second = m->groups()[m->group_priority()[1]];
  EXPECT_TRUE(first.critical && second.critical);
  EXPECT_NEAR(first.kva + second.kva, 258.07 + 303.69, 0.5);
  // Nearest upstream switch: 76-77 (zone B) is cleared by sw4, 52-53 (zone D) by sw2, 1-7 (zone
  // A) by the feeder-head breaker sw1, 101-102 (zone E) by sw6.
  auto line = [&](const char* a, const char* b) {
    for (size_t l = 0; l < d.lines.size(); ++l) {
      const std::string x = d.buses[d.lines[l].bus1].name, y = d.buses[d.lines[l].bus2].name;
      if ((x == a && y == b) || (x == b && y == a)) return static_cast<int>(l);
    }
    return -1;
  };
  ASSERT_GE(line("76", "77"), 0);
  EXPECT_EQ(m->upstream_switch()[line("76", "77")], 3);
  EXPECT_EQ(m->upstream_switch()[line("52", "53")], 1);
  EXPECT_EQ(m->upstream_switch()[line("1", "7")], 0);
  EXPECT_EQ(m->upstream_switch()[line("101", "102")], 5);
}

TEST(Resilience123Model, RecommendedSwitches) {
  using A = std::array<uint8_t, kNumTactical>;
  EXPECT_EQ(RecommendedSwitches(0), (A{1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(RecommendedSwitches(2), (A{1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(RecommendedSwitches(3), (A{1, 1, 1, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(RecommendedSwitches(4), (A{1, 1, 1, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(RecommendedSwitches(5), (A{0, 0, 1, 0, 0, 0, 0, 1, 0, 0}));
}

// The env's cached indicator path (edge-level and topology-level caches, R_CL and ARoS from the
// served loads) gives exactly what metrics::ResilienceModel::Evaluate gives on the same state.
TEST(Resilience123Model, CachedIndicatorsMatchTheMetricsModel) {
  auto m = Model();
  Resilience123Sim sim(m);
  Rng rng(3);
  ASSERT_TRUE(sim.Reset(rng, 500).ok());
  Rng policy(11);
  const auto& d = m->feeder().data();
  int checked = 0;
  for (int t = 0; t < 40; ++t) {
    std::array<uint8_t, kNumTactical> sw{};
    for (auto& v : sw) v = policy.Bernoulli(0.5);
    const int config = static_cast<int>(policy.UniformInt(kNumConfigs));
    auto res = sim.Step(config, sw, t % 2, rng);
    ASSERT_TRUE(res.ok()) << res.status();
    metrics::GridState s;
    s.edge_in_service.assign(m->num_metric_edges(), 1);
    for (size_t l = 0; l < d.lines.size(); ++l) s.edge_in_service[l] = !sim.line_failed()[l];
    for (int k = 0; k < kNumSwitches; ++k) s.edge_in_service[m->switch_line()[k]] = sim.switch_closed()[k];
    s.sources.push_back({d.sources[m->substation_source()].bus, 5000, true});
    for (int j = 0; j < kNumBackups; ++j) {
      const auto& src = d.sources[m->backup_source()[j]];
      s.sources.push_back({src.bus, 1000, s.edge_in_service[d.FindLine(src.tie_switch)] != 0});
    }
    for (int j = 0; j < kNumDers; ++j) {
      s.sources.push_back({d.ders[m->der()[j]].bus, 350.35, m->config_ders()[sim.config()][j] != 0});
    }
    for (size_t g = 0; g < m->groups().size(); ++g) {
      const auto& grp = m->groups()[g];
      s.loads.push_back({grp.bus, grp.kva, grp.critical, sim.service().served[g] != 0});
    }
    auto want = m->metric_model().Evaluate(s);
    ASSERT_TRUE(want.ok()) << want.status();
    for (int k = 0; k < metrics::kNumIndicators; ++k) {
      EXPECT_DOUBLE_EQ(sim.indicators().raw[k], want->raw[k]) << "t " << t << " indicator " << k;
    }
    EXPECT_NEAR(sim.indicators().resilience, want->resilience, 1e-12) << t;
    ++checked;
  }
  EXPECT_EQ(checked, 40);
  EXPECT_GT(sim.caches().indicators.hits() + sim.caches().edge_hits, 0u);
}

// Random switching with four DERs in normal weather: shedding always ends without a remaining
// constraint violation, and the served fraction is a fraction.
TEST(Resilience123Model, RandomSwitchingLeavesNoViolation) {
  Resilience123Params calm;
  calm.p_normal_to_calamity = 0.0;
  auto built = Resilience123Model::Build(calm);
  ASSERT_TRUE(built.ok()) << built.status();
  auto m = *built;
  Resilience123Sim sim(m);
  Rng rng(5);
  ASSERT_TRUE(sim.Reset(rng, 500).ok());
  Rng policy(17);
  for (int t = 0; t < 30; ++t) {
    std::array<uint8_t, kNumTactical> sw{};
    for (auto& v : sw) v = policy.Bernoulli(0.5);
    auto res = sim.Step(4, sw, 1, rng);
    ASSERT_TRUE(res.ok());
    EXPECT_GE(res->served_fraction, 0.0);
    EXPECT_LE(res->served_fraction, 1.0);
    EXPECT_LE(res->service.violations, 0) << t << " converged " << res->service.converged << " shed " << res->service.shed_for_constraints << " solves " << res->service.solves << " v " << res->service.vmin_pu << ".." << res->service.vmax_pu << " served " << res->served_fraction << " infeasible " << res->infeasible_switching;
  }
}

// The gallop-and-bisect shedding search against the one-group-per-power-flow reference on random
// switching under the calamities with many violating islands. The reference finds each island's
// shortest feasible farthest-first prefix; the search finds a feasible prefix whose one-shorter
// prefix is infeasible: the same wherever feasibility grows with the load shed, never shorter,
// and it differs where an unbalanced island is feasible at some prefix, infeasible at a few longer
// ones and feasible again (about 3-4 % of shedding steps here).
TEST(Resilience123Model, ShedSearchAgainstLinearReference) {
  for (const char* calamity : {"hurricane", "flood", "wildfire"}) {
    Resilience123Params fast;
    fast.calamity = calamity;
    fast.p_normal_to_calamity = 0.5;
    fast.max_shed_rounds = 1000;
    Resilience123Params linear = fast;
    linear.linear_shedding = true;
    auto mf = *Resilience123Model::Build(fast);
    auto ml = *Resilience123Model::Build(linear);
    Resilience123Sim sf(mf), sl(ml);
    Rng rf(11), rl(11), policy(23);
    ASSERT_TRUE(sf.Reset(rf, 1e6).ok());
    ASSERT_TRUE(sl.Reset(rl, 1e6).ok());
    int shedding_steps = 0, same = 0, solves_fast = 0, solves_linear = 0;
    for (int t = 0; t < 400; ++t) {
      std::array<uint8_t, kNumTactical> sw{};
      for (auto& v : sw) v = policy.Bernoulli(0.5);
      const int config = static_cast<int>(policy.UniformInt(kNumConfigs));
      const int grid = static_cast<int>(policy.UniformInt(2));
      auto a = sf.Step(config, sw, grid, rf);
      auto b = sl.Step(config, sw, grid, rl);
      ASSERT_TRUE(a.ok() && b.ok());
      const ServiceOutcome& f = sf.service();
      const ServiceOutcome& l = sl.service();
      // The weather and failures do not depend on the service: both sims see the same states.
      ASSERT_EQ(a->calamity, b->calamity) << t;
      if (l.shed_for_constraints == 0 && l.tripped_islands == 0) {
        EXPECT_EQ(f.served, l.served) << calamity << " step " << t;  // nothing to shed
        EXPECT_EQ(f.solves, 1) << t;
        continue;
      }
      ++shedding_steps;
      solves_fast += f.solves;
      solves_linear += l.solves;
      if (f.served == l.served) {
        ++same;
        EXPECT_EQ(f.violations, l.violations) << t;
        EXPECT_EQ(f.tripped_islands, l.tripped_islands) << t;
      } else {
        EXPECT_GE(f.shed_for_constraints, l.shed_for_constraints) << calamity << " step " << t;
      }
    }
    std::printf("%s: %d shedding steps, %d identical, %d power flows (search) vs %d (linear)\n",
                calamity, shedding_steps, same, solves_fast, solves_linear);
    EXPECT_GT(shedding_steps, 100) << calamity;
    EXPECT_GE(same, 0.9 * shedding_steps) << calamity;
    EXPECT_LT(2.5 * solves_fast, solves_linear) << calamity;
  }
}

}  // namespace
}  // namespace gridrl::env::r123
