// The conformance suite: one set of checks that every VecEnv implementation must pass
// (in-process pool with any thread count, sync or async; remote over gRPC, streaming or unary).
//
// Trajectories are compared per environment: a deterministic policy picks each env's action from
// that env's own step counter, its id and its current action mask, so the sequence of rows an env
// produces must be identical however envs are batched, threaded or transported.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "env/reference_policy.h"
#include "env/vec_env.h"

namespace gridrl::testing {

using env::ActionBatch;
using env::AutoresetMode;
using env::EnvSpec;
using env::PoolOptions;
using env::StepBatch;
using env::VecEnv;

using VecEnvFactory = std::function<std::unique_ptr<VecEnv>(const PoolOptions&)>;

using env::PolicyRow;

// One env's row of a batch, serialised (every field), for exact comparison.
inline std::string RowBytes(const StepBatch& b, int64_t r, bool with_final) {
  std::string out;
  auto add = [&](const env::Tensor& t) {
    out.append(reinterpret_cast<const char*>(t.row(r)), t.row_bytes());
  };
  for (const auto& t : b.obs) add(t);
  add(b.reward);
  add(b.terminated);
  add(b.truncated);
  add(b.env_id);
  add(b.elapsed_step);
  for (const auto& t : b.info) add(t);
  if (!b.action_mask.empty()) add(b.action_mask);
  if (with_final) {
    for (const auto& t : b.final_obs) add(t);
    for (const auto& t : b.final_info) add(t);
  }
  return out;
}

// Checks that every row lies in the spec's spaces.
inline void ExpectRowsInSpaces(const EnvSpec& spec, const StepBatch& b) {
  for (int64_t r = 0; r < b.size(); ++r) {
    for (size_t k = 0; k < spec.obs_leaves.size(); ++k) {
      absl::Status s = env::CheckLeafValues(spec.obs_leaves[k], b.obs[k].row(r),
                                            "observation '" + spec.obs_leaves[k].name + "'");
      EXPECT_TRUE(s.ok()) << s;
    }
    double reward = b.reward.data<double>()[r];
    EXPECT_GE(reward, spec.reward_low);
    EXPECT_LE(reward, spec.reward_high);
  }
}

// Runs the deterministic policy until every env has produced `rows_per_env` rows (its reset row
// included) and returns each env's rows in order. Works for sync and async VecEnvs.
inline std::vector<std::vector<std::string>> RecordPerEnv(VecEnv& venv, int rows_per_env,
                                                          std::optional<uint64_t> seed) {
  const EnvSpec& spec = venv.spec();
  const int64_t n = venv.options().num_envs;
  const bool with_final = venv.options().autoreset == AutoresetMode::kSameStep;
  std::vector<std::vector<std::string>> rows(n);
  std::vector<int64_t> t(n, 0);
  std::vector<std::vector<bool>> masks(n);
  ActionBatch actions;
  auto record = [&](const StepBatch& b) {
    ExpectRowsInSpaces(spec, b);
    std::vector<int32_t> ids;
    for (int64_t r = 0; r < b.size(); ++r) {
      int32_t id = b.env_id.data<int32_t>()[r];
      rows[id].push_back(RowBytes(b, r, with_final));
      if (!b.action_mask.empty()) {
        const bool* m = reinterpret_cast<const bool*>(b.action_mask.row(r));
        masks[id].assign(m, m + spec.action_mask_size);
      }
      ids.push_back(id);
    }
    return ids;
  };
  auto act = [&](const std::vector<int32_t>& ids) {
    actions.Allocate(spec, static_cast<int64_t>(ids.size()));
    for (size_t r = 0; r < ids.size(); ++r) {
      int32_t id = ids[r];
      std::vector<bool>& m = masks[id];
      std::unique_ptr<bool[]> mask;
      if (!m.empty()) {
        mask.reset(new bool[m.size()]);
        std::copy(m.begin(), m.end(), mask.get());
      }
      PolicyRow(spec, id, t[id]++, mask.get(), actions, static_cast<int64_t>(r));
    }
  };
  auto done = [&] {
    for (const auto& r : rows) {
      if (static_cast<int>(r.size()) < rows_per_env) return false;
    }
    return true;
  };
  EXPECT_TRUE(venv.SendReset({}, seed).ok());
  while (!done()) {
    auto batch = venv.Recv();
    if (!batch.ok()) {
      ADD_FAILURE() << batch.status();
      break;
    }
    std::vector<int32_t> ids = record(**batch);
    act(ids);
    absl::Status s = venv.Send(actions, ids);
    if (!s.ok()) {
      ADD_FAILURE() << s;
      break;
    }
  }
  // Receive what is still in flight so the VecEnv ends in a clean state.
  for (int guard = 0; guard < 1000; ++guard) {
    auto batch = venv.Recv();
    if (!batch.ok()) break;
    record(**batch);
  }
  for (auto& r : rows) r.resize(std::min<size_t>(r.size(), rows_per_env));
  return rows;
}

// The standard checks, run against `make` and compared with `reference` (an in-process,
// single-threaded, synchronous pool of the same env).
inline void RunConformance(const VecEnvFactory& make, const VecEnvFactory& reference,
                           int64_t num_envs, int64_t batch_size) {
  for (AutoresetMode mode :
       {AutoresetMode::kNextStep, AutoresetMode::kSameStep, AutoresetMode::kDisabled}) {
    SCOPED_TRACE(env::AutoresetModeName(mode));
    PoolOptions options;
    options.num_envs = num_envs;
    options.batch_size = batch_size;
    options.seed = 1234;
    options.autoreset = mode;
    PoolOptions ref_options = options;
    ref_options.batch_size = 0;
    ref_options.num_threads = 1;
    if (mode == AutoresetMode::kDisabled) continue;  // checked separately (needs explicit resets)
    auto ref = reference(ref_options);
    auto venv = make(options);
    ASSERT_NE(ref, nullptr);
    ASSERT_NE(venv, nullptr);
    auto expected = RecordPerEnv(*ref, 80, std::nullopt);
    auto actual = RecordPerEnv(*venv, 80, std::nullopt);
    ASSERT_EQ(expected.size(), actual.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(expected[i].size(), actual[i].size()) << "env " << i;
      for (size_t s = 0; s < expected[i].size(); ++s) {
        ASSERT_EQ(expected[i][s], actual[i][s]) << "env " << i << " row " << s;
      }
    }
    // Reseeding reproduces the first episode exactly.
    auto again = RecordPerEnv(*venv, 5, 1234);
    for (size_t i = 0; i < again.size(); ++i) {
      for (size_t s = 0; s < again[i].size(); ++s) {
        EXPECT_EQ(again[i][s], expected[i][s]) << "reseeded env " << i << " row " << s;
      }
    }
    ASSERT_TRUE(venv->Close().ok());
  }
}

}  // namespace gridrl::testing
