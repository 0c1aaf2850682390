// Economics of a resilience project for the `resilience123` environment (shared/spec/
// resilience123.md section 8, Eq 31-42): per-step costs and revenues, accumulated over one episode
// (= one year) into a yearly summary with lifetime totals, NPV, BCR, CPUB and net benefit.
//
// Every parameter value is the paper's (EconomicsParams defaults). Formula details the spec leaves
// open are fixed here and kept as named parameters:
// - Capital (Eq 31) is annualised (/ lifetime). The configuration changes during a year, so the
//   yearly capital is, by `capital_basis`: kTimeWeighted (default) the mean over the recorded steps
//   of the annualised capital of the configuration active at each step (the year is charged in
//   full even if the episode ended early), or kLargestDeployed the largest annualised capital seen
//   (equipment once bought stays bought). StepCosts::capital_usd is the per-step share
//   annualised / steps_per_year, for rewards.
// - Base costs of configurations are debited when the configuration changes (the first step
//   compares against `initial_config`), in budget units converted by `base_cost_usd_per_unit`
//   (1000: the 500-unit episode budget reads as k$ beside a 150000 $ investment).
// - Failure (Eq 33): crews = failed lines this step (one crew per failed line, paid every step it
//   is out); emergency generation is charged only in calamity steps with DERs running; the critical
//   load term is charged each step a critical load is unserved.
// - Revenue (Eq 35): subscription * subscribers / steps_per_month, steps_per_month =
//   steps_per_year / 12.
// - Lifetime totals (Eq 37, 40-42) are the simulated year repeated `lifetime_years` times,
//   undiscounted. NPV (Eq 38-39) = sum_{y=1..L} CF (1 + inflation)^(y-1) / (1 + discount)^y
//   - initial investment, CF = revenue + risk reduction - yearly cost: year-1 flows at today's
//   prices, each year discounted at its end.
// - CPUB is +infinity when revenue + risk reduction <= 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridrl::metrics {

enum class CapitalBasis { kTimeWeighted, kLargestDeployed };

struct EconomicsParams {
  // Capital, Eq (31).
  double control_system_usd = 50000;
  double der_unit_usd = 3000;
  int num_switches = 12;
  double switch_installation_usd = 1500;
  double switch_communication_usd = 2500;
  double switch_protection_usd = 2000;
  CapitalBasis capital_basis = CapitalBasis::kTimeWeighted;
  // Operational per step, Eq (32).
  double maintenance_usd_per_switch_step = 2;
  double fuel_usd_per_der_step = 10;
  double communication_usd_per_switch_step = 0.5;
  double operator_usd_per_step = 30;
  double monitoring_usd_per_step = 5;
  double calamity_operational_factor = 1.5;
  // Failure per step, Eq (33).
  double outage_usd_per_customer = 5;
  double restoration_usd_per_crew = 50;
  double emergency_generation_usd = 200;
  double equipment_damage_usd_per_line = 1000;
  double reputation_usd_per_failure = 5000;
  double calamity_failure_factor = 2;
  // Horizon.
  double discount_rate = 0.03;
  double inflation_rate = 0.03;
  int lifetime_years = 5;
  int steps_per_year = 50;  // one episode stands for one year [ours]
  // Customers, Eq (34).
  double customers = 50;
  double value_of_outage_usd_per_customer = 100;
  // Revenue and risk, Eq (35)-(36).
  double subscription_usd_per_month = 2000;
  int subscribers = 1;
  double performance_contract_usd_per_unit = 1000;  // per unit of R above the baseline
  double calamity_incentive_usd_per_unit = 2000;    // per unit of R above the baseline, calamity
  double penalty_usd_per_unit = 1000;               // per unit of R below the baseline, calamity
  double baseline_resilience = 0.5;
  // Eq (37)-(39).
  double development_usd_per_year = 30000;
  double initial_investment_usd = 150000;
  // Configuration base costs (budget units) by configuration index, and their conversion.
  std::vector<double> config_base_cost_units = {0, 15, 28, 40, 50, 75};
  double base_cost_usd_per_unit = 1000;
  int initial_config = 0;
};

// What the environment knows at the end of a step.
struct EconomicsStep {
  int config = 0;  // index into config_base_cost_units
  int n_der = 0;
  double capital_multiplier = 1.0;
  double operational_multiplier = 1.0;
  double maintenance_multiplier = 1.0;
  bool calamity = false;
  double resilience = 0.0;     // R in [0, 1]
  double customers_out = 0.0;  // customers without supply (fractional: spread by kVA)
  int failed_lines = 0;        // lines out of service now (= crews)
  int new_failed_lines = 0;    // lines that failed this step
  bool critical_load_lost = false;
  bool der_running = false;  // DER / emergency generation running
};

struct StepCosts {
  double base_cost_usd = 0.0;
  double capital_usd = 0.0;  // per-step share of the annualised capital
  double operational_usd = 0.0;
  double failure_usd = 0.0;
  double resilience_value_usd = 0.0;  // Eq (34), reported only
  double revenue_usd = 0.0;
  double risk_reduction_usd = 0.0;  // <= 0
};

struct YearSummary {
  int steps = 0;
  int calamity_steps = 0;
  double mean_resilience = 0.0;
  // Yearly amounts.
  double base_cost_usd = 0.0;
  double capital_usd = 0.0;  // annualised, see capital_basis
  double operational_usd = 0.0;
  double failure_usd = 0.0;
  double development_usd = 0.0;
  double cost_usd = 0.0;  // sum of the five above
  double resilience_value_usd = 0.0;
  double revenue_usd = 0.0;
  double risk_reduction_usd = 0.0;
  // Lifetime, Eq (37)-(42).
  double total_cost_usd = 0.0;
  double total_benefit_usd = 0.0;  // revenue + risk reduction over the lifetime
  double npv_usd = 0.0;
  double bcr = 0.0;
  double cpub = 0.0;
  double net_benefit_usd = 0.0;
};

// Eq (31) for one configuration: m_cap (control + DER units + switches' equipment) / lifetime.
double AnnualisedCapitalUsd(const EconomicsParams& params, double capital_multiplier, int n_der);
// Eq (32) before the calamity factor.
double OperationalUsdPerStep(const EconomicsParams& params, double operational_multiplier,
                             double maintenance_multiplier, int n_der);

// Customers without supply when `customers` are spread over loads in proportion to kVA.
absl::StatusOr<double> CustomersOut(double customers, std::span<const double> load_kva,
                                    std::span<const uint8_t> served);

absl::Status ValidateEconomicsParams(const EconomicsParams& params);

// Accumulates one year of steps. Create validates the parameters once.
class EconomicsAccumulator {
 public:
  static absl::StatusOr<EconomicsAccumulator> Create(EconomicsParams params = {});

  // Errors (the step is then not recorded): InvalidArgument naming the field for a config index
  // out of range, negative counts, non-finite or negative multipliers, R outside [0, 1].
  absl::StatusOr<StepCosts> AddStep(const EconomicsStep& step);

  // Summary of the steps so far (all zeros except development and initial investment terms when no
  // step was recorded).
  YearSummary Summarize() const;

  void Reset();
  const EconomicsParams& params() const { return params_; }

 private:
  explicit EconomicsAccumulator(EconomicsParams params) : params_(std::move(params)) { Reset(); }
  EconomicsParams params_;
  int previous_config_ = 0;
  YearSummary sums_;              // running sums of the yearly amounts
  double capital_sum_usd_ = 0.0;  // sum of the annualised capital over steps
  double capital_max_usd_ = 0.0;
  double resilience_sum_ = 0.0;
};

}  // namespace gridrl::metrics
