#include "base/args.h"

#include <cerrno>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridrl::base {

absl::StatusOr<Args> Args::Parse(const std::vector<std::string>& argv) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& w = argv[i];
    if (!absl::StartsWith(w, "--") || w == "--") {
      args.positionals_.push_back(w);
      continue;
    }
    std::string body = w.substr(2);
    if (body.empty()) return absl::InvalidArgumentError("empty option '--'");
    size_t eq = body.find('=');
    if (eq != std::string::npos) {
      args.options_.emplace_back(body.substr(0, eq), body.substr(eq + 1));
    } else if (i + 1 < argv.size() && !absl::StartsWith(argv[i + 1], "--")) {
      args.options_.emplace_back(body, argv[++i]);
    } else {
      args.options_.emplace_back(body, "");
    }
  }
  for (const auto& [k, v] : args.options_) args.used_[k] = false;
  return args;
}

bool Args::Has(std::string_view key) const {
  for (const auto& [k, v] : options_) {
    if (k == key) {
      used_[std::string(key)] = true;
      return true;
    }
  }
  return false;
}

std::optional<std::string> Args::Get(std::string_view key) const {
  std::optional<std::string> out;
  for (const auto& [k, v] : options_) {
    if (k == key) out = v;  // the last occurrence wins
  }
  if (out) used_[std::string(key)] = true;
  return out;
}

std::string Args::GetOr(std::string_view key, std::string_view fallback) const {
  auto v = Get(key);
  return v ? *v : std::string(fallback);
}

absl::StatusOr<long long> Args::GetInt(std::string_view key, long long fallback) const {
  auto v = Get(key);
  if (!v) return fallback;
  long long out;
  if (!absl::SimpleAtoi(*v, &out)) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(key), " expects an integer, got '", *v, "'"));
  }
  return out;
}

absl::StatusOr<double> Args::GetDouble(std::string_view key, double fallback) const {
  auto v = Get(key);
  if (!v) return fallback;
  double out;
  if (!absl::SimpleAtod(*v, &out)) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(key), " expects a number, got '", *v, "'"));
  }
  return out;
}

bool Args::Flag(std::string_view key) const {
  auto v = Get(key);
  if (!v) return false;
  std::string s = absl::AsciiStrToLower(*v);
  return s.empty() || s == "1" || s == "true" || s == "yes" || s == "on";
}

std::vector<std::string> Args::GetAll(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : options_) {
    if (k == key) out.push_back(v);
  }
  if (!out.empty()) used_[std::string(key)] = true;
  return out;
}

absl::Status Args::CheckAllUsed() const {
  std::vector<std::string> unused;
  for (const auto& [k, used] : used_) {
    if (!used) unused.push_back("--" + k);
  }
  if (unused.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown option(s): ", absl::StrJoin(unused, ", ")));
}

}  // namespace gridrl::base
