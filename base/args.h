// Command-line arguments: "--key value" / "--key=value" / "--flag" plus positionals, with a check
// that every option given was read, so a misspelt option is a clear error. Shared by the gridrl
// tool and gridrl-server.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridrl::base {

// Parsed "--key value" / "--key=value" / "--flag" arguments plus positionals. Every option a
// command reads is marked as used; `CheckAllUsed` turns a misspelt option into a clear error.
class Args {
 public:
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv);

  bool Has(std::string_view key) const;
  std::optional<std::string> Get(std::string_view key) const;
  std::string GetOr(std::string_view key, std::string_view fallback) const;
  absl::StatusOr<long long> GetInt(std::string_view key, long long fallback) const;
  absl::StatusOr<double> GetDouble(std::string_view key, double fallback) const;
  bool Flag(std::string_view key) const;  // present without a value, or =true/1/yes
  // All values of a repeatable option, in order (e.g. --close 54-94 --close 151-300).
  std::vector<std::string> GetAll(std::string_view key) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  absl::Status CheckAllUsed() const;

 private:
  std::vector<std::pair<std::string, std::string>> options_;
  std::vector<std::string> positionals_;
  mutable std::map<std::string, bool, std::less<>> used_;
};

}  // namespace gridrl::base
