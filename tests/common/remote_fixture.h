// Remote testing without a separate process: one gridrl server on a free loopback port for the
// whole test binary (a gtest global environment starts it and stops it before exit), and
// factories that open the same environment remotely (stream or unary) or in-process, for the
// conformance suite and for comparing errors.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "clients/cpp/remote_vec_env.h"
#include "env/pool.h"
#include "server/server.h"
#include "tests/common/conformance.h"

namespace gridrl::testing {

class TestServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    server::ServerOptions options;
    options.address = "127.0.0.1:0";
    auto started = server::GridrlServer::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
  }
  static std::unique_ptr<server::GridrlServer> server_;
};
inline std::unique_ptr<server::GridrlServer> TestServerEnvironment::server_;
inline ::testing::Environment* const kTestServerEnvironment =
    ::testing::AddGlobalTestEnvironment(new TestServerEnvironment);

// "127.0.0.1:PORT" of the test binary's server.
inline std::string TestServerAddress() {
  return "127.0.0.1:" + std::to_string(TestServerEnvironment::server_->port());
}

inline VecEnvFactory RemoteFactory(std::string env_id, env::ConfigOverrides config, int threads,
                                   bool streaming) {
  return [=](const env::PoolOptions& o) -> std::unique_ptr<env::VecEnv> {
    client::RemoteOptions options;
    options.address = TestServerAddress();
    options.env_id = env_id;
    options.configs = {config};
    options.pool = o;
    options.pool.num_threads = threads;
    options.streaming = streaming;
    auto env = client::RemoteVecEnv::Connect(options);
    EXPECT_TRUE(env.ok()) << env.status();
    return env.ok() ? std::unique_ptr<env::VecEnv>(*std::move(env)) : nullptr;
  };
}

inline VecEnvFactory LocalFactory(std::string env_id, env::ConfigOverrides config) {
  return [=](const env::PoolOptions& o) -> std::unique_ptr<env::VecEnv> {
    auto pool = env::EnvPool::Make(env_id, {config}, o);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::unique_ptr<env::VecEnv>(*std::move(pool)) : nullptr;
  };
}

}  // namespace gridrl::testing
