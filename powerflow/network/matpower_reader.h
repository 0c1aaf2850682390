// Reader for MATPOWER case files (format version 2): mpc.baseMVA, mpc.bus, mpc.gen, mpc.branch,
// mpc.gencost, mpc.areas and mpc.dcline, with the trailing unit-conversion block used by the
// distribution cases (r/x in ohms divided by Vbase^2/Sbase, loads in kW/kVAr divided by 1e3).
// Only data statements are read; any other statement that changes mpc is an error naming its line,
// so a file is never half-understood. Every error names the file, the line and the field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "powerflow/network/network.h"

namespace gridrl::powerflow {

struct MatpowerReadInfo {
  // Unit conversions that the file's own code block asked for and the reader applied.
  std::vector<std::string> conversions;
};

// Parses MATPOWER text; `source_name` is used in error messages and as Network::source.
absl::StatusOr<Network> ParseMatpower(std::string_view text, std::string_view source_name,
                                      MatpowerReadInfo* info = nullptr);

// Reads and parses a .m file; the case name is the file's stem.
absl::StatusOr<Network> ReadMatpowerFile(const std::string& path, MatpowerReadInfo* info = nullptr);

}  // namespace gridrl::powerflow
