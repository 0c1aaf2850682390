// The conformance suite against the C++ remote client: a server in this process, RemoteVecEnv
// over the stream and over unary calls, compared with the in-process pool row for row.
#include "clients/cpp/remote_vec_env.h"

#include <gtest/gtest.h>

#include "env/pool.h"
#include "server/server.h"
#include "tests/common/conformance.h"

namespace gridrl::client {
namespace {

const env::ConfigOverrides kShortEpisodes = {{"max_steps", int64_t{12}}};

class RemoteConformance : public ::testing::TestWithParam<bool> {
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
  testing::VecEnvFactory Remote(int threads) {
    bool streaming = GetParam();
    return [threads, streaming](const env::PoolOptions& o) -> std::unique_ptr<env::VecEnv> {
      RemoteOptions options;
      options.address = "127.0.0.1:" + std::to_string(server_->port());
      options.env_id = "tutorial";
      options.configs = {kShortEpisodes};
      options.pool = o;
      options.pool.num_threads = threads;
      options.streaming = streaming;
      auto env = RemoteVecEnv::Connect(options);
      EXPECT_TRUE(env.ok()) << env.status();
      return env.ok() ? std::unique_ptr<env::VecEnv>(*std::move(env)) : nullptr;
    };
  }
  static std::unique_ptr<env::VecEnv> Local(const env::PoolOptions& o) {
    auto pool = env::EnvPool::Make("tutorial", {kShortEpisodes}, o);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::unique_ptr<env::VecEnv>(*std::move(pool)) : nullptr;
  }
  static std::unique_ptr<server::GridrlServer> server_;
};
std::unique_ptr<server::GridrlServer> RemoteConformance::server_;

TEST_P(RemoteConformance, SyncOneThread) { testing::RunConformance(Remote(1), Local, 4, 0); }
TEST_P(RemoteConformance, SyncTwoThreads) { testing::RunConformance(Remote(2), Local, 5, 0); }
TEST_P(RemoteConformance, AsyncTwoThreads) { testing::RunConformance(Remote(2), Local, 6, 2); }

TEST_P(RemoteConformance, ErrorsMatchInProcess) {
  env::PoolOptions o;
  o.num_envs = 2;
  auto remote = Remote(1)(o);
  auto local = Local(o);
  ASSERT_TRUE(remote->Reset().ok());
  ASSERT_TRUE(local->Reset().ok());
  env::ActionBatch bad;
  bad.Allocate(local->spec(), 2);
  bad.leaves[0].data<int64_t>()[1] = 11;
  auto a = remote->Step(bad);
  auto b = local->Step(bad);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status(), b.status());
  // Both still step afterwards.
  env::ActionBatch ok;
  ok.Allocate(local->spec(), 2);
  EXPECT_TRUE(remote->Step(ok).ok());
  EXPECT_TRUE(local->Step(ok).ok());
}

TEST_P(RemoteConformance, SnapshotsMatchInProcess) {
  env::PoolOptions o;
  o.num_envs = 2;
  o.seed = 8;
  auto remote = Remote(1)(o);
  ASSERT_TRUE(remote->Reset().ok());
  env::ActionBatch stay;
  stay.Allocate(remote->spec(), 2);
  auto snap = remote->SaveState({});
  ASSERT_TRUE(snap.ok()) << snap.status();
  auto first = remote->Step(stay);
  ASSERT_TRUE(first.ok());
  std::string a = testing::RowBytes(**first, 0, false);
  ASSERT_TRUE(remote->RestoreState(*snap).ok());
  auto second = remote->Step(stay);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(a, testing::RowBytes(**second, 0, false));
}

INSTANTIATE_TEST_SUITE_P(Transports, RemoteConformance, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Stream" : "Unary"; });

}  // namespace
}  // namespace gridrl::client
