// The one list of built-in environments. Adding an environment is a folder envs/<id>/ (picked up
// by the build) and its line below; each registration function is defined in envs/<id>/env.cc.
#include "envs/builtin.h"

namespace gridrl::env {
void RegisterTutorialEnv(Registry& registry);
void RegisterRestoration70Env(Registry& registry);
void RegisterUcRts96Env(Registry& registry);
void RegisterResilience123Env(Registry& registry);
}  // namespace gridrl::env

namespace gridrl::envs {

void RegisterBuiltins(env::Registry& registry) {
  for (auto* register_env : {&env::RegisterTutorialEnv, &env::RegisterRestoration70Env,
                             &env::RegisterUcRts96Env, &env::RegisterResilience123Env}) {
    register_env(registry);  // a second call finds the id registered and leaves it
  }
}

}  // namespace gridrl::envs
