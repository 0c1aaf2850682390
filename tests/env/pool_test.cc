// EnvPool: seeding, threading, async batching, the three autoreset modes, snapshots, bad input.
#include "env/pool.h"

#include <gtest/gtest.h>

#include "tests/common/conformance.h"

namespace gridrl::env {
namespace {

using ::gridrl::testing::PolicyRow;
using ::gridrl::testing::RecordPerEnv;
using ::gridrl::testing::RowBytes;

const ConfigOverrides kShortEpisodes = {{"max_steps", int64_t{12}}};

std::unique_ptr<EnvPool> MakePool(PoolOptions options,
                                  std::vector<ConfigOverrides> configs = {kShortEpisodes}) {
  auto pool = EnvPool::Make("tutorial", configs, options);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return pool.ok() ? *std::move(pool) : nullptr;
}

::gridrl::testing::VecEnvFactory PoolFactory(int threads) {
  return [threads](const PoolOptions& o) -> std::unique_ptr<VecEnv> {
    PoolOptions options = o;
    options.num_threads = threads;
    return MakePool(options);
  };
}

TEST(PoolConformance, OneThreadSync) { testing::RunConformance(PoolFactory(1), PoolFactory(1), 5, 0); }
TEST(PoolConformance, TwoThreadsSync) { testing::RunConformance(PoolFactory(2), PoolFactory(1), 5, 0); }
TEST(PoolConformance, OneThreadAsync) { testing::RunConformance(PoolFactory(1), PoolFactory(1), 6, 2); }
TEST(PoolConformance, TwoThreadsAsync) { testing::RunConformance(PoolFactory(2), PoolFactory(1), 7, 3); }

// The conformance baseline: each env stepped alone through the Env interface, with NEXT_STEP
// autoreset done by hand, gives exactly the pool's rows, step after step.
TEST(Pool, MatchesSingleEnvLoop) {
  constexpr int kEnvs = 3, kSteps = 60;
  PoolOptions options;
  options.num_envs = kEnvs;
  options.seed = 99;
  options.num_threads = 2;
  auto pool = MakePool(options);
  auto batch = pool->Reset();
  ASSERT_TRUE(batch.ok());
  std::vector<std::unique_ptr<Env>> envs;
  std::vector<StepBatch> rows(kEnvs);
  std::vector<bool> ended(kEnvs, false);
  std::vector<int32_t> elapsed(kEnvs, 0);
  for (int32_t i = 0; i < kEnvs; ++i) {
    envs.push_back(*Registry::Global().Make("tutorial", kShortEpisodes));
    rows[i].Allocate(envs[i]->spec(), 1, false);
    envs[i]->Reset(99 + i, StepSlot(&rows[i], 0));
    rows[i].env_id.data<int32_t>()[0] = i;
    ASSERT_EQ(RowBytes(rows[i], 0, false), RowBytes(**batch, i, false)) << "reset of env " << i;
  }
  ActionBatch actions, one;
  actions.Allocate(pool->spec(), kEnvs);
  one.Allocate(pool->spec(), 1);
  int episode_ends = 0;
  for (int t = 0; t < kSteps; ++t) {
    for (int32_t i = 0; i < kEnvs; ++i) {
      PolicyRow(pool->spec(), i, t, reinterpret_cast<const bool*>(rows[i].action_mask.row(0)),
                actions, i);
    }
    batch = pool->Step(actions);
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (int32_t i = 0; i < kEnvs; ++i) {
      StepSlot slot(&rows[i], 0);
      if (ended[i]) {
        envs[i]->Reset(std::nullopt, slot);
        elapsed[i] = 0;
      } else {
        for (size_t k = 0; k < actions.leaves.size(); ++k) {
          std::memcpy(one.leaves[k].row(0), actions.leaves[k].row(i), actions.leaves[k].row_bytes());
        }
        envs[i]->Step(ActionRow(&one, 0), slot);
        ++elapsed[i];
      }
      ended[i] = slot.terminated() || slot.truncated();
      episode_ends += ended[i];
      rows[i].elapsed_step.data<int32_t>()[0] = elapsed[i];
      ASSERT_EQ(RowBytes(rows[i], 0, false), RowBytes(**batch, i, false))
          << "env " << i << " step " << t;
    }
  }
  EXPECT_GE(episode_ends, kEnvs);  // the comparison crossed episode boundaries
}

TEST(Pool, PerEnvSeedsMatchABaseSeed) {
  PoolOptions options;
  options.num_envs = 3;
  auto pool = MakePool(options);
  auto base = pool->Reset(100);
  ASSERT_TRUE(base.ok());
  std::vector<std::string> expected;
  for (int r = 0; r < 3; ++r) expected.push_back(RowBytes(**base, r, false));
  const std::vector<uint64_t> seeds = {100, 101, 102};
  ASSERT_TRUE(pool->SendResetWithSeeds({}, seeds).ok());
  auto same = pool->Recv();
  ASSERT_TRUE(same.ok());
  for (int r = 0; r < 3; ++r) EXPECT_EQ(RowBytes(**same, r, false), expected[r]);
  // Reversed seeds for ids {2, 0}: env 2 now starts like env 0 did (apart from its id).
  const std::vector<int32_t> ids = {2, 0};
  const std::vector<uint64_t> swapped = {100, 102};
  ASSERT_TRUE(pool->SendResetWithSeeds(ids, swapped).ok());
  auto moved = pool->Recv();
  ASSERT_TRUE(moved.ok());
  ASSERT_EQ((*moved)->size(), 2);
  // Rows come back in env-id order: row 1 is env 2, reseeded with env 0's original seed.
  ASSERT_EQ((*moved)->env_id.data<int32_t>()[1], 2);
  for (size_t k = 0; k < (*moved)->obs.size(); ++k) {
    EXPECT_EQ(0, std::memcmp((*moved)->obs[k].row(1), expected[0].data(),
                             (*moved)->obs[k].row_bytes()))
        << "leaf " << k;
    expected[0].erase(0, (*moved)->obs[k].row_bytes());
  }
  const std::vector<uint64_t> too_few = {1};
  EXPECT_EQ(pool->SendResetWithSeeds({}, too_few).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Pool, NextStepResetsOnTheStepAfterTheEnd) {
  PoolOptions options;
  options.num_envs = 2;
  options.autoreset = AutoresetMode::kNextStep;
  auto pool = MakePool(options);
  auto batch = pool->Reset();
  ASSERT_TRUE(batch.ok());
  ActionBatch actions;
  actions.Allocate(pool->spec(), 2);
  std::vector<bool> ended(2, false);
  int resets_seen = 0;
  for (int t = 0; t < 40; ++t) {
    for (int r = 0; r < 2; ++r) {
      PolicyRow(pool->spec(), r, t, reinterpret_cast<const bool*>((*batch)->action_mask.row(r)),
                actions, r);
    }
    batch = pool->Step(actions);
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (int r = 0; r < 2; ++r) {
      const StepBatch& b = **batch;
      if (ended[r]) {  // this step was the reset: zero reward, no flags, elapsed 0
        EXPECT_EQ(b.reward.data<double>()[r], 0.0);
        EXPECT_FALSE(b.terminated.data<bool>()[r]);
        EXPECT_FALSE(b.truncated.data<bool>()[r]);
        EXPECT_EQ(b.elapsed_step.data<int32_t>()[r], 0);
        ++resets_seen;
      } else {
        EXPECT_GT(b.elapsed_step.data<int32_t>()[r], 0);
      }
      ended[r] = b.terminated.data<bool>()[r] || b.truncated.data<bool>()[r];
    }
  }
  EXPECT_GE(resets_seen, 2);
}

// SAME_STEP's (observation, final observation) at an episode end must equal what DISABLED shows:
// the terminal observation, then the observation of the reset that follows.
TEST(Pool, SameStepMatchesDisabledPlusReset) {
  PoolOptions options;
  options.num_envs = 3;
  options.seed = 5;
  options.autoreset = AutoresetMode::kSameStep;
  auto same = MakePool(options);
  options.autoreset = AutoresetMode::kDisabled;
  auto manual = MakePool(options);
  auto a = same->Reset();
  auto b = manual->Reset();
  ASSERT_TRUE(a.ok() && b.ok());
  ActionBatch actions;
  actions.Allocate(same->spec(), 3);
  int ends = 0;
  for (int t = 0; t < 60; ++t) {
    for (int r = 0; r < 3; ++r) {
      PolicyRow(same->spec(), r, t, reinterpret_cast<const bool*>((*a)->action_mask.row(r)),
                actions, r);
    }
    a = same->Step(actions);
    b = manual->Step(actions);
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
    const StepBatch& sa = **a;
    const StepBatch& sb = **b;
    std::vector<int32_t> to_reset;
    for (int r = 0; r < 3; ++r) {
      ASSERT_EQ(sa.reward.data<double>()[r], sb.reward.data<double>()[r]);
      ASSERT_EQ(sa.terminated.data<bool>()[r], sb.terminated.data<bool>()[r]);
      ASSERT_EQ(sa.truncated.data<bool>()[r], sb.truncated.data<bool>()[r]);
      if (sa.terminated.data<bool>()[r] || sa.truncated.data<bool>()[r]) {
        for (size_t k = 0; k < sa.obs.size(); ++k) {
          ASSERT_EQ(0, std::memcmp(sa.final_obs[k].row(r), sb.obs[k].row(r), sb.obs[k].row_bytes()));
        }
        EXPECT_EQ(sa.elapsed_step.data<int32_t>()[r], 0);
        to_reset.push_back(r);
        ++ends;
      } else {
        for (size_t k = 0; k < sa.obs.size(); ++k) {
          ASSERT_EQ(0, std::memcmp(sa.obs[k].row(r), sb.obs[k].row(r), sb.obs[k].row_bytes()));
        }
      }
    }
    if (!to_reset.empty()) {
      // A step on an ended env is refused while autoreset is disabled.
      auto refused = manual->Step(actions);
      EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
      auto reset = manual->Reset(std::nullopt, to_reset);
      ASSERT_TRUE(reset.ok()) << reset.status();
      for (size_t j = 0; j < to_reset.size(); ++j) {
        int r = to_reset[j];
        for (size_t k = 0; k < sa.obs.size(); ++k) {
          ASSERT_EQ(0, std::memcmp(sa.obs[k].row(r), (*reset)->obs[k].row(j),
                                   sa.obs[k].row_bytes()));
        }
      }
      b = manual->Recv();  // nothing in flight: an error, and the pool is unchanged
      EXPECT_FALSE(b.ok());
      // Continue from the SAME_STEP pool's rows (identical by now).
      b = a;
    }
  }
  EXPECT_GE(ends, 3);
}

TEST(Pool, ThreadCountDoesNotChangeResults) {
  for (int64_t n : {1, 4, 9}) {
    PoolOptions options;
    options.num_envs = n;
    options.seed = 42;
    options.num_threads = 1;
    auto one = MakePool(options);
    options.num_threads = 2;
    auto two = MakePool(options);
    EXPECT_EQ(RecordPerEnv(*one, 40, std::nullopt), RecordPerEnv(*two, 40, std::nullopt));
  }
}

TEST(Pool, HeterogeneousConfigsShareAPoolWhenSpacesAgree) {
  PoolOptions options;
  options.num_envs = 2;
  auto ok = EnvPool::Make("tutorial",
                          {{{"step_penalty", 0.0}}, {{"step_penalty", 0.05}}}, options);
  ASSERT_TRUE(ok.ok()) << ok.status();
  auto bad = EnvPool::Make("tutorial", {{{"width", int64_t{4}}}, {{"width", int64_t{8}}}}, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("env 1"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("observation space"), std::string::npos);
}

TEST(Pool, SnapshotRestoresTrajectory) {
  PoolOptions options;
  options.num_envs = 2;
  options.seed = 3;
  auto pool = MakePool(options);
  ASSERT_TRUE(pool->Reset().ok());
  ActionBatch actions;
  actions.Allocate(pool->spec(), 2);
  auto step = [&](int t) {
    for (int r = 0; r < 2; ++r) PolicyRow(pool->spec(), r, t, nullptr, actions, r);
    // Move "stay" is always allowed, so a mask-free policy needs the mask honoured: use stay.
    for (int r = 0; r < 2; ++r) actions.leaves[0].data<int64_t>()[r] = 0;
    auto b = pool->Step(actions);
    EXPECT_TRUE(b.ok()) << b.status();
    return RowBytes(**b, 0, false) + RowBytes(**b, 1, false);
  };
  step(0);
  auto snap = pool->SaveState({});
  ASSERT_TRUE(snap.ok());
  std::vector<std::string> first;
  for (int t = 1; t < 6; ++t) first.push_back(step(t));
  ASSERT_TRUE(pool->RestoreState(*snap).ok());
  for (int t = 1; t < 6; ++t) EXPECT_EQ(step(t), first[t - 1]) << "t=" << t;
  EXPECT_TRUE(pool->ReleaseState(*snap).ok());
  EXPECT_EQ(pool->RestoreState(*snap).status().code(), absl::StatusCode::kNotFound);
}

TEST(PoolBadInput, ErrorsNameTheProblemAndChangeNothing) {
  PoolOptions options;
  options.num_envs = 2;
  auto pool = MakePool(options);
  ActionBatch actions;
  actions.Allocate(pool->spec(), 2);
  // Before any reset.
  auto s = pool->Send(actions, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("reset"), std::string::npos) << s;
  ASSERT_TRUE(pool->Reset().ok());
  // Wrong number of rows.
  ActionBatch three;
  three.Allocate(pool->spec(), 3);
  s = pool->Send(three, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("shape"), std::string::npos) << s;
  // Wrong dtype.
  ActionBatch wrong = actions;
  wrong.leaves[0].Reset(DType::kFloat32, {2});
  s = pool->Send(wrong, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'move'"), std::string::npos) << s;
  EXPECT_NE(s.message().find("float32"), std::string::npos) << s;
  // Out-of-range Discrete.
  ActionBatch bad = actions;
  bad.leaves[0].data<int64_t>()[1] = 9;
  s = pool->Send(bad, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("env 1"), std::string::npos) << s;
  // NaN in the Box leaf (throttle is the last leaf).
  bad = actions;
  bad.leaves[3].data<float>()[0] = std::nanf("");
  s = pool->Send(bad, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("throttle"), std::string::npos) << s;
  EXPECT_NE(s.message().find("not finite"), std::string::npos) << s;
  // Unknown env id and duplicates.
  std::vector<int32_t> ids = {0, 5};
  s = pool->Send(actions, ids);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  ids = {1, 1};
  s = pool->Send(actions, ids);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // The pool is still usable after all of that.
  EXPECT_TRUE(pool->Step(actions).ok());
}

TEST(PoolBadInput, MaskedActionIsRefused) {
  PoolOptions options;
  options.num_envs = 1;
  auto pool = MakePool(options, {{{"width", int64_t{2}}, {"height", int64_t{2}}}});
  auto b = pool->Reset();
  ASSERT_TRUE(b.ok());
  const bool* mask = reinterpret_cast<const bool*>((*b)->action_mask.row(0));
  int masked = -1;
  for (int m = 0; m < 5; ++m) {
    if (!mask[m]) masked = m;
  }
  ASSERT_GE(masked, 1);  // on a 2x2 grid two directions are always walls
  ActionBatch actions;
  actions.Allocate(pool->spec(), 1);
  actions.leaves[0].data<int64_t>()[0] = masked;
  auto s = pool->Send(actions, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("masked"), std::string::npos) << s;
}

TEST(PoolBadInput, OptionsAreChecked) {
  PoolOptions options;
  options.num_envs = 0;
  EXPECT_FALSE(EnvPool::Make("tutorial", {}, options).ok());
  options.num_envs = 2;
  options.batch_size = 3;
  EXPECT_FALSE(EnvPool::Make("tutorial", {}, options).ok());
  options.batch_size = 0;
  auto unknown = EnvPool::Make("no_such_env", {}, options);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("tutorial"), std::string::npos);
  auto bad_key = EnvPool::Make("tutorial", {{{"widht", int64_t{3}}}}, options);
  EXPECT_EQ(bad_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_key.status().message().find("widht"), std::string::npos);
}

}  // namespace
}  // namespace gridrl::env
