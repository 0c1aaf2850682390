// resilience123 served remotely: the conformance suite against an in-process server (stream and
// unary), identical rows to the in-process pool, the same errors for bad actions and bad config,
// and snapshots (clone/restore) over the wire.
#include <gtest/gtest.h>

#include "clients/cpp/remote_vec_env.h"
#include "env/pool.h"
#include "server/server.h"
#include "tests/common/conformance.h"
#include "tests/common/remote_fixture.h"

namespace gridrl::client {
namespace {

const env::ConfigOverrides kConfig = {{"max_steps", int64_t{12}},
                                      {"calamity", std::string("hurricane")},
                                      {"p_normal_to_calamity", 0.5},
                                      {"percolation_trials", int64_t{20}}};

class Resilience123Remote : public ::testing::TestWithParam<bool> {
 protected:
  testing::VecEnvFactory Remote(int threads, env::ConfigOverrides config = kConfig) {
    return testing::RemoteFactory("resilience123", std::move(config), threads, GetParam());
  }
  static std::unique_ptr<env::VecEnv> Local(const env::PoolOptions& o) {
    return testing::LocalFactory("resilience123", kConfig)(o);
  }
};

TEST_P(Resilience123Remote, SyncOneThread) { testing::RunConformance(Remote(1), Local, 3, 0); }
TEST_P(Resilience123Remote, AsyncTwoThreads) { testing::RunConformance(Remote(2), Local, 4, 2); }

TEST_P(Resilience123Remote, ErrorsMatchInProcess) {
  env::PoolOptions o;
  o.num_envs = 2;
  auto remote = Remote(1)(o);
  auto local = Local(o);
  ASSERT_NE(remote, nullptr);
  ASSERT_TRUE(remote->Reset().ok());
  ASSERT_TRUE(local->Reset().ok());
  env::ActionBatch bad;
  bad.Allocate(local->spec(), 2);
  bad.leaves[0].data<int64_t>()[1] = 6;  // configuration out of range
  auto a = remote->Step(bad);
  auto b = local->Step(bad);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status(), b.status());
  EXPECT_NE(a.status().message().find("config"), std::string::npos) << a.status();
  env::ActionBatch ok;
  ok.Allocate(local->spec(), 2);
  EXPECT_TRUE(remote->Step(ok).ok());
  EXPECT_TRUE(local->Step(ok).ok());
}

TEST_P(Resilience123Remote, BadConfigIsAClearError) {
  RemoteOptions options;
  options.address = testing::TestServerAddress();
  options.env_id = "resilience123";
  options.configs = {{{"calamity", std::string("tornado")}}};
  options.streaming = GetParam();
  auto env = RemoteVecEnv::Connect(options);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("calamity"), std::string::npos) << env.status();
}

TEST_P(Resilience123Remote, SnapshotsRestoreExactly) {
  env::PoolOptions o;
  o.num_envs = 2;
  o.seed = 8;
  auto remote = Remote(1)(o);
  ASSERT_NE(remote, nullptr);
  ASSERT_TRUE(remote->Reset().ok());
  env::ActionBatch act;
  act.Allocate(remote->spec(), 2);
  for (int t = 0; t < 3; ++t) ASSERT_TRUE(remote->Step(act).ok());
  auto snap = remote->SaveState({});
  ASSERT_TRUE(snap.ok()) << snap.status();
  act.leaves[0].data<int64_t>()[0] = 4;
  auto first = remote->Step(act);
  ASSERT_TRUE(first.ok());
  std::string a = testing::RowBytes(**first, 0, false);
  ASSERT_TRUE(remote->RestoreState(*snap).ok());
  auto second = remote->Step(act);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(a, testing::RowBytes(**second, 0, false));
}

INSTANTIATE_TEST_SUITE_P(Transports, Resilience123Remote, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Stream" : "Unary"; });

}  // namespace
}  // namespace gridrl::client
