// The dual strategic/tactical PPO agent for resilience123 (shared/spec/resilience123.md §9).
//
//   strategic learner  observation -> configuration c (categorical over 6, masked by the
//                      budget), with the weather bias b_c = beta * w * n_DER(c) / 4 added to its
//                      logits (w = 1 in calamity, read from the raw observation)
//   tactical learner   observation + one-hot(c) -> 10 Bernoulli switch heads (logits biased by
//                      kappa * w towards closing) and a 2-way grid head
// Separate actor-critic networks and Adam optimisers; each step's reward is split
// strategic_share (0.6) / 1 - strategic_share (0.4) between them; each learner runs its own GAE,
// normalisers and PPO update on the shared rollout. The joint log-probability of an env action is
// the sum of both learners' (each optimises its own part).
//
// The tactical critic's bootstrap values (end of a rollout, a truncated episode) use the
// strategic policy's most likely configuration at that observation, unmasked.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "agents/ppo.h"

namespace gridrl::agents {

struct DualPpoOptions {
  PpoConfig strategic, tactical;
  double strategic_share = 0.6;
  double beta = 2.0;   // weather bias on the strategic logits
  double kappa = 1.0;  // weather bias towards closing on the switch logits
  int64_t weather_index = 1;  // observation element that is 1 in calamity
  std::vector<double> der_count = {0, 1, 2, 3, 4, 4};  // n_DER(c)

  // The paper's settings: update every 25 episodes, 4 epochs, minibatch 64, clip 0.2, target KL
  // 0.01 with early stop at 1.5x, gradient clip 0.5, gamma 0.99, lambda 0.95, value coefficient
  // 0.5, entropy 0.01; learning rates 3e-4 strategic and 1e-4 tactical.
  static DualPpoOptions Paper(uint64_t seed);
  nlohmann::json ToJson() const;
  static absl::StatusOr<DualPpoOptions> FromJson(const nlohmann::json& j);
};

class DualPpoPolicy final : public PpoPolicy {
 public:
  // Needs the Dict action {config: Discrete(K), grid: Discrete(2), switches: MultiBinary(S)}
  // with its flat mask, and a flat observation with the weather flag at weather_index.
  static absl::StatusOr<std::unique_ptr<DualPpoPolicy>> Make(const env::EnvSpec& spec,
                                                             int64_t obs_size,
                                                             const DualPpoOptions& options);
  std::string kind() const override { return "dual-ppo"; }
  std::vector<std::string> learner_names() const override { return {"strategic", "tactical"}; }
  std::vector<PpoLearner*> learners() override { return {strategic_.get(), tactical_.get()}; }
  void Init(uint64_t seed) override;
  void Act(const Matrix& raw_obs, const bool* masks, bool deterministic, const uint8_t* record,
           env::Rng& rng, env::ActionBatch& actions) override;
  void SetOutcome(int64_t env, double reward, bool terminated, bool truncated,
                  const Matrix* final_raw_obs) override;
  void BeginRollout(int64_t num_envs) override;
  void FinishRollout(const Matrix& raw_obs) override;

  // Strategic logit biases for raw observations (K x B).
  Matrix StrategicBias(const Matrix& raw_obs) const;

 private:
  DualPpoPolicy() = default;
  // Tactical input [raw; one-hot(config)] and its bias (switch logits kappa * w).
  void TacticalInput(const Matrix& raw_obs, const Matrix& configs, Matrix& input,
                     Matrix& bias) const;
  // Critic values of both learners for raw observations, with the strategic mode as config.
  void BootstrapValues(const Matrix& raw_obs, Vector& strategic, Vector& tactical);

  DualPpoOptions options_;
  int64_t obs_size_ = 0, num_configs_ = 0, num_switches_ = 0, mask_size_ = 0;
  std::unique_ptr<PpoLearner> strategic_, tactical_;
  std::vector<int64_t> sample_s_, sample_t_;
  Matrix obs_s_, obs_t_, bias_s_, bias_t_, act_s_, act_t_;
  Vector logp_, values_;
};

}  // namespace gridrl::agents
