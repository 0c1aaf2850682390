// The resilience123 environment: spec layouts, switching feasibility, calamity footprints and
// repairs, budget and mask, hand-computed economics of a calm year, determinism (alone, cloned,
// pooled with 1 and 2 threads, sync and async) and bad configuration.
#include "envs/resilience123/env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "env/pool.h"
#include "env/registry.h"
#include "tests/common/conformance.h"

namespace gridrl::env {
namespace {

using r123::kNumTactical;

struct Runner {
  std::unique_ptr<Env> env;
  StepBatch b;
  ActionBatch a;
  std::map<std::string, size_t> info;

  explicit Runner(const ConfigOverrides& overrides) {
    auto made = Registry::Global().Make("resilience123", overrides);
    EXPECT_TRUE(made.ok()) << made.status();
    env = *std::move(made);
    b.Allocate(env->spec(), 1, false);
    a.Allocate(env->spec(), 1);
    for (size_t k = 0; k < env->spec().info_keys.size(); ++k) info[env->spec().info_keys[k]] = k;
  }
  void Reset(uint64_t seed) { env->Reset(seed, StepSlot(&b, 0)); }
  // Dict layout: leaves config, grid, switches.
  void Step(int config, std::array<uint8_t, kNumTactical> sw, int grid = 1) {
    a.leaves[0].data<int64_t>()[0] = config;
    a.leaves[1].data<int64_t>()[0] = grid;
    for (int e = 0; e < kNumTactical; ++e) a.leaves[2].data<int8_t>()[e] = sw[e];
    env->Step(ActionRow(&a, 0), StepSlot(&b, 0));
  }
  double Info(const std::string& key) const { return b.info[info.at(key)].data<double>()[0]; }
  const float* Obs() const { return b.obs[0].data<float>(); }
  double Reward() const { return b.reward.data<double>()[0]; }
  bool Terminated() const { return b.terminated.data<bool>()[0]; }
  bool Truncated() const { return b.truncated.data<bool>()[0]; }
  bool Mask(int i) const { return b.action_mask.data<bool>()[i]; }
};

const std::array<uint8_t, kNumTactical> kNormal = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};

TEST(Resilience123Env, SpecLayouts) {
  auto dict = Registry::Global().Spec("resilience123", {});
  ASSERT_TRUE(dict.ok()) << dict.status();
  ASSERT_EQ(dict->obs_leaves.size(), 1u);
  EXPECT_EQ(dict->obs_leaves[0].num_elements, 33);
  ASSERT_EQ(dict->action_leaves.size(), 3u);
  EXPECT_EQ(dict->action_leaves[0].name, "config");
  EXPECT_EQ(dict->action_leaves[1].name, "grid");
  EXPECT_EQ(dict->action_leaves[2].name, "switches");
  EXPECT_EQ(dict->action_leaves[2].num_elements, 10);
  EXPECT_EQ(dict->action_mask_size, 8);
  EXPECT_EQ(dict->max_episode_steps, 50);
  EXPECT_FALSE(dict->enforce_action_mask);
  auto flat = Registry::Global().Spec("resilience123", {{"action_space", std::string("multidiscrete")}});
  ASSERT_TRUE(flat.ok()) << flat.status();
  ASSERT_EQ(flat->action_leaves.size(), 1u);
  EXPECT_EQ(flat->action_space.nvec.size(), 12u);
  EXPECT_EQ(flat->action_space.nvec[0], 6);
  EXPECT_EQ(flat->action_mask_size, 6 + 22);
  for (const char* key : {"resilience", "r_cl", "aros", "wpv", "q_c", "ic", "calamity", "budget",
                          "revenue_usd", "failure_usd", "episode_bcr", "episode_npv_usd",
                          "episode_resilience_mean", "episode_four_der_calamity_share"}) {
    EXPECT_NE(std::find(dict->info_keys.begin(), dict->info_keys.end(), key), dict->info_keys.end())
        << key;
  }
}

TEST(Resilience123Env, IntactFeederAtReset) {
  Runner r({{"p_normal_to_calamity", 0.0}});
  r.Reset(1);
  const float* o = r.Obs();
  EXPECT_EQ(o[kR123ObsWeather], 1.0f);
  EXPECT_EQ(o[kR123ObsWeather + 1], 0.0f);
  EXPECT_EQ(o[kR123ObsBudget], 1.0f);
  EXPECT_EQ(o[kR123ObsConfig], 1.0f);
  for (int e = 0; e < kNumTactical; ++e) EXPECT_EQ(o[kR123ObsSwitches + e], kNormal[e]) << e;
  EXPECT_EQ(r.Info("served_load_fraction"), 1.0);
  EXPECT_EQ(r.Info("r_cl"), 1.0);
  EXPECT_EQ(r.Info("constraint_violations"), 0.0);
  EXPECT_GT(r.Info("resilience"), 0.0);
  EXPECT_LE(r.Info("resilience"), 1.0);
  EXPECT_FLOAT_EQ(o[kR123ObsResilience], static_cast<float>(r.Info("resilience")));
  for (int c = 0; c < 6; ++c) EXPECT_TRUE(r.Mask(c)) << c;
}

TEST(Resilience123Env, TwoGridSourcesInOneIslandAreRefused) {
  Runner r({{"p_normal_to_calamity", 0.0}});
  r.Reset(2);
  const double calm = [&] {
    r.Step(0, kNormal);
    return r.Reward();
  }();
  // Closing sw7 (250-251) ties backup feeder 251 to the substation's island.
  auto tie = kNormal;
  tie[4] = 1;
  r.Step(0, tie);
  EXPECT_EQ(r.Info("infeasible_switching"), 1.0);
  EXPECT_NEAR(r.Reward(), calm - 1.0, 1e-9);
  for (int e = 0; e < kNumTactical; ++e) EXPECT_EQ(r.Obs()[kR123ObsSwitches + e], kNormal[e]);
  // Opening sw4 (60-160) first separates zones B and E: then backup 451 may feed them.
  auto island = kNormal;
  island[2] = 0;
  island[5] = 1;  // sw8 450-451
  r.Step(0, island);
  EXPECT_EQ(r.Info("infeasible_switching"), 0.0);
  EXPECT_EQ(r.Obs()[kR123ObsSwitches + 2], 0.0f);
  EXPECT_EQ(r.Obs()[kR123ObsSwitches + 5], 1.0f);
  EXPECT_EQ(r.Info("switches_changed"), 2.0);
  // Zones B and E carry more than the backup's 1000 kVA: loads are shed for the constraint, the
  // critical load at 76 (zone B) stays served.
  EXPECT_GT(r.Info("shed_for_constraints"), 0.0);
  EXPECT_LT(r.Info("served_load_fraction"), 1.0);
  EXPECT_EQ(r.Info("r_cl"), 1.0);
  EXPECT_EQ(r.Info("constraint_violations"), 0.0);
  // Both the substation and backup 451 in one island again (close sw4 too): refused.
  auto both = island;
  both[2] = 1;
  r.Step(0, both);
  EXPECT_EQ(r.Info("infeasible_switching"), 1.0);
  EXPECT_EQ(r.Obs()[kR123ObsSwitches + 2], 0.0f);
}

// Configuration 4's recommended switches (sw6 open, sw10 closed) feed zone E through 151-300 and
// leave two node-phases slightly above 1.05 pu under the fixed taps: reported, not shed (shedding
// would raise them further).
TEST(Resilience123Env, OvervoltageIsReportedNotShed) {
  Runner r({{"p_normal_to_calamity", 0.0}});
  r.Reset(12);
  r.Step(4, {1, 1, 1, 0, 0, 0, 0, 1, 0, 0});
  EXPECT_EQ(r.Info("infeasible_switching"), 0.0);
  EXPECT_EQ(r.Info("served_load_fraction"), 1.0);
  EXPECT_EQ(r.Info("shed_for_constraints"), 0.0);
  EXPECT_GT(r.Info("constraint_violations"), 0.0);
}

TEST(Resilience123Env, DerIslandServesCriticalLoadFirst) {
  Runner r({{"p_normal_to_calamity", 0.0}});
  r.Reset(3);
  // Configuration 1 brings the DER at 49 (zone C); opening sw3 (18-135) islands zone C.
  auto sw = kNormal;
  sw[1] = 0;
  r.Step(1, sw);
  EXPECT_EQ(r.Info("infeasible_switching"), 0.0);
  EXPECT_EQ(r.Info("r_cl"), 1.0);  // critical 48 (zone C) is served by the DER
  EXPECT_LT(r.Info("served_load_fraction"), 1.0);
  EXPECT_EQ(r.Info("der_supplying"), 1.0);
  // Without a DER the island is dark and critical 48 is lost: R_CL = 304 / (258 + 304).
  r.Step(0, sw);
  const double expected = 303.7 / (258.07 + 303.7);
  EXPECT_NEAR(r.Info("r_cl"), expected, 2e-3);
  EXPECT_LT(r.Info("resilience"), 1.0);
}

TEST(Resilience123Env, BudgetMaskAndEarlyEnd) {
  Runner r({{"p_normal_to_calamity", 0.0}, {"initial_budget", 100.0}});
  r.Reset(4);
  r.Step(5, kNormal);  // 100 - 75 = 25
  EXPECT_EQ(r.Info("budget"), 25.0);
  EXPECT_TRUE(r.Mask(5));   // current configuration
  EXPECT_TRUE(r.Mask(0));   // base cost 0
  EXPECT_TRUE(r.Mask(1));   // 15 <= 25
  EXPECT_FALSE(r.Mask(2));  // 28 > 25
  EXPECT_FALSE(r.Mask(4));
  EXPECT_TRUE(r.Mask(6) && r.Mask(7));  // grid values
  EXPECT_FALSE(r.Terminated());
  r.Step(4, kNormal);  // unaffordable, not enforced: 25 - 50 < 0 ends the episode
  EXPECT_TRUE(r.Terminated());
  EXPECT_FALSE(r.Truncated());
  EXPECT_EQ(r.Info("episode_end"), 1.0);
  EXPECT_LT(r.Obs()[kR123ObsBudget], 0.0f);
}

TEST(Resilience123Env, EnforcedMaskRefusesUnaffordableConfigurations) {
  auto pool = EnvPool::Make("resilience123",
                            {{{"initial_budget", 10.0}, {"enforce_mask", true}}}, PoolOptions{});
  ASSERT_TRUE(pool.ok()) << pool.status();
  ASSERT_TRUE((*pool)->Reset().ok());
  ActionBatch a;
  a.Allocate((*pool)->spec(), 1);
  a.leaves[0].data<int64_t>()[0] = 3;
  auto stepped = (*pool)->Step(a);
  EXPECT_FALSE(stepped.ok());
}

// A calm year in configuration 0 with the normal switches: Eq 31, 32, 35 by hand.
TEST(Resilience123Env, CalmYearEconomicsByHand) {
  Runner r({{"p_normal_to_calamity", 0.0}, {"max_steps", int64_t{10}}});
  r.Reset(5);
  double revenue = 0, cost = 0, resilience = 0;
  for (int t = 0; t < 10; ++t) {
    r.Step(0, kNormal);
    const double capital = (50000 + 12 * (1500 + 2500 + 2000)) / 5.0 / 10.0;  // per step
    const double operational = 12 * 2 * 1.0 + 12 * 0.5 + 30 + 5;
    const double rr = r.Info("resilience");
    const double step_revenue = 2000 / (10 / 12.0) + 1000 * std::max(0.0, rr - 0.5);
    EXPECT_NEAR(r.Info("capital_usd"), capital, 1e-9);
    EXPECT_NEAR(r.Info("operational_usd"), operational, 1e-9);
    EXPECT_NEAR(r.Info("failure_usd"), 0.0, 1e-12);
    EXPECT_NEAR(r.Info("revenue_usd"), step_revenue, 1e-9);
    EXPECT_EQ(r.Info("risk_reduction_usd"), 0.0);
    EXPECT_NEAR(r.Info("resilience_value_usd"), rr * 50 * 100, 1e-9);
    // Normal reward: R - 0.5 C_op / 1000 - 0.5 C_cap / 1000 (no switch changed).
    EXPECT_NEAR(r.Reward(), rr - 0.5 * operational / 1000 - 0.5 * capital / 1000, 1e-9);
    revenue += step_revenue;
    cost += operational;
    resilience += rr;
    EXPECT_EQ(r.Truncated(), t == 9);
  }
  const double yearly_cost = cost + (50000 + 72000) / 5.0 + 30000;
  const double total_cost = 5 * yearly_cost;
  EXPECT_NEAR(r.Info("episode_total_cost_usd"), total_cost, 1e-6);
  EXPECT_NEAR(r.Info("episode_bcr"), 5 * revenue / total_cost, 1e-9);
  EXPECT_NEAR(r.Info("episode_net_benefit_usd"), 5 * revenue - total_cost, 1e-6);
  double npv = -150000;
  for (int y = 1; y <= 5; ++y) npv += (revenue - yearly_cost) * std::pow(1.03, y - 1) / std::pow(1.03, y);
  EXPECT_NEAR(r.Info("episode_npv_usd"), npv, 1e-6);
  EXPECT_NEAR(r.Info("episode_resilience_mean"), resilience / 10, 1e-12);
  EXPECT_EQ(r.Info("episode_four_der_calamity_share"), 0.0);
}

TEST(Resilience123Env, HurricaneWithCertainFailureDarkensTheFeeder) {
  Runner r({{"calamity", std::string("hurricane")},
            {"p_normal_to_calamity", 1.0},
            {"hurricane_line_failure_p", 1.0}});
  r.Reset(6);
  r.Step(4, kNormal);  // normal step; the weather turns
  EXPECT_EQ(r.Info("calamity"), 0.0);
  EXPECT_EQ(r.Obs()[kR123ObsWeather + 1], 1.0f);
  r.Step(4, kNormal);
  EXPECT_EQ(r.Info("calamity"), 1.0);
  EXPECT_EQ(r.Info("failed_lines"), r.Info("new_failed_lines"));
  EXPECT_GT(r.Info("failed_lines"), 100.0);
  for (int z = 0; z < 5; ++z) EXPECT_EQ(r.Obs()[kR123ObsZoneFailed + z], 1.0f) << z;
  // Every line is down: only the DER buses' own loads could be served; 48 and 76 have no DER.
  EXPECT_EQ(r.Info("r_cl"), 0.0);
  EXPECT_LT(r.Info("served_load_fraction"), 0.1);
  EXPECT_GT(r.Info("failure_usd"), 0.0);
  EXPECT_LT(r.Info("risk_reduction_usd"), 0.0 + 1e-12);
}

TEST(Resilience123Env, FloodHitsOnlyZonesCAndE) {
  Runner r({{"calamity", std::string("flood")},
            {"p_normal_to_calamity", 1.0},
            {"p_calamity_to_calamity", 1.0},
            {"flood_line_failure_p", 1.0}});
  r.Reset(7);
  r.Step(0, kNormal);
  r.Step(0, kNormal);
  const float* o = r.Obs();
  EXPECT_EQ(o[kR123ObsZoneFailed + 0], 0.0f);
  EXPECT_EQ(o[kR123ObsZoneFailed + 1], 0.0f);
  EXPECT_EQ(o[kR123ObsZoneFailed + 2], 1.0f);
  EXPECT_EQ(o[kR123ObsZoneFailed + 3], 0.0f);
  EXPECT_EQ(o[kR123ObsZoneFailed + 4], 1.0f);
  // No repair while flooded.
  for (int t = 0; t < 6; ++t) r.Step(0, kNormal);
  EXPECT_EQ(r.Obs()[kR123ObsZoneFailed + 2], 1.0f);
}

TEST(Resilience123Env, WildfireStartsInZoneBOrD) {
  for (uint64_t seed = 0; seed < 6; ++seed) {
    Runner r({{"calamity", std::string("wildfire")},
              {"p_normal_to_calamity", 1.0},
              {"p_calamity_to_calamity", 1.0}});
    r.Reset(seed);
    r.Step(0, kNormal);
    r.Step(0, kNormal);  // onset: one bus burns, its lines fail
    const float* o = r.Obs();
    EXPECT_EQ(o[kR123ObsZoneFailed + 0], 0.0f);
    EXPECT_EQ(o[kR123ObsZoneFailed + 2], 0.0f);
    EXPECT_EQ(o[kR123ObsZoneFailed + 4], 0.0f);
    EXPECT_GT(o[kR123ObsZoneFailed + 1] + o[kR123ObsZoneFailed + 3], 0.0f) << seed;
  }
}

TEST(Resilience123Env, ShortCircuitFaultsOneLineAndIsRepairedAfterFourSteps) {
  Runner r({{"calamity", std::string("short_circuit")},
            {"p_normal_to_calamity", 1.0},
            {"p_calamity_to_calamity", 1.0}});
  r.Reset(8);
  r.Step(0, kNormal);
  r.Step(0, kNormal);  // onset
  EXPECT_EQ(r.Info("new_failed_lines"), 1.0);
  EXPECT_EQ(r.Info("failed_lines"), 1.0);
  // The nearest upstream switch cleared the fault: some load is lost.
  EXPECT_LT(r.Info("served_load_fraction"), 1.0);
  for (int k = 0; k < 3; ++k) {
    r.Step(0, kNormal);
    EXPECT_EQ(r.Info("failed_lines"), 1.0) << k;
  }
  r.Step(0, kNormal);
  EXPECT_EQ(r.Info("failed_lines"), 0.0);
}

TEST(Resilience123Env, SameSeedSameTrajectoryAndCloneRestore) {
  ConfigOverrides cfg = {{"calamity", std::string("hurricane")}, {"p_normal_to_calamity", 0.4}};
  Runner x(cfg), y(cfg);
  x.Reset(9);
  y.Reset(9);
  std::unique_ptr<Env> snapshot;
  for (int t = 0; t < 30; ++t) {
    std::array<uint8_t, kNumTactical> sw = kNormal;
    sw[(t * 3) % kNumTactical] ^= 1;
    const int config = (t / 5) % 6;
    if (t == 10) snapshot = x.env->Clone();
    x.Step(config, sw, t % 2);
    y.Step(config, sw, t % 2);
    ASSERT_EQ(testing::RowBytes(x.b, 0, false), testing::RowBytes(y.b, 0, false)) << t;
  }
  // Restoring the snapshot and replaying steps 10.. reproduces x's rows.
  Runner z(cfg);
  z.Reset(100);
  z.env->RestoreFrom(*snapshot);
  Runner w(cfg);
  w.Reset(9);
  for (int t = 0; t < 30; ++t) {
    std::array<uint8_t, kNumTactical> sw = kNormal;
    sw[(t * 3) % kNumTactical] ^= 1;
    const int config = (t / 5) % 6;
    w.Step(config, sw, t % 2);
    if (t >= 10) {
      z.Step(config, sw, t % 2);
      ASSERT_EQ(testing::RowBytes(z.b, 0, false), testing::RowBytes(w.b, 0, false)) << t;
    }
  }
}

TEST(Resilience123Env, MultiDiscreteMatchesDict) {
  Runner d({{"calamity", std::string("hurricane")}});
  Runner f({{"calamity", std::string("hurricane")}, {"action_space", std::string("multidiscrete")}});
  d.Reset(10);
  f.Reset(10);
  for (int t = 0; t < 20; ++t) {
    std::array<uint8_t, kNumTactical> sw = kNormal;
    sw[t % kNumTactical] ^= 1;
    const int config = t % 6, grid = (t / 3) % 2;
    d.Step(config, sw, grid);
    int64_t* a = f.a.leaves[0].data<int64_t>();
    a[0] = config;
    for (int e = 0; e < kNumTactical; ++e) a[1 + e] = sw[e];
    a[11] = grid;
    f.env->Step(ActionRow(&f.a, 0), StepSlot(&f.b, 0));
    ASSERT_EQ(0, std::memcmp(d.Obs(), f.Obs(), 33 * sizeof(float))) << t;
    ASSERT_EQ(d.Reward(), f.Reward()) << t;
  }
}

TEST(Resilience123Env, BadConfigIsAnErrorNamingTheField) {
  auto bad_type = Registry::Global().Make("resilience123", {{"calamity", std::string("tornado")}});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("calamity"), std::string::npos);
  auto bad_list = Registry::Global().Make("resilience123",
                                          {{"config_base_cost", std::vector<double>{0, 1, 2}}});
  ASSERT_FALSE(bad_list.ok());
  EXPECT_NE(bad_list.status().message().find("config_base_cost"), std::string::npos);
  auto bad_feeder = Registry::Global().Make("resilience123", {{"feeder", std::string("nope")}});
  ASSERT_FALSE(bad_feeder.ok());
  EXPECT_NE(bad_feeder.status().message().find("feeder"), std::string::npos);
  auto bad_p = Registry::Global().Make("resilience123", {{"p_normal_to_calamity", 1.5}});
  ASSERT_FALSE(bad_p.ok());
  EXPECT_NE(bad_p.status().message().find("p_normal_to_calamity"), std::string::npos);
  auto bad_rec = Registry::Global().Make(
      "resilience123", {{"recommended_switches", std::vector<int64_t>{1, 0, 1}}});
  ASSERT_FALSE(bad_rec.ok());
  EXPECT_NE(bad_rec.status().message().find("recommended_switches"), std::string::npos);
  std::vector<double> inconsistent = {1, 9, 1.0 / 9, 9, 9, 1.0 / 9, 1, 9, 1.0 / 9, 9, 9, 1.0 / 9, 1,
                                      9, 1.0 / 9, 1.0 / 9, 9, 1.0 / 9, 1, 9, 1.0 / 9, 1.0 / 9, 9,
                                      1.0 / 9, 1};
  auto bad_ahp = Registry::Global().Make("resilience123", {{"ahp_pairwise", inconsistent}});
  ASSERT_FALSE(bad_ahp.ok());  // consistency ratio far above 0.1
  auto short_ahp = Registry::Global().Make("resilience123", {{"ahp_pairwise", std::vector<double>{1}}});
  ASSERT_FALSE(short_ahp.ok());
  EXPECT_NE(short_ahp.status().message().find("ahp_pairwise"), std::string::npos);
  auto bad_v = Registry::Global().Make("resilience123", {{"vmin_pu", 1.1}, {"vmax_pu", 1.0}});
  ASSERT_FALSE(bad_v.ok());
  EXPECT_NE(bad_v.status().message().find("vmin_pu"), std::string::npos);
}

TEST(Resilience123Env, BadActionIsRefusedByThePool) {
  auto pool = EnvPool::Make("resilience123", {{}}, PoolOptions{});
  ASSERT_TRUE(pool.ok()) << pool.status();
  ASSERT_TRUE((*pool)->Reset().ok());
  ActionBatch a;
  a.Allocate((*pool)->spec(), 1);
  a.leaves[0].data<int64_t>()[0] = 6;  // no configuration 6
  auto stepped = (*pool)->Step(a);
  ASSERT_FALSE(stepped.ok());
  EXPECT_NE(stepped.status().message().find("config"), std::string::npos) << stepped.status();
  a.leaves[0].data<int64_t>()[0] = 0;
  a.leaves[2].data<int8_t>()[3] = 2;  // not binary
  EXPECT_FALSE((*pool)->Step(a).ok());
}

const ConfigOverrides kConformance = {{"max_steps", int64_t{12}},
                                      {"calamity", std::string("hurricane")},
                                      {"p_normal_to_calamity", 0.5},
                                      {"percolation_trials", int64_t{20}}};

::gridrl::testing::VecEnvFactory R123PoolFactory(int threads) {
  return [threads](const PoolOptions& o) -> std::unique_ptr<VecEnv> {
    PoolOptions options = o;
    options.num_threads = threads;
    auto pool = EnvPool::Make("resilience123", {kConformance}, options);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::unique_ptr<VecEnv>(*std::move(pool)) : nullptr;
  };
}

TEST(Resilience123Conformance, OneThreadSync) {
  testing::RunConformance(R123PoolFactory(1), R123PoolFactory(1), 3, 0);
}
TEST(Resilience123Conformance, TwoThreadsSync) {
  testing::RunConformance(R123PoolFactory(2), R123PoolFactory(1), 3, 0);
}
TEST(Resilience123Conformance, TwoThreadsAsync) {
  testing::RunConformance(R123PoolFactory(2), R123PoolFactory(1), 4, 2);
}
TEST(Resilience123Conformance, OneThreadAsync) {
  testing::RunConformance(R123PoolFactory(1), R123PoolFactory(1), 4, 2);
}

}  // namespace
}  // namespace gridrl::env
