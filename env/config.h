// Typed, validated per-environment configuration.
//
// Each environment declares a ConfigSchema: named fields with a type, a default, a doc line and
// optional bounds or choices. User overrides (from C++, the wire, the CLI or Python kwargs) are
// resolved against the schema: unknown keys, wrong types and out-of-range values are errors that
// name the key and the expected form. Every [ours] value of a specification is such a field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridrl::env {

using ConfigValue =
    std::variant<bool, int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

enum class ConfigType : uint8_t { kBool, kInt, kDouble, kString, kIntList, kDoubleList };

const char* ConfigTypeName(ConfigType type);
std::string ConfigValueString(const ConfigValue& value);

struct ConfigField {
  std::string name;
  ConfigType type = ConfigType::kDouble;
  ConfigValue default_value;
  std::string doc;
  std::optional<double> min, max;    // inclusive bounds for numbers and list elements
  std::vector<std::string> choices;  // allowed values for strings (empty: any)
};

using ConfigOverrides = std::map<std::string, ConfigValue, std::less<>>;

// The resolved configuration of one environment: every schema field has a value.
class Config {
 public:
  bool GetBool(std::string_view key) const;
  int64_t GetInt(std::string_view key) const;
  double GetDouble(std::string_view key) const;
  const std::string& GetString(std::string_view key) const;
  const std::vector<int64_t>& GetIntList(std::string_view key) const;
  const std::vector<double>& GetDoubleList(std::string_view key) const;
  const std::map<std::string, ConfigValue, std::less<>>& values() const { return values_; }

 private:
  friend class ConfigSchema;
  const ConfigValue& At(std::string_view key) const;  // CHECKs: a missing key is a programmer bug
  std::map<std::string, ConfigValue, std::less<>> values_;
};

class ConfigSchema {
 public:
  ConfigSchema& Bool(std::string name, bool def, std::string doc);
  ConfigSchema& Int(std::string name, int64_t def, std::string doc,
                    std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  ConfigSchema& Double(std::string name, double def, std::string doc,
                       std::optional<double> min = std::nullopt,
                       std::optional<double> max = std::nullopt);
  ConfigSchema& String(std::string name, std::string def, std::string doc,
                       std::vector<std::string> choices = {});
  ConfigSchema& IntList(std::string name, std::vector<int64_t> def, std::string doc,
                        std::optional<double> min = std::nullopt,
                        std::optional<double> max = std::nullopt);
  ConfigSchema& DoubleList(std::string name, std::vector<double> def, std::string doc,
                           std::optional<double> min = std::nullopt,
                           std::optional<double> max = std::nullopt);

  const std::vector<ConfigField>& fields() const { return fields_; }
  const ConfigField* Find(std::string_view name) const;

  // Applies overrides to the defaults. Integers are accepted for doubles, integral doubles for
  // integers, and strings are parsed (the CLI's `--config key=value`).
  absl::StatusOr<Config> Resolve(const ConfigOverrides& overrides) const;
  Config Defaults() const;

 private:
  std::vector<ConfigField> fields_;
};

// Parses "key=value" (CLI form) into an override; the value stays a string until Resolve.
absl::Status ParseOverride(std::string_view text, ConfigOverrides& out);

}  // namespace gridrl::env
