// The physics of the `resilience123` environment (shared/spec/resilience123.md): the IEEE 123-node
// feeder with 12 switches, four backup feeders and four DERs; the weather chain and the four
// calamity types; load service in islands by priority with constraint checks from the three-phase
// power flow; resilience indicators (envs/resilience123/resilience.h, cached by topology) and the economics of
// Eq 31-42 (envs/resilience123/economics.h). The RL layer (spaces, observation, reward, infos) lives in
// resilience123_env.{h,cc}; baselines and benchmarks may drive Resilience123Sim directly.
//
// Split (MuJoCo's model/data): Resilience123Model is immutable and shared by every environment copy
// (feeder model, metric graph, zones, lists precomputed once); Resilience123Sim is the small mutable
// state plus a power-flow workspace, copyable so that Clone/Restore are plain copies. The indicator
// and service caches are shared between a Sim and its copies (their values are pure functions of
// their keys, so sharing changes speed only, never results).
//
// Every [ours] value of the spec is a field of Resilience123Params, filled from the env config.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "env/rng.h"
#include "envs/resilience123/economics.h"
#include "envs/resilience123/fast_indicators.h"
#include "envs/resilience123/indicator_cache.h"
#include "envs/resilience123/resilience.h"
#include "envs/resilience123/feeder_ieee123.h"
#include "powerflow/network/feeder_data.h"
#include "powerflow/distribution/feeder_solver.h"

namespace gridrl::env::r123 {

inline constexpr int kNumConfigs = 6;
inline constexpr int kNumSwitches = 12;         // sw1..sw12 of the spec
inline constexpr int kNumTactical = 10;         // sw2, sw3, sw4, sw6, sw7, sw8, sw9, sw10, sw11, sw12
inline constexpr int kNumZones = 5;             // A..E
inline constexpr int kNumDers = 4;              // at nodes 49, 21, 105, 56
inline constexpr int kNumBackups = 4;           // behind sw7, sw8, sw11, sw12
// Spec switch index (0-based: 0 = sw1) of each tactical element.
inline constexpr std::array<int, kNumTactical> kTacticalSwitch = {1, 2, 3, 5, 6, 7, 8, 9, 10, 11};
// DER units per configuration [paper]; the strategic head's weather bias uses this.
inline constexpr std::array<int, kNumConfigs> kConfigDerCount = {0, 1, 2, 3, 4, 4};

enum class Weather : uint8_t { kNormal = 0, kCalamity = 1 };
enum class CalamityType : uint8_t { kFlood = 0, kWildfire = 1, kHurricane = 2, kShortCircuit = 3 };
inline constexpr int kNumCalamityTypes = 4;
const char* CalamityTypeName(CalamityType type);  // "flood", "wildfire", "hurricane", "short_circuit"
absl::StatusOr<CalamityType> ParseCalamityType(const std::string& name);

struct Resilience123Params {
  std::string feeder = "ieee123";
  // Weather chain and calamities [ours].
  double p_normal_to_calamity = 0.10;
  double p_calamity_to_calamity = 0.70;
  std::string calamity = "random";  // a type name, or "random" (drawn per episode)
  double flood_line_failure_p = 0.05;
  double hurricane_line_failure_p = 0.04;
  double wildfire_spread_p = 0.3;
  double wildfire_radius_ft = 500;
  int repair_steps = 4;
  // Grid [paper] / [ours].
  double substation_kva = 5000;
  double der_kva = 350.35;
  double backup_kva = 1000;
  double vmin_pu = 0.95, vmax_pu = 1.05;
  std::vector<std::string> critical_buses = {"48", "76"};
  // DER dispatch in islands with a grid source: DER-first (grid = 0) injects this fraction of
  // rating at unity power factor; grid-first (grid = 1) keeps DERs on standby (P = 0) [ours].
  double der_first_output_fraction = 0.8;
  int max_shed_rounds = 60;  // power flows of constraint-driven shedding per step, a cap [ours]
  // Each violating island sheds the shortest feasible prefix of its farthest-first order [ours].
  // false: found by a gallop-and-bisect search over the prefix length (a few power flows);
  // true: one group per island per power flow, the reference the search is tested against.
  bool linear_shedding = false;
  // Line ampacity [ours]: max(norm_amps, margin x the line's current in the intact base case).
  // The data's lines carry OpenDSS's default 400 A, which the published operating point exceeds
  // at the feeder head (about 630 A on 149-1); without this the intact feeder would be shed.
  double base_case_ampacity_margin = 1.25;
  // Configurations [paper: base costs and multipliers; ours: recommended switches].
  std::array<double, kNumConfigs> base_cost = {0, 15, 28, 40, 50, 75};
  std::array<double, kNumConfigs> capital_mult = {1.0, 1.5, 2.0, 2.5, 3.0, 3.5};
  std::array<double, kNumConfigs> operational_mult = {1.0, 1.2, 1.4, 1.6, 1.8, 2.0};
  std::array<double, kNumConfigs> maintenance_mult = {1.0, 1.1, 1.2, 1.3, 1.4, 1.5};
  // Recommended tactical vector per configuration [ours] (defaults: RecommendedSwitches).
  std::array<std::array<uint8_t, kNumTactical>, kNumConfigs> recommended_switches = {{
      {1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
      {1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, {1, 1, 1, 0, 0, 0, 0, 1, 0, 0},
      {1, 1, 1, 0, 0, 0, 0, 1, 0, 0}, {0, 0, 1, 0, 0, 0, 0, 1, 0, 0}}};
  // Metrics.
  metrics::ResilienceConfig resilience;
  size_t cache_capacity = 4096;
  // Economics (paper's table as defaults; base costs and steps per year follow the env).
  metrics::EconomicsParams economics;
};

// The spec's default recommended switches of configuration c [ours], 1 = closed (the env's
// config key `recommended_switches` may override them).
std::array<uint8_t, kNumTactical> RecommendedSwitches(int config);
std::array<uint8_t, kNumTactical> NormalSwitches();

// One served unit: all spot loads of a bus (the spec's node loads; node 76 has three).
struct LoadGroup {
  int bus = -1;
  std::string bus_name;
  double kva = 0;         // sum of member |S| at nominal voltage
  bool critical = false;
  std::vector<int> loads;  // feeder load indices
  int zone = -1;
};

class Resilience123Model {
 public:
  static absl::StatusOr<std::shared_ptr<const Resilience123Model>> Build(Resilience123Params params);

  const Resilience123Params& params() const { return params_; }
  const powerflow::FeederModel& feeder() const { return *feeder_; }
  const std::shared_ptr<const powerflow::FeederModel>& feeder_ptr() const { return feeder_; }
  const metrics::ResilienceModel& metric_model() const { return *metric_model_; }

  // Feeder line index of switch k (0 = sw1).
  const std::array<int, kNumSwitches>& switch_line() const { return switch_line_; }
  int substation_source() const { return substation_source_; }
  const std::array<int, kNumBackups>& backup_source() const { return backup_source_; }
  const std::array<int, kNumDers>& der() const { return der_; }  // feeder DER index per DER slot
  // DER slots (0: node 49, 1: 21, 2: 105, 3: 56) online in configuration c [ours].
  const std::array<std::array<uint8_t, kNumDers>, kNumConfigs>& config_ders() const {
    return config_ders_;
  }
  const std::vector<int>& failable_lines() const { return failable_lines_; }  // non-switch lines
  const std::vector<int>& line_zone() const { return line_zone_; }  // per feeder line, -1 none
  const std::vector<int>& bus_zone() const { return bus_zone_; }
  const std::array<int, kNumZones>& zone_line_count() const { return zone_line_count_; }
  const std::vector<int>& wildfire_start_buses() const { return wildfire_start_; }  // zones B, D
  const std::vector<std::vector<int>>& fire_neighbours() const { return fire_neighbours_; }
  const std::vector<int>& upstream_switch() const { return upstream_switch_; }  // per line, spec idx
  const std::vector<LoadGroup>& groups() const { return groups_; }
  const std::vector<int>& group_priority() const { return group_priority_; }  // critical, then kVA
  const std::vector<int>& flood_lines() const { return flood_lines_; }
  // Electrical length (ohm, |z| of the first conductor) per feeder line; transformers 0.
  const std::vector<double>& line_length_ohm() const { return line_length_ohm_; }
  // Ampacity (A) per feeder line used by the constraint check.
  const std::vector<double>& line_ampacity_a() const { return line_ampacity_a_; }
  // Metric graph: one edge per feeder line (same index), then one per transformer.
  int num_metric_edges() const { return num_metric_edges_; }

 private:
  Resilience123Model() = default;
  Resilience123Params params_;
  std::shared_ptr<const powerflow::FeederModel> feeder_;
  std::shared_ptr<const metrics::ResilienceModel> metric_model_;
  std::array<int, kNumSwitches> switch_line_{};
  int substation_source_ = -1;
  std::array<int, kNumBackups> backup_source_{};
  std::array<int, kNumDers> der_{};
  std::array<std::array<uint8_t, kNumDers>, kNumConfigs> config_ders_{};
  std::vector<int> failable_lines_, line_zone_, bus_zone_, wildfire_start_, upstream_switch_;
  std::vector<int> flood_lines_;
  std::array<int, kNumZones> zone_line_count_{};
  std::vector<std::vector<int>> fire_neighbours_;
  std::vector<LoadGroup> groups_;
  std::vector<int> group_priority_;
  std::vector<double> line_length_ohm_;
  std::vector<double> line_ampacity_a_;
  int num_metric_edges_ = 0;
};

// What serving loads in the current topology gave (a pure function of the topology key and the
// grid preference, so it is cached).
struct ServiceOutcome {
  std::vector<uint8_t> served;  // per group
  bool converged = true;
  int shed_for_constraints = 0;  // groups shed after a violation
  int violations = 0;            // remaining voltage + loading + DER + backup violations
  int solves = 0;
  int tripped_islands = 0;       // DER-only islands still infeasible with critical loads only
  bool der_supplying = false;    // some DER delivers more than 1 kW in the final solve
  double served_kva = 0;
  double vmin_pu = 0, vmax_pu = 0;  // over energised nodes
};

// Caches shared by a Sim and its copies; guarded, since copies may step on other threads.
struct Resilience123Caches {
  explicit Resilience123Caches(size_t capacity) : indicators(capacity), capacity(capacity) {}
  std::mutex mu;
  metrics::IndicatorCache indicators;
  absl::flat_hash_map<metrics::TopologyKey, ServiceOutcome> service;
  // q_c and IC (raw) depend on the in-service edges only: a configuration change alone reuses them.
  absl::flat_hash_map<metrics::TopologyKey, std::array<double, 2>> edge_indicators;
  size_t capacity;
  uint64_t service_hits = 0, service_misses = 0;
  uint64_t edge_hits = 0, edge_misses = 0;
};

// What one step did, for the env's reward, observation and infos.
struct StepResult {
  bool infeasible_switching = false;
  int switches_changed = 0;       // tactical elements whose state changed
  bool config_changed = false;
  int new_failed_lines = 0;
  int failed_lines = 0;
  bool calamity = false;          // the weather of this step
  double served_fraction_before = 0, served_fraction = 0;  // of total kVA
  ServiceOutcome service;
  metrics::IndicatorSet indicators;  // with R_CL, ARoS and R from this step's served loads
  metrics::StepCosts costs;
  bool budget_exhausted = false;
};

class Resilience123Sim {
 public:
  explicit Resilience123Sim(std::shared_ptr<const Resilience123Model> model);

  // Starts an episode from the env's RNG: normal weather, configuration 0, normal switches, no
  // failures, the full budget; draws the calamity type if "random". Evaluates the initial state.
  absl::Status Reset(Rng& rng, double initial_budget);
  // One step: strategic config, tactical switches (1 = closed), grid preference.
  absl::StatusOr<StepResult> Step(int config, const std::array<uint8_t, kNumTactical>& switches,
                                  int grid, Rng& rng);

  // Read access for observations and baselines.
  const Resilience123Model& model() const { return *model_; }
  Weather weather() const { return weather_; }
  CalamityType calamity_type() const { return calamity_type_; }
  int config() const { return config_; }
  double budget() const { return budget_; }
  int steps_since_onset() const { return steps_since_onset_; }
  const std::array<uint8_t, kNumTactical>& tactical() const { return tactical_; }
  const std::array<uint8_t, kNumSwitches>& switch_closed() const { return switch_closed_; }
  const std::vector<uint8_t>& line_failed() const { return line_failed_; }
  const std::vector<uint8_t>& burning() const { return burning_; }
  std::array<double, kNumZones> ZoneFailedFraction() const;
  const metrics::IndicatorSet& indicators() const { return indicators_; }
  const ServiceOutcome& service() const { return service_; }
  const metrics::EconomicsAccumulator& economics() const { return economics_; }
  // Would this tactical vector put two grid sources in one island with the current failures?
  bool Feasible(const std::array<uint8_t, kNumTactical>& switches) const;
  // Mask of affordable configurations (the current one is always affordable).
  std::array<bool, kNumConfigs> AffordableConfigs() const;
  const Resilience123Caches& caches() const { return *caches_; }

 private:
  void EffectiveSwitches(const std::array<uint8_t, kNumTactical>& tactical,
                         std::array<uint8_t, kNumSwitches>* closed) const;
  int CountGridSourcesMax(const std::array<uint8_t, kNumSwitches>& closed) const;
  int ApplyCalamity(Rng& rng, bool onset);
  void Repair();
  absl::Status Evaluate();  // service + indicators of the current state
  ServiceOutcome Serve(int grid);
  metrics::TopologyKey Key(int extra) const;

  std::shared_ptr<const Resilience123Model> model_;
  std::shared_ptr<Resilience123Caches> caches_;
  powerflow::FeederSolver solver_;
  powerflow::FeederState fstate_;
  Weather weather_ = Weather::kNormal;
  CalamityType calamity_type_ = CalamityType::kHurricane;
  int config_ = 0;
  int grid_ = 1;
  double budget_ = 0;
  int steps_since_onset_ = 0;  // 0 in normal weather; 1 on the first calamity step
  std::array<uint8_t, kNumTactical> tactical_{};
  std::array<uint8_t, kNumSwitches> switch_closed_{};
  std::array<int, kNumSwitches> lockout_line_{};  // line whose fault keeps switch k open, -1 none
  std::vector<uint8_t> line_failed_;
  std::vector<int> repair_left_;
  std::vector<uint8_t> burning_;  // per bus
  metrics::IndicatorSet indicators_;
  ServiceOutcome service_;
  metrics::EconomicsAccumulator economics_;
  // Scratch (sized once).
  metrics::CentralityWorkspace centrality_;
  metrics::PercolationWorkspace percolation_;
  std::vector<int> uf_;
  metrics::GridState gstate_;
};

}  // namespace gridrl::env::r123
