// `gridrl envs`: the registered environments with their spaces and config keys.
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "env/registry.h"

namespace gridrl::cli {
namespace {

absl::Status RunEnvs(const Args& args) {
  const bool verbose = args.Flag("verbose");
  const auto only = args.positionals();
  auto& registry = env::Registry::Global();
  for (const std::string& id : registry.Ids()) {
    if (!only.empty() && std::find(only.begin(), only.end(), id) == only.end()) continue;
    auto factory = registry.Find(id);
    auto spec = registry.Spec(id, {});
    if (!spec.ok()) return spec.status();
    std::cout << id << ": " << (*factory)->summary << "\n"
              << "  observation: " << spec->observation_space.DebugString() << "\n"
              << "  action:      " << spec->action_space.DebugString()
              << (spec->has_action_mask ? "  (masked)" : "") << "\n"
              << "  infos:       " << absl::StrJoin(spec->info_keys, ", ") << "\n";
    if (verbose) {
      std::cout << "  config:\n";
      for (const auto& f : (*factory)->schema.fields()) {
        std::cout << "    " << f.name << " (" << env::ConfigTypeName(f.type)
                  << ", default " << env::ConfigValueString(f.default_value) << "): " << f.doc
                  << "\n";
      }
    }
  }
  for (const std::string& id : only) {
    if (auto f = registry.Find(id); !f.ok()) return f.status();
  }
  return absl::OkStatus();
}

GRIDRL_COMMAND({.name = "envs",
                .summary = "list the registered environments and their spaces",
                .usage = "gridrl envs [ID...] [--verbose]\n"
                         "  Lists each environment's observation and action spaces and infos;\n"
                         "  --verbose adds every config key with its type, default and meaning.",
                .run = RunEnvs});

}  // namespace
}  // namespace gridrl::cli
