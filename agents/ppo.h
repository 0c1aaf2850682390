// Native PPO (clipped surrogate, GAE) for any registered environment, written against env::VecEnv
// so it trains on the in-process EnvPool or on a gridrl-server through RemoteVecEnv unchanged.
//
// Two layers:
//   PpoLearner   one actor-critic (separate tanh MLPs for policy and value), its Adam optimiser,
//                observation/return normalisers and rollout buffer. It knows nothing of envs:
//                callers give it encoded observations, masks and optional logit biases, so one
//                trainer can drive several learners (the dual strategic/tactical agent).
//   PpoPolicy    one or more learners and how their outputs become an env action
//                (SinglePpoPolicy: every head of the action space; DualPpoPolicy in dual_ppo.h).
//   PpoTrainer   the generic loop: encodes observations from any space, asks the policy for
//                actions, steps the VecEnv, updates every `rollout_steps` steps per env (or every
//                `update_every_episodes` finished episodes), logs CSV and writes checkpoints.
//
// Determinism: all randomness comes from env::Rng streams derived from (seed, update index), and
// all arithmetic is single-threaded Eigen in a fixed order, so the same seed gives bit-identical
// parameters in-process and remotely, for any pool thread count, and after a save/load.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agents/nn.h"
#include "agents/nn_heads.h"
#include "env/vec_env.h"
#include "nlohmann/json.hpp"

namespace gridrl::agents {

struct PpoConfig {
  std::vector<int64_t> hidden = {64, 64};
  double learning_rate = 3e-4;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  double clip_range = 0.2;
  double value_coef = 0.5;
  double entropy_coef = 0.01;
  double max_grad_norm = 0.5;
  int64_t epochs = 4;
  int64_t minibatch_size = 64;
  int64_t rollout_steps = 128;        // steps per env between updates (when the next is 0)
  int64_t update_every_episodes = 0;  // > 0: update after this many finished episodes instead
  double target_kl = 0.0;             // > 0: stop the epochs once KL > kl_stop_factor * target_kl
  double kl_stop_factor = 1.5;
  bool normalize_obs = true;
  bool normalize_reward = true;
  bool normalize_advantage = true;
  double clip_obs = 10.0;
  double clip_reward = 10.0;
  double init_log_std = 0.0;
  uint64_t seed = 0;

  nlohmann::json ToJson() const;
  static absl::StatusOr<PpoConfig> FromJson(const nlohmann::json& j);  // missing keys: defaults
};

// Statistics of one update.
struct UpdateStats {
  double policy_loss = 0.0, value_loss = 0.0, entropy = 0.0, approx_kl = 0.0;
  double clip_fraction = 0.0, explained_variance = 0.0, grad_norm = 0.0;
  int64_t epochs_run = 0, samples = 0;
  bool early_stopped = false;
};

// A stream seed for (seed, purpose, index), so any rollout or update can be replayed alone.
uint64_t StreamSeed(uint64_t seed, uint64_t purpose, uint64_t index);

class PpoLearner {
 public:
  // obs_size: length of the encoded observation; heads: the action distribution.
  PpoLearner(int64_t obs_size, ActionHeads heads, const PpoConfig& config);

  const PpoConfig& config() const { return config_; }
  const ActionHeads& heads() const { return heads_; }
  int64_t obs_size() const { return obs_size_; }
  int64_t mask_size() const { return mask_size_; }
  void set_mask_size(int64_t n) { mask_size_ = n; }

  // Fresh weights from `rng` (actor output gain 0.01, critic 1).
  void Init(env::Rng& rng);

  // Normalises raw encoded observations (obs_size x B) in place, first adding them to the running
  // statistics when `update` (training).
  void NormalizeObs(Matrix& obs, bool update);
  // Reward scaling by the running std of the discounted return of each env (training only).
  double ScaleReward(int64_t env, double reward, bool episode_ended);
  void ResetRewardScaling(int64_t num_envs);

  // Policy forward for B normalised observations: logits (+ bias when given) and values.
  void Forward(const Matrix& obs, const Matrix* bias, Matrix& logits, Vector& values);
  Vector Values(const Matrix& obs);
  // Samples (or takes the mode of) each column's action; masks are mask_size bools per column.
  void Act(const Matrix& obs, const bool* masks, const Matrix* bias, bool deterministic,
           env::Rng& rng, Matrix& actions, Vector& logp, Vector& values);

  // Rollout buffer. Add one step of env `env` (its normalised observation column, mask row, bias
  // column, the action taken and what Act returned), then its reward and how the step ended.
  // `bootstrap_value` is V(final observation) for a truncated step.
  void BeginRollout(int64_t num_envs);
  int64_t Add(int64_t env, const double* obs, const bool* mask, const double* bias,
              const double* action, double logp, double value);
  void SetOutcome(int64_t sample, double reward, bool terminated, bool truncated,
                  double bootstrap_value);
  int64_t rollout_size() const { return static_cast<int64_t>(logp_.size()); }
  // GAE with the values of each env's current observation (ignored where its last step ended).
  void FinishRollout(const Vector& last_values);
  // Epochs of minibatch updates over the rollout; `rng` shuffles.
  UpdateStats Update(env::Rng& rng);
  // Sets the advantages LossAndGrad uses (normalised when configured); Update calls it.
  void PrepareAdvantages();

  // The whole trainable state (weights, Adam, normalisers), exactly; Load checks shapes.
  nlohmann::json Save() const;
  absl::Status Load(const nlohmann::json& j);
  const Vector& params() const { return params_; }
  Vector& mutable_params() { return params_; }

  // The PPO loss (clipped surrogate - entropy_coef * entropy + value_coef * squared error) over
  // `samples` of the finished rollout with `params`, and its gradient when `grad` is non-null.
  // Uses the advantages as the last Update normalised them (PrepareAdvantages for tests).
  double LossAndGrad(const Vector& params, Vector* grad, UpdateStats* stats,
                     std::span<const int64_t> samples);

 private:
  int64_t obs_size_;
  ActionHeads heads_;
  PpoConfig config_;
  int64_t mask_size_ = 0;
  Mlp actor_, critic_;
  int64_t actor_offset_ = 0, log_std_offset_ = 0, critic_offset_ = 0;
  Vector params_;
  Adam adam_;
  RunningStats obs_stats_, ret_stats_;
  std::vector<double> running_return_;

  // Rollout storage (one entry per sample; per_env_ gives each env's samples in time order).
  std::vector<double> obs_, bias_, actions_, logp_, value_, reward_, boot_, adv_, ret_;
  std::vector<double> adv_train_;  // adv_, normalised for the update
  std::vector<uint8_t> masks_, terminal_, ended_;
  std::vector<std::vector<int64_t>> per_env_;
  bool has_bias_ = false;

  Mlp::Cache actor_cache_, critic_cache_;
};

// Turns any observation space into a flat vector: Box and MultiBinary leaves as their values,
// Discrete and MultiDiscrete leaves one-hot.
class ObsEncoder {
 public:
  explicit ObsEncoder(const env::EnvSpec& spec);
  int64_t size() const { return size_; }
  // Column `col` of `out` from row `row` of the leaf tensors (obs or final_obs of a StepBatch).
  void Encode(const std::vector<env::Tensor>& leaves, int64_t row, Matrix& out,
              int64_t col) const;

 private:
  std::vector<env::Leaf> leaves_;
  int64_t size_ = 0;
};

struct EpisodeRecord {
  int64_t index = 0;
  int32_t env_id = 0;
  double reward = 0.0;  // raw, undiscounted
  int64_t length = 0;
  std::vector<double> final_info;  // the env's infos (spec info_keys) on the episode's last step
};

struct UpdateRecord {
  int64_t update = 0, total_steps = 0, episodes = 0;
  double mean_episode_reward = 0.0;  // over the episodes finished in this rollout (NaN if none)
  double steps_per_s = 0.0, env_seconds = 0.0, agent_seconds = 0.0;
  std::vector<UpdateStats> stats;  // one per learner of the policy
};

// A policy made of one or more PpoLearners, and how their outputs become an env action. The
// trainer owns the env loop; the policy decides actions, splits rewards and stores samples.
class PpoPolicy {
 public:
  virtual ~PpoPolicy() = default;
  virtual std::string kind() const = 0;  // "ppo", "dual-ppo": checked when loading a checkpoint
  virtual std::vector<std::string> learner_names() const = 0;
  virtual std::vector<PpoLearner*> learners() = 0;
  // Fresh weights for every learner from streams of `seed`.
  virtual void Init(uint64_t seed) = 0;

  // Chooses actions for B envs from their encoded raw observations (columns) and flat mask rows
  // (mask_size bools each, or null). When `record` is non-null (training), observation statistics
  // are updated and env r's step is stored in every learner when record[r] != 0.
  virtual void Act(const Matrix& raw_obs, const bool* masks, bool deterministic,
                   const uint8_t* record, env::Rng& rng, env::ActionBatch& actions) = 0;
  // The outcome of env r's recorded step. `final_raw_obs` is the encoded final observation of a
  // truncated episode (for bootstrapping), else null.
  virtual void SetOutcome(int64_t env, double reward, bool terminated, bool truncated,
                          const Matrix* final_raw_obs) = 0;
  virtual void BeginRollout(int64_t num_envs) = 0;
  // GAE for every learner, with the envs' current encoded observations.
  virtual void FinishRollout(const Matrix& raw_obs) = 0;
};

// Single-learner PPO over every head of an env's action space.
class SinglePpoPolicy final : public PpoPolicy {
 public:
  static absl::StatusOr<std::unique_ptr<SinglePpoPolicy>> Make(const env::EnvSpec& spec,
                                                               int64_t obs_size,
                                                               const PpoConfig& config);
  std::string kind() const override { return "ppo"; }
  std::vector<std::string> learner_names() const override { return {"policy"}; }
  std::vector<PpoLearner*> learners() override { return {learner_.get()}; }
  void Init(uint64_t seed) override;
  void Act(const Matrix& raw_obs, const bool* masks, bool deterministic, const uint8_t* record,
           env::Rng& rng, env::ActionBatch& actions) override;
  void SetOutcome(int64_t env, double reward, bool terminated, bool truncated,
                  const Matrix* final_raw_obs) override;
  void BeginRollout(int64_t num_envs) override;
  void FinishRollout(const Matrix& raw_obs) override;

 private:
  std::unique_ptr<PpoLearner> learner_;
  std::vector<int64_t> sample_;  // per env: its sample of the current step
  Matrix obs_, actions_;
  Vector logp_, values_;
};

class PpoTrainer {
 public:
  // `vec` must be synchronous (batch_size == num_envs) with NEXT_STEP or SAME_STEP autoreset.
  // `config` gives the rollout length, the seed and (for Make) every learner's settings.
  static absl::StatusOr<std::unique_ptr<PpoTrainer>> Make(env::VecEnv* vec, PpoConfig config);
  static absl::StatusOr<std::unique_ptr<PpoTrainer>> MakeWithPolicy(
      env::VecEnv* vec, PpoConfig config, std::unique_ptr<PpoPolicy> policy);

  // Trains until `episodes` more episodes have finished (the rollout in progress then completes
  // and is learned from). With out_dir non-empty, appends to progress.csv and episodes.csv there
  // and writes checkpoint.json after every `checkpoint_every` updates and at the end.
  struct TrainOptions {
    int64_t episodes = 100;
    std::string out_dir;
    int64_t checkpoint_every = 10;
    std::function<void(const UpdateRecord&)> on_update;
    // Polled after every update; true ends training there (the checkpoint is still written).
    std::function<bool()> should_stop;
  };
  absl::Status Train(const TrainOptions& options);

  // `episodes` episodes on `vec` (an env with the same interface; env r plays an equal share so
  // short episodes are not over-represented), frozen normalisers; deterministic = mode of every
  // head. Raw rewards.
  // `on_step` (optional) sees every step's actions and results, e.g. to log them.
  using StepHook = std::function<void(const env::ActionBatch&, const env::StepBatch&)>;
  absl::StatusOr<std::vector<EpisodeRecord>> Evaluate(env::VecEnv* vec, int64_t episodes,
                                                      bool deterministic, uint64_t seed,
                                                      const StepHook& on_step = nullptr);

  // Actions for a batch of observations (leaf tensors [B, ...], as in a StepBatch) and its flat
  // mask ([B, mask size], or null): serving a trained policy outside a training loop.
  absl::Status Act(const std::vector<env::Tensor>& obs, const env::Tensor* action_mask,
                   bool deterministic, env::Rng& rng, env::ActionBatch& actions);

  nlohmann::json Save() const;  // config, counters, every learner's state, env id, policy kind
  absl::Status Load(const nlohmann::json& j);
  absl::Status SaveFile(const std::string& path) const;
  absl::Status LoadFile(const std::string& path);

  PpoPolicy& policy() { return *policy_; }
  PpoLearner& learner(size_t i = 0) { return *policy_->learners()[i]; }
  int64_t updates() const { return updates_; }
  int64_t episodes() const { return episodes_; }
  int64_t total_steps() const { return total_steps_; }
  double env_seconds() const { return env_seconds_; }
  double agent_seconds() const { return agent_seconds_; }
  const std::vector<EpisodeRecord>& episode_log() const { return episode_log_; }

 private:
  PpoTrainer(env::VecEnv* vec, PpoConfig config, std::unique_ptr<PpoPolicy> policy);

  env::VecEnv* vec_;
  PpoConfig config_;
  ObsEncoder encoder_;
  std::unique_ptr<PpoPolicy> policy_;
  int64_t num_envs_;
  int64_t updates_ = 0, episodes_ = 0, total_steps_ = 0;
  double env_seconds_ = 0.0, agent_seconds_ = 0.0;
  std::vector<EpisodeRecord> episode_log_;
};

// JSON files (checkpoints, run descriptions), written atomically.
absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path);
absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& j);

}  // namespace gridrl::agents
