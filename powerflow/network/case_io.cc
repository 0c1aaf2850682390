#include "powerflow/network/case_io.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "powerflow/network/data_path.h"
#include "powerflow/network/matpower_reader.h"

namespace gridrl::powerflow {
namespace {

using json = nlohmann::ordered_json;

json Num(double v) {
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

class JsonReader {
 public:
  explicit JsonReader(std::string source) : source_(std::move(source)) {}

  absl::Status Error(const std::string& path, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", path, ": ", what));
  }

  absl::StatusOr<double> Double(const json& obj, const std::string& path, const char* key,
                                std::optional<double> fallback = std::nullopt) const {
    auto it = obj.find(key);
    std::string p = absl::StrCat(path, ".", key);
    if (it == obj.end()) {
      if (fallback) return *fallback;
      return Error(p, "missing");
    }
    if (it->is_number()) return it->get<double>();
    if (it->is_string()) {
      const std::string s = it->get<std::string>();
      if (s == "inf") return std::numeric_limits<double>::infinity();
      if (s == "-inf") return -std::numeric_limits<double>::infinity();
    }
    return Error(p, absl::StrCat("expected a number (or \"inf\"/\"-inf\"), got ", it->dump()));
  }

  absl::StatusOr<int> Int(const json& obj, const std::string& path, const char* key,
                          std::optional<int> fallback = std::nullopt) const {
    auto it = obj.find(key);
    std::string p = absl::StrCat(path, ".", key);
    if (it == obj.end()) {
      if (fallback) return *fallback;
      return Error(p, "missing");
    }
    if (it->is_number_integer()) return it->get<int>();
    if (it->is_number_float()) {
      double d = it->get<double>();
      if (d == std::floor(d) && std::fabs(d) < 2e9) return static_cast<int>(d);
    }
    return Error(p, absl::StrCat("expected an integer, got ", it->dump()));
  }

  absl::StatusOr<bool> Bool(const json& obj, const std::string& path, const char* key,
                            bool fallback) const {
    auto it = obj.find(key);
    if (it == obj.end()) return fallback;
    if (it->is_boolean()) return it->get<bool>();
    return Error(absl::StrCat(path, ".", key), absl::StrCat("expected true/false, got ", it->dump()));
  }

  absl::StatusOr<const json*> Array(const json& root, const char* key, bool required) const {
    auto it = root.find(key);
    if (it == root.end()) {
      if (required) return Error(key, "missing array");
      return nullptr;
    }
    if (!it->is_array()) return Error(key, "expected an array");
    return &*it;
  }

 private:
  std::string source_;
};

#define GRIDRL_ASSIGN(lhs, expr)        \
  do {                                  \
    auto _v = (expr);                   \
    if (!_v.ok()) return _v.status();   \
    lhs = *_v;                          \
  } while (0)

}  // namespace

const std::vector<std::string>& BuiltinCaseNames() {
  static const auto* names =
      new std::vector<std::string>{"rts96", "rts_gmlc", "case70da", "case33bw", "case69"};
  return *names;
}

bool IsBuiltinCaseName(std::string_view name) {
  for (const auto& n : BuiltinCaseNames()) {
    if (n == name) return true;
  }
  return false;
}

std::string CaseToJson(const Network& net) {
  json root;
  root["format"] = std::string(kCaseFormat);
  root["name"] = net.name;
  root["source"] = net.source;
  if (!net.notice.empty()) root["notice"] = net.notice;
  root["base_mva"] = net.base_mva;
  json buses = json::array();
  for (const Bus& b : net.buses) {
    buses.push_back({{"id", b.id}, {"type", static_cast<int>(b.type)}, {"pd_mw", b.pd_mw},
                     {"qd_mvar", b.qd_mvar}, {"gs_mw", b.gs_mw}, {"bs_mvar", b.bs_mvar},
                     {"area", b.area}, {"vm_pu", b.vm_pu}, {"va_deg", b.va_deg},
                     {"base_kv", b.base_kv}, {"zone", b.zone}, {"vmax_pu", Num(b.vmax_pu)},
                     {"vmin_pu", Num(b.vmin_pu)}});
  }
  root["buses"] = std::move(buses);
  json gens = json::array();
  for (const Generator& g : net.gens) {
    gens.push_back({{"bus", g.bus_id}, {"pg_mw", g.pg_mw}, {"qg_mvar", g.qg_mvar},
                    {"qmax_mvar", Num(g.qmax_mvar)}, {"qmin_mvar", Num(g.qmin_mvar)},
                    {"vg_pu", g.vg_pu}, {"mbase_mva", g.mbase_mva}, {"in_service", g.in_service},
                    {"pmax_mw", Num(g.pmax_mw)}, {"pmin_mw", Num(g.pmin_mw)}});
  }
  root["gens"] = std::move(gens);
  json branches = json::array();
  for (const Branch& br : net.branches) {
    branches.push_back({{"from", br.from_id}, {"to", br.to_id}, {"r_pu", br.r_pu},
                        {"x_pu", br.x_pu}, {"b_pu", br.b_pu}, {"rate_a_mva", Num(br.rate_a_mva)},
                        {"rate_b_mva", Num(br.rate_b_mva)}, {"rate_c_mva", Num(br.rate_c_mva)},
                        {"tap", br.tap}, {"shift_deg", br.shift_deg},
                        {"in_service", br.in_service}, {"angmin_deg", Num(br.angmin_deg)},
                        {"angmax_deg", Num(br.angmax_deg)}});
  }
  root["branches"] = std::move(branches);
  json costs = json::array();
  for (const GenCost& c : net.gencost) {
    json params = json::array();
    for (double p : c.params) params.push_back(Num(p));
    costs.push_back({{"model", c.model}, {"startup", c.startup}, {"shutdown", c.shutdown},
                     {"params", std::move(params)}});
  }
  root["gencost"] = std::move(costs);
  json areas = json::array();
  for (const Area& a : net.areas) areas.push_back({{"id", a.id}, {"ref_bus", a.ref_bus_id}});
  root["areas"] = std::move(areas);
  json dcl = json::array();
  for (const DcLine& d : net.dclines) {
    dcl.push_back({{"from", d.from_id}, {"to", d.to_id}, {"in_service", d.in_service},
                   {"pf_mw", d.pf_mw}, {"pt_mw", d.pt_mw}, {"qf_mvar", d.qf_mvar},
                   {"qt_mvar", d.qt_mvar}, {"vf_pu", d.vf_pu}, {"vt_pu", d.vt_pu},
                   {"pmin_mw", Num(d.pmin_mw)}, {"pmax_mw", Num(d.pmax_mw)},
                   {"qminf_mvar", Num(d.qminf_mvar)}, {"qmaxf_mvar", Num(d.qmaxf_mvar)},
                   {"qmint_mvar", Num(d.qmint_mvar)}, {"qmaxt_mvar", Num(d.qmaxt_mvar)},
                   {"loss0_mw", d.loss0_mw}, {"loss1", d.loss1}});
  }
  root["dclines"] = std::move(dcl);
  return root.dump(1) + "\n";
}

absl::StatusOr<Network> CaseFromJsonImpl(std::string_view text, std::string_view source_name);

absl::StatusOr<Network> CaseFromJson(std::string_view text, std::string_view source_name) {
  // Malformed input is an error value, never an exception escaping the reader.
  try {
    return CaseFromJsonImpl(text, source_name);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(source_name), ": ", e.what()));
  }
}

absl::StatusOr<Network> CaseFromJsonImpl(std::string_view text, std::string_view source_name) {
  std::string source(source_name);
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // Re-parse with exceptions only to get the position of the syntax error.
    try {
      json ignored = json::parse(text);
      (void)ignored;
    } catch (const json::exception& e) {  // parse_error, or out_of_range for huge numbers
      return absl::InvalidArgumentError(absl::StrCat(source, ": invalid JSON: ", e.what()));
    }
    return absl::InvalidArgumentError(absl::StrCat(source, ": invalid JSON"));
  }
  if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(source, ": expected a JSON object"));
  JsonReader r(source);
  if (auto it = root.find("format"); it == root.end() || *it != std::string(kCaseFormat)) {
    return r.Error("format", absl::StrCat("expected \"", std::string(kCaseFormat), "\""));
  }
  Network net;
  net.source = source;
  if (auto it = root.find("name"); it != root.end() && it->is_string()) net.name = it->get<std::string>();
  if (auto it = root.find("notice"); it != root.end() && it->is_string()) net.notice = it->get<std::string>();
  GRIDRL_ASSIGN(net.base_mva, r.Double(root, "", "base_mva"));

  const json* arr = nullptr;
  GRIDRL_ASSIGN(arr, r.Array(root, "buses", true));
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& o = (*arr)[i];
    std::string p = absl::StrCat("buses[", i, "]");
    if (!o.is_object()) return r.Error(p, "expected an object");
    Bus b;
    int type = 1;
    GRIDRL_ASSIGN(b.id, r.Int(o, p, "id"));
    GRIDRL_ASSIGN(type, r.Int(o, p, "type", 1));
    if (type < 1 || type > 4) return r.Error(p + ".type", "must be 1, 2, 3 or 4");
    b.type = static_cast<BusType>(type);
    GRIDRL_ASSIGN(b.pd_mw, r.Double(o, p, "pd_mw", 0.0));
    GRIDRL_ASSIGN(b.qd_mvar, r.Double(o, p, "qd_mvar", 0.0));
    GRIDRL_ASSIGN(b.gs_mw, r.Double(o, p, "gs_mw", 0.0));
    GRIDRL_ASSIGN(b.bs_mvar, r.Double(o, p, "bs_mvar", 0.0));
    GRIDRL_ASSIGN(b.area, r.Int(o, p, "area", 1));
    GRIDRL_ASSIGN(b.vm_pu, r.Double(o, p, "vm_pu", 1.0));
    GRIDRL_ASSIGN(b.va_deg, r.Double(o, p, "va_deg", 0.0));
    GRIDRL_ASSIGN(b.base_kv, r.Double(o, p, "base_kv", 0.0));
    GRIDRL_ASSIGN(b.zone, r.Int(o, p, "zone", 1));
    GRIDRL_ASSIGN(b.vmax_pu, r.Double(o, p, "vmax_pu", 1.1));
    GRIDRL_ASSIGN(b.vmin_pu, r.Double(o, p, "vmin_pu", 0.9));
    net.buses.push_back(b);
  }
  GRIDRL_ASSIGN(arr, r.Array(root, "gens", true));
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& o = (*arr)[i];
    std::string p = absl::StrCat("gens[", i, "]");
    if (!o.is_object()) return r.Error(p, "expected an object");
    Generator g;
    GRIDRL_ASSIGN(g.bus_id, r.Int(o, p, "bus"));
    GRIDRL_ASSIGN(g.pg_mw, r.Double(o, p, "pg_mw", 0.0));
    GRIDRL_ASSIGN(g.qg_mvar, r.Double(o, p, "qg_mvar", 0.0));
    GRIDRL_ASSIGN(g.qmax_mvar, r.Double(o, p, "qmax_mvar", std::numeric_limits<double>::infinity()));
    GRIDRL_ASSIGN(g.qmin_mvar, r.Double(o, p, "qmin_mvar", -std::numeric_limits<double>::infinity()));
    GRIDRL_ASSIGN(g.vg_pu, r.Double(o, p, "vg_pu", 1.0));
    GRIDRL_ASSIGN(g.mbase_mva, r.Double(o, p, "mbase_mva", net.base_mva));
    GRIDRL_ASSIGN(g.in_service, r.Bool(o, p, "in_service", true));
    GRIDRL_ASSIGN(g.pmax_mw, r.Double(o, p, "pmax_mw", std::numeric_limits<double>::infinity()));
    GRIDRL_ASSIGN(g.pmin_mw, r.Double(o, p, "pmin_mw", 0.0));
    net.gens.push_back(g);
  }
  GRIDRL_ASSIGN(arr, r.Array(root, "branches", true));
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& o = (*arr)[i];
    std::string p = absl::StrCat("branches[", i, "]");
    if (!o.is_object()) return r.Error(p, "expected an object");
    Branch br;
    GRIDRL_ASSIGN(br.from_id, r.Int(o, p, "from"));
    GRIDRL_ASSIGN(br.to_id, r.Int(o, p, "to"));
    GRIDRL_ASSIGN(br.r_pu, r.Double(o, p, "r_pu"));
    GRIDRL_ASSIGN(br.x_pu, r.Double(o, p, "x_pu"));
    GRIDRL_ASSIGN(br.b_pu, r.Double(o, p, "b_pu", 0.0));
    GRIDRL_ASSIGN(br.rate_a_mva, r.Double(o, p, "rate_a_mva", 0.0));
    GRIDRL_ASSIGN(br.rate_b_mva, r.Double(o, p, "rate_b_mva", 0.0));
    GRIDRL_ASSIGN(br.rate_c_mva, r.Double(o, p, "rate_c_mva", 0.0));
    GRIDRL_ASSIGN(br.tap, r.Double(o, p, "tap", 0.0));
    GRIDRL_ASSIGN(br.shift_deg, r.Double(o, p, "shift_deg", 0.0));
    GRIDRL_ASSIGN(br.in_service, r.Bool(o, p, "in_service", true));
    GRIDRL_ASSIGN(br.angmin_deg, r.Double(o, p, "angmin_deg", -360.0));
    GRIDRL_ASSIGN(br.angmax_deg, r.Double(o, p, "angmax_deg", 360.0));
    net.branches.push_back(br);
  }
  GRIDRL_ASSIGN(arr, r.Array(root, "gencost", false));
  if (arr != nullptr) {
    for (size_t i = 0; i < arr->size(); ++i) {
      const json& o = (*arr)[i];
      std::string p = absl::StrCat("gencost[", i, "]");
      if (!o.is_object()) return r.Error(p, "expected an object");
      GenCost c;
      GRIDRL_ASSIGN(c.model, r.Int(o, p, "model"));
      GRIDRL_ASSIGN(c.startup, r.Double(o, p, "startup", 0.0));
      GRIDRL_ASSIGN(c.shutdown, r.Double(o, p, "shutdown", 0.0));
      auto it = o.find("params");
      if (it == o.end() || !it->is_array()) return r.Error(p + ".params", "expected an array");
      for (size_t k = 0; k < it->size(); ++k) {
        if (!(*it)[k].is_number()) return r.Error(absl::StrCat(p, ".params[", k, "]"), "expected a number");
        c.params.push_back((*it)[k].get<double>());
      }
      net.gencost.push_back(std::move(c));
    }
  }
  GRIDRL_ASSIGN(arr, r.Array(root, "areas", false));
  if (arr != nullptr) {
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string p = absl::StrCat("areas[", i, "]");
      Area a;
      GRIDRL_ASSIGN(a.id, r.Int((*arr)[i], p, "id"));
      GRIDRL_ASSIGN(a.ref_bus_id, r.Int((*arr)[i], p, "ref_bus"));
      net.areas.push_back(a);
    }
  }
  GRIDRL_ASSIGN(arr, r.Array(root, "dclines", false));
  if (arr != nullptr) {
    for (size_t i = 0; i < arr->size(); ++i) {
      const json& o = (*arr)[i];
      std::string p = absl::StrCat("dclines[", i, "]");
      if (!o.is_object()) return r.Error(p, "expected an object");
      DcLine d;
      GRIDRL_ASSIGN(d.from_id, r.Int(o, p, "from"));
      GRIDRL_ASSIGN(d.to_id, r.Int(o, p, "to"));
      GRIDRL_ASSIGN(d.in_service, r.Bool(o, p, "in_service", true));
      GRIDRL_ASSIGN(d.pf_mw, r.Double(o, p, "pf_mw", 0.0));
      GRIDRL_ASSIGN(d.pt_mw, r.Double(o, p, "pt_mw", 0.0));
      GRIDRL_ASSIGN(d.qf_mvar, r.Double(o, p, "qf_mvar", 0.0));
      GRIDRL_ASSIGN(d.qt_mvar, r.Double(o, p, "qt_mvar", 0.0));
      GRIDRL_ASSIGN(d.vf_pu, r.Double(o, p, "vf_pu", 1.0));
      GRIDRL_ASSIGN(d.vt_pu, r.Double(o, p, "vt_pu", 1.0));
      GRIDRL_ASSIGN(d.pmin_mw, r.Double(o, p, "pmin_mw", 0.0));
      GRIDRL_ASSIGN(d.pmax_mw, r.Double(o, p, "pmax_mw", 0.0));
      GRIDRL_ASSIGN(d.qminf_mvar, r.Double(o, p, "qminf_mvar", 0.0));
      GRIDRL_ASSIGN(d.qmaxf_mvar, r.Double(o, p, "qmaxf_mvar", 0.0));
      GRIDRL_ASSIGN(d.qmint_mvar, r.Double(o, p, "qmint_mvar", 0.0));
      GRIDRL_ASSIGN(d.qmaxt_mvar, r.Double(o, p, "qmaxt_mvar", 0.0));
      GRIDRL_ASSIGN(d.loss0_mw, r.Double(o, p, "loss0_mw", 0.0));
      GRIDRL_ASSIGN(d.loss1, r.Double(o, p, "loss1", 0.0));
      net.dclines.push_back(d);
    }
  }
  if (auto s = net.Validate(); !s.ok()) return s;
  return net;
}

absl::StatusOr<Network> ReadCaseJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open case file '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto net = CaseFromJson(ss.str(), path);
  if (net.ok() && net->name.empty()) net->name = std::filesystem::path(path).stem().string();
  return net;
}

absl::Status WriteCaseJsonFile(const Network& net, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write '", path, "'"));
  out << CaseToJson(net);
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("error writing '", path, "'"));
  return absl::OkStatus();
}

absl::StatusOr<Network> LoadCase(std::string_view name_or_path) {
  std::string arg(name_or_path);
  if (absl::EndsWith(arg, ".m")) return ReadMatpowerFile(arg);
  if (absl::EndsWith(arg, ".json")) return ReadCaseJsonFile(arg);
  if (IsBuiltinCaseName(arg)) {
    auto path = DataFile(absl::StrCat("cases/", arg, ".json"));
    if (!path.ok()) return path.status();
    auto net = ReadCaseJsonFile(*path);
    if (net.ok()) net->name = arg;
    return net;
  }
  return absl::NotFoundError(absl::StrCat("unknown case '", arg, "': expected one of ",
                                          absl::StrJoin(BuiltinCaseNames(), ", "),
                                          ", or a path ending in .json or .m"));
}

}  // namespace gridrl::powerflow
