// EnvPool: the in-process VecEnv. N environments (heterogeneous configs allowed when their
// interfaces agree) stepped by a fixed set of worker threads.
//
// Threading: in synchronous mode (batch_size == num_envs) the calling thread works alongside
// num_threads - 1 workers, so one thread means no hand-off at all; in asynchronous mode
// num_threads workers step envs while the caller does something else. Every env owns its RNG,
// so results never depend on which thread ran it: a seed gives bit-identical trajectories for any
// thread count, and in async mode each env's own trajectory is the same.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "env/registry.h"
#include "env/vec_env.h"

namespace gridrl::env {

class EnvPool final : public VecEnv {
 public:
  // Makes the envs from the registry: `configs` has one entry (shared) or num_envs entries.
  static absl::StatusOr<std::unique_ptr<EnvPool>> Make(std::string_view env_id,
                                                       const std::vector<ConfigOverrides>& configs,
                                                       const PoolOptions& options,
                                                       const Registry& registry = Registry::Global());
  // Takes ownership of ready-made envs (num_envs = envs.size()).
  static absl::StatusOr<std::unique_ptr<EnvPool>> FromEnvs(std::vector<std::unique_ptr<Env>> envs,
                                                           PoolOptions options);
  ~EnvPool() override;

  const EnvSpec& spec() const override { return spec_; }
  const PoolOptions& options() const override { return options_; }
  absl::Status SendReset(std::span<const int32_t> env_ids, std::optional<uint64_t> seed) override;
  absl::Status SendResetWithSeeds(std::span<const int32_t> env_ids,
                                  std::span<const uint64_t> seeds) override;
  absl::Status Send(const ActionBatch& actions, std::span<const int32_t> env_ids) override;
  absl::StatusOr<const StepBatch*> Recv() override;
  absl::StatusOr<int64_t> SaveState(std::span<const int32_t> env_ids) override;
  absl::StatusOr<const StepBatch*> RestoreState(int64_t snapshot) override;
  absl::Status ReleaseState(int64_t snapshot) override;
  absl::Status Close() override;

  // Direct access for in-process agents that want to look ahead (clone an env, try actions).
  const Env& env(int32_t i) const { return *slots_[i].env; }

 private:
  enum class Phase : uint8_t { kNeedsReset, kRunning, kEnded };
  enum class Op : uint8_t { kReset, kStep };
  struct Slot {
    std::unique_ptr<Env> env;
    Phase phase = Phase::kNeedsReset;
    bool seeded = false;
    bool in_flight = false;
    Op op = Op::kStep;
    std::optional<uint64_t> seed;
    int32_t elapsed = 0;
  };
  struct Snapshot {
    std::vector<int32_t> ids;
    std::vector<std::unique_ptr<Env>> envs;
    std::vector<Slot> slots;  // without env
    StepBatch rows;
  };

  EnvPool(std::vector<std::unique_ptr<Env>> envs, PoolOptions options);
  absl::Status ResolveIds(std::span<const int32_t> env_ids, std::vector<int32_t>& out,
                          const std::string& what) const;
  // Queues resets of ids_scratch_; seed_of(k) is the seed for the k-th id, if any.
  template <typename SeedOf>
  void QueueResets(SeedOf seed_of);
  void Enqueue(const std::vector<int32_t>& ids);
  void WorkerLoop();
  // Pops up to one chunk of queued env ids; false when the queue is empty. Requires mu_.
  bool PopChunk(std::vector<int32_t>& chunk);
  void Process(int32_t i);
  void FinishChunk(const std::vector<int32_t>& chunk);

  EnvSpec spec_;
  PoolOptions options_;
  bool sync_;
  std::vector<Slot> slots_;
  StepBatch results_;  // row i belongs to env i
  ActionBatch actions_;  // row i: env i's pending action
  StepBatch out_;      // Recv's batch when it is not results_ itself
  std::vector<int32_t> ids_scratch_, chunk_scratch_, recv_ids_;

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<int32_t> queue_;    // envs waiting for a worker
  std::vector<int32_t> done_;    // envs finished, not yet received (completion order)
  int64_t pending_ = 0;          // sent and not yet received
  int64_t wanted_ = 0;           // results a blocked Recv waits for (0: nobody waits)
  int64_t chunk_size_ = 1;
  bool stopping_ = false;
  std::vector<std::thread> workers_;

  std::map<int64_t, Snapshot> snapshots_;
  int64_t next_snapshot_ = 1;
};

}  // namespace gridrl::env
