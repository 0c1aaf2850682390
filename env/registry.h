// The environment registry: ids -> (config schema, factory). `Registry::Global()` is the process's
// registry; it starts empty, and a program fills it at start-up (the gridrl tool and gridrl-server
// register the built-in environments listed in envs/builtin.cc; tests may add their own), so the
// framework names no environment and nothing depends on link order or static initialisers.
// Making an env resolves the user's config against its schema.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "env/config.h"
#include "env/env.h"

namespace gridrl::env {

struct EnvFactory {
  std::string id;
  std::string summary;  // one line for `gridrl envs`
  ConfigSchema schema;
  std::function<absl::StatusOr<std::unique_ptr<Env>>(const Config&)> make;
};

class Registry {
 public:
  static Registry& Global();

  absl::Status Register(EnvFactory factory);  // AlreadyExists for a duplicate id
  std::vector<std::string> Ids() const;
  absl::StatusOr<const EnvFactory*> Find(std::string_view id) const;  // NotFound lists the ids
  absl::StatusOr<std::unique_ptr<Env>> Make(std::string_view id,
                                            const ConfigOverrides& overrides) const;
  // The spec computed from a config (makes one env to ask it).
  absl::StatusOr<EnvSpec> Spec(std::string_view id, const ConfigOverrides& overrides) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<EnvFactory>, std::less<>> factories_;
};


}  // namespace gridrl::env
