// Action distributions for policy-gradient agents, built from an environment's action space.
//
// Every action leaf becomes a head that reads its own slice of the policy network's output:
//   Discrete(n)              categorical over n logits (masked by the env's flat action mask)
//   MultiDiscrete(nvec)      one categorical per element, sum(nvec) logits (masked likewise)
//   MultiBinary(n)           n independent Bernoulli logits
//   Box float32/float64      diagonal Gaussian: n means from the network, n state-independent
//                            log standard deviations (separate parameters); the env receives the
//                            sample clipped to the Box bounds, the log-probability is the
//                            unclipped sample's
// Joint log-probability and entropy are sums over heads. An action is a flat vector of doubles
// (one per action element, leaves in spec order); a categorical choice is stored as its index.
// Gradients of log-probability and entropy with respect to the logits and log-stds are exact
// (tests/agents/nn_test.cc checks them against finite differences).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/env.h"
#include "env/rng.h"

namespace gridrl::agents {

class ActionHeads {
 public:
  enum class Kind : uint8_t { kCategorical, kBernoulli, kGaussian };
  struct Head {
    Kind kind = Kind::kCategorical;
    std::string name;             // the action leaf's name, for messages
    int64_t logit_offset = 0;     // into the network output
    int64_t action_offset = 0;    // into the flat action
    int64_t mask_offset = -1;     // into the flat mask (categorical only)
    int64_t log_std_offset = -1;  // into the log-std vector (Gaussian only)
    std::vector<int64_t> sizes;   // categorical: choices per element; others: {elements}
    int64_t start = 0;            // Discrete: value of choice 0
    std::vector<double> low, high;  // Gaussian: Box bounds for clipping what the env receives
    env::DType dtype = env::DType::kInt64;
    bool leaf_is_discrete = false;  // Discrete leaf (scalar) rather than MultiDiscrete
  };

  // Heads for every leaf of `spec`'s action space; an error names a leaf no head can handle
  // (an int32 Box action).
  static absl::StatusOr<ActionHeads> FromSpec(const env::EnvSpec& spec);
  // Heads over an explicit list (used by agents that split an action space between policies).
  void AddCategorical(std::string name, std::vector<int64_t> sizes, int64_t mask_offset);
  void AddBernoulli(std::string name, int64_t n);
  void AddGaussian(std::string name, int64_t n, std::vector<double> low, std::vector<double> high);

  int64_t num_logits() const { return num_logits_; }
  int64_t num_log_std() const { return num_log_std_; }
  int64_t action_size() const { return action_size_; }
  const std::vector<Head>& heads() const { return heads_; }

  // Draws an action (or the most likely one when `deterministic`) and returns its log-probability.
  // `mask` may be null (everything allowed); a categorical element with no allowed choice is
  // treated as unmasked.
  double Sample(const double* logits, const double* log_std, const bool* mask, bool deterministic,
                env::Rng& rng, double* action) const;

  // Log-probability and entropy of `action`. Each gradient pointer may be null; non-null ones
  // receive (overwrite) d/dlogits (num_logits) and d/dlog_std (num_log_std).
  struct Eval {
    double logp = 0.0;
    double entropy = 0.0;
  };
  Eval Evaluate(const double* logits, const double* log_std, const bool* mask,
                const double* action, double* dlogp_dlogits, double* dent_dlogits,
                double* dlogp_dlogstd, double* dent_dlogstd) const;

  // Writes a flat action into row `row` of an ActionBatch of the spec FromSpec was given.
  void WriteAction(const double* action, env::ActionBatch& batch, int64_t row) const;

 private:
  std::vector<Head> heads_;
  int64_t num_logits_ = 0, num_log_std_ = 0, action_size_ = 0;
};

}  // namespace gridrl::agents
