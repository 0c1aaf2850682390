#include "powerflow/network/data_path.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace gridrl {
namespace {

bool IsDir(const std::string& p) {
  std::error_code ec;
  return std::filesystem::is_directory(p, ec);
}

}  // namespace

std::string DataDir() {
  if (const char* env = std::getenv("GRIDRL_DATA_DIR"); env != nullptr && *env != '\0') return env;
#ifdef GRIDRL_SOURCE_DIR
  if (std::string src = std::string(GRIDRL_SOURCE_DIR) + "/data"; IsDir(src)) return src;
#endif
  return "/usr/local/share/gridrl/data";
}

absl::StatusOr<std::string> DataFile(std::string_view relative_path) {
  std::string path = absl::StrCat(DataDir(), "/", std::string(relative_path));
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return path;
  return absl::NotFoundError(absl::StrCat("data file '", std::string(relative_path), "' not found at ", path,
                                          " (set GRIDRL_DATA_DIR to the project's data/ folder)"));
}

}  // namespace gridrl
