// The restoration70 environment: conformance (in-process pools, 1 and 2 threads, sync and async),
// the episode's bookkeeping (one repair per step, reward sums to R, mask = unrepaired faults,
// radial switch states), switching actions and clear errors on bad config and actions.
#include <gtest/gtest.h>

#include "envs/restoration70/model.h"
#include "env/pool.h"
#include "env/registry.h"
#include "tests/common/conformance.h"

namespace gridrl::env {
namespace {

const ConfigOverrides kSmall = {{"faults", int64_t{6}}};

std::unique_ptr<VecEnv> Pool(const PoolOptions& o, ConfigOverrides c = kSmall) {
  auto pool = EnvPool::Make("restoration70", {c}, o);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return pool.ok() ? std::unique_ptr<VecEnv>(*std::move(pool)) : nullptr;
}

TEST(Restoration70Env, ConformanceOneThread) {
  testing::RunConformance(
      [](const PoolOptions& o) {
        PoolOptions p = o;
        p.num_threads = 1;
        return Pool(p);
      },
      [](const PoolOptions& o) { return Pool(o); }, 3, 0);
}

TEST(Restoration70Env, ConformanceTwoThreadsSyncAndAsync) {
  auto two = [](const PoolOptions& o) {
    PoolOptions p = o;
    p.num_threads = 2;
    return Pool(p);
  };
  auto ref = [](const PoolOptions& o) { return Pool(o); };
  testing::RunConformance(two, ref, 4, 0);
  testing::RunConformance(two, ref, 4, 2);
}

struct Episode {
  std::vector<std::vector<int8_t>> status;
  double initial_ciu = 0, return_sum = 0, final_area = 0;
  int steps = 0;
};

// Runs one episode repairing the lowest-index failed branch each step.
Episode RunEpisode(Env& env, uint64_t seed) {
  const EnvSpec& spec = env.spec();
  StepBatch batch;
  batch.Allocate(spec, 1, false);
  ActionBatch actions;
  actions.Allocate(spec, 1);
  env.Reset(seed, StepSlot(&batch, 0));
  Episode ep;
  ep.initial_ciu = batch.info[0].data<double>()[0];
  const size_t nb = spec.action_mask_size;
  while (!batch.terminated.data<bool>()[0]) {
    const bool* mask = reinterpret_cast<const bool*>(batch.action_mask.row(0));
    const int8_t* status = reinterpret_cast<const int8_t*>(batch.obs[0].row(0));
    ep.status.emplace_back(status, status + nb);
    int64_t a = -1;
    for (size_t k = 0; k < nb; ++k) {
      EXPECT_EQ(mask[k], status[k] == 0) << "mask = failed branches";
      if (mask[k] && a < 0) a = static_cast<int64_t>(k);
    }
    EXPECT_GE(a, 0);
    actions.leaves[spec.action_leaves.size() - 1].data<int64_t>()[0] = a;
    env.Step(ActionRow(&actions, 0), StepSlot(&batch, 0));
    ep.return_sum += batch.reward.data<double>()[0];
    ++ep.steps;
    EXPECT_LE(ep.steps, spec.max_episode_steps);
  }
  ep.final_area = batch.info[1].data<double>()[0];
  return ep;
}

TEST(Restoration70Env, EpisodeBookkeeping) {
  auto env = Registry::Global().Make("restoration70", {{"faults", int64_t{8}}});
  ASSERT_TRUE(env.ok()) << env.status();
  const EnvSpec& spec = (*env)->spec();
  EXPECT_EQ(spec.info_keys[0], "ciu_pct");
  EXPECT_EQ(spec.info_keys[1], "resilience_area");
  EXPECT_EQ(spec.action_mask_size, 76);
  Episode ep = RunEpisode(**env, 5);
  EXPECT_EQ(ep.steps, 8);
  // R = CIU(t0) dt / ((tR - t0) 100 %) + sum of rewards.
  EXPECT_NEAR(ep.final_area, ep.initial_ciu / (100.0 * 8) + ep.return_sum, 1e-12);
  EXPECT_GT(ep.final_area, 0.0);
  EXPECT_LE(ep.final_area, 1.0);
  int failed0 = 0;
  for (auto s : ep.status[0]) failed0 += s == 0;
  EXPECT_EQ(failed0, 8);
  // Same seed, same episode; another seed, another event.
  Episode again = RunEpisode(**env, 5);
  EXPECT_EQ(again.status, ep.status);
  EXPECT_EQ(again.return_sum, ep.return_sum);
  Episode other = RunEpisode(**env, 6);
  EXPECT_NE(other.status[0], ep.status[0]);
}

TEST(Restoration70Env, SwitchStatesAreRadialAndFollowTheObservation) {
  auto model = restoration70::RestorationModel::Create({});
  ASSERT_TRUE(model.ok());
  auto env = Registry::Global().Make("restoration70", {});
  ASSERT_TRUE(env.ok());
  const EnvSpec& spec = (*env)->spec();
  StepBatch batch;
  batch.Allocate(spec, 1, false);
  ActionBatch actions;
  actions.Allocate(spec, 1);
  // Leaves: branch_status, bus_served, ciu, ciu_per_input, limiting_input, switch_state, time_h.
  ASSERT_EQ(spec.obs_leaves[5].name, "switch_state");
  for (uint64_t seed : {1, 2, 3}) {
    (*env)->Reset(seed, StepSlot(&batch, 0));
    for (int step = 0; !batch.terminated.data<bool>()[0]; ++step) {
      const int8_t* status = reinterpret_cast<const int8_t*>(batch.obs[0].row(0));
      const int8_t* sw = reinterpret_cast<const int8_t*>(batch.obs[5].row(0));
      std::vector<uint8_t> avail(status, status + 76), closed(sw, sw + 76);
      ASSERT_TRUE(restoration70::CheckRadial(**model, avail, closed).ok())
          << restoration70::CheckRadial(**model, avail, closed);
      const float ciu = batch.obs[2].data<float>()[0];
      EXPECT_FLOAT_EQ(ciu, static_cast<float>(batch.info[0].data<double>()[0]));
      const bool* mask = reinterpret_cast<const bool*>(batch.action_mask.row(0));
      int64_t a = 75;
      while (!mask[a]) --a;  // highest-index failed branch
      actions.leaves[0].data<int64_t>()[0] = a;
      (*env)->Step(ActionRow(&actions, 0), StepSlot(&batch, 0));
    }
    EXPECT_FLOAT_EQ(batch.obs[2].data<float>()[0], 100.0f);  // fully repaired: CIU_N
  }
}

TEST(Restoration70Env, SwitchingActionsHoldBranchesOpen) {
  auto env = Registry::Global().Make(
      "restoration70", {{"switching_actions", true}, {"fault_list", std::vector<int64_t>{3, 40}}});
  ASSERT_TRUE(env.ok()) << env.status();
  const EnvSpec& spec = (*env)->spec();
  ASSERT_EQ(spec.action_leaves.size(), 2u);  // hold_open, repair
  StepBatch batch;
  batch.Allocate(spec, 1, false);
  ActionBatch actions;
  actions.Allocate(spec, 1);
  (*env)->Reset(1, StepSlot(&batch, 0));
  int8_t* hold = actions.leaves[0].data<int8_t>();
  hold[10] = 1;  // hold sectionaliser 10 open
  actions.leaves[1].data<int64_t>()[0] = 3;
  (*env)->Step(ActionRow(&actions, 0), StepSlot(&batch, 0));
  const int8_t* sw = reinterpret_cast<const int8_t*>(batch.obs[5].row(0));
  EXPECT_EQ(sw[10], 0);
  EXPECT_EQ(sw[3], 1);  // the repaired branch is back in the normal configuration
  const int8_t* status = reinterpret_cast<const int8_t*>(batch.obs[0].row(0));
  EXPECT_EQ(status[10], 1);  // held open, not failed
  EXPECT_EQ(status[40], 0);
}

TEST(Restoration70Env, BadConfigIsAnError) {
  auto& reg = Registry::Global();
  auto e = reg.Make("restoration70", {{"faults", int64_t{77}}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("faults"), std::string::npos) << e.status();
  e = reg.Make("restoration70", {{"faults", int64_t{70}}, {"fault_branches", std::string("sectionalisers")}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("faults"), std::string::npos) << e.status();
  e = reg.Make("restoration70", {{"fault_list", std::vector<int64_t>{1, 76}}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("fault_list[1]"), std::string::npos) << e.status();
  e = reg.Make("restoration70", {{"fault_list", std::vector<int64_t>{4, 4}}});
  ASSERT_FALSE(e.ok());
  e = reg.Make("restoration70", {{"reconfiguration", std::string("bfs")}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("reconfiguration"), std::string::npos) << e.status();
  e = reg.Make("restoration70", {{"critical_buses", std::vector<int64_t>{58, 39}}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("critical_buses"), std::string::npos) << e.status();
  e = reg.Make("restoration70", {{"vmin_pu", 1.0}, {"vmax_pu", 1.0}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("vmin_pu"), std::string::npos) << e.status();
  e = reg.Make("restoration70", {{"case", std::string("nope")}});
  ASSERT_FALSE(e.ok());
}

TEST(Restoration70Env, RepairingAHealthyBranchIsRefused) {
  PoolOptions o;
  o.num_envs = 1;
  o.seed = 3;
  auto pool = Pool(o, {{"fault_list", std::vector<int64_t>{5, 6}}});
  ASSERT_TRUE(pool->Reset().ok());
  ActionBatch a;
  a.Allocate(pool->spec(), 1);
  a.leaves[0].data<int64_t>()[0] = 7;  // healthy
  auto r = pool->Step(a);
  ASSERT_FALSE(r.ok());
  a.leaves[0].data<int64_t>()[0] = 76;  // out of range
  EXPECT_FALSE(pool->Step(a).ok());
  a.leaves[0].data<int64_t>()[0] = 5;
  auto ok = pool->Step(a);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE((*ok)->terminated.data<bool>()[0]);
}

}  // namespace
}  // namespace gridrl::env
