// The project's own case format (JSON, "gridrl-case-1") and the one entry point that turns a
// `--case` value into a Network: a built-in name (data/cases/NAME.json), a .json path or a
// MATPOWER .m path. Field names carry units (pd_mw, r_pu, shift_deg); non-finite limits are the
// strings "inf" / "-inf". Read errors name the file and the JSON path of the bad field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "powerflow/network/network.h"

namespace gridrl::powerflow {

inline constexpr std::string_view kCaseFormat = "gridrl-case-1";

// The built-in case names shipped in data/cases/.
const std::vector<std::string>& BuiltinCaseNames();
bool IsBuiltinCaseName(std::string_view name);

std::string CaseToJson(const Network& net);
absl::StatusOr<Network> CaseFromJson(std::string_view text, std::string_view source_name);
absl::StatusOr<Network> ReadCaseJsonFile(const std::string& path);
absl::Status WriteCaseJsonFile(const Network& net, const std::string& path);

// Built-in name, *.json or *.m path. Unknown names list the built-in ones.
absl::StatusOr<Network> LoadCase(std::string_view name_or_path);

}  // namespace gridrl::powerflow
