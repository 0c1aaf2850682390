// ORQ: optimal against brute force on small events, at least as good as the baselines, the same
// with 1 and 2 threads, consistent with the environment's resilience area; bad input.
#include "envs/restoration70/orq.h"

#include <gtest/gtest.h>

#include "env/registry.h"

namespace gridrl::agents {
namespace {

using env::restoration70::ModelOptions;

std::shared_ptr<const RestorationModel> Model(ModelOptions o = {}) {
  auto m = RestorationModel::Create(o);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

std::vector<int> Faults(int k, uint64_t seed) {
  env::Rng rng(seed);
  std::vector<int> all(76);
  for (int i = 0; i < 76; ++i) all[i] = i;
  for (int j = 0; j < k; ++j) std::swap(all[j], all[j + rng.UniformInt(76 - j)]);
  return {all.begin(), all.begin() + k};
}

TEST(Restoration70Orq, MatchesBruteForceOnSmallEvents) {
  for (auto method : {env::restoration70::ReconfigMethod::kShortestPathTree,
                      env::restoration70::ReconfigMethod::kMinimumSpanningTree}) {
    ModelOptions o;
    o.method = method;
    auto m = Model(o);
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      const int k = 4 + static_cast<int>(seed % 3);  // 4..6 faults
      auto failed = Faults(k, seed);
      auto orq = SolveOrq(*m, failed);
      auto brute = BruteForceQueue(*m, failed);
      ASSERT_TRUE(orq.ok()) << orq.status();
      ASSERT_TRUE(brute.ok()) << brute.status();
      EXPECT_NEAR(orq->resilience, brute->resilience, 1e-6) << "seed " << seed;
      // ORQ's queue, replayed, achieves what ORQ claims.
      auto replay = EvaluateQueue(*m, failed, orq->queue);
      ASSERT_TRUE(replay.ok());
      EXPECT_NEAR(replay->resilience, orq->resilience, 1e-6);
      auto greedy = GreedyQueue(*m, failed);
      env::Rng rng(seed);
      auto random = RandomQueue(*m, failed, rng);
      EXPECT_GE(orq->resilience + 1e-9, greedy->resilience);
      EXPECT_GE(orq->resilience + 1e-9, random->resilience);
      EXPECT_DOUBLE_EQ(orq->ciu_path.back(), 100.0);
    }
  }
}

TEST(Restoration70Orq, ThreadCountDoesNotChangeTheResult) {
  auto m = Model();
  auto failed = Faults(12, 9);
  OrqOptions one, two;
  one.threads = 1;
  one.keep_tables = true;
  two.threads = 2;
  two.keep_tables = true;
  auto a = SolveOrq(*m, failed, one);
  auto b = SolveOrq(*m, failed, two);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->queue, b->queue);
  EXPECT_EQ(a->ciu, b->ciu);
  EXPECT_EQ(a->resilience, b->resilience);
  EXPECT_EQ(a->states, 4096);
  // best_to_go(0) + CIU(S_0) is the optimal sum.
  EXPECT_NEAR((a->best_to_go[0] + a->ciu[0]) / (100.0 * 12), a->resilience, 1e-9);
}

// The environment, driven with ORQ's queue on the same event, reports ORQ's R.
TEST(Restoration70Orq, EnvironmentAreaEqualsOrqResilience) {
  auto failed = Faults(10, 21);
  std::vector<int64_t> list(failed.begin(), failed.end());
  auto env = env::Registry::Global().Make("restoration70", {{"fault_list", list}});
  ASSERT_TRUE(env.ok()) << env.status();
  auto m = Model();
  auto orq = SolveOrq(*m, failed);
  ASSERT_TRUE(orq.ok());
  const auto& spec = (*env)->spec();
  env::StepBatch batch;
  batch.Allocate(spec, 1, false);
  env::ActionBatch actions;
  actions.Allocate(spec, 1);
  (*env)->Reset(0, env::StepSlot(&batch, 0));
  EXPECT_NEAR(batch.info[0].data<double>()[0], orq->ciu_path[0], 1e-4);
  for (size_t i = 0; i < orq->queue.size(); ++i) {
    actions.leaves[0].data<int64_t>()[0] = orq->queue[i];
    (*env)->Step(env::ActionRow(&actions, 0), env::StepSlot(&batch, 0));
    EXPECT_NEAR(batch.info[0].data<double>()[0], orq->ciu_path[i + 1], 1e-4) << "step " << i;
  }
  EXPECT_TRUE(batch.terminated.data<bool>()[0]);
  EXPECT_NEAR(batch.info[1].data<double>()[0], orq->resilience, 1e-6);
}

TEST(Restoration70Orq, BadEventsAreErrors) {
  auto m = Model();
  std::vector<int> dup = {1, 2, 1};
  auto r = SolveOrq(*m, dup);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("failed[2]"), std::string::npos) << r.status();
  std::vector<int> out = {1, 76};
  EXPECT_FALSE(SolveOrq(*m, out).ok());
  std::vector<int> many(25);
  for (int i = 0; i < 25; ++i) many[i] = i;
  r = SolveOrq(*m, many);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at most"), std::string::npos);
  std::vector<int> f = {1, 2, 3};
  std::vector<int> q = {1, 2, 2};
  EXPECT_FALSE(EvaluateQueue(*m, f, q).ok());
  std::vector<int> big(10);
  for (int i = 0; i < 10; ++i) big[i] = i;
  EXPECT_FALSE(BruteForceQueue(*m, big).ok());
}

}  // namespace
}  // namespace gridrl::agents
