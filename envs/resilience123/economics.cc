#include "envs/resilience123/economics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"

namespace gridrl::metrics {
namespace {

absl::Status NonNegative(double value, const char* field) {
  if (!std::isfinite(value) || value < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: expected a finite value >= 0, got %f", field, value));
  }
  return absl::OkStatus();
}

}  // namespace

double AnnualisedCapitalUsd(const EconomicsParams& p, double capital_multiplier, int n_der) {
  const double per_switch =
      p.switch_installation_usd + p.switch_communication_usd + p.switch_protection_usd;
  return capital_multiplier *
         (p.control_system_usd + p.der_unit_usd * n_der + p.num_switches * per_switch) /
         p.lifetime_years;
}

double OperationalUsdPerStep(const EconomicsParams& p, double operational_multiplier,
                             double maintenance_multiplier, int n_der) {
  return operational_multiplier *
         (p.num_switches * p.maintenance_usd_per_switch_step * maintenance_multiplier +
          p.fuel_usd_per_der_step * n_der + p.num_switches * p.communication_usd_per_switch_step +
          p.operator_usd_per_step + p.monitoring_usd_per_step);
}

absl::StatusOr<double> CustomersOut(double customers, std::span<const double> load_kva,
                                    std::span<const uint8_t> served) {
  if (absl::Status s = NonNegative(customers, "customers"); !s.ok()) return s;
  if (load_kva.size() != served.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "served: expected one entry per load (%d), got %d", load_kva.size(), served.size()));
  }
  double total = 0.0;
  double out = 0.0;
  for (size_t k = 0; k < load_kva.size(); ++k) {
    if (!std::isfinite(load_kva[k]) || load_kva[k] < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "load_kva[%d]: expected a finite value >= 0, got %f", k, load_kva[k]));
    }
    total += load_kva[k];
    if (!served[k]) out += load_kva[k];
  }
  return total > 0 ? customers * out / total : 0.0;
}

absl::Status ValidateEconomicsParams(const EconomicsParams& p) {
  const std::pair<double, const char*> non_negative[] = {
      {p.control_system_usd, "control_system_usd"},
      {p.der_unit_usd, "der_unit_usd"},
      {p.switch_installation_usd, "switch_installation_usd"},
      {p.switch_communication_usd, "switch_communication_usd"},
      {p.switch_protection_usd, "switch_protection_usd"},
      {p.maintenance_usd_per_switch_step, "maintenance_usd_per_switch_step"},
      {p.fuel_usd_per_der_step, "fuel_usd_per_der_step"},
      {p.communication_usd_per_switch_step, "communication_usd_per_switch_step"},
      {p.operator_usd_per_step, "operator_usd_per_step"},
      {p.monitoring_usd_per_step, "monitoring_usd_per_step"},
      {p.calamity_operational_factor, "calamity_operational_factor"},
      {p.outage_usd_per_customer, "outage_usd_per_customer"},
      {p.restoration_usd_per_crew, "restoration_usd_per_crew"},
      {p.emergency_generation_usd, "emergency_generation_usd"},
      {p.equipment_damage_usd_per_line, "equipment_damage_usd_per_line"},
      {p.reputation_usd_per_failure, "reputation_usd_per_failure"},
      {p.calamity_failure_factor, "calamity_failure_factor"},
      {p.customers, "customers"},
      {p.value_of_outage_usd_per_customer, "value_of_outage_usd_per_customer"},
      {p.subscription_usd_per_month, "subscription_usd_per_month"},
      {p.performance_contract_usd_per_unit, "performance_contract_usd_per_unit"},
      {p.calamity_incentive_usd_per_unit, "calamity_incentive_usd_per_unit"},
      {p.penalty_usd_per_unit, "penalty_usd_per_unit"},
      {p.baseline_resilience, "baseline_resilience"},
      {p.development_usd_per_year, "development_usd_per_year"},
      {p.initial_investment_usd, "initial_investment_usd"},
      {p.base_cost_usd_per_unit, "base_cost_usd_per_unit"},
  };
  for (const auto& [value, name] : non_negative) {
    if (absl::Status s = NonNegative(value, name); !s.ok()) return s;
  }
  // Rates may be negative (deflation) but not below -100 %.
  for (auto [value, name] : {std::pair{p.discount_rate, "discount_rate"},
                             std::pair{p.inflation_rate, "inflation_rate"}}) {
    if (!std::isfinite(value) || value <= -1.0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: expected a finite value > -1, got %f", name, value));
    }
  }
  if (p.num_switches < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("num_switches: expected >= 0, got %d", p.num_switches));
  }
  if (p.subscribers < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("subscribers: expected >= 0, got %d", p.subscribers));
  }
  if (p.lifetime_years < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("lifetime_years: expected >= 1, got %d", p.lifetime_years));
  }
  if (p.steps_per_year < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("steps_per_year: expected >= 1, got %d", p.steps_per_year));
  }
  if (p.config_base_cost_units.empty()) {
    return absl::InvalidArgumentError(
        "config_base_cost_units: expected one base cost per configuration, got none");
  }
  for (size_t c = 0; c < p.config_base_cost_units.size(); ++c) {
    const double v = p.config_base_cost_units[c];
    if (!std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "config_base_cost_units[%d]: expected a finite value >= 0, got %f", c, v));
    }
  }
  if (p.initial_config < 0 ||
      p.initial_config >= static_cast<int>(p.config_base_cost_units.size())) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "initial_config: expected a configuration index in [0, %d), got %d",
        p.config_base_cost_units.size(), p.initial_config));
  }
  return absl::OkStatus();
}

absl::StatusOr<EconomicsAccumulator> EconomicsAccumulator::Create(EconomicsParams params) {
  if (absl::Status s = ValidateEconomicsParams(params); !s.ok()) return s;
  return EconomicsAccumulator(std::move(params));
}

void EconomicsAccumulator::Reset() {
  previous_config_ = params_.initial_config;
  sums_ = YearSummary{};
  capital_sum_usd_ = 0.0;
  capital_max_usd_ = 0.0;
  resilience_sum_ = 0.0;
}

absl::StatusOr<StepCosts> EconomicsAccumulator::AddStep(const EconomicsStep& step) {
  const EconomicsParams& p = params_;
  if (step.config < 0 || step.config >= static_cast<int>(p.config_base_cost_units.size())) {
    return absl::InvalidArgumentError(
        absl::StrFormat("step.config: expected a configuration index in [0, %d), got %d",
                        p.config_base_cost_units.size(), step.config));
  }
  for (auto [value, name] : {std::pair{step.n_der, "step.n_der"},
                             std::pair{step.failed_lines, "step.failed_lines"},
                             std::pair{step.new_failed_lines, "step.new_failed_lines"}}) {
    if (value < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: expected >= 0, got %d", name, value));
    }
  }
  for (auto [value, name] :
       {std::pair{step.capital_multiplier, "step.capital_multiplier"},
        std::pair{step.operational_multiplier, "step.operational_multiplier"},
        std::pair{step.maintenance_multiplier, "step.maintenance_multiplier"},
        std::pair{step.customers_out, "step.customers_out"}}) {
    if (absl::Status s = NonNegative(value, name); !s.ok()) return s;
  }
  if (!(step.resilience >= 0.0 && step.resilience <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("step.resilience: expected a value in [0, 1], got %f", step.resilience));
  }

  StepCosts c;
  if (step.config != previous_config_) {
    c.base_cost_usd = p.config_base_cost_units[step.config] * p.base_cost_usd_per_unit;
  }
  previous_config_ = step.config;
  const double annual_capital = AnnualisedCapitalUsd(p, step.capital_multiplier, step.n_der);
  c.capital_usd = annual_capital / p.steps_per_year;
  c.operational_usd = OperationalUsdPerStep(p, step.operational_multiplier,
                                            step.maintenance_multiplier, step.n_der) *
                      (step.calamity ? p.calamity_operational_factor : 1.0);
  const double failure =
      p.outage_usd_per_customer * step.customers_out +
      p.restoration_usd_per_crew * step.failed_lines +
      (step.calamity && step.der_running ? p.emergency_generation_usd : 0.0) +
      p.equipment_damage_usd_per_line * step.new_failed_lines +
      (step.critical_load_lost ? p.reputation_usd_per_failure : 0.0);
  c.failure_usd = failure * (step.calamity ? p.calamity_failure_factor : 1.0);
  c.resilience_value_usd = step.resilience * p.customers * p.value_of_outage_usd_per_customer;
  const double steps_per_month = p.steps_per_year / 12.0;
  const double above = std::max(0.0, step.resilience - p.baseline_resilience);
  const double below = std::max(0.0, p.baseline_resilience - step.resilience);
  c.revenue_usd = p.subscription_usd_per_month * p.subscribers / steps_per_month +
                  p.performance_contract_usd_per_unit * above +
                  (step.calamity ? p.calamity_incentive_usd_per_unit * above : 0.0);
  c.risk_reduction_usd = step.calamity ? -p.penalty_usd_per_unit * below : 0.0;

  ++sums_.steps;
  if (step.calamity) ++sums_.calamity_steps;
  sums_.base_cost_usd += c.base_cost_usd;
  sums_.operational_usd += c.operational_usd;
  sums_.failure_usd += c.failure_usd;
  sums_.resilience_value_usd += c.resilience_value_usd;
  sums_.revenue_usd += c.revenue_usd;
  sums_.risk_reduction_usd += c.risk_reduction_usd;
  capital_sum_usd_ += annual_capital;
  capital_max_usd_ = std::max(capital_max_usd_, annual_capital);
  resilience_sum_ += step.resilience;
  return c;
}

YearSummary EconomicsAccumulator::Summarize() const {
  const EconomicsParams& p = params_;
  YearSummary y = sums_;
  if (y.steps > 0) {
    y.mean_resilience = resilience_sum_ / y.steps;
    y.capital_usd = p.capital_basis == CapitalBasis::kTimeWeighted ? capital_sum_usd_ / y.steps
                                                                   : capital_max_usd_;
  }
  y.development_usd = p.development_usd_per_year;
  y.cost_usd =
      y.base_cost_usd + y.capital_usd + y.operational_usd + y.failure_usd + y.development_usd;
  const double benefit_year = y.revenue_usd + y.risk_reduction_usd;
  const int years = p.lifetime_years;
  y.total_cost_usd = years * y.cost_usd;
  y.total_benefit_usd = years * benefit_year;
  const double cash_flow = benefit_year - y.cost_usd;
  double npv = -p.initial_investment_usd;
  for (int year = 1; year <= years; ++year) {
    npv += cash_flow * std::pow(1.0 + p.inflation_rate, year - 1) /
           std::pow(1.0 + p.discount_rate, year);
  }
  y.npv_usd = npv;
  y.bcr = y.total_cost_usd > 0 ? y.total_benefit_usd / y.total_cost_usd : 0.0;
  y.cpub = y.total_benefit_usd > 0 ? y.total_cost_usd / y.total_benefit_usd
                                   : std::numeric_limits<double>::infinity();
  y.net_benefit_usd = y.total_benefit_usd - y.total_cost_usd;
  return y;
}

}  // namespace gridrl::metrics
