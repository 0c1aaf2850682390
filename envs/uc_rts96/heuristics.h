// Day-ahead policies for `uc_rts96` (spec section 5): the Random, Cost and Elastic heuristics of
// the paper and the linear policy a = argmax_a psi . phi_DA(s, a) that IAPI learns. A policy sees
// the day's hourly forecast net demand (MW) and the 15 x 19 feature matrix of the observation;
// heuristics read subset capacities and prices from the shared model.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "envs/uc_rts96/model.h"
#include "env/rng.h"

namespace gridrl::agents {

class DaPolicy {
 public:
  virtual ~DaPolicy() = default;
  virtual std::string name() const = 0;
  // net_demand_24: forecast net demand per hour; da_features: [num_actions x 19] row-major.
  virtual int Act(std::span<const double> net_demand_24, std::span<const double> da_features,
                  env::Rng& rng) const = 0;
};

// "random", "cost", "elastic", or "psi" (needs 19 weights).
absl::StatusOr<std::unique_ptr<DaPolicy>> MakeDaPolicy(
    const std::string& name, std::shared_ptr<const env::uc::UcModel> model,
    std::vector<double> psi = {});

// argmax over the rows of a [num_actions x 19] feature matrix; ties uniformly with `rng`.
int ArgmaxLinear(std::span<const double> da_features, std::span<const double> psi, env::Rng& rng);

}  // namespace gridrl::agents
