#include "env/env.h"

#include "absl/strings/str_cat.h"

namespace gridrl::env {

const char* AutoresetModeName(AutoresetMode mode) {
  switch (mode) {
    case AutoresetMode::kNextStep: return "next_step";
    case AutoresetMode::kSameStep: return "same_step";
    case AutoresetMode::kDisabled: return "disabled";
  }
  return "?";
}

void EnvSpec::Finalize() {
  obs_leaves = Leaves(observation_space);
  action_leaves = Leaves(action_space);
  action_mask_size = has_action_mask ? MaskSize(action_space) : 0;
}

EnvSpec& EnvSpec::operator=(const EnvSpec& other) {
  if (this == &other) return *this;
  id = other.id;
  description = other.description;
  observation_space = other.observation_space;
  action_space = other.action_space;
  info_keys = other.info_keys;
  has_action_mask = other.has_action_mask;
  enforce_action_mask = other.enforce_action_mask;
  reward_low = other.reward_low;
  reward_high = other.reward_high;
  max_episode_steps = other.max_episode_steps;
  config_schema = other.config_schema;
  config = other.config;
  Finalize();  // leaves must point into this copy's spaces, not the source's
  return *this;
}

bool EnvSpec::SameInterface(const EnvSpec& other, std::string* why) const {
  auto fail = [&](const char* what, const std::string& a, const std::string& b) {
    if (why) *why = absl::StrCat(what, " differs: ", a, " vs ", b);
    return false;
  };
  if (id != other.id) return fail("env id", id, other.id);
  if (!(observation_space == other.observation_space)) {
    return fail("observation space", observation_space.DebugString(),
                other.observation_space.DebugString());
  }
  if (!(action_space == other.action_space)) {
    return fail("action space", action_space.DebugString(), other.action_space.DebugString());
  }
  if (info_keys != other.info_keys) return fail("info keys", "", "");
  if (has_action_mask != other.has_action_mask) return fail("action mask", "", "");
  return true;
}

void StepBatch::Allocate(const EnvSpec& spec, int64_t rows, bool with_final) {
  auto leaf_tensors = [&](std::vector<Tensor>& out) {
    out.resize(spec.obs_leaves.size());
    for (size_t i = 0; i < spec.obs_leaves.size(); ++i) {
      std::vector<int64_t> shape = {rows};
      shape.insert(shape.end(), spec.obs_leaves[i].shape.begin(), spec.obs_leaves[i].shape.end());
      out[i].Reset(spec.obs_leaves[i].dtype, std::move(shape));
    }
  };
  auto info_tensors = [&](std::vector<Tensor>& out) {
    out.resize(spec.info_keys.size());
    for (auto& t : out) t.Reset(DType::kFloat64, {rows});
  };
  leaf_tensors(obs);
  reward.Reset(DType::kFloat64, {rows});
  terminated.Reset(DType::kBool, {rows});
  truncated.Reset(DType::kBool, {rows});
  env_id.Reset(DType::kInt32, {rows});
  elapsed_step.Reset(DType::kInt32, {rows});
  info_tensors(info);
  if (spec.action_mask_size > 0) {
    action_mask.Reset(DType::kBool, {rows, spec.action_mask_size});
  } else {
    action_mask = Tensor();
  }
  if (with_final) {
    leaf_tensors(final_obs);
    info_tensors(final_info);
  } else {
    final_obs.clear();
    final_info.clear();
  }
}

namespace {
void CopyTensorRow(const Tensor& src, int64_t from, Tensor& dst, int64_t to) {
  std::memcpy(dst.row(to), src.row(from), src.row_bytes());
}
}  // namespace

void StepBatch::CopyRow(const StepBatch& src, int64_t from, int64_t to) {
  for (size_t i = 0; i < obs.size(); ++i) CopyTensorRow(src.obs[i], from, obs[i], to);
  CopyTensorRow(src.reward, from, reward, to);
  CopyTensorRow(src.terminated, from, terminated, to);
  CopyTensorRow(src.truncated, from, truncated, to);
  CopyTensorRow(src.env_id, from, env_id, to);
  CopyTensorRow(src.elapsed_step, from, elapsed_step, to);
  for (size_t i = 0; i < info.size(); ++i) CopyTensorRow(src.info[i], from, info[i], to);
  if (!action_mask.empty()) CopyTensorRow(src.action_mask, from, action_mask, to);
  for (size_t i = 0; i < final_obs.size() && i < src.final_obs.size(); ++i) {
    CopyTensorRow(src.final_obs[i], from, final_obs[i], to);
  }
  for (size_t i = 0; i < final_info.size() && i < src.final_info.size(); ++i) {
    CopyTensorRow(src.final_info[i], from, final_info[i], to);
  }
}

void ActionBatch::Allocate(const EnvSpec& spec, int64_t rows) {
  leaves.resize(spec.action_leaves.size());
  for (size_t i = 0; i < spec.action_leaves.size(); ++i) {
    std::vector<int64_t> shape = {rows};
    shape.insert(shape.end(), spec.action_leaves[i].shape.begin(),
                 spec.action_leaves[i].shape.end());
    leaves[i].Reset(spec.action_leaves[i].dtype, std::move(shape));
  }
}

}  // namespace gridrl::env
