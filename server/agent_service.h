// The agent service: native agents trained inside the server on request (progress streamed to
// the client) and trained policies held for serving (Act), evaluation and export. Training runs
// on the server's own EnvPool, in the calling RPC's thread; limits bound how many jobs run and
// how many policies are held.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/grpcpp.h>

#include "agents/ppo.h"
#include "env/pool.h"
#include "gridrl/v1/agent_service.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace gridrl::server {

struct AgentLimits {
  int max_training_jobs = 1;  // training jobs running at once
  int max_policies = 16;      // trained or loaded policies held at once
  int64_t max_train_envs = 64;
  int64_t max_train_episodes = 1'000'000;
};

class AgentServiceImpl final : public v1::AgentService::Service {
 public:
  explicit AgentServiceImpl(AgentLimits limits) : limits_(limits) {}

  grpc::Status Train(grpc::ServerContext* context, const v1::TrainRequest* request,
                     grpc::ServerWriter<v1::TrainProgress>* writer) override;
  grpc::Status LoadPolicy(grpc::ServerContext*, const v1::LoadPolicyRequest* request,
                          v1::LoadPolicyResponse* response) override;
  grpc::Status Act(grpc::ServerContext*, const v1::ActRequest* request,
                   v1::ActResponse* response) override;
  grpc::Status Evaluate(grpc::ServerContext*, const v1::EvaluateRequest* request,
                        v1::EvaluateResponse* response) override;
  grpc::Status ExportPolicy(grpc::ServerContext*, const v1::PolicyRef* request,
                            v1::ExportPolicyResponse* response) override;
  grpc::Status ReleasePolicy(grpc::ServerContext*, const v1::PolicyRef* request,
                             v1::ReleasePolicyResponse* response) override;

  size_t num_policies() const;

 private:
  // A policy and the environment interface it acts for. The trainer stays bound to `pool`
  // (its training pool, or a one-env pool for a loaded checkpoint).
  struct HeldPolicy {
    std::mutex mu;
    std::string env_id;
    env::ConfigOverrides config;
    std::unique_ptr<env::EnvPool> pool;
    std::unique_ptr<agents::PpoTrainer> trainer;
  };

  absl::StatusOr<std::string> Hold(std::shared_ptr<HeldPolicy> policy);
  absl::StatusOr<std::shared_ptr<HeldPolicy>> Find(const std::string& id) const;

  AgentLimits limits_;
  std::atomic<int> training_jobs_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<HeldPolicy>> policies_;
  uint64_t next_id_ = 1;
};

// The trainer for `agent` ("ppo" or "dual-ppo") with settings `agent_config` (PpoConfig or
// DualPpoOptions keys; missing keys default) on `vec`, seeded with `seed`.
absl::StatusOr<std::unique_ptr<agents::PpoTrainer>> MakeTrainer(const std::string& agent,
                                                               const nlohmann::json& agent_config,
                                                               uint64_t seed, env::VecEnv* vec);

}  // namespace gridrl::server
