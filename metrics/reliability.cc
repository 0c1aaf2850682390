#include "metrics/reliability.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace gridrl::metrics {

absl::StatusOr<ReliabilityIndices> ComputeReliability(std::span<const LoadPointOutage> outages,
                                                      double total_customers) {
  if (!std::isfinite(total_customers) || total_customers < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "total_customers: expected a finite value >= 0, got %f", total_customers));
  }
  double total_kw = 0.0;
  double interrupted_kw = 0.0;
  double kw_hours = 0.0;
  for (size_t i = 0; i < outages.size(); ++i) {
    const LoadPointOutage& o = outages[i];
    if (!std::isfinite(o.load_kw) || o.load_kw < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "outages[%d].load_kw: expected a finite value >= 0, got %f", i, o.load_kw));
    }
    if (!std::isfinite(o.unserved_h) || o.unserved_h < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "outages[%d].unserved_h: expected a finite value >= 0, got %f", i, o.unserved_h));
    }
    total_kw += o.load_kw;
    if (o.unserved_h > 0) interrupted_kw += o.load_kw;
    kw_hours += o.load_kw * o.unserved_h;
  }
  ReliabilityIndices out;
  if (outages.empty()) return out;
  if (total_kw <= 0) {
    return absl::InvalidArgumentError(
        "outages: total load is 0 kW, so customers cannot be spread in proportion to load");
  }
  out.saifi = interrupted_kw / total_kw;
  out.saidi_h = kw_hours / total_kw;
  out.caidi_h = out.saifi > 0 ? out.saidi_h / out.saifi : 0.0;
  out.customers_interrupted = total_customers * out.saifi;
  out.customer_hours_interrupted = total_customers * out.saidi_h;
  return out;
}

absl::StatusOr<ReliabilityIndices> ReliabilityFromServedSeries(
    std::span<const double> times_h, std::span<const double> load_kw,
    const std::vector<std::vector<uint8_t>>& served, double total_customers) {
  if (times_h.size() < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "times_h: expected at least 2 times (event start and end), got %d", times_h.size()));
  }
  for (size_t k = 0; k < times_h.size(); ++k) {
    if (!std::isfinite(times_h[k]) || (k > 0 && !(times_h[k] > times_h[k - 1]))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "times_h[%d]: expected finite, strictly increasing times, got %f", k, times_h[k]));
    }
  }
  if (served.size() != times_h.size() - 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "served: expected one row per interval (%d), got %d", times_h.size() - 1, served.size()));
  }
  std::vector<LoadPointOutage> outages(load_kw.size());
  for (size_t i = 0; i < load_kw.size(); ++i) outages[i].load_kw = load_kw[i];
  for (size_t k = 0; k < served.size(); ++k) {
    if (served[k].size() != load_kw.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "served[%d]: expected one entry per load (%d), got %d", k, load_kw.size(),
          served[k].size()));
    }
    const double dt = times_h[k + 1] - times_h[k];
    for (size_t i = 0; i < load_kw.size(); ++i) {
      if (!served[k][i]) outages[i].unserved_h += dt;
    }
  }
  return ComputeReliability(outages, total_customers);
}

}  // namespace gridrl::metrics
