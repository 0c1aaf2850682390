// Baseline policies for `resilience123` (spec section 9; issue #7 item 3), written against the
// Env interface only (no gRPC): always-configuration-c with the configuration's recommended
// switches, uniform random over the masked action space, and a greedy one-step lookahead.
//
// The greedy policy clones the environment (Env::Clone / RestoreFrom), tries each candidate
// action for one step and keeps the one with the largest immediate reward. The clone carries the
// environment's RNG, so the lookahead sees the step's actual weather draws: it is an oracle
// one-step lookahead (an optimistic baseline), not a forecast. Candidates: every affordable
// configuration c with (a) its recommended switches and (b) the current switches, each with both
// grid preferences; ties go to the first candidate in that order.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "env/env.h"
#include "envs/resilience123/model.h"
#include "env/rng.h"

namespace gridrl::agents {

struct R123Action {
  int config = 0;
  std::array<uint8_t, env::r123::kNumTactical> switches{};  // 1 = closed
  int grid = 1;
};

// Writes `action` into row `row` of `batch` for either action layout of the env's spec.
// InvalidArgument if the spec is not a resilience123 layout.
absl::Status WriteR123Action(const env::EnvSpec& spec, const R123Action& action,
                             env::ActionBatch& batch, int64_t row);

class R123Policy {
 public:
  virtual ~R123Policy() = default;
  virtual std::string name() const = 0;
  // obs: the 33-float observation; mask: the env's action-mask row (first 6 = configurations).
  virtual absl::StatusOr<R123Action> Act(env::Env& env, const float* obs, const bool* mask) = 0;
};

// "config0" .. "config5" (always that configuration, with its recommended switches, grid-first;
// while it is unaffordable the current configuration is kept), "random", "greedy".
absl::StatusOr<std::unique_ptr<R123Policy>> MakeR123Policy(const std::string& name,
                                                            uint64_t seed);
std::vector<std::string> R123PolicyNames();

// One row per step for CSV writers.
struct R123StepRecord {
  int episode = 0;
  int t = 0;  // 1-based step of the episode
  R123Action action;
  double reward = 0;
  bool terminated = false, truncated = false;
  std::vector<double> info;  // spec info_keys order
};
struct R123EpisodeRecord {
  int episode = 0;
  int steps = 0;
  double episode_return = 0;
  std::vector<double> final_info;  // infos of the ending step (holds the episode_* summary)
};

// Runs `episodes` episodes (episode k reset with seed + k) of `policy` on `env`.
absl::Status RunR123Episodes(env::Env& env, R123Policy& policy, int episodes, uint64_t seed,
                             const std::function<void(const R123StepRecord&)>& on_step,
                             const std::function<void(const R123EpisodeRecord&)>& on_episode);

}  // namespace gridrl::agents
