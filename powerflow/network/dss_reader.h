// Reader for the subset of the OpenDSS scripting language that the IEEE test feeders use, into
// the project's FeederData. Supported: Clear, New/Edit/More (`~`), Redirect/Compile, Open/Close
// (lines), Set VoltageBases/DefaultBaseFrequency, CalcVoltageBases, BusCoords, Solve (ignored);
// elements Circuit/Vsource, LineCode, Line, Load (models 1, 2, 5; wye/delta), Transformer
// (2 windings), RegControl, Capacitor; `like=`. Anything else is an error naming the file and
// line, so a feeder is never silently half-read.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "powerflow/network/feeder_data.h"

namespace gridrl::powerflow {

// Reads a .dss file (following Redirect/Compile relative to each file's folder).
absl::StatusOr<FeederData> ReadDssFile(const std::string& path);

// Reads script text; `origin` names it in errors, `base_dir` resolves Redirect paths.
absl::StatusOr<FeederData> ReadDssText(absl::string_view text, absl::string_view origin,
                                       const std::string& base_dir);

}  // namespace gridrl::powerflow
