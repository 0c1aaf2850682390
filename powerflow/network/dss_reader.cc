#include "powerflow/network/dss_reader.h"

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gridrl::powerflow {
namespace {

#define RETURN_IF(expr)                  \
  do {                                   \
    absl::Status _s = (expr);            \
    if (!_s.ok()) return _s;             \
  } while (0)
#define ASSIGN_OR(lhs, expr)             \
  do {                                   \
    auto _v = (expr);                    \
    if (!_v.ok()) return _v.status();    \
    lhs = *_v;                           \
  } while (0)

constexpr int kMaxRedirectDepth = 16;

struct Where {
  std::string file;
  int line = 0;
  std::string Str() const { return absl::StrCat(file, ":", line); }
};

struct Prop {
  std::string key;  // lower case
  std::string value;
  Where where;
};

struct Object {
  std::string cls;   // lower case: vsource, linecode, line, load, transformer, regcontrol, capacitor
  std::string name;  // as written
  std::vector<Prop> props;
  Where where;
};

struct SwitchOp {
  std::string cls, name;
  bool close = false;
  Where where;
};

absl::Status ErrorAt(const Where& w, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(w.Str(), ": ", msg));
}

// Splits one script line into tokens: (key, value) pairs where `key=value` (spaces around `=`
// allowed) and positional values with an empty key. Brackets, parentheses, braces and quotes
// group a value.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Tokenize(absl::string_view s,
                                                                          const Where& w) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',' || s[i] == '\r')) ++i;
  };
  auto read_value = [&]() -> absl::StatusOr<std::string> {
    char c = s[i];
    char close = 0;
    if (c == '[') close = ']';
    else if (c == '(') close = ')';
    else if (c == '{') close = '}';
    else if (c == '"') close = '"';
    else if (c == '\'') close = '\'';
    if (close) {
      size_t end = s.find(close, i + 1);
      if (end == absl::string_view::npos)
        return ErrorAt(w, absl::StrCat("unterminated '", std::string(1, c), "'"));
      std::string v(s.substr(i + 1, end - i - 1));
      i = end + 1;
      return v;
    }
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '=' && s[i] != ',' &&
           s[i] != '\r')
      ++i;
    return std::string(s.substr(start, i - start));
  };
  while (true) {
    skip_ws();
    if (i >= s.size()) break;
    absl::StatusOr<std::string> first = read_value();
    if (!first.ok()) return first.status();
    size_t save = i;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i < s.size() && s[i] == '=') {
      ++i;
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
      if (i >= s.size()) return ErrorAt(w, absl::StrCat("no value after '", *first, "='"));
      absl::StatusOr<std::string> value = read_value();
      if (!value.ok()) return value.status();
      out.push_back({absl::AsciiStrToLower(*first), *value});
    } else {
      i = save;
      out.push_back({"", *first});
    }
  }
  return out;
}

// Removes `!` and `//` comments outside quotes and brackets.
std::string StripComment(absl::string_view line) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '[' || c == '(' || c == '{') ++depth;
    else if (c == ']' || c == ')' || c == '}') depth = depth > 0 ? depth - 1 : 0;
    else if (depth == 0 && (c == '!' || (c == '/' && i + 1 < line.size() && line[i + 1] == '/')))
      return std::string(line.substr(0, i));
  }
  return std::string(line);
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

class Parser {
 public:
  absl::Status ParseText(absl::string_view text, const std::string& origin,
                         const std::string& base_dir, int depth) {
    int line_no = 0;
    for (absl::string_view raw : absl::StrSplit(text, '\n')) {
      ++line_no;
      Where w{origin, line_no};
      std::string line = StripComment(raw);
      absl::string_view t = absl::StripAsciiWhitespace(line);
      if (t.empty()) continue;
      absl::Status s = ParseLine(t, w, base_dir, depth);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ParseFile(const std::string& path, int depth, const Where* from) {
    if (depth > kMaxRedirectDepth)
      return ErrorAt(*from, "Redirect nested too deep (a file redirects to itself?)");
    std::ifstream in(path);
    if (!in) {
      std::string msg = absl::StrCat("cannot open ", path);
      return from ? ErrorAt(*from, msg) : absl::NotFoundError(msg);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ParseText(ss.str(), path, Dirname(path), depth);
  }

  std::vector<Object> objects;
  std::vector<SwitchOp> switch_ops;
  std::vector<double> voltage_bases;
  double base_freq = 60;
  double load_mult = 1;
  std::string circuit_name;
  std::vector<std::pair<std::string, Where>> buscoord_files;

 private:
  absl::Status ParseLine(absl::string_view t, const Where& w, const std::string& base_dir,
                         int depth) {
    // `~` may be glued to the first property ("~rmatrix=...").
    if (t[0] == '~') {
      auto toks = Tokenize(t.substr(1), w);
      if (!toks.ok()) return toks.status();
      return AddProps(*toks, 0, w);
    }
    auto toks_or = Tokenize(t, w);
    if (!toks_or.ok()) return toks_or.status();
    auto& toks = *toks_or;
    if (toks.empty()) return absl::OkStatus();
    if (!toks[0].first.empty()) return ErrorAt(w, absl::StrCat("expected a command, found '",
                                                               toks[0].first, "='"));
    std::string cmd = absl::AsciiStrToLower(toks[0].second);
    if (cmd == "more" || cmd == "m") return AddProps(toks, 1, w);
    if (cmd == "clear") {
      *this = Parser();
      return absl::OkStatus();
    }
    if (cmd == "new" || cmd == "edit") {
      if (toks.size() < 2) return ErrorAt(w, absl::StrCat(cmd, " needs Class.Name"));
      std::string spec = toks[1].second;
      if (!toks[1].first.empty() && toks[1].first != "object")
        return ErrorAt(w, absl::StrCat(cmd, " needs Class.Name or object=Class.Name"));
      size_t dot = spec.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == spec.size())
        return ErrorAt(w, absl::StrCat("'", spec, "' is not Class.Name"));
      std::string cls = absl::AsciiStrToLower(spec.substr(0, dot));
      std::string name = spec.substr(dot + 1);
      if (cls == "circuit") {
        circuit_name = name;
        cls = "vsource";
        name = "source";
      }
      static const char* kClasses[] = {"vsource", "linecode", "line", "load", "transformer",
                                       "regcontrol", "capacitor"};
      bool known = false;
      for (const char* k : kClasses) known |= cls == k;
      if (!known) return ErrorAt(w, absl::StrCat("unsupported element class '", cls, "'"));
      int idx = Find(cls, name);
      if (cmd == "new") {
        if (idx >= 0 && cls != "vsource")
          return ErrorAt(w, absl::StrCat(cls, ".", name, " is defined twice (first at ",
                                         objects[idx].where.Str(), ")"));
        if (idx < 0) {
          objects.push_back(Object{cls, name, {}, w});
          idx = static_cast<int>(objects.size()) - 1;
        }
      } else if (idx < 0) {
        return ErrorAt(w, absl::StrCat("Edit of undefined ", cls, ".", name));
      }
      active_ = idx;
      return AddProps(toks, 2, w);
    }
    if (cmd == "redirect" || cmd == "compile") {
      if (toks.size() != 2) return ErrorAt(w, absl::StrCat(cmd, " needs one file name"));
      std::string path = toks[1].second;
      if (path.empty() || path[0] != '/') path = absl::StrCat(base_dir, "/", path);
      int saved_active = active_;
      absl::Status s = ParseFile(path, depth + 1, &w);
      active_ = saved_active;
      return s;
    }
    if (cmd == "open" || cmd == "close") {
      if (toks.size() < 2) return ErrorAt(w, absl::StrCat(cmd, " needs Class.Name"));
      std::string spec = toks[1].second;
      size_t dot = spec.find('.');
      if (dot == std::string::npos) return ErrorAt(w, absl::StrCat("'", spec, "' is not Class.Name"));
      std::string cls = absl::AsciiStrToLower(spec.substr(0, dot));
      if (cls != "line")
        return ErrorAt(w, absl::StrCat(cmd, " is supported for lines only, not '", cls, "'"));
      for (size_t k = 2; k < toks.size(); ++k) {
        if (toks[k].first != "terminal" && toks[k].first != "conductor" && !toks[k].first.empty())
          return ErrorAt(w, absl::StrCat("unsupported ", cmd, " option '", toks[k].first, "'"));
      }
      switch_ops.push_back({cls, spec.substr(dot + 1), cmd == "close", w});
      return absl::OkStatus();
    }
    if (cmd == "set") {
      for (size_t k = 1; k < toks.size(); ++k) {
        const auto& [key, value] = toks[k];
        if (key == "voltagebases") {
          voltage_bases.clear();
          for (absl::string_view v : absl::StrSplit(value, absl::ByAnyChar(" ,\t"), absl::SkipEmpty())) {
            double kv;
            if (!absl::SimpleAtod(v, &kv) || !(kv > 0))
              return ErrorAt(w, absl::StrCat("voltagebases: '", v, "' is not a positive kV"));
            voltage_bases.push_back(kv);
          }
        } else if (key == "defaultbasefrequency" || key == "basefrequency") {
          if (!absl::SimpleAtod(value, &base_freq) || !(base_freq > 0))
            return ErrorAt(w, absl::StrCat(key, ": '", value, "' is not a frequency"));
        } else if (key == "loadmult") {
          if (!absl::SimpleAtod(value, &load_mult))
            return ErrorAt(w, absl::StrCat("loadmult: '", value, "' is not a number"));
        } else if (key == "controlmode" || key == "maxiterations" || key == "maxiter" ||
                   key == "tolerance" || key == "maxcontroliter") {
          // Solver settings: the project's solver has its own options.
        } else {
          return ErrorAt(w, absl::StrCat("unsupported Set option '", key.empty() ? value : key, "'"));
        }
      }
      return absl::OkStatus();
    }
    if (cmd == "calcvoltagebases" || cmd == "calcv" || cmd == "solve") return absl::OkStatus();
    if (cmd == "buscoords" || cmd == "buscoordinates") {
      if (toks.size() != 2) return ErrorAt(w, "BusCoords needs one file name");
      std::string path = toks[1].second;
      if (path.empty() || path[0] != '/') path = absl::StrCat(base_dir, "/", path);
      buscoord_files.push_back({path, w});
      return absl::OkStatus();
    }
    return ErrorAt(w, absl::StrCat("unsupported command '", toks[0].second, "'"));
  }

  absl::Status AddProps(const std::vector<std::pair<std::string, std::string>>& toks,
                        size_t from, const Where& w) {
    if (active_ < 0) return ErrorAt(w, "'~' or More with no element defined before it");
    for (size_t k = from; k < toks.size(); ++k) {
      if (toks[k].first.empty())
        return ErrorAt(w, absl::StrCat("positional value '", toks[k].second,
                                       "' is not supported: write property=value"));
      objects[active_].props.push_back({toks[k].first, toks[k].second, w});
    }
    return absl::OkStatus();
  }

 public:
  int Find(absl::string_view cls, absl::string_view name) const {
    for (size_t i = 0; i < objects.size(); ++i) {
      if (objects[i].cls == cls && absl::EqualsIgnoreCase(objects[i].name, name))
        return static_cast<int>(i);
    }
    return -1;
  }

 private:
  int active_ = -1;
};

// ---------------------------------------------------------------------------------------------
// Value parsing.

absl::StatusOr<double> Num(const Prop& p) {
  double v;
  absl::string_view s = absl::StripAsciiWhitespace(p.value);
  if (!absl::SimpleAtod(s, &v) || !std::isfinite(v))
    return ErrorAt(p.where, absl::StrCat(p.key, ": '", p.value, "' is not a number"));
  return v;
}

absl::StatusOr<int> Int(const Prop& p) {
  absl::StatusOr<double> v = Num(p);
  if (!v.ok()) return v.status();
  if (*v != std::floor(*v)) return ErrorAt(p.where, absl::StrCat(p.key, ": expected an integer"));
  return static_cast<int>(*v);
}

absl::StatusOr<bool> Bool(const Prop& p) {
  std::string v = absl::AsciiStrToLower(p.value);
  if (v == "yes" || v == "true" || v == "y" || v == "t") return true;
  if (v == "no" || v == "false" || v == "n" || v == "f") return false;
  return ErrorAt(p.where, absl::StrCat(p.key, ": '", p.value, "' is not yes/no"));
}

std::vector<std::string> Items(absl::string_view s) {
  std::vector<std::string> out;
  for (absl::string_view v : absl::StrSplit(s, absl::ByAnyChar(" ,\t[]()\"'"), absl::SkipEmpty()))
    out.emplace_back(v);
  return out;
}

absl::StatusOr<FeederConn> Conn(const Prop& p, absl::string_view v) {
  std::string c = absl::AsciiStrToLower(v);
  if (c == "wye" || c == "y" || c == "ln" || c == "star") return FeederConn::kWye;
  if (c == "delta" || c == "d" || c == "ll") return FeederConn::kDelta;
  return ErrorAt(p.where, absl::StrCat(p.key, ": '", v, "' is not wye or delta"));
}

// A lower-triangular ("a | b c | d e f") or full matrix; returns n*n row-major.
absl::StatusOr<std::vector<double>> Matrix(const Prop& p, int n) {
  std::vector<std::vector<double>> rows;
  for (absl::string_view row : absl::StrSplit(p.value, '|')) {
    std::vector<double> r;
    for (const std::string& item : Items(row)) {
      double v;
      if (!absl::SimpleAtod(item, &v))
        return ErrorAt(p.where, absl::StrCat(p.key, ": '", item, "' is not a number"));
      r.push_back(v);
    }
    if (!r.empty()) rows.push_back(r);
  }
  std::vector<double> m(n * n, 0.0);
  bool lower = static_cast<int>(rows.size()) == n;
  for (int i = 0; i < n && lower; ++i) lower = static_cast<int>(rows[i].size()) == i + 1;
  bool full = static_cast<int>(rows.size()) == n;
  for (int i = 0; i < n && full; ++i) full = static_cast<int>(rows[i].size()) == n;
  if (!lower && !full && rows.size() == 1 && static_cast<int>(rows[0].size()) == n * n) {
    for (int k = 0; k < n * n; ++k) m[k] = rows[0][k];
    return m;
  }
  if (!lower && !full)
    return ErrorAt(p.where, absl::StrCat(p.key, ": expected a ", n, "x", n,
                                         " matrix (lower triangle rows separated by '|')"));
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j <= (lower ? i : n - 1); ++j) {
      m[i * n + j] = rows[i][j];
      if (lower) m[j * n + i] = rows[i][j];
    }
  }
  return m;
}

// Metres per unit of length.
absl::StatusOr<double> UnitLength(const Prop& p) {
  std::string u = absl::AsciiStrToLower(p.value);
  if (u == "none") return 0.0;
  if (u == "mi") return 1609.344;
  if (u == "kft") return 304.8;
  if (u == "km") return 1000.0;
  if (u == "m") return 1.0;
  if (u == "ft") return 0.3048;
  if (u == "in") return 0.0254;
  if (u == "cm") return 0.01;
  if (u == "mm") return 0.001;
  return ErrorAt(p.where, absl::StrCat("units: '", p.value, "' is not one of none, mi, kft, km, m, ft, in, cm, mm"));
}

// "94.1" -> ("94", {1}); "150" -> ("150", {}).
absl::StatusOr<std::pair<std::string, std::vector<int>>> BusSpec(const Prop& p,
                                                                 absl::string_view spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, '.');
  if (parts.empty() || parts[0].empty())
    return ErrorAt(p.where, absl::StrCat(p.key, ": empty bus name"));
  std::vector<int> nodes;
  for (size_t k = 1; k < parts.size(); ++k) {
    int n;
    if (!absl::SimpleAtoi(parts[k], &n) || n < 0 || n > 3)
      return ErrorAt(p.where, absl::StrCat(p.key, ": node '", parts[k], "' in '", spec,
                                           "' is not 0..3 (neutral conductors are not supported)"));
    nodes.push_back(n);
  }
  return std::make_pair(absl::AsciiStrToLower(parts[0]), nodes);
}

// Phase nodes for `count` conductors from a bus spec; a trailing explicit ground (0) is allowed.
absl::StatusOr<std::vector<int>> PhaseNodes(const Prop& p, std::vector<int> given, int count) {
  while (static_cast<int>(given.size()) > count && given.back() == 0) given.pop_back();
  if (given.empty()) {
    for (int k = 1; k <= count; ++k) given.push_back(k);
  }
  if (static_cast<int>(given.size()) != count)
    return ErrorAt(p.where, absl::StrCat(p.key, ": expected ", count, " node(s), found ",
                                         given.size()));
  for (int n : given) {
    if (n == 0) return ErrorAt(p.where, absl::StrCat(p.key, ": a phase conductor on node 0"));
  }
  return given;
}

// ---------------------------------------------------------------------------------------------
// Building the feeder.

struct LineCodeData {
  int nphases = 3;
  bool has_matrix = false;
  std::vector<double> r, x, c;  // per unit length, c in nF
  double r1 = 0.058, x1 = 0.1206, r0 = 0.1784, x0 = 0.4047, c1 = 3.4, c0 = 1.6;
  double unit_m = 0;  // 0 = none
  double norm_amps = 400, emerg_amps = 600;
};

// Expands `like=` by splicing the referenced object's properties in place.
absl::StatusOr<std::vector<Prop>> Expand(const Parser& ps, const Object& o, int depth = 0) {
  std::vector<Prop> out;
  for (const Prop& p : o.props) {
    if (p.key != "like") {
      out.push_back(p);
      continue;
    }
    int idx = ps.Find(o.cls, p.value);
    if (idx < 0) return ErrorAt(p.where, absl::StrCat("like: no ", o.cls, " named '", p.value, "'"));
    if (depth > 8) return ErrorAt(p.where, "like: chain too long");
    auto inner = Expand(ps, ps.objects[idx], depth + 1);
    if (!inner.ok()) return inner.status();
    for (const Prop& q : *inner) {
      if (q.key == "bank" || q.key == "transformer") {
        out.push_back(q);
        continue;
      }
      out.push_back(q);
    }
  }
  return out;
}

absl::Status SeqToMatrix(int n, double s1, double s0, std::vector<double>* m) {
  m->assign(n * n, 0.0);
  double self = (2 * s1 + s0) / 3, mutual = (s0 - s1) / 3;
  if (n == 1) self = s1;  // a single conductor sees its positive-sequence value
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) (*m)[i * n + j] = i == j ? self : mutual;
  return absl::OkStatus();
}

class Builder {
 public:
  Builder(const Parser& ps, FeederData* d) : ps_(ps), d_(d) {}

  absl::Status Build() {
    // Line codes first: lines refer to them by name.
    for (const Object& o : ps_.objects) {
      if (o.cls == "linecode") RETURN_IF(BuildLineCode(o));
    }
    for (const Object& o : ps_.objects) {
      if (o.cls == "vsource") RETURN_IF(BuildSource(o));
      else if (o.cls == "line") RETURN_IF(BuildLine(o));
      else if (o.cls == "transformer") RETURN_IF(BuildTransformer(o));
      else if (o.cls == "load") RETURN_IF(BuildLoad(o));
      else if (o.cls == "capacitor") RETURN_IF(BuildCapacitor(o));
    }
    for (const Object& o : ps_.objects) {
      if (o.cls == "regcontrol") RETURN_IF(BuildRegControl(o));
    }
    for (const SwitchOp& op : ps_.switch_ops) {
      int l = d_->FindLine(op.name);
      if (l < 0) return ErrorAt(op.where, absl::StrCat("no line named '", op.name, "'"));
      d_->lines[l].closed = op.close;
    }
    return absl::OkStatus();
  }

 private:

  absl::Status Unknown(const Object& o, const Prop& p) {
    return ErrorAt(p.where, absl::StrCat("unsupported property '", p.key, "' for ", o.cls, ".",
                                         o.name));
  }

  absl::Status BuildLineCode(const Object& o) {
    std::vector<Prop> props;
    ASSIGN_OR(props, Expand(ps_, o));
    LineCodeData c;
    std::vector<const Prop*> matrices;
    for (const Prop& p : props) {
      if (p.key == "nphases") ASSIGN_OR(c.nphases, Int(p));
      else if (p.key == "r1") ASSIGN_OR(c.r1, Num(p));
      else if (p.key == "x1") ASSIGN_OR(c.x1, Num(p));
      else if (p.key == "r0") ASSIGN_OR(c.r0, Num(p));
      else if (p.key == "x0") ASSIGN_OR(c.x0, Num(p));
      else if (p.key == "c1") ASSIGN_OR(c.c1, Num(p));
      else if (p.key == "c0") ASSIGN_OR(c.c0, Num(p));
      else if (p.key == "units") ASSIGN_OR(c.unit_m, UnitLength(p));
      else if (p.key == "normamps") ASSIGN_OR(c.norm_amps, Num(p));
      else if (p.key == "emergamps") ASSIGN_OR(c.emerg_amps, Num(p));
      else if (p.key == "basefreq") {
        double f;
        ASSIGN_OR(f, Num(p));
        if (std::abs(f - ps_.base_freq) > 1e-9)
          return ErrorAt(p.where, "basefreq differs from the circuit's base frequency");
      } else if (p.key == "rmatrix" || p.key == "xmatrix" || p.key == "cmatrix") {
        matrices.push_back(&p);
      } else {
        return Unknown(o, p);
      }
    }
    if (c.nphases < 1 || c.nphases > 3)
      return ErrorAt(o.where, absl::StrCat("linecode ", o.name, ": nphases must be 1..3"));
    SeqToMatrix(c.nphases, c.r1, c.r0, &c.r);
    SeqToMatrix(c.nphases, c.x1, c.x0, &c.x);
    SeqToMatrix(c.nphases, c.c1, c.c0, &c.c);
    for (const Prop* p : matrices) {
      std::vector<double> m;
      ASSIGN_OR(m, Matrix(*p, c.nphases));
      if (p->key == "rmatrix") c.r = m;
      else if (p->key == "xmatrix") c.x = m;
      else c.c = m;
      c.has_matrix = true;
    }
    codes_[absl::AsciiStrToLower(o.name)] = c;
    return absl::OkStatus();
  }

  absl::Status BuildSource(const Object& o) {
    std::vector<Prop> props;
    ASSIGN_OR(props, Expand(ps_, o));
    FeederSource s;
    s.name = o.name;
    s.kv_ll = 115;
    double mvasc3 = 2000, mvasc1 = 2100, x1r1 = 4, x0r0 = 3;
    bool explicit_z = false;
    std::string bus = "sourcebus";
    std::vector<int> nodes;
    const Prop* bus_prop = nullptr;
    int phases = 3;
    for (const Prop& p : props) {
      if (p.key == "basekv") ASSIGN_OR(s.kv_ll, Num(p));
      else if (p.key == "pu") ASSIGN_OR(s.pu, Num(p));
      else if (p.key == "angle") ASSIGN_OR(s.angle_deg, Num(p));
      else if (p.key == "phases") ASSIGN_OR(phases, Int(p));
      else if (p.key == "r1") { ASSIGN_OR(s.r1, Num(p)); explicit_z = true; }
      else if (p.key == "x1") { ASSIGN_OR(s.x1, Num(p)); explicit_z = true; }
      else if (p.key == "r0") { ASSIGN_OR(s.r0, Num(p)); explicit_z = true; }
      else if (p.key == "x0") { ASSIGN_OR(s.x0, Num(p)); explicit_z = true; }
      else if (p.key == "mvasc3") ASSIGN_OR(mvasc3, Num(p));
      else if (p.key == "mvasc1") ASSIGN_OR(mvasc1, Num(p));
      else if (p.key == "x1r1") ASSIGN_OR(x1r1, Num(p));
      else if (p.key == "x0r0") ASSIGN_OR(x0r0, Num(p));
      else if (p.key == "frequency" || p.key == "basefreq") {
      } else if (p.key == "bus1") {
        std::pair<std::string, std::vector<int>> b;
        ASSIGN_OR(b, BusSpec(p, p.value));
        bus = b.first;
        nodes = b.second;
        bus_prop = &p;
      } else {
        return Unknown(o, p);
      }
    }
    if (phases != 3) return ErrorAt(o.where, "only three-phase sources are supported");
    if (!explicit_z) {
      double z1 = s.kv_ll * s.kv_ll / mvasc3;
      s.r1 = z1 / std::sqrt(1 + x1r1 * x1r1);
      s.x1 = s.r1 * x1r1;
      double z0 = std::max(3 * s.kv_ll * s.kv_ll / mvasc1 - 2 * z1, 1e-9);
      s.r0 = z0 / std::sqrt(1 + x0r0 * x0r0);
      s.x0 = s.r0 * x0r0;
    }
    Prop dummy{"bus1", bus, o.where};
    ASSIGN_OR(s.nodes, PhaseNodes(bus_prop ? *bus_prop : dummy, nodes, 3));
    s.bus = d_->AddBus(bus);
    d_->sources.push_back(s);
    return absl::OkStatus();
  }

  absl::Status BuildLine(const Object& o) {
    std::vector<Prop> props;
    ASSIGN_OR(props, Expand(ps_, o));
    FeederLine l;
    l.name = o.name;
    int phases = 3;
    double length = 1, unit_m = 0;
    double r1 = 0.058, x1 = 0.1206, r0 = 0.1784, x0 = 0.4047, c1 = 3.4, c0 = 1.6;
    bool seq_given = false;
    const LineCodeData* code = nullptr;
    std::vector<const Prop*> matrices;
    const Prop* b1 = nullptr;
    const Prop* b2 = nullptr;
    for (const Prop& p : props) {
      if (p.key == "bus1") b1 = &p;
      else if (p.key == "bus2") b2 = &p;
      else if (p.key == "phases") ASSIGN_OR(phases, Int(p));
      else if (p.key == "length") ASSIGN_OR(length, Num(p));
      else if (p.key == "units") {
        ASSIGN_OR(unit_m, UnitLength(p));
        l.length_units = absl::AsciiStrToLower(p.value);
      } else if (p.key == "linecode") {
        auto it = codes_.find(absl::AsciiStrToLower(p.value));
        if (it == codes_.end())
          return ErrorAt(p.where, absl::StrCat("linecode: no linecode named '", p.value, "'"));
        code = &it->second;
        phases = code->nphases;
        l.linecode = p.value;
        l.norm_amps = code->norm_amps;
        l.emerg_amps = code->emerg_amps;
        seq_given = false;
        matrices.clear();
      } else if (p.key == "switch") {
        bool sw;
        ASSIGN_OR(sw, Bool(p));
        l.is_switch = sw;
        if (sw) {
          // The OpenDSS switch convention: a tiny line of 1 ohm per unit, 0.001 units long.
          r1 = x1 = r0 = x0 = 1;
          c1 = 1.1;
          c0 = 1;
          length = 0.001;
          unit_m = 0;
          l.length_units = "none";
          seq_given = true;
          code = nullptr;
        }
      } else if (p.key == "r1" || p.key == "x1" || p.key == "r0" || p.key == "x0" ||
                 p.key == "c1" || p.key == "c0") {
        double v;
        ASSIGN_OR(v, Num(p));
        (p.key == "r1" ? r1 : p.key == "x1" ? x1 : p.key == "r0" ? r0 : p.key == "x0" ? x0
                                                  : p.key == "c1" ? c1 : c0) = v;
        seq_given = true;
        code = nullptr;
      } else if (p.key == "rmatrix" || p.key == "xmatrix" || p.key == "cmatrix") {
        matrices.push_back(&p);
        code = nullptr;
      } else if (p.key == "normamps") ASSIGN_OR(l.norm_amps, Num(p));
      else if (p.key == "emergamps") ASSIGN_OR(l.emerg_amps, Num(p));
      else if (p.key == "enabled") {
        bool en;
        ASSIGN_OR(en, Bool(p));
        if (!en) return ErrorAt(p.where, "enabled=no is not supported (use open)");
      } else {
        return Unknown(o, p);
      }
    }
    if (!b1 || !b2) return ErrorAt(o.where, absl::StrCat("line ", o.name, ": needs bus1 and bus2"));
    if (phases < 1 || phases > 3) return ErrorAt(o.where, absl::StrCat("line ", o.name, ": phases must be 1..3"));
    std::pair<std::string, std::vector<int>> s1, s2;
    ASSIGN_OR(s1, BusSpec(*b1, b1->value));
    ASSIGN_OR(s2, BusSpec(*b2, b2->value));
    ASSIGN_OR(l.nodes1, PhaseNodes(*b1, s1.second, phases));
    ASSIGN_OR(l.nodes2, PhaseNodes(*b2, s2.second, phases));
    l.bus1 = d_->AddBus(s1.first);
    l.bus2 = d_->AddBus(s2.first);
    const int n = phases;
    std::vector<double> r, x, c;
    double scale = length;  // per-unit-length values times length in the same units
    if (code) {
      if (code->nphases != n)
        return ErrorAt(o.where, absl::StrCat("line ", o.name, ": phases ", n,
                                             " differ from its linecode's nphases ", code->nphases));
      r = code->r;
      x = code->x;
      c = code->c;
      if (code->unit_m > 0 && unit_m > 0) scale = length * unit_m / code->unit_m;
    } else {
      SeqToMatrix(n, r1, r0, &r);
      SeqToMatrix(n, x1, x0, &x);
      SeqToMatrix(n, c1, c0, &c);
      for (const Prop* p : matrices) {
        std::vector<double> m;
        ASSIGN_OR(m, Matrix(*p, n));
        (p->key == "rmatrix" ? r : p->key == "xmatrix" ? x : c) = m;
      }
    }
    l.length = length;
    const double omega = 2 * std::numbers::pi * ps_.base_freq;
    l.r_ohm.resize(n * n);
    l.x_ohm.resize(n * n);
    l.b_siemens.resize(n * n);
    for (int k = 0; k < n * n; ++k) {
      l.r_ohm[k] = r[k] * scale;
      l.x_ohm[k] = x[k] * scale;
      l.b_siemens[k] = omega * c[k] * 1e-9 * scale;
    }
    (void)seq_given;
    d_->lines.push_back(l);
    return absl::OkStatus();
  }

  absl::Status BuildTransformer(const Object& o) {
    std::vector<Prop> props;
    ASSIGN_OR(props, Expand(ps_, o));
    FeederTransformer t;
    t.name = o.name;
    int nw = 2;
    struct W {
      std::string bus;
      std::vector<int> nodes;
      const Prop* bus_prop = nullptr;
      FeederConn conn = FeederConn::kWye;
      double kv = 12.47, kva = 1000, pct_r = 0.2, tap = 1;
    };
    std::vector<W> w(2);
    int active = 0;
    for (const Prop& p : props) {
      auto arr = [&](auto setter) -> absl::Status {
        std::vector<std::string> items = Items(p.value);
        if (static_cast<int>(items.size()) != nw)
          return ErrorAt(p.where, absl::StrCat(p.key, ": expected ", nw, " values"));
        for (int k = 0; k < nw; ++k) {
          Prop q{p.key, items[k], p.where};
          absl::Status s = setter(k, q);
          if (!s.ok()) return s;
        }
        return absl::OkStatus();
      };
      auto set_bus = [&](int k, const Prop& q) -> absl::Status {
        std::pair<std::string, std::vector<int>> b;
        ASSIGN_OR(b, BusSpec(q, q.value));
        w[k].bus = b.first;
        w[k].nodes = b.second;
        w[k].bus_prop = &p;
        return absl::OkStatus();
      };
      auto set_num = [&](double W::*field) {
        return [&, field](int k, const Prop& q) -> absl::Status {
          ASSIGN_OR(w[k].*field, Num(q));
          return absl::OkStatus();
        };
      };
      if (p.key == "phases") ASSIGN_OR(t.phases, Int(p));
      else if (p.key == "windings") {
        ASSIGN_OR(nw, Int(p));
        if (nw != 2) return ErrorAt(p.where, "only 2-winding transformers are supported");
      } else if (p.key == "wdg") {
        ASSIGN_OR(active, Int(p));
        if (active < 1 || active > nw) return ErrorAt(p.where, "wdg out of range");
        --active;
      } else if (p.key == "bus") RETURN_IF(set_bus(active, p));
      else if (p.key == "conn") { ASSIGN_OR(w[active].conn, Conn(p, p.value)); }
      else if (p.key == "kv") ASSIGN_OR(w[active].kv, Num(p));
      else if (p.key == "kva") ASSIGN_OR(w[active].kva, Num(p));
      else if (p.key == "%r" || p.key == "r") ASSIGN_OR(w[active].pct_r, Num(p));
      else if (p.key == "tap") ASSIGN_OR(w[active].tap, Num(p));
      else if (p.key == "buses") RETURN_IF(arr(set_bus));
      else if (p.key == "conns") {
        RETURN_IF(arr([&](int k, const Prop& q) -> absl::Status {
          ASSIGN_OR(w[k].conn, Conn(q, q.value));
          return absl::OkStatus();
        }));
      } else if (p.key == "kvs") RETURN_IF(arr(set_num(&W::kv)));
      else if (p.key == "kvas") RETURN_IF(arr(set_num(&W::kva)));
      else if (p.key == "taps") RETURN_IF(arr(set_num(&W::tap)));
      else if (p.key == "%rs") RETURN_IF(arr(set_num(&W::pct_r)));
      else if (p.key == "xhl" || p.key == "x12") ASSIGN_OR(t.xhl_pct, Num(p));
      else if (p.key == "%loadloss") {
        double ll;
        ASSIGN_OR(ll, Num(p));
        w[0].pct_r = w[1].pct_r = ll / 2;
      } else if (p.key == "ppm" || p.key == "ppm_antifloat") ASSIGN_OR(t.ppm_antifloat, Num(p));
      else if (p.key == "bank") t.bank = p.value;
      else if (p.key == "%noloadloss" || p.key == "%imag") {
        double v;
        ASSIGN_OR(v, Num(p));
        if (v != 0) return ErrorAt(p.where, absl::StrCat(p.key, ": magnetising branch is not modelled (only 0 is accepted)"));
      } else if (p.key == "maxtap" || p.key == "mintap" || p.key == "numtaps" ||
                 p.key == "normhkva" || p.key == "emerghkva" || p.key == "sub") {
        // Ratings and tap-changer range: kept in the regulator defaults.
      } else {
        return Unknown(o, p);
      }
    }
    if (t.phases != 1 && t.phases != 3)
      return ErrorAt(o.where, absl::StrCat("transformer ", o.name, ": phases must be 1 or 3"));
    for (int k = 0; k < 2; ++k) {
      if (w[k].bus.empty())
        return ErrorAt(o.where, absl::StrCat("transformer ", o.name, ": winding ", k + 1, " has no bus"));
      FeederWinding fw;
      Prop bp = w[k].bus_prop ? *w[k].bus_prop : Prop{"bus", w[k].bus, o.where};
      int count = t.phases;
      if (w[k].conn == FeederConn::kDelta && t.phases == 1) count = 2;
      ASSIGN_OR(fw.nodes, PhaseNodes(bp, w[k].nodes, count));
      fw.bus = d_->AddBus(w[k].bus);
      fw.conn = w[k].conn;
      fw.kv = w[k].kv;
      fw.kva = w[k].kva;
      fw.pct_r = w[k].pct_r;
      fw.tap = w[k].tap;
      t.windings.push_back(fw);
    }
    d_->transformers.push_back(t);
    return absl::OkStatus();
  }

  absl::Status BuildRegControl(const Object& o) {
    std::vector<Prop> props;
    ASSIGN_OR(props, Expand(ps_, o));
    FeederRegulator g;
    g.name = o.name;
    int winding = 1;
    for (const Prop& p : props) {
      if (p.key == "transformer") {
        g.transformer = d_->FindTransformer(p.value);
        if (g.transformer < 0)
          return ErrorAt(p.where, absl::StrCat("transformer: no transformer named '", p.value, "'"));
      } else if (p.key == "winding") ASSIGN_OR(winding, Int(p));
      else if (p.key == "vreg") ASSIGN_OR(g.vreg, Num(p));
      else if (p.key == "band") ASSIGN_OR(g.band, Num(p));
      else if (p.key == "ptratio") ASSIGN_OR(g.ptratio, Num(p));
      else if (p.key == "ctprim") ASSIGN_OR(g.ctprim, Num(p));
      else if (p.key == "r") ASSIGN_OR(g.r_ldc, Num(p));
      else if (p.key == "x") ASSIGN_OR(g.x_ldc, Num(p));
      else if (p.key == "delay") ASSIGN_OR(g.delay_s, Num(p));
      else if (p.key == "tapdelay" || p.key == "maxtapchange" || p.key == "enabled") {
      } else {
        return Unknown(o, p);
      }
    }
    if (g.transformer < 0) return ErrorAt(o.where, absl::StrCat("regcontrol ", o.name, ": needs transformer="));
    if (winding < 1 || winding > 2) return ErrorAt(o.where, "winding must be 1 or 2");
    g.winding = winding - 1;
    double tap = d_->transformers[g.transformer].windings[g.winding].tap;
    g.tap = static_cast<int>(std::lround((tap - 1) / g.tap_step));
    d_->regulators.push_back(g);
    return absl::OkStatus();
  }

  absl::Status BuildLoad(const Object& o) {
    std::vector<Prop> props;
    ASSIGN_OR(props, Expand(ps_, o));
    FeederLoad l;
    l.name = o.name;
    double pf = 0.88;
    bool kvar_last = false;
    const Prop* bus = nullptr;
    for (const Prop& p : props) {
      if (p.key == "bus1") bus = &p;
      else if (p.key == "phases") ASSIGN_OR(l.phases, Int(p));
      else if (p.key == "conn") { ASSIGN_OR(l.conn, Conn(p, p.value)); }
      else if (p.key == "model") {
        int m;
        ASSIGN_OR(m, Int(p));
        if (m != 1 && m != 2 && m != 5)
          return ErrorAt(p.where, absl::StrCat("model=", m, " is not supported (only 1, 2, 5)"));
        l.model = static_cast<FeederLoadModel>(m);
      } else if (p.key == "kv") ASSIGN_OR(l.kv, Num(p));
      else if (p.key == "kw") ASSIGN_OR(l.kw, Num(p));
      else if (p.key == "kvar") { ASSIGN_OR(l.kvar, Num(p)); kvar_last = true; }
      else if (p.key == "pf") { ASSIGN_OR(pf, Num(p)); kvar_last = false; }
      else if (p.key == "vminpu") ASSIGN_OR(l.vminpu, Num(p));
      else if (p.key == "vmaxpu") ASSIGN_OR(l.vmaxpu, Num(p));
      else if (p.key == "vlowpu") ASSIGN_OR(l.vlowpu, Num(p));
      else if (p.key == "status" || p.key == "daily" || p.key == "yearly" || p.key == "duty") {
      } else {
        return Unknown(o, p);
      }
    }
    if (!kvar_last) {
      if (std::abs(pf) > 1 || pf == 0) return ErrorAt(o.where, "pf must be in [-1, 1] and not 0");
      double q = l.kw * std::sqrt(1 / (pf * pf) - 1);
      l.kvar = pf < 0 ? -q : q;
    }
    if (!bus) return ErrorAt(o.where, absl::StrCat("load ", o.name, ": needs bus1"));
    std::pair<std::string, std::vector<int>> b;
    ASSIGN_OR(b, BusSpec(*bus, bus->value));
    int count = l.phases;
    if (l.conn == FeederConn::kDelta && l.phases == 1) count = 2;
    if (l.conn == FeederConn::kDelta && l.phases == 2)
      return ErrorAt(o.where, "2-phase delta loads are not supported");
    ASSIGN_OR(l.nodes, PhaseNodes(*bus, b.second, count));
    l.bus = d_->AddBus(b.first);
    l.kw *= ps_.load_mult;
    l.kvar *= ps_.load_mult;
    d_->loads.push_back(l);
    return absl::OkStatus();
  }

  absl::Status BuildCapacitor(const Object& o) {
    std::vector<Prop> props;
    ASSIGN_OR(props, Expand(ps_, o));
    FeederCapacitor c;
    c.name = o.name;
    const Prop* bus = nullptr;
    for (const Prop& p : props) {
      if (p.key == "bus1") bus = &p;
      else if (p.key == "bus2") {
        std::pair<std::string, std::vector<int>> b;
        ASSIGN_OR(b, BusSpec(p, p.value));
        for (int n : b.second) {
          if (n != 0) return ErrorAt(p.where, "bus2: only grounded capacitors are supported");
        }
      } else if (p.key == "phases") ASSIGN_OR(c.phases, Int(p));
      else if (p.key == "kvar") ASSIGN_OR(c.kvar, Num(p));
      else if (p.key == "kv") ASSIGN_OR(c.kv, Num(p));
      else if (p.key == "conn") { ASSIGN_OR(c.conn, Conn(p, p.value)); }
      else return Unknown(o, p);
    }
    if (!bus) return ErrorAt(o.where, absl::StrCat("capacitor ", o.name, ": needs bus1"));
    std::pair<std::string, std::vector<int>> b;
    ASSIGN_OR(b, BusSpec(*bus, bus->value));
    int count = c.phases;
    if (c.conn == FeederConn::kDelta && c.phases == 1) count = 2;
    ASSIGN_OR(c.nodes, PhaseNodes(*bus, b.second, count));
    c.bus = d_->AddBus(b.first);
    d_->capacitors.push_back(c);
    return absl::OkStatus();
  }


  const Parser& ps_;
  FeederData* d_;
  std::map<std::string, LineCodeData> codes_;
};

absl::StatusOr<FeederData> Finish(Parser& ps, absl::string_view origin) {
  FeederData d;
  d.name = ps.circuit_name.empty() ? "feeder" : absl::AsciiStrToLower(ps.circuit_name);
  d.base_freq_hz = ps.base_freq;
  d.voltage_bases_kv = ps.voltage_bases;
  Builder b(ps, &d);
  if (absl::Status s = b.Build(); !s.ok()) return s;
  for (const auto& [path, where] : ps.buscoord_files) {
    std::ifstream in(path);
    if (!in) return ErrorAt(where, absl::StrCat("cannot open ", path));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      std::vector<std::string> items = Items(StripComment(line));
      if (items.empty()) continue;
      double x, y;
      if (items.size() < 3 || !absl::SimpleAtod(items[1], &x) || !absl::SimpleAtod(items[2], &y))
        return ErrorAt(Where{path, n}, "expected 'bus x y'");
      int bus = d.FindBus(items[0]);
      if (bus < 0) continue;  // coordinates of buses the circuit does not use
      d.buses[bus].has_xy = true;
      d.buses[bus].x = x;
      d.buses[bus].y = y;
    }
  }
  if (d.sources.empty())
    return absl::InvalidArgumentError(absl::StrCat(origin, ": no circuit (New Circuit.NAME) defined"));
  if (absl::Status s = ComputeVoltageBases(&d); !s.ok()) return s;
  if (absl::Status s = ValidateFeeder(d); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", s.message()));
  return d;
}

}  // namespace

absl::StatusOr<FeederData> ReadDssFile(const std::string& path) {
  Parser ps;
  if (absl::Status s = ps.ParseFile(path, 0, nullptr); !s.ok()) return s;
  // BusCoords.dat sits beside the master file in the IEEE folders; read it when the script
  // does not name it, so the project's copy carries coordinates for plotting and distances.
  if (ps.buscoord_files.empty()) {
    std::string guess = Dirname(path) + "/BusCoords.dat";
    if (std::ifstream(guess)) ps.buscoord_files.push_back({guess, Where{path, 0}});
  }
  return Finish(ps, path);
}

absl::StatusOr<FeederData> ReadDssText(absl::string_view text, absl::string_view origin,
                                       const std::string& base_dir) {
  Parser ps;
  if (absl::Status s = ps.ParseText(text, std::string(origin), base_dir, 0); !s.ok()) return s;
  return Finish(ps, origin);
}

}  // namespace gridrl::powerflow
