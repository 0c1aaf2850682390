// The environment contract: what an environment implements once to be served every way
// (in-process, pooled, remote from C++ or Python).
//
// An Env owns its mutable state and one RNG; immutable data (networks, time series) is shared
// between copies through shared_ptr<const ...>. Reset and Step write their results into one row
// (a StepSlot) of a batch that the pool preallocated, so stepping allocates nothing. Actions
// reach Step already validated against the spec (dtype, shape, range, finiteness, mask), so Step
// never sees malformed input; environment-specific checks go in ValidateAction.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "env/config.h"
#include "env/space.h"
#include "env/tensor.h"

namespace gridrl::env {

// What Gymnasium 1.1 calls the autoreset mode of a vector environment.
enum class AutoresetMode : uint8_t {
  kNextStep,  // the step after an episode ends resets that env (its action is ignored)
  kSameStep,  // the ending step resets at once; the final observation goes to final_obs
  kDisabled,  // the caller resets ended envs itself; stepping one is an error
};
const char* AutoresetModeName(AutoresetMode mode);

struct EnvSpec {
  std::string id;
  std::string description;
  Space observation_space;
  Space action_space;
  std::vector<std::string> info_keys;  // named float64 scalars written every reset and step
  bool has_action_mask = false;        // flat mask over MaskSize(action_space) choices
  // Masked choices are refused with an error; when false the mask is advice and the env itself
  // handles a masked choice (e.g. as a no-op), as Gymnasium's env checker expects.
  bool enforce_action_mask = true;
  double reward_low = -std::numeric_limits<double>::infinity();
  double reward_high = std::numeric_limits<double>::infinity();
  int64_t max_episode_steps = 0;  // 0: no time limit of its own
  ConfigSchema config_schema;
  Config config;  // the resolved config the spec was computed from

  // Derived by Finalize(): flattened leaves and the mask length.
  std::vector<Leaf> obs_leaves;
  std::vector<Leaf> action_leaves;
  int64_t action_mask_size = 0;

  void Finalize();  // call after the spaces are set; leaves point into this object's spaces
  EnvSpec() = default;
  EnvSpec(const EnvSpec& other) { *this = other; }
  EnvSpec& operator=(const EnvSpec& other);
  // The fields that must agree for two envs to share a pool (spaces, infos, mask).
  bool SameInterface(const EnvSpec& other, std::string* why) const;
};

// Results of one step for all envs of a batch: one tensor per observation leaf, and
// reward/terminated/truncated/info/mask rows. Row r belongs to environment env_id[r].
struct StepBatch {
  std::vector<Tensor> obs;   // obs_leaves order, shape [B, ...leaf shape]
  Tensor reward;             // float64 [B]
  Tensor terminated;         // bool [B]
  Tensor truncated;          // bool [B]
  Tensor env_id;             // int32 [B]
  Tensor elapsed_step;       // int32 [B]: steps since this env's last reset
  std::vector<Tensor> info;  // info_keys order, float64 [B]
  Tensor action_mask;        // bool [B, action_mask_size] (empty without a mask)
  // SAME_STEP autoreset only: the last observation and info of the episodes that ended in this
  // step (rows valid where terminated or truncated; other rows are zero).
  std::vector<Tensor> final_obs;
  std::vector<Tensor> final_info;

  void Allocate(const EnvSpec& spec, int64_t rows, bool with_final);
  int64_t size() const { return reward.shape().empty() ? 0 : reward.shape()[0]; }
  // Copies row `from_row` of `src` into row `to_row` of this batch (same spec).
  void CopyRow(const StepBatch& src, int64_t from_row, int64_t to_row);
};

// Actions for a batch: one tensor per action leaf, shape [B, ...leaf shape].
struct ActionBatch {
  std::vector<Tensor> leaves;
  void Allocate(const EnvSpec& spec, int64_t rows);
  int64_t size() const {
    return leaves.empty() || leaves[0].shape().empty() ? 0 : leaves[0].shape()[0];
  }
};

// One environment's row of a StepBatch: where Reset and Step write.
class StepSlot {
 public:
  StepSlot(StepBatch* batch, int64_t row) : batch_(batch), row_(row) {}
  template <typename T>
  std::span<T> obs(size_t leaf) {
    Tensor& t = batch_->obs[leaf];
    return {reinterpret_cast<T*>(t.row(row_)), t.row_bytes() / sizeof(T)};
  }
  double& reward() { return batch_->reward.data<double>()[row_]; }
  bool& terminated() { return batch_->terminated.data<bool>()[row_]; }
  bool& truncated() { return batch_->truncated.data<bool>()[row_]; }
  double& info(size_t key) { return batch_->info[key].data<double>()[row_]; }
  std::span<bool> action_mask() {
    Tensor& t = batch_->action_mask;
    return {reinterpret_cast<bool*>(t.row(row_)), t.row_bytes()};
  }

 private:
  StepBatch* batch_;
  int64_t row_;
};

// One environment's row of an ActionBatch.
class ActionRow {
 public:
  ActionRow(const ActionBatch* batch, int64_t row) : batch_(batch), row_(row) {}
  template <typename T>
  std::span<const T> get(size_t leaf) const {
    const Tensor& t = batch_->leaves[leaf];
    return {reinterpret_cast<const T*>(t.row(row_)), t.row_bytes() / sizeof(T)};
  }
  template <typename T>
  T scalar(size_t leaf) const { return get<T>(leaf)[0]; }

 private:
  const ActionBatch* batch_;
  int64_t row_;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual const EnvSpec& spec() const = 0;

  // Starts an episode. With a seed, the env's RNG is reseeded first; without one, it continues
  // (so a pool that autoresets stays reproducible). Writes observation, infos and mask.
  virtual void Reset(std::optional<uint64_t> seed, StepSlot out) = 0;
  // Advances one step with an action already checked against the spec. Writes everything.
  virtual void Step(const ActionRow& action, StepSlot out) = 0;
  // Checks beyond the spec (e.g. combinations that are never valid). Default: none.
  virtual absl::Status ValidateAction(const ActionRow& action) const { return absl::OkStatus(); }

  // A deep copy of the mutable state (shared immutable model), for lookahead and snapshots.
  virtual std::unique_ptr<Env> Clone() const = 0;
  // Makes this env's state equal to `other`'s (an env of the same type and spec).
  virtual void RestoreFrom(const Env& other) = 0;
};

// Implements Clone/RestoreFrom through Derived's copy constructor and copy assignment, so an
// environment whose members copy correctly gets snapshots for free.
template <typename Derived>
class EnvBase : public Env {
 public:
  std::unique_ptr<Env> Clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
  void RestoreFrom(const Env& other) override {
    static_cast<Derived&>(*this) = static_cast<const Derived&>(other);
  }
};

}  // namespace gridrl::env
