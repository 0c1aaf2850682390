#include "envs/restoration70/ciu.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_format.h"

namespace gridrl::metrics {

OperationalCapacityTable OperationalCapacityTable::Paper() {
  return OperationalCapacityTable(
      {100, 75, 50, 25, 0},
      {
          OctColumn{std::string(kOctPowerSupply), "kWh/household/day", {40, 30, 20, 10, 0}},
          OctColumn{std::string(kOctWaterStation), "L/capita/day", {140, 100, 60, 20, 0}},
          OctColumn{std::string(kOctHospital), "% in operation", {100, 80, 60, 30, 0}},
          OctColumn{std::string(kOctGovernment), "% in operation", {100, 75, 50, 25, 0}},
          OctColumn{std::string(kOctIct), "kbit/s", {260, 190, 120, 60, 0}},
      });
}

absl::StatusOr<OperationalCapacityTable> OperationalCapacityTable::Create(
    std::vector<double> ciu_levels_pct, std::vector<OctColumn> columns) {
  if (ciu_levels_pct.size() < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ciu_levels_pct: expected at least 2 levels, got %d", ciu_levels_pct.size()));
  }
  for (size_t r = 0; r < ciu_levels_pct.size(); ++r) {
    const double v = ciu_levels_pct[r];
    if (!(v >= 0 && v <= 100) || (r > 0 && !(v < ciu_levels_pct[r - 1]))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "ciu_levels_pct[%d]: expected values in [0, 100], strictly decreasing, got %f", r, v));
    }
  }
  if (columns.empty()) return absl::InvalidArgumentError("columns: expected at least one input");
  for (size_t c = 0; c < columns.size(); ++c) {
    const OctColumn& col = columns[c];
    if (col.name.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("columns[%d].name: expected a name", c));
    }
    for (size_t d = 0; d < c; ++d) {
      if (columns[d].name == col.name) {
        return absl::InvalidArgumentError(
            absl::StrFormat("columns[%d].name: duplicate name \"%s\"", c, col.name));
      }
    }
    if (col.levels.size() != ciu_levels_pct.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "columns[%d].levels: expected %d levels (one per CIU level), got %d", c,
          ciu_levels_pct.size(), col.levels.size()));
    }
    for (size_t r = 0; r < col.levels.size(); ++r) {
      const double v = col.levels[r];
      if (!std::isfinite(v) || v < 0 || (r > 0 && !(v < col.levels[r - 1]))) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "columns[%d].levels[%d]: expected finite values >= 0, strictly decreasing, got %f", c,
            r, v));
      }
    }
  }
  return OperationalCapacityTable(std::move(ciu_levels_pct), std::move(columns));
}

int OperationalCapacityTable::IndexOf(std::string_view name) const {
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (columns_[c].name == name) return static_cast<int>(c);
  }
  return -1;
}

absl::StatusOr<double> OperationalCapacityTable::InputCiuPct(int input, double value) const {
  if (input < 0 || input >= num_inputs()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "input: expected a column index in [0, %d), got %d", num_inputs(), input));
  }
  const OctColumn& col = columns_[input];
  if (!std::isfinite(value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "inputs[%d] (%s): expected a finite value >= 0 in %s, got %f", input, col.name, col.unit,
        value));
  }
  const std::vector<double>& x = col.levels;  // decreasing
  const std::vector<double>& y = ciu_levels_pct_;
  if (value >= x.front()) return y.front();
  if (value <= x.back()) return y.back();
  for (size_t r = 1; r < x.size(); ++r) {
    if (value >= x[r]) {
      const double f = (value - x[r]) / (x[r - 1] - x[r]);
      return y[r] + f * (y[r - 1] - y[r]);
    }
  }
  return y.back();  // unreachable: value > x.back() was handled by the loop
}

absl::StatusOr<CiuResult> OperationalCapacityTable::SystemCiu(
    std::span<const double> inputs) const {
  if (static_cast<int>(inputs.size()) != num_inputs()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "inputs: expected one value per OCT column (%d), got %d", num_inputs(), inputs.size()));
  }
  CiuResult out;
  out.per_input_pct.resize(inputs.size());
  for (int k = 0; k < num_inputs(); ++k) {
    absl::StatusOr<double> ciu = InputCiuPct(k, inputs[k]);
    if (!ciu.ok()) return ciu.status();
    out.per_input_pct[k] = *ciu;
    if (k == 0 || *ciu < out.ciu_pct) {
      out.ciu_pct = *ciu;
      out.limiting_input = k;
    }
  }
  out.limiting_name = columns_[out.limiting_input].name;
  return out;
}

absl::StatusOr<double> ResilienceArea(std::span<const double> times_h,
                                      std::span<const double> ciu_pct) {
  if (times_h.size() != ciu_pct.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ciu_pct: expected one value per time (%d), got %d", times_h.size(), ciu_pct.size()));
  }
  if (times_h.size() < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "times_h: expected at least 2 samples (t0 and tR), got %d", times_h.size()));
  }
  double area = 0.0;
  for (size_t k = 0; k < times_h.size(); ++k) {
    if (!std::isfinite(times_h[k]) || (k > 0 && !(times_h[k] > times_h[k - 1]))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "times_h[%d]: expected finite, strictly increasing times, got %f", k, times_h[k]));
    }
    if (!(ciu_pct[k] >= 0 && ciu_pct[k] <= 100)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("ciu_pct[%d]: expected a value in [0, 100], got %f", k, ciu_pct[k]));
    }
    if (k + 1 < times_h.size()) area += (times_h[k + 1] - times_h[k]) * ciu_pct[k];
  }
  // Checked above for every k, including the last, before it is used here.
  return area / ((times_h.back() - times_h.front()) * 100.0);
}

absl::StatusOr<double> ResilienceAreaUniform(std::span<const double> ciu_pct) {
  if (ciu_pct.empty()) return absl::InvalidArgumentError("ciu_pct: expected at least one sample");
  double sum = 0.0;
  for (size_t k = 0; k < ciu_pct.size(); ++k) {
    if (!(ciu_pct[k] >= 0 && ciu_pct[k] <= 100)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("ciu_pct[%d]: expected a value in [0, 100], got %f", k, ciu_pct[k]));
    }
    sum += ciu_pct[k];
  }
  return sum / (ciu_pct.size() * 100.0);
}

}  // namespace gridrl::metrics
