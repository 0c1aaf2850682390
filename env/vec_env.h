// VecEnv: the one batched interface every consumer talks to (the gRPC service, agents, tests).
// EnvPool implements it in-process; clients/cpp's RemoteVecEnv implements it over gRPC, so code
// written against VecEnv runs either way.
//
// The interface is EnvPool's: Send(actions, env_ids) starts steps, Recv() returns the next batch of
// results (min(batch_size, envs sent and not yet received)). With batch_size == num_envs and all
// envs sent, Send+Recv is a synchronous step over all envs, rows in env-id order. A returned
// StepBatch stays valid until the next call on the same VecEnv. A VecEnv is used by one thread
// at a time (the server serialises each session).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "env/env.h"

namespace gridrl::env {

struct PoolOptions {
  int64_t num_envs = 1;
  int64_t batch_size = 0;  // 0: num_envs (synchronous)
  int num_threads = 0;     // 0: min(hardware threads, num_envs)
  uint64_t seed = 0;       // env i is seeded seed + i at its first reset unless reset with a seed
  AutoresetMode autoreset = AutoresetMode::kNextStep;
  int64_t max_snapshots = 1024;
};

class VecEnv {
 public:
  virtual ~VecEnv() = default;
  virtual const EnvSpec& spec() const = 0;
  virtual const PoolOptions& options() const = 0;

  // Starts resetting env_ids (all when empty); with a seed, env i is reseeded seed + i.
  virtual absl::Status SendReset(std::span<const int32_t> env_ids,
                                 std::optional<uint64_t> seed) = 0;
  // The same with one seed per env: seeds[k] reseeds env_ids[k] (env k when env_ids is empty).
  virtual absl::Status SendResetWithSeeds(std::span<const int32_t> env_ids,
                                          std::span<const uint64_t> seeds) = 0;
  // Starts stepping env_ids (all when empty) with one action row per id, in the order given.
  virtual absl::Status Send(const ActionBatch& actions, std::span<const int32_t> env_ids) = 0;
  virtual absl::StatusOr<const StepBatch*> Recv() = 0;

  // Saves the state of env_ids (all when empty) and returns a handle; Restore brings those envs
  // back to it and returns their rows (observation, mask, infos as at the save).
  virtual absl::StatusOr<int64_t> SaveState(std::span<const int32_t> env_ids) = 0;
  virtual absl::StatusOr<const StepBatch*> RestoreState(int64_t snapshot) = 0;
  virtual absl::Status ReleaseState(int64_t snapshot) = 0;

  virtual absl::Status Close() = 0;

  // Synchronous conveniences: send, then receive.
  absl::StatusOr<const StepBatch*> Reset(std::optional<uint64_t> seed = std::nullopt,
                                         std::span<const int32_t> env_ids = {}) {
    if (auto s = SendReset(env_ids, seed); !s.ok()) return s;
    return Recv();
  }
  absl::StatusOr<const StepBatch*> Step(const ActionBatch& actions,
                                        std::span<const int32_t> env_ids = {}) {
    if (auto s = Send(actions, env_ids); !s.ok()) return s;
    return Recv();
  }
};

// Checks an action batch against a spec before anything is stepped: leaf count, dtype, shape
// ([rows, ...leaf shape]) and values (range, finiteness). Shared by the pool and the server so
// both report the same errors. `env_ids[r]` names row r's env in messages.
absl::Status CheckActionBatch(const EnvSpec& spec, const ActionBatch& actions,
                              std::span<const int32_t> env_ids);

// Checks one row of actions against a flat action mask (Discrete/MultiDiscrete choices).
absl::Status CheckActionMask(const EnvSpec& spec, const ActionBatch& actions, int64_t row,
                             const bool* mask, int32_t env_id);

}  // namespace gridrl::env
