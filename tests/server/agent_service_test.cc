// The agent service: training in the server with streamed progress, serving the trained policy
// (Act, Evaluate, Export/Load round trip), limits and bad input.
#include "server/agent_service.h"

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "env/pool.h"
#include "wire/codec.h"
#include "server/server.h"

namespace gridrl::server {
namespace {

constexpr char kFastPpo[] =
    R"({"hidden": [16], "rollout_steps": 32, "epochs": 2, "minibatch_size": 32})";

class AgentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.address = "127.0.0.1:0";
    options.agent_limits.max_policies = 3;
    server_ = *GridrlServer::Start(options);
    stub_ = v1::AgentService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Stop(); }

  v1::TrainRequest FastRequest() {
    v1::TrainRequest req;
    req.set_env_id("tutorial");
    req.set_agent("ppo");
    (*req.mutable_config()->mutable_values())["action_space"].set_string_value("discrete");
    (*req.mutable_config()->mutable_values())["max_steps"].set_int_value(20);
    req.set_num_envs(4);
    req.set_seed(3);
    req.set_episodes(24);
    req.set_agent_config_json(kFastPpo);
    return req;
  }

  // Runs a training job; returns every progress message.
  std::vector<v1::TrainProgress> Train(const v1::TrainRequest& req, grpc::Status* status) {
    grpc::ClientContext ctx;
    auto reader = stub_->Train(&ctx, req);
    std::vector<v1::TrainProgress> out;
    v1::TrainProgress p;
    while (reader->Read(&p)) out.push_back(p);
    *status = reader->Finish();
    return out;
  }

  // A batch of observations of the tutorial env, as the client would have them.
  v1::ActRequest Observations(const std::string& policy, int rows) {
    env::PoolOptions o;
    o.num_envs = rows;
    auto pool = *env::EnvPool::Make(
        "tutorial", {{{"action_space", std::string("discrete")}, {"max_steps", int64_t{20}}}}, o);
    const env::StepBatch* b = *pool->Reset(11);
    v1::ActRequest req;
    req.set_policy_id(policy);
    for (const auto& t : b->obs) codec::ToProto(t, req.add_observation());
    codec::ToProto(b->action_mask, req.mutable_action_mask());
    req.set_deterministic(true);
    return req;
  }

  std::unique_ptr<GridrlServer> server_;
  std::unique_ptr<v1::AgentService::Stub> stub_;
};

TEST_F(AgentServiceTest, TrainStreamsProgressAndServesThePolicy) {
  grpc::Status status;
  auto progress = Train(FastRequest(), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GE(progress.size(), 2u);  // at least one update, then the final message
  const auto& last = progress.back();
  EXPECT_TRUE(last.done());
  EXPECT_FALSE(last.policy_id().empty());
  EXPECT_GE(last.episodes(), 24);
  EXPECT_EQ(progress.front().learners_size(), 1);
  EXPECT_GT(progress.front().total_steps(), 0);

  // Act: valid, unmasked actions.
  auto req = Observations(last.policy_id(), 5);
  v1::ActResponse act;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->Act(&ctx, req, &act).ok());
  }
  ASSERT_EQ(act.action_size(), 1);
  env::Tensor moves;
  ASSERT_TRUE(codec::FromProto(act.action(0), "a", &moves).ok());
  ASSERT_EQ(moves.shape(), (std::vector<int64_t>{5}));
  env::Tensor mask;
  ASSERT_TRUE(codec::FromProto(req.action_mask(), "m", &mask).ok());
  for (int r = 0; r < 5; ++r) {
    int64_t m = moves.data<int64_t>()[r];
    ASSERT_TRUE(m >= 0 && m < 5);
    EXPECT_TRUE(mask.data<bool>()[r * 5 + m]) << "row " << r << " chose masked move " << m;
  }

  // Evaluate on fresh envs.
  v1::EvaluateRequest eval;
  eval.set_policy_id(last.policy_id());
  eval.set_episodes(6);
  eval.set_deterministic(true);
  v1::EvaluateResponse result;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->Evaluate(&ctx, eval, &result).ok());
  }
  EXPECT_EQ(result.episode_reward_size(), 6);

  // Export and load elsewhere: the same deterministic actions.
  v1::PolicyRef ref;
  ref.set_policy_id(last.policy_id());
  v1::ExportPolicyResponse exported;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ExportPolicy(&ctx, ref, &exported).ok());
  }
  v1::LoadPolicyRequest load;
  load.set_env_id("tutorial");
  *load.mutable_config() = FastRequest().config();
  load.set_agent("ppo");
  load.set_agent_config_json(kFastPpo);
  load.set_checkpoint_json(exported.checkpoint_json());
  v1::LoadPolicyResponse loaded;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->LoadPolicy(&ctx, load, &loaded);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  auto again_req = Observations(loaded.policy_id(), 5);
  v1::ActResponse again;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->Act(&ctx, again_req, &again).ok());
  }
  EXPECT_EQ(again.action(0).data(), act.action(0).data());
  v1::PolicyRef loaded_ref;
  loaded_ref.set_policy_id(loaded.policy_id());
  v1::ExportPolicyResponse reexported;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ExportPolicy(&ctx, loaded_ref, &reexported).ok());
  }
  EXPECT_EQ(reexported.checkpoint_json(), exported.checkpoint_json());  // an exact round trip

  // Release: then it is gone.
  v1::ReleasePolicyResponse released;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ReleasePolicy(&ctx, ref, &released).ok());
  }
  grpc::ClientContext ctx;
  EXPECT_EQ(stub_->Act(&ctx, req, &act).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AgentServiceTest, BadRequestsAreRefused) {
  grpc::Status status;
  auto req = FastRequest();
  req.set_agent("sarsa");
  Train(req, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("sarsa"), std::string::npos);
  req = FastRequest();
  req.set_env_id("nowhere");
  Train(req, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  req = FastRequest();
  req.set_agent_config_json("{not json");
  Train(req, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("agent_config_json"), std::string::npos);
  req = FastRequest();
  req.set_num_envs(1000);
  Train(req, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The dual agent needs the resilience123 action layout.
  req = FastRequest();
  req.set_agent("dual-ppo");
  req.set_agent_config_json("");
  Train(req, &status);
  EXPECT_FALSE(status.ok());

  // Wrong observation shapes for a held policy.
  auto progress = Train(FastRequest(), &status);
  ASSERT_TRUE(status.ok());
  auto act = Observations(progress.back().policy_id(), 2);
  act.mutable_observation(0)->mutable_shape()->Set(1, 3);
  act.mutable_observation(0)->mutable_data()->resize(2 * 3 * 4);
  v1::ActResponse out;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->Act(&ctx, act, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("observation"), std::string::npos) << s.error_message();
  v1::LoadPolicyRequest load;
  load.set_env_id("tutorial");
  load.set_agent("ppo");
  load.set_checkpoint_json("[]");
  v1::LoadPolicyResponse loaded;
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub_->LoadPolicy(&ctx2, load, &loaded).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AgentServiceTest, PolicyLimit) {
  grpc::Status status;
  for (int i = 0; i < 3; ++i) {
    Train(FastRequest(), &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  Train(FastRequest(), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(server_->agents().num_policies(), 3u);
}

}  // namespace
}  // namespace gridrl::server
