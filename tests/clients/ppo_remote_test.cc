// PPO trained against a gridrl-server (RemoteVecEnv, stream and unary) ends with the same
// parameters, bit for bit, as PPO trained on the in-process pool with the same seed.
#include <gtest/gtest.h>

#include <cstring>

#include "agents/ppo.h"
#include "clients/cpp/remote_vec_env.h"
#include "env/pool.h"
#include "server/server.h"

namespace gridrl::client {
namespace {

const env::ConfigOverrides kFlat = {{"action_space", std::string("discrete")},
                                    {"width", int64_t{5}},
                                    {"height", int64_t{5}},
                                    {"max_steps", int64_t{20}}};

env::PoolOptions Options(env::AutoresetMode mode) {
  env::PoolOptions o;
  o.num_envs = 3;
  o.num_threads = 1;
  o.seed = 0;
  o.autoreset = mode;
  return o;
}

agents::PpoConfig Config() {
  agents::PpoConfig c;
  c.seed = 17;
  c.rollout_steps = 32;
  c.minibatch_size = 32;
  c.target_kl = 0.02;  // exercises early stopping on the way
  return c;
}

class PpoRemote : public ::testing::TestWithParam<std::tuple<bool, env::AutoresetMode>> {
 protected:
  static void SetUpTestSuite() {
    server::ServerOptions options;
    options.address = "127.0.0.1:0";
    server_ = std::move(*server::GridrlServer::Start(options));
  }
  static void TearDownTestSuite() {
    server_->Stop();
    server_.reset();
  }
  static std::unique_ptr<server::GridrlServer> server_;
};
std::unique_ptr<server::GridrlServer> PpoRemote::server_;

TEST_P(PpoRemote, SameSeedSameParametersAsInProcess) {
  const auto [streaming, mode] = GetParam();
  auto pool = env::EnvPool::Make("tutorial", {kFlat}, Options(mode));
  ASSERT_TRUE(pool.ok()) << pool.status();
  RemoteOptions r;
  r.address = "127.0.0.1:" + std::to_string(server_->port());
  r.env_id = "tutorial";
  r.configs = {kFlat};
  r.pool = Options(mode);
  r.streaming = streaming;
  auto remote = RemoteVecEnv::Connect(r);
  ASSERT_TRUE(remote.ok()) << remote.status();

  auto local_trainer = agents::PpoTrainer::Make(pool->get(), Config());
  auto remote_trainer = agents::PpoTrainer::Make(remote->get(), Config());
  ASSERT_TRUE(local_trainer.ok() && remote_trainer.ok());
  agents::PpoTrainer::TrainOptions t;
  t.episodes = 80;
  ASSERT_TRUE((*local_trainer)->Train(t).ok());
  auto s = (*remote_trainer)->Train(t);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GT((*local_trainer)->updates(), 3);
  EXPECT_EQ((*local_trainer)->total_steps(), (*remote_trainer)->total_steps());
  const agents::Vector& a = (*local_trainer)->learner().params();
  const agents::Vector& b = (*remote_trainer)->learner().params();
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(double) * a.size()));
  EXPECT_TRUE((*local_trainer)->Save().dump() == (*remote_trainer)->Save().dump());
  // Evaluation agrees too.
  auto ea = (*local_trainer)->Evaluate(pool->get(), 6, true, 5);
  auto eb = (*remote_trainer)->Evaluate(remote->get(), 6, true, 5);
  ASSERT_TRUE(ea.ok() && eb.ok());
  ASSERT_EQ(ea->size(), eb->size());
  for (size_t i = 0; i < ea->size(); ++i) EXPECT_EQ((*ea)[i].reward, (*eb)[i].reward);
  EXPECT_TRUE((*remote)->Close().ok());
}

INSTANTIATE_TEST_SUITE_P(
    Transports, PpoRemote,
    ::testing::Combine(::testing::Bool(), ::testing::Values(env::AutoresetMode::kSameStep,
                                                            env::AutoresetMode::kNextStep)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) ? "Stream" : "Unary") +
             (std::get<1>(info.param) == env::AutoresetMode::kSameStep ? "SameStep" : "NextStep");
    });

}  // namespace
}  // namespace gridrl::client
