// The reusable model of the `uc_rts96` environment (spec: shared/spec/uc_rts96.md): day-ahead unit
// commitment and real-time N-1 reliability on IEEE RTS-96 with RTS-GMLC load and wind records.
//
// `UcModel` is immutable and shared by every environment copy and agent thread: the compiled grid,
// generator limits and costs, the load and wind records, the 15 generator subsets of the day-ahead
// action set. `UcSim` is the small mutable half: the day's forecast and schedule, the realised hour,
// line statuses with repair countdowns, and preallocated power-flow workspaces. The N-1 evaluation
// (121 AC power flows per hour) warm-starts every outage from the solved base case and reuses the
// grid's symbolic Jacobian analysis; after the first hour it allocates nothing.
//
// Units: MW; bus, generator and branch indices are positions in the network's vectors.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/config.h"
#include "env/rng.h"
#include "powerflow/transmission/ac_power_flow.h"
#include "powerflow/transmission/grid.h"

namespace gridrl::env::uc {

inline constexpr int kHours = 24;
inline constexpr int kRtFeatures = 15;
inline constexpr int kDaFeaturesPerAction = 19;
inline constexpr int kNumStressDays = 5;

// Every tunable value of the model; each is a config field of the environment (see UcSchema).
struct UcParams {
  std::string case_name = "rts96";
  std::string load_file = "timeseries/rts96_load_da.csv";
  std::string wind_file = "timeseries/rts96_wind_da.csv";
  double wind_scale = 1.0;
  uint64_t permutation_seed = 2016;  // the generator permutation behind the action set
  int num_break_points = 6;
  double forecast_step = 0.1;        // day-to-day epsilon in {+s, 0, -s}
  std::string realisation = "uniform";  // "uniform" grid of points or "gaussian"
  double wind_noise = 0.05, demand_noise = 0.02;  // half-widths of the uniform grids
  int wind_noise_points = 10, demand_noise_points = 10;
  double gaussian_demand_sigma = 0.02, gaussian_wind_sigma = 0.15;  // fractions of the mean
  double line_failure_prob = 1e-5;   // per in-service line per hour
  int repair_hours = 5;
  double overload_tolerance = 0.5;   // a case fails when loading exceeds 1 + this
  double gen_limit_tolerance = 0.5;  // ... or a generator exceeds its P limits by this x Pmax
  double price_cap = 1e5;
  std::string capacity_basis = "committed";  // Sum Pmax of the effective demand: committed | all
  std::string initial_day = "stress";        // "stress" days 1..5 or a random "year" day
  int stress_day = 0;                        // 1..5 fixes the stress day; 0 draws one
  double stress_wind_slope = 1.9, stress_demand_base = 0.15;
  double pf_tolerance_pu = 1e-6;
  int pf_max_iterations = 10;
  // Skip the AC solve of a case whose lossless generation deficit in some island already exceeds
  // what any of its generators could absorb within gen_limit_tolerance (the case would fail the
  // generator-limit check whatever the solve gives, since losses are >= 0). Same results, less
  // time; used only when the network is passive (r >= 0, gs >= 0, no DC lines).
  bool deficit_screen = true;

  // Reads the fields above from a resolved environment config.
  static UcParams FromConfig(const Config& config);
};

// Adds the model's fields to an environment's config schema.
void AddUcModelFields(ConfigSchema& schema);

class UcModel {
 public:
  static absl::StatusOr<std::shared_ptr<const UcModel>> Create(const UcParams& params);

  const UcParams& params() const { return params_; }
  const std::shared_ptr<const powerflow::Grid>& grid() const { return grid_; }
  int num_buses() const { return nb_; }
  int num_gens() const { return ng_; }
  int num_branches() const { return nl_; }
  int num_wind() const { return static_cast<int>(wind_bus_.size()); }
  int num_actions() const { return static_cast<int>(subsets_.size()); }
  int num_days() const { return num_days_; }

  double pmax(int g) const { return pmax_[g]; }
  double pmin(int g) const { return pmin_[g]; }
  double price(int g) const { return price_[g]; }  // min(max_j Pmax_j / Pmax_g, price_cap)
  double max_pmax() const { return max_pmax_; }
  const std::vector<int>& wind_bus() const { return wind_bus_; }
  const std::vector<int>& permutation() const { return permutation_; }
  const std::vector<int>& price_order() const { return price_order_; }
  double bus_qd_ratio(int b) const { return bus_qd_ratio_[b]; }
  bool lossless_bound_valid() const { return passive_; }
  const std::vector<int>& subset(int a) const { return subsets_[a]; }
  const std::vector<char>& subset_mask(int a) const { return subset_mask_[a]; }
  double subset_pmax(int a) const { return subset_pmax_[a]; }
  double subset_pmin(int a) const { return subset_pmin_[a]; }
  double subset_price_per_mw(int a) const { return subset_price_per_mw_[a]; }  // Sum c / G^max

  // Forecasts of one record day (0-based) or stress day (1..5): demand [24 x nb], wind [24 x nw].
  void RecordDay(int day, std::span<double> demand, std::span<double> wind) const;
  void StressDay(int i, std::span<double> demand, std::span<double> wind) const;

  // Hourly economic dispatch of `net_mw` on the committed units (lambda iteration on the case's
  // polynomial costs, limits respected; all at Pmin or all at Pmax when out of range).
  void EconomicDispatch(const std::vector<char>& committed, double net_mw,
                        std::span<double> p_mw) const;

  // The 19 day-ahead features of action a for hourly net demands (spec section 4).
  void DaFeatures(std::span<const double> net_demand_24, int a, std::span<double> out19) const;
  // Day-ahead heuristics (spec section 5): subsets whose G^max covers the day's peak net demand
  // (all subsets if none does), and the choices of Cost and Elastic among them.
  std::vector<char> QualifyingActions(std::span<const double> net_demand_24) const;
  int CostAction(std::span<const double> net_demand_24) const;
  int ElasticAction(std::span<const double> net_demand_24) const;

 private:
  UcParams params_;
  std::shared_ptr<const powerflow::Grid> grid_;
  int nb_ = 0, ng_ = 0, nl_ = 0, num_days_ = 0;
  std::vector<double> pmax_, pmin_, price_, cost_c2_, cost_c1_;
  double max_pmax_ = 0;
  std::vector<double> bus_pd_, bus_qd_ratio_;
  std::vector<int> bus_area_;  // 0-based area of each bus
  int num_areas_ = 0;
  std::vector<double> load_;       // [day][hour][area], fraction of the area's annual peak
  std::vector<double> wind_;       // [day][hour][plant], MW (already scaled)
  std::vector<double> mean_load_;  // [hour][area], mean profile normalised to a peak of 1
  std::vector<double> mean_wind_;  // [hour][plant], MW
  std::vector<int> wind_bus_;
  std::vector<int> price_order_;  // generators by ascending price (ties by index)
  bool passive_ = false;           // every branch and shunt consumes real power
  std::vector<int> permutation_;
  std::vector<std::vector<int>> subsets_;
  std::vector<std::vector<char>> subset_mask_;
  std::vector<double> subset_pmax_, subset_pmin_, subset_price_per_mw_;
};

// The outcome of one hour's N-1 evaluation.
struct Reliability {
  double reward = 0;        // feasible cases / cases
  int cases = 0;            // 1 + in-service branches
  int infeasible = 0;
  int screened = 0;         // cases found infeasible by the deficit screen without a solve
  bool base_feasible = false;
  // Per branch: 1 its outage case is infeasible, 0 feasible, -1 not a case (already out).
  std::vector<int8_t> outage_infeasible;
};

class UcSim {
 public:
  explicit UcSim(std::shared_ptr<const UcModel> model);
  UcSim(const UcSim&) = default;
  UcSim& operator=(const UcSim&) = default;

  const UcModel& model() const { return *model_; }

  // --- Episode and day-ahead. ---
  // A new initial forecast (stress day or record day per params; `stress_day` > 0 overrides).
  void StartEpisode(Rng& rng, int stress_day = -1);
  void SetForecast(std::span<const double> demand, std::span<const double> wind);
  // Lines all in service, no countdowns.
  void RepairAllLines();
  std::span<const double> demand_forecast() const { return demand_fc_; }
  std::span<const double> wind_forecast() const { return wind_fc_; }
  std::span<const double> net_demand_forecast() const { return net_fc_; }  // [24] MW
  void DaFeatureMatrix(std::span<double> out) const;  // [num_actions x 19]
  // Commits subset a for the day and schedules it hour by hour on the forecast net demand.
  void Commit(int action);
  int commitment() const { return action_; }
  const std::vector<char>& committed() const { return committed_; }
  // The next day's forecast from today's (epsilon transition), hour back to 0.
  void AdvanceDay(Rng& rng);

  // --- Real-time hour. ---
  // Line failures and repairs, then the realised demand and wind of the current hour.
  void RealiseHour(Rng& rng);
  // Sets the realised hour directly (experiments and tests): demand [nb], wind [nw] in MW.
  void SetRealised(std::span<const double> demand, std::span<const double> wind);
  void SetGeneration(std::span<const double> gen_mw);
  void SetLineStatus(int branch, bool in_service, int countdown_hours = 0);
  // Generation := the day's schedule of the current hour.
  void LoadSchedule();
  // The built-in redispatch heuristic (ascending price, toward covering the imbalance).
  void HeuristicRedispatch();
  // Agent redispatch: generation of committed units += delta (MW), clipped to [Pmin, Pmax].
  void ApplyRedispatch(std::span<const float> delta_mw);
  // N-1 reliability of the current hour's state (121 AC power flows on the intact grid).
  const Reliability& EvaluateReliability();
  // Features of the current state (spec section 4), with the current generation.
  void RtFeatures(std::span<double> out15) const;
  double EffectiveDemand() const;
  double GenerationEntropy() const;
  double DemandEntropy() const;
  void NextHour() { ++hour_; }

  int hour() const { return hour_; }
  std::span<const double> demand() const { return demand_; }
  std::span<const double> wind() const { return wind_; }
  std::span<const double> generation() const { return gen_; }
  const std::vector<char>& line_on() const { return line_on_; }
  const std::vector<int>& countdown() const { return countdown_; }
  const Reliability& reliability() const { return rel_; }
  int lines_out() const;

 private:
  bool CaseFeasible(const powerflow::AcPowerFlow& pf, const powerflow::SolveReport& rep) const;
  // True if, with branch `outage` also out (-1: none), some island's lossless deficit exceeds
  // the largest headroom (1 + tol) Pmax - P of its committed generators.
  bool DeficitInfeasible(int outage);
  std::vector<int> dsu_;
  std::vector<double> island_deficit_, island_headroom_;

  std::shared_ptr<const UcModel> model_;
  std::vector<double> demand_fc_, wind_fc_, net_fc_;  // [24 x nb], [24 x nw], [24]
  int action_ = -1;
  std::vector<char> committed_;
  std::vector<double> schedule_;  // [24 x ng]
  int hour_ = 0;
  std::vector<double> demand_, wind_, gen_, bus_net_;
  std::vector<char> line_on_;
  std::vector<int> countdown_;
  Reliability rel_;
  powerflow::AcPowerFlow base_, work_;
  powerflow::SolveOptions solve_;
};

// The day-ahead policy a = argmax_a psi . phi_DA(s, a), ties broken uniformly with `rng`.
int PsiAction(const UcModel& model, std::span<const double> net_demand_24,
              std::span<const double> psi, Rng& rng);
// The Random heuristic: uniform among the qualifying subsets.
int RandomAction(const UcModel& model, std::span<const double> net_demand_24, Rng& rng);

// Which initial days an evaluation or training rollout uses, for agents: stress day (k mod 5) + 1.
inline int StressDayOfRollout(int k) { return k % kNumStressDays + 1; }

}  // namespace gridrl::env::uc
