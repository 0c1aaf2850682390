// uc_rts96: the action set, features, heuristics and reward against hand-computed cases; spec per
// mode; same-seed trajectories through the conformance suite; clear errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "envs/uc_rts96/model.h"
#include "env/pool.h"
#include "env/registry.h"
#include "tests/common/conformance.h"

namespace gridrl::env {
namespace {

using uc::UcModel;
using uc::UcParams;
using uc::Reliability;
using uc::UcSim;

std::shared_ptr<const UcModel> Model() {
  static std::shared_ptr<const UcModel> m = [] {
    auto made = UcModel::Create(UcParams{});
    EXPECT_TRUE(made.ok()) << made.status();
    return *made;
  }();
  return m;
}

TEST(UcRts96Model, NetworkAndRecords) {
  const UcModel& m = *Model();
  EXPECT_EQ(m.num_buses(), 73);
  EXPECT_EQ(m.num_gens(), 99);
  EXPECT_EQ(m.num_branches(), 120);
  EXPECT_EQ(m.num_wind(), 4);
  EXPECT_EQ(m.num_days(), 366);  // 2020 records
  EXPECT_EQ(m.num_actions(), 15);
}

TEST(UcRts96Model, ActionSetIsPermutationSlicesBetweenBreakPoints) {
  const UcModel& m = *Model();
  // round(linspace(1, 99, 6)) = 1, 21, 40, 60, 79, 99 (1-based positions in the permutation).
  const int breaks[6] = {1, 21, 40, 60, 79, 99};
  std::vector<int> perm = m.permutation();
  std::vector<int> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 99; ++i) ASSERT_EQ(sorted[i], i);
  int a = 0;
  for (int i = 0; i < 6; ++i) {
    for (int j = i + 1; j < 6; ++j, ++a) {
      const auto& s = m.subset(a);
      ASSERT_EQ(static_cast<int>(s.size()), breaks[j] - breaks[i] + 1) << "action " << a;
      double gmax = 0, gmin = 0;
      for (int k = 0; k < static_cast<int>(s.size()); ++k) {
        EXPECT_EQ(s[k], perm[breaks[i] - 1 + k]);
        gmax += m.pmax(s[k]);
        gmin += m.pmin(s[k]);
      }
      EXPECT_DOUBLE_EQ(m.subset_pmax(a), gmax);
      EXPECT_DOUBLE_EQ(m.subset_pmin(a), gmin);
    }
  }
  // Action 4 is the pair (1, 99): every generator.
  EXPECT_EQ(m.subset(4).size(), 99u);
  // A different permutation seed gives a different action set.
  UcParams p;
  p.permutation_seed = 7;
  auto other = UcModel::Create(p);
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->permutation(), perm);
}

TEST(UcRts96Model, PricesFollowTheSpec) {
  const UcModel& m = *Model();
  EXPECT_DOUBLE_EQ(m.max_pmax(), 400.0);
  for (int g = 0; g < m.num_gens(); ++g) {
    if (m.pmax(g) == 0) {
      EXPECT_EQ(m.price(g), 1e5);  // synchronous condensers: capped
    } else {
      EXPECT_DOUBLE_EQ(m.price(g), 400.0 / m.pmax(g));
    }
  }
}

TEST(UcRts96Model, DayAheadFeaturesHandComputed) {
  const UcModel& m = *Model();
  std::vector<double> net(24, 1000.0);
  net[5] = 500.0;   // min
  net[17] = 1500.0; // max
  // avg = (22 * 1000 + 500 + 1500) / 24 = 1000.
  const int a = 0;
  const double gmax = m.subset_pmax(a), gmin = m.subset_pmin(a);
  std::vector<double> phi(19);
  m.DaFeatures(net, a, phi);
  EXPECT_EQ(phi[0], 1.0);
  EXPECT_EQ(phi[1], gmax < 1500.0 ? -1.0 : 0.0);
  EXPECT_EQ(phi[2], 500.0 < gmin ? -1.0 : 0.0);
  const double x = 2.0 * (1000.0 - gmin) / (gmax - gmin) - 1.0;
  EXPECT_NEAR(phi[3], -x * x, 1e-12);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(phi[4 + i], i == a ? 1.0 : 0.0);
  // A subset that covers nothing: demand far above every subset's capacity.
  std::vector<double> huge(24, 1e6);
  m.DaFeatures(huge, 7, phi);
  EXPECT_EQ(phi[1], -1.0);
  EXPECT_EQ(phi[2], 0.0);
  EXPECT_EQ(phi[4 + 7], 1.0);
}

TEST(UcRts96Model, HeuristicsHandComputed) {
  const UcModel& m = *Model();
  // Low demand: every subset qualifies; Cost = lowest Sum price / G^max, Elastic = largest ratio.
  std::vector<double> low(24, 10.0);
  int cost = 0, elastic = 0;
  for (int a = 1; a < 15; ++a) {
    double pa = 0, pc = 0;
    for (int g : m.subset(a)) pa += m.price(g);
    for (int g : m.subset(cost)) pc += m.price(g);
    if (pa / m.subset_pmax(a) < pc / m.subset_pmax(cost)) cost = a;
    if (m.subset_pmax(a) / m.subset_pmin(a) > m.subset_pmax(elastic) / m.subset_pmin(elastic)) {
      elastic = a;
    }
  }
  EXPECT_EQ(m.CostAction(low), cost);
  EXPECT_EQ(m.ElasticAction(low), elastic);
  // Demand between capacities: only covering subsets qualify; Random draws every one of them.
  std::vector<double> caps;
  for (int a = 0; a < 15; ++a) caps.push_back(m.subset_pmax(a));
  std::sort(caps.begin(), caps.end());
  const double mid = 0.5 * (caps[7] + caps[8]);
  std::vector<double> net(24, 0.5 * mid);
  net[12] = mid;
  const auto ok = m.QualifyingActions(net);
  std::set<int> expected, drawn;
  for (int a = 0; a < 15; ++a) {
    EXPECT_EQ(ok[a] != 0, m.subset_pmax(a) >= mid);
    if (ok[a]) expected.insert(a);
  }
  EXPECT_EQ(expected.size(), 7u);
  Rng rng(3);
  for (int i = 0; i < 400; ++i) drawn.insert(uc::RandomAction(m, net, rng));
  EXPECT_EQ(drawn, expected);
  EXPECT_TRUE(ok[m.CostAction(net)]);
  EXPECT_TRUE(ok[m.ElasticAction(net)]);
  // Nothing covers: every subset qualifies (fallback).
  std::vector<double> huge(24, 1e6);
  const auto all = m.QualifyingActions(huge);
  EXPECT_EQ(std::count(all.begin(), all.end(), 1), 15);
}

TEST(UcRts96Model, EconomicDispatchMeetsDemandWithinLimits) {
  const UcModel& m = *Model();
  const auto& committed = m.subset_mask(4);  // every unit
  std::vector<double> p(99);
  for (double target : {3200.0, 5000.0, 8000.0}) {
    m.EconomicDispatch(committed, target, p);
    double total = 0;
    for (int g = 0; g < 99; ++g) {
      EXPECT_GE(p[g], m.pmin(g) - 1e-9);
      EXPECT_LE(p[g], m.pmax(g) + 1e-9);
      total += p[g];
    }
    EXPECT_NEAR(total, target, 1e-6);
  }
  m.EconomicDispatch(committed, 100.0, p);  // below Sum Pmin: all at Pmin
  for (int g = 0; g < 99; ++g) EXPECT_EQ(p[g], m.pmin(g));
}

TEST(UcRts96Sim, RedispatchHeuristicHandComputed) {
  const UcModel& m = *Model();
  UcSim sim(Model());
  Rng rng(1);
  sim.StartEpisode(rng, 3);
  sim.Commit(0);
  const auto& committed = sim.committed();
  std::vector<double> gen(99, 0.0), demand(73, 0.0), wind(4, 0.0);
  double pmin_total = 0;
  for (int g = 0; g < 99; ++g) {
    if (committed[g]) gen[g] = m.pmin(g);
    pmin_total += committed[g] ? m.pmin(g) : 0;
  }
  // Imbalance +100 MW: the cheapest committed unit (largest Pmax) with headroom takes it.
  demand[0] = pmin_total + 100.0;
  sim.SetRealised(demand, wind);
  sim.SetGeneration(gen);
  sim.HeuristicRedispatch();
  int first = -1;
  for (int g : m.price_order()) {
    if (committed[g] && m.pmax(g) > m.pmin(g)) {
      first = g;
      break;
    }
  }
  ASSERT_GE(first, 0);
  const double up = std::min(100.0, m.pmax(first) - m.pmin(first));
  EXPECT_NEAR(sim.generation()[first], m.pmin(first) + up, 1e-9);
  double total = 0;
  for (int g = 0; g < 99; ++g) total += sim.generation()[g];
  EXPECT_NEAR(total, pmin_total + 100.0, 1e-9);
  // Imbalance -50 MW from Pmax everywhere: the cheapest unit goes down by 50.
  double pmax_total = 0;
  for (int g = 0; g < 99; ++g) {
    gen[g] = committed[g] ? m.pmax(g) : 0.0;
    pmax_total += gen[g];
  }
  demand[0] = pmax_total - 50.0;
  sim.SetRealised(demand, wind);
  sim.SetGeneration(gen);
  sim.HeuristicRedispatch();
  EXPECT_NEAR(sim.generation()[first], m.pmax(first) - std::min(50.0, m.pmax(first) - m.pmin(first)),
              1e-9);
}

TEST(UcRts96Sim, RealTimeFeaturesHandComputed) {
  UcSim sim(Model());
  Rng rng(1);
  sim.StartEpisode(rng, 2);
  sim.Commit(4);  // all units: Sum Pmax = 10215 MW
  std::vector<double> demand(73, 0.0), wind(4, 0.0), gen(99, 0.0);
  demand[0] = 3000;
  demand[1] = 1000;
  gen[0] = 10;
  gen[1] = 10;
  gen[2] = 20;
  sim.SetRealised(demand, wind);
  sim.SetGeneration(gen);
  std::vector<double> phi(15);
  sim.RtFeatures(phi);
  const double d = 4000.0 / 10215.0;
  const double ed = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)) / 73.0;
  const double eg = -(0.25 * std::log(0.25) * 2 + 0.5 * std::log(0.5)) / 99.0;
  const double u[5] = {1, d, d * d, ed, eg};
  int k = 0;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j <= i; ++j) EXPECT_NEAR(phi[k++], u[i] * u[j], 1e-12) << k;
  }
  // Wind at a demand bus lowers the effective demand only up to that bus's demand.
  const int wind_bus = Model()->wind_bus()[0];
  demand.assign(73, 0.0);
  demand[wind_bus] = 100;
  demand[0] = 900;
  wind[0] = 300;
  sim.SetRealised(demand, wind);
  EXPECT_NEAR(sim.EffectiveDemand(), 900.0 / 10215.0, 1e-12);
}

TEST(UcRts96Sim, RewardIsOneOnAnUnstressedHourAndInUnitRange) {
  UcSim sim(Model());
  Rng rng(5);
  sim.StartEpisode(rng, 3);  // 0.72 x peak demand
  sim.Commit(4);             // every unit committed
  sim.RealiseHour(rng);
  sim.LoadSchedule();
  sim.HeuristicRedispatch();
  const auto& r = sim.EvaluateReliability();
  EXPECT_EQ(r.cases, 121);
  EXPECT_EQ(r.infeasible, 0);
  EXPECT_TRUE(r.base_feasible);
  EXPECT_DOUBLE_EQ(r.reward, 1.0);
  // Bus 107 hangs on one branch: with its units decommitted its outage islands load without
  // generation, which is infeasible; a line already out is not a case.
  UcSim stressed(Model());
  stressed.StartEpisode(rng, 5);  // 1.29 x peak: more than the fleet can serve
  stressed.Commit(0);
  stressed.SetLineStatus(3, false, 2);
  stressed.RealiseHour(rng);
  stressed.LoadSchedule();
  stressed.HeuristicRedispatch();
  const auto& s = stressed.EvaluateReliability();
  EXPECT_EQ(s.outage_infeasible[3], -1);
  EXPECT_LE(s.cases, 120);
  EXPECT_GE(s.reward, 0.0);
  EXPECT_LE(s.reward, 1.0);
  EXPECT_FALSE(s.base_feasible);
  EXPECT_DOUBLE_EQ(s.reward, static_cast<double>(s.cases - s.infeasible) / s.cases);
}

TEST(UcRts96Sim, IslandWithoutCommittedGenerationIsInfeasible) {
  const UcModel& m = *Model();
  const auto& net = m.grid()->network();
  // Find a branch whose outage islands a load bus whose generators are all outside subset a.
  UcSim sim(Model());
  Rng rng(2);
  sim.StartEpisode(rng, 3);
  sim.Commit(4);
  std::vector<int> degree(73, 0);
  for (int l = 0; l < 120; ++l) {
    ++degree[m.grid()->branch_from()[l]];
    ++degree[m.grid()->branch_to()[l]];
  }
  int radial = -1, bus = -1;
  for (int l = 0; l < 120 && radial < 0; ++l) {
    for (int b : {m.grid()->branch_from()[l], m.grid()->branch_to()[l]}) {
      if (degree[b] == 1 && net.buses[b].pd_mw > 0) {
        radial = l;
        bus = b;
      }
    }
  }
  ASSERT_GE(radial, 0) << "RTS-96 has radial load buses (107, 207, 307)";
  // Decommit the units at that bus by zeroing their output and taking them out of the subset:
  // use generation 0 there and check the outage case with all units committed first (feasible).
  sim.RealiseHour(rng);
  sim.LoadSchedule();
  sim.HeuristicRedispatch();
  EXPECT_EQ(sim.EvaluateReliability().outage_infeasible[radial], 0);
  // Now pick a subset without any unit at that bus.
  int action = -1;
  for (int a = 0; a < 15 && action < 0; ++a) {
    bool has = false;
    for (int g : m.subset(a)) has = has || m.grid()->gen_bus()[g] == bus;
    if (!has && m.subset_pmax(a) > sim.net_demand_forecast()[0]) action = a;
  }
  ASSERT_GE(action, 0);
  sim.Commit(action);
  sim.LoadSchedule();
  sim.HeuristicRedispatch();
  EXPECT_EQ(sim.EvaluateReliability().outage_infeasible[radial], 1);
}

TEST(UcRts96Sim, DeficitScreenGivesTheSameCasesAsSolvingThemAll) {
  UcParams plain;
  plain.deficit_screen = false;
  auto unscreened = UcModel::Create(plain);
  ASSERT_TRUE(unscreened.ok());
  ASSERT_TRUE(Model()->lossless_bound_valid());
  int screened = 0, compared = 0;
  for (int day = 1; day <= 5; ++day) {
    for (int action : {0, 4, 9, 14}) {
      UcSim a(Model()), b(*unscreened);
      Rng ra(day * 100 + action), rb(day * 100 + action);
      a.StartEpisode(ra, day);
      b.StartEpisode(rb, day);
      a.Commit(action);
      b.Commit(action);
      for (int h = 0; h < 24; h += 3) {
        for (UcSim* s : {&a, &b}) {
          Rng& r = s == &a ? ra : rb;
          s->RealiseHour(r);
          s->LoadSchedule();
          s->HeuristicRedispatch();
        }
        const Reliability& x = a.EvaluateReliability();
        const Reliability& y = b.EvaluateReliability();
        EXPECT_EQ(y.screened, 0);
        screened += x.screened;
        ++compared;
        ASSERT_EQ(x.outage_infeasible, y.outage_infeasible)
            << "stress day " << day << " action " << action << " hour " << h;
        ASSERT_EQ(x.base_feasible, y.base_feasible);
        ASSERT_EQ(x.reward, y.reward);
        for (int k = 0; k < 3; ++k) {
          a.NextHour();
          b.NextHour();
        }
      }
    }
  }
  EXPECT_GT(screened, 0) << "the screen never fired over " << compared << " hours";
}

TEST(UcRts96Env, SpecPerMode) {
  auto da = Registry::Global().Spec("uc_rts96", {});
  ASSERT_TRUE(da.ok()) << da.status();
  EXPECT_EQ(da->action_space.kind, SpaceKind::kDiscrete);
  EXPECT_EQ(da->action_mask_size, 15);
  EXPECT_FALSE(da->enforce_action_mask);
  EXPECT_EQ(da->info_keys.size(), 10u + 120u);
  EXPECT_EQ(da->info_keys[1], "infeasible_contingencies");
  auto rt = Registry::Global().Spec("uc_rts96", {{"mode", std::string("rt")}});
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ(rt->action_space.kind, SpaceKind::kBox);
  EXPECT_EQ(rt->action_space.shape, std::vector<int64_t>{99});
  EXPECT_FALSE(rt->has_action_mask);
  EXPECT_EQ(rt->max_episode_steps, 24);
  auto hier = Registry::Global().Spec(
      "uc_rts96", {{"mode", std::string("hierarchical")}, {"days_per_episode", int64_t{3}}});
  ASSERT_TRUE(hier.ok());
  EXPECT_EQ(hier->action_space.kind, SpaceKind::kDict);
  EXPECT_EQ(hier->action_leaves.size(), 2u);
  EXPECT_EQ(hier->max_episode_steps, 72);
  std::set<std::string> names;
  for (const auto& l : hier->obs_leaves) names.insert(l.name);
  for (const char* n : {"da_features", "rt_features", "demand", "generation", "line_status",
                        "countdown", "hour", "commitment"}) {
    EXPECT_TRUE(names.contains(n)) << n;
  }
}

TEST(UcRts96Env, DayAheadStepRewardIsMeanHourlyReliability) {
  auto made = Registry::Global().Make("uc_rts96", {{"stress_day", int64_t{3}}});
  ASSERT_TRUE(made.ok());
  Env& e = **made;
  StepBatch b;
  b.Allocate(e.spec(), 1, false);
  ActionBatch a;
  a.Allocate(e.spec(), 1);
  e.Reset(9, StepSlot(&b, 0));
  a.leaves[0].data<int64_t>()[0] = 4;
  e.Step(ActionRow(&a, 0), StepSlot(&b, 0));
  const double r = b.reward.data<double>()[0];
  EXPECT_GE(r, 0.0);
  EXPECT_LE(r, 1.0);
  EXPECT_TRUE(b.truncated.data<bool>()[0]);  // one day per episode
  // Infos: infeasible cases over the day add up from the per-branch counts and the base case.
  double per_branch = 0;
  for (int l = 0; l < 120; ++l) per_branch += b.info[10 + l].data<double>()[0];
  const double infeasible = b.info[1].data<double>()[0];
  const double cases = b.info[2].data<double>()[0];
  const double base_ok = b.info[3].data<double>()[0];
  EXPECT_EQ(per_branch + (24 - base_ok), infeasible);
  EXPECT_NEAR(r, 1.0 - infeasible / cases, 1e-12);  // every hour has 121 cases here
}

TEST(UcRts96Env, RealTimeRedispatchIsClippedToLimits) {
  auto made = Registry::Global().Make("uc_rts96", {{"mode", std::string("rt")}});
  ASSERT_TRUE(made.ok());
  Env& e = **made;
  StepBatch b;
  b.Allocate(e.spec(), 1, false);
  ActionBatch a;
  a.Allocate(e.spec(), 1);
  e.Reset(4, StepSlot(&b, 0));
  float* delta = a.leaves[0].data<float>();
  for (int g = 0; g < 99; ++g) delta[g] = 400.0f;  // everything up to Pmax
  e.Step(ActionRow(&a, 0), StepSlot(&b, 0));
  // The next observation's generation is the next hour's schedule; check the step's infos.
  EXPECT_GE(b.reward.data<double>()[0], 0.0);
  EXPECT_LE(b.reward.data<double>()[0], 1.0);
  size_t gen_leaf = 0, commit_leaf = 0;
  for (size_t k = 0; k < e.spec().obs_leaves.size(); ++k) {
    if (e.spec().obs_leaves[k].name == "generation") gen_leaf = k;
    if (e.spec().obs_leaves[k].name == "commitment") commit_leaf = k;
  }
  const double* gen = b.obs[gen_leaf].data<double>();
  const int8_t* on = b.obs[commit_leaf].data<int8_t>();
  for (int g = 0; g < 99; ++g) {
    if (!on[g]) EXPECT_EQ(gen[g], 0.0);
  }
}

TEST(UcRts96Env, BadConfigsAndActionsAreErrors) {
  auto bad_mode = Registry::Global().Make("uc_rts96", {{"mode", std::string("weekly")}});
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_NE(bad_mode.status().message().find("mode"), std::string::npos);
  auto bad_psi = Registry::Global().Make(
      "uc_rts96", {{"mode", std::string("rt")},
                   {"da_policy", std::string("psi")},
                   {"da_psi", std::vector<double>{1.0, 2.0}}});
  ASSERT_FALSE(bad_psi.ok());
  EXPECT_NE(bad_psi.status().message().find("da_psi"), std::string::npos);
  auto bad_repair = Registry::Global().Make("uc_rts96", {{"repair_hours", int64_t{0}}});
  ASSERT_FALSE(bad_repair.ok());
  EXPECT_NE(bad_repair.status().message().find("repair_hours"), std::string::npos);
  auto bad_file = Registry::Global().Make("uc_rts96", {{"load_file", std::string("nope.csv")}});
  ASSERT_FALSE(bad_file.ok());
  EXPECT_NE(bad_file.status().message().find("nope.csv"), std::string::npos);
  auto bad_prob = Registry::Global().Make("uc_rts96", {{"line_failure_prob", 2.0}});
  ASSERT_FALSE(bad_prob.ok());
  EXPECT_NE(bad_prob.status().message().find("line_failure_prob"), std::string::npos);

  PoolOptions o;
  o.num_envs = 1;
  auto pool = EnvPool::Make("uc_rts96", {{{"mode", std::string("rt")}}}, o);
  ASSERT_TRUE(pool.ok()) << pool.status();
  ASSERT_TRUE((*pool)->Reset().ok());
  ActionBatch nan;
  nan.Allocate((*pool)->spec(), 1);
  nan.leaves[0].data<float>()[5] = std::nanf("");
  auto stepped = (*pool)->Step(nan);
  ASSERT_FALSE(stepped.ok());
  auto da_pool = EnvPool::Make("uc_rts96", {{}}, o);
  ASSERT_TRUE(da_pool.ok());
  ASSERT_TRUE((*da_pool)->Reset().ok());
  ActionBatch out_of_range;
  out_of_range.Allocate((*da_pool)->spec(), 1);
  out_of_range.leaves[0].data<int64_t>()[0] = 15;
  auto s = (*da_pool)->Step(out_of_range);
  ASSERT_FALSE(s.ok());
}

// Same seed, same trajectory: in-process pools with 1 and 2 threads, sync and async, against a
// single-threaded reference (rt mode: hourly steps; line failures made frequent so that repairs
// and islands appear within the recorded rows).
ConfigOverrides ConformanceConfig() {
  return {{"mode", std::string("hierarchical")}, {"line_failure_prob", 0.02}};
}

testing::VecEnvFactory Local(int threads) {
  return [threads](const PoolOptions& o) -> std::unique_ptr<VecEnv> {
    PoolOptions p = o;
    if (threads > 0) p.num_threads = threads;
    auto pool = EnvPool::Make("uc_rts96", {ConformanceConfig()}, p);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::unique_ptr<VecEnv>(*std::move(pool)) : nullptr;
  };
}

TEST(UcRts96Env, ConformanceOneThread) { testing::RunConformance(Local(1), Local(0), 2, 0); }
TEST(UcRts96Env, ConformanceTwoThreadsAsync) { testing::RunConformance(Local(2), Local(0), 3, 2); }

}  // namespace
}  // namespace gridrl::env
