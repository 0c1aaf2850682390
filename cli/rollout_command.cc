// `gridrl rollout`: steps an environment in-process with a built-in policy and prints every row,
// one JSON object per line. With the reference policy the output is the ground truth that the
// remote clients' trajectories are checked against.
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "env/pool.h"
#include "env/reference_policy.h"
#include "env/rng.h"

namespace gridrl::cli {
namespace {

std::string Hex(const std::byte* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned>(p[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

absl::StatusOr<env::AutoresetMode> ParseMode(const std::string& s) {
  if (s == "next_step") return env::AutoresetMode::kNextStep;
  if (s == "same_step") return env::AutoresetMode::kSameStep;
  if (s == "disabled") return env::AutoresetMode::kDisabled;
  return absl::InvalidArgumentError(
      absl::StrCat("--autoreset must be next_step, same_step or disabled, got '", s, "'"));
}

absl::Status RunRollout(const Args& args) {
  const std::string env_id = args.GetOr("env", "tutorial");
  auto num_envs = args.GetInt("num-envs", 1);
  auto steps = args.GetInt("steps", 100);
  auto seed = args.GetInt("seed", 0);
  auto threads = args.GetInt("threads", 1);
  for (const auto& s : {num_envs.status(), steps.status(), seed.status(), threads.status()}) {
    if (!s.ok()) return s;
  }
  auto mode = ParseMode(args.GetOr("autoreset", "next_step"));
  if (!mode.ok()) return mode.status();
  const std::string policy = args.GetOr("policy", "reference");
  if (policy != "reference" && policy != "random") {
    return absl::InvalidArgumentError("--policy must be 'reference' or 'random'");
  }
  env::ConfigOverrides config;
  for (const auto& kv : args.GetAll("config")) {
    if (auto s = env::ParseOverride(kv, config); !s.ok()) return s;
  }
  env::PoolOptions options;
  options.num_envs = *num_envs;
  options.seed = static_cast<uint64_t>(*seed);
  options.num_threads = static_cast<int>(*threads);
  options.autoreset = *mode;
  auto pool = env::EnvPool::Make(env_id, {config}, options);
  if (!pool.ok()) return pool.status();
  const env::EnvSpec& spec = (*pool)->spec();
  auto print = [&](const env::StepBatch& b, int64_t row) {
    for (int64_t r = 0; r < b.size(); ++r) {
      std::string obs;
      for (const auto& t : b.obs) obs += Hex(t.row(r), t.row_bytes());
      std::printf("{\"env\": %d, \"row\": %lld, \"obs\": \"%s\", \"reward\": %.17g, "
                  "\"terminated\": %s, \"truncated\": %s}\n",
                  b.env_id.data<int32_t>()[r], static_cast<long long>(row), obs.c_str(),
                  b.reward.data<double>()[r], b.terminated.data<bool>()[r] ? "true" : "false",
                  b.truncated.data<bool>()[r] ? "true" : "false");
    }
  };
  auto batch = (*pool)->Reset();
  if (!batch.ok()) return batch.status();
  print(**batch, 0);
  env::ActionBatch actions;
  actions.Allocate(spec, *num_envs);
  env::Rng rng(static_cast<uint64_t>(*seed) ^ 0x5eedULL);
  std::vector<int32_t> ended;
  for (int64_t t = 0; t < *steps; ++t) {
    for (int64_t r = 0; r < *num_envs; ++r) {
      const bool* mask = spec.action_mask_size > 0
                             ? reinterpret_cast<const bool*>((*batch)->action_mask.row(r))
                             : nullptr;
      const int64_t step = policy == "random" ? static_cast<int64_t>(rng.UniformInt(1 << 30)) : t;
      env::PolicyRow(spec, static_cast<int32_t>(r), step, mask, actions, r);
    }
    if (*mode == env::AutoresetMode::kDisabled && !ended.empty()) {
      auto reset = (*pool)->Reset(std::nullopt, ended);
      if (!reset.ok()) return reset.status();
      ended.clear();
    }
    batch = (*pool)->Step(actions);
    if (!batch.ok()) return batch.status();
    print(**batch, t + 1);
    for (int64_t r = 0; r < (*batch)->size(); ++r) {
      if ((*batch)->terminated.data<bool>()[r] || (*batch)->truncated.data<bool>()[r]) {
        ended.push_back(static_cast<int32_t>(r));
      }
    }
  }
  return absl::OkStatus();
}

GRIDRL_COMMAND({.name = "rollout",
                .summary = "step an environment in-process and print every row as JSON lines",
                .usage = "gridrl rollout [--env ID] [--num-envs N] [--steps T] [--seed S]\n"
                         "               [--threads N] [--autoreset next_step|same_step|disabled]\n"
                         "               [--policy reference|random] [--config KEY=VALUE ...]\n"
                         "  Prints {env, row, obs (hex of the observation bytes), reward,\n"
                         "  terminated, truncated} per env and step; row 0 is the reset.",
                .run = RunRollout});

}  // namespace
}  // namespace gridrl::cli
