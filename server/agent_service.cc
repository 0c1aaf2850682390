#include "server/agent_service.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "envs/resilience123/dual_ppo.h"
#include "wire/codec.h"
#include "server/env_service.h"

namespace gridrl::server {
namespace {

absl::StatusOr<nlohmann::json> ParseAgentConfig(const std::string& text) {
  if (text.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("agent_config_json: not a JSON object");
  }
  return j;
}

absl::StatusOr<std::unique_ptr<env::EnvPool>> MakePool(const std::string& env_id,
                                                       const env::ConfigOverrides& config,
                                                       int64_t num_envs, uint64_t seed) {
  if (env_id.empty()) return absl::InvalidArgumentError("env_id is empty");
  env::PoolOptions options;
  options.num_envs = num_envs;
  options.num_threads = 1;  // a training job is one core's worth of work; jobs run side by side
  options.seed = seed;
  options.autoreset = env::AutoresetMode::kNextStep;
  return env::EnvPool::Make(env_id, {config}, options);
}

void ToProto(const std::string& name, const agents::UpdateStats& s, v1::LearnerStats* out) {
  out->set_name(name);
  out->set_policy_loss(s.policy_loss);
  out->set_value_loss(s.value_loss);
  out->set_entropy(s.entropy);
  out->set_approx_kl(s.approx_kl);
  out->set_clip_fraction(s.clip_fraction);
  out->set_epochs_run(s.epochs_run);
  out->set_early_stopped(s.early_stopped);
}

}  // namespace

absl::StatusOr<std::unique_ptr<agents::PpoTrainer>> MakeTrainer(const std::string& agent,
                                                               const nlohmann::json& agent_config,
                                                               uint64_t seed, env::VecEnv* vec) {
  if (agent == "ppo") {
    auto config = agents::PpoConfig::FromJson(agent_config);
    if (!config.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("agent_config_json: ", config.status().message()));
    }
    config->seed = seed;
    return agents::PpoTrainer::Make(vec, *config);
  }
  if (agent == "dual-ppo") {
    absl::StatusOr<agents::DualPpoOptions> dual = agents::DualPpoOptions::Paper(seed);
    if (!agent_config.empty()) dual = agents::DualPpoOptions::FromJson(agent_config);
    if (!dual.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("agent_config_json: ", dual.status().message()));
    }
    dual->strategic.seed = seed;
    dual->tactical.seed = seed;
    agents::ObsEncoder encoder(vec->spec());
    auto policy = agents::DualPpoPolicy::Make(vec->spec(), encoder.size(), *dual);
    if (!policy.ok()) return policy.status();
    return agents::PpoTrainer::MakeWithPolicy(vec, dual->strategic, *std::move(policy));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("agent: '", agent, "' is not one of ppo, dual-ppo"));
}

absl::StatusOr<std::string> AgentServiceImpl::Hold(std::shared_ptr<HeldPolicy> policy) {
  std::lock_guard lock(mu_);
  if (static_cast<int>(policies_.size()) >= limits_.max_policies) {
    return absl::ResourceExhaustedError(absl::StrCat("the server holds ", policies_.size(),
                                                     " policies (its limit); release one"));
  }
  std::string id = absl::StrCat("policy-", next_id_++);
  policies_[id] = std::move(policy);
  return id;
}

absl::StatusOr<std::shared_ptr<AgentServiceImpl::HeldPolicy>> AgentServiceImpl::Find(
    const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = policies_.find(id);
  if (it == policies_.end()) {
    return absl::NotFoundError(absl::StrCat("policy '", id, "' not found (released, or never held)"));
  }
  return it->second;
}

size_t AgentServiceImpl::num_policies() const {
  std::lock_guard lock(mu_);
  return policies_.size();
}

grpc::Status AgentServiceImpl::Train(grpc::ServerContext* context, const v1::TrainRequest* request,
                                     grpc::ServerWriter<v1::TrainProgress>* writer) {
  const int64_t num_envs = request->num_envs() == 0 ? 8 : request->num_envs();
  const int64_t episodes = request->episodes() == 0 ? 100 : request->episodes();
  if (num_envs < 1 || num_envs > limits_.max_train_envs) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("num_envs must be in 1..", limits_.max_train_envs, ", got ", num_envs)));
  }
  if (episodes < 1 || episodes > limits_.max_train_episodes) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("episodes must be in 1..", limits_.max_train_episodes, ", got ", episodes)));
  }
  if (training_jobs_.fetch_add(1) >= limits_.max_training_jobs) {
    training_jobs_.fetch_sub(1);
    return ToGrpcStatus(absl::ResourceExhaustedError(absl::StrCat(
        "the server runs ", limits_.max_training_jobs, " training job(s) at most; try later")));
  }
  struct JobSlot {
    std::atomic<int>& jobs;
    ~JobSlot() { jobs.fetch_sub(1); }
  } slot{training_jobs_};

  auto status = [&]() -> absl::Status {
    auto config = codec::FromProto(request->config());
    if (!config.ok()) return config.status();
    auto agent_config = ParseAgentConfig(request->agent_config_json());
    if (!agent_config.ok()) return agent_config.status();
    auto held = std::make_shared<HeldPolicy>();
    held->env_id = request->env_id();
    held->config = *config;
    auto pool = MakePool(request->env_id(), *config, num_envs, request->seed());
    if (!pool.ok()) return pool.status();
    held->pool = *std::move(pool);
    auto trainer = MakeTrainer(request->agent(), *agent_config, request->seed(), held->pool.get());
    if (!trainer.ok()) return trainer.status();
    held->trainer = *std::move(trainer);
    const auto names = held->trainer->policy().learner_names();
    bool client_gone = false;
    agents::PpoTrainer::TrainOptions options;
    options.episodes = episodes;
    options.on_update = [&](const agents::UpdateRecord& u) {
      v1::TrainProgress p;
      p.set_update(u.update);
      p.set_total_steps(u.total_steps);
      p.set_episodes(u.episodes);
      p.set_mean_episode_reward(u.mean_episode_reward);
      p.set_steps_per_s(u.steps_per_s);
      for (size_t i = 0; i < u.stats.size(); ++i) {
        ToProto(i < names.size() ? names[i] : absl::StrCat("learner", i), u.stats[i],
                p.add_learners());
      }
      if (!writer->Write(p)) client_gone = true;
    };
    options.should_stop = [&] { return client_gone || context->IsCancelled(); };
    if (auto s = held->trainer->Train(options); !s.ok()) return s;
    v1::TrainProgress last;
    last.set_done(true);
    last.set_update(held->trainer->updates());
    last.set_total_steps(held->trainer->total_steps());
    last.set_episodes(held->trainer->episodes());
    auto id = Hold(std::move(held));
    if (!id.ok()) return id.status();
    last.set_policy_id(*id);
    writer->Write(last);
    return absl::OkStatus();
  }();
  return ToGrpcStatus(status);
}

grpc::Status AgentServiceImpl::LoadPolicy(grpc::ServerContext*,
                                          const v1::LoadPolicyRequest* request,
                                          v1::LoadPolicyResponse* response) {
  auto status = [&]() -> absl::Status {
    auto config = codec::FromProto(request->config());
    if (!config.ok()) return config.status();
    auto agent_config = ParseAgentConfig(request->agent_config_json());
    if (!agent_config.ok()) return agent_config.status();
    nlohmann::json checkpoint =
        nlohmann::json::parse(request->checkpoint_json(), nullptr, /*allow_exceptions=*/false);
    if (checkpoint.is_discarded() || !checkpoint.is_object()) {
      return absl::InvalidArgumentError("checkpoint_json: not a JSON object");
    }
    auto held = std::make_shared<HeldPolicy>();
    held->env_id = request->env_id();
    held->config = *config;
    auto pool = MakePool(request->env_id(), *config, 1, 0);
    if (!pool.ok()) return pool.status();
    held->pool = *std::move(pool);
    // The checkpoint's own seed, so the policy continues exactly as saved.
    uint64_t seed = 0;
    if (auto c = checkpoint.find("config"); c != checkpoint.end() && c->is_object()) {
      if (auto sd = c->find("seed"); sd != c->end() && sd->is_number_unsigned()) {
        seed = sd->get<uint64_t>();
      }
    }
    auto trainer = MakeTrainer(request->agent(), *agent_config, seed, held->pool.get());
    if (!trainer.ok()) return trainer.status();
    if (auto s = (*trainer)->Load(checkpoint); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint_json: ", s.message()));
    }
    held->trainer = *std::move(trainer);
    codec::ToProto(held->pool->spec(), response->mutable_spec());
    auto id = Hold(std::move(held));
    if (!id.ok()) return id.status();
    response->set_policy_id(*id);
    return absl::OkStatus();
  }();
  return ToGrpcStatus(status);
}

grpc::Status AgentServiceImpl::Act(grpc::ServerContext*, const v1::ActRequest* request,
                                   v1::ActResponse* response) {
  auto status = [&]() -> absl::Status {
    auto held = Find(request->policy_id());
    if (!held.ok()) return held.status();
    HeldPolicy& p = **held;
    std::lock_guard lock(p.mu);
    const env::EnvSpec& spec = p.pool->spec();
    if (request->observation_size() != static_cast<int>(spec.obs_leaves.size())) {
      return absl::InvalidArgumentError(absl::StrCat("observation: ", request->observation_size(),
                                                     " tensors, expected ",
                                                     spec.obs_leaves.size()));
    }
    std::vector<env::Tensor> obs(spec.obs_leaves.size());
    int64_t rows = -1;
    for (size_t k = 0; k < obs.size(); ++k) {
      const env::Leaf& leaf = spec.obs_leaves[k];
      const std::string what = absl::StrCat("observation '", leaf.name, "'");
      if (auto s = codec::FromProto(request->observation(k), what, &obs[k]); !s.ok()) return s;
      std::vector<int64_t> want = {obs[k].shape().empty() ? -1 : obs[k].shape()[0]};
      want.insert(want.end(), leaf.shape.begin(), leaf.shape.end());
      if (obs[k].dtype() != leaf.dtype || obs[k].shape() != want || want[0] < 1 ||
          (rows >= 0 && want[0] != rows)) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": expected dtype ", env::DTypeName(leaf.dtype), " and shape [B, ",
            leaf.space->DebugString(), "] with the same B for every leaf"));
      }
      rows = want[0];
    }
    env::Tensor mask;
    const env::Tensor* mask_ptr = nullptr;
    if (request->has_action_mask()) {
      if (auto s = codec::FromProto(request->action_mask(), "action_mask", &mask); !s.ok()) {
        return s;
      }
      if (mask.dtype() != env::DType::kBool ||
          mask.shape() != std::vector<int64_t>{rows, spec.action_mask_size}) {
        return absl::InvalidArgumentError(absl::StrCat("action_mask: expected bool [", rows, ", ",
                                                       spec.action_mask_size, "]"));
      }
      mask_ptr = &mask;
    }
    env::Rng rng(request->seed());
    env::ActionBatch actions;
    if (auto s = p.trainer->Act(obs, mask_ptr, request->deterministic(), rng, actions); !s.ok()) {
      return s;
    }
    codec::ToProto(actions, response->mutable_action());
    return absl::OkStatus();
  }();
  return ToGrpcStatus(status);
}

grpc::Status AgentServiceImpl::Evaluate(grpc::ServerContext*, const v1::EvaluateRequest* request,
                                        v1::EvaluateResponse* response) {
  auto status = [&]() -> absl::Status {
    const int64_t episodes = request->episodes() == 0 ? 10 : request->episodes();
    const int64_t num_envs = request->num_envs() == 0 ? 1 : request->num_envs();
    if (episodes < 1 || episodes > limits_.max_train_episodes) {
      return absl::InvalidArgumentError(absl::StrCat("episodes must be in 1..",
                                                     limits_.max_train_episodes));
    }
    if (num_envs < 1 || num_envs > limits_.max_train_envs) {
      return absl::InvalidArgumentError(absl::StrCat("num_envs must be in 1..",
                                                     limits_.max_train_envs));
    }
    auto held = Find(request->policy_id());
    if (!held.ok()) return held.status();
    HeldPolicy& p = **held;
    std::lock_guard lock(p.mu);
    auto pool = MakePool(p.env_id, p.config, num_envs, request->seed());
    if (!pool.ok()) return pool.status();
    auto records =
        p.trainer->Evaluate(pool->get(), episodes, request->deterministic(), request->seed());
    if (!records.ok()) return records.status();
    double sum = 0.0, sum2 = 0.0;
    for (const auto& r : *records) {
      response->add_episode_reward(r.reward);
      response->add_episode_length(r.length);
      sum += r.reward;
      sum2 += r.reward * r.reward;
    }
    const double n = static_cast<double>(records->size());
    if (n > 0) {
      const double mean = sum / n;
      response->set_mean_reward(mean);
      response->set_std_reward(std::sqrt(std::max(0.0, sum2 / n - mean * mean)));
    }
    return absl::OkStatus();
  }();
  return ToGrpcStatus(status);
}

grpc::Status AgentServiceImpl::ExportPolicy(grpc::ServerContext*, const v1::PolicyRef* request,
                                            v1::ExportPolicyResponse* response) {
  auto held = Find(request->policy_id());
  if (!held.ok()) return ToGrpcStatus(held.status());
  std::lock_guard lock((*held)->mu);
  response->set_checkpoint_json((*held)->trainer->Save().dump());
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::ReleasePolicy(grpc::ServerContext*, const v1::PolicyRef* request,
                                             v1::ReleasePolicyResponse*) {
  std::lock_guard lock(mu_);
  if (policies_.erase(request->policy_id()) == 0) {
    return ToGrpcStatus(absl::NotFoundError(
        absl::StrCat("policy '", request->policy_id(), "' not found (already released?)")));
  }
  return grpc::Status::OK;
}

}  // namespace gridrl::server
