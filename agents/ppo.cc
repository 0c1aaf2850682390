#include "agents/ppo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <tuple>
#include <filesystem>
#include <fstream>
#include <limits>

#include "absl/strings/str_cat.h"

namespace gridrl::agents {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::vector<double> ToVec(const Vector& v) { return {v.data(), v.data() + v.size()}; }

absl::Status FromVec(const nlohmann::json& j, const char* key, int64_t size, Vector& out) {
  if (!j.contains(key) || !j[key].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint: '", key, "' is missing"));
  }
  const auto& a = j[key];
  if (static_cast<int64_t>(a.size()) != size) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint: '", key, "' has ", a.size(),
                                                   " values, this network needs ", size));
  }
  out.resize(size);
  for (int64_t i = 0; i < size; ++i) {
    if (!a[i].is_number()) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint: '", key, "'[", i,
                                                     "] is not a number"));
    }
    out[i] = a[i].get<double>();
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t StreamSeed(uint64_t seed, uint64_t purpose, uint64_t index) {
  env::Rng mix(seed ^ (purpose * 0x9e3779b97f4a7c15ULL));
  uint64_t a = mix.Next();
  env::Rng mix2(a ^ (index * 0xd1b54a32d192ed03ULL + purpose));
  return mix2.Next();
}

// ---------------------------------------------------------------------------------------------
// PpoConfig

nlohmann::json PpoConfig::ToJson() const {
  return {{"hidden", hidden},
          {"learning_rate", learning_rate},
          {"gamma", gamma},
          {"gae_lambda", gae_lambda},
          {"clip_range", clip_range},
          {"value_coef", value_coef},
          {"entropy_coef", entropy_coef},
          {"max_grad_norm", max_grad_norm},
          {"epochs", epochs},
          {"minibatch_size", minibatch_size},
          {"rollout_steps", rollout_steps},
          {"update_every_episodes", update_every_episodes},
          {"target_kl", target_kl},
          {"kl_stop_factor", kl_stop_factor},
          {"normalize_obs", normalize_obs},
          {"normalize_reward", normalize_reward},
          {"normalize_advantage", normalize_advantage},
          {"clip_obs", clip_obs},
          {"clip_reward", clip_reward},
          {"init_log_std", init_log_std},
          {"seed", seed}};
}

absl::StatusOr<PpoConfig> PpoConfig::FromJson(const nlohmann::json& j) {
  PpoConfig c;
  if (!j.is_object()) return absl::InvalidArgumentError("PPO config must be a JSON object");
  try {
    auto get = [&](const char* key, auto& field) {
      if (j.contains(key)) field = j[key].get<std::decay_t<decltype(field)>>();
    };
    get("hidden", c.hidden);
    get("learning_rate", c.learning_rate);
    get("gamma", c.gamma);
    get("gae_lambda", c.gae_lambda);
    get("clip_range", c.clip_range);
    get("value_coef", c.value_coef);
    get("entropy_coef", c.entropy_coef);
    get("max_grad_norm", c.max_grad_norm);
    get("epochs", c.epochs);
    get("minibatch_size", c.minibatch_size);
    get("rollout_steps", c.rollout_steps);
    get("update_every_episodes", c.update_every_episodes);
    get("target_kl", c.target_kl);
    get("kl_stop_factor", c.kl_stop_factor);
    get("normalize_obs", c.normalize_obs);
    get("normalize_reward", c.normalize_reward);
    get("normalize_advantage", c.normalize_advantage);
    get("clip_obs", c.clip_obs);
    get("clip_reward", c.clip_reward);
    get("init_log_std", c.init_log_std);
    get("seed", c.seed);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("PPO config: ", e.what()));
  }
  if (c.hidden.empty()) return absl::InvalidArgumentError("hidden: give at least one layer size");
  for (int64_t h : c.hidden) {
    if (h < 1) return absl::InvalidArgumentError("hidden: layer sizes must be >= 1");
  }
  if (c.epochs < 1) return absl::InvalidArgumentError("epochs must be >= 1");
  if (c.minibatch_size < 1) return absl::InvalidArgumentError("minibatch_size must be >= 1");
  if (c.rollout_steps < 1 && c.update_every_episodes < 1) {
    return absl::InvalidArgumentError("rollout_steps or update_every_episodes must be >= 1");
  }
  if (!(c.learning_rate > 0)) return absl::InvalidArgumentError("learning_rate must be > 0");
  if (!(c.gamma > 0 && c.gamma <= 1)) return absl::InvalidArgumentError("gamma must be in (0, 1]");
  if (!(c.gae_lambda >= 0 && c.gae_lambda <= 1)) {
    return absl::InvalidArgumentError("gae_lambda must be in [0, 1]");
  }
  if (!(c.clip_range > 0)) return absl::InvalidArgumentError("clip_range must be > 0");
  return c;
}

// ---------------------------------------------------------------------------------------------
// PpoLearner

PpoLearner::PpoLearner(int64_t obs_size, ActionHeads heads, const PpoConfig& config)
    : obs_size_(obs_size), heads_(std::move(heads)), config_(config) {
  std::vector<int64_t> sizes = {obs_size_};
  sizes.insert(sizes.end(), config_.hidden.begin(), config_.hidden.end());
  std::vector<int64_t> critic_sizes = sizes;
  sizes.push_back(heads_.num_logits());
  critic_sizes.push_back(1);
  actor_ = Mlp(sizes);
  critic_ = Mlp(critic_sizes);
  actor_offset_ = 0;
  log_std_offset_ = actor_.NumParams();
  critic_offset_ = log_std_offset_ + heads_.num_log_std();
  params_ = Vector::Zero(critic_offset_ + critic_.NumParams());
  adam_.Resize(params_.size());
  obs_stats_.Resize(obs_size_);
  ret_stats_.Resize(1);
}

void PpoLearner::Init(env::Rng& rng) {
  params_.setZero();
  actor_.Init({params_.data() + actor_offset_, static_cast<size_t>(actor_.NumParams())}, 0.01,
              rng);
  params_.segment(log_std_offset_, heads_.num_log_std()).setConstant(config_.init_log_std);
  critic_.Init({params_.data() + critic_offset_, static_cast<size_t>(critic_.NumParams())}, 1.0,
               rng);
  adam_.Resize(params_.size());
}

void PpoLearner::NormalizeObs(Matrix& obs, bool update) {
  if (!config_.normalize_obs) return;
  if (update) obs_stats_.Update(obs);
  const Vector inv_std = (obs_stats_.var.array() + 1e-8).rsqrt();
  obs = ((obs.colwise() - obs_stats_.mean).array().colwise() * inv_std.array())
            .cwiseMax(-config_.clip_obs)
            .cwiseMin(config_.clip_obs);
}

void PpoLearner::ResetRewardScaling(int64_t num_envs) { running_return_.assign(num_envs, 0.0); }

double PpoLearner::ScaleReward(int64_t env, double reward, bool episode_ended) {
  if (!config_.normalize_reward) return reward;
  double& g = running_return_[env];
  g = g * config_.gamma + reward;
  Matrix one(1, 1);
  one(0, 0) = g;
  ret_stats_.Update(one);
  if (episode_ended) g = 0.0;
  const double scaled = reward / std::sqrt(ret_stats_.var[0] + 1e-8);
  return std::clamp(scaled, -config_.clip_reward, config_.clip_reward);
}

void PpoLearner::Forward(const Matrix& obs, const Matrix* bias, Matrix& logits, Vector& values) {
  actor_.Forward({params_.data() + actor_offset_, static_cast<size_t>(actor_.NumParams())}, obs,
                 actor_cache_, logits);
  if (bias != nullptr) logits += *bias;
  Matrix v;
  critic_.Forward({params_.data() + critic_offset_, static_cast<size_t>(critic_.NumParams())},
                  obs, critic_cache_, v);
  values = v.row(0).transpose();
}

Vector PpoLearner::Values(const Matrix& obs) {
  Matrix v;
  critic_.Forward({params_.data() + critic_offset_, static_cast<size_t>(critic_.NumParams())},
                  obs, critic_cache_, v);
  return v.row(0).transpose();
}

void PpoLearner::Act(const Matrix& obs, const bool* masks, const Matrix* bias, bool deterministic,
                     env::Rng& rng, Matrix& actions, Vector& logp, Vector& values) {
  Matrix logits;
  Forward(obs, bias, logits, values);
  const int64_t b = obs.cols();
  actions.resize(heads_.action_size(), b);
  logp.resize(b);
  const double* log_std = params_.data() + log_std_offset_;
  for (int64_t i = 0; i < b; ++i) {
    const bool* m = masks != nullptr ? masks + i * mask_size_ : nullptr;
    logp[i] = heads_.Sample(logits.col(i).data(), log_std, m, deterministic, rng,
                            actions.col(i).data());
  }
}

void PpoLearner::BeginRollout(int64_t num_envs) {
  for (auto* v : {&obs_, &bias_, &actions_, &logp_, &value_, &reward_, &boot_, &adv_, &ret_}) {
    v->clear();
  }
  masks_.clear();
  terminal_.clear();
  ended_.clear();
  per_env_.assign(num_envs, {});
  has_bias_ = false;
  if (static_cast<int64_t>(running_return_.size()) != num_envs) ResetRewardScaling(num_envs);
}

int64_t PpoLearner::Add(int64_t env, const double* obs, const bool* mask, const double* bias,
                        const double* action, double logp, double value) {
  const int64_t i = rollout_size();
  obs_.insert(obs_.end(), obs, obs + obs_size_);
  if (bias != nullptr) {
    has_bias_ = true;
    bias_.insert(bias_.end(), bias, bias + heads_.num_logits());
  } else {
    bias_.insert(bias_.end(), heads_.num_logits(), 0.0);
  }
  for (int64_t k = 0; k < mask_size_; ++k) masks_.push_back(mask != nullptr ? mask[k] : 1);
  actions_.insert(actions_.end(), action, action + heads_.action_size());
  logp_.push_back(logp);
  value_.push_back(value);
  reward_.push_back(0.0);
  boot_.push_back(0.0);
  terminal_.push_back(0);
  ended_.push_back(0);
  per_env_[env].push_back(i);
  return i;
}

void PpoLearner::SetOutcome(int64_t sample, double reward, bool terminated, bool truncated,
                            double bootstrap_value) {
  reward_[sample] = reward;
  terminal_[sample] = terminated;
  ended_[sample] = terminated || truncated;
  boot_[sample] = bootstrap_value;
}

void PpoLearner::FinishRollout(const Vector& last_values) {
  const int64_t n = rollout_size();
  adv_.assign(n, 0.0);
  ret_.assign(n, 0.0);
  const double g = config_.gamma, lam = config_.gae_lambda;
  for (size_t e = 0; e < per_env_.size(); ++e) {
    const auto& idx = per_env_[e];
    double gae = 0.0;
    double next_value = last_values.size() > static_cast<int64_t>(e) ? last_values[e] : 0.0;
    for (size_t k = idx.size(); k-- > 0;) {
      const int64_t i = idx[k];
      double next;
      if (terminal_[i]) {
        next = 0.0;
      } else if (ended_[i]) {
        next = boot_[i];  // truncated: the value of the final observation
      } else {
        next = next_value;
      }
      const double delta = reward_[i] + g * next - value_[i];
      gae = delta + (ended_[i] ? 0.0 : g * lam * gae);
      adv_[i] = gae;
      ret_[i] = gae + value_[i];
      next_value = value_[i];
    }
  }
}

double PpoLearner::LossAndGrad(const Vector& params, Vector* grad, UpdateStats* stats,
                               std::span<const int64_t> samples) {
  const int64_t b = static_cast<int64_t>(samples.size());
  const int64_t na = heads_.action_size(), nl = heads_.num_logits(), ns = heads_.num_log_std();
  Matrix x(obs_size_, b);
  for (int64_t c = 0; c < b; ++c) {
    x.col(c) = Eigen::Map<const Vector>(obs_.data() + samples[c] * obs_size_, obs_size_);
  }
  std::span<const double> actor_p{params.data() + actor_offset_,
                                  static_cast<size_t>(actor_.NumParams())};
  std::span<const double> critic_p{params.data() + critic_offset_,
                                   static_cast<size_t>(critic_.NumParams())};
  Matrix logits, v;
  actor_.Forward(actor_p, x, actor_cache_, logits);
  critic_.Forward(critic_p, x, critic_cache_, v);
  if (has_bias_) {
    for (int64_t c = 0; c < b; ++c) {
      logits.col(c) += Eigen::Map<const Vector>(bias_.data() + samples[c] * nl, nl);
    }
  }
  const double* log_std = params.data() + log_std_offset_;
  Matrix d_logits = Matrix::Zero(nl, b);
  Vector d_log_std = Vector::Zero(ns);
  Matrix d_v(1, b);
  Vector gl(nl), ge(nl), gs(ns), gse(ns);
  std::unique_ptr<bool[]> mask_buf(new bool[std::max<int64_t>(mask_size_, 1)]);
  const double clip = config_.clip_range;
  double pl = 0.0, ent = 0.0, vl = 0.0, kl = 0.0, clipped = 0.0;
  for (int64_t c = 0; c < b; ++c) {
    const int64_t i = samples[c];
    for (int64_t k = 0; k < mask_size_; ++k) mask_buf[k] = masks_[i * mask_size_ + k] != 0;
    const ActionHeads::Eval e = heads_.Evaluate(
        logits.col(c).data(), log_std, mask_size_ > 0 ? mask_buf.get() : nullptr,
        actions_.data() + i * na, gl.data(), ge.data(), gs.data(), gse.data());
    const double log_ratio = e.logp - logp_[i];
    const double ratio = std::exp(log_ratio);
    const double a = adv_train_[i];
    const double s1 = ratio * a;
    const double s2 = std::clamp(ratio, 1.0 - clip, 1.0 + clip) * a;
    pl += -std::min(s1, s2);
    const double d_logp = (s1 <= s2) ? -ratio * a : 0.0;
    ent += e.entropy;
    kl += (ratio - 1.0) - log_ratio;
    if (std::abs(ratio - 1.0) > clip) clipped += 1.0;
    d_logits.col(c) = (d_logp * gl - config_.entropy_coef * ge) / double(b);
    if (ns > 0) d_log_std += (d_logp * gs - config_.entropy_coef * gse) / double(b);
    const double err = v(0, c) - ret_[i];
    vl += err * err;
    d_v(0, c) = 2.0 * config_.value_coef * err / double(b);
  }
  const double inv_b = 1.0 / double(b);
  const double loss =
      pl * inv_b - config_.entropy_coef * ent * inv_b + config_.value_coef * vl * inv_b;
  if (stats != nullptr) {
    stats->policy_loss = pl * inv_b;
    stats->value_loss = vl * inv_b;
    stats->entropy = ent * inv_b;
    stats->approx_kl = kl * inv_b;
    stats->clip_fraction = clipped * inv_b;
  }
  if (grad != nullptr) {
    grad->setZero(params.size());
    actor_.Backward(actor_p, actor_cache_, d_logits,
                    {grad->data() + actor_offset_, static_cast<size_t>(actor_.NumParams())});
    critic_.Backward(critic_p, critic_cache_, d_v,
                     {grad->data() + critic_offset_, static_cast<size_t>(critic_.NumParams())});
    if (ns > 0) grad->segment(log_std_offset_, ns) = d_log_std;
  }
  return loss;
}

void PpoLearner::PrepareAdvantages() {
  const int64_t n = rollout_size();
  adv_train_ = adv_;
  if (config_.normalize_advantage && n > 1) {
    double mean = 0.0, sq = 0.0;
    for (double a : adv_) mean += a;
    mean /= double(n);
    for (double a : adv_) sq += (a - mean) * (a - mean);
    const double std = std::sqrt(sq / double(n));
    for (double& a : adv_train_) a = (a - mean) / (std + 1e-8);
  }
}

UpdateStats PpoLearner::Update(env::Rng& rng) {
  UpdateStats total;
  const int64_t n = rollout_size();
  total.samples = n;
  if (n == 0) return total;
  PrepareAdvantages();
  {  // explained variance of the rollout's values
    double mr = 0.0, md = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      mr += ret_[i];
      md += ret_[i] - value_[i];
    }
    mr /= double(n);
    md /= double(n);
    double vr = 0.0, vd = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      vr += (ret_[i] - mr) * (ret_[i] - mr);
      const double d = ret_[i] - value_[i] - md;
      vd += d * d;
    }
    total.explained_variance = vr > 0.0 ? 1.0 - vd / vr : std::numeric_limits<double>::quiet_NaN();
  }
  std::vector<int64_t> order(n);
  Vector grad(params_.size());
  int64_t minibatches = 0;
  const int64_t mb = config_.minibatch_size;
  for (int64_t epoch = 0; epoch < config_.epochs && !total.early_stopped; ++epoch) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    for (int64_t i = n - 1; i > 0; --i) {
      std::swap(order[i], order[rng.UniformInt(static_cast<uint64_t>(i + 1))]);
    }
    for (int64_t start = 0; start < n; start += mb) {
      const int64_t len = std::min(mb, n - start);
      UpdateStats s;
      LossAndGrad(params_, &grad, &s, {order.data() + start, static_cast<size_t>(len)});
      if (config_.target_kl > 0.0 && s.approx_kl > config_.kl_stop_factor * config_.target_kl) {
        total.early_stopped = true;
        total.approx_kl += s.approx_kl;  // reported: the KL that stopped the update
        ++minibatches;
        total.policy_loss += s.policy_loss;
        total.value_loss += s.value_loss;
        total.entropy += s.entropy;
        total.clip_fraction += s.clip_fraction;
        break;
      }
      total.grad_norm += ClipGradNorm(grad, config_.max_grad_norm);
      adam_.Step(params_, grad, config_.learning_rate);
      total.policy_loss += s.policy_loss;
      total.value_loss += s.value_loss;
      total.entropy += s.entropy;
      total.approx_kl += s.approx_kl;
      total.clip_fraction += s.clip_fraction;
      ++minibatches;
    }
    total.epochs_run = epoch + 1;
  }
  if (minibatches > 0) {
    const double inv = 1.0 / double(minibatches);
    total.policy_loss *= inv;
    total.value_loss *= inv;
    total.entropy *= inv;
    total.approx_kl *= inv;
    total.clip_fraction *= inv;
    total.grad_norm *= inv;
  }
  return total;
}

nlohmann::json PpoLearner::Save() const {
  return {{"obs_size", obs_size_},
          {"num_logits", heads_.num_logits()},
          {"num_log_std", heads_.num_log_std()},
          {"params", ToVec(params_)},
          {"adam_m", ToVec(adam_.m)},
          {"adam_v", ToVec(adam_.v)},
          {"adam_t", adam_.t},
          {"obs_mean", ToVec(obs_stats_.mean)},
          {"obs_var", ToVec(obs_stats_.var)},
          {"obs_count", obs_stats_.count},
          {"ret_mean", ToVec(ret_stats_.mean)},
          {"ret_var", ToVec(ret_stats_.var)},
          {"ret_count", ret_stats_.count}};
}

absl::Status PpoLearner::Load(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("checkpoint: learner is not an object");
  if (j.value("obs_size", int64_t{-1}) != obs_size_) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: obs_size ", j.value("obs_size", int64_t{-1}),
                     " does not match this environment's encoded observation size ", obs_size_));
  }
  Vector params, m, v, om, ov, rm, rv;
  for (const auto& [key, size, out] :
       std::vector<std::tuple<const char*, int64_t, Vector*>>{
           {"params", params_.size(), &params},
           {"adam_m", params_.size(), &m},
           {"adam_v", params_.size(), &v},
           {"obs_mean", obs_size_, &om},
           {"obs_var", obs_size_, &ov},
           {"ret_mean", 1, &rm},
           {"ret_var", 1, &rv}}) {
    if (auto s = FromVec(j, key, size, *out); !s.ok()) return s;
  }
  if (!j.contains("adam_t") || !j["adam_t"].is_number_integer() || !j.contains("obs_count") ||
      !j["obs_count"].is_number() || !j.contains("ret_count") || !j["ret_count"].is_number()) {
    return absl::InvalidArgumentError("checkpoint: adam_t, obs_count or ret_count is missing");
  }
  params_ = params;
  adam_.m = m;
  adam_.v = v;
  adam_.t = j["adam_t"].get<int64_t>();
  obs_stats_.mean = om;
  obs_stats_.var = ov;
  obs_stats_.count = j["obs_count"].get<double>();
  ret_stats_.mean = rm;
  ret_stats_.var = rv;
  ret_stats_.count = j["ret_count"].get<double>();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// ObsEncoder

ObsEncoder::ObsEncoder(const env::EnvSpec& spec) : leaves_(spec.obs_leaves) {
  for (const env::Leaf& leaf : leaves_) {
    const env::Space& s = *leaf.space;
    if (s.kind == env::SpaceKind::kDiscrete) {
      size_ += s.n;
    } else if (s.kind == env::SpaceKind::kMultiDiscrete) {
      for (int64_t n : s.nvec) size_ += n;
    } else {
      size_ += leaf.num_elements;
    }
  }
}

void ObsEncoder::Encode(const std::vector<env::Tensor>& leaves, int64_t row, Matrix& out,
                        int64_t col) const {
  double* o = out.col(col).data();
  for (size_t k = 0; k < leaves_.size(); ++k) {
    const env::Leaf& leaf = leaves_[k];
    const env::Space& s = *leaf.space;
    const std::byte* p = leaves[k].row(row);
    if (s.kind == env::SpaceKind::kDiscrete) {
      const int64_t v = reinterpret_cast<const int64_t*>(p)[0] - s.start;
      for (int64_t j = 0; j < s.n; ++j) o[j] = (j == v) ? 1.0 : 0.0;
      o += s.n;
      continue;
    }
    if (s.kind == env::SpaceKind::kMultiDiscrete) {
      for (size_t e = 0; e < s.nvec.size(); ++e) {
        const int64_t v = reinterpret_cast<const int64_t*>(p)[e];
        for (int64_t j = 0; j < s.nvec[e]; ++j) o[j] = (j == v) ? 1.0 : 0.0;
        o += s.nvec[e];
      }
      continue;
    }
    for (int64_t j = 0; j < leaf.num_elements; ++j) {
      switch (leaf.dtype) {
        case env::DType::kFloat32: o[j] = reinterpret_cast<const float*>(p)[j]; break;
        case env::DType::kFloat64: o[j] = reinterpret_cast<const double*>(p)[j]; break;
        case env::DType::kInt32: o[j] = reinterpret_cast<const int32_t*>(p)[j]; break;
        case env::DType::kInt64: o[j] = double(reinterpret_cast<const int64_t*>(p)[j]); break;
        case env::DType::kInt8: o[j] = reinterpret_cast<const int8_t*>(p)[j]; break;
        case env::DType::kBool: o[j] = reinterpret_cast<const bool*>(p)[j] ? 1.0 : 0.0; break;
      }
    }
    o += leaf.num_elements;
  }
}

// ---------------------------------------------------------------------------------------------
// SinglePpoPolicy

absl::StatusOr<std::unique_ptr<SinglePpoPolicy>> SinglePpoPolicy::Make(const env::EnvSpec& spec,
                                                                       int64_t obs_size,
                                                                       const PpoConfig& config) {
  auto heads = ActionHeads::FromSpec(spec);
  if (!heads.ok()) return heads.status();
  auto p = std::make_unique<SinglePpoPolicy>();
  p->learner_ = std::make_unique<PpoLearner>(obs_size, *std::move(heads), config);
  p->learner_->set_mask_size(spec.action_mask_size);
  return p;
}

void SinglePpoPolicy::Init(uint64_t seed) {
  env::Rng rng(StreamSeed(seed, 0, 0));
  learner_->Init(rng);
}

void SinglePpoPolicy::Act(const Matrix& raw_obs, const bool* masks, bool deterministic,
                          const uint8_t* record, env::Rng& rng, env::ActionBatch& actions) {
  obs_ = raw_obs;
  learner_->NormalizeObs(obs_, record != nullptr);
  learner_->Act(obs_, masks, nullptr, deterministic, rng, actions_, logp_, values_);
  const int64_t ms = learner_->mask_size();
  for (int64_t r = 0; r < raw_obs.cols(); ++r) {
    if (record != nullptr) {
      sample_[r] = -1;
      if (record[r]) {
        sample_[r] = learner_->Add(r, obs_.col(r).data(), masks ? masks + r * ms : nullptr,
                                   nullptr, actions_.col(r).data(), logp_[r], values_[r]);
      }
    }
    learner_->heads().WriteAction(actions_.col(r).data(), actions, r);
  }
}

void SinglePpoPolicy::SetOutcome(int64_t env, double reward, bool terminated, bool truncated,
                                 const Matrix* final_raw_obs) {
  double boot = 0.0;
  if (final_raw_obs != nullptr) {
    Matrix o = *final_raw_obs;
    learner_->NormalizeObs(o, false);
    boot = learner_->Values(o)[0];
  }
  const double scaled = learner_->ScaleReward(env, reward, terminated || truncated);
  learner_->SetOutcome(sample_[env], scaled, terminated, truncated, boot);
}

void SinglePpoPolicy::BeginRollout(int64_t num_envs) {
  learner_->BeginRollout(num_envs);
  sample_.assign(num_envs, -1);
}

void SinglePpoPolicy::FinishRollout(const Matrix& raw_obs) {
  Matrix o = raw_obs;
  learner_->NormalizeObs(o, false);
  learner_->FinishRollout(learner_->Values(o));
}

// ---------------------------------------------------------------------------------------------
// PpoTrainer

absl::StatusOr<std::unique_ptr<PpoTrainer>> PpoTrainer::Make(env::VecEnv* vec, PpoConfig config) {
  if (auto c = PpoConfig::FromJson(config.ToJson()); !c.ok()) return c.status();
  ObsEncoder encoder(vec->spec());
  auto policy = SinglePpoPolicy::Make(vec->spec(), encoder.size(), config);
  if (!policy.ok()) return policy.status();
  return MakeWithPolicy(vec, std::move(config), *std::move(policy));
}

absl::StatusOr<std::unique_ptr<PpoTrainer>> PpoTrainer::MakeWithPolicy(
    env::VecEnv* vec, PpoConfig config, std::unique_ptr<PpoPolicy> policy) {
  const env::PoolOptions& o = vec->options();
  if (o.batch_size != 0 && o.batch_size != o.num_envs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PPO steps every env together: batch_size must equal num_envs (", o.num_envs, "), got ",
        o.batch_size));
  }
  if (o.autoreset == env::AutoresetMode::kDisabled) {
    return absl::InvalidArgumentError(
        "PPO needs an autoresetting env: autoreset must be next_step or same_step");
  }
  if (auto c = PpoConfig::FromJson(config.ToJson()); !c.ok()) return c.status();
  return std::unique_ptr<PpoTrainer>(new PpoTrainer(vec, std::move(config), std::move(policy)));
}

PpoTrainer::PpoTrainer(env::VecEnv* vec, PpoConfig config, std::unique_ptr<PpoPolicy> policy)
    : vec_(vec), config_(std::move(config)), encoder_(vec->spec()), policy_(std::move(policy)),
      num_envs_(vec->options().num_envs) {
  policy_->Init(config_.seed);
}

absl::Status PpoTrainer::Train(const TrainOptions& options) {
  const env::EnvSpec& spec = vec_->spec();
  const bool same_step = vec_->options().autoreset == env::AutoresetMode::kSameStep;
  const int64_t n = num_envs_, ms = spec.action_mask_size;
  const std::vector<std::string> names = policy_->learner_names();
  const std::vector<PpoLearner*> learners = policy_->learners();
  std::ofstream progress, episodes_csv;
  if (!options.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    const auto p = std::filesystem::path(options.out_dir) / "progress.csv";
    const auto e = std::filesystem::path(options.out_dir) / "episodes.csv";
    const bool new_p = !std::filesystem::exists(p) || std::filesystem::file_size(p) == 0;
    const bool new_e = !std::filesystem::exists(e) || std::filesystem::file_size(e) == 0;
    progress.open(p, std::ios::app);
    episodes_csv.open(e, std::ios::app);
    if (!progress || !episodes_csv) {
      return absl::InvalidArgumentError(absl::StrCat("cannot write logs in ", options.out_dir));
    }
    if (new_p) {
      progress << "update,total_steps,episodes,mean_episode_reward,steps_per_s,env_seconds,"
                  "agent_seconds";
      for (const auto& name : names) {
        const std::string pre = names.size() > 1 ? name + "_" : "";
        for (const char* col : {"approx_kl", "entropy", "policy_loss", "value_loss",
                                "clip_fraction", "explained_variance", "grad_norm", "epochs_run",
                                "early_stopped", "samples"}) {
          progress << "," << pre << col;
        }
      }
      progress << "\n";
    }
    if (new_e) {
      episodes_csv << "episode,env_id,reward,length,update";
      for (const auto& key : spec.info_keys) episodes_csv << "," << key;
      episodes_csv << "\n";
    }
  }

  double t_mark = Now();
  auto batch = vec_->Reset(StreamSeed(config_.seed, 3, static_cast<uint64_t>(updates_)));
  env_seconds_ += Now() - t_mark;
  if (!batch.ok()) return batch.status();
  const double agent_start = Now();
  Matrix raw(encoder_.size(), n), final_obs(encoder_.size(), 1);
  std::unique_ptr<bool[]> mask_buf(new bool[std::max<int64_t>(n * ms, 1)]);
  std::vector<double> ep_return(n, 0.0);
  std::vector<int64_t> ep_length(n, 0);
  std::vector<uint8_t> skip(n, 0), record(n, 1);  // skip: NEXT_STEP's reset step of that env
  auto read_obs = [&](const env::StepBatch& b) {
    for (int64_t r = 0; r < n; ++r) encoder_.Encode(b.obs, r, raw, r);
    if (ms > 0) std::memcpy(mask_buf.get(), b.action_mask.bytes(), n * ms);
  };
  read_obs(**batch);
  env::ActionBatch action_batch;
  action_batch.Allocate(spec, n);
  for (PpoLearner* l : learners) l->ResetRewardScaling(n);
  agent_seconds_ += Now() - agent_start;

  const int64_t target = episodes_ + options.episodes;
  while (episodes_ < target) {
    const double rollout_start = Now();
    const double env_before = env_seconds_;
    env::Rng rollout_rng(StreamSeed(config_.seed, 1, static_cast<uint64_t>(updates_)));
    policy_->BeginRollout(n);
    int64_t steps = 0, finished = 0, steps_before = total_steps_;
    double finished_reward = 0.0;
    while (true) {
      for (int64_t r = 0; r < n; ++r) record[r] = skip[r] ? 0 : 1;
      policy_->Act(raw, ms > 0 ? mask_buf.get() : nullptr, false, record.data(), rollout_rng,
                   action_batch);
      t_mark = Now();
      batch = vec_->Step(action_batch);
      env_seconds_ += Now() - t_mark;
      if (!batch.ok()) return batch.status();
      const env::StepBatch& b = **batch;
      for (int64_t r = 0; r < n; ++r) {
        if (skip[r]) {
          skip[r] = 0;
          continue;
        }
        const double reward = b.reward.data<double>()[r];
        const bool term = b.terminated.data<bool>()[r], trunc = b.truncated.data<bool>()[r];
        const bool ended = term || trunc;
        ep_return[r] += reward;
        ++ep_length[r];
        ++total_steps_;
        const Matrix* final_ptr = nullptr;
        if (trunc && !term) {
          encoder_.Encode(same_step ? b.final_obs : b.obs, r, final_obs, 0);
          final_ptr = &final_obs;
        }
        policy_->SetOutcome(r, reward, term, trunc, final_ptr);
        if (ended) {
          EpisodeRecord rec{episodes_, static_cast<int32_t>(r), ep_return[r], ep_length[r], {}};
          const auto& info = same_step ? b.final_info : b.info;
          for (const auto& t : info) rec.final_info.push_back(t.data<double>()[r]);
          if (episodes_csv.is_open()) {
            char line[160];
            std::snprintf(line, sizeof line, "%lld,%d,%.10g,%lld,%lld",
                          static_cast<long long>(rec.index), rec.env_id, rec.reward,
                          static_cast<long long>(rec.length), static_cast<long long>(updates_));
            episodes_csv << line;
            for (double v : rec.final_info) {
              std::snprintf(line, sizeof line, ",%.10g", v);
              episodes_csv << line;
            }
            episodes_csv << "\n";
          }
          episode_log_.push_back(std::move(rec));
          ++episodes_;
          ++finished;
          finished_reward += ep_return[r];
          ep_return[r] = 0.0;
          ep_length[r] = 0;
          if (!same_step) skip[r] = 1;
        }
      }
      read_obs(b);
      ++steps;
      if (config_.update_every_episodes > 0 ? finished >= config_.update_every_episodes
                                            : steps >= config_.rollout_steps) {
        break;
      }
    }
    policy_->FinishRollout(raw);
    UpdateRecord rec;
    for (size_t k = 0; k < learners.size(); ++k) {
      env::Rng update_rng(
          StreamSeed(config_.seed, 2 + 16 * k, static_cast<uint64_t>(updates_)));
      rec.stats.push_back(learners[k]->Update(update_rng));
    }
    ++updates_;
    const double elapsed = Now() - rollout_start;
    rec.update = updates_;
    rec.total_steps = total_steps_;
    rec.episodes = episodes_;
    rec.mean_episode_reward = finished > 0 ? finished_reward / double(finished)
                                           : std::numeric_limits<double>::quiet_NaN();
    rec.env_seconds = env_seconds_ - env_before;
    rec.agent_seconds = elapsed - rec.env_seconds;
    agent_seconds_ += rec.agent_seconds;
    rec.steps_per_s = elapsed > 0 ? double(total_steps_ - steps_before) / elapsed : 0.0;
    if (progress.is_open()) {
      char line[512];
      std::snprintf(line, sizeof line, "%lld,%lld,%lld,%.10g,%.6g,%.6g,%.6g",
                    static_cast<long long>(rec.update), static_cast<long long>(rec.total_steps),
                    static_cast<long long>(rec.episodes), rec.mean_episode_reward,
                    rec.steps_per_s, rec.env_seconds, rec.agent_seconds);
      progress << line;
      for (const UpdateStats& s : rec.stats) {
        std::snprintf(line, sizeof line, ",%.6g,%.6g,%.6g,%.6g,%.4g,%.4g,%.4g,%lld,%d,%lld",
                      s.approx_kl, s.entropy, s.policy_loss, s.value_loss, s.clip_fraction,
                      s.explained_variance, s.grad_norm, static_cast<long long>(s.epochs_run),
                      s.early_stopped ? 1 : 0, static_cast<long long>(s.samples));
        progress << line;
      }
      progress << "\n";
      progress.flush();
      episodes_csv.flush();
    }
    if (options.on_update) options.on_update(rec);
    const bool stop = options.should_stop && options.should_stop();
    if (!options.out_dir.empty() && options.checkpoint_every > 0 &&
        updates_ % options.checkpoint_every == 0) {
      if (auto s = SaveFile((std::filesystem::path(options.out_dir) / "checkpoint.json").string());
          !s.ok()) {
        return s;
      }
    }
    if (stop) break;
  }
  if (!options.out_dir.empty()) {
    return SaveFile((std::filesystem::path(options.out_dir) / "checkpoint.json").string());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EpisodeRecord>> PpoTrainer::Evaluate(env::VecEnv* vec,
                                                                int64_t episodes,
                                                                bool deterministic,
                                                                uint64_t seed,
                                                                const StepHook& on_step) {
  std::string why;
  if (!vec->spec().SameInterface(vec_->spec(), &why)) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation env differs from the training env: ", why));
  }
  if (vec->options().autoreset == env::AutoresetMode::kDisabled) {
    return absl::InvalidArgumentError("evaluation env must autoreset (next_step or same_step)");
  }
  if (episodes < 1) return absl::InvalidArgumentError("episodes must be >= 1");
  const int64_t n = vec->options().num_envs, ms = vec->spec().action_mask_size;
  const bool same_step = vec->options().autoreset == env::AutoresetMode::kSameStep;
  auto batch = vec->Reset(seed);
  if (!batch.ok()) return batch.status();
  std::vector<int64_t> quota(n, episodes / n), done(n, 0), length(n, 0);
  for (int64_t r = 0; r < episodes % n; ++r) ++quota[r];
  std::vector<double> ret(n, 0.0);
  std::vector<uint8_t> skip(n, 0);
  std::vector<EpisodeRecord> out;
  Matrix raw(encoder_.size(), n);
  std::unique_ptr<bool[]> mask_buf(new bool[std::max<int64_t>(n * ms, 1)]);
  env::ActionBatch action_batch;
  action_batch.Allocate(vec->spec(), n);
  env::Rng rng(StreamSeed(seed, 4, 0));
  auto remaining = [&] {
    for (int64_t r = 0; r < n; ++r) {
      if (done[r] < quota[r]) return true;
    }
    return false;
  };
  while (remaining()) {
    const env::StepBatch& b = **batch;
    for (int64_t r = 0; r < n; ++r) encoder_.Encode(b.obs, r, raw, r);
    if (ms > 0) std::memcpy(mask_buf.get(), b.action_mask.bytes(), n * ms);
    policy_->Act(raw, ms > 0 ? mask_buf.get() : nullptr, deterministic, nullptr, rng,
                 action_batch);
    batch = vec->Step(action_batch);
    if (!batch.ok()) return batch.status();
    const env::StepBatch& nb = **batch;
    if (on_step) on_step(action_batch, nb);
    for (int64_t r = 0; r < n; ++r) {
      if (skip[r]) {
        skip[r] = 0;
        continue;
      }
      ret[r] += nb.reward.data<double>()[r];
      ++length[r];
      if (nb.terminated.data<bool>()[r] || nb.truncated.data<bool>()[r]) {
        if (done[r] < quota[r]) {
          EpisodeRecord rec{static_cast<int64_t>(out.size()), static_cast<int32_t>(r), ret[r],
                            length[r], {}};
          for (const auto& t : same_step ? nb.final_info : nb.info) {
            rec.final_info.push_back(t.data<double>()[r]);
          }
          out.push_back(std::move(rec));
        }
        ++done[r];
        ret[r] = 0.0;
        length[r] = 0;
        if (!same_step) skip[r] = 1;
      }
    }
  }
  return out;
}

absl::Status PpoTrainer::Act(const std::vector<env::Tensor>& obs, const env::Tensor* action_mask,
                             bool deterministic, env::Rng& rng, env::ActionBatch& actions) {
  const env::EnvSpec& spec = vec_->spec();
  if (obs.size() != spec.obs_leaves.size()) {
    return absl::InvalidArgumentError(absl::StrCat("observation has ", obs.size(),
                                                   " leaves, the spec ", spec.obs_leaves.size()));
  }
  const int64_t b = obs.empty() || obs[0].shape().empty() ? 0 : obs[0].shape()[0];
  for (size_t k = 0; k < obs.size(); ++k) {
    std::vector<int64_t> want = {b};
    want.insert(want.end(), spec.obs_leaves[k].shape.begin(), spec.obs_leaves[k].shape.end());
    if (obs[k].dtype() != spec.obs_leaves[k].dtype || obs[k].shape() != want) {
      return absl::InvalidArgumentError(absl::StrCat(
          "observation leaf '", spec.obs_leaves[k].name, "' must be ",
          env::DTypeName(spec.obs_leaves[k].dtype), " with ", want.size(),
          " dims [B, ...leaf shape]"));
    }
  }
  const int64_t ms = spec.action_mask_size;
  if (action_mask != nullptr && ms > 0 &&
      (action_mask->dtype() != env::DType::kBool ||
       action_mask->shape() != std::vector<int64_t>{b, ms})) {
    return absl::InvalidArgumentError(
        absl::StrCat("action_mask must be bool [", b, ", ", ms, "]"));
  }
  Matrix raw(encoder_.size(), b);
  for (int64_t r = 0; r < b; ++r) encoder_.Encode(obs, r, raw, r);
  if (actions.size() != b) actions.Allocate(spec, b);
  const bool* mask = (action_mask != nullptr && ms > 0)
                         ? reinterpret_cast<const bool*>(action_mask->bytes())
                         : nullptr;
  policy_->Act(raw, mask, deterministic, nullptr, rng, actions);
  return absl::OkStatus();
}

nlohmann::json PpoTrainer::Save() const {
  nlohmann::json learners = nlohmann::json::array();
  for (PpoLearner* l : policy_->learners()) learners.push_back(l->Save());
  return {{"format", "gridrl-ppo-1"},
          {"policy", policy_->kind()},
          {"env", vec_->spec().id},
          {"config", config_.ToJson()},
          {"updates", updates_},
          {"episodes", episodes_},
          {"total_steps", total_steps_},
          {"learners", learners}};
}

absl::Status PpoTrainer::Load(const nlohmann::json& j) {
  if (!j.is_object() || j.value("format", std::string()) != "gridrl-ppo-1") {
    return absl::InvalidArgumentError("checkpoint: format is not gridrl-ppo-1");
  }
  if (j.value("policy", std::string()) != policy_->kind()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint: policy '",
                                                   j.value("policy", std::string()),
                                                   "', this trainer's is '", policy_->kind(), "'"));
  }
  if (j.value("env", std::string()) != vec_->spec().id) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint: trained on env '",
                                                   j.value("env", std::string()), "', not '",
                                                   vec_->spec().id, "'"));
  }
  const auto learners = policy_->learners();
  if (!j.contains("learners") || !j["learners"].is_array() ||
      j["learners"].size() != learners.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: 'learners' must list ", learners.size(), " learner(s)"));
  }
  for (size_t k = 0; k < learners.size(); ++k) {
    if (auto s = learners[k]->Load(j["learners"][k]); !s.ok()) return s;
  }
  updates_ = j.value("updates", int64_t{0});
  episodes_ = j.value("episodes", int64_t{0});
  total_steps_ = j.value("total_steps", int64_t{0});
  return absl::OkStatus();
}

absl::Status PpoTrainer::SaveFile(const std::string& path) const {
  return WriteJsonFile(path, Save());
}

absl::Status PpoTrainer::LoadFile(const std::string& path) {
  auto j = ReadJsonFile(path);
  if (!j.ok()) return j.status();
  return Load(*j);
}

absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, " is not JSON"));
  return j;
}

absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& j) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot write ", tmp));
    out << j.dump() << "\n";
    if (!out) return absl::InternalError(absl::StrCat("writing ", tmp, " failed"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("renaming ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace gridrl::agents
