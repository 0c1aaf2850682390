// The dual strategic/tactical agent on resilience123: the weather bias, valid actions on short
// episodes, two learners updated every K episodes, determinism and checkpoint round trip, and a
// clear error on an environment whose action it cannot split.
#include <gtest/gtest.h>

#include <cstring>

#include "envs/resilience123/dual_ppo.h"
#include "env/pool.h"
#include "env/registry.h"

namespace gridrl::agents {
namespace {

const env::ConfigOverrides kShort = {{"max_steps", int64_t{6}},
                                     {"calamity", std::string("flood")}};

std::unique_ptr<env::EnvPool> Pool(int64_t num_envs) {
  env::PoolOptions o;
  o.num_envs = num_envs;
  o.num_threads = 1;
  o.autoreset = env::AutoresetMode::kSameStep;
  auto pool = env::EnvPool::Make("resilience123", {kShort}, o);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return pool.ok() ? *std::move(pool) : nullptr;
}

std::unique_ptr<PpoTrainer> Trainer(env::VecEnv* vec, uint64_t seed) {
  DualPpoOptions d = DualPpoOptions::Paper(seed);
  for (PpoConfig* c : {&d.strategic, &d.tactical}) {
    c->update_every_episodes = 4;
    c->minibatch_size = 8;
  }
  ObsEncoder enc(vec->spec());
  auto policy = DualPpoPolicy::Make(vec->spec(), enc.size(), d);
  EXPECT_TRUE(policy.ok()) << policy.status();
  auto t = PpoTrainer::MakeWithPolicy(vec, d.strategic, *std::move(policy));
  EXPECT_TRUE(t.ok()) << t.status();
  return *std::move(t);
}

TEST(DualPpo, PaperSettings) {
  const DualPpoOptions d = DualPpoOptions::Paper(3);
  EXPECT_EQ(d.strategic.update_every_episodes, 25);
  EXPECT_EQ(d.tactical.epochs, 4);
  EXPECT_EQ(d.strategic.minibatch_size, 64);
  EXPECT_DOUBLE_EQ(d.tactical.clip_range, 0.2);
  EXPECT_DOUBLE_EQ(d.strategic.target_kl, 0.01);
  EXPECT_DOUBLE_EQ(d.strategic.kl_stop_factor, 1.5);
  EXPECT_DOUBLE_EQ(d.tactical.max_grad_norm, 0.5);
  EXPECT_DOUBLE_EQ(d.strategic.learning_rate, 3e-4);
  EXPECT_DOUBLE_EQ(d.tactical.learning_rate, 1e-4);
  EXPECT_DOUBLE_EQ(d.strategic_share, 0.6);
}

TEST(DualPpo, WeatherBiasFavoursDersOnlyInCalamity) {
  auto pool = Pool(1);
  ASSERT_NE(pool, nullptr);
  ObsEncoder enc(pool->spec());
  auto policy = *DualPpoPolicy::Make(pool->spec(), enc.size(), DualPpoOptions::Paper(1));
  Matrix obs = Matrix::Zero(enc.size(), 2);
  obs(1, 1) = 1.0;  // column 1 in calamity
  const Matrix bias = policy->StrategicBias(obs);
  for (int c = 0; c < 6; ++c) EXPECT_EQ(bias(c, 0), 0.0);
  const double expected[6] = {0.0, 0.5, 1.0, 1.5, 2.0, 2.0};  // beta 2 * n_DER / 4
  for (int c = 0; c < 6; ++c) EXPECT_DOUBLE_EQ(bias(c, 1), expected[c]);
}

TEST(DualPpo, TrainsBothLearnersDeterministically) {
  Vector strategic, tactical;
  std::string saved;
  for (int run = 0; run < 2; ++run) {
    auto pool = Pool(2);
    ASSERT_NE(pool, nullptr);
    auto trainer = Trainer(pool.get(), 9);
    PpoTrainer::TrainOptions t;
    t.episodes = 8;
    std::vector<UpdateRecord> records;
    t.on_update = [&](const UpdateRecord& r) { records.push_back(r); };
    auto s = trainer->Train(t);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(records.size(), 2u);  // 4 episodes per update
    for (const auto& r : records) {
      ASSERT_EQ(r.stats.size(), 2u);
      EXPECT_EQ(r.stats[0].samples, 4 * 6);
      EXPECT_EQ(r.stats[1].samples, 4 * 6);
      EXPECT_GT(r.stats[1].entropy, r.stats[0].entropy);  // 10 Bernoulli + grid vs one categorical
    }
    if (run == 0) {
      strategic = trainer->learner(0).params();
      tactical = trainer->learner(1).params();
      saved = trainer->Save().dump();
    } else {
      EXPECT_EQ(0, std::memcmp(strategic.data(), trainer->learner(0).params().data(),
                               sizeof(double) * strategic.size()));
      EXPECT_EQ(0, std::memcmp(tactical.data(), trainer->learner(1).params().data(),
                               sizeof(double) * tactical.size()));
      auto pool2 = Pool(2);
      auto fresh = Trainer(pool2.get(), 10);
      ASSERT_TRUE(fresh->Load(nlohmann::json::parse(saved)).ok());
      const nlohmann::json reloaded = fresh->Save(), original = nlohmann::json::parse(saved);
      EXPECT_TRUE(reloaded["learners"] == original["learners"]);
      EXPECT_EQ(reloaded["updates"], original["updates"]);
    }
  }
}

TEST(DualPpo, RefusesAnEnvWhoseActionItCannotSplit) {
  env::PoolOptions o;
  o.num_envs = 1;
  auto pool = *env::EnvPool::Make("tutorial", {}, o);
  ObsEncoder enc(pool->spec());
  auto policy = DualPpoPolicy::Make(pool->spec(), enc.size(), DualPpoOptions::Paper(1));
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(std::string(policy.status().message()).find("config"), std::string::npos);
  auto flat = *env::EnvPool::Make("resilience123", {{{"action_space", std::string("multidiscrete")}}}, o);
  EXPECT_FALSE(DualPpoPolicy::Make(flat->spec(), 33, DualPpoOptions::Paper(1)).ok());
}

}  // namespace
}  // namespace gridrl::agents
