// PPO end to end on the tutorial environment: it learns the flat (Discrete, masked) task to a
// fixed return within a bounded number of steps, trains with every head on the Dict task, is
// bit-for-bit deterministic, and its checkpoints round-trip exactly (a resumed run equals an
// uninterrupted one).
#include "agents/ppo.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "env/pool.h"
#include "env/registry.h"

namespace gridrl::agents {
namespace {

const env::ConfigOverrides kFlat = {{"action_space", std::string("discrete")},
                                    {"width", int64_t{5}},
                                    {"height", int64_t{5}},
                                    {"max_steps", int64_t{30}}};

std::unique_ptr<env::EnvPool> Pool(const env::ConfigOverrides& config, int64_t num_envs,
                                   int threads, env::AutoresetMode mode,
                                   uint64_t seed = 0) {
  env::PoolOptions o;
  o.num_envs = num_envs;
  o.num_threads = threads;
  o.seed = seed;
  o.autoreset = mode;
  auto pool = env::EnvPool::Make("tutorial", {config}, o);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return *std::move(pool);
}

PpoConfig SmallConfig(uint64_t seed) {
  PpoConfig c;
  c.seed = seed;
  c.rollout_steps = 64;
  c.epochs = 4;
  c.minibatch_size = 64;
  c.learning_rate = 1e-3;
  return c;
}

double MeanReward(const std::vector<EpisodeRecord>& episodes) {
  double sum = 0.0;
  for (const auto& e : episodes) sum += e.reward;
  return sum / static_cast<double>(episodes.size());
}

// The random policy's mean return on this 5x5 task is about 0.2; the shortest path's about 0.97.
// PPO must reach a deterministic-policy mean of 0.9 within 400 episodes (under 20k steps) for
// each of three seeds.
TEST(Ppo, LearnsTheTutorialTaskWithinABoundedNumberOfSteps) {
  for (uint64_t seed : {1, 2, 3}) {
    auto pool = Pool(kFlat, 8, 1, env::AutoresetMode::kSameStep);
    auto trainer = PpoTrainer::Make(pool.get(), SmallConfig(seed));
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    auto eval_pool = Pool(kFlat, 4, 1, env::AutoresetMode::kSameStep);
    auto before = (*trainer)->Evaluate(eval_pool.get(), 40, false, 99);
    ASSERT_TRUE(before.ok()) << before.status();
    PpoTrainer::TrainOptions t;
    t.episodes = 400;
    ASSERT_TRUE((*trainer)->Train(t).ok());
    EXPECT_LE((*trainer)->total_steps(), 20000) << "seed " << seed;
    auto after = (*trainer)->Evaluate(eval_pool.get(), 40, true, 99);
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->size(), 40u);
    EXPECT_LT(MeanReward(*before), 0.5) << "seed " << seed << ": the untrained policy already solves it";
    EXPECT_GE(MeanReward(*after), 0.9) << "seed " << seed;
  }
}

TEST(Ppo, TrainsEveryHeadOnTheDictTask) {
  // The Dict action has a masked Discrete, a MultiDiscrete, a MultiBinary and a float Box; the
  // env refuses masked or out-of-bounds actions, so a wrong head would fail the step.
  auto pool = Pool({{"max_steps", int64_t{20}}}, 4, 1, env::AutoresetMode::kNextStep);
  auto trainer = PpoTrainer::Make(pool.get(), SmallConfig(4));
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  PpoTrainer::TrainOptions t;
  t.episodes = 30;
  std::vector<UpdateRecord> records;
  t.on_update = [&](const UpdateRecord& r) { records.push_back(r); };
  auto s = (*trainer)->Train(t);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_FALSE(records.empty());
  for (const auto& r : records) {
    EXPECT_TRUE(std::isfinite(r.stats[0].approx_kl));
    EXPECT_TRUE(std::isfinite(r.stats[0].value_loss));
    // 5-way masked + 3-way + 2-way categorical, Bernoulli and unit Gaussian: clearly positive.
    EXPECT_GT(r.stats[0].entropy, 1.0);
  }
  EXPECT_GE((*trainer)->episodes(), 30);
}

TEST(Ppo, SameSeedSameParametersForAnyThreadCount) {
  Vector first;
  for (int threads : {1, 2}) {
    auto pool = Pool(kFlat, 4, threads, env::AutoresetMode::kSameStep);
    auto trainer = *PpoTrainer::Make(pool.get(), SmallConfig(7));
    PpoTrainer::TrainOptions t;
    t.episodes = 60;
    ASSERT_TRUE(trainer->Train(t).ok());
    if (first.size() == 0) {
      first = trainer->learner().params();
    } else {
      ASSERT_EQ(first.size(), trainer->learner().params().size());
      EXPECT_EQ(0, std::memcmp(first.data(), trainer->learner().params().data(),
                               sizeof(double) * first.size()));
    }
  }
  auto pool = Pool(kFlat, 4, 1, env::AutoresetMode::kSameStep);
  auto other = *PpoTrainer::Make(pool.get(), SmallConfig(8));
  PpoTrainer::TrainOptions t;
  t.episodes = 60;
  ASSERT_TRUE(other->Train(t).ok());
  EXPECT_NE(first, other->learner().params()) << "the seed changes nothing";
}

TEST(Ppo, CheckpointRoundTripsExactlyAndResumeEqualsAnUninterruptedRun) {
  const auto dir = std::filesystem::temp_directory_path() / "gridrl_ppo_checkpoint_test";
  std::filesystem::remove_all(dir);
  auto pool_a = Pool(kFlat, 4, 1, env::AutoresetMode::kSameStep);
  auto a = *PpoTrainer::Make(pool_a.get(), SmallConfig(5));
  PpoTrainer::TrainOptions t;
  t.episodes = 40;
  t.out_dir = dir.string();
  ASSERT_TRUE(a->Train(t).ok());
  const std::string path = (dir / "checkpoint.json").string();
  ASSERT_TRUE(std::filesystem::exists(path));
  ASSERT_TRUE(std::filesystem::exists(dir / "progress.csv"));
  ASSERT_TRUE(std::filesystem::exists(dir / "episodes.csv"));

  auto pool_b = Pool(kFlat, 4, 1, env::AutoresetMode::kSameStep);
  auto b = *PpoTrainer::Make(pool_b.get(), SmallConfig(5));
  EXPECT_NE(a->learner().params(), b->learner().params());
  ASSERT_TRUE(b->LoadFile(path).ok());
  EXPECT_TRUE(a->Save().dump() == b->Save().dump());
  EXPECT_EQ(0, std::memcmp(a->learner().params().data(), b->learner().params().data(),
                           sizeof(double) * a->learner().params().size()));
  EXPECT_EQ(a->updates(), b->updates());

  // Resuming: the loaded trainer continues exactly as the original does.
  PpoTrainer::TrainOptions more;
  more.episodes = 30;
  ASSERT_TRUE(a->Train(more).ok());
  ASSERT_TRUE(b->Train(more).ok());
  EXPECT_TRUE(a->Save().dump() == b->Save().dump());
  std::filesystem::remove_all(dir);
}

TEST(Ppo, ActServesTheTrainedPolicyAsEvaluateDoes) {
  auto pool = Pool(kFlat, 2, 1, env::AutoresetMode::kSameStep);
  auto trainer = *PpoTrainer::Make(pool.get(), SmallConfig(6));
  PpoTrainer::TrainOptions t;
  t.episodes = 1000;
  int calls = 0;
  t.should_stop = [&] { return ++calls == 2; };
  ASSERT_TRUE(trainer->Train(t).ok());
  EXPECT_EQ(trainer->updates(), 2);  // stopped after the second update
  auto batch = pool->Reset(uint64_t{42});
  ASSERT_TRUE(batch.ok());
  env::ActionBatch a, b;
  env::Rng r1(1), r2(1);
  ASSERT_TRUE(trainer->Act((*batch)->obs, &(*batch)->action_mask, true, r1, a).ok());
  ASSERT_TRUE(trainer->Act((*batch)->obs, &(*batch)->action_mask, true, r2, b).ok());
  EXPECT_EQ(a.leaves[0], b.leaves[0]);
  for (int64_t r = 0; r < 2; ++r) {  // never a masked move
    const int64_t move = a.leaves[0].data<int64_t>()[r];
    EXPECT_TRUE((*batch)->action_mask.data<bool>()[r * 5 + move]);
  }
  std::vector<env::Tensor> wrong = (*batch)->obs;
  wrong[0] = env::Tensor(env::DType::kFloat64, {2, 7});
  auto s = trainer->Act(wrong, nullptr, true, r1, a);
  EXPECT_FALSE(s.ok());
}

// Every registered environment: PPO builds heads for its action space, trains until one episode
// has ended (every action it sends passes the env's checks) and evaluates one episode.
TEST(Ppo, TrainsOnEveryRegisteredEnvironment) {
  for (const std::string& id : env::Registry::Global().Ids()) {
    SCOPED_TRACE(id);
    env::PoolOptions o;
    o.num_envs = 1;
    o.num_threads = 1;
    o.autoreset = env::AutoresetMode::kSameStep;
    auto pool = env::EnvPool::Make(id, {{}}, o);
    ASSERT_TRUE(pool.ok()) << pool.status();
    PpoConfig c = SmallConfig(1);
    c.rollout_steps = 8;
    c.minibatch_size = 8;
    c.epochs = 1;
    c.hidden = {16};
    auto trainer = PpoTrainer::Make(pool->get(), c);
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    PpoTrainer::TrainOptions t;
    t.episodes = 1;
    auto s = (*trainer)->Train(t);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_GE((*trainer)->episodes(), 1);
    auto e = (*trainer)->Evaluate(pool->get(), 1, true, 3);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->size(), 1u);
  }
}

TEST(Ppo, BadInputsAreErrors) {
  env::PoolOptions o;
  o.num_envs = 4;
  o.batch_size = 2;
  auto async_pool = *env::EnvPool::Make("tutorial", {kFlat}, o);
  auto t1 = PpoTrainer::Make(async_pool.get(), SmallConfig(1));
  ASSERT_FALSE(t1.ok());
  EXPECT_NE(std::string(t1.status().message()).find("batch_size"), std::string::npos);

  auto pool = Pool(kFlat, 2, 1, env::AutoresetMode::kDisabled);
  EXPECT_FALSE(PpoTrainer::Make(pool.get(), SmallConfig(1)).ok());

  auto ok_pool = Pool(kFlat, 2, 1, env::AutoresetMode::kSameStep);
  PpoConfig bad = SmallConfig(1);
  bad.hidden = {};
  auto t2 = PpoTrainer::Make(ok_pool.get(), bad);
  ASSERT_FALSE(t2.ok());
  EXPECT_NE(std::string(t2.status().message()).find("hidden"), std::string::npos);

  auto trainer = *PpoTrainer::Make(ok_pool.get(), SmallConfig(1));
  nlohmann::json j = trainer->Save();
  j["learners"][0]["params"].erase(0);
  auto s = trainer->Load(j);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("params"), std::string::npos) << s;
  j = trainer->Save();
  j["env"] = "restoration70";
  EXPECT_FALSE(trainer->Load(j).ok());
}

}  // namespace
}  // namespace gridrl::agents
