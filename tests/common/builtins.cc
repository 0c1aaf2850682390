// Linked into every test binary: registers the built-in environments before main runs, as the
// gridrl tool and gridrl-server do at start-up (their registry starts empty).
#include "envs/builtin.h"

namespace {
const bool kBuiltinsRegistered = (gridrl::envs::RegisterBuiltins(), true);
}  // namespace
