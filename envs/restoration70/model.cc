#include "envs/restoration70/model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "powerflow/network/case_io.h"

namespace gridrl::env::restoration70 {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Min-heap helpers over a preallocated vector (std::greater: smallest first; ties by index).
template <typename T>
void HeapPush(std::vector<T>& h, T v) {
  h.push_back(v);
  std::push_heap(h.begin(), h.end(), std::greater<T>());
}
template <typename T>
T HeapPop(std::vector<T>& h) {
  std::pop_heap(h.begin(), h.end(), std::greater<T>());
  T v = h.back();
  h.pop_back();
  return v;
}

}  // namespace

void AddModelSchema(ConfigSchema& s) {
  s.String("case", "case70da",
           "built-in case name or path of the radial distribution case (buses with in-service "
           "generators are the substations; normally open branches are tie lines)")
      .String("reconfiguration", "spt",
              "radial reconfiguration after every change: 'spt' shortest-path tree or 'mst' "
              "minimum spanning tree, both from the substations with critical buses first",
              {"spt", "mst"})
      .Double("vmin_pu", 0.88,
              "lowest allowed bus voltage before load shedding [ours: the case's normal "
              "configuration reaches 0.884 pu, so its 0.9 would shed undamaged load]",
              0.5, 1.0)
      .Double("tie_penalty_pu", 1.0,
              "extra reconfiguration length of a normally open tie line (pu impedance) [ours]: "
              "ties close only where needed, and the repaired network is the normal one",
              0.0, 1e6)
      .Double("vmax_pu", 1.1, "highest allowed bus voltage before load shedding", 1.0, 1.5)
      .Double("branch_limit_a", 400.0,
              "current limit of every branch in amperes [ours: the case has no ratings]; 0: none",
              0.0, 1e6)
      .IntList("critical_buses", {58, 39, 27, 62},
               "bus ids of the dependency graph's infrastructure nodes in graph order (default: "
               "water station, hospital, government, ICT); also the reconfiguration priority",
               1, 1e9)
      .String("ois_file", "",
              "JSON dependency graph (envs/restoration70/interdependence.h form); empty: the spec's graph")
      .Double("sweep_tolerance_pu", 1e-9, "power-flow convergence tolerance (largest |dV|)", 1e-14,
              1e-2)
      .Int("sweep_max_iterations", 30, "power-flow iteration limit (beyond: collapse, shed)", 1,
           1000);
}

absl::StatusOr<ModelOptions> ModelOptionsFromConfig(const Config& c) {
  ModelOptions o;
  o.case_name = c.GetString("case");
  o.method = c.GetString("reconfiguration") == "mst" ? ReconfigMethod::kMinimumSpanningTree
                                                      : ReconfigMethod::kShortestPathTree;
  o.vmin_pu = c.GetDouble("vmin_pu");
  o.vmax_pu = c.GetDouble("vmax_pu");
  if (!(o.vmin_pu < o.vmax_pu)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "vmin_pu (%g) must be below vmax_pu (%g)", o.vmin_pu, o.vmax_pu));
  }
  o.branch_limit_a = c.GetDouble("branch_limit_a");
  o.tie_penalty_pu = c.GetDouble("tie_penalty_pu");
  o.critical_bus_ids = c.GetIntList("critical_buses");
  o.ois_file = c.GetString("ois_file");
  o.sweep.tolerance_pu = c.GetDouble("sweep_tolerance_pu");
  o.sweep.max_iterations = static_cast<int>(c.GetInt("sweep_max_iterations"));
  return o;
}

absl::StatusOr<std::shared_ptr<const RestorationModel>> RestorationModel::Create(
    const ModelOptions& options) {
  auto net = powerflow::LoadCase(options.case_name);
  if (!net.ok()) {
    return absl::Status(net.status().code(), absl::StrCat("case: ", net.status().message()));
  }
  if (auto s = net->Validate(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("case: ", s.message()));
  }
  std::shared_ptr<RestorationModel> m(new RestorationModel());
  m->options_ = options;
  const int n = static_cast<int>(net->buses.size());
  const auto index = net->BusIndex();
  m->bus_ids_.resize(n);
  m->load_kw_.resize(n);
  m->p_pu_.resize(n);
  m->q_pu_.resize(n);
  m->vm_set_pu_.assign(n, 1.0);
  m->is_source_.assign(n, 0);
  m->critical_rank_.assign(n, -1);
  double base_kv = 0;
  for (int b = 0; b < n; ++b) {
    const auto& bus = net->buses[b];
    m->bus_ids_[b] = bus.id;
    m->load_kw_[b] = bus.pd_mw * 1000.0;
    m->p_pu_[b] = bus.pd_mw / net->base_mva;
    m->q_pu_[b] = bus.qd_mvar / net->base_mva;
    if (bus.gs_mw != 0 || bus.bs_mvar != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "case: bus %d has a shunt; the radial sweep models constant-power loads only", bus.id));
    }
    if (bus.pd_mw < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("case: bus %d has a negative load (generation is not modelled)", bus.id));
    }
    base_kv = std::max(base_kv, bus.base_kv);
  }
  for (const auto& g : net->gens) {
    if (!g.in_service) continue;
    const int b = index.at(g.bus_id);
    if (!m->is_source_[b]) m->sources_.push_back(b);
    m->is_source_[b] = 1;
    m->vm_set_pu_[b] = g.vg_pu;
  }
  if (m->sources_.empty()) {
    return absl::InvalidArgumentError("case: no in-service generator (substation)");
  }
  for (const auto& br : net->branches) {
    BranchInfo bi;
    bi.from = index.at(br.from_id);
    bi.to = index.at(br.to_id);
    bi.from_id = br.from_id;
    bi.to_id = br.to_id;
    bi.z_re_pu = br.r_pu;
    bi.z_im_pu = br.x_pu;
    bi.weight = std::hypot(br.r_pu, br.x_pu);
    bi.normally_closed = br.in_service;
    if (!bi.normally_closed) bi.weight += options.tie_penalty_pu;
    if (br.tap != 0 && br.tap != 1) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "case: branch %d-%d is a transformer with tap %g; not supported by the radial model",
          br.from_id, br.to_id, br.tap));
    }
    if (bi.from == bi.to) {
      return absl::InvalidArgumentError(
          absl::StrFormat("case: branch %d-%d is a self-loop", br.from_id, br.to_id));
    }
    m->branches_.push_back(bi);
  }
  // CSR adjacency.
  m->adj_start_.assign(n + 1, 0);
  for (const auto& bi : m->branches_) {
    ++m->adj_start_[bi.from + 1];
    ++m->adj_start_[bi.to + 1];
  }
  for (int b = 0; b < n; ++b) m->adj_start_[b + 1] += m->adj_start_[b];
  m->adj_bus_.resize(m->adj_start_[n]);
  m->adj_branch_.resize(m->adj_start_[n]);
  {
    std::vector<int> fill(m->adj_start_.begin(), m->adj_start_.end() - 1);
    for (int k = 0; k < static_cast<int>(m->branches_.size()); ++k) {
      const auto& bi = m->branches_[k];
      m->adj_bus_[fill[bi.from]] = bi.to;
      m->adj_branch_[fill[bi.from]++] = k;
      m->adj_bus_[fill[bi.to]] = bi.from;
      m->adj_branch_[fill[bi.to]++] = k;
    }
  }
  // Interdependence graph and critical buses.
  if (!options.ois_file.empty()) {
    auto g = metrics::DependencyGraph::FromJsonFile(options.ois_file);
    if (!g.ok()) {
      return absl::Status(g.status().code(), absl::StrCat("ois_file: ", g.status().message()));
    }
    m->ois_ = *std::move(g);
  }
  for (int v = 0; v < m->ois_.num_nodes(); ++v) {
    if (m->ois_.node(v).kind == metrics::OisNodeKind::kInfrastructure) {
      m->ois_infra_nodes_.push_back(v);
    }
  }
  if (options.critical_bus_ids.size() != m->ois_infra_nodes_.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "critical_buses: expected one bus per infrastructure node of the dependency graph (%d), "
        "got %d",
        m->ois_infra_nodes_.size(), options.critical_bus_ids.size()));
  }
  for (size_t i = 0; i < options.critical_bus_ids.size(); ++i) {
    auto it = index.find(static_cast<int>(options.critical_bus_ids[i]));
    if (it == index.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "critical_buses[%d]: bus %d is not in the case", i, options.critical_bus_ids[i]));
    }
    if (m->critical_rank_[it->second] >= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "critical_buses[%d]: bus %d is listed twice", i, options.critical_bus_ids[i]));
    }
    if (m->is_source_[it->second]) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "critical_buses[%d]: bus %d is a substation", i, options.critical_bus_ids[i]));
    }
    m->critical_rank_[it->second] = static_cast<int>(i);
    m->critical_.push_back(it->second);
  }
  // The graph must feed every OCT column: check once with a full-operation result.
  {
    auto full = m->ois_.Solve(std::vector<double>(m->ois_.num_nodes(), 1.0));
    if (!full.ok()) return full.status();
    auto inputs = metrics::OctInputsFromOis(m->oct_, m->ois_, *full, 1.0);
    if (!inputs.ok()) {
      return absl::Status(inputs.status().code(),
                          absl::StrCat("ois_file: ", inputs.status().message()));
    }
  }
  {
    // Does an infrastructure with no supply drive the system CIU to 0? (True for the paper's OCT,
    // whose bottom row is input 0 -> CIU 0 %.) Checked, not assumed, so another table stays exact.
    bool zero = !m->ois_infra_nodes_.empty();
    for (int v : m->ois_infra_nodes_) {
      const int col = m->oct_.IndexOf(m->ois_.node(v).oct_input);
      auto c = col >= 0 ? m->oct_.InputCiuPct(col, 0.0) : absl::StatusOr<double>(1.0);
      zero = zero && col >= 0 && c.ok() && *c == 0.0;
    }
    m->dark_critical_is_zero_ = zero;
  }
  for (int b = 0; b < n; ++b) {
    m->total_load_kw_ += m->load_kw_[b];
    if (m->critical_rank_[b] < 0) m->noncritical_load_kw_ += m->load_kw_[b];
  }
  if (options.branch_limit_a > 0) {
    if (base_kv <= 0) {
      return absl::InvalidArgumentError(
          "branch_limit_a: the case has no base_kv, so a current limit cannot be converted");
    }
    m->base_current_a_ = net->base_mva * 1e6 / (std::sqrt(3.0) * base_kv * 1e3);
    const double limit_pu = options.branch_limit_a / m->base_current_a_;
    m->limit_pu2_ = limit_pu * limit_pu;
  }
  return std::shared_ptr<const RestorationModel>(std::move(m));
}

Workspace RestorationModel::MakeWorkspace() const {
  const int n = num_buses(), m = num_branches();
  Workspace ws;
  for (auto* v : {&ws.parent, &ws.parent_branch, &ws.root}) v->assign(n, -1);
  ws.order.reserve(n);
  ws.feeder.reserve(n);
  ws.candidates.reserve(n);
  ws.dist.assign(n, 0.0);
  ws.edist.assign(n, 0.0);
  ws.in_tree.assign(n, 0);
  ws.locked.assign(n, 0);
  ws.heap.reserve(2 * m + n);
  ws.prim_heap.reserve(2 * m + n);
  for (auto* v : {&ws.p, &ws.q, &ws.z_re, &ws.z_im, &ws.v_re, &ws.v_im, &ws.i_re, &ws.i_im}) {
    v->assign(n, 0.0);
  }
  ws.served.assign(n, 0);
  ws.shed.assign(n, 0);
  ws.closed.assign(m, 0);
  ws.per_input_pct.assign(oct_.num_inputs(), 0.0);
  ws.ois_inputs.assign(ois_.num_nodes(), 0.0);
  return ws;
}

// Multi-source Dijkstra over available branches: every reachable bus gets its shortest |z| path
// from the nearest substation. Settling order is parents-first.
void RestorationModel::Dijkstra(std::span<const uint8_t> available, Workspace& ws) const {
  const int n = num_buses();
  std::fill(ws.dist.begin(), ws.dist.end(), kInf);
  std::fill(ws.in_tree.begin(), ws.in_tree.end(), 0);
  std::fill(ws.parent.begin(), ws.parent.end(), -1);
  std::fill(ws.parent_branch.begin(), ws.parent_branch.end(), -1);
  ws.order.clear();
  ws.heap.clear();
  for (int s : sources_) {
    ws.dist[s] = 0.0;
    HeapPush(ws.heap, {0.0, s});
  }
  while (!ws.heap.empty()) {
    auto [d, u] = HeapPop(ws.heap);
    if (ws.in_tree[u] || d > ws.dist[u]) continue;
    ws.in_tree[u] = 1;
    ws.order.push_back(u);
    ws.root[u] = ws.parent[u] < 0 ? u : ws.root[ws.parent[u]];
    for (int a = adj_start_[u]; a < adj_start_[u + 1]; ++a) {
      const int br = adj_branch_[a];
      if (!available[br]) continue;
      const int v = adj_bus_[a];
      if (ws.in_tree[v]) continue;
      const double nd = d + branches_[br].weight;
      if (nd < ws.dist[v]) {
        ws.dist[v] = nd;
        ws.parent[v] = u;
        ws.parent_branch[v] = br;
        HeapPush(ws.heap, {nd, v});
      }
    }
  }
  (void)n;
}

void RestorationModel::BuildForest(std::span<const uint8_t> available, Workspace& ws) const {
  Dijkstra(available, ws);
  if (options_.method == ReconfigMethod::kMinimumSpanningTree) {
    // Lock the shortest paths of the critical buses (and the substations), then grow Prim's tree
    // from the locked subtree.
    std::fill(ws.locked.begin(), ws.locked.end(), 0);
    for (int s : sources_) ws.locked[s] = 1;
    for (int c : critical_) {
      if (!ws.in_tree[c]) continue;
      for (int b = c; b >= 0 && !ws.locked[b]; b = ws.parent[b]) ws.locked[b] = 1;
    }
    size_t kept = 0;
    for (size_t k = 0; k < ws.order.size(); ++k) {
      const int b = ws.order[k];
      if (ws.locked[b]) {
        ws.order[kept++] = b;
      } else {
        ws.in_tree[b] = 0;
        ws.parent[b] = -1;
        ws.parent_branch[b] = -1;
      }
    }
    ws.order.resize(kept);
    ws.prim_heap.clear();
    auto push_edges = [&](int u) {
      for (int a = adj_start_[u]; a < adj_start_[u + 1]; ++a) {
        const int br = adj_branch_[a];
        if (available[br] && !ws.in_tree[adj_bus_[a]]) {
          HeapPush(ws.prim_heap, {branches_[br].weight, {adj_bus_[a], br}});
        }
      }
    };
    for (size_t k = 0; k < kept; ++k) push_edges(ws.order[k]);
    while (!ws.prim_heap.empty()) {
      auto [w, vb] = HeapPop(ws.prim_heap);
      const auto [v, br] = vb;
      if (ws.in_tree[v]) continue;
      const int u = branches_[br].from == v ? branches_[br].to : branches_[br].from;
      ws.in_tree[v] = 1;
      ws.parent[v] = u;
      ws.parent_branch[v] = br;
      ws.dist[v] = ws.dist[u] + w;
      ws.root[v] = ws.root[u];
      ws.order.push_back(v);
      push_edges(v);
    }
  }
  std::fill(ws.closed.begin(), ws.closed.end(), 0);
  for (int b : ws.order) {
    if (ws.parent_branch[b] >= 0) ws.closed[ws.parent_branch[b]] = 1;
  }
}

// Feeders (one tree per substation) are electrically independent, so each is checked and shed on
// its own. The rule is "shed the farthest non-critical load, then the next, until feasible" (the
// critical loads last). Shedding more of that list only lowers currents and raises voltages, so
// feasibility is monotone in the number shed and the smallest feasible prefix is found by
// bisection: about log2(loads) sweeps instead of one per shed load. (ModelOptions::
// sequential_shedding applies the rule one load at a time, for tests of that equivalence.)
void RestorationModel::CheckAndShed(Workspace& ws) const {
  const int n = num_buses();
  for (int b = 0; b < n; ++b) {
    const bool on = ws.in_tree[b];
    ws.p[b] = on ? p_pu_[b] : 0.0;
    ws.q[b] = on ? q_pu_[b] : 0.0;
    ws.shed[b] = 0;
    const int br = ws.parent_branch[b];
    ws.z_re[b] = br >= 0 ? branches_[br].z_re_pu : 0.0;
    ws.z_im[b] = br >= 0 ? branches_[br].z_im_pu : 0.0;
  }
  for (int b : ws.order) {  // parents first
    const int br = ws.parent_branch[b];
    ws.edist[b] = br >= 0 ? ws.edist[ws.parent[b]] + std::hypot(ws.z_re[b], ws.z_im[b]) : 0.0;
  }
  ws.num_shed = 0;
  ws.sweeps = 0;
  const double vmin2 = options_.vmin_pu * options_.vmin_pu;
  const double vmax2 = options_.vmax_pu * options_.vmax_pu;
  for (int r : sources_) {
    if (!ws.in_tree[r]) continue;
    ws.feeder.clear();
    for (int b : ws.order) {
      if (ws.root[b] == r) ws.feeder.push_back(b);
    }
    powerflow::RadialSweepData data{ws.feeder, ws.parent, ws.z_re,  ws.z_im, ws.p, ws.q,
                                    vm_set_pu_, ws.v_re,  ws.v_im, ws.i_re, ws.i_im};
    bool warm = false;
    auto feasible = [&]() {
      const auto res = powerflow::SolveRadialSweep(data, options_.sweep, warm);
      ++ws.sweeps;
      warm = res.converged;
      if (!res.converged) return false;
      for (int b : ws.feeder) {
        const double v2 = ws.v_re[b] * ws.v_re[b] + ws.v_im[b] * ws.v_im[b];
        if (v2 < vmin2 || v2 > vmax2) return false;
        if (limit_pu2_ > 0 && ws.parent[b] >= 0 &&
            ws.i_re[b] * ws.i_re[b] + ws.i_im[b] * ws.i_im[b] > limit_pu2_) {
          return false;
        }
      }
      return true;
    };
    if (feasible()) continue;
    // Shedding order: non-critical loads farthest first, then critical loads farthest first
    // (ties: the lower bus index first).
    ws.candidates.clear();
    for (int b : ws.feeder) {
      if (p_pu_[b] != 0 || q_pu_[b] != 0) ws.candidates.push_back(b);
    }
    std::sort(ws.candidates.begin(), ws.candidates.end(), [&](int a, int b) {
      const bool ca = critical_rank_[a] >= 0, cb = critical_rank_[b] >= 0;
      if (ca != cb) return cb;
      if (ws.edist[a] != ws.edist[b]) return ws.edist[a] > ws.edist[b];
      return a < b;
    });
    const int len = static_cast<int>(ws.candidates.size());
    auto shed_prefix = [&](int count) {
      for (int i = 0; i < len; ++i) {
        const int b = ws.candidates[i];
        const bool off = i < count;
        ws.shed[b] = off;
        ws.p[b] = off ? 0.0 : p_pu_[b];
        ws.q[b] = off ? 0.0 : q_pu_[b];
      }
    };
    int lo = 0, hi = len;  // prefix lo is infeasible; shedding everything is feasible
    if (options_.sequential_shedding) {
      for (hi = 1; hi < len; ++hi) {
        shed_prefix(hi);
        if (feasible()) break;
      }
      hi = std::min(hi, len);
    } else {
      int last = -1;
      while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        shed_prefix(mid);
        if (feasible()) {
          hi = mid;
        } else {
          lo = mid;
        }
        last = mid;
      }
      if (last != hi) {
        shed_prefix(hi);
        feasible();  // leaves the voltages of the final state in the workspace
      }
    }
    shed_prefix(hi);
    ws.num_shed += hi;
  }
  ws.served_kw = ws.shed_kw = ws.dark_kw = 0;
  ws.vmin_pu = kInf;
  ws.vmax_pu = 0;
  for (int b = 0; b < n; ++b) {
    const bool served = ws.in_tree[b] && !ws.shed[b];
    ws.served[b] = served;
    if (served) {
      ws.served_kw += load_kw_[b];
    } else if (ws.in_tree[b]) {
      ws.shed_kw += load_kw_[b];
    } else {
      ws.dark_kw += load_kw_[b];
    }
    if (ws.in_tree[b]) {
      const double vm = std::hypot(ws.v_re[b], ws.v_im[b]);
      ws.vmin_pu = std::min(ws.vmin_pu, vm);
      ws.vmax_pu = std::max(ws.vmax_pu, vm);
    }
  }
}

void RestorationModel::ComputeCiu(Workspace& ws) const {
  for (int v = 0; v < ois_.num_nodes(); ++v) {
    ws.ois_inputs[v] = ois_.node(v).kind == metrics::OisNodeKind::kSource ? 1.0 : 0.0;
  }
  for (size_t i = 0; i < critical_.size(); ++i) {
    ws.ois_inputs[ois_infra_nodes_[i]] = ws.served[critical_[i]] ? 1.0 : 0.0;
  }
  double household_kw = 0;
  for (int b = 0; b < num_buses(); ++b) {
    if (ws.served[b] && critical_rank_[b] < 0) household_kw += load_kw_[b];
  }
  const double share =
      noncritical_load_kw_ > 0 ? std::clamp(household_kw / noncritical_load_kw_, 0.0, 1.0) : 1.0;
  // Inputs are valid by construction (checked in Create); a failure is a programming error.
  auto ois = ois_.Solve(ws.ois_inputs);
  if (!ois.ok()) std::abort();
  auto inputs = metrics::OctInputsFromOis(oct_, ois_, *ois, share);
  if (!inputs.ok()) std::abort();
  auto ciu = oct_.SystemCiu(*inputs);
  if (!ciu.ok()) std::abort();
  ws.ciu_pct = ciu->ciu_pct;
  ws.limiting_input = ciu->limiting_input;
  std::copy(ciu->per_input_pct.begin(), ciu->per_input_pct.end(), ws.per_input_pct.begin());
}

double RestorationModel::Evaluate(std::span<const uint8_t> available, Workspace& ws,
                                  bool ciu_only) const {
  BuildForest(available, ws);
  if (ciu_only && dark_critical_is_zero_) {
    for (int c : critical_) {
      if (!ws.in_tree[c]) {
        ws.ciu_pct = 0.0;
        return 0.0;
      }
    }
  }
  CheckAndShed(ws);
  ComputeCiu(ws);
  return ws.ciu_pct;
}

absl::Status CheckRadial(const RestorationModel& model, std::span<const uint8_t> available,
                         std::span<const uint8_t> closed) {
  const int n = model.num_buses(), m = model.num_branches();
  if (static_cast<int>(closed.size()) != m || static_cast<int>(available.size()) != m) {
    return absl::InvalidArgumentError("closed/available: expected one entry per branch");
  }
  std::vector<int> uf(n);
  for (int b = 0; b < n; ++b) uf[b] = b;
  std::function<int(int)> find = [&](int x) { return uf[x] == x ? x : uf[x] = find(uf[x]); };
  std::vector<int> sources_in(n, 0);
  for (int s : model.sources()) sources_in[s] = 1;
  for (int k = 0; k < m; ++k) {
    if (!closed[k]) continue;
    const auto& br = model.branch(k);
    if (!available[k]) {
      return absl::FailedPreconditionError(
          absl::StrFormat("branch %d (%d-%d) is closed but not available", k, br.from_id, br.to_id));
    }
    const int a = find(br.from), b = find(br.to);
    if (a == b) {
      return absl::FailedPreconditionError(
          absl::StrFormat("branch %d (%d-%d) closes a loop", k, br.from_id, br.to_id));
    }
    if (sources_in[a] + sources_in[b] > 1) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "branch %d (%d-%d) connects two substations", k, br.from_id, br.to_id));
    }
    uf[a] = b;
    sources_in[b] += sources_in[a];
  }
  return absl::OkStatus();
}

}  // namespace gridrl::env::restoration70
