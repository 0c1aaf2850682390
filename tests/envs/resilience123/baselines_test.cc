// resilience123 baselines: always-configuration-c, random within the mask, the greedy one-step
// lookahead (its choice is the best of its candidates, and looking ahead leaves the env as it
// was), reproducible episodes, and errors for bad names and foreign specs.
#include "envs/resilience123/baselines.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "env/registry.h"

namespace gridrl::agents {
namespace {

std::unique_ptr<env::Env> Make(env::ConfigOverrides o) {
  auto made = env::Registry::Global().Make("resilience123", o);
  EXPECT_TRUE(made.ok()) << made.status();
  return *std::move(made);
}

size_t InfoIndex(const env::Env& e, const std::string& key) {
  const auto& keys = e.spec().info_keys;
  return static_cast<size_t>(std::find(keys.begin(), keys.end(), key) - keys.begin());
}

TEST(Resilience123Baselines, AlwaysConfigurationKeepsItsConfigurationAndSwitches) {
  for (int c = 0; c < 6; ++c) {
    auto e = Make({{"max_steps", int64_t{6}}, {"p_normal_to_calamity", 0.0}});
    auto policy = MakeR123Policy("config" + std::to_string(c), 0);
    ASSERT_TRUE(policy.ok());
    const size_t config_key = InfoIndex(*e, "config");
    int steps = 0;
    ASSERT_TRUE(RunR123Episodes(*e, **policy, 1, 3,
                                [&](const R123StepRecord& s) {
                                  EXPECT_EQ(s.action.config, c);
                                  EXPECT_EQ(s.action.switches, env::r123::RecommendedSwitches(c));
                                  EXPECT_EQ(s.info[config_key], c);
                                  ++steps;
                                },
                                nullptr)
                    .ok());
    EXPECT_EQ(steps, 6);
  }
}

TEST(Resilience123Baselines, AlwaysConfigurationFollowsTheConfiguredRecommendation) {
  std::vector<int64_t> rec(60, 1);
  for (int e = 4; e < 10; ++e) rec[2 * 10 + e] = 0;  // configuration 2: ties open
  rec[2 * 10 + 1] = 0;                                 // and sw3 open
  auto e = Make({{"max_steps", int64_t{2}}, {"recommended_switches", rec}});
  auto policy = MakeR123Policy("config2", 0);
  ASSERT_TRUE(policy.ok());
  const std::array<uint8_t, 10> want = {1, 0, 1, 1, 0, 0, 0, 0, 0, 0};
  ASSERT_TRUE(RunR123Episodes(*e, **policy, 1, 0,
                              [&](const R123StepRecord& s) { EXPECT_EQ(s.action.switches, want); },
                              nullptr)
                  .ok());
}

TEST(Resilience123Baselines, AlwaysConfigurationKeepsTheCurrentOneWhenUnaffordable) {
  auto e = Make({{"max_steps", int64_t{3}}, {"initial_budget", 40.0}});
  auto policy = MakeR123Policy("config5", 0);
  ASSERT_TRUE(policy.ok());
  ASSERT_TRUE(RunR123Episodes(*e, **policy, 1, 0,
                              [&](const R123StepRecord& s) { EXPECT_EQ(s.action.config, 0); },
                              nullptr)
                  .ok());
}

TEST(Resilience123Baselines, RandomStaysWithinTheMask) {
  auto e = Make({{"initial_budget", 60.0}, {"calamity", std::string("hurricane")},
                 {"percolation_trials", int64_t{20}}});
  auto policy = MakeR123Policy("random", 1);
  ASSERT_TRUE(policy.ok());
  const size_t budget = InfoIndex(*e, "budget");
  int episodes = 0;
  std::set<int> configs;
  ASSERT_TRUE(RunR123Episodes(*e, **policy, 2, 0,
                              [&](const R123StepRecord& s) {
                                EXPECT_GE(s.info[budget], 0.0);
                                EXPECT_FALSE(s.terminated);
                                configs.insert(s.action.config);
                              },
                              [&](const R123EpisodeRecord& r) {
                                EXPECT_EQ(r.steps, 50);
                                ++episodes;
                              })
                  .ok());
  EXPECT_EQ(episodes, 2);
  EXPECT_GE(configs.size(), 2u);
}

TEST(Resilience123Baselines, GreedyPicksItsBestCandidateAndLeavesTheEnvAlone) {
  auto e = Make({{"calamity", std::string("hurricane")}, {"p_normal_to_calamity", 0.5},
                 {"percolation_trials", int64_t{20}}});
  auto greedy = MakeR123Policy("greedy", 0);
  ASSERT_TRUE(greedy.ok());
  env::StepBatch b, probe;
  b.Allocate(e->spec(), 1, false);
  probe.Allocate(e->spec(), 1, false);
  env::ActionBatch a;
  a.Allocate(e->spec(), 1);
  e->Reset(4, env::StepSlot(&b, 0));
  for (int t = 0; t < 6; ++t) {
    auto before = e->Clone();
    auto act = (*greedy)->Act(*e, b.obs[0].data<float>(), b.action_mask.data<bool>());
    ASSERT_TRUE(act.ok()) << act.status();
    // Every always-configuration candidate the mask allows does no better in one step.
    for (int c = 0; c < 6; ++c) {
      if (!b.action_mask.data<bool>()[c]) continue;
      R123Action alt;
      alt.config = c;
      alt.switches = env::r123::RecommendedSwitches(c);
      alt.grid = 1;
      auto trial = e->Clone();
      ASSERT_TRUE(WriteR123Action(e->spec(), alt, a, 0).ok());
      trial->Step(env::ActionRow(&a, 0), env::StepSlot(&probe, 0));
      const double alt_reward = probe.reward.data<double>()[0];
      auto chosen = e->Clone();
      ASSERT_TRUE(WriteR123Action(e->spec(), *act, a, 0).ok());
      chosen->Step(env::ActionRow(&a, 0), env::StepSlot(&probe, 0));
      EXPECT_GE(probe.reward.data<double>()[0], alt_reward) << "t " << t << " c " << c;
    }
    // Acting did not move the env: stepping the snapshot and the env give the same row.
    ASSERT_TRUE(WriteR123Action(e->spec(), *act, a, 0).ok());
    before->Step(env::ActionRow(&a, 0), env::StepSlot(&probe, 0));
    e->Step(env::ActionRow(&a, 0), env::StepSlot(&b, 0));
    EXPECT_EQ(0, std::memcmp(probe.obs[0].data<float>(), b.obs[0].data<float>(), 33 * sizeof(float)));
    EXPECT_EQ(probe.reward.data<double>()[0], b.reward.data<double>()[0]);
  }
}

TEST(Resilience123Baselines, EpisodesAreReproducible) {
  auto run = [] {
    auto e = Make({{"max_steps", int64_t{15}}, {"calamity", std::string("wildfire")},
                   {"p_normal_to_calamity", 0.3}, {"percolation_trials", int64_t{20}}});
    auto policy = MakeR123Policy("random", 9);
    std::vector<double> returns;
    EXPECT_TRUE(RunR123Episodes(*e, **policy, 3, 21, nullptr,
                                [&](const R123EpisodeRecord& r) { returns.push_back(r.episode_return); })
                    .ok());
    return returns;
  };
  EXPECT_EQ(run(), run());
}

TEST(Resilience123Baselines, BadInput) {
  auto bad = MakeR123Policy("config6", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("config6"), std::string::npos);
  auto tutorial = env::Registry::Global().Make("tutorial", {});
  ASSERT_TRUE(tutorial.ok());
  env::ActionBatch a;
  a.Allocate((*tutorial)->spec(), 1);
  EXPECT_FALSE(WriteR123Action((*tutorial)->spec(), R123Action{}, a, 0).ok());
  auto e = Make({});
  auto policy = MakeR123Policy("random", 0);
  EXPECT_FALSE(RunR123Episodes(*e, **policy, -1, 0, nullptr, nullptr).ok());
}

}  // namespace
}  // namespace gridrl::agents
