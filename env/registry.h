// The environment registry: ids -> (config schema, factory). `Registry::Global()` holds the
// built-in environments (registered explicitly in registry.cc, not by static initialisers, so
// nothing depends on link order). Making an env resolves the user's config against its schema.
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

// Each built-in environment provides one of these (defined next to the environment).
void RegisterTutorialEnv(Registry& registry);
void RegisterRestoration70Env(Registry& registry);
void RegisterUcRts96Env(Registry& registry);
void RegisterResilience123Env(Registry& registry);

}  // namespace gridrl::env
