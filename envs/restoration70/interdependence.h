// Operational interdependence simulator (OIS) for the `restoration70` environment (shared/spec/
// restoration70.md section 3): a dependency graph of sources (power) and infrastructures (water
// station, hospital, government, ICT). An edge u -> v means v needs u's output. Each
// infrastructure's output, a fraction in [0, 1], is its own power share (the served fraction of
// its bus load) times the minimum of its upstream outputs; a source's output is given.
//
// Solving: an acyclic graph is evaluated once in topological order (exact). A graph with a cycle
// (mutual dependence) is solved by Jacobi iteration starting from full operation (every output 1):
// the map is monotone, so the iterates decrease to the greatest fixed point, i.e. the state the
// infrastructures settle in when they start running and lose capacity through their dependencies.
// A cycle is a valid model, so it is reported (OisResult::cycle), not an error; a cycle whose
// shares are close to 1 may not settle within max_iterations, which is reported as
// converged = false with the last change, like a power flow that does not converge.
//
// Invariants of a created DependencyGraph: unique non-empty node names; edge endpoints exist; no
// self-loops or duplicate edges; no edge into a source.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "envs/restoration70/ciu.h"
#include "nlohmann/json_fwd.hpp"

namespace gridrl::metrics {

enum class OisNodeKind { kSource, kInfrastructure };

struct OisNode {
  std::string name;
  OisNodeKind kind = OisNodeKind::kInfrastructure;
  // OCT column this node's output feeds (empty: none). output * the column's full level is the
  // input value, e.g. water station output 0.5 -> 70 L/capita/day.
  std::string oct_input;
};

struct OisEdgeSpec {
  std::string from;  // supplier
  std::string to;    // dependent
};

struct OisSolveOptions {
  int max_iterations = 1000;  // Jacobi sweeps for cyclic graphs
  double tolerance = 1e-12;   // largest output change that counts as converged
};

struct OisResult {
  std::vector<double> output;  // per node, in node order, in [0, 1]
  bool converged = true;
  int iterations = 0;       // 1 for an acyclic graph
  double max_change = 0.0;  // in the last sweep
};

class DependencyGraph {
 public:
  // power -> water_station, hospital, government, ict; water_station -> hospital; ict ->
  // government, water_station. Infrastructures feed the OCT column of the same name.
  static DependencyGraph Default();

  // Errors name the bad element: "edges[3].to: unknown node \"wter\"".
  static absl::StatusOr<DependencyGraph> Create(std::vector<OisNode> nodes,
                                                std::vector<OisEdgeSpec> edges,
                                                OisSolveOptions options = {});

  // JSON form (every key below is checked; unknown keys are errors, to catch typos):
  // {
  //   "nodes": [{"name": "power", "kind": "source"},
  //             {"name": "water_station", "kind": "infrastructure", "oct_input": "water_station"},
  //             ...],
  //   "edges": [{"from": "power", "to": "water_station"}, ...],
  //   "solver": {"max_iterations": 1000, "tolerance": 1e-12}        (optional)
  // }
  static absl::StatusOr<DependencyGraph> FromJson(const nlohmann::json& json);
  static absl::StatusOr<DependencyGraph> FromJsonText(std::string_view text);
  // NotFound when the file cannot be read; parse errors name the file.
  static absl::StatusOr<DependencyGraph> FromJsonFile(const std::string& path);

  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  const OisNode& node(int k) const { return nodes_[k]; }
  int IndexOf(std::string_view name) const;  // -1 if absent
  const std::vector<int>& upstream(int k) const { return upstream_[k]; }
  const OisSolveOptions& options() const { return options_; }
  // Names along one dependency cycle (first node repeated at the end), empty if acyclic.
  const std::vector<std::string>& cycle() const { return cycle_; }
  bool has_cycle() const { return !cycle_.empty(); }

  // node_inputs: per node in node order, a source's output or an infrastructure's power share,
  // each in [0, 1]. Errors name the entry ("node_inputs[2] (hospital)").
  absl::StatusOr<OisResult> Solve(std::span<const double> node_inputs) const;

 private:
  DependencyGraph() = default;
  std::vector<OisNode> nodes_;
  std::vector<std::vector<int>> upstream_;
  std::vector<int> topological_order_;  // empty if cyclic
  std::vector<std::string> cycle_;
  OisSolveOptions options_;
};

// OCT input values from a solved OIS: each column fed by a node (oct_input) gets output * full
// level; the household power column (kOctPowerSupply) gets household_supply_share * full level
// (served share of all non-critical load, spec section 3). Errors: a column nobody feeds, two nodes
// feeding one column, a node naming an unknown column, share outside [0, 1].
absl::StatusOr<std::vector<double>> OctInputsFromOis(const OperationalCapacityTable& oct,
                                                     const DependencyGraph& graph,
                                                     const OisResult& result,
                                                     double household_supply_share);

}  // namespace gridrl::metrics
