// The built-in environments. A program that serves or runs them (the gridrl tool, gridrl-server,
// the test and benchmark mains) calls RegisterBuiltins once at start-up.
#pragma once

#include "env/registry.h"

namespace gridrl::envs {

// Registers every environment listed in envs/builtin.cc (idempotent per registry).
void RegisterBuiltins(env::Registry& registry = env::Registry::Global());

}  // namespace gridrl::envs
