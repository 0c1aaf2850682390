// The `resilience123` environment (layouts and semantics documented in resilience123_env.h).
// Shaped like the tutorial: a ConfigSchema, a constructor computing the spec, Reset/Step writing
// into the StepSlot, a registration function. The physics is Resilience123Sim; members are plain
// values, the Sim (copyable) and one Rng, so EnvBase's copy-based Clone/RestoreFrom is correct.
#include "envs/resilience123/env.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "env/registry.h"
#include "env/rng.h"

namespace gridrl::env {
namespace {

using r123::kConfigDerCount;
using r123::kNumConfigs;
using r123::kNumTactical;
using r123::kNumZones;

enum Info : size_t {
  kInfoResilience,
  kInfoRcl,
  kInfoAros,
  kInfoWpv,
  kInfoQc,
  kInfoIc,
  kInfoArosRaw,
  kInfoQcRaw,
  kInfoCalamity,
  kInfoCalamityType,
  kInfoConfig,
  kInfoNDer,
  kInfoBudget,
  kInfoInfeasible,
  kInfoSwitchesChanged,
  kInfoFailedLines,
  kInfoNewFailedLines,
  kInfoServedFraction,
  kInfoShed,
  kInfoViolations,
  kInfoPfConverged,
  kInfoPfSolves,
  kInfoDerSupplying,
  kInfoBaseCost,
  kInfoCapital,
  kInfoOperational,
  kInfoFailure,
  kInfoResilienceValue,
  kInfoRevenue,
  kInfoRiskReduction,
  kInfoCostEfficiency,
  kInfoEpisodeEnd,
  kInfoEpResilienceMean,
  kInfoEpBcr,
  kInfoEpNpv,
  kInfoEpTotalCost,
  kInfoEpNetBenefit,
  kInfoEpCpub,
  kInfoEpFourDerShare,
  kInfoEpCalamitySteps,
  kNumInfos,
};

const std::vector<std::string> kInfoKeys = {
    "resilience", "r_cl", "aros", "wpv", "q_c", "ic", "aros_raw", "q_c_raw", "calamity",
    "calamity_type", "config", "n_der", "budget", "infeasible_switching", "switches_changed",
    "failed_lines", "new_failed_lines", "served_load_fraction", "shed_for_constraints",
    "constraint_violations", "pf_converged", "pf_solves", "der_supplying", "base_cost_usd",
    "capital_usd", "operational_usd", "failure_usd", "resilience_value_usd", "revenue_usd",
    "risk_reduction_usd", "cost_efficiency", "episode_end", "episode_resilience_mean",
    "episode_bcr", "episode_npv_usd", "episode_total_cost_usd", "episode_net_benefit_usd",
    "episode_cpub", "episode_four_der_calamity_share", "episode_calamity_steps",
};

struct RewardParams {
  double c_norm_usd = 1000;
  double normal_operational_weight = 0.5;
  double capital_weight = 0.5;
  double switch_change_penalty = 0.05;
  double infeasible_penalty = 1.0;
  double critical_loss_penalty = 2.0;
  std::vector<double> calamity_multiplier;
  std::vector<double> bonus_thresholds, bonus_values;
};

absl::Status CheckLength(const Config& config, const char* key, size_t n) {
  const auto& v = config.GetDoubleList(key);
  if (v.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": expected ", n, " values, got ", v.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<r123::Resilience123Params> ParamsFromConfig(const Config& c) {
  for (const char* key : {"config_base_cost", "capital_multiplier", "operational_multiplier",
                          "maintenance_multiplier", "calamity_reward_multiplier"}) {
    if (absl::Status s = CheckLength(c, key, kNumConfigs); !s.ok()) return s;
  }
  if (c.GetDoubleList("bonus_thresholds").size() != c.GetDoubleList("bonus_values").size()) {
    return absl::InvalidArgumentError(
        "bonus_values: expected as many values as bonus_thresholds");
  }
  if (c.GetIntList("recommended_switches").size() != kNumConfigs * kNumTactical) {
    return absl::InvalidArgumentError(absl::StrCat(
        "recommended_switches: expected ", kNumConfigs * kNumTactical,
        " values (6 configurations x 10 switches, row-major), got ",
        c.GetIntList("recommended_switches").size()));
  }
  if (c.GetDoubleList("ahp_pairwise").size() != 25) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ahp_pairwise: expected 25 values (5 x 5, row-major), got ",
        c.GetDoubleList("ahp_pairwise").size()));
  }
  if (c.GetDouble("vmin_pu") >= c.GetDouble("vmax_pu")) {
    return absl::InvalidArgumentError("vmin_pu: expected below vmax_pu");
  }
  r123::Resilience123Params p;
  p.feeder = c.GetString("feeder");
  p.calamity = c.GetString("calamity");
  p.p_normal_to_calamity = c.GetDouble("p_normal_to_calamity");
  p.p_calamity_to_calamity = c.GetDouble("p_calamity_to_calamity");
  p.flood_line_failure_p = c.GetDouble("flood_line_failure_p");
  p.hurricane_line_failure_p = c.GetDouble("hurricane_line_failure_p");
  p.wildfire_spread_p = c.GetDouble("wildfire_spread_p");
  p.wildfire_radius_ft = c.GetDouble("wildfire_radius_ft");
  p.repair_steps = static_cast<int>(c.GetInt("repair_steps"));
  p.substation_kva = c.GetDouble("substation_kva");
  p.der_kva = c.GetDouble("der_kva");
  p.backup_kva = c.GetDouble("backup_feeder_kva");
  p.vmin_pu = c.GetDouble("vmin_pu");
  p.vmax_pu = c.GetDouble("vmax_pu");
  p.der_first_output_fraction = c.GetDouble("der_first_output_fraction");
  p.max_shed_rounds = static_cast<int>(c.GetInt("max_shed_rounds"));
  p.linear_shedding = c.GetString("shed_search") == "linear";
  p.base_case_ampacity_margin = c.GetDouble("base_case_ampacity_margin");
  for (int k = 0; k < kNumConfigs; ++k) {
    p.base_cost[k] = c.GetDoubleList("config_base_cost")[k];
    p.capital_mult[k] = c.GetDoubleList("capital_multiplier")[k];
    p.operational_mult[k] = c.GetDoubleList("operational_multiplier")[k];
    p.maintenance_mult[k] = c.GetDoubleList("maintenance_multiplier")[k];
  }
  for (int k = 0; k < kNumConfigs; ++k) {
    for (int e = 0; e < kNumTactical; ++e) {
      p.recommended_switches[k][e] =
          static_cast<uint8_t>(c.GetIntList("recommended_switches")[k * kNumTactical + e]);
    }
  }
  p.resilience.ahp.pairwise.assign(5, std::vector<double>(5));
  for (int i = 0; i < 25; ++i) p.resilience.ahp.pairwise[i / 5][i % 5] = c.GetDoubleList("ahp_pairwise")[i];
  p.resilience.high_centrality_threshold = c.GetDouble("high_centrality_threshold");
  p.resilience.percolation.trials = static_cast<int>(c.GetInt("percolation_trials"));
  p.resilience.percolation.seed = static_cast<uint64_t>(c.GetInt("percolation_seed"));
  p.resilience.normalisation.bounds[metrics::kPercolationThreshold].hi =
      c.GetDouble("q_c_upper_bound");
  p.resilience.normalisation.bounds[metrics::kAverageRatingOfService].hi =
      c.GetDouble("aros_upper_bound");
  p.cache_capacity = static_cast<size_t>(c.GetInt("indicator_cache_capacity"));
  p.economics.steps_per_year = static_cast<int>(c.GetInt("max_steps"));
  p.economics.lifetime_years = static_cast<int>(c.GetInt("lifetime_years"));
  p.economics.discount_rate = c.GetDouble("discount_rate");
  p.economics.inflation_rate = c.GetDouble("inflation_rate");
  p.economics.customers = c.GetDouble("customers");
  p.economics.base_cost_usd_per_unit = c.GetDouble("base_cost_usd_per_unit");
  p.economics.capital_basis = c.GetString("capital_basis") == "largest_deployed"
                                  ? metrics::CapitalBasis::kLargestDeployed
                                  : metrics::CapitalBasis::kTimeWeighted;
  if (p.calamity != "random") {
    if (auto t = r123::ParseCalamityType(p.calamity); !t.ok()) return t.status();
  }
  return p;
}

class Resilience123Env final : public EnvBase<Resilience123Env> {
 public:
  Resilience123Env(const Config& config, std::shared_ptr<const r123::Resilience123Model> model)
      : flat_(config.GetString("action_space") == "multidiscrete"),
        max_steps_(config.GetInt("max_steps")),
        initial_budget_(config.GetDouble("initial_budget")),
        sim_(std::move(model)) {
    rp_.c_norm_usd = config.GetDouble("c_norm_usd");
    rp_.normal_operational_weight = config.GetDouble("normal_operational_weight");
    rp_.capital_weight = config.GetDouble("capital_weight");
    rp_.switch_change_penalty = config.GetDouble("switch_change_penalty");
    rp_.infeasible_penalty = config.GetDouble("infeasible_penalty");
    rp_.critical_loss_penalty = config.GetDouble("critical_loss_penalty");
    rp_.calamity_multiplier = config.GetDoubleList("calamity_reward_multiplier");
    rp_.bonus_thresholds = config.GetDoubleList("bonus_thresholds");
    rp_.bonus_values = config.GetDoubleList("bonus_values");

    auto spec = std::make_shared<EnvSpec>();
    spec->id = "resilience123";
    spec->description =
        "Weather/calamity switching and DER deployment on the IEEE 123-node feeder, with "
        "resilience metrics and commercialization economics";
    spec->config_schema = Resilience123Schema();
    spec->config = config;
    std::vector<double> lo(kR123ObsSize, 0.0), hi(kR123ObsSize, 1.0);
    lo[kR123ObsBudget] = -1.0;  // the budget may end below zero
    spec->observation_space = Space::Box(DType::kFloat32, {kR123ObsSize}, lo, hi);
    if (flat_) {
      std::vector<int64_t> nvec = {kNumConfigs};
      for (int e = 0; e < kNumTactical + 1; ++e) nvec.push_back(2);
      spec->action_space = Space::MultiDiscrete(nvec);
    } else {
      spec->action_space = Space::Dict({
          {"config", Space::Discrete(kNumConfigs)},
          {"grid", Space::Discrete(2)},
          {"switches", Space::MultiBinary(kNumTactical)},
      });
    }
    spec->info_keys = kInfoKeys;
    spec->has_action_mask = true;
    spec->enforce_action_mask = config.GetBool("enforce_mask");
    // Reward bounds from the parameters (loose but finite).
    const auto& p = sim_.model().params();
    double cap_max = 0, op_max = 0;
    for (int c = 0; c < kNumConfigs; ++c) {
      cap_max = std::max(cap_max, metrics::AnnualisedCapitalUsd(p.economics, p.capital_mult[c],
                                                                 kConfigDerCount[c]) /
                                      p.economics.steps_per_year);
      op_max = std::max(op_max, metrics::OperationalUsdPerStep(p.economics, p.operational_mult[c],
                                                               p.maintenance_mult[c],
                                                               kConfigDerCount[c]) *
                                    p.economics.calamity_operational_factor);
    }
    double m_max = 0, b_max = 0;
    for (double m : rp_.calamity_multiplier) m_max = std::max(m_max, m);
    for (double b : rp_.bonus_values) b_max = std::max(b_max, b);
    const double cap_term = rp_.capital_weight * cap_max / rp_.c_norm_usd;
    const double normal_low = -(rp_.normal_operational_weight * op_max / rp_.c_norm_usd + cap_term +
                                rp_.switch_change_penalty * kNumTactical);
    const double calamity_low = -(cap_term + rp_.critical_loss_penalty);
    spec->reward_low = std::min(normal_low, calamity_low) - rp_.infeasible_penalty;
    spec->reward_high = std::max(1.0, 2.0 * m_max + b_max);
    spec->max_episode_steps = max_steps_;
    spec->Finalize();
    spec_ = std::move(spec);
  }

  const EnvSpec& spec() const override { return *spec_; }
  const r123::Resilience123Sim& sim() const { return sim_; }

  void Reset(std::optional<uint64_t> seed, StepSlot out) override {
    if (seed) rng_.Seed(*seed);
    Check(sim_.Reset(rng_, initial_budget_));
    t_ = 0;
    calamity_steps_ = 0;
    four_der_calamity_steps_ = 0;
    last_ = r123::StepResult{};
    last_.indicators = sim_.indicators();
    last_.service = sim_.service();
    WriteObs(out);
    for (size_t k = 0; k < kNumInfos; ++k) out.info(k) = 0.0;
    WriteInfos(out, /*ended=*/false);
    out.reward() = 0.0;
    out.terminated() = false;
    out.truncated() = false;
  }

  void Step(const ActionRow& action, StepSlot out) override {
    int config, grid;
    std::array<uint8_t, kNumTactical> sw{};
    if (flat_) {
      auto a = action.get<int64_t>(0);
      config = static_cast<int>(a[0]);
      for (int e = 0; e < kNumTactical; ++e) sw[e] = a[1 + e] != 0;
      grid = static_cast<int>(a[1 + kNumTactical]);
    } else {
      config = static_cast<int>(action.scalar<int64_t>(0));
      grid = static_cast<int>(action.scalar<int64_t>(1));
      auto s = action.get<int8_t>(2);
      for (int e = 0; e < kNumTactical; ++e) sw[e] = s[e] != 0;
    }
    absl::StatusOr<r123::StepResult> res = sim_.Step(config, sw, grid, rng_);
    Check(res.status());
    last_ = *std::move(res);
    ++t_;
    if (last_.calamity) {
      ++calamity_steps_;
      if (kConfigDerCount[sim_.config()] == 4) ++four_der_calamity_steps_;
    }
    const bool terminated = last_.budget_exhausted;
    const bool truncated = !terminated && t_ >= max_steps_;
    WriteObs(out);
    WriteInfos(out, terminated || truncated);
    out.reward() = Reward();
    out.terminated() = terminated;
    out.truncated() = truncated;
  }

 private:
  // Errors from the Sim here are programmer bugs (actions were validated against the spec).
  static void Check(const absl::Status& s) {
    if (s.ok()) return;
    std::fprintf(stderr, "resilience123: internal error: %s\n", s.ToString().c_str());
    std::abort();
  }

  double CostEfficiency() const {
    const auto& c = last_.costs;
    return last_.indicators.resilience /
           (1.0 + (c.operational_usd + c.capital_usd + c.failure_usd) / rp_.c_norm_usd);
  }

  double Reward() const {
    const auto& ind = last_.indicators;
    const double r = ind.resilience;
    double reward;
    if (!last_.calamity) {
      reward = r - rp_.normal_operational_weight * last_.costs.operational_usd / rp_.c_norm_usd -
               rp_.capital_weight * last_.costs.capital_usd / rp_.c_norm_usd -
               rp_.switch_change_penalty * last_.switches_changed;
    } else {
      const double dl = std::max(0.0, last_.served_fraction - last_.served_fraction_before);
      double bonus = 0;
      for (size_t k = 0; k < rp_.bonus_thresholds.size(); ++k) {
        if (r >= rp_.bonus_thresholds[k]) {
          bonus = rp_.bonus_values[k];
          break;
        }
      }
      reward = rp_.calamity_multiplier[sim_.config()] * (r + dl) + bonus -
               rp_.capital_weight * last_.costs.capital_usd / rp_.c_norm_usd -
               rp_.critical_loss_penalty * (1.0 - ind.raw[metrics::kCriticalLoadRatio]);
    }
    if (last_.infeasible_switching) reward -= rp_.infeasible_penalty;
    return reward;
  }

  void WriteObs(StepSlot out) const {
    auto o = out.obs<float>(0);
    std::fill(o.begin(), o.end(), 0.0f);
    o[kR123ObsWeather + static_cast<int>(sim_.weather())] = 1.0f;
    o[kR123ObsBudget] =
        static_cast<float>(std::clamp(sim_.budget() / initial_budget_, -1.0, 1.0));
    o[kR123ObsTime] = static_cast<float>(std::min(1.0, double(t_) / double(max_steps_)));
    o[kR123ObsConfig + sim_.config()] = 1.0f;
    for (int e = 0; e < kNumTactical; ++e) o[kR123ObsSwitches + e] = sim_.tactical()[e];
    const auto zf = sim_.ZoneFailedFraction();
    for (int z = 0; z < kNumZones; ++z) o[kR123ObsZoneFailed + z] = static_cast<float>(zf[z]);
    const auto& ind = last_.indicators;
    o[kR123ObsResilience] = static_cast<float>(ind.resilience);
    for (int k = 0; k < metrics::kNumIndicators; ++k) {
      o[kR123ObsIndicators + k] = static_cast<float>(ind.normalised[k]);
    }
    o[kR123ObsCostEfficiency] = static_cast<float>(std::clamp(CostEfficiency(), 0.0, 1.0));
    o[kR123ObsOnset] = static_cast<float>(
        std::min(1.0, double(sim_.steps_since_onset()) / double(max_steps_)));
    auto mask = out.action_mask();
    const auto ok = sim_.AffordableConfigs();
    for (int c = 0; c < kNumConfigs; ++c) mask[c] = ok[c];
    for (size_t i = kNumConfigs; i < mask.size(); ++i) mask[i] = true;
  }

  void WriteInfos(StepSlot out, bool ended) const {
    const auto& ind = last_.indicators;
    out.info(kInfoResilience) = ind.resilience;
    out.info(kInfoRcl) = ind.normalised[metrics::kCriticalLoadRatio];
    out.info(kInfoAros) = ind.normalised[metrics::kAverageRatingOfService];
    out.info(kInfoWpv) = ind.normalised[metrics::kWeightedPathVariability];
    out.info(kInfoQc) = ind.normalised[metrics::kPercolationThreshold];
    out.info(kInfoIc) = ind.normalised[metrics::kHighCentralityIndicator];
    out.info(kInfoArosRaw) = ind.raw[metrics::kAverageRatingOfService];
    out.info(kInfoQcRaw) = ind.raw[metrics::kPercolationThreshold];
    out.info(kInfoCalamity) = last_.calamity ? 1.0 : 0.0;
    out.info(kInfoCalamityType) = static_cast<double>(sim_.calamity_type());
    out.info(kInfoConfig) = sim_.config();
    out.info(kInfoNDer) = kConfigDerCount[sim_.config()];
    out.info(kInfoBudget) = sim_.budget();
    out.info(kInfoInfeasible) = last_.infeasible_switching ? 1.0 : 0.0;
    out.info(kInfoSwitchesChanged) = last_.switches_changed;
    out.info(kInfoFailedLines) = last_.failed_lines;
    out.info(kInfoNewFailedLines) = last_.new_failed_lines;
    double total = 0;
    for (const auto& g : sim_.model().groups()) total += g.kva;
    out.info(kInfoServedFraction) = last_.service.served_kva / total;
    out.info(kInfoShed) = last_.service.shed_for_constraints;
    out.info(kInfoViolations) = last_.service.violations;
    out.info(kInfoPfConverged) = last_.service.converged ? 1.0 : 0.0;
    out.info(kInfoPfSolves) = last_.service.solves;
    out.info(kInfoDerSupplying) = last_.service.der_supplying ? 1.0 : 0.0;
    const auto& c = last_.costs;
    out.info(kInfoBaseCost) = c.base_cost_usd;
    out.info(kInfoCapital) = c.capital_usd;
    out.info(kInfoOperational) = c.operational_usd;
    out.info(kInfoFailure) = c.failure_usd;
    out.info(kInfoResilienceValue) = c.resilience_value_usd;
    out.info(kInfoRevenue) = c.revenue_usd;
    out.info(kInfoRiskReduction) = c.risk_reduction_usd;
    out.info(kInfoCostEfficiency) = CostEfficiency();
    out.info(kInfoEpisodeEnd) = ended ? 1.0 : 0.0;
    if (ended) {
      const metrics::YearSummary y = sim_.economics().Summarize();
      out.info(kInfoEpResilienceMean) = y.mean_resilience;
      out.info(kInfoEpBcr) = y.bcr;
      out.info(kInfoEpNpv) = y.npv_usd;
      out.info(kInfoEpTotalCost) = y.total_cost_usd;
      out.info(kInfoEpNetBenefit) = y.net_benefit_usd;
      out.info(kInfoEpCpub) = y.cpub;
      out.info(kInfoEpFourDerShare) =
          calamity_steps_ > 0 ? double(four_der_calamity_steps_) / calamity_steps_ : 0.0;
      out.info(kInfoEpCalamitySteps) = calamity_steps_;
    } else {
      for (size_t k = kInfoEpResilienceMean; k < kNumInfos; ++k) out.info(k) = 0.0;
    }
  }

  std::shared_ptr<const EnvSpec> spec_;  // immutable, shared by clones
  bool flat_;
  int64_t max_steps_;
  double initial_budget_;
  RewardParams rp_;
  r123::Resilience123Sim sim_;
  Rng rng_;
  int64_t t_ = 0;
  int calamity_steps_ = 0, four_der_calamity_steps_ = 0;
  r123::StepResult last_;
};

}  // namespace

const std::vector<std::string>& Resilience123InfoKeys() { return kInfoKeys; }

namespace {
std::vector<int64_t> DefaultRecommended() {
  std::vector<int64_t> v;
  for (int c = 0; c < kNumConfigs; ++c) {
    for (uint8_t b : r123::RecommendedSwitches(c)) v.push_back(b);
  }
  return v;
}
}  // namespace

ConfigSchema Resilience123Schema() {
  ConfigSchema s;
  s.String("action_space", "dict",
           "'dict': {config, grid, switches}; 'multidiscrete': MultiDiscrete([6, 2 x 11]) = "
           "[config, 10 switches, grid]",
           {"dict", "multidiscrete"})
      .String("calamity", "random", "calamity type of every episode, or 'random' (drawn per episode)",
              {"random", "flood", "wildfire", "hurricane", "short_circuit"})
      .String("feeder", "ieee123", "feeder name or path (must have the IEEE 123 buses)")
      .Int("max_steps", 50, "episode length; one episode is one year of economics [paper]", 1, 1e6)
      .Double("initial_budget", 500, "budget units at reset [ours]", 0, 1e9)
      .Bool("enforce_mask", false,
            "refuse unaffordable configurations with an error; false: applied, the budget goes "
            "negative and the episode terminates")
      .Double("p_normal_to_calamity", 0.10, "weather chain P(normal -> calamity) [ours]", 0, 1)
      .Double("p_calamity_to_calamity", 0.70, "weather chain P(calamity -> calamity) [ours]", 0, 1)
      .Double("flood_line_failure_p", 0.05, "per line in zones C, E per calamity step [ours]", 0, 1)
      .Double("hurricane_line_failure_p", 0.04, "per line per calamity step [ours]", 0, 1)
      .Double("wildfire_spread_p", 0.3, "per burning bus and neighbour per step [ours]", 0, 1)
      .Double("wildfire_radius_ft", 500, "fire neighbours: buses within this distance [ours]", 0,
              1e6)
      .Int("repair_steps", 4, "steps from failure to return to service, weather permitting [ours]",
           1, 1e6)
      .Double("substation_kva", 5000, "substation rating (metrics) [paper]", 1, 1e9)
      .Double("der_kva", 350.35, "rating of each DER [paper]", 1, 1e9)
      .Double("backup_feeder_kva", 1000, "capacity of each backup feeder [ours]", 1, 1e9)
      .Double("vmin_pu", 0.95, "lowest node voltage allowed [paper]", 0.5, 1.5)
      .Double("vmax_pu", 1.05, "highest node voltage allowed [paper]", 0.5, 1.5)
      .Double("der_first_output_fraction", 0.8,
              "DER-first dispatch: grid-connected DER output as a fraction of rating [ours]", 0, 1)
      .Int("max_shed_rounds", 60, "cap on the power flows of constraint-driven shedding per step [ours]",
           0, 1000)
      .String("shed_search", "bisect",
              "how a violating island finds the shortest feasible prefix of its farthest-first "
              "shedding order: 'bisect' (gallop and bisect, a few power flows) or 'linear' (one "
              "group per power flow, the reference) [ours]",
              {"bisect", "linear"})
      .Double("base_case_ampacity_margin", 1.25,
              "line ampacity = max(norm_amps, margin x intact base-case current) [ours]", 1.0, 100)
      .DoubleList("config_base_cost", {0, 15, 28, 40, 50, 75},
                  "budget units debited on changing to configuration c [paper]", 0, 1e9)
      .DoubleList("capital_multiplier", {1.0, 1.5, 2.0, 2.5, 3.0, 3.5},
                  "capital multiplier per configuration [paper range, ours spread]", 0, 1e3)
      .DoubleList("operational_multiplier", {1.0, 1.2, 1.4, 1.6, 1.8, 2.0},
                  "operational multiplier per configuration [paper range, ours spread]", 0, 1e3)
      .DoubleList("maintenance_multiplier", {1.0, 1.1, 1.2, 1.3, 1.4, 1.5},
                  "maintenance multiplier per configuration [paper range, ours spread]", 0, 1e3)
      .DoubleList("calamity_reward_multiplier", {1, 5, 10, 25, 150, 200},
                  "M_c of the calamity reward per configuration [ours]", 0, 1e6)
      .Double("c_norm_usd", 1000, "cost normalisation of the rewards [ours]", 1e-9, 1e12)
      .Double("normal_operational_weight", 0.5, "weight of C_op in the normal reward [ours]", 0,
              1e6)
      .Double("capital_weight", 0.5, "weight of C_cap in both rewards [ours]", 0, 1e6)
      .Double("switch_change_penalty", 0.05, "normal reward per switch changed [ours]", 0, 1e6)
      .Double("infeasible_penalty", 1.0, "penalty of a refused (infeasible) switch state [ours]",
              0, 1e6)
      .Double("critical_loss_penalty", 2.0, "calamity reward weight of 1 - R_CL [ours]", 0, 1e6)
      .DoubleList("bonus_thresholds", {0.9, 0.8, 0.7},
                  "tiered calamity bonus thresholds on R, descending [ours]", 0, 1)
      .DoubleList("bonus_values", {50, 20, 5}, "tiered calamity bonus values [ours]", 0, 1e6)
      .IntList("recommended_switches", DefaultRecommended(),
               "tactical vector recommended for each configuration (6 x 10, row-major; used by "
               "the always-configuration baselines) [ours]",
               0, 1)
      .DoubleList("ahp_pairwise",
                  {1, 2, 3, 4, 5, 1.0 / 2, 1, 2, 3, 4, 1.0 / 3, 1.0 / 2, 1, 2, 3, 1.0 / 4, 1.0 / 3,
                   1.0 / 2, 1, 2, 1.0 / 5, 1.0 / 4, 1.0 / 3, 1.0 / 2, 1},
                  "AHP pairwise matrix over [R_CL, ARoS, WPV, q_c, IC] (5 x 5, row-major; "
                  "reciprocal, CR < 0.1) [ours]",
                  1e-9, 1e9)
      .Double("high_centrality_threshold", 0.1, "I_k at or above this makes node k high [ours]",
              0, 1)
      .Int("percolation_trials", 200, "Monte Carlo trials per q [paper: T]", 1, 1e6)
      .Int("percolation_seed", 123, "percolation RNG seed (fixed: a function of topology) [ours]",
           0, 9.0e15)
      .Double("q_c_upper_bound", 0.5, "normalisation upper bound of q_c [ours]", 1e-6, 1)
      .Double("aros_upper_bound", 1.0, "normalisation upper bound of ARoS [ours]", 1e-6, 1e6)
      .Int("indicator_cache_capacity", 4096, "topologies kept in each env's caches", 1, 1e8)
      .Int("lifetime_years", 5, "project lifetime [paper]", 1, 100)
      .Double("discount_rate", 0.03, "[paper]", 0, 1)
      .Double("inflation_rate", 0.03, "[paper]", 0, 1)
      .Double("customers", 50, "customers spread over loads by kVA [paper]", 0, 1e9)
      .Double("base_cost_usd_per_unit", 1000, "USD per budget unit of base costs [ours]", 0, 1e9)
      .String("capital_basis", "time_weighted",
              "yearly capital: time-weighted over steps, or the largest deployed [ours]",
              {"time_weighted", "largest_deployed"});
  return s;
}

const r123::Resilience123Sim* Resilience123SimOf(const Env& env) {
  const auto* e = dynamic_cast<const Resilience123Env*>(&env);
  return e == nullptr ? nullptr : &e->sim();
}

void RegisterResilience123Env(Registry& registry) {
  EnvFactory f;
  f.id = "resilience123";
  f.summary = "IEEE 123 feeder: weather/calamity switching, DER deployment, resilience economics";
  f.schema = Resilience123Schema();
  f.make = [](const Config& config) -> absl::StatusOr<std::unique_ptr<Env>> {
    absl::StatusOr<r123::Resilience123Params> params = ParamsFromConfig(config);
    if (!params.ok()) return params.status();
    absl::StatusOr<std::shared_ptr<const r123::Resilience123Model>> model =
        r123::Resilience123Model::Build(*std::move(params));
    if (!model.ok()) return model.status();
    return std::make_unique<Resilience123Env>(config, *std::move(model));
  };
  (void)registry.Register(std::move(f));
}

}  // namespace gridrl::env
