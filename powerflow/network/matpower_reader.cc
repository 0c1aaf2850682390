#include "powerflow/network/matpower_reader.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gridrl::powerflow {
namespace {

struct Row {
  int line = 0;
  std::vector<double> values;
};

struct Matrix {
  int line = 0;  // line of the assignment
  std::vector<Row> rows;
};

constexpr const char* kBusFields[] = {"bus_i", "type", "Pd", "Qd", "Gs",   "Bs",  "area",
                                      "Vm",    "Va",   "baseKV", "zone", "Vmax", "Vmin"};
constexpr const char* kGenFields[] = {"bus",  "Pg",     "Qg",     "Qmax", "Qmin",
                                      "Vg",   "mBase",  "status", "Pmax", "Pmin"};
constexpr const char* kBranchFields[] = {"fbus",  "tbus",  "r",     "x",      "b",
                                         "rateA", "rateB", "rateC", "ratio",  "angle",
                                         "status", "angmin", "angmax"};
constexpr const char* kDcLineFields[] = {"fbus", "tbus",  "status", "Pf",    "Pt",    "Qf",
                                         "Qt",   "Vf",    "Vt",     "Pmin",  "Pmax",  "QminF",
                                         "QmaxF", "QminT", "QmaxT", "loss0", "loss1"};

// Removes a MATPOWER comment (from '%' outside a quoted string to the end of the line).
std::string_view StripComment(std::string_view line) {
  bool in_quote = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\'') in_quote = !in_quote;
    if (c == '%' && !in_quote) return line.substr(0, i);
  }
  return line;
}

// Integer value of a field that is an integer by convention (area, zone, model, n); values that
// cannot be an int map to `fallback` instead of an undefined conversion.
int ToIntOr(double v, int fallback) {
  if (!std::isfinite(v) || std::fabs(v) > 2e9) return fallback;
  return static_cast<int>(v);
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && absl::ascii_isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && absl::ascii_isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string RemoveSpaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

bool ParseNumber(std::string_view tok, double* out) {
  std::string t(tok);
  std::string lower = absl::AsciiStrToLower(t);
  if (lower == "inf" || lower == "+inf") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "-inf") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end != t.c_str() && *end == '\0';
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : source_(source) {
    for (absl::string_view l : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
      lines_.emplace_back(l.data(), l.size());
    }
  }

  absl::StatusOr<Network> Run(MatpowerReadInfo* info) {
    Network net;
    net.source = source_;
    bool have_base = false;
    bool vbase_defined = false, sbase_defined = false;
    bool convert_ohms = false, convert_kw = false;
    for (size_t li = 0; li < lines_.size(); ++li) {
      const int line_no = static_cast<int>(li) + 1;
      std::string stmt = Trim(StripComment(lines_[li]));
      if (stmt.empty()) continue;
      // Join "..." continuation lines.
      while (absl::EndsWith(stmt, "...") && li + 1 < lines_.size()) {
        stmt.resize(stmt.size() - 3);
        ++li;
        stmt += " ";
        stmt += Trim(StripComment(lines_[li]));
      }
      std::string compact = RemoveSpaces(stmt);
      if (absl::StartsWith(compact, "function")) continue;
      if (absl::StartsWith(compact, "[") &&
          (absl::EndsWith(compact, "=idx_bus;") || absl::EndsWith(compact, "=idx_brch;") ||
           absl::EndsWith(compact, "=idx_gen;") || absl::EndsWith(compact, "=idx_cost;") ||
           absl::EndsWith(compact, "=idx_dcline;"))) {
        continue;  // column-name constants for the conversion block
      }
      if (compact == "Vbase=mpc.bus(1,BASE_KV)*1e3;") {
        vbase_defined = true;
        continue;
      }
      if (compact == "Sbase=mpc.baseMVA*1e6;") {
        sbase_defined = true;
        continue;
      }
      if (compact == "mpc.branch(:,[BR_RBR_X])=mpc.branch(:,[BR_RBR_X])/(Vbase^2/Sbase);") {
        if (!vbase_defined || !sbase_defined) {
          return Error(line_no, "ohm-to-per-unit conversion uses Vbase/Sbase before they are set");
        }
        convert_ohms = true;
        continue;
      }
      if (compact == "mpc.bus(:,[PD,QD])=mpc.bus(:,[PD,QD])/1e3;") {
        convert_kw = true;
        continue;
      }
      if (!absl::StartsWith(compact, "mpc.")) {
        return Error(line_no, absl::StrCat("unsupported statement '", stmt,
                                           "' (only mpc.* data and the standard kW/ohm "
                                           "conversion block are understood)"));
      }
      size_t eq = compact.find('=');
      if (eq == std::string::npos) return Error(line_no, absl::StrCat("expected '=' in '", stmt, "'"));
      std::string field = compact.substr(4, eq - 4);
      std::string rhs = compact.substr(eq + 1);
      if (field.find('(') != std::string::npos) {
        return Error(line_no, absl::StrCat("unsupported indexed assignment '", stmt, "'"));
      }
      if (absl::StartsWith(rhs, "[")) {
        // Matrix: read rows from the remainder of this line and following lines until ']'.
        size_t open = stmt.find('[');
        auto m = ReadMatrix(li, open + 1, field);
        if (!m.ok()) return m.status();
        li = matrix_end_line_;
        matrices_[field] = *std::move(m);
        continue;
      }
      if (absl::StartsWith(rhs, "{")) {
        // Cell arrays (bus_name, gen_name): skipped up to the closing brace.
        while (li < lines_.size() &&
               StripComment(lines_[li]).find('}') == std::string_view::npos) {
          ++li;
        }
        if (li >= lines_.size()) return Error(line_no, absl::StrCat("unterminated '{' for mpc.", field));
        continue;
      }
      std::string value = std::string(absl::StripSuffix(rhs, ";"));
      if (field == "baseMVA") {
        double v;
        if (!ParseNumber(value, &v)) return Error(line_no, absl::StrCat("baseMVA: not a number: '", value, "'"));
        net.base_mva = v;
        have_base = true;
      } else if (field == "version") {
        if (value != "'2'" && value != "2") {
          return Error(line_no, absl::StrCat("version: only MATPOWER case format 2 is supported, got ", value));
        }
      }
      // Other scalar fields are ignored.
    }
    if (!have_base) return FileError("missing mpc.baseMVA");
    for (const char* need : {"bus", "gen", "branch"}) {
      if (!matrices_.contains(need)) return FileError(absl::StrCat("missing mpc.", need, " matrix"));
    }
    if (auto s = FillBuses(net); !s.ok()) return s;
    if (auto s = FillGens(net); !s.ok()) return s;
    if (auto s = FillBranches(net); !s.ok()) return s;
    if (auto s = FillOthers(net); !s.ok()) return s;
    if (convert_ohms) {
      const double vbase = net.buses[0].base_kv * 1e3;
      const double sbase = net.base_mva * 1e6;
      if (!(vbase > 0)) return FileError("ohm conversion needs a positive baseKV on the first bus");
      const double zbase = vbase * vbase / sbase;
      for (Branch& br : net.branches) {
        br.r_pu /= zbase;
        br.x_pu /= zbase;
      }
      if (info) info->conversions.push_back(absl::StrCat("branch r, x: ohms -> pu (Zbase ", zbase, " ohm)"));
    }
    if (convert_kw) {
      for (Bus& b : net.buses) {
        b.pd_mw /= 1e3;
        b.qd_mvar /= 1e3;
      }
      if (info) info->conversions.push_back("bus Pd, Qd: kW, kVAr -> MW, MVAr");
    }
    if (auto s = net.Validate(); !s.ok()) return s;
    return net;
  }

 private:
  absl::Status Error(int line, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line, ": ", what));
  }
  absl::Status FileError(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", what));
  }

  absl::StatusOr<Matrix> ReadMatrix(size_t start_line, size_t start_col, const std::string& field) {
    Matrix m;
    m.line = static_cast<int>(start_line) + 1;
    std::vector<double> current;
    int current_line = 0;
    auto flush = [&]() {
      if (!current.empty()) m.rows.push_back(Row{current_line, std::move(current)});
      current.clear();
    };
    for (size_t li = start_line; li < lines_.size(); ++li) {
      std::string_view content = StripComment(lines_[li]);
      if (li == start_line) content = content.substr(std::min(start_col, content.size()));
      size_t i = 0;
      while (i < content.size()) {
        char c = content[i];
        if (c == ']') {
          flush();
          matrix_end_line_ = li;
          return m;
        }
        if (c == ';') {
          flush();
          ++i;
          continue;
        }
        if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == ',') {
          ++i;
          continue;
        }
        size_t j = i;
        while (j < content.size() && !absl::ascii_isspace(static_cast<unsigned char>(content[j])) &&
               content[j] != ',' && content[j] != ';' && content[j] != ']') {
          ++j;
        }
        std::string_view tok = content.substr(i, j - i);
        double v;
        if (!ParseNumber(tok, &v)) {
          return Error(static_cast<int>(li) + 1,
                       absl::StrCat("mpc.", field, ": '", std::string(tok), "' is not a number"));
        }
        if (current.empty()) current_line = static_cast<int>(li) + 1;
        current.push_back(v);
        i = j;
      }
      flush();  // a newline ends a row too
    }
    return Error(m.line, absl::StrCat("mpc.", field, ": missing closing ']'"));
  }

  absl::Status CheckWidth(const std::string& table, const Row& row, size_t min_cols,
                          const char* const* names) const {
    if (row.values.size() < min_cols) {
      return Error(row.line, absl::StrCat("mpc.", table, ": row has ", row.values.size(),
                                          " columns, need at least ", min_cols, " (missing field ",
                                          names[row.values.size()], ")"));
    }
    for (size_t c = 0; c < min_cols; ++c) {
      if (std::isnan(row.values[c])) {
        return Error(row.line, absl::StrCat("mpc.", table, ": field ", names[c], " is NaN"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int> Int(const std::string& table, const Row& row, size_t col,
                          const char* const* names) const {
    double v = row.values[col];
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 2e9) {
      return Error(row.line, absl::StrCat("mpc.", table, ": field ", names[col],
                                          " must be an integer, got ", v));
    }
    return static_cast<int>(v);
  }

  absl::Status FillBuses(Network& net) {
    for (const Row& r : matrices_["bus"].rows) {
      if (auto s = CheckWidth("bus", r, 13, kBusFields); !s.ok()) return s;
      const auto& v = r.values;
      Bus b;
      auto id = Int("bus", r, 0, kBusFields);
      if (!id.ok()) return id.status();
      auto type = Int("bus", r, 1, kBusFields);
      if (!type.ok()) return type.status();
      if (*type < 1 || *type > 4) {
        return Error(r.line, absl::StrCat("mpc.bus: field type must be 1, 2, 3 or 4, got ", *type));
      }
      if (*id <= 0) return Error(r.line, absl::StrCat("mpc.bus: field bus_i must be positive, got ", *id));
      b.id = *id;
      b.type = static_cast<BusType>(*type);
      b.pd_mw = v[2];
      b.qd_mvar = v[3];
      b.gs_mw = v[4];
      b.bs_mvar = v[5];
      b.area = ToIntOr(v[6], 0);
      b.vm_pu = v[7];
      b.va_deg = v[8];
      b.base_kv = v[9];
      b.zone = ToIntOr(v[10], 0);
      b.vmax_pu = v[11];
      b.vmin_pu = v[12];
      net.buses.push_back(b);
      bus_line_[b.id] = r.line;
      if (bus_line_.size() != net.buses.size()) {
        return Error(r.line, absl::StrCat("mpc.bus: field bus_i: duplicate bus number ", b.id));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckBus(const std::string& table, const Row& row, int id, const char* field) const {
    if (!bus_line_.contains(id)) {
      return Error(row.line, absl::StrCat("mpc.", table, ": field ", field, " refers to bus ", id,
                                          " which is not in mpc.bus"));
    }
    return absl::OkStatus();
  }

  absl::Status FillGens(Network& net) {
    for (const Row& r : matrices_["gen"].rows) {
      if (auto s = CheckWidth("gen", r, 10, kGenFields); !s.ok()) return s;
      const auto& v = r.values;
      auto bus = Int("gen", r, 0, kGenFields);
      if (!bus.ok()) return bus.status();
      if (auto s = CheckBus("gen", r, *bus, "bus"); !s.ok()) return s;
      Generator g;
      g.bus_id = *bus;
      g.pg_mw = v[1];
      g.qg_mvar = v[2];
      g.qmax_mvar = v[3];
      g.qmin_mvar = v[4];
      g.vg_pu = v[5];
      g.mbase_mva = v[6];
      g.in_service = v[7] > 0;
      g.pmax_mw = v[8];
      g.pmin_mw = v[9];
      if (!(g.vg_pu > 0) || !std::isfinite(g.vg_pu)) {
        return Error(r.line, absl::StrCat("mpc.gen: field Vg must be positive, got ", g.vg_pu));
      }
      net.gens.push_back(g);
    }
    return absl::OkStatus();
  }

  absl::Status FillBranches(Network& net) {
    for (const Row& r : matrices_["branch"].rows) {
      if (auto s = CheckWidth("branch", r, 11, kBranchFields); !s.ok()) return s;
      const auto& v = r.values;
      auto f = Int("branch", r, 0, kBranchFields);
      if (!f.ok()) return f.status();
      auto t = Int("branch", r, 1, kBranchFields);
      if (!t.ok()) return t.status();
      if (auto s = CheckBus("branch", r, *f, "fbus"); !s.ok()) return s;
      if (auto s = CheckBus("branch", r, *t, "tbus"); !s.ok()) return s;
      Branch br;
      br.from_id = *f;
      br.to_id = *t;
      br.r_pu = v[2];
      br.x_pu = v[3];
      br.b_pu = v[4];
      br.rate_a_mva = v[5];
      br.rate_b_mva = v[6];
      br.rate_c_mva = v[7];
      br.tap = v[8];
      br.shift_deg = v[9];
      br.in_service = v[10] > 0;
      if (v.size() >= 13) {
        br.angmin_deg = v[11];
        br.angmax_deg = v[12];
      }
      if (br.r_pu == 0 && br.x_pu == 0) {
        return Error(r.line, "mpc.branch: fields r and x are both zero (zero impedance)");
      }
      if (br.tap < 0) return Error(r.line, absl::StrCat("mpc.branch: field ratio must be >= 0, got ", br.tap));
      if (br.from_id == br.to_id) return Error(r.line, "mpc.branch: fields fbus and tbus are the same bus");
      net.branches.push_back(br);
    }
    return absl::OkStatus();
  }

  absl::Status FillOthers(Network& net) {
    if (auto it = matrices_.find("gencost"); it != matrices_.end()) {
      for (const Row& r : it->second.rows) {
        if (r.values.size() < 4) {
          return Error(r.line, "mpc.gencost: row needs at least model, startup, shutdown, n");
        }
        GenCost c;
        c.model = ToIntOr(r.values[0], 0);
        if (c.model != 1 && c.model != 2) {
          return Error(r.line, absl::StrCat("mpc.gencost: field model must be 1 or 2, got ", r.values[0]));
        }
        c.startup = r.values[1];
        c.shutdown = r.values[2];
        const int n = ToIntOr(r.values[3], -1);
        const size_t need = 4 + static_cast<size_t>(c.model == 1 ? 2 * n : n);
        if (n < 0 || r.values.size() < need) {
          return Error(r.line, absl::StrCat("mpc.gencost: field n = ", n, " needs ", need,
                                            " columns, row has ", r.values.size()));
        }
        c.params.assign(r.values.begin() + 4, r.values.begin() + need);
        net.gencost.push_back(std::move(c));
      }
    }
    if (auto it = matrices_.find("areas"); it != matrices_.end()) {
      for (const Row& r : it->second.rows) {
        if (r.values.size() < 2) return Error(r.line, "mpc.areas: row needs area and refbus");
        net.areas.push_back(Area{ToIntOr(r.values[0], 0), ToIntOr(r.values[1], 0)});
      }
    }
    if (auto it = matrices_.find("dcline"); it != matrices_.end()) {
      for (const Row& r : it->second.rows) {
        if (auto s = CheckWidth("dcline", r, 17, kDcLineFields); !s.ok()) return s;
        const auto& v = r.values;
        auto f = Int("dcline", r, 0, kDcLineFields);
        if (!f.ok()) return f.status();
        auto t = Int("dcline", r, 1, kDcLineFields);
        if (!t.ok()) return t.status();
        if (auto s = CheckBus("dcline", r, *f, "fbus"); !s.ok()) return s;
        if (auto s = CheckBus("dcline", r, *t, "tbus"); !s.ok()) return s;
        DcLine d;
        d.from_id = *f;
        d.to_id = *t;
        d.in_service = v[2] > 0;
        d.pf_mw = v[3];
        d.pt_mw = v[4];
        d.qf_mvar = v[5];
        d.qt_mvar = v[6];
        d.vf_pu = v[7];
        d.vt_pu = v[8];
        d.pmin_mw = v[9];
        d.pmax_mw = v[10];
        d.qminf_mvar = v[11];
        d.qmaxf_mvar = v[12];
        d.qmint_mvar = v[13];
        d.qmaxt_mvar = v[14];
        d.loss0_mw = v[15];
        d.loss1 = v[16];
        net.dclines.push_back(d);
      }
    }
    return absl::OkStatus();
  }

  std::string source_;
  std::vector<std::string_view> lines_;
  absl::flat_hash_map<std::string, Matrix> matrices_;
  absl::flat_hash_map<int, int> bus_line_;
  size_t matrix_end_line_ = 0;
};

}  // namespace

absl::StatusOr<Network> ParseMatpower(std::string_view text, std::string_view source_name,
                                      MatpowerReadInfo* info) {
  Parser parser(text, source_name);
  return parser.Run(info);
}

absl::StatusOr<Network> ReadMatpowerFile(const std::string& path, MatpowerReadInfo* info) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open MATPOWER case file '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto net = ParseMatpower(text, path, info);
  if (!net.ok()) return net.status();
  net->name = std::filesystem::path(path).stem().string();
  return net;
}

}  // namespace gridrl::powerflow
