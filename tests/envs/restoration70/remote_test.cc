// restoration70 over gRPC: an in-process server, RemoteVecEnv over the stream and over unary
// calls, compared row for row with the in-process pool (determinism remotely), and the same
// errors for a masked repair and a bad config.
#include <gtest/gtest.h>

#include "clients/cpp/remote_vec_env.h"
#include "env/pool.h"
#include "server/server.h"
#include "tests/common/conformance.h"
#include "tests/common/remote_fixture.h"

namespace gridrl::client {
namespace {

const env::ConfigOverrides kConfig = {{"faults", int64_t{5}}};

class Restoration70Remote : public ::testing::TestWithParam<bool> {
 protected:
  testing::VecEnvFactory Remote(int threads, env::ConfigOverrides config = kConfig) {
    return testing::RemoteFactory("restoration70", std::move(config), threads, GetParam());
  }
  static std::unique_ptr<env::VecEnv> Local(const env::PoolOptions& o) {
    return testing::LocalFactory("restoration70", kConfig)(o);
  }
};

TEST_P(Restoration70Remote, SyncOneThread) { testing::RunConformance(Remote(1), Local, 3, 0); }
TEST_P(Restoration70Remote, AsyncTwoThreads) { testing::RunConformance(Remote(2), Local, 4, 2); }

TEST_P(Restoration70Remote, MaskedRepairIsTheSameErrorAsInProcess) {
  env::PoolOptions o;
  o.num_envs = 1;
  o.seed = 4;
  auto remote = Remote(1, {{"fault_list", std::vector<int64_t>{5, 6}}})(o);
  auto local_pool = env::EnvPool::Make("restoration70", {{{"fault_list", std::vector<int64_t>{5, 6}}}}, o);
  ASSERT_TRUE(local_pool.ok());
  auto& local = **local_pool;
  ASSERT_NE(remote, nullptr);
  ASSERT_TRUE(remote->Reset().ok());
  ASSERT_TRUE(local.Reset().ok());
  env::ActionBatch bad;
  bad.Allocate(local.spec(), 1);
  bad.leaves[0].data<int64_t>()[0] = 7;  // a healthy branch
  auto a = remote->Step(bad);
  auto b = local.Step(bad);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status(), b.status());
}

TEST_P(Restoration70Remote, BadConfigNamesTheKey) {
  RemoteOptions options;
  options.address = testing::TestServerAddress();
  options.env_id = "restoration70";
  options.configs = {{{"faults", int64_t{500}}}};
  options.streaming = GetParam();
  auto env = RemoteVecEnv::Connect(options);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("faults"), std::string::npos) << env.status();
}

INSTANTIATE_TEST_SUITE_P(Transport, Restoration70Remote, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Stream" : "Unary"; });

}  // namespace
}  // namespace gridrl::client
