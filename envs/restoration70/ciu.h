// Critical infrastructure utility (CIU) for the `restoration70` environment (shared/spec/
// restoration70.md section 3): the Operational Capacity Table (OCT) that maps each infrastructure
// input to a CIU percentage, the system CIU (the minimum over inputs: the scarcest input limits
// the output), and the resilience area of Eq 1 over a restoration event.
//
// OCT invariants (checked by Create): at least one column; ciu_levels_pct strictly decreasing
// within [0, 100]; every column has one input level per CIU level, strictly decreasing, >= 0.
// Between table rows the CIU is linear in the input [ours: the paper's rational fit is not
// printed]; above the top row it is the top CIU level, below the bottom row the bottom one.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridrl::metrics {

struct OctColumn {
  std::string name;  // snake_case key, e.g. "water_station"
  std::string unit;  // for reports, e.g. "L/capita/day"
  std::vector<double> levels;  // input level at each CIU level, same order as ciu_levels_pct
};

// Names of the paper's Table 1 columns, in table order.
inline constexpr std::string_view kOctPowerSupply = "power_supply";    // kWh/household/day
inline constexpr std::string_view kOctWaterStation = "water_station";  // L/capita/day
inline constexpr std::string_view kOctHospital = "hospital";           // % in operation
inline constexpr std::string_view kOctGovernment = "government";       // % in operation
inline constexpr std::string_view kOctIct = "ict";                     // kbit/s

struct CiuResult {
  double ciu_pct = 0.0;               // system CIU = min over inputs
  int limiting_input = 0;             // column index of the minimum (first one on ties)
  std::string limiting_name;          // its column name
  std::vector<double> per_input_pct;  // CIU of each input, in column order
};

class OperationalCapacityTable {
 public:
  // The paper's Table 1: CIU 100/75/50/25/0 % against power 40/30/20/10/0 kWh per household per
  // day, water 140/100/60/20/0 L per capita per day, hospital 100/80/60/30/0 %, government
  // 100/75/50/25/0 %, ICT 260/190/120/60/0 kbit/s.
  static OperationalCapacityTable Paper();

  // Errors name the field: "columns[2].levels[3]", "ciu_levels_pct[1]".
  static absl::StatusOr<OperationalCapacityTable> Create(std::vector<double> ciu_levels_pct,
                                                         std::vector<OctColumn> columns);

  int num_inputs() const { return static_cast<int>(columns_.size()); }
  const OctColumn& column(int k) const { return columns_[k]; }
  const std::vector<double>& ciu_levels_pct() const { return ciu_levels_pct_; }
  // Column index by name, or -1.
  int IndexOf(std::string_view name) const;
  // The input level of full operation (the top row).
  double FullLevel(int input) const { return columns_[input].levels.front(); }

  // CIU (%) of one input value. Errors: input index out of range, value NaN or negative.
  absl::StatusOr<double> InputCiuPct(int input, double value) const;

  // System CIU over one value per column (in column order).
  absl::StatusOr<CiuResult> SystemCiu(std::span<const double> inputs) const;

 private:
  OperationalCapacityTable(std::vector<double> ciu, std::vector<OctColumn> columns)
      : ciu_levels_pct_(std::move(ciu)), columns_(std::move(columns)) {}
  std::vector<double> ciu_levels_pct_;
  std::vector<OctColumn> columns_;
};

// Eq (1): R = sum_k dt_k CIU(t_k) / ((t_R - t_0) * 100 %), dt_k = t_{k+1} - t_k. CIU is held
// constant from one sample to the next (it changes only when a repair completes), so the last
// sample (t_R) closes the interval and its value does not enter the sum. R is in [0, 1]; 1 means
// no loss of service at all. Errors: fewer than 2 samples, sizes differ, times not strictly
// increasing or not finite, CIU outside [0, 100] or NaN (naming the index).
absl::StatusOr<double> ResilienceArea(std::span<const double> times_h,
                                      std::span<const double> ciu_pct);

// Same with a uniform step: ciu_pct[k] holds during [k dt, (k+1) dt), so R = mean(ciu_pct) / 100.
absl::StatusOr<double> ResilienceAreaUniform(std::span<const double> ciu_pct);

}  // namespace gridrl::metrics
