#include "envs/resilience123/baselines.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <variant>

#include "absl/strings/str_cat.h"

namespace gridrl::agents {
namespace {

using env::r123::kNumConfigs;
using env::r123::kNumTactical;
constexpr int kObsSwitches = 10;  // envs/resilience123/env.h kR123ObsSwitches
constexpr int kObsConfig = 4;

int CurrentConfig(const float* obs) {
  for (int c = 0; c < kNumConfigs; ++c) {
    if (obs[kObsConfig + c] > 0.5f) return c;
  }
  return 0;
}

std::array<uint8_t, kNumTactical> CurrentSwitches(const float* obs) {
  std::array<uint8_t, kNumTactical> s{};
  for (int e = 0; e < kNumTactical; ++e) s[e] = obs[kObsSwitches + e] > 0.5f ? 1 : 0;
  return s;
}

// The env's recommended switches for configuration c (config key `recommended_switches`).
std::array<uint8_t, kNumTactical> Recommended(const env::Env& e, int c) {
  const auto& values = e.spec().config.values();
  auto it = values.find("recommended_switches");
  if (it != values.end()) {
    if (const auto* v = std::get_if<std::vector<int64_t>>(&it->second);
        v != nullptr && v->size() == static_cast<size_t>(kNumConfigs * kNumTactical)) {
      std::array<uint8_t, kNumTactical> s{};
      for (int e2 = 0; e2 < kNumTactical; ++e2) s[e2] = (*v)[c * kNumTactical + e2] != 0;
      return s;
    }
  }
  return env::r123::RecommendedSwitches(c);
}

class AlwaysConfig final : public R123Policy {
 public:
  explicit AlwaysConfig(int c) : c_(c) {}
  std::string name() const override { return absl::StrCat("config", c_); }
  absl::StatusOr<R123Action> Act(env::Env& e, const float* obs, const bool* mask) override {
    R123Action a;
    a.config = mask[c_] ? c_ : CurrentConfig(obs);
    a.switches = Recommended(e, a.config);
    a.grid = 1;
    return a;
  }

 private:
  int c_;
};

class RandomPolicy final : public R123Policy {
 public:
  explicit RandomPolicy(uint64_t seed) : rng_(seed) {}
  std::string name() const override { return "random"; }
  absl::StatusOr<R123Action> Act(env::Env&, const float*, const bool* mask) override {
    R123Action a;
    int allowed[kNumConfigs], n = 0;
    for (int c = 0; c < kNumConfigs; ++c) {
      if (mask[c]) allowed[n++] = c;
    }
    a.config = n > 0 ? allowed[rng_.UniformInt(n)] : 0;
    for (int e = 0; e < kNumTactical; ++e) a.switches[e] = rng_.Bernoulli(0.5) ? 1 : 0;
    a.grid = rng_.Bernoulli(0.5) ? 1 : 0;
    return a;
  }

 private:
  env::Rng rng_;
};

class GreedyLookahead final : public R123Policy {
 public:
  std::string name() const override { return "greedy"; }
  absl::StatusOr<R123Action> Act(env::Env& env, const float* obs, const bool* mask) override {
    if (scratch_ == nullptr) {
      scratch_ = env.Clone();
      batch_.Allocate(env.spec(), 1, false);
      actions_.Allocate(env.spec(), 1);
    }
    const auto current = CurrentSwitches(obs);
    R123Action best;
    double best_reward = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < kNumConfigs; ++c) {
      if (!mask[c]) continue;
      const auto recommended = Recommended(env, c);
      for (int variant = 0; variant < 2; ++variant) {
        if (variant == 1 && current == recommended) continue;
        for (int grid : {1, 0}) {
          R123Action a;
          a.config = c;
          a.switches = variant == 0 ? recommended : current;
          a.grid = grid;
          if (absl::Status s = WriteR123Action(env.spec(), a, actions_, 0); !s.ok()) return s;
          scratch_->RestoreFrom(env);
          scratch_->Step(env::ActionRow(&actions_, 0), env::StepSlot(&batch_, 0));
          const double r = batch_.reward.data<double>()[0];
          if (r > best_reward) {
            best_reward = r;
            best = a;
          }
        }
      }
    }
    if (!std::isfinite(best_reward)) {
      return absl::FailedPreconditionError("greedy: no configuration is allowed by the mask");
    }
    return best;
  }

 private:
  std::unique_ptr<env::Env> scratch_;
  env::StepBatch batch_;
  env::ActionBatch actions_;
};

}  // namespace

absl::Status WriteR123Action(const env::EnvSpec& spec, const R123Action& action,
                             env::ActionBatch& batch, int64_t row) {
  if (spec.action_leaves.size() == 1 && spec.action_leaves[0].num_elements == 1 + kNumTactical + 1) {
    int64_t* a = reinterpret_cast<int64_t*>(batch.leaves[0].row(row));
    a[0] = action.config;
    for (int e = 0; e < kNumTactical; ++e) a[1 + e] = action.switches[e];
    a[1 + kNumTactical] = action.grid;
    return absl::OkStatus();
  }
  if (spec.action_leaves.size() == 3 && spec.action_leaves[0].name == "config" &&
      spec.action_leaves[1].name == "grid" && spec.action_leaves[2].name == "switches") {
    reinterpret_cast<int64_t*>(batch.leaves[0].row(row))[0] = action.config;
    reinterpret_cast<int64_t*>(batch.leaves[1].row(row))[0] = action.grid;
    int8_t* s = reinterpret_cast<int8_t*>(batch.leaves[2].row(row));
    for (int e = 0; e < kNumTactical; ++e) s[e] = static_cast<int8_t>(action.switches[e]);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("action space of '", spec.id, "' is not a resilience123 layout"));
}

std::vector<std::string> R123PolicyNames() {
  return {"config0", "config1", "config2", "config3", "config4", "config5", "random", "greedy"};
}

absl::StatusOr<std::unique_ptr<R123Policy>> MakeR123Policy(const std::string& name,
                                                            uint64_t seed) {
  for (int c = 0; c < kNumConfigs; ++c) {
    if (name == absl::StrCat("config", c) || name == absl::StrCat("always-", c)) {
      return std::make_unique<AlwaysConfig>(c);
    }
  }
  if (name == "random") return std::make_unique<RandomPolicy>(seed);
  if (name == "greedy") return std::make_unique<GreedyLookahead>();
  return absl::InvalidArgumentError(absl::StrCat(
      "agent: unknown resilience123 baseline '", name,
      "'; expected config0..config5, random or greedy"));
}

absl::Status RunR123Episodes(env::Env& env, R123Policy& policy, int episodes, uint64_t seed,
                             const std::function<void(const R123StepRecord&)>& on_step,
                             const std::function<void(const R123EpisodeRecord&)>& on_episode) {
  if (episodes < 0) return absl::InvalidArgumentError("episodes: expected >= 0");
  const env::EnvSpec& spec = env.spec();
  env::StepBatch b;
  b.Allocate(spec, 1, false);
  env::ActionBatch a;
  a.Allocate(spec, 1);
  const size_t ninfo = spec.info_keys.size();
  for (int ep = 0; ep < episodes; ++ep) {
    env.Reset(seed + static_cast<uint64_t>(ep), env::StepSlot(&b, 0));
    R123EpisodeRecord rec;
    rec.episode = ep;
    for (int t = 1;; ++t) {
      absl::StatusOr<R123Action> act =
          policy.Act(env, b.obs[0].data<float>(), b.action_mask.data<bool>());
      if (!act.ok()) return act.status();
      if (absl::Status s = WriteR123Action(spec, *act, a, 0); !s.ok()) return s;
      if (absl::Status s = env.ValidateAction(env::ActionRow(&a, 0)); !s.ok()) return s;
      env.Step(env::ActionRow(&a, 0), env::StepSlot(&b, 0));
      R123StepRecord step;
      step.episode = ep;
      step.t = t;
      step.action = *act;
      step.reward = b.reward.data<double>()[0];
      step.terminated = b.terminated.data<bool>()[0];
      step.truncated = b.truncated.data<bool>()[0];
      step.info.resize(ninfo);
      for (size_t k = 0; k < ninfo; ++k) step.info[k] = b.info[k].data<double>()[0];
      rec.episode_return += step.reward;
      rec.steps = t;
      if (on_step) on_step(step);
      if (step.terminated || step.truncated) {
        rec.final_info = step.info;
        break;
      }
    }
    if (on_episode) on_episode(rec);
  }
  return absl::OkStatus();
}

}  // namespace gridrl::agents
