#include "env/pool.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridrl::env {
namespace {

std::string ShapeString(std::span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

std::string LeafLabel(const Leaf& leaf) {
  return leaf.name.empty() ? "action" : absl::StrCat("action '", leaf.name, "'");
}

}  // namespace

absl::Status CheckActionBatch(const EnvSpec& spec, const ActionBatch& actions,
                              std::span<const int32_t> env_ids) {
  const auto& leaves = spec.action_leaves;
  if (actions.leaves.size() != leaves.size()) {
    std::vector<std::string> names;
    for (const auto& l : leaves) names.push_back(l.name.empty() ? "(root)" : l.name);
    return absl::InvalidArgumentError(absl::StrCat("action has ", actions.leaves.size(),
                                                   " tensors, expected ", leaves.size(), " (",
                                                   absl::StrJoin(names, ", "), ")"));
  }
  const int64_t rows = static_cast<int64_t>(env_ids.size());
  for (size_t k = 0; k < leaves.size(); ++k) {
    const Leaf& leaf = leaves[k];
    const Tensor& t = actions.leaves[k];
    if (t.dtype() != leaf.dtype) {
      return absl::InvalidArgumentError(absl::StrCat(LeafLabel(leaf), ": dtype ",
                                                     DTypeName(t.dtype()), ", expected ",
                                                     DTypeName(leaf.dtype)));
    }
    std::vector<int64_t> want = {rows};
    want.insert(want.end(), leaf.shape.begin(), leaf.shape.end());
    if (t.shape() != want) {
      return absl::InvalidArgumentError(absl::StrCat(LeafLabel(leaf), ": shape ",
                                                     ShapeString(t.shape()), ", expected ",
                                                     ShapeString(want), " (batch of ", rows,
                                                     " x ", leaf.space->DebugString(), ")"));
    }
    for (int64_t r = 0; r < rows; ++r) {
      if (auto s = CheckLeafValues(leaf, t.row(r),
                                   absl::StrCat(LeafLabel(leaf), " of env ", env_ids[r]));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckActionMask(const EnvSpec& spec, const ActionBatch& actions, int64_t row,
                             const bool* mask, int32_t env_id) {
  int64_t offset = 0;
  for (size_t k = 0; k < spec.action_leaves.size(); ++k) {
    const Leaf& leaf = spec.action_leaves[k];
    const Space& s = *leaf.space;
    const int64_t* v = reinterpret_cast<const int64_t*>(actions.leaves[k].row(row));
    if (s.kind == SpaceKind::kDiscrete) {
      if (!mask[offset + (v[0] - s.start)]) {
        return absl::FailedPreconditionError(absl::StrCat(
            LeafLabel(leaf), " of env ", env_id, ": value ", v[0], " is masked (not allowed now)"));
      }
      offset += s.n;
    } else if (s.kind == SpaceKind::kMultiDiscrete) {
      for (size_t j = 0; j < s.nvec.size(); ++j) {
        if (!mask[offset + v[j]]) {
          return absl::FailedPreconditionError(absl::StrCat(LeafLabel(leaf), "[", j, "] of env ",
                                                            env_id, ": value ", v[j],
                                                            " is masked (not allowed now)"));
        }
        offset += s.nvec[j];
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EnvPool>> EnvPool::Make(std::string_view env_id,
                                                       const std::vector<ConfigOverrides>& configs,
                                                       const PoolOptions& options,
                                                       const Registry& registry) {
  if (options.num_envs < 1) {
    return absl::InvalidArgumentError(absl::StrCat("num_envs must be >= 1, got ", options.num_envs));
  }
  if (!configs.empty() && configs.size() != 1 &&
      static_cast<int64_t>(configs.size()) != options.num_envs) {
    return absl::InvalidArgumentError(absl::StrCat("configs: give one (shared) or num_envs = ",
                                                   options.num_envs, ", got ", configs.size()));
  }
  std::vector<std::unique_ptr<Env>> envs;
  envs.reserve(options.num_envs);
  static const ConfigOverrides kEmpty;
  for (int64_t i = 0; i < options.num_envs; ++i) {
    const ConfigOverrides& c = configs.empty() ? kEmpty : configs[configs.size() == 1 ? 0 : i];
    auto env = registry.Make(env_id, c);
    if (!env.ok()) {
      if (configs.size() > 1) {
        return absl::Status(env.status().code(),
                            absl::StrCat("config of env ", i, ": ", env.status().message()));
      }
      return env.status();
    }
    envs.push_back(*std::move(env));
  }
  return FromEnvs(std::move(envs), options);
}

absl::StatusOr<std::unique_ptr<EnvPool>> EnvPool::FromEnvs(std::vector<std::unique_ptr<Env>> envs,
                                                           PoolOptions options) {
  if (envs.empty()) return absl::InvalidArgumentError("an EnvPool needs at least one env");
  options.num_envs = static_cast<int64_t>(envs.size());
  if (options.batch_size == 0) options.batch_size = options.num_envs;
  if (options.batch_size < 1 || options.batch_size > options.num_envs) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size must be in 1..num_envs (",
                                                   options.num_envs, "), got ",
                                                   options.batch_size));
  }
  if (options.num_threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat("num_threads must be >= 0, got ",
                                                   options.num_threads));
  }
  if (options.num_threads == 0) {
    options.num_threads = static_cast<int>(std::min<int64_t>(
        std::max(1u, std::thread::hardware_concurrency()), options.num_envs));
  }
  for (size_t i = 1; i < envs.size(); ++i) {
    std::string why;
    if (!envs[i]->spec().SameInterface(envs[0]->spec(), &why)) {
      return absl::InvalidArgumentError(
          absl::StrCat("env ", i, " cannot share a pool with env 0: ", why));
    }
  }
  return std::unique_ptr<EnvPool>(new EnvPool(std::move(envs), options));
}

EnvPool::EnvPool(std::vector<std::unique_ptr<Env>> envs, PoolOptions options)
    : spec_(envs[0]->spec()), options_(options), sync_(options.batch_size == options.num_envs) {
  const int64_t n = options_.num_envs;
  slots_.resize(n);
  for (int64_t i = 0; i < n; ++i) slots_[i].env = std::move(envs[i]);
  results_.Allocate(spec_, n, options_.autoreset == AutoresetMode::kSameStep);
  for (int64_t i = 0; i < n; ++i) results_.env_id.data<int32_t>()[i] = static_cast<int32_t>(i);
  actions_.Allocate(spec_, n);
  // Synchronous: the caller is one of the threads. Asynchronous: all are workers.
  const int workers = sync_ ? options_.num_threads - 1 : options_.num_threads;
  for (int w = 0; w < workers; ++w) workers_.emplace_back([this] { WorkerLoop(); });
}

EnvPool::~EnvPool() { (void)Close(); }

absl::Status EnvPool::Close() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return absl::OkStatus();
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  return absl::OkStatus();
}

absl::Status EnvPool::ResolveIds(std::span<const int32_t> env_ids, std::vector<int32_t>& out,
                                 const std::string& what) const {
  const int64_t n = options_.num_envs;
  out.clear();
  if (env_ids.empty()) {
    for (int32_t i = 0; i < n; ++i) out.push_back(i);
  } else {
    out.assign(env_ids.begin(), env_ids.end());
  }
  std::vector<bool> seen(n, false);
  for (size_t k = 0; k < out.size(); ++k) {
    const int32_t id = out[k];
    if (id < 0 || id >= n) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": env_ids[", k, "] = ", id,
                                                     " is outside 0..", n - 1));
    }
    if (seen[id]) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": env id ", id, " appears twice"));
    }
    seen[id] = true;
    if (slots_[id].in_flight) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": env ", id, " is still in flight (receive its result with Recv first)"));
    }
  }
  return absl::OkStatus();
}

template <typename SeedOf>
void EnvPool::QueueResets(SeedOf seed_of) {
  for (size_t k = 0; k < ids_scratch_.size(); ++k) {
    const int32_t id = ids_scratch_[k];
    Slot& slot = slots_[id];
    slot.op = Op::kReset;
    if (std::optional<uint64_t> seed = seed_of(k)) {
      slot.seed = *seed;
    } else if (!slot.seeded) {
      slot.seed = options_.seed + static_cast<uint64_t>(id);  // the pool's seed, at first reset
    } else {
      slot.seed.reset();  // continue the env's own RNG
    }
    slot.seeded = true;
    slot.in_flight = true;
  }
  Enqueue(ids_scratch_);
}

absl::Status EnvPool::SendReset(std::span<const int32_t> env_ids, std::optional<uint64_t> seed) {
  if (stopping_) return absl::FailedPreconditionError("the pool is closed");
  if (auto s = ResolveIds(env_ids, ids_scratch_, "reset"); !s.ok()) return s;
  QueueResets([&](size_t k) -> std::optional<uint64_t> {
    if (!seed) return std::nullopt;
    return *seed + static_cast<uint64_t>(ids_scratch_[k]);  // Gymnasium: env i gets seed + i
  });
  return absl::OkStatus();
}

absl::Status EnvPool::SendResetWithSeeds(std::span<const int32_t> env_ids,
                                         std::span<const uint64_t> seeds) {
  if (stopping_) return absl::FailedPreconditionError("the pool is closed");
  if (auto s = ResolveIds(env_ids, ids_scratch_, "reset"); !s.ok()) return s;
  if (seeds.size() != ids_scratch_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("reset: ", seeds.size(), " seeds for ",
                                                   ids_scratch_.size(), " envs"));
  }
  QueueResets([&](size_t k) -> std::optional<uint64_t> { return seeds[k]; });
  return absl::OkStatus();
}

absl::Status EnvPool::Send(const ActionBatch& actions, std::span<const int32_t> env_ids) {
  if (stopping_) return absl::FailedPreconditionError("the pool is closed");
  if (auto s = ResolveIds(env_ids, ids_scratch_, "step"); !s.ok()) return s;
  if (auto s = CheckActionBatch(spec_, actions, ids_scratch_); !s.ok()) return s;
  // Everything is checked before any env moves, so a bad row leaves the whole batch unapplied.
  for (size_t r = 0; r < ids_scratch_.size(); ++r) {
    const int32_t id = ids_scratch_[r];
    const Slot& slot = slots_[id];
    if (slot.phase == Phase::kNeedsReset) {
      return absl::FailedPreconditionError(
          absl::StrCat("step: env ", id, " has not been reset (call reset first)"));
    }
    if (slot.phase == Phase::kEnded) {
      if (options_.autoreset == AutoresetMode::kDisabled) {
        return absl::FailedPreconditionError(absl::StrCat(
            "step: env ", id, "'s episode has ended and autoreset is disabled (reset it first)"));
      }
      continue;  // NEXT_STEP: this action is ignored, the env resets instead
    }
    if (spec_.action_mask_size > 0 && spec_.enforce_action_mask) {
      const bool* mask = reinterpret_cast<const bool*>(results_.action_mask.row(id));
      if (auto s = CheckActionMask(spec_, actions, static_cast<int64_t>(r), mask, id); !s.ok()) {
        return s;
      }
    }
    if (auto s = slot.env->ValidateAction(ActionRow(&actions, static_cast<int64_t>(r))); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("action of env ", id, ": ", s.message()));
    }
  }
  for (size_t r = 0; r < ids_scratch_.size(); ++r) {
    const int32_t id = ids_scratch_[r];
    for (size_t k = 0; k < actions.leaves.size(); ++k) {
      const Tensor& src = actions.leaves[k];
      std::memcpy(actions_.leaves[k].row(id), src.row(static_cast<int64_t>(r)), src.row_bytes());
    }
    slots_[id].op = Op::kStep;
    slots_[id].in_flight = true;
  }
  Enqueue(ids_scratch_);
  return absl::OkStatus();
}

void EnvPool::Enqueue(const std::vector<int32_t>& ids) {
  {
    std::lock_guard lock(mu_);
    queue_.insert(queue_.end(), ids.begin(), ids.end());
    pending_ += static_cast<int64_t>(ids.size());
    // Synchronous: one contiguous chunk per thread (fewest hand-offs). Asynchronous: one env at
    // a time, so each env is reported the moment it is done and a batch is ready as early as
    // possible.
    const int64_t threads = std::max<int64_t>(1, options_.num_threads);
    chunk_size_ = sync_ ? std::max<int64_t>(1, (static_cast<int64_t>(queue_.size()) + threads - 1) /
                                                   threads)
                        : 1;
  }
  if (!workers_.empty()) work_cv_.notify_all();
}

bool EnvPool::PopChunk(std::vector<int32_t>& chunk) {
  chunk.clear();
  while (!queue_.empty() && static_cast<int64_t>(chunk.size()) < chunk_size_) {
    chunk.push_back(queue_.front());
    queue_.pop_front();
  }
  return !chunk.empty();
}

void EnvPool::FinishChunk(const std::vector<int32_t>& chunk) {
  done_.insert(done_.end(), chunk.begin(), chunk.end());
}

void EnvPool::WorkerLoop() {
  std::vector<int32_t> chunk;
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    PopChunk(chunk);
    lock.unlock();
    for (int32_t id : chunk) Process(id);
    lock.lock();
    FinishChunk(chunk);
    // Wake the receiver only when its batch is complete: waking it for every env would cost a
    // context switch per env on a machine with few cores.
    if (wanted_ > 0 && static_cast<int64_t>(done_.size()) >= wanted_) done_cv_.notify_one();
  }
}

void EnvPool::Process(int32_t i) {
  Slot& slot = slots_[i];
  StepSlot out(&results_, i);
  const bool same_step = options_.autoreset == AutoresetMode::kSameStep;
  auto zero_final_row = [&] {
    for (auto& t : results_.final_obs) std::memset(t.row(i), 0, t.row_bytes());
    for (auto& t : results_.final_info) std::memset(t.row(i), 0, t.row_bytes());
  };
  if (slot.op == Op::kReset || slot.phase == Phase::kEnded) {
    // An explicit reset, or NEXT_STEP's reset in place of the step after an episode ended.
    slot.env->Reset(slot.op == Op::kReset ? slot.seed : std::nullopt, out);
    slot.seed.reset();
    slot.elapsed = 0;
    slot.phase = Phase::kRunning;
    out.reward() = 0.0;
    out.terminated() = false;
    out.truncated() = false;
    if (same_step) zero_final_row();
  } else {
    slot.env->Step(ActionRow(&actions_, i), out);
    ++slot.elapsed;
    const bool ended = out.terminated() || out.truncated();
    if (ended && same_step) {
      for (size_t k = 0; k < results_.obs.size(); ++k) {
        std::memcpy(results_.final_obs[k].row(i), results_.obs[k].row(i),
                    results_.obs[k].row_bytes());
      }
      for (size_t k = 0; k < results_.info.size(); ++k) {
        std::memcpy(results_.final_info[k].row(i), results_.info[k].row(i),
                    results_.info[k].row_bytes());
      }
      const double reward = out.reward();
      const bool terminated = out.terminated(), truncated = out.truncated();
      slot.env->Reset(std::nullopt, out);
      out.reward() = reward;
      out.terminated() = terminated;
      out.truncated() = truncated;
      slot.elapsed = 0;
    } else if (ended) {
      slot.phase = Phase::kEnded;
    } else if (same_step) {
      zero_final_row();
    }
  }
  results_.elapsed_step.data<int32_t>()[i] = slot.elapsed;
}

absl::StatusOr<const StepBatch*> EnvPool::Recv() {
  std::unique_lock lock(mu_);
  if (pending_ == 0) {
    return absl::FailedPreconditionError("recv: no environment is in flight (send or reset first)");
  }
  const int64_t n = std::min(options_.batch_size, pending_);
  while (static_cast<int64_t>(done_.size()) < n) {
    if (sync_ && PopChunk(chunk_scratch_)) {
      lock.unlock();
      for (int32_t id : chunk_scratch_) Process(id);
      lock.lock();
      FinishChunk(chunk_scratch_);
    } else {
      wanted_ = n;
      done_cv_.wait(lock);
      wanted_ = 0;
    }
  }
  recv_ids_.assign(done_.begin(), done_.begin() + n);
  done_.erase(done_.begin(), done_.begin() + n);
  pending_ -= n;
  lock.unlock();

  std::sort(recv_ids_.begin(), recv_ids_.end());
  for (int32_t id : recv_ids_) slots_[id].in_flight = false;
  if (n == options_.num_envs) return &results_;  // ids are exactly 0..n-1: no copy
  if (out_.size() != n) {
    out_.Allocate(spec_, n, options_.autoreset == AutoresetMode::kSameStep);
  }
  for (int64_t r = 0; r < n; ++r) out_.CopyRow(results_, recv_ids_[r], r);
  return &out_;
}

absl::StatusOr<int64_t> EnvPool::SaveState(std::span<const int32_t> env_ids) {
  if (auto s = ResolveIds(env_ids, ids_scratch_, "save_state"); !s.ok()) return s;
  if (static_cast<int64_t>(snapshots_.size()) >= options_.max_snapshots) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "save_state: ", snapshots_.size(), " snapshots are held (the limit); release some"));
  }
  Snapshot snap;
  snap.ids = ids_scratch_;
  snap.rows.Allocate(spec_, static_cast<int64_t>(snap.ids.size()),
                     options_.autoreset == AutoresetMode::kSameStep);
  for (size_t r = 0; r < snap.ids.size(); ++r) {
    const Slot& slot = slots_[snap.ids[r]];
    snap.envs.push_back(slot.env->Clone());
    Slot copy;
    copy.phase = slot.phase;
    copy.seeded = slot.seeded;
    copy.elapsed = slot.elapsed;
    snap.slots.push_back(std::move(copy));
    snap.rows.CopyRow(results_, snap.ids[r], static_cast<int64_t>(r));
  }
  const int64_t handle = next_snapshot_++;
  snapshots_.emplace(handle, std::move(snap));
  return handle;
}

absl::StatusOr<const StepBatch*> EnvPool::RestoreState(int64_t snapshot) {
  auto it = snapshots_.find(snapshot);
  if (it == snapshots_.end()) {
    return absl::NotFoundError(absl::StrCat("restore_state: no snapshot ", snapshot));
  }
  Snapshot& snap = it->second;
  for (int32_t id : snap.ids) {
    if (slots_[id].in_flight) {
      return absl::FailedPreconditionError(
          absl::StrCat("restore_state: env ", id, " is still in flight (Recv it first)"));
    }
  }
  const int64_t n = static_cast<int64_t>(snap.ids.size());
  for (int64_t r = 0; r < n; ++r) {
    Slot& slot = slots_[snap.ids[r]];
    slot.env->RestoreFrom(*snap.envs[r]);
    slot.phase = snap.slots[r].phase;
    slot.seeded = snap.slots[r].seeded;
    slot.elapsed = snap.slots[r].elapsed;
    results_.CopyRow(snap.rows, r, snap.ids[r]);
  }
  if (out_.size() != n) out_.Allocate(spec_, n, options_.autoreset == AutoresetMode::kSameStep);
  for (int64_t r = 0; r < n; ++r) out_.CopyRow(snap.rows, r, r);
  return &out_;
}

absl::Status EnvPool::ReleaseState(int64_t snapshot) {
  if (snapshots_.erase(snapshot) == 0) {
    return absl::NotFoundError(absl::StrCat("release_state: no snapshot ", snapshot));
  }
  return absl::OkStatus();
}

}  // namespace gridrl::env
