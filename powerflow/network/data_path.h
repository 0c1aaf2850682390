// Where the project's built-in data lives. Built-in cases are loaded by name ("rts96", "ieee123")
// from the data directory: $GRIDRL_DATA_DIR if set, else the source tree's data/ (compiled in),
// else /usr/local/share/gridrl/data (the container's install location).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gridrl {

// The data directory in use (no trailing slash).
std::string DataDir();

// Resolves a path relative to the data directory ("cases/rts96.json"); NotFound names every
// place that was tried.
absl::StatusOr<std::string> DataFile(std::string_view relative_path);

}  // namespace gridrl
