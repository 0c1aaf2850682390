// Reliability indices of one restoration event for the `restoration70` environment (shared/spec/
// restoration70.md section 3, Eq 2-4), with customers counted in proportion to load.
//
// Definitions used (the spec leaves them open):
// - Customers at load point i: c_i = total_customers * P_i / sum_j P_j (P in kW).
// - A load point is interrupted in the event when it is unserved at any time in it; within one
//   event a customer counts once (SAIFI here is the interrupted fraction of customers).
// - Its interruption duration is the total time it is unserved in the event; for the usual single
//   outage this is restoration time - loss time.
// - SAIFI = sum_i c_i [interrupted_i] / sum_i c_i (interruptions per customer);
//   SAIDI = sum_i c_i d_i / sum_i c_i (hours per customer); CAIDI = SAIDI / SAIFI (hours per
//   interruption), 0 when nobody was interrupted.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace gridrl::metrics {

struct LoadPointOutage {
  double load_kw = 0.0;
  double unserved_h = 0.0;  // total unserved time in the event; > 0 means interrupted
};

struct ReliabilityIndices {
  double saifi = 0.0;  // interruptions per customer
  double saidi_h = 0.0;
  double caidi_h = 0.0;
  double customers_interrupted = 0.0;  // of total_customers
  double customer_hours_interrupted = 0.0;
};

// Errors: total_customers negative or NaN, a load or duration negative or NaN (naming its index),
// total load 0 with loads present.
absl::StatusOr<ReliabilityIndices> ComputeReliability(std::span<const LoadPointOutage> outages,
                                                      double total_customers);

// From a served/unserved record: served[k][i] says whether load i is served during
// [times_h[k], times_h[k+1]), so served has times_h.size() - 1 rows of load_kw.size() entries.
absl::StatusOr<ReliabilityIndices> ReliabilityFromServedSeries(
    std::span<const double> times_h, std::span<const double> load_kw,
    const std::vector<std::vector<uint8_t>>& served, double total_customers);

}  // namespace gridrl::metrics
