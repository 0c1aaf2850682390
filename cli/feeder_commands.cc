// Three-phase feeders on the command line: `gridrl import-feeder` (OpenDSS -> the project's
// feeder JSON) and the "feeder" case backend behind `gridrl pf --case ieee123|FILE.dss|FILE.json`.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "nlohmann/json.hpp"
#include "powerflow/network/data_path.h"
#include "powerflow/network/dss_reader.h"
#include "powerflow/network/feeder_data.h"
#include "powerflow/distribution/feeder_solver.h"

namespace gridrl::cli {
namespace {

namespace pf = ::gridrl::powerflow;
using json = nlohmann::ordered_json;

bool IsFeederJson(const std::string& path) { return JsonFormatTag(path) == "gridrl-feeder-1"; }

bool FeederClaims(std::string_view c) {
  std::string arg(c);
  if (absl::EndsWithIgnoreCase(arg, ".dss")) return true;
  if (absl::EndsWithIgnoreCase(arg, ".json")) return IsFeederJson(arg);
  if (absl::StrContains(arg, "/")) return false;
  return gridrl::DataFile(absl::StrCat("feeders/", arg, ".json")).ok();
}

// Applies --close/--open/--tap to the feeder data itself (used by import-feeder to record a
// default operating point).
absl::Status ApplyOverridesToData(const Args& args, pf::FeederData* d) {
  for (const std::string& sw : args.GetAll("close")) {
    auto l = pf::FindSwitchLine(*d, sw);
    if (!l.ok()) return absl::InvalidArgumentError(absl::StrCat("--close: ", l.status().message()));
    d->lines[*l].closed = true;
  }
  for (const std::string& sw : args.GetAll("open")) {
    auto l = pf::FindSwitchLine(*d, sw);
    if (!l.ok()) return absl::InvalidArgumentError(absl::StrCat("--open: ", l.status().message()));
    d->lines[*l].closed = false;
  }
  for (const std::string& t : args.GetAll("tap")) {
    size_t eq = t.find('=');
    int steps;
    if (eq == std::string::npos || !absl::SimpleAtoi(t.substr(eq + 1), &steps))
      return absl::InvalidArgumentError(
          absl::StrCat("--tap: expected NAME=STEPS (e.g. RG4.a=8), got '", t, "'"));
    auto regs = pf::FindRegulators(*d, t.substr(0, eq));
    if (!regs.ok()) return absl::InvalidArgumentError(absl::StrCat("--tap: ", regs.status().message()));
    for (int r : *regs) {
      auto& g = d->regulators[r];
      if (steps < g.min_tap || steps > g.max_tap)
        return absl::InvalidArgumentError(absl::StrCat("--tap: ", t, " is outside [", g.min_tap,
                                                       ", ", g.max_tap, "]"));
      g.tap = steps;
      d->transformers[g.transformer].windings[g.winding].tap = 1.0 + g.tap_step * steps;
    }
  }
  return absl::OkStatus();
}

const char* PhaseName(int p) { return p == 1 ? "a" : p == 2 ? "b" : "c"; }

absl::Status RunFeederPf(const Args& args) {
  auto case_arg = args.Get("case");
  if (!case_arg) return absl::InvalidArgumentError("--case NAME|PATH is required");
  const std::string format = args.GetOr("format", "table");
  if (format != "json" && format != "table")
    return absl::InvalidArgumentError(
        absl::StrCat("--format: expected 'json' or 'table', got '", format, "'"));
  auto data = pf::LoadFeeder(*case_arg);
  if (!data.ok()) return data.status();
  if (absl::Status s = ApplyOverridesToData(args, &*data); !s.ok()) return s;
  pf::FeederSolveOptions opts;
  auto tol = args.GetDouble("tol", opts.tol_pu);
  if (!tol.ok()) return tol.status();
  if (!(*tol > 0)) return absl::InvalidArgumentError("--tol: expected a positive number (pu)");
  opts.tol_pu = *tol;
  auto it = args.GetInt("max-iter", opts.max_iterations);
  if (!it.ok()) return it.status();
  if (*it < 1 || *it > 10000) return absl::InvalidArgumentError("--max-iter: expected 1..10000");
  opts.max_iterations = static_cast<int>(*it);
  auto scale = args.GetDouble("load-scale", 1.0);
  if (!scale.ok()) return scale.status();
  if (!(*scale >= 0)) return absl::InvalidArgumentError("--load-scale: expected a number >= 0");
  const bool regulate = args.Flag("regulate");
  // --der BUS[:KVA[:P_KW[:Q_KVAR]]]: an online three-phase DER (grid-forming in an island
  // without a grid source, else a PQ injection at P/Q).
  const size_t first_der = data->ders.size();
  for (const std::string& spec : args.GetAll("der")) {
    std::vector<std::string> parts = absl::StrSplit(spec, ':');
    pf::FeederDer g;
    g.bus = data->FindBus(parts[0]);
    if (g.bus < 0)
      return absl::InvalidArgumentError(absl::StrCat("--der: unknown bus '", parts[0], "'"));
    g.name = absl::StrCat("der", parts[0]);
    double* fields[3] = {&g.kva, &g.p_kw, &g.q_kvar};
    if (parts.size() > 4)
      return absl::InvalidArgumentError("--der: expected BUS[:KVA[:P_KW[:Q_KVAR]]]");
    for (size_t k = 1; k < parts.size(); ++k) {
      if (!absl::SimpleAtod(parts[k], fields[k - 1]) || !std::isfinite(*fields[k - 1]))
        return absl::InvalidArgumentError(
            absl::StrCat("--der: '", parts[k], "' in '", spec, "' is not a number"));
    }
    if (!(g.kva > 0)) return absl::InvalidArgumentError("--der: KVA must be positive");
    data->ders.push_back(g);
  }
  if (absl::Status s = args.CheckAllUsed(); !s.ok()) return s;

  auto model = pf::FeederModel::Build(*std::move(data));
  if (!model.ok()) return model.status();
  const pf::FeederData& d = (*model)->data();
  pf::FeederState state = (*model)->NormalState();
  state.load_scale = *scale;
  for (size_t g = first_der; g < d.ders.size(); ++g) state.der_on[g] = 1;
  state.regulate_taps = regulate;
  pf::FeederSolver solver(*model);
  const pf::FeederResult& r = solver.Solve(state, opts);
  const auto& nodes = (*model)->nodes();

  if (format == "json") {
    json out;
    out["case"] = d.name;
    out["model"] = "three-phase";
    out["converged"] = r.converged;
    out["iterations"] = r.iterations;
    out["max_change_pu"] = r.max_change_pu;
    if (!r.message.empty()) out["message"] = r.message;
    json buses = json::array();
    for (size_t b = 0; b < d.buses.size(); ++b) {
      json ph = json::object();
      for (int p = 1; p <= 3; ++p) {
        int i = (*model)->NodeIndex(static_cast<int>(b), p);
        if (i < 0) continue;
        ph[PhaseName(p)] = {{"vm_pu", r.vm_pu[i]},
                            {"va_deg", r.va_deg[i]},
                            {"vm_volts", std::abs(r.v[i])}};
      }
      buses.push_back({{"name", d.buses[b].name},
                       {"kv_base", d.buses[b].kv_base},
                       {"island", r.bus_island[b]},
                       {"phases", ph}});
    }
    out["buses"] = buses;
    json branches = json::array();
    for (size_t l = 0; l < d.lines.size(); ++l) {
      const auto& ln = d.lines[l];
      json ph = json::object();
      const int off = (*model)->line_offset(static_cast<int>(l));
      for (int k = 0; k < ln.conductors(); ++k) {
        ph[PhaseName(ln.nodes1[k])] = {{"i_from_a", r.line_i1_a[off + k]},
                                       {"i_to_a", r.line_i2_a[off + k]},
                                       {"loading", std::max(r.line_i1_a[off + k], r.line_i2_a[off + k]) /
                                                       ln.norm_amps}};
      }
      branches.push_back({{"name", ln.name},
                          {"kind", ln.is_switch ? "switch" : "line"},
                          {"from", d.buses[ln.bus1].name},
                          {"to", d.buses[ln.bus2].name},
                          {"closed", state.line_closed[l] != 0},
                          {"p_from_kw", r.line_p1_kw[l]},
                          {"q_from_kvar", r.line_q1_kvar[l]},
                          {"loading", r.line_loading[l]},
                          {"phases", ph}});
    }
    for (size_t t = 0; t < d.transformers.size(); ++t) {
      const auto& tr = d.transformers[t];
      branches.push_back({{"name", tr.name},
                          {"kind", "transformer"},
                          {"from", d.buses[tr.windings[0].bus].name},
                          {"to", d.buses[tr.windings[1].bus].name},
                          {"closed", true},
                          {"p_from_kw", r.xf_p1_kw[t]},
                          {"q_from_kvar", r.xf_q1_kvar[t]},
                          {"loading", r.xf_loading[t]}});
    }
    out["branches"] = branches;
    json taps = json::object();
    for (size_t g = 0; g < d.regulators.size(); ++g) taps[d.regulators[g].name] = r.taps[g];
    out["taps"] = taps;
    json islands = json::array();
    for (const auto& isl : r.islands) {
      islands.push_back({{"id", isl.id},
                         {"energised", isl.energised},
                         {"buses", isl.num_buses},
                         {"grid_sources", isl.grid_sources},
                         {"ders_online", isl.ders_online},
                         {"load_kw", isl.load_kw},
                         {"vmin_pu", isl.vmin_pu},
                         {"vmax_pu", isl.vmax_pu},
                         {"voltage_violations", isl.voltage_violations},
                         {"overloaded_branches", isl.overloaded_branches},
                         {"der_violations", isl.der_violations},
                         {"source_violations", isl.source_violations},
                         {"forming_der", isl.forming_der >= 0 ? json(d.ders[isl.forming_der].name)
                                                              : json(nullptr)},
                         {"feasible", isl.feasible()}});
    }
    out["islands"] = islands;
    json ders = json::array();
    for (size_t g = 0; g < d.ders.size(); ++g) {
      ders.push_back({{"name", d.ders[g].name}, {"bus", d.buses[d.ders[g].bus].name},
                      {"online", state.der_on[g] != 0}, {"p_kw", r.der_kw[g]},
                      {"q_kvar", r.der_kvar[g]}});
    }
    out["ders"] = ders;
    out["totals"] = {{"load_kw", r.total_load_kw},     {"load_kvar", r.total_load_kvar},
                     {"source_kw", r.total_source_kw}, {"source_kvar", r.total_source_kvar},
                     {"loss_kw", r.loss_kw},           {"loss_kvar", r.loss_kvar}};
    std::printf("%s\n", out.dump(1).c_str());
  } else {
    std::printf("%s: %s in %d iterations (largest change %.2e pu)%s%s\n", d.name.c_str(),
                r.converged ? "converged" : "NOT converged", r.iterations, r.max_change_pu,
                r.message.empty() ? "" : ": ", r.message.c_str());
    std::printf("load %.1f kW %.1f kvar, sources %.1f kW %.1f kvar, losses %.2f kW %.2f kvar\n",
                r.total_load_kw, r.total_load_kvar, r.total_source_kw, r.total_source_kvar,
                r.loss_kw, r.loss_kvar);
    std::printf("%-8s %5s %9s %9s\n", "bus", "phase", "vm_pu", "va_deg");
    for (size_t i = 0; i < nodes.size(); ++i) {
      std::printf("%-8s %5s %9.5f %9.3f\n", d.buses[nodes[i].bus].name.c_str(),
                  PhaseName(nodes[i].phase), r.vm_pu[i], r.va_deg[i]);
    }
    for (const auto& isl : r.islands) {
      std::printf("island %d: %d buses, %s, %d grid source(s), %d DER(s), load %.1f kW, V %.4f..%.4f pu, "
                  "%d voltage / %d branch violations\n",
                  isl.id, isl.num_buses, isl.energised ? "energised" : "de-energised",
                  isl.grid_sources, isl.ders_online, isl.load_kw, isl.vmin_pu, isl.vmax_pu,
                  isl.voltage_violations, isl.overloaded_branches);
    }
  }
  return absl::OkStatus();
}

absl::Status RunImportFeeder(const Args& args) {
  auto in = args.Get("dss");
  auto out = args.Get("out");
  if (!in || !out)
    return absl::InvalidArgumentError(
        "usage: gridrl import-feeder --dss PATH --out PATH [--name NAME] [--tap NAME=STEPS ...]");
  auto data = pf::ReadDssFile(*in);
  if (!data.ok()) return data.status();
  if (auto name = args.Get("name")) data->name = *name;
  if (auto notice_path = args.Get("notice-file")) {
    std::ifstream f(*notice_path);
    if (!f) return absl::NotFoundError(absl::StrCat("--notice-file: cannot open '", *notice_path, "'"));
    std::stringstream ss;
    ss << f.rdbuf();
    data->notice = ss.str();
  }
  if (absl::Status s = ApplyOverridesToData(args, &*data); !s.ok()) return s;
  if (absl::Status s = args.CheckAllUsed(); !s.ok()) return s;
  std::string prov = absl::StrCat("gridrl import-feeder from ",
                                  std::filesystem::path(*in).filename().string());
  for (const std::string& t : args.GetAll("tap")) absl::StrAppend(&prov, " --tap ", t);
  for (const std::string& t : args.GetAll("close")) absl::StrAppend(&prov, " --close ", t);
  for (const std::string& t : args.GetAll("open")) absl::StrAppend(&prov, " --open ", t);
  data->provenance = prov;
  std::ofstream f(*out);
  if (!f) return absl::NotFoundError(absl::StrCat("--out: cannot write '", *out, "'"));
  f << pf::FeederToJson(*data) << "\n";
  std::fprintf(stderr, "wrote %s: %zu buses, %zu lines, %zu transformers, %zu regulators, %zu loads, %zu capacitors\n",
               out->c_str(), data->buses.size(), data->lines.size(), data->transformers.size(),
               data->regulators.size(), data->loads.size(), data->capacitors.size());
  return absl::OkStatus();
}

}  // namespace

GRIDRL_CASE_BACKEND({.name = "feeder",
                     .claims = FeederClaims,
                     .run_pf = RunFeederPf,
                     .run_n1 = nullptr});

GRIDRL_COMMAND({.name = "import-feeder",
                .summary = "convert an OpenDSS feeder (.dss) to the project's feeder JSON",
                .usage = "gridrl import-feeder --dss PATH --out PATH [--name NAME] [--notice-file F]\n"
                         "          [--tap NAME=STEPS ...] [--close SW ...] [--open SW ...]\n"
                         "  Reads the OpenDSS subset of the IEEE test feeders and writes\n"
                         "  data/feeders/NAME.json. --tap records fixed regulator taps\n"
                         "  (RG4.a=8, reg1a=7), --close/--open record switch states (Sw7, 54-94).\n"
                         "  --notice-file embeds the source data's licence notice.\n"
                         "  Three-phase feeders then solve with: gridrl pf --case NAME|FILE.dss\n"
                         "  [--close SW] [--open SW] [--tap NAME=STEPS] [--regulate]\n"
                         "  [--der BUS[:KVA[:P_KW[:Q_KVAR]]]] (grid-forming in islands)\n"
                         "  [--load-scale X] [--format json|table]",
                .run = RunImportFeeder});

}  // namespace gridrl::cli
