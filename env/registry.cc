#include "env/registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridrl::env {

Registry& Registry::Global() {
  static Registry* registry = new Registry();
  return *registry;
}

absl::Status Registry::Register(EnvFactory factory) {
  std::lock_guard lock(mu_);
  if (factories_.contains(factory.id)) {
    return absl::AlreadyExistsError(absl::StrCat("environment '", factory.id, "' is registered"));
  }
  std::string id = factory.id;
  factories_.emplace(std::move(id), std::make_unique<EnvFactory>(std::move(factory)));
  return absl::OkStatus();
}

std::vector<std::string> Registry::Ids() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, f] : factories_) ids.push_back(id);
  return ids;
}

absl::StatusOr<const EnvFactory*> Registry::Find(std::string_view id) const {
  {
    std::lock_guard lock(mu_);
    auto it = factories_.find(id);
    if (it != factories_.end()) return it->second.get();
  }
  return absl::NotFoundError(absl::StrCat("unknown environment '", std::string(id), "'; registered: ",
                                          absl::StrJoin(Ids(), ", ")));
}

absl::StatusOr<std::unique_ptr<Env>> Registry::Make(std::string_view id,
                                                    const ConfigOverrides& overrides) const {
  auto factory = Find(id);
  if (!factory.ok()) return factory.status();
  auto config = (*factory)->schema.Resolve(overrides);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(std::string(id), ": ", config.status().message()));
  }
  return (*factory)->make(*config);
}

absl::StatusOr<EnvSpec> Registry::Spec(std::string_view id, const ConfigOverrides& overrides) const {
  auto env = Make(id, overrides);
  if (!env.ok()) return env.status();
  return (*env)->spec();
}

}  // namespace gridrl::env
