#include "powerflow/network/feeder_data.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <queue>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "powerflow/network/data_path.h"
#include "powerflow/network/dss_reader.h"

namespace gridrl::powerflow {
namespace {

using json = nlohmann::json;

template <typename T>
int FindByName(const std::vector<T>& v, absl::string_view name) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (absl::EqualsIgnoreCase(v[i].name, name)) return static_cast<int>(i);
  }
  return -1;
}

const char* ConnName(FeederConn c) { return c == FeederConn::kWye ? "wye" : "delta"; }

}  // namespace

int FeederData::FindBus(absl::string_view name) const { return FindByName(buses, name); }
int FeederData::FindLine(absl::string_view name) const { return FindByName(lines, name); }
int FeederData::FindLoad(absl::string_view name) const { return FindByName(loads, name); }
int FeederData::FindTransformer(absl::string_view name) const {
  return FindByName(transformers, name);
}
int FeederData::AddBus(absl::string_view name) {
  int b = FindBus(name);
  if (b >= 0) return b;
  FeederBus bus;
  bus.name = absl::AsciiStrToLower(name);
  buses.push_back(bus);
  return static_cast<int>(buses.size()) - 1;
}

absl::Status ComputeVoltageBases(FeederData* data) {
  const int nb = static_cast<int>(data->buses.size());
  // Adjacency with voltage ratios (to / from).
  std::vector<std::vector<std::pair<int, double>>> adj(nb);
  for (const auto& l : data->lines) {
    adj[l.bus1].push_back({l.bus2, 1.0});
    adj[l.bus2].push_back({l.bus1, 1.0});
  }
  for (const auto& t : data->transformers) {
    const auto& w1 = t.windings[0];
    const auto& w2 = t.windings[1];
    double r = w2.kv / w1.kv;
    adj[w1.bus].push_back({w2.bus, r});
    adj[w2.bus].push_back({w1.bus, 1.0 / r});
  }
  std::vector<double> kv(nb, 0.0);
  std::queue<int> q;
  auto seed = [&](int bus, double kv_ll) {
    if (bus >= 0 && kv[bus] == 0) {
      kv[bus] = kv_ll;
      q.push(bus);
    }
  };
  for (const auto& s : data->sources) seed(s.bus, s.kv_ll);
  while (!q.empty()) {
    int b = q.front();
    q.pop();
    for (auto [o, r] : adj[b]) {
      if (kv[o] == 0) {
        // A single-phase unit rated at coil kV (2.402) between 4.16 kV buses keeps the ratio.
        kv[o] = kv[b] * r;
        q.push(o);
      }
    }
  }
  for (int b = 0; b < nb; ++b) {
    // Buses reached from no source (e.g. a DER-only island) keep what the file gave, else the
    // first voltage base.
    if (kv[b] == 0) {
      kv[b] = data->buses[b].kv_base > 0
                  ? data->buses[b].kv_base
                  : (data->voltage_bases_kv.empty() ? 0 : data->voltage_bases_kv[0]);
    }
    if (!data->voltage_bases_kv.empty()) {
      double best = data->voltage_bases_kv[0];
      for (double vb : data->voltage_bases_kv) {
        if (std::abs(std::log(vb / kv[b])) < std::abs(std::log(best / kv[b]))) best = vb;
      }
      kv[b] = best;
    }
    if (!(kv[b] > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bus ", data->buses[b].name, ": no voltage base (not reached from a source)"));
    }
    data->buses[b].kv_base = kv[b];
  }
  return absl::OkStatus();
}

absl::Status ValidateFeeder(const FeederData& d) {
  const int nb = static_cast<int>(d.buses.size());
  auto bad_bus = [&](int b) { return b < 0 || b >= nb; };
  // Phase conductors only (1..3): grounds are implicit in the wye/delta connection.
  auto bad_nodes = [](const std::vector<int>& nodes) {
    for (int n : nodes) {
      if (n < 1 || n > 3) return true;
    }
    return nodes.empty();
  };
  // Node count a wye/delta element of `phases` phases needs.
  auto want_nodes = [](FeederConn conn, int phases) {
    return conn == FeederConn::kDelta && phases == 1 ? 2 : phases;
  };
  for (const auto& l : d.lines) {
    const size_t n = l.nodes1.size();
    if (bad_bus(l.bus1) || bad_bus(l.bus2) || l.bus1 == l.bus2)
      return absl::InvalidArgumentError(absl::StrCat("line ", l.name, ": bad buses"));
    if (n == 0 || n > 3 || l.nodes2.size() != n || bad_nodes(l.nodes1) || bad_nodes(l.nodes2))
      return absl::InvalidArgumentError(
          absl::StrCat("line ", l.name, ": node lists must be phases 1..3 of equal length"));
    if (l.r_ohm.size() != n * n || l.x_ohm.size() != n * n || l.b_siemens.size() != n * n)
      return absl::InvalidArgumentError(absl::StrCat("line ", l.name, ": matrices must be ", n,
                                                     "x", n));
  }
  for (const auto& t : d.transformers) {
    if (t.windings.size() != 2)
      return absl::InvalidArgumentError(absl::StrCat("transformer ", t.name,
                                                     ": only 2-winding units are supported"));
    if (t.phases != 1 && t.phases != 3)
      return absl::InvalidArgumentError(absl::StrCat("transformer ", t.name, ": phases must be 1 or 3"));
    for (const auto& w : t.windings) {
      if (bad_bus(w.bus) || bad_nodes(w.nodes) || !(w.kv > 0) || !(w.kva > 0) ||
          static_cast<int>(w.nodes.size()) != want_nodes(w.conn, t.phases))
        return absl::InvalidArgumentError(absl::StrCat(
            "transformer ", t.name, ": bad winding (bus, phase nodes matching phases and conn, kv > 0, kva > 0)"));
    }
    if (!(t.xhl_pct > 0) && !(t.windings[0].pct_r + t.windings[1].pct_r > 0))
      return absl::InvalidArgumentError(absl::StrCat("transformer ", t.name, ": zero impedance"));
  }
  for (const auto& r : d.regulators) {
    if (r.transformer < 0 || r.transformer >= static_cast<int>(d.transformers.size()) ||
        r.winding < 0 || r.winding > 1 || !(r.tap_step > 0) || r.min_tap > r.tap ||
        r.tap > r.max_tap || !(r.ptratio > 0) || !(r.ctprim > 0))
      return absl::InvalidArgumentError(absl::StrCat(
          "regulator ", r.name, ": bad transformer, winding, tap range or ratios"));
  }
  for (const auto& l : d.loads) {
    if (bad_bus(l.bus) || bad_nodes(l.nodes) || !(l.kv > 0) || l.phases < 1 || l.phases > 3 ||
        static_cast<int>(l.nodes.size()) != want_nodes(l.conn, l.phases) ||
        !std::isfinite(l.kw) || !std::isfinite(l.kvar) || !(l.vminpu > 0) || !(l.vlowpu > 0))
      return absl::InvalidArgumentError(absl::StrCat(
          "load ", l.name, ": bad bus, nodes (phase nodes matching phases and conn), kv or limits"));
  }
  for (const auto& c : d.capacitors) {
    if (bad_bus(c.bus) || bad_nodes(c.nodes) || !(c.kv > 0) || c.phases < 1 || c.phases > 3 ||
        static_cast<int>(c.nodes.size()) != want_nodes(c.conn, c.phases))
      return absl::InvalidArgumentError(absl::StrCat("capacitor ", c.name, ": bad bus, nodes or kv"));
  }
  for (const auto& s : d.sources) {
    if (bad_bus(s.bus) || s.nodes.size() != 3 || bad_nodes(s.nodes) || !(s.kv_ll > 0))
      return absl::InvalidArgumentError(
          absl::StrCat("source ", s.name, ": needs a bus, 3 phase nodes and kv_ll > 0"));
    if (!s.tie_switch.empty() && d.FindLine(s.tie_switch) < 0)
      return absl::InvalidArgumentError(
          absl::StrCat("source ", s.name, ": unknown tie_switch ", s.tie_switch));
  }
  for (const auto& g : d.ders) {
    if (bad_bus(g.bus) || g.nodes.size() != 3 || bad_nodes(g.nodes) || !(g.kva > 0) ||
        !(g.x_ohm > 0))
      return absl::InvalidArgumentError(
          absl::StrCat("der ", g.name, ": needs a bus, 3 phase nodes and kva > 0"));
  }
  if (d.sources.empty() && d.ders.empty())
    return absl::InvalidArgumentError("feeder has no source");
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// JSON

std::string FeederToJson(const FeederData& d, int indent) {
  json j;
  j["format"] = "gridrl-feeder-1";
  j["name"] = d.name;
  j["provenance"] = d.provenance;
  if (!d.notice.empty()) j["notice"] = d.notice;
  j["base_freq_hz"] = d.base_freq_hz;
  j["voltage_bases_kv"] = d.voltage_bases_kv;
  auto bus = [&](int b) { return d.buses[b].name; };
  json buses = json::array();
  for (const auto& b : d.buses) {
    json o{{"name", b.name}, {"kv_base", b.kv_base}};
    if (b.has_xy) o["xy"] = {b.x, b.y};
    buses.push_back(o);
  }
  j["buses"] = buses;
  json lines = json::array();
  for (const auto& l : d.lines) {
    lines.push_back({{"name", l.name}, {"bus1", bus(l.bus1)}, {"bus2", bus(l.bus2)},
                     {"nodes1", l.nodes1}, {"nodes2", l.nodes2}, {"r_ohm", l.r_ohm},
                     {"x_ohm", l.x_ohm}, {"b_siemens", l.b_siemens}, {"switch", l.is_switch},
                     {"closed", l.closed}, {"norm_amps", l.norm_amps},
                     {"emerg_amps", l.emerg_amps}, {"linecode", l.linecode},
                     {"length", l.length}, {"length_units", l.length_units}});
  }
  j["lines"] = lines;
  json xfs = json::array();
  for (const auto& t : d.transformers) {
    json ws = json::array();
    for (const auto& w : t.windings) {
      ws.push_back({{"bus", bus(w.bus)}, {"nodes", w.nodes}, {"conn", ConnName(w.conn)},
                    {"kv", w.kv}, {"kva", w.kva}, {"pct_r", w.pct_r}, {"tap", w.tap}});
    }
    xfs.push_back({{"name", t.name}, {"bank", t.bank}, {"phases", t.phases},
                   {"xhl_pct", t.xhl_pct}, {"ppm_antifloat", t.ppm_antifloat},
                   {"windings", ws}});
  }
  j["transformers"] = xfs;
  json regs = json::array();
  for (const auto& r : d.regulators) {
    regs.push_back({{"name", r.name}, {"transformer", d.transformers[r.transformer].name},
                    {"winding", r.winding + 1}, {"vreg", r.vreg}, {"band", r.band},
                    {"ptratio", r.ptratio}, {"ctprim", r.ctprim}, {"r_ldc", r.r_ldc},
                    {"x_ldc", r.x_ldc}, {"delay_s", r.delay_s}, {"tap_step", r.tap_step},
                    {"min_tap", r.min_tap}, {"max_tap", r.max_tap}, {"tap", r.tap}});
  }
  j["regulators"] = regs;
  json loads = json::array();
  for (const auto& l : d.loads) {
    loads.push_back({{"name", l.name}, {"bus", bus(l.bus)}, {"nodes", l.nodes},
                     {"phases", l.phases}, {"conn", ConnName(l.conn)},
                     {"model", static_cast<int>(l.model)}, {"kv", l.kv}, {"kw", l.kw},
                     {"kvar", l.kvar}, {"vminpu", l.vminpu}, {"vmaxpu", l.vmaxpu},
                     {"vlowpu", l.vlowpu}});
  }
  j["loads"] = loads;
  json caps = json::array();
  for (const auto& c : d.capacitors) {
    caps.push_back({{"name", c.name}, {"bus", bus(c.bus)}, {"nodes", c.nodes},
                    {"phases", c.phases}, {"conn", ConnName(c.conn)}, {"kvar", c.kvar},
                    {"kv", c.kv}});
  }
  j["capacitors"] = caps;
  json srcs = json::array();
  for (const auto& s : d.sources) {
    srcs.push_back({{"name", s.name}, {"bus", bus(s.bus)}, {"nodes", s.nodes},
                    {"kind", s.kind == FeederSourceKind::kSubstation ? "substation" : "backup"},
                    {"kv_ll", s.kv_ll}, {"pu", s.pu}, {"angle_deg", s.angle_deg},
                    {"r1", s.r1}, {"x1", s.x1}, {"r0", s.r0}, {"x0", s.x0},
                    {"max_kva", s.max_kva}, {"tie_switch", s.tie_switch}});
  }
  j["sources"] = srcs;
  json ders = json::array();
  for (const auto& g : d.ders) {
    ders.push_back({{"name", g.name}, {"bus", bus(g.bus)}, {"nodes", g.nodes}, {"kva", g.kva},
                    {"p_kw", g.p_kw}, {"q_kvar", g.q_kvar}, {"x_ohm", g.x_ohm}});
  }
  j["ders"] = ders;
  return j.dump(indent);
}

namespace {

// Reads fields with errors that name the element and field.
class JsonReader {
 public:
  explicit JsonReader(std::string origin) : origin_(std::move(origin)) {}
  absl::Status status() const { return status_; }

  template <typename T>
  void Get(const json& o, const char* key, T* out, const std::string& where, bool required) {
    if (!status_.ok()) return;
    auto it = o.find(key);
    if (it == o.end()) {
      if (required) Fail(where, key, "is missing");
      return;
    }
    try {
      *out = it->get<T>();
    } catch (const std::exception& e) {
      Fail(where, key, absl::StrCat("has the wrong type (", e.what(), ")"));
    }
  }
  void Fail(const std::string& where, absl::string_view key, absl::string_view what) {
    if (status_.ok())
      status_ = absl::InvalidArgumentError(
          absl::StrCat(origin_, ": ", where, ": field '", key, "' ", what));
  }

 private:
  std::string origin_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<FeederData> FeederFromJson(absl::string_view text, absl::string_view origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": not valid JSON: ", e.what()));
  }
  if (!j.is_object() || j.value("format", "") != "gridrl-feeder-1")
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": not a gridrl feeder (expected \"format\": \"gridrl-feeder-1\")"));
  FeederData d;
  JsonReader r{std::string(origin)};
  r.Get(j, "name", &d.name, "feeder", true);
  r.Get(j, "provenance", &d.provenance, "feeder", false);
  r.Get(j, "notice", &d.notice, "feeder", false);
  r.Get(j, "base_freq_hz", &d.base_freq_hz, "feeder", false);
  r.Get(j, "voltage_bases_kv", &d.voltage_bases_kv, "feeder", false);
  if (!r.status().ok()) return r.status();
  auto arr = [&](const char* key) -> json {
    auto it = j.find(key);
    return it != j.end() && it->is_array() ? *it : json::array();
  };
  for (const auto& o : arr("buses")) {
    FeederBus b;
    r.Get(o, "name", &b.name, "buses[]", true);
    r.Get(o, "kv_base", &b.kv_base, "bus " + b.name, false);
    std::vector<double> xy;
    r.Get(o, "xy", &xy, "bus " + b.name, false);
    if (xy.size() == 2) {
      b.has_xy = true;
      b.x = xy[0];
      b.y = xy[1];
    }
    d.buses.push_back(b);
  }
  if (!r.status().ok()) return r.status();
  auto bus_ref = [&](const json& o, const char* key, const std::string& where) {
    std::string name;
    r.Get(o, key, &name, where, true);
    if (!r.status().ok()) return -1;
    int b = d.FindBus(name);
    if (b < 0) r.Fail(where, key, absl::StrCat("names unknown bus '", name, "'"));
    return b;
  };
  auto conn = [&](const json& o, const std::string& where) {
    std::string c = "wye";
    r.Get(o, "conn", &c, where, false);
    if (c != "wye" && c != "delta") r.Fail(where, "conn", "must be \"wye\" or \"delta\"");
    return c == "delta" ? FeederConn::kDelta : FeederConn::kWye;
  };
  for (const auto& o : arr("lines")) {
    FeederLine l;
    r.Get(o, "name", &l.name, "lines[]", true);
    std::string w = "line " + l.name;
    l.bus1 = bus_ref(o, "bus1", w);
    l.bus2 = bus_ref(o, "bus2", w);
    r.Get(o, "nodes1", &l.nodes1, w, true);
    r.Get(o, "nodes2", &l.nodes2, w, true);
    r.Get(o, "r_ohm", &l.r_ohm, w, true);
    r.Get(o, "x_ohm", &l.x_ohm, w, true);
    r.Get(o, "b_siemens", &l.b_siemens, w, true);
    r.Get(o, "switch", &l.is_switch, w, false);
    r.Get(o, "closed", &l.closed, w, false);
    r.Get(o, "norm_amps", &l.norm_amps, w, false);
    r.Get(o, "emerg_amps", &l.emerg_amps, w, false);
    r.Get(o, "linecode", &l.linecode, w, false);
    r.Get(o, "length", &l.length, w, false);
    r.Get(o, "length_units", &l.length_units, w, false);
    d.lines.push_back(l);
  }
  for (const auto& o : arr("transformers")) {
    FeederTransformer t;
    r.Get(o, "name", &t.name, "transformers[]", true);
    std::string w = "transformer " + t.name;
    r.Get(o, "bank", &t.bank, w, false);
    r.Get(o, "phases", &t.phases, w, false);
    r.Get(o, "xhl_pct", &t.xhl_pct, w, true);
    r.Get(o, "ppm_antifloat", &t.ppm_antifloat, w, false);
    auto it = o.find("windings");
    if (it != o.end() && it->is_array()) {
      for (const auto& wo : *it) {
        FeederWinding wd;
        wd.bus = bus_ref(wo, "bus", w);
        r.Get(wo, "nodes", &wd.nodes, w, true);
        wd.conn = conn(wo, w);
        r.Get(wo, "kv", &wd.kv, w, true);
        r.Get(wo, "kva", &wd.kva, w, true);
        r.Get(wo, "pct_r", &wd.pct_r, w, false);
        r.Get(wo, "tap", &wd.tap, w, false);
        t.windings.push_back(wd);
      }
    }
    d.transformers.push_back(t);
  }
  for (const auto& o : arr("regulators")) {
    FeederRegulator g;
    r.Get(o, "name", &g.name, "regulators[]", true);
    std::string w = "regulator " + g.name;
    std::string xf;
    r.Get(o, "transformer", &xf, w, true);
    g.transformer = d.FindTransformer(xf);
    if (r.status().ok() && g.transformer < 0)
      r.Fail(w, "transformer", absl::StrCat("names unknown transformer '", xf, "'"));
    int winding = 2;
    r.Get(o, "winding", &winding, w, false);
    g.winding = winding - 1;
    r.Get(o, "vreg", &g.vreg, w, false);
    r.Get(o, "band", &g.band, w, false);
    r.Get(o, "ptratio", &g.ptratio, w, false);
    r.Get(o, "ctprim", &g.ctprim, w, false);
    r.Get(o, "r_ldc", &g.r_ldc, w, false);
    r.Get(o, "x_ldc", &g.x_ldc, w, false);
    r.Get(o, "delay_s", &g.delay_s, w, false);
    r.Get(o, "tap_step", &g.tap_step, w, false);
    r.Get(o, "min_tap", &g.min_tap, w, false);
    r.Get(o, "max_tap", &g.max_tap, w, false);
    r.Get(o, "tap", &g.tap, w, false);
    d.regulators.push_back(g);
  }
  for (const auto& o : arr("loads")) {
    FeederLoad l;
    r.Get(o, "name", &l.name, "loads[]", true);
    std::string w = "load " + l.name;
    l.bus = bus_ref(o, "bus", w);
    r.Get(o, "nodes", &l.nodes, w, true);
    r.Get(o, "phases", &l.phases, w, false);
    l.conn = conn(o, w);
    int model = 1;
    r.Get(o, "model", &model, w, false);
    if (model != 1 && model != 2 && model != 5) r.Fail(w, "model", "must be 1, 2 or 5");
    l.model = static_cast<FeederLoadModel>(model);
    r.Get(o, "kv", &l.kv, w, true);
    r.Get(o, "kw", &l.kw, w, true);
    r.Get(o, "kvar", &l.kvar, w, true);
    r.Get(o, "vminpu", &l.vminpu, w, false);
    r.Get(o, "vmaxpu", &l.vmaxpu, w, false);
    r.Get(o, "vlowpu", &l.vlowpu, w, false);
    d.loads.push_back(l);
  }
  for (const auto& o : arr("capacitors")) {
    FeederCapacitor c;
    r.Get(o, "name", &c.name, "capacitors[]", true);
    std::string w = "capacitor " + c.name;
    c.bus = bus_ref(o, "bus", w);
    r.Get(o, "nodes", &c.nodes, w, true);
    r.Get(o, "phases", &c.phases, w, false);
    c.conn = conn(o, w);
    r.Get(o, "kvar", &c.kvar, w, true);
    r.Get(o, "kv", &c.kv, w, true);
    d.capacitors.push_back(c);
  }
  for (const auto& o : arr("sources")) {
    FeederSource s;
    r.Get(o, "name", &s.name, "sources[]", true);
    std::string w = "source " + s.name;
    s.bus = bus_ref(o, "bus", w);
    r.Get(o, "nodes", &s.nodes, w, false);
    std::string kind = "substation";
    r.Get(o, "kind", &kind, w, false);
    if (kind != "substation" && kind != "backup")
      r.Fail(w, "kind", "must be \"substation\" or \"backup\"");
    s.kind = kind == "backup" ? FeederSourceKind::kBackupFeeder : FeederSourceKind::kSubstation;
    r.Get(o, "kv_ll", &s.kv_ll, w, true);
    r.Get(o, "pu", &s.pu, w, false);
    r.Get(o, "angle_deg", &s.angle_deg, w, false);
    r.Get(o, "r1", &s.r1, w, false);
    r.Get(o, "x1", &s.x1, w, false);
    r.Get(o, "r0", &s.r0, w, false);
    r.Get(o, "x0", &s.x0, w, false);
    r.Get(o, "max_kva", &s.max_kva, w, false);
    r.Get(o, "tie_switch", &s.tie_switch, w, false);
    d.sources.push_back(s);
  }
  for (const auto& o : arr("ders")) {
    FeederDer g;
    r.Get(o, "name", &g.name, "ders[]", true);
    std::string w = "der " + g.name;
    g.bus = bus_ref(o, "bus", w);
    r.Get(o, "nodes", &g.nodes, w, false);
    r.Get(o, "kva", &g.kva, w, true);
    r.Get(o, "p_kw", &g.p_kw, w, false);
    r.Get(o, "q_kvar", &g.q_kvar, w, false);
    r.Get(o, "x_ohm", &g.x_ohm, w, false);
    d.ders.push_back(g);
  }
  if (!r.status().ok()) return r.status();
  if (absl::Status s = ValidateFeeder(d); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", s.message()));
  return d;
}

absl::StatusOr<FeederData> LoadFeederFile(const std::string& path) {
  if (absl::EndsWithIgnoreCase(path, ".dss")) return ReadDssFile(path);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open feeder file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return FeederFromJson(ss.str(), path);
}

absl::StatusOr<FeederData> LoadFeeder(absl::string_view name_or_path) {
  std::string arg(name_or_path);
  if (absl::EndsWithIgnoreCase(arg, ".dss") || absl::EndsWithIgnoreCase(arg, ".json") ||
      absl::StrContains(arg, "/")) {
    return LoadFeederFile(arg);
  }
  absl::StatusOr<std::string> path = DataFile(absl::StrCat("feeders/", arg, ".json"));
  if (!path.ok()) return path.status();
  return LoadFeederFile(*path);
}

// ---------------------------------------------------------------------------------------------
// Name resolution for users.

absl::StatusOr<std::vector<int>> FindRegulators(const FeederData& d, absl::string_view spec_in) {
  std::string spec = absl::AsciiStrToLower(spec_in);
  std::string base = spec, phase;
  if (size_t dot = spec.rfind('.'); dot != std::string::npos) {
    base = spec.substr(0, dot);
    phase = spec.substr(dot + 1);
  }
  if (absl::StartsWith(base, "rg")) base = "reg" + base.substr(2);
  int want_node = 0;
  if (!phase.empty()) {
    if (phase == "a" || phase == "1") want_node = 1;
    else if (phase == "b" || phase == "2") want_node = 2;
    else if (phase == "c" || phase == "3") want_node = 3;
    else
      return absl::InvalidArgumentError(
          absl::StrCat("regulator '", spec_in, "': phase must be a, b or c"));
  }
  std::vector<int> out;
  for (size_t i = 0; i < d.regulators.size(); ++i) {
    const auto& g = d.regulators[i];
    const auto& t = d.transformers[g.transformer];
    std::string tname = absl::AsciiStrToLower(t.name);
    std::string bank = absl::AsciiStrToLower(t.bank);
    std::string gname = absl::AsciiStrToLower(g.name);
    bool exact = gname == base || tname == base || ("c" + tname) == base;
    // "reg1" names the ganged 3-phase "reg1a" too (a bank of one).
    bool in_bank = (!bank.empty() && bank == base) ||
                   (tname.size() == base.size() + 1 && absl::StartsWith(tname, base));
    if (!exact && !in_bank) continue;
    if (want_node != 0 && !exact && t.phases == 1) {
      const auto& nodes = t.windings[g.winding].nodes;
      if (nodes.empty() || nodes[0] != want_node) continue;
    }
    out.push_back(static_cast<int>(i));
  }
  if (out.empty())
    return absl::NotFoundError(absl::StrCat("no regulator named '", spec_in,
                                            "' (try RG1, RG4.a, reg4a or creg4a)"));
  return out;
}

absl::StatusOr<int> FindSwitchLine(const FeederData& d, absl::string_view spec) {
  int l = d.FindLine(spec);
  if (l >= 0) return l;
  std::vector<std::string> parts = absl::StrSplit(absl::AsciiStrToLower(spec), '-');
  if (parts.size() == 2) {
    for (size_t i = 0; i < d.lines.size(); ++i) {
      const auto& ln = d.lines[i];
      if (!ln.is_switch) continue;
      const std::string& a = d.buses[ln.bus1].name;
      const std::string& b = d.buses[ln.bus2].name;
      if ((a == parts[0] && b == parts[1]) || (a == parts[1] && b == parts[0]))
        return static_cast<int>(i);
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no switch named '", spec, "' (give a line name like Sw7 or buses like 54-94)"));
}

absl::StatusOr<int> AddSwitch(FeederData* d, absl::string_view name, absl::string_view from_bus,
                              absl::string_view to_bus, bool closed) {
  int b1 = d->FindBus(from_bus);
  if (b1 < 0) return absl::NotFoundError(absl::StrCat("switch ", name, ": unknown bus ", from_bus));
  if (d->FindLine(name) >= 0)
    return absl::AlreadyExistsError(absl::StrCat("line ", name, " already exists"));
  int b2 = d->AddBus(to_bus);
  FeederLine l;
  l.name = std::string(name);
  l.bus1 = b1;
  l.bus2 = b2;
  l.nodes1 = l.nodes2 = {1, 2, 3};
  // r1 = r0 = 0.001 ohm per unit length, length 0.001: 1e-6 ohm per phase, no mutual.
  l.r_ohm.assign(9, 0.0);
  l.x_ohm.assign(9, 0.0);
  l.b_siemens.assign(9, 0.0);
  for (int k = 0; k < 3; ++k) l.r_ohm[k * 4] = 1e-6;
  l.is_switch = true;
  l.closed = closed;
  l.length = 0.001;
  l.length_units = "none";
  if (d->buses[b2].kv_base == 0) d->buses[b2].kv_base = d->buses[b1].kv_base;
  d->lines.push_back(l);
  return static_cast<int>(d->lines.size()) - 1;
}

}  // namespace gridrl::powerflow
