#include "env/config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gridrl::env {

const char* ConfigTypeName(ConfigType type) {
  switch (type) {
    case ConfigType::kBool: return "bool";
    case ConfigType::kInt: return "int";
    case ConfigType::kDouble: return "float";
    case ConfigType::kString: return "string";
    case ConfigType::kIntList: return "list of int";
    case ConfigType::kDoubleList: return "list of float";
  }
  return "?";
}

std::string ConfigValueString(const ConfigValue& value) {
  struct Visitor {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int64_t v) const { return absl::StrCat(v); }
    std::string operator()(double v) const { return absl::StrCat(v); }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<int64_t>& v) const {
      return absl::StrCat("[", absl::StrJoin(v, ","), "]");
    }
    std::string operator()(const std::vector<double>& v) const {
      return absl::StrCat("[", absl::StrJoin(v, ","), "]");
    }
  };
  return std::visit(Visitor{}, value);
}

const ConfigValue& Config::At(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    std::cerr << "gridrl: config key '" << key << "' is not in the environment's schema\n";
    std::abort();
  }
  return it->second;
}

bool Config::GetBool(std::string_view key) const { return std::get<bool>(At(key)); }
int64_t Config::GetInt(std::string_view key) const { return std::get<int64_t>(At(key)); }
double Config::GetDouble(std::string_view key) const { return std::get<double>(At(key)); }
const std::string& Config::GetString(std::string_view key) const {
  return std::get<std::string>(At(key));
}
const std::vector<int64_t>& Config::GetIntList(std::string_view key) const {
  return std::get<std::vector<int64_t>>(At(key));
}
const std::vector<double>& Config::GetDoubleList(std::string_view key) const {
  return std::get<std::vector<double>>(At(key));
}

namespace {

ConfigField MakeField(std::string name, ConfigType type, ConfigValue def, std::string doc,
                      std::optional<double> min, std::optional<double> max) {
  ConfigField f;
  f.name = std::move(name);
  f.type = type;
  f.default_value = std::move(def);
  f.doc = std::move(doc);
  f.min = min;
  f.max = max;
  return f;
}

absl::StatusOr<double> ParseNumber(const std::string& key, absl::string_view s) {
  double d;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(s), &d)) {
    return absl::InvalidArgumentError(absl::StrCat("config '", key, "': '", std::string(s), "' is not a number"));
  }
  return d;
}

absl::StatusOr<int64_t> ToInt(const std::string& key, double d) {
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) {
    return absl::InvalidArgumentError(
        absl::StrCat("config '", key, "': expected an integer, got ", d));
  }
  return static_cast<int64_t>(d);
}

absl::Status CheckBounds(const ConfigField& f, double v) {
  if (std::isnan(v)) {
    return absl::InvalidArgumentError(absl::StrCat("config '", f.name, "': value is NaN"));
  }
  if ((f.min && v < *f.min) || (f.max && v > *f.max)) {
    return absl::OutOfRangeError(absl::StrCat(
        "config '", f.name, "': ", v, " is outside [", f.min ? absl::StrCat(*f.min) : "-inf", ", ",
        f.max ? absl::StrCat(*f.max) : "inf", "]"));
  }
  return absl::OkStatus();
}

// Converts an override into the field's type, or explains why it cannot be.
absl::StatusOr<ConfigValue> Coerce(const ConfigField& f, const ConfigValue& v) {
  const std::string& key = f.name;
  auto type_error = [&]() {
    return absl::InvalidArgumentError(absl::StrCat("config '", key, "': expected ",
                                                   ConfigTypeName(f.type), ", got '",
                                                   ConfigValueString(v), "'"));
  };
  switch (f.type) {
    case ConfigType::kBool: {
      if (auto* b = std::get_if<bool>(&v)) return *b;
      if (auto* i = std::get_if<int64_t>(&v); i && (*i == 0 || *i == 1)) return *i == 1;
      if (auto* s = std::get_if<std::string>(&v)) {
        std::string l = absl::AsciiStrToLower(*s);
        if (l == "true" || l == "1" || l == "yes") return true;
        if (l == "false" || l == "0" || l == "no") return false;
      }
      return type_error();
    }
    case ConfigType::kInt: {
      int64_t out;
      if (auto* i = std::get_if<int64_t>(&v)) {
        out = *i;
      } else if (auto* d = std::get_if<double>(&v)) {
        auto r = ToInt(key, *d);
        if (!r.ok()) return r.status();
        out = *r;
      } else if (auto* s = std::get_if<std::string>(&v)) {
        auto d = ParseNumber(key, *s);
        if (!d.ok()) return d.status();
        auto r = ToInt(key, *d);
        if (!r.ok()) return r.status();
        out = *r;
      } else {
        return type_error();
      }
      if (auto st = CheckBounds(f, static_cast<double>(out)); !st.ok()) return st;
      return out;
    }
    case ConfigType::kDouble: {
      double out;
      if (auto* d = std::get_if<double>(&v)) {
        out = *d;
      } else if (auto* i = std::get_if<int64_t>(&v)) {
        out = static_cast<double>(*i);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        auto d = ParseNumber(key, *s);
        if (!d.ok()) return d.status();
        out = *d;
      } else {
        return type_error();
      }
      if (!std::isfinite(out)) {
        return absl::InvalidArgumentError(absl::StrCat("config '", key, "': value ", out,
                                                       " is not finite"));
      }
      if (auto st = CheckBounds(f, out); !st.ok()) return st;
      return out;
    }
    case ConfigType::kString: {
      auto* s = std::get_if<std::string>(&v);
      if (s == nullptr) return type_error();
      if (!f.choices.empty() &&
          std::find(f.choices.begin(), f.choices.end(), *s) == f.choices.end()) {
        return absl::InvalidArgumentError(absl::StrCat("config '", key, "': '", *s,
                                                       "' is not one of {",
                                                       absl::StrJoin(f.choices, ", "), "}"));
      }
      return *s;
    }
    case ConfigType::kIntList:
    case ConfigType::kDoubleList: {
      std::vector<double> items;
      if (auto* li = std::get_if<std::vector<int64_t>>(&v)) {
        for (int64_t x : *li) items.push_back(static_cast<double>(x));
      } else if (auto* ld = std::get_if<std::vector<double>>(&v)) {
        items = *ld;
      } else if (auto* s = std::get_if<std::string>(&v)) {
        absl::string_view body = absl::StripAsciiWhitespace(*s);
        if (!body.empty() && body.front() == '[') body.remove_prefix(1);
        if (!body.empty() && body.back() == ']') body.remove_suffix(1);
        for (absl::string_view part : absl::StrSplit(body, ',', absl::SkipWhitespace())) {
          auto d = ParseNumber(key, part);
          if (!d.ok()) return d.status();
          items.push_back(*d);
        }
      } else {
        return type_error();
      }
      for (double x : items) {
        if (auto st = CheckBounds(f, x); !st.ok()) return st;
      }
      if (f.type == ConfigType::kDoubleList) return items;
      std::vector<int64_t> ints;
      for (double x : items) {
        auto r = ToInt(key, x);
        if (!r.ok()) return r.status();
        ints.push_back(*r);
      }
      return ints;
    }
  }
  return type_error();
}

}  // namespace

ConfigSchema& ConfigSchema::Bool(std::string name, bool def, std::string doc) {
  fields_.push_back(MakeField(std::move(name), ConfigType::kBool, def, std::move(doc), {}, {}));
  return *this;
}
ConfigSchema& ConfigSchema::Int(std::string name, int64_t def, std::string doc,
                                std::optional<double> min, std::optional<double> max) {
  fields_.push_back(MakeField(std::move(name), ConfigType::kInt, def, std::move(doc), min, max));
  return *this;
}
ConfigSchema& ConfigSchema::Double(std::string name, double def, std::string doc,
                                   std::optional<double> min, std::optional<double> max) {
  fields_.push_back(MakeField(std::move(name), ConfigType::kDouble, def, std::move(doc), min, max));
  return *this;
}
ConfigSchema& ConfigSchema::String(std::string name, std::string def, std::string doc,
                                   std::vector<std::string> choices) {
  fields_.push_back(MakeField(std::move(name), ConfigType::kString, std::move(def), std::move(doc),
                              {}, {}));
  fields_.back().choices = std::move(choices);
  return *this;
}
ConfigSchema& ConfigSchema::IntList(std::string name, std::vector<int64_t> def, std::string doc,
                                    std::optional<double> min, std::optional<double> max) {
  fields_.push_back(MakeField(std::move(name), ConfigType::kIntList, std::move(def),
                              std::move(doc), min, max));
  return *this;
}
ConfigSchema& ConfigSchema::DoubleList(std::string name, std::vector<double> def, std::string doc,
                                       std::optional<double> min, std::optional<double> max) {
  fields_.push_back(MakeField(std::move(name), ConfigType::kDoubleList, std::move(def),
                              std::move(doc), min, max));
  return *this;
}

const ConfigField* ConfigSchema::Find(std::string_view name) const {
  for (const auto& f : fields_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Config ConfigSchema::Defaults() const {
  Config c;
  for (const auto& f : fields_) c.values_[f.name] = f.default_value;
  return c;
}

absl::StatusOr<Config> ConfigSchema::Resolve(const ConfigOverrides& overrides) const {
  Config c = Defaults();
  for (const auto& [key, value] : overrides) {
    const ConfigField* f = Find(key);
    if (f == nullptr) {
      std::vector<std::string> names;
      for (const auto& field : fields_) names.push_back(field.name);
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown config key '", key, "'; known keys: ",
          names.empty() ? "(none)" : absl::StrJoin(names, ", ")));
    }
    auto coerced = Coerce(*f, value);
    if (!coerced.ok()) return coerced.status();
    c.values_[f->name] = *std::move(coerced);
  }
  return c;
}

absl::Status ParseOverride(std::string_view text, ConfigOverrides& out) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("config override '", std::string(text), "' is not of the form key=value"));
  }
  out[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  return absl::OkStatus();
}

}  // namespace gridrl::env
