// Repair-order agents for the `restoration70` environment (shared/spec/restoration70.md section 4).
//
// A repair state is a bit string over the event's k faults (bit j set: failed[j] is repaired).
// Its CIU depends only on that bit string (the reconfiguration, power flow, shedding and CIU of a
// state are a function of which branches are available), so Optimal Repair Queuing evaluates the
// CIU of all 2^k states once (in parallel, one workspace per thread) and then solves the longest
// path over the state lattice by dynamic programming from the fully repaired state downwards:
//   best(S) = max_{j not in S} [c(S + j) + best(S + j)],  c(S) = CIU(S) for |S| < k, c(full) = 0,
// which is exactly the spec's shortest path with edge weight -dt * CIU(state after the repair).
// The event's resilience area (Eq 1) of a queue is R = sum_{i=0}^{k-1} CIU(S_i) / (100 k), S_0 the
// damaged state after reconfiguration and S_i the state after the i-th repair; ORQ maximises it.
// Ties between equally good repairs go to the lowest fault index, so the queue is deterministic.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "envs/restoration70/model.h"
#include "env/rng.h"

namespace gridrl::agents {

using env::restoration70::RestorationModel;

inline constexpr int kMaxOrqFaults = 24;  // 2^24 states: 128 MiB of CIU, 128 MiB of values

struct OrqOptions {
  int threads = 0;           // 0: hardware threads
  bool keep_tables = false;  // keep the per-state CIU and best-to-go tables in the result
};

struct OrqResult {
  std::vector<int> queue;         // branch indices in repair order
  std::vector<double> ciu_path;   // CIU (%) of S_0 .. S_k along the queue (S_k = fully repaired)
  double resilience = 0;          // R of Eq 1 in [0, 1]
  int64_t states = 0;             // 2^k
  double seconds_ciu = 0;         // wall time of the state sweep
  double seconds_dp = 0;          // wall time of the dynamic programme
  // With keep_tables: indexed by state bit string.
  std::vector<double> ciu;        // CIU (%) of each state
  std::vector<double> best_to_go; // best(S): the largest sum of c over the rest of the event
};

// Checks an event: faults distinct, in range, at most kMaxOrqFaults (for ORQ).
absl::Status CheckFaults(const RestorationModel& model, std::span<const int> failed, int max_k);

// The branch availability of a state (failed and not repaired: 0).
void StateAvailability(const RestorationModel& model, std::span<const int> failed,
                       uint64_t repaired, std::vector<uint8_t>& available);

// Exact ORQ over all 2^k repair states.
absl::StatusOr<OrqResult> SolveOrq(const RestorationModel& model, std::span<const int> failed,
                                   const OrqOptions& options = {});

// R and the CIU path of a given queue (a permutation of `failed`).
absl::StatusOr<OrqResult> EvaluateQueue(const RestorationModel& model,
                                        std::span<const int> failed, std::span<const int> queue);

// Myopic baseline: each time repair the fault whose repair gives the highest CIU next (ties: the
// lowest fault index).
absl::StatusOr<OrqResult> GreedyQueue(const RestorationModel& model, std::span<const int> failed);

// Baseline: a uniformly random order from `rng`.
absl::StatusOr<OrqResult> RandomQueue(const RestorationModel& model, std::span<const int> failed,
                                      env::Rng& rng);

// Reference for tests: tries all k! orders (k <= 9) and returns the best (first found on ties in
// lexicographic order of fault indices).
absl::StatusOr<OrqResult> BruteForceQueue(const RestorationModel& model,
                                          std::span<const int> failed);

}  // namespace gridrl::agents
