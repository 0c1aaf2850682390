// The tutorial environment's own behaviour (the pool and conformance tests use it as a vehicle).
#include <gtest/gtest.h>

#include "env/registry.h"

namespace gridrl::env {
namespace {

TEST(TutorialEnv, SpecFollowsConfig) {
  auto dict = Registry::Global().Spec("tutorial", {{"width", int64_t{4}}});
  ASSERT_TRUE(dict.ok());
  EXPECT_EQ(dict->action_space.kind, SpaceKind::kDict);
  EXPECT_EQ(dict->obs_leaves.size(), 7u);
  EXPECT_EQ(dict->action_mask_size, 5 + 3 + 2);
  // The Box bound of the x coordinate follows the width.
  EXPECT_EQ(dict->obs_leaves[0].name, "agent");
  EXPECT_EQ(dict->obs_leaves[0].space->high[0], 3.0);
  auto flat = Registry::Global().Spec("tutorial", {{"action_space", std::string("discrete")}});
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->action_space.kind, SpaceKind::kDiscrete);
  EXPECT_EQ(flat->action_mask_size, 5);
}

TEST(TutorialEnv, ReachingTheBeaconTerminatesWithTheGoalReward) {
  auto made = Registry::Global().Make(
      "tutorial", {{"action_space", std::string("discrete")}, {"step_penalty", 0.0}});
  ASSERT_TRUE(made.ok());
  Env& env = **made;
  StepBatch b;
  b.Allocate(env.spec(), 1, false);
  ActionBatch a;
  a.Allocate(env.spec(), 1);
  env.Reset(11, StepSlot(&b, 0));
  // Walk greedily: the flat observation holds the normalised offset to the beacon.
  bool reached = false;
  for (int t = 0; t < 20 && !reached; ++t) {
    const float* o = b.obs[0].data<float>();
    int64_t move = o[4] > 0 ? 2 : o[4] < 0 ? 4 : o[5] > 0 ? 1 : 3;
    a.leaves[0].data<int64_t>()[0] = move;
    env.Step(ActionRow(&a, 0), StepSlot(&b, 0));
    reached = b.terminated.data<bool>()[0];
    if (!reached) EXPECT_EQ(b.reward.data<double>()[0], 0.0);
  }
  EXPECT_TRUE(reached);
  EXPECT_EQ(b.reward.data<double>()[0], 1.0);
  EXPECT_EQ(b.info[0].data<double>()[0], 0.0);  // distance info
}

TEST(TutorialEnv, WorkDoesNotChangeResults) {
  auto plain = Registry::Global().Make("tutorial", {});
  auto busy = Registry::Global().Make("tutorial", {{"work", int64_t{200}}});
  ASSERT_TRUE(plain.ok() && busy.ok());
  StepBatch x, y;
  x.Allocate((*plain)->spec(), 1, false);
  y.Allocate((*busy)->spec(), 1, false);
  (*plain)->Reset(3, StepSlot(&x, 0));
  (*busy)->Reset(3, StepSlot(&y, 0));
  EXPECT_EQ(x.info[0].data<double>()[0], y.info[0].data<double>()[0]);
}

}  // namespace
}  // namespace gridrl::env
