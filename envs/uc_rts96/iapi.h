// IAPI for `uc_rts96` (spec section 5): cross-entropy search over the day-ahead policy parameter
// psi in R^19 (a = argmax_a psi . phi_DA(s, a)). Each candidate psi is scored by TD(0) on the
// real-time post-decision states it induces: for every initial day (stress days 1..5) the policy
// commits a subset, the 24 hours run with the built-in redispatch heuristic, and
// theta <- theta + alpha delta phi_RT with delta = r + gamma theta.phi' - theta.phi (no bootstrap
// after the day's last hour), alpha = alpha0 c^-decay. Score = mean theta.phi over visited states.
//
// Candidates of an iteration share the realisation random numbers (common random numbers, so
// the ranking compares policies, not luck) and are evaluated in parallel, one UcSim per thread.
// The state after each iteration (next population, history) is a checkpoint that resumes exactly.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "envs/uc_rts96/model.h"

namespace gridrl::agents {

struct IapiOptions {
  int iterations = 15;
  int candidates = 202;
  double elite_fraction = 0.2;
  int initial_days = 5;        // rollouts per candidate, from stress days (k mod 5) + 1
  double std_scale = 0.8;      // refill std = std_scale * iteration^-std_decay
  double std_decay = 0.3;
  double alpha0 = 0.1;         // TD step alpha0 * c^-alpha_decay
  double alpha_decay = 0.3;
  double gamma = 0.95;
  int threads = 2;
  uint64_t seed = 1;
  absl::Status Validate() const;
};

struct CandidateResult {
  std::vector<double> psi;              // 19
  std::array<double, 15> theta{};       // learned value weights
  double score = 0;                     // mean theta . phi over visited states
  double mean_reward = 0;               // mean hourly reliability over the rollouts
  std::vector<int> actions;             // commitment chosen on each initial day
};

// One visited post-decision state (for the value plots).
struct VisitedState {
  double effective_demand = 0, demand_entropy = 0, generation_entropy = 0, reward = 0;
  std::array<double, 15> phi{};
};

// Scores one psi on `sim` (any state; reset inside). `seed` drives the realisations and ties.
CandidateResult ScoreCandidate(env::uc::UcSim& sim, const std::vector<double>& psi,
                               const IapiOptions& options, uint64_t seed,
                               std::vector<VisitedState>* visited = nullptr);

struct IterationLog {
  int iteration = 0;                    // 1-based
  double top_percentile_score = 0;      // the lowest elite score (the (1 - elite) quantile)
  double elite_mean_score = 0, best_score = 0, mean_score = 0;
  double best_mean_reward = 0, elite_mean_reward = 0;
  double seconds = 0;
};

class Iapi {
 public:
  Iapi(std::shared_ptr<const env::uc::UcModel> model, IapiOptions options);

  // Runs the remaining iterations; `after_iteration` is called after each (for logs/checkpoints);
  // `progress(done, total)` after each candidate.
  absl::Status Run(const std::function<absl::Status(const IterationLog&,
                                                    const std::vector<CandidateResult>&)>&
                       after_iteration,
                   const std::function<void(int64_t, int64_t)>& progress);

  int completed_iterations() const { return completed_; }
  const std::vector<std::vector<double>>& population() const { return population_; }
  const CandidateResult& best() const { return best_; }  // best candidate of the last iteration
  const std::vector<IterationLog>& history() const { return history_; }

  // Checkpoint as JSON text (options, completed iterations, next population, best, history).
  std::string CheckpointJson() const;
  absl::Status RestoreCheckpoint(const std::string& json_text);

 private:
  std::vector<CandidateResult> Evaluate(int iteration,
                                        const std::function<void(int64_t, int64_t)>& progress);

  std::shared_ptr<const env::uc::UcModel> model_;
  IapiOptions options_;
  int completed_ = 0;
  std::vector<std::vector<double>> population_;
  CandidateResult best_;
  std::vector<IterationLog> history_;
};

}  // namespace gridrl::agents
