#include "envs/resilience123/dual_ppo.h"

#include "absl/strings/str_cat.h"

namespace gridrl::agents {

DualPpoOptions DualPpoOptions::Paper(uint64_t seed) {
  DualPpoOptions o;
  for (PpoConfig* c : {&o.strategic, &o.tactical}) {
    c->gamma = 0.99;
    c->gae_lambda = 0.95;
    c->clip_range = 0.2;
    c->value_coef = 0.5;
    c->entropy_coef = 0.01;
    c->minibatch_size = 64;
    c->epochs = 4;
    c->update_every_episodes = 25;
    c->max_grad_norm = 0.5;
    c->target_kl = 0.01;
    c->kl_stop_factor = 1.5;
    c->seed = seed;
  }
  o.strategic.learning_rate = 3e-4;
  o.tactical.learning_rate = 1e-4;
  return o;
}

nlohmann::json DualPpoOptions::ToJson() const {
  return {{"strategic", strategic.ToJson()}, {"tactical", tactical.ToJson()},
          {"strategic_share", strategic_share}, {"beta", beta},
          {"kappa", kappa},                      {"weather_index", weather_index},
          {"der_count", der_count}};
}

absl::StatusOr<DualPpoOptions> DualPpoOptions::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("strategic") || !j.contains("tactical")) {
    return absl::InvalidArgumentError("dual-ppo options need 'strategic' and 'tactical' objects");
  }
  DualPpoOptions o;
  auto s = PpoConfig::FromJson(j["strategic"]);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("strategic: ", s.status().message()));
  auto t = PpoConfig::FromJson(j["tactical"]);
  if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("tactical: ", t.status().message()));
  o.strategic = *s;
  o.tactical = *t;
  try {
    o.strategic_share = j.value("strategic_share", o.strategic_share);
    o.beta = j.value("beta", o.beta);
    o.kappa = j.value("kappa", o.kappa);
    o.weather_index = j.value("weather_index", o.weather_index);
    o.der_count = j.value("der_count", o.der_count);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("dual-ppo options: ", e.what()));
  }
  if (!(o.strategic_share >= 0 && o.strategic_share <= 1)) {
    return absl::InvalidArgumentError("strategic_share must be in [0, 1]");
  }
  return o;
}

absl::StatusOr<std::unique_ptr<DualPpoPolicy>> DualPpoPolicy::Make(const env::EnvSpec& spec,
                                                                   int64_t obs_size,
                                                                   const DualPpoOptions& options) {
  const auto& leaves = spec.action_leaves;
  const bool shape_ok = spec.action_space.kind == env::SpaceKind::kDict && leaves.size() == 3 &&
                        leaves[0].name == "config" &&
                        leaves[0].space->kind == env::SpaceKind::kDiscrete &&
                        leaves[1].name == "grid" &&
                        leaves[1].space->kind == env::SpaceKind::kDiscrete &&
                        leaves[1].space->n == 2 && leaves[2].name == "switches" &&
                        leaves[2].space->kind == env::SpaceKind::kMultiBinary;
  if (!shape_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dual-ppo needs the action Dict{config: Discrete(K), grid: Discrete(2), switches: "
        "MultiBinary(S)} (resilience123 with action_space=dict); env '",
        spec.id, "' has ", spec.action_space.DebugString()));
  }
  if (options.weather_index < 0 || options.weather_index >= obs_size) {
    return absl::InvalidArgumentError(absl::StrCat("weather_index ", options.weather_index,
                                                   " is outside the observation (size ",
                                                   obs_size, ")"));
  }
  const int64_t k = leaves[0].space->n;
  if (static_cast<int64_t>(options.der_count.size()) != k) {
    return absl::InvalidArgumentError(absl::StrCat("der_count has ", options.der_count.size(),
                                                   " entries; the env has ", k,
                                                   " configurations"));
  }
  if (leaves[0].space->start != 0 || leaves[1].space->start != 0) {
    return absl::InvalidArgumentError("dual-ppo: config and grid must start at 0");
  }
  std::unique_ptr<DualPpoPolicy> p(new DualPpoPolicy());
  p->options_ = options;
  p->obs_size_ = obs_size;
  p->num_configs_ = k;
  p->num_switches_ = leaves[2].num_elements;
  p->mask_size_ = spec.action_mask_size;
  const int64_t mask_offset = spec.has_action_mask ? 0 : -1;
  ActionHeads strategic;
  strategic.AddCategorical("config", {k}, mask_offset);
  ActionHeads tactical;
  tactical.AddBernoulli("switches", p->num_switches_);
  tactical.AddCategorical("grid", {2}, spec.has_action_mask ? k : -1);
  p->strategic_ = std::make_unique<PpoLearner>(obs_size, std::move(strategic), options.strategic);
  p->tactical_ =
      std::make_unique<PpoLearner>(obs_size + k, std::move(tactical), options.tactical);
  p->strategic_->set_mask_size(p->mask_size_);
  p->tactical_->set_mask_size(p->mask_size_);
  return p;
}

void DualPpoPolicy::Init(uint64_t seed) {
  env::Rng s(StreamSeed(seed, 0, 0)), t(StreamSeed(seed, 0, 1));
  strategic_->Init(s);
  tactical_->Init(t);
}

Matrix DualPpoPolicy::StrategicBias(const Matrix& raw_obs) const {
  Matrix bias(num_configs_, raw_obs.cols());
  for (int64_t r = 0; r < raw_obs.cols(); ++r) {
    const double w = raw_obs(options_.weather_index, r);
    for (int64_t c = 0; c < num_configs_; ++c) {
      bias(c, r) = options_.beta * w * options_.der_count[c] / 4.0;
    }
  }
  return bias;
}

void DualPpoPolicy::TacticalInput(const Matrix& raw_obs, const Matrix& configs, Matrix& input,
                                  Matrix& bias) const {
  const int64_t b = raw_obs.cols();
  input.resize(obs_size_ + num_configs_, b);
  input.topRows(obs_size_) = raw_obs;
  input.bottomRows(num_configs_).setZero();
  bias = Matrix::Zero(num_switches_ + 2, b);
  for (int64_t r = 0; r < b; ++r) {
    input(obs_size_ + static_cast<int64_t>(configs(0, r)), r) = 1.0;
    bias.col(r).head(num_switches_).setConstant(options_.kappa *
                                                raw_obs(options_.weather_index, r));
  }
}

void DualPpoPolicy::Act(const Matrix& raw_obs, const bool* masks, bool deterministic,
                        const uint8_t* record, env::Rng& rng, env::ActionBatch& actions) {
  const int64_t b = raw_obs.cols();
  const bool training = record != nullptr;
  obs_s_ = raw_obs;
  strategic_->NormalizeObs(obs_s_, training);
  bias_s_ = StrategicBias(raw_obs);
  strategic_->Act(obs_s_, masks, &bias_s_, deterministic, rng, act_s_, logp_, values_);
  if (training) {
    for (int64_t r = 0; r < b; ++r) {
      sample_s_[r] = -1;
      if (record[r]) {
        sample_s_[r] = strategic_->Add(r, obs_s_.col(r).data(),
                                       masks ? masks + r * mask_size_ : nullptr,
                                       bias_s_.col(r).data(), act_s_.col(r).data(), logp_[r],
                                       values_[r]);
      }
    }
  }
  TacticalInput(raw_obs, act_s_, obs_t_, bias_t_);
  tactical_->NormalizeObs(obs_t_, training);
  tactical_->Act(obs_t_, masks, &bias_t_, deterministic, rng, act_t_, logp_, values_);
  for (int64_t r = 0; r < b; ++r) {
    if (training) {
      sample_t_[r] = -1;
      if (record[r]) {
        sample_t_[r] = tactical_->Add(r, obs_t_.col(r).data(),
                                      masks ? masks + r * mask_size_ : nullptr,
                                      bias_t_.col(r).data(), act_t_.col(r).data(), logp_[r],
                                      values_[r]);
      }
    }
    actions.leaves[0].data<int64_t>()[r] = static_cast<int64_t>(act_s_(0, r));
    actions.leaves[1].data<int64_t>()[r] = static_cast<int64_t>(act_t_(num_switches_, r));
    int8_t* sw = reinterpret_cast<int8_t*>(actions.leaves[2].row(r));
    for (int64_t j = 0; j < num_switches_; ++j) sw[j] = act_t_(j, r) > 0.5 ? 1 : 0;
  }
}

void DualPpoPolicy::BootstrapValues(const Matrix& raw_obs, Vector& strategic, Vector& tactical) {
  Matrix s = raw_obs;
  strategic_->NormalizeObs(s, false);
  Matrix bias = StrategicBias(raw_obs), logits, mode(1, raw_obs.cols());
  strategic_->Forward(s, &bias, logits, strategic);
  for (int64_t r = 0; r < raw_obs.cols(); ++r) {
    Eigen::Index best;
    logits.col(r).maxCoeff(&best);
    mode(0, r) = static_cast<double>(best);
  }
  Matrix t, tbias;
  TacticalInput(raw_obs, mode, t, tbias);
  tactical_->NormalizeObs(t, false);
  tactical = tactical_->Values(t);
}

void DualPpoPolicy::SetOutcome(int64_t env, double reward, bool terminated, bool truncated,
                               const Matrix* final_raw_obs) {
  Vector vs = Vector::Zero(1), vt = Vector::Zero(1);
  if (final_raw_obs != nullptr) BootstrapValues(*final_raw_obs, vs, vt);
  const bool ended = terminated || truncated;
  const double share = options_.strategic_share;
  strategic_->SetOutcome(sample_s_[env], strategic_->ScaleReward(env, share * reward, ended),
                         terminated, truncated, vs[0]);
  tactical_->SetOutcome(sample_t_[env],
                        tactical_->ScaleReward(env, (1.0 - share) * reward, ended), terminated,
                        truncated, vt[0]);
}

void DualPpoPolicy::BeginRollout(int64_t num_envs) {
  strategic_->BeginRollout(num_envs);
  tactical_->BeginRollout(num_envs);
  sample_s_.assign(num_envs, -1);
  sample_t_.assign(num_envs, -1);
}

void DualPpoPolicy::FinishRollout(const Matrix& raw_obs) {
  Vector vs, vt;
  BootstrapValues(raw_obs, vs, vt);
  strategic_->FinishRollout(vs);
  tactical_->FinishRollout(vt);
}

}  // namespace gridrl::agents
