// uc_rts96 served remotely: the same seed gives the same trajectory over gRPC as in-process (the
// conformance suite, hierarchical mode with frequent line failures), and bad configs and actions
// get the same clear errors as in-process.
#include <gtest/gtest.h>

#include "clients/cpp/remote_vec_env.h"
#include "env/pool.h"
#include "server/server.h"
#include "tests/common/conformance.h"

namespace gridrl::client {
namespace {

env::ConfigOverrides UcConfig() {
  return {{"mode", std::string("hierarchical")}, {"line_failure_prob", 0.02}};
}

class UcRts96Remote : public ::testing::Test {
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
  static absl::StatusOr<std::unique_ptr<RemoteVecEnv>> Connect(const env::PoolOptions& o,
                                                               env::ConfigOverrides config) {
    RemoteOptions options;
    options.address = "127.0.0.1:" + std::to_string(server_->port());
    options.env_id = "uc_rts96";
    options.configs = {std::move(config)};
    options.pool = o;
    options.streaming = true;
    return RemoteVecEnv::Connect(options);
  }
  static std::unique_ptr<env::VecEnv> Remote(const env::PoolOptions& o) {
    auto env = Connect(o, UcConfig());
    EXPECT_TRUE(env.ok()) << env.status();
    return env.ok() ? std::unique_ptr<env::VecEnv>(*std::move(env)) : nullptr;
  }
  static std::unique_ptr<env::VecEnv> Local(const env::PoolOptions& o) {
    auto pool = env::EnvPool::Make("uc_rts96", {UcConfig()}, o);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::unique_ptr<env::VecEnv>(*std::move(pool)) : nullptr;
  }
  static std::unique_ptr<server::GridrlServer> server_;
};
std::unique_ptr<server::GridrlServer> UcRts96Remote::server_;

TEST_F(UcRts96Remote, SameSeedSameTrajectoryAsInProcess) {
  testing::RunConformance(Remote, Local, 2, 0);
}

TEST_F(UcRts96Remote, BadConfigIsAClearError) {
  env::PoolOptions o;
  o.num_envs = 1;
  auto bad = Connect(o, {{"mode", std::string("monthly")}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mode"), std::string::npos);
}

TEST_F(UcRts96Remote, BadActionMatchesInProcess) {
  env::PoolOptions o;
  o.num_envs = 1;
  auto remote = Remote(o);
  auto local = Local(o);
  ASSERT_TRUE(remote->Reset().ok());
  ASSERT_TRUE(local->Reset().ok());
  env::ActionBatch bad;
  bad.Allocate(local->spec(), 1);
  bad.leaves[0].data<int64_t>()[0] = 99;  // commitment out of Discrete(15)
  auto a = remote->Step(bad);
  auto b = local->Step(bad);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status(), b.status());
}

}  // namespace
}  // namespace gridrl::client
