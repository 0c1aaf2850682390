// The conformance suite against the C++ remote client: the test binary's server, RemoteVecEnv
// over the stream and over unary calls, compared with the in-process pool row for row.
#include "clients/cpp/remote_vec_env.h"

#include <gtest/gtest.h>

#include "env/pool.h"
#include "server/server.h"
#include "tests/common/conformance.h"
#include "tests/common/remote_fixture.h"

namespace gridrl::client {
namespace {

const env::ConfigOverrides kShortEpisodes = {{"max_steps", int64_t{12}}};

class RemoteConformance : public ::testing::TestWithParam<bool> {
 protected:
  testing::VecEnvFactory Remote(int threads) {
    return testing::RemoteFactory("tutorial", kShortEpisodes, threads, GetParam());
  }
  static std::unique_ptr<env::VecEnv> Local(const env::PoolOptions& o) {
    return testing::LocalFactory("tutorial", kShortEpisodes)(o);
  }
};

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
