#include "envs/resilience123/model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gridrl::env::r123 {
namespace {

using powerflow::FeederData;

// A bus of each zone, to name the components left when the switch edges are removed.
constexpr std::array<const char*, kNumZones> kZoneSeed = {"1", "67", "35", "52", "101"};

int Find(std::vector<int>& uf, int v) {
  while (uf[v] != v) {
    uf[v] = uf[uf[v]];
    v = uf[v];
  }
  return v;
}
void Unite(std::vector<int>& uf, int a, int b) {
  a = Find(uf, a);
  b = Find(uf, b);
  if (a != b) uf[std::max(a, b)] = std::min(a, b);
}

}  // namespace

const char* CalamityTypeName(CalamityType type) {
  switch (type) {
    case CalamityType::kFlood: return "flood";
    case CalamityType::kWildfire: return "wildfire";
    case CalamityType::kHurricane: return "hurricane";
    case CalamityType::kShortCircuit: return "short_circuit";
  }
  return "?";
}

absl::StatusOr<CalamityType> ParseCalamityType(const std::string& name) {
  for (int k = 0; k < kNumCalamityTypes; ++k) {
    if (name == CalamityTypeName(static_cast<CalamityType>(k))) return static_cast<CalamityType>(k);
  }
  if (name == "short-circuit" || name == "shortcircuit") return CalamityType::kShortCircuit;
  return absl::InvalidArgumentError(absl::StrCat(
      "calamity: expected one of flood, wildfire, hurricane, short_circuit, random; got '", name,
      "'"));
}

std::array<uint8_t, kNumTactical> NormalSwitches() { return {1, 1, 1, 1, 0, 0, 0, 0, 0, 0}; }

std::array<uint8_t, kNumTactical> RecommendedSwitches(int config) {
  std::array<uint8_t, kNumTactical> s = NormalSwitches();
  if (config >= 3) {
    s[3] = 0;  // sw6 open
    s[7] = 1;  // sw10 closed
  }
  if (config >= 5) {
    s[0] = 0;  // sw2 open
    s[1] = 0;  // sw3 open
  }
  return s;
}

absl::StatusOr<std::shared_ptr<const Resilience123Model>> Resilience123Model::Build(
    Resilience123Params params) {
  powerflow::Ieee123ResilienceOptions fo;
  fo.feeder = params.feeder;
  fo.backup_max_kva = params.backup_kva;
  fo.der_kva = params.der_kva;
  absl::StatusOr<powerflow::Ieee123Resilience> built = powerflow::BuildIeee123Resilience(fo);
  if (!built.ok()) {
    return absl::Status(built.status().code(), absl::StrCat("feeder: ", built.status().message()));
  }
  auto need_bus = [&](const char* name) -> absl::StatusOr<int> {
    int b = built->model->data().FindBus(name);
    if (b < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("feeder: bus ", name, " needed by resilience123 is missing from '",
                       params.feeder, "'"));
    }
    return b;
  };

  auto m = std::shared_ptr<Resilience123Model>(new Resilience123Model());
  m->feeder_ = built->model;
  const FeederData& d = m->feeder_->data();
  const int nb = static_cast<int>(d.buses.size());
  const int nl = static_cast<int>(d.lines.size());
  m->substation_source_ = built->substation;
  {
    powerflow::FeederSolver base(m->feeder_);
    const powerflow::FeederResult& r = base.Solve(m->feeder_->NormalState());
    if (!r.converged) {
      return absl::InvalidArgumentError(
          absl::StrCat("feeder: the intact base case does not converge: ", r.message));
    }
    for (int l = 0; l < nl; ++l) {
      m->line_ampacity_a_.push_back(std::max(
          d.lines[l].norm_amps, params.base_case_ampacity_margin * r.line_loading[l] * d.lines[l].norm_amps));
    }
  }
  m->switch_line_ = built->switch_line;
  m->backup_source_ = built->backup_source;
  m->der_ = built->der;
  for (int c = 0; c < kNumConfigs; ++c) {
    for (int j = 0; j < kNumDers; ++j) m->config_ders_[c][j] = j < kConfigDerCount[c] ? 1 : 0;
  }

  // Zones: components without the switch edges.
  std::vector<uint8_t> is_switch(nl, 0);
  for (int k = 0; k < kNumSwitches; ++k) is_switch[m->switch_line_[k]] = 1;
  for (int l = 0; l < nl; ++l) {
    if (d.lines[l].is_switch && !is_switch[l]) {
      return absl::InvalidArgumentError(
          absl::StrCat("feeder: switch line ", d.lines[l].name, " is not one of sw1..sw12"));
    }
  }
  std::vector<int> uf(nb);
  std::iota(uf.begin(), uf.end(), 0);
  for (int l = 0; l < nl; ++l) {
    if (!is_switch[l]) Unite(uf, d.lines[l].bus1, d.lines[l].bus2);
  }
  for (const auto& t : d.transformers) Unite(uf, t.windings[0].bus, t.windings[1].bus);
  m->bus_zone_.assign(nb, -1);
  for (int z = 0; z < kNumZones; ++z) {
    absl::StatusOr<int> seed = need_bus(kZoneSeed[z]);
    if (!seed.ok()) return seed.status();
    const int root = Find(uf, *seed);
    for (int b = 0; b < nb; ++b) {
      if (Find(uf, b) == root) m->bus_zone_[b] = z;
    }
  }
  m->line_zone_.assign(nl, -1);
  m->line_length_ohm_.assign(nl, 0.0);
  for (int l = 0; l < nl; ++l) {
    const auto& ln = d.lines[l];
    m->line_length_ohm_[l] = std::hypot(ln.r_ohm[0], ln.x_ohm[0]);
    if (is_switch[l]) continue;
    m->failable_lines_.push_back(l);
    const int z = m->bus_zone_[ln.bus1];
    m->line_zone_[l] = z;
    if (z >= 0) ++m->zone_line_count_[z];
    if (z == 2 || z == 4) m->flood_lines_.push_back(l);  // zones C and E
  }
  for (int b = 0; b < nb; ++b) {
    if (m->bus_zone_[b] == 1 || m->bus_zone_[b] == 3) m->wildfire_start_.push_back(b);
  }
  m->fire_neighbours_.assign(nb, {});
  const double r2 = params.wildfire_radius_ft * params.wildfire_radius_ft;
  for (int a = 0; a < nb; ++a) {
    if (!d.buses[a].has_xy) continue;
    for (int b = 0; b < nb; ++b) {
      if (b == a || !d.buses[b].has_xy) continue;
      const double dx = d.buses[a].x - d.buses[b].x, dy = d.buses[a].y - d.buses[b].y;
      if (dx * dx + dy * dy <= r2) m->fire_neighbours_[a].push_back(b);
    }
  }

  // Nearest upstream switch of each line in the normal radial topology (BFS from the substation).
  {
    std::vector<std::vector<std::pair<int, int>>> adj(nb);  // (neighbour, line or -1)
    for (int l = 0; l < nl; ++l) {
      if (!d.lines[l].closed) continue;
      adj[d.lines[l].bus1].push_back({d.lines[l].bus2, l});
      adj[d.lines[l].bus2].push_back({d.lines[l].bus1, l});
    }
    for (const auto& t : d.transformers) {
      adj[t.windings[0].bus].push_back({t.windings[1].bus, -1});
      adj[t.windings[1].bus].push_back({t.windings[0].bus, -1});
    }
    std::vector<int> parent_bus(nb, -2), parent_edge(nb, -1);
    std::queue<int> q;
    const int root = d.sources[built->substation].bus;
    parent_bus[root] = -1;
    q.push(root);
    while (!q.empty()) {
      int v = q.front();
      q.pop();
      for (auto [w, l] : adj[v]) {
        if (parent_bus[w] != -2) continue;
        parent_bus[w] = v;
        parent_edge[w] = l;
        q.push(w);
      }
    }
    std::vector<int> switch_of_line(nl, -1);
    for (int k = 0; k < kNumSwitches; ++k) switch_of_line[m->switch_line_[k]] = k;
    m->upstream_switch_.assign(nl, -1);
    for (int l : m->failable_lines_) {
      const auto& ln = d.lines[l];
      // The upstream end is the parent of the other one.
      int v = parent_bus[ln.bus2] == ln.bus1 ? ln.bus1 : ln.bus2;
      if (parent_bus[v] == -2) continue;  // not fed in the normal state
      while (v >= 0 && parent_bus[v] >= 0) {
        const int e = parent_edge[v];
        if (e >= 0 && switch_of_line[e] >= 0) {
          m->upstream_switch_[l] = switch_of_line[e];
          break;
        }
        v = parent_bus[v];
      }
    }
  }

  // Load groups: the loads of each bus.
  std::vector<int> group_of_bus(nb, -1);
  for (size_t i = 0; i < d.loads.size(); ++i) {
    const auto& ld = d.loads[i];
    if (group_of_bus[ld.bus] < 0) {
      group_of_bus[ld.bus] = static_cast<int>(m->groups_.size());
      LoadGroup g;
      g.bus = ld.bus;
      g.bus_name = d.buses[ld.bus].name;
      g.zone = m->bus_zone_[ld.bus];
      m->groups_.push_back(g);
    }
    LoadGroup& g = m->groups_[group_of_bus[ld.bus]];
    g.kva += std::hypot(ld.kw, ld.kvar);
    g.loads.push_back(static_cast<int>(i));
  }
  for (const std::string& name : params.critical_buses) {
    const int b = d.FindBus(name);
    if (b < 0 || group_of_bus[b] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("critical_buses: bus '", name, "' has no load in the feeder"));
    }
    m->groups_[group_of_bus[b]].critical = true;
  }
  m->group_priority_.resize(m->groups_.size());
  std::iota(m->group_priority_.begin(), m->group_priority_.end(), 0);
  std::stable_sort(m->group_priority_.begin(), m->group_priority_.end(), [&](int a, int b) {
    const LoadGroup& x = m->groups_[a];
    const LoadGroup& y = m->groups_[b];
    if (x.critical != y.critical) return x.critical;
    return x.kva > y.kva;
  });

  // Metric graph: lines then transformers.
  std::vector<metrics::Edge> edges;
  for (const auto& ln : d.lines) edges.push_back({ln.bus1, ln.bus2});
  for (const auto& t : d.transformers) edges.push_back({t.windings[0].bus, t.windings[1].bus});
  m->num_metric_edges_ = static_cast<int>(edges.size());
  absl::StatusOr<metrics::Graph> graph = metrics::Graph::Create(nb, std::move(edges));
  if (!graph.ok()) return graph.status();
  absl::StatusOr<metrics::ResilienceModel> rm =
      metrics::ResilienceModel::Create(*std::move(graph), params.resilience);
  if (!rm.ok()) return rm.status();
  m->metric_model_ = std::make_shared<const metrics::ResilienceModel>(*std::move(rm));

  params.economics.config_base_cost_units.assign(params.base_cost.begin(), params.base_cost.end());
  params.economics.initial_config = 0;
  if (absl::Status s = metrics::ValidateEconomicsParams(params.economics); !s.ok()) return s;
  m->params_ = std::move(params);
  return std::shared_ptr<const Resilience123Model>(m);
}

// ---------------------------------------------------------------------------------------------

Resilience123Sim::Resilience123Sim(std::shared_ptr<const Resilience123Model> model)
    : model_(std::move(model)),
      caches_(std::make_shared<Resilience123Caches>(model_->params().cache_capacity)),
      solver_(model_->feeder_ptr()),
      fstate_(model_->feeder().NormalState()),
      economics_(*metrics::EconomicsAccumulator::Create(model_->params().economics)) {
  const auto& d = model_->feeder().data();
  line_failed_.assign(d.lines.size(), 0);
  repair_left_.assign(d.lines.size(), 0);
  burning_.assign(d.buses.size(), 0);
  uf_.resize(d.buses.size());
  lockout_line_.fill(-1);
  gstate_.edge_in_service.assign(model_->num_metric_edges(), 1);
  gstate_.sources.resize(1 + kNumBackups + kNumDers);
  gstate_.sources[0] = {d.sources[model_->substation_source()].bus, model_->params().substation_kva,
                        true};
  for (int j = 0; j < kNumBackups; ++j) {
    gstate_.sources[1 + j] = {d.sources[model_->backup_source()[j]].bus,
                              model_->params().backup_kva, false};
  }
  for (int j = 0; j < kNumDers; ++j) {
    gstate_.sources[1 + kNumBackups + j] = {d.ders[model_->der()[j]].bus, model_->params().der_kva,
                                            false};
  }
  for (const LoadGroup& g : model_->groups()) {
    gstate_.loads.push_back({g.bus, g.kva, g.critical, false});
  }
  tactical_ = NormalSwitches();
  EffectiveSwitches(tactical_, &switch_closed_);
}

void Resilience123Sim::EffectiveSwitches(const std::array<uint8_t, kNumTactical>& tactical,
                                         std::array<uint8_t, kNumSwitches>* closed) const {
  (*closed)[0] = 1;  // sw1 and sw5 are not controllable: closed unless a fault locks them open
  (*closed)[4] = 1;
  for (int e = 0; e < kNumTactical; ++e) (*closed)[kTacticalSwitch[e]] = tactical[e] ? 1 : 0;
  for (int k = 0; k < kNumSwitches; ++k) {
    if (lockout_line_[k] >= 0) (*closed)[k] = 0;
  }
}

// Largest number of grid sources (substation, backups with their tie closed) in one island.
int Resilience123Sim::CountGridSourcesMax(const std::array<uint8_t, kNumSwitches>& closed) const {
  const auto& d = model_->feeder().data();
  std::vector<int>& uf = const_cast<std::vector<int>&>(uf_);  // scratch only
  std::iota(uf.begin(), uf.end(), 0);
  std::vector<uint8_t> line_on(d.lines.size());
  for (size_t l = 0; l < d.lines.size(); ++l) line_on[l] = !line_failed_[l];
  for (int k = 0; k < kNumSwitches; ++k) line_on[model_->switch_line()[k]] = closed[k];
  for (size_t l = 0; l < d.lines.size(); ++l) {
    if (line_on[l]) Unite(uf, d.lines[l].bus1, d.lines[l].bus2);
  }
  for (const auto& t : d.transformers) Unite(uf, t.windings[0].bus, t.windings[1].bus);
  std::array<int, 1 + kNumBackups> root{};
  int n = 0;
  root[n++] = Find(uf, d.sources[model_->substation_source()].bus);
  for (int j = 0; j < kNumBackups; ++j) {
    if (closed[powerflow::kIeee123TieSwitch[j]]) root[n++] = Find(uf, d.sources[model_->backup_source()[j]].bus);
  }
  int worst = 0;
  for (int a = 0; a < n; ++a) {
    worst = std::max<int>(worst, std::count(root.begin(), root.begin() + n, root[a]));
  }
  return worst;
}

bool Resilience123Sim::Feasible(const std::array<uint8_t, kNumTactical>& switches) const {
  std::array<uint8_t, kNumSwitches> closed{};
  EffectiveSwitches(switches, &closed);
  return CountGridSourcesMax(closed) <= 1;
}

std::array<bool, kNumConfigs> Resilience123Sim::AffordableConfigs() const {
  std::array<bool, kNumConfigs> ok{};
  for (int c = 0; c < kNumConfigs; ++c) {
    ok[c] = c == config_ || budget_ - model_->params().base_cost[c] >= 0.0;
  }
  return ok;
}

std::array<double, kNumZones> Resilience123Sim::ZoneFailedFraction() const {
  std::array<double, kNumZones> f{};
  for (int l : model_->failable_lines()) {
    const int z = model_->line_zone()[l];
    if (z >= 0 && line_failed_[l]) f[z] += 1.0;
  }
  for (int z = 0; z < kNumZones; ++z) {
    if (model_->zone_line_count()[z] > 0) f[z] /= model_->zone_line_count()[z];
  }
  return f;
}

absl::Status Resilience123Sim::Reset(Rng& rng, double initial_budget) {
  const Resilience123Params& p = model_->params();
  if (p.calamity == "random") {
    calamity_type_ = static_cast<CalamityType>(rng.UniformInt(kNumCalamityTypes));
  } else {
    absl::StatusOr<CalamityType> t = ParseCalamityType(p.calamity);
    if (!t.ok()) return t.status();
    calamity_type_ = *t;
  }
  weather_ = Weather::kNormal;
  config_ = 0;
  grid_ = 1;
  budget_ = initial_budget;
  steps_since_onset_ = 0;
  lockout_line_.fill(-1);
  std::fill(line_failed_.begin(), line_failed_.end(), 0);
  std::fill(repair_left_.begin(), repair_left_.end(), 0);
  std::fill(burning_.begin(), burning_.end(), 0);
  tactical_ = NormalSwitches();
  EffectiveSwitches(tactical_, &switch_closed_);
  economics_.Reset();
  return Evaluate();
}

int Resilience123Sim::ApplyCalamity(Rng& rng, bool onset) {
  const Resilience123Params& p = model_->params();
  const auto& d = model_->feeder().data();
  int added = 0;
  auto fail = [&](int l) {
    if (line_failed_[l]) return;
    line_failed_[l] = 1;
    repair_left_[l] = p.repair_steps;
    ++added;
  };
  switch (calamity_type_) {
    case CalamityType::kFlood:
      for (int l : model_->flood_lines()) {
        if (!line_failed_[l] && rng.Bernoulli(p.flood_line_failure_p)) fail(l);
      }
      break;
    case CalamityType::kHurricane:
      for (int l : model_->failable_lines()) {
        if (!line_failed_[l] && rng.Bernoulli(p.hurricane_line_failure_p)) fail(l);
      }
      break;
    case CalamityType::kWildfire: {
      const auto& start = model_->wildfire_start_buses();
      if (onset && !start.empty()) {
        burning_[start[rng.UniformInt(start.size())]] = 1;
      } else {
        // Spread from the buses burning at the start of the step (new fires spread next step).
        std::vector<int> front;
        for (size_t b = 0; b < burning_.size(); ++b) {
          if (burning_[b]) front.push_back(static_cast<int>(b));
        }
        for (int b : front) {
          for (int nbr : model_->fire_neighbours()[b]) {
            if (!burning_[nbr] && rng.Bernoulli(p.wildfire_spread_p)) burning_[nbr] = 1;
          }
        }
      }
      for (int l : model_->failable_lines()) {
        if (burning_[d.lines[l].bus1] || burning_[d.lines[l].bus2]) fail(l);
      }
      break;
    }
    case CalamityType::kShortCircuit:
      if (onset) {
        const auto& lines = model_->failable_lines();
        const int l = lines[rng.UniformInt(lines.size())];
        fail(l);
        const int k = model_->upstream_switch()[l];
        if (k >= 0) lockout_line_[k] = l;
      }
      break;
  }
  return added;
}

void Resilience123Sim::Repair() {
  const auto& d = model_->feeder().data();
  const bool calamity = weather_ == Weather::kCalamity;
  for (int l : model_->failable_lines()) {
    if (!line_failed_[l]) continue;
    if (calamity_type_ == CalamityType::kFlood && calamity) continue;  // no repair while flooded
    if (burning_[d.lines[l].bus1] || burning_[d.lines[l].bus2]) continue;
    if (--repair_left_[l] <= 0) {
      line_failed_[l] = 0;
      repair_left_[l] = 0;
    }
  }
  for (int k = 0; k < kNumSwitches; ++k) {
    if (lockout_line_[k] >= 0 && !line_failed_[lockout_line_[k]]) lockout_line_[k] = -1;
  }
}

metrics::TopologyKey Resilience123Sim::Key(int extra) const {
  std::array<uint8_t, 1 + kNumDers + 1> online{};
  for (int j = 0; j < kNumDers; ++j) online[j] = model_->config_ders()[config_][j];
  online[kNumDers] = extra >= 0 ? 1 : 0;
  online[kNumDers + 1] = extra > 0 ? 1 : 0;
  return metrics::MakeTopologyKey(switch_closed_, line_failed_,
                                  std::span<const uint8_t>(online.data(), extra >= 0 ? 6 : 4));
}

ServiceOutcome Resilience123Sim::Serve(int grid) {
  const Resilience123Model& m = *model_;
  const Resilience123Params& p = m.params();
  const auto& d = m.feeder().data();
  const int nb = static_cast<int>(d.buses.size());
  const auto& groups = m.groups();
  ServiceOutcome out;
  out.served.assign(groups.size(), 0);

  // Topology.
  for (size_t l = 0; l < d.lines.size(); ++l) fstate_.line_closed[l] = !line_failed_[l];
  for (int k = 0; k < kNumSwitches; ++k) fstate_.line_closed[m.switch_line()[k]] = switch_closed_[k];
  std::iota(uf_.begin(), uf_.end(), 0);
  for (size_t l = 0; l < d.lines.size(); ++l) {
    if (fstate_.line_closed[l]) Unite(uf_, d.lines[l].bus1, d.lines[l].bus2);
  }
  for (const auto& t : d.transformers) Unite(uf_, t.windings[0].bus, t.windings[1].bus);
  std::vector<int> grid_count(nb, 0);
  std::vector<double> der_capacity(nb, 0.0);
  std::vector<int> source_buses;
  grid_count[Find(uf_, d.sources[m.substation_source()].bus)]++;
  source_buses.push_back(d.sources[m.substation_source()].bus);
  for (int j = 0; j < kNumBackups; ++j) {
    if (switch_closed_[powerflow::kIeee123TieSwitch[j]]) {
      const int b = d.sources[m.backup_source()[j]].bus;
      grid_count[Find(uf_, b)]++;
      source_buses.push_back(b);
    }
  }
  for (int j = 0; j < kNumDers; ++j) {
    const int g = m.der()[j];
    const bool on = m.config_ders()[config_][j];
    fstate_.der_on[g] = on;
    if (!on) continue;
    const int root = Find(uf_, d.ders[g].bus);
    der_capacity[root] += d.ders[g].kva;
    source_buses.push_back(d.ders[g].bus);
  }
  for (int j = 0; j < kNumDers; ++j) {
    const int g = m.der()[j];
    const bool grid_island = grid_count[Find(uf_, d.ders[g].bus)] > 0;
    fstate_.der_p_kw[g] = (grid_island && grid == 0) ? p.der_first_output_fraction * d.ders[g].kva : 0;
    fstate_.der_q_kvar[g] = 0;
  }
  // Priority service in DER-only islands; everything in grid islands.
  std::vector<double> used(nb, 0.0);
  for (int gi : m.group_priority()) {
    const int root = Find(uf_, groups[gi].bus);
    if (grid_count[root] > 0) {
      out.served[gi] = 1;
    } else if (der_capacity[root] > 0 && used[root] + groups[gi].kva <= der_capacity[root]) {
      used[root] += groups[gi].kva;
      out.served[gi] = 1;
    }
  }
  // Electrical distance of each bus to the nearest source of its island (multi-source Dijkstra).
  std::vector<double> dist(nb, std::numeric_limits<double>::infinity());
  std::vector<std::vector<std::pair<int, double>>> adj(nb);
  for (size_t l = 0; l < d.lines.size(); ++l) {
    if (!fstate_.line_closed[l]) continue;
    adj[d.lines[l].bus1].push_back({d.lines[l].bus2, m.line_length_ohm()[l]});
    adj[d.lines[l].bus2].push_back({d.lines[l].bus1, m.line_length_ohm()[l]});
  }
  for (const auto& t : d.transformers) {
    adj[t.windings[0].bus].push_back({t.windings[1].bus, 0.0});
    adj[t.windings[1].bus].push_back({t.windings[0].bus, 0.0});
  }
  using Item = std::pair<double, int>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> pq;
  for (int b : source_buses) {
    dist[b] = 0;
    pq.push({0.0, b});
  }
  while (!pq.empty()) {
    auto [dv, v] = pq.top();
    pq.pop();
    if (dv > dist[v]) continue;
    for (auto [w, len] : adj[v]) {
      if (dv + len < dist[w]) {
        dist[w] = dv + len;
        pq.push({dist[w], w});
      }
    }
  }

  powerflow::FeederSolveOptions opts;
  opts.vmin_pu = p.vmin_pu;
  opts.vmax_pu = p.vmax_pu;
  // Violations of one solve, per island. Shedding cures undervoltage, branch overloads (lines
  // against this model's ampacity, transformers against rated current) and DER / backup ratings;
  // overvoltage is only reported: shedding load raises voltages further under fixed taps [ours].
  std::vector<int> island_violations, island_over;
  std::vector<uint8_t> bad_island;
  auto solve = [&](bool warm) -> const powerflow::FeederResult& {
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      for (int ld : groups[gi].loads) fstate_.load_on[ld] = out.served[gi];
    }
    opts.warm_start = warm;
    const powerflow::FeederResult& r = solver_.Solve(fstate_, opts);
    ++out.solves;
    out.converged = r.converged;
    const size_t ni = r.islands.size();
    island_violations.assign(ni, 0);
    island_over.assign(ni, 0);
    bad_island.assign(ni, 0);
    for (const auto& isl : r.islands) {
      island_violations[isl.id] = isl.der_violations + isl.source_violations;
    }
    for (int n = 0; n < m.feeder().num_nodes(); ++n) {
      const int isl = r.node_island[n];
      if (!r.islands[isl].energised) continue;
      if (r.vm_pu[n] < opts.vmin_pu) ++island_violations[isl];
      if (r.vm_pu[n] > opts.vmax_pu) ++island_over[isl];
    }
    for (size_t l = 0; l < d.lines.size(); ++l) {
      if (fstate_.line_closed[l] &&
          r.line_loading[l] * d.lines[l].norm_amps > m.line_ampacity_a()[l]) {
        ++island_violations[r.bus_island[d.lines[l].bus1]];
      }
    }
    for (size_t t = 0; t < d.transformers.size(); ++t) {
      if (r.xf_loading[t] > 1.0) ++island_violations[r.bus_island[d.transformers[t].windings[0].bus]];
    }
    for (const auto& isl : r.islands) {
      // An island that did not settle counts as violating; the others are judged on their own.
      if (isl.energised && (!isl.converged || island_violations[isl.id] > 0)) bad_island[isl.id] = 1;
    }
    return r;
  };

  // Shedding [ours]: in each island that violates a constraint, the served non-critical groups
  // are ordered farthest (electrically) from a source first (ties: lower group index), and the
  // island sheds a prefix of that order that makes it feasible. Islands are electrically
  // independent (each is judged on its own convergence and violations), so each island searches
  // its own prefix length while one solve per round serves all of them: the first probe sheds
  // about the overload of the island's rated sources (or one group), then the search gallops up
  // to a feasible length and bisects down until the one-shorter prefix is infeasible. Where
  // feasibility grows with the load shed this is the shortest feasible prefix, which
  // `linear_shedding` finds by shedding one group per solve; in an unbalanced island it
  // occasionally does not, and the search may then shed more. An island still infeasible with
  // every non-critical group shed keeps its critical loads if a grid source feeds it (the
  // violation is reported) and trips if only DERs feed it (its DERs go off, it goes dark) [ours].
  struct Search {
    int bus = -1;            // a bus of the island (island ids are per solve)
    bool der_only = false;
    std::vector<int> order;  // sheddable groups, farthest first
    int lo = 0;              // longest prefix known infeasible
    int hi = -1;             // shortest prefix known feasible (-1: none yet)
    int k = 0;               // prefix shed in the current probe
    int up = 1, down = 1;    // gallop steps
    bool done = false, tripped = false;
  };
  std::vector<Search> searches;
  const powerflow::FeederResult* r = &solve(false);
  for (const auto& isl : r->islands) {
    if (!bad_island[isl.id]) continue;
    Search sr;
    sr.der_only = isl.grid_sources == 0;
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      if (r->bus_island[groups[gi].bus] != isl.id) continue;
      if (sr.bus < 0) sr.bus = groups[gi].bus;
      if (out.served[gi] && !groups[gi].critical) sr.order.push_back(static_cast<int>(gi));
    }
    if (sr.bus < 0) {  // no load group: nothing to shed (a DER-only island still trips)
      for (int b = 0; b < nb && sr.bus < 0; ++b) {
        if (r->bus_island[b] == isl.id) sr.bus = b;
      }
    }
    std::stable_sort(sr.order.begin(), sr.order.end(), [&](int a, int b) {
      return dist[groups[a].bus] > dist[groups[b].bus];
    });
    // First probe: shed groups, farthest first, until their served apparent power covers the
    // overload of the island's rated sources (backups, DERs); one group if nothing is rated.
    double excess_kva = 0;
    for (size_t k = 0; k < d.sources.size(); ++k) {
      if (d.sources[k].max_kva <= 0 || r->bus_island[d.sources[k].bus] != isl.id) continue;
      excess_kva += std::max(0.0, std::hypot(r->source_kw[k], r->source_kvar[k]) - d.sources[k].max_kva);
    }
    for (size_t g = 0; g < d.ders.size(); ++g) {
      if (!fstate_.der_on[g] || r->bus_island[d.ders[g].bus] != isl.id) continue;
      excess_kva += std::max(0.0, std::hypot(r->der_kw[g], r->der_kvar[g]) - d.ders[g].kva);
    }
    int k0 = 1;
    if (excess_kva > 0 && !p.linear_shedding) {
      double covered = 0;
      k0 = 0;
      while (k0 < static_cast<int>(sr.order.size()) && covered < excess_kva) {
        double kw = 0, kvar = 0;
        for (int ld : groups[sr.order[k0]].loads) {
          kw += r->load_kw[ld];
          kvar += r->load_kvar[ld];
        }
        covered += std::hypot(kw, kvar);
        ++k0;
      }
    }
    sr.k = std::clamp(k0, 0, static_cast<int>(sr.order.size()));
    searches.push_back(std::move(sr));
  }
  // Applies each island's current probe (or its settled prefix) to `out.served`.
  auto apply = [&]() {
    for (const Search& sr : searches) {
      for (int i = 0; i < static_cast<int>(sr.order.size()); ++i) out.served[sr.order[i]] = i >= sr.k;
    }
  };
  // An island whose every non-critical group is shed and which is still infeasible.
  auto exhausted = [&](Search& sr) {
    sr.done = true;
    sr.k = static_cast<int>(sr.order.size());
    if (!sr.der_only) return;
    sr.tripped = true;
    const int isl = r->bus_island[sr.bus];
    for (size_t g = 0; g < d.ders.size(); ++g) {
      if (fstate_.der_on[g] && r->bus_island[d.ders[g].bus] == isl) fstate_.der_on[g] = 0;
    }
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      if (r->bus_island[groups[gi].bus] == isl && out.served[gi]) {
        out.served[gi] = 0;
        ++out.shed_for_constraints;  // critical loads lost with the island
      }
    }
    ++out.tripped_islands;
  };
  for (Search& sr : searches) {
    if (sr.order.empty()) exhausted(sr);
  }
  bool last_solve_final = searches.empty();
  for (int round = 0;; ++round) {
    bool probing = false;
    for (const Search& sr : searches) probing |= !sr.done;
    if (!probing) break;
    if (round >= p.max_shed_rounds) {  // settle on the best known prefix
      for (Search& sr : searches) {
        if (sr.done) continue;
        sr.k = sr.hi >= 0 ? sr.hi : sr.lo;
        sr.done = true;
      }
      break;
    }
    apply();
    r = &solve(true);
    last_solve_final = true;
    for (Search& sr : searches) {
      if (sr.done) continue;
      const int n = static_cast<int>(sr.order.size());
      const bool bad = bad_island[r->bus_island[sr.bus]] != 0;
      if (bad) {
        sr.lo = sr.k;
      } else {
        sr.hi = sr.k;
      }
      if (bad && sr.k >= n) {
        exhausted(sr);
        if (sr.tripped) last_solve_final = false;  // its DERs went off
        continue;
      }
      if (sr.hi >= 0 && sr.hi - sr.lo <= 1) {  // shortest feasible prefix found
        if (sr.k != sr.hi) last_solve_final = false;
        sr.k = sr.hi;
        sr.done = true;
        continue;
      }
      last_solve_final = false;
      if (p.linear_shedding) {
        sr.k = sr.lo + 1;
      } else if (sr.hi < 0) {  // gallop up
        sr.k = std::min(n, sr.lo + sr.up);
        sr.up *= 2;
      } else if (sr.lo == 0 && !bad) {  // the first probe was feasible: gallop down from it
        sr.k = std::max(1, sr.hi - sr.down);
        sr.down *= 2;
      } else {
        sr.k = (sr.lo + sr.hi) / 2;
      }
    }
  }
  if (!last_solve_final) {
    apply();
    r = &solve(true);
  }
  for (const Search& sr : searches) out.shed_for_constraints += sr.k;
  {
    const powerflow::FeederResult& res = *r;
    int violations = res.converged ? 0 : 1;
    for (const auto& isl : res.islands) {
      if (isl.energised) violations += island_violations[isl.id] + island_over[isl.id];
    }
    out.violations = violations;
    out.vmin_pu = std::numeric_limits<double>::infinity();
    out.vmax_pu = 0;
    for (const auto& isl : res.islands) {
      if (!isl.energised || isl.num_buses == 0) continue;
      if (isl.load_kw <= 0 && isl.vmax_pu <= 0) continue;
      out.vmin_pu = std::min(out.vmin_pu, isl.vmin_pu);
      out.vmax_pu = std::max(out.vmax_pu, isl.vmax_pu);
    }
    if (!std::isfinite(out.vmin_pu)) out.vmin_pu = 0;
  }
  const powerflow::FeederResult& last = solver_.result();
  out.der_supplying = false;
  for (size_t g = 0; g < d.ders.size(); ++g) {
    if (g < last.der_kw.size() && std::abs(last.der_kw[g]) > 1.0) out.der_supplying = true;
  }
  out.served_kva = 0;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    if (out.served[gi]) out.served_kva += groups[gi].kva;
  }
  return out;
}

absl::Status Resilience123Sim::Evaluate() {
  const Resilience123Model& m = *model_;
  const auto& groups = m.groups();
  // Service (cached by topology + grid preference).
  const metrics::TopologyKey skey = Key(grid_);
  bool have = false;
  {
    std::lock_guard<std::mutex> lock(caches_->mu);
    auto it = caches_->service.find(skey);
    if (it != caches_->service.end()) {
      service_ = it->second;
      have = true;
      ++caches_->service_hits;
    }
  }
  if (!have) {
    service_ = Serve(grid_);
    std::lock_guard<std::mutex> lock(caches_->mu);
    ++caches_->service_misses;
    if (caches_->service.size() >= caches_->capacity) caches_->service.clear();
    caches_->service.emplace(skey, service_);
  }
  // Indicators.
  const auto& d = m.feeder().data();
  for (size_t l = 0; l < d.lines.size(); ++l) gstate_.edge_in_service[l] = !line_failed_[l];
  for (int k = 0; k < kNumSwitches; ++k) gstate_.edge_in_service[m.switch_line()[k]] = switch_closed_[k];
  for (int j = 0; j < kNumBackups; ++j) gstate_.sources[1 + j].online = switch_closed_[powerflow::kIeee123TieSwitch[j]];
  for (int j = 0; j < kNumDers; ++j) {
    gstate_.sources[1 + kNumBackups + j].online = m.config_ders()[config_][j];
  }
  for (size_t gi = 0; gi < groups.size(); ++gi) gstate_.loads[gi].served = service_.served[gi];
  const metrics::TopologyKey ikey = Key(-1);
  std::optional<metrics::IndicatorSet> hit;
  {
    std::lock_guard<std::mutex> lock(caches_->mu);
    hit = caches_->indicators.Find(ikey);
  }
  if (!hit) {
    // The same indicators as metrics::ResilienceModel::Evaluate, with q_c and IC shared by every
    // state that has the same in-service edges.
    const metrics::ResilienceConfig& cfg = m.metric_model().config();
    const metrics::Graph& graph = m.metric_model().graph();
    const metrics::TopologyKey ekey =
        metrics::MakeTopologyKey(switch_closed_, line_failed_, std::span<const uint8_t>());
    std::optional<std::array<double, 2>> edge;
    {
      std::lock_guard<std::mutex> lock(caches_->mu);
      auto it = caches_->edge_indicators.find(ekey);
      if (it != caches_->edge_indicators.end()) {
        edge = it->second;
        ++caches_->edge_hits;
      }
    }
    if (!edge) {
      absl::StatusOr<double> perc =
          percolation_.Threshold(graph, gstate_.edge_in_service, cfg.percolation);
      if (!perc.ok()) return perc.status();
      absl::StatusOr<double> ic = centrality_.HighCentralityIndicator(
          graph, gstate_.edge_in_service, cfg.high_centrality_threshold);
      if (!ic.ok()) return ic.status();
      edge = std::array<double, 2>{*perc, *ic};
      std::lock_guard<std::mutex> lock(caches_->mu);
      ++caches_->edge_misses;
      if (caches_->edge_indicators.size() >= caches_->capacity) caches_->edge_indicators.clear();
      caches_->edge_indicators.emplace(ekey, *edge);
    }
    absl::StatusOr<double> wpv = metrics::PrunedWeightedPathVariability(graph, gstate_, cfg.path_weights);
    if (!wpv.ok()) return wpv.status();
    metrics::IndicatorSet set;
    set.raw[metrics::kWeightedPathVariability] = *wpv;
    set.raw[metrics::kPercolationThreshold] = (*edge)[0];
    set.raw[metrics::kHighCentralityIndicator] = (*edge)[1];
    hit = set;
    std::lock_guard<std::mutex> lock(caches_->mu);
    caches_->indicators.Insert(ikey, set);
  }
  indicators_ = *hit;
  // R_CL and ARoS depend on which loads are served: recomputed every step (cheap).
  const metrics::ResilienceConfig& rc = m.metric_model().config();
  absl::StatusOr<double> rcl = metrics::CriticalLoadRatio(gstate_.loads, rc.r_cl_without_critical_loads);
  if (!rcl.ok()) return rcl.status();
  absl::StatusOr<double> aros = metrics::AverageRatingOfService(m.metric_model().graph(), gstate_);
  if (!aros.ok()) return aros.status();
  indicators_.raw[metrics::kCriticalLoadRatio] = *rcl;
  indicators_.raw[metrics::kAverageRatingOfService] = *aros;
  double r = 0;
  for (int k = 0; k < metrics::kNumIndicators; ++k) {
    indicators_.normalised[k] = metrics::Normalise(indicators_.raw[k], rc.normalisation.bounds[k]);
    r += m.metric_model().ahp().weights[k] * indicators_.normalised[k];
  }
  indicators_.resilience = std::clamp(r, 0.0, 1.0);
  return absl::OkStatus();
}

absl::StatusOr<StepResult> Resilience123Sim::Step(int config,
                                                   const std::array<uint8_t, kNumTactical>& switches,
                                                   int grid, Rng& rng) {
  const Resilience123Params& p = model_->params();
  if (config < 0 || config >= kNumConfigs) {
    return absl::InvalidArgumentError(absl::StrCat("config: expected 0..5, got ", config));
  }
  if (grid != 0 && grid != 1) {
    return absl::InvalidArgumentError(absl::StrCat("grid: expected 0 or 1, got ", grid));
  }
  StepResult res;
  double total_kva = 0;
  for (const LoadGroup& g : model_->groups()) total_kva += g.kva;
  res.served_fraction_before = service_.served_kva / total_kva;
  // Strategic.
  if (config != config_) {
    budget_ -= p.base_cost[config];
    config_ = config;
    res.config_changed = true;
  }
  grid_ = grid;
  // Tactical.
  std::array<uint8_t, kNumSwitches> closed{};
  EffectiveSwitches(switches, &closed);
  if (CountGridSourcesMax(closed) > 1) {
    res.infeasible_switching = true;
  } else {
    for (int e = 0; e < kNumTactical; ++e) {
      const uint8_t now = closed[kTacticalSwitch[e]];
      if (now != tactical_[e]) ++res.switches_changed;
      tactical_[e] = now;
    }
    switch_closed_ = closed;
  }
  // Weather of this step: repairs, then failures.
  res.calamity = weather_ == Weather::kCalamity;
  Repair();
  if (res.calamity) {
    ++steps_since_onset_;
    res.new_failed_lines = ApplyCalamity(rng, steps_since_onset_ == 1);
  }
  // Faults may lock switches open; a repair may release them (the tactical command then holds).
  {
    std::array<uint8_t, kNumSwitches> eff{};
    EffectiveSwitches(tactical_, &eff);
    // A released lockout does not re-close by itself: only the lock is applied here.
    for (int k = 0; k < kNumSwitches; ++k) {
      if (lockout_line_[k] >= 0) switch_closed_[k] = 0;
      else if (k == 0 || k == 4) switch_closed_[k] = 1;
    }
    for (int e = 0; e < kNumTactical; ++e) tactical_[e] = switch_closed_[kTacticalSwitch[e]];
  }
  for (uint8_t f : line_failed_) res.failed_lines += f;
  if (absl::Status s = Evaluate(); !s.ok()) return s;
  res.served_fraction = service_.served_kva / total_kva;
  res.service = service_;
  res.indicators = indicators_;
  // Economics.
  metrics::EconomicsStep es;
  es.config = config_;
  es.n_der = kConfigDerCount[config_];
  es.capital_multiplier = p.capital_mult[config_];
  es.operational_multiplier = p.operational_mult[config_];
  es.maintenance_multiplier = p.maintenance_mult[config_];
  es.calamity = res.calamity;
  es.resilience = indicators_.resilience;
  std::vector<double> kva;
  kva.reserve(model_->groups().size());
  for (const LoadGroup& g : model_->groups()) kva.push_back(g.kva);
  absl::StatusOr<double> out = metrics::CustomersOut(p.economics.customers, kva, service_.served);
  if (!out.ok()) return out.status();
  es.customers_out = *out;
  es.failed_lines = res.failed_lines;
  es.new_failed_lines = res.new_failed_lines;
  for (size_t gi = 0; gi < model_->groups().size(); ++gi) {
    if (model_->groups()[gi].critical && !service_.served[gi]) es.critical_load_lost = true;
  }
  es.der_running = service_.der_supplying;
  absl::StatusOr<metrics::StepCosts> costs = economics_.AddStep(es);
  if (!costs.ok()) return costs.status();
  res.costs = *costs;
  // Weather transition for the next step.
  const double stay_or_enter =
      weather_ == Weather::kNormal ? p.p_normal_to_calamity : p.p_calamity_to_calamity;
  const bool next_calamity = rng.Bernoulli(stay_or_enter);
  if (!next_calamity) {
    weather_ = Weather::kNormal;
    steps_since_onset_ = 0;
    std::fill(burning_.begin(), burning_.end(), 0);  // fires end with the calamity [ours]
  } else {
    weather_ = Weather::kCalamity;
  }
  res.budget_exhausted = budget_ < 0;
  return res;
}

}  // namespace gridrl::env::r123
