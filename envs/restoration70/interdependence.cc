#include "envs/restoration70/interdependence.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace gridrl::metrics {
namespace {

using nlohmann::json;

absl::Status UnknownKeys(const json& object, std::initializer_list<std::string_view> allowed,
                         const std::string& where) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s%s: unknown field", where, where.empty() ? it.key() : "." + it.key()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StringField(const json& object, const char* key,
                                        const std::string& where, bool required) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s.%s: missing (expected a string)", where, key));
    }
    return std::string();
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s.%s: expected a string, got %s", where,
                                                      key, it->type_name()));
  }
  return it->get<std::string>();
}

}  // namespace

DependencyGraph DependencyGraph::Default() {
  const std::string water(kOctWaterStation), hospital(kOctHospital), gov(kOctGovernment),
      ict(kOctIct);
  absl::StatusOr<DependencyGraph> g = Create(
      {
          {"power", OisNodeKind::kSource, ""},
          {water, OisNodeKind::kInfrastructure, water},
          {hospital, OisNodeKind::kInfrastructure, hospital},
          {gov, OisNodeKind::kInfrastructure, gov},
          {ict, OisNodeKind::kInfrastructure, ict},
      },
      {
          {"power", water},
          {"power", hospital},
          {"power", gov},
          {"power", ict},
          {water, hospital},
          {ict, gov},
          {ict, water},
      });
  // The default is valid by construction; a failure here is a programming error.
  if (!g.ok()) std::abort();
  return *std::move(g);
}

absl::StatusOr<DependencyGraph> DependencyGraph::Create(std::vector<OisNode> nodes,
                                                        std::vector<OisEdgeSpec> edges,
                                                        OisSolveOptions options) {
  if (nodes.empty()) return absl::InvalidArgumentError("nodes: expected at least one node");
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (nodes[k].name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("nodes[%d].name: expected a non-empty name", k));
    }
    for (size_t j = 0; j < k; ++j) {
      if (nodes[j].name == nodes[k].name) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "nodes[%d].name: duplicate name \"%s\" (also nodes[%d])", k, nodes[k].name, j));
      }
    }
  }
  if (options.max_iterations < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "solver.max_iterations: expected >= 1, got %d", options.max_iterations));
  }
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("solver.tolerance: expected a finite value >= 0, got %f",
                        options.tolerance));
  }
  DependencyGraph g;
  g.nodes_ = std::move(nodes);
  g.options_ = options;
  const int n = g.num_nodes();
  g.upstream_.assign(n, {});
  for (size_t k = 0; k < edges.size(); ++k) {
    const int from = g.IndexOf(edges[k].from);
    const int to = g.IndexOf(edges[k].to);
    if (from < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("edges[%d].from: unknown node \"%s\"", k, edges[k].from));
    }
    if (to < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("edges[%d].to: unknown node \"%s\"", k, edges[k].to));
    }
    if (from == to) {
      return absl::InvalidArgumentError(
          absl::StrFormat("edges[%d]: self-loop on \"%s\"", k, edges[k].from));
    }
    if (g.nodes_[to].kind == OisNodeKind::kSource) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "edges[%d].to: \"%s\" is a source; sources depend on nothing", k, edges[k].to));
    }
    std::vector<int>& up = g.upstream_[to];
    if (std::find(up.begin(), up.end(), from) != up.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "edges[%d]: duplicate edge \"%s\" -> \"%s\"", k, edges[k].from, edges[k].to));
    }
    up.push_back(from);
  }

  // Kahn's algorithm; what it cannot order lies on or behind a cycle.
  std::vector<int> pending(n);
  std::vector<std::vector<int>> downstream(n);
  for (int v = 0; v < n; ++v) {
    pending[v] = static_cast<int>(g.upstream_[v].size());
    for (int u : g.upstream_[v]) downstream[u].push_back(v);
  }
  std::vector<int> order;
  for (int v = 0; v < n; ++v) {
    if (pending[v] == 0) order.push_back(v);
  }
  for (size_t head = 0; head < order.size(); ++head) {
    for (int w : downstream[order[head]]) {
      if (--pending[w] == 0) order.push_back(w);
    }
  }
  if (static_cast<int>(order.size()) == n) {
    g.topological_order_ = std::move(order);
  } else {
    // Walk upstream from an unordered node through unordered nodes until a node repeats: every
    // unordered node has an unordered upstream, so the walk must close a cycle.
    std::vector<int> position(n, -1);
    std::vector<int> walk;
    int v = 0;
    while (pending[v] == 0) ++v;
    while (position[v] < 0) {
      position[v] = static_cast<int>(walk.size());
      walk.push_back(v);
      for (int u : g.upstream_[v]) {
        if (pending[u] > 0) {
          v = u;
          break;
        }
      }
    }
    // walk[position[v]..] is the cycle, traversed against the edges; report it along them.
    for (int k = static_cast<int>(walk.size()) - 1; k >= position[v]; --k) {
      g.cycle_.push_back(g.nodes_[walk[k]].name);
    }
    g.cycle_.push_back(g.cycle_.front());
  }
  return g;
}

int DependencyGraph::IndexOf(std::string_view name) const {
  for (size_t k = 0; k < nodes_.size(); ++k) {
    if (nodes_[k].name == name) return static_cast<int>(k);
  }
  return -1;
}

absl::StatusOr<DependencyGraph> DependencyGraph::FromJson(const json& root) {
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("(root): expected an object, got %s", root.type_name()));
  }
  if (absl::Status s = UnknownKeys(root, {"nodes", "edges", "solver"}, ""); !s.ok()) return s;
  auto nodes_it = root.find("nodes");
  if (nodes_it == root.end() || !nodes_it->is_array()) {
    return absl::InvalidArgumentError("nodes: expected an array of node objects");
  }
  std::vector<OisNode> nodes;
  for (size_t k = 0; k < nodes_it->size(); ++k) {
    const json& item = (*nodes_it)[k];
    const std::string where = absl::StrFormat("nodes[%d]", k);
    if (!item.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: expected an object, got %s", where, item.type_name()));
    }
    if (absl::Status s = UnknownKeys(item, {"name", "kind", "oct_input"}, where); !s.ok()) {
      return s;
    }
    OisNode node;
    absl::StatusOr<std::string> name = StringField(item, "name", where, true);
    if (!name.ok()) return name.status();
    node.name = *name;
    absl::StatusOr<std::string> kind = StringField(item, "kind", where, true);
    if (!kind.ok()) return kind.status();
    if (*kind == "source") {
      node.kind = OisNodeKind::kSource;
    } else if (*kind == "infrastructure") {
      node.kind = OisNodeKind::kInfrastructure;
    } else {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s.kind: expected \"source\" or \"infrastructure\", got \"%s\"", where, *kind));
    }
    absl::StatusOr<std::string> oct = StringField(item, "oct_input", where, false);
    if (!oct.ok()) return oct.status();
    node.oct_input = *oct;
    nodes.push_back(std::move(node));
  }
  std::vector<OisEdgeSpec> edges;
  auto edges_it = root.find("edges");
  if (edges_it != root.end()) {
    if (!edges_it->is_array()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "edges: expected an array of {\"from\", \"to\"} objects, got %s",
          edges_it->type_name()));
    }
    for (size_t k = 0; k < edges_it->size(); ++k) {
      const json& item = (*edges_it)[k];
      const std::string where = absl::StrFormat("edges[%d]", k);
      if (!item.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: expected an object, got %s", where, item.type_name()));
      }
      if (absl::Status s = UnknownKeys(item, {"from", "to"}, where); !s.ok()) return s;
      absl::StatusOr<std::string> from = StringField(item, "from", where, true);
      if (!from.ok()) return from.status();
      absl::StatusOr<std::string> to = StringField(item, "to", where, true);
      if (!to.ok()) return to.status();
      edges.push_back({*from, *to});
    }
  }
  OisSolveOptions options;
  auto solver_it = root.find("solver");
  if (solver_it != root.end()) {
    if (!solver_it->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("solver: expected an object, got %s", solver_it->type_name()));
    }
    if (absl::Status s = UnknownKeys(*solver_it, {"max_iterations", "tolerance"}, "solver");
        !s.ok()) {
      return s;
    }
    if (auto it = solver_it->find("max_iterations"); it != solver_it->end()) {
      if (!it->is_number_integer()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "solver.max_iterations: expected an integer, got %s", it->type_name()));
      }
      const long long v = it->get<long long>();
      if (v < 1 || v > 100000000) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "solver.max_iterations: expected an integer in [1, 1e8], got %d", v));
      }
      options.max_iterations = static_cast<int>(v);
    }
    if (auto it = solver_it->find("tolerance"); it != solver_it->end()) {
      if (!it->is_number()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "solver.tolerance: expected a number, got %s", it->type_name()));
      }
      options.tolerance = it->get<double>();
    }
  }
  return Create(std::move(nodes), std::move(edges), options);
}

absl::StatusOr<DependencyGraph> DependencyGraph::FromJsonText(std::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error for syntax, out_of_range for numbers that overflow a double (1e400).
    return absl::InvalidArgumentError(absl::StrFormat("malformed JSON: %s", e.what()));
  }
  return FromJson(root);
}

absl::StatusOr<DependencyGraph> DependencyGraph::FromJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrFormat("%s: cannot open the file", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<DependencyGraph> g = FromJsonText(buffer.str());
  if (!g.ok()) {
    return absl::Status(g.status().code(), absl::StrFormat("%s: %s", path, g.status().message()));
  }
  return g;
}

absl::StatusOr<OisResult> DependencyGraph::Solve(std::span<const double> node_inputs) const {
  const int n = num_nodes();
  if (static_cast<int>(node_inputs.size()) != n) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "node_inputs: expected one value per node (%d), got %d", n, node_inputs.size()));
  }
  for (int k = 0; k < n; ++k) {
    if (!(node_inputs[k] >= 0 && node_inputs[k] <= 1)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "node_inputs[%d] (%s): expected a fraction in [0, 1], got %f", k, nodes_[k].name,
          node_inputs[k]));
    }
  }
  OisResult out;
  out.output.assign(n, 1.0);
  for (int k = 0; k < n; ++k) {
    if (nodes_[k].kind == OisNodeKind::kSource) out.output[k] = node_inputs[k];
  }
  auto evaluate = [&](int v, const std::vector<double>& y) {
    double supply = 1.0;
    for (int u : upstream_[v]) supply = std::min(supply, y[u]);
    return node_inputs[v] * supply;
  };
  if (!topological_order_.empty()) {
    for (int v : topological_order_) {
      if (nodes_[v].kind == OisNodeKind::kInfrastructure) out.output[v] = evaluate(v, out.output);
    }
    out.iterations = 1;
    out.converged = true;
    return out;
  }
  std::vector<double> next = out.output;
  out.converged = false;
  for (int it = 1; it <= options_.max_iterations; ++it) {
    double change = 0.0;
    for (int v = 0; v < n; ++v) {
      if (nodes_[v].kind != OisNodeKind::kInfrastructure) continue;
      next[v] = evaluate(v, out.output);
      change = std::max(change, std::abs(next[v] - out.output[v]));
    }
    out.output.swap(next);
    out.iterations = it;
    out.max_change = change;
    if (change <= options_.tolerance) {
      out.converged = true;
      break;
    }
  }
  return out;
}

absl::StatusOr<std::vector<double>> OctInputsFromOis(const OperationalCapacityTable& oct,
                                                     const DependencyGraph& graph,
                                                     const OisResult& result,
                                                     double household_supply_share) {
  if (!(household_supply_share >= 0 && household_supply_share <= 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "household_supply_share: expected a fraction in [0, 1], got %f", household_supply_share));
  }
  if (static_cast<int>(result.output.size()) != graph.num_nodes()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "result.output: expected one value per graph node (%d), got %d", graph.num_nodes(),
        result.output.size()));
  }
  std::vector<double> inputs(oct.num_inputs(), 0.0);
  std::vector<int> fed_by(oct.num_inputs(), -1);
  const int household = oct.IndexOf(kOctPowerSupply);
  if (household >= 0) {
    inputs[household] = household_supply_share * oct.FullLevel(household);
  }
  for (int v = 0; v < graph.num_nodes(); ++v) {
    const std::string& column = graph.node(v).oct_input;
    if (column.empty()) continue;
    const int c = oct.IndexOf(column);
    if (c < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "nodes[%d].oct_input: \"%s\" is not an OCT column", v, column));
    }
    if (c == household || fed_by[c] >= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "nodes[%d].oct_input: OCT column \"%s\" is already fed by %s", v, column,
          c == household ? std::string("the household supply share")
                         : "node \"" + graph.node(fed_by[c]).name + "\""));
    }
    fed_by[c] = v;
    inputs[c] = result.output[v] * oct.FullLevel(c);
  }
  for (int c = 0; c < oct.num_inputs(); ++c) {
    if (c != household && fed_by[c] < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "oct_input: no dependency-graph node feeds the OCT column \"%s\"", oct.column(c).name));
    }
  }
  return inputs;
}

}  // namespace gridrl::metrics
