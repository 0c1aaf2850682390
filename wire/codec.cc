#include "wire/codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridrl::codec {

v1::DType ToProto(env::DType dtype) {
  switch (dtype) {
    case env::DType::kFloat32: return v1::DTYPE_FLOAT32;
    case env::DType::kFloat64: return v1::DTYPE_FLOAT64;
    case env::DType::kInt32: return v1::DTYPE_INT32;
    case env::DType::kInt64: return v1::DTYPE_INT64;
    case env::DType::kInt8: return v1::DTYPE_INT8;
    case env::DType::kBool: return v1::DTYPE_BOOL;
  }
  return v1::DTYPE_UNSPECIFIED;
}

absl::StatusOr<env::DType> FromProto(v1::DType dtype, const std::string& what) {
  switch (dtype) {
    case v1::DTYPE_FLOAT32: return env::DType::kFloat32;
    case v1::DTYPE_FLOAT64: return env::DType::kFloat64;
    case v1::DTYPE_INT32: return env::DType::kInt32;
    case v1::DTYPE_INT64: return env::DType::kInt64;
    case v1::DTYPE_INT8: return env::DType::kInt8;
    case v1::DTYPE_BOOL: return env::DType::kBool;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": dtype ", static_cast<int>(dtype),
                       dtype == v1::DTYPE_UNSPECIFIED ? " (unspecified)" : " (unknown)"));
  }
}

void ToProto(const env::Space& space, v1::Space* out) {
  switch (space.kind) {
    case env::SpaceKind::kDiscrete: {
      auto* d = out->mutable_discrete();
      d->set_n(space.n);
      d->set_start(space.start);
      break;
    }
    case env::SpaceKind::kMultiDiscrete:
      out->mutable_multi_discrete()->mutable_nvec()->Add(space.nvec.begin(), space.nvec.end());
      break;
    case env::SpaceKind::kMultiBinary:
      out->mutable_multi_binary()->mutable_shape()->Add(space.shape.begin(), space.shape.end());
      break;
    case env::SpaceKind::kBox: {
      auto* b = out->mutable_box();
      b->set_dtype(ToProto(space.dtype));
      b->mutable_shape()->Add(space.shape.begin(), space.shape.end());
      b->mutable_low()->Add(space.low.begin(), space.low.end());
      b->mutable_high()->Add(space.high.begin(), space.high.end());
      break;
    }
    case env::SpaceKind::kDict: {
      auto* d = out->mutable_dict();
      for (const auto& [key, child] : space.entries) {
        auto* e = d->add_entries();
        e->set_key(key);
        ToProto(child, e->mutable_space());
      }
      break;
    }
  }
}

absl::StatusOr<env::Space> FromProto(const v1::Space& space, const std::string& what) {
  switch (space.kind_case()) {
    case v1::Space::kDiscrete:
      if (space.discrete().n() < 1) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": Discrete n must be >= 1"));
      }
      return env::Space::Discrete(space.discrete().n(), space.discrete().start());
    case v1::Space::kMultiDiscrete:
      return env::Space::MultiDiscrete(
          {space.multi_discrete().nvec().begin(), space.multi_discrete().nvec().end()});
    case v1::Space::kMultiBinary: {
      env::Space s = env::Space::MultiBinary(1);
      s.shape.assign(space.multi_binary().shape().begin(), space.multi_binary().shape().end());
      return s;
    }
    case v1::Space::kBox: {
      auto dtype = FromProto(space.box().dtype(), what);
      if (!dtype.ok()) return dtype.status();
      env::Space s = env::Space::Box(*dtype, {space.box().shape().begin(), space.box().shape().end()},
                                     {space.box().low().begin(), space.box().low().end()},
                                     {space.box().high().begin(), space.box().high().end()});
      if (static_cast<int64_t>(s.low.size()) != s.NumElements() ||
          static_cast<int64_t>(s.high.size()) != s.NumElements()) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": Box bounds do not match its shape"));
      }
      return s;
    }
    case v1::Space::kDict: {
      std::vector<std::pair<std::string, env::Space>> entries;
      for (const auto& e : space.dict().entries()) {
        auto child = FromProto(e.space(), absl::StrCat(what, ".", e.key()));
        if (!child.ok()) return child.status();
        entries.emplace_back(e.key(), *std::move(child));
      }
      return env::Space::Dict(std::move(entries));
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(what, ": space kind is not set"));
  }
}

void ToProto(const env::ConfigValue& value, v1::ConfigValue* out) {
  struct Visitor {
    v1::ConfigValue* out;
    void operator()(bool v) const { out->set_bool_value(v); }
    void operator()(int64_t v) const { out->set_int_value(v); }
    void operator()(double v) const { out->set_double_value(v); }
    void operator()(const std::string& v) const { out->set_string_value(v); }
    void operator()(const std::vector<int64_t>& v) const {
      out->mutable_int_list()->mutable_values()->Add(v.begin(), v.end());
    }
    void operator()(const std::vector<double>& v) const {
      out->mutable_double_list()->mutable_values()->Add(v.begin(), v.end());
    }
  };
  std::visit(Visitor{out}, value);
}

absl::StatusOr<env::ConfigValue> FromProto(const v1::ConfigValue& value, const std::string& key) {
  switch (value.kind_case()) {
    case v1::ConfigValue::kBoolValue: return env::ConfigValue(value.bool_value());
    case v1::ConfigValue::kIntValue: return env::ConfigValue(value.int_value());
    case v1::ConfigValue::kDoubleValue: return env::ConfigValue(value.double_value());
    case v1::ConfigValue::kStringValue: return env::ConfigValue(value.string_value());
    case v1::ConfigValue::kIntList:
      return env::ConfigValue(
          std::vector<int64_t>(value.int_list().values().begin(), value.int_list().values().end()));
    case v1::ConfigValue::kDoubleList:
      return env::ConfigValue(std::vector<double>(value.double_list().values().begin(),
                                                  value.double_list().values().end()));
    default:
      return absl::InvalidArgumentError(absl::StrCat("config '", key, "': value is not set"));
  }
}

absl::StatusOr<env::ConfigOverrides> FromProto(const v1::Config& config) {
  env::ConfigOverrides out;
  for (const auto& [key, value] : config.values()) {
    auto v = FromProto(value, key);
    if (!v.ok()) return v.status();
    out[key] = *std::move(v);
  }
  return out;
}

void ToProto(const env::ConfigOverrides& config, v1::Config* out) {
  for (const auto& [key, value] : config) ToProto(value, &(*out->mutable_values())[key]);
}

namespace {
void LeavesToProto(const std::vector<env::Leaf>& leaves,
                   google::protobuf::RepeatedPtrField<v1::LeafSpec>* out) {
  for (const auto& leaf : leaves) {
    auto* l = out->Add();
    l->set_name(leaf.name);
    l->set_dtype(ToProto(leaf.dtype));
    l->mutable_shape()->Add(leaf.shape.begin(), leaf.shape.end());
  }
}
}  // namespace

void ToProto(const env::EnvSpec& spec, v1::EnvSpec* out) {
  out->set_env_id(spec.id);
  out->set_description(spec.description);
  ToProto(spec.observation_space, out->mutable_observation_space());
  ToProto(spec.action_space, out->mutable_action_space());
  LeavesToProto(spec.obs_leaves, out->mutable_observation_leaves());
  LeavesToProto(spec.action_leaves, out->mutable_action_leaves());
  for (const auto& k : spec.info_keys) out->add_info_keys(k);
  out->set_action_mask_size(spec.action_mask_size);
  out->set_action_mask_enforced(spec.enforce_action_mask);
  out->set_reward_low(spec.reward_low);
  out->set_reward_high(spec.reward_high);
  out->set_max_episode_steps(spec.max_episode_steps);
  for (const auto& f : spec.config_schema.fields()) {
    auto* pf = out->add_config_schema();
    pf->set_name(f.name);
    pf->set_type(env::ConfigTypeName(f.type));
    ToProto(f.default_value, pf->mutable_default_value());
    pf->set_doc(f.doc);
    if (f.min) pf->set_min(*f.min);
    if (f.max) pf->set_max(*f.max);
    for (const auto& c : f.choices) pf->add_choices(c);
  }
  for (const auto& [key, value] : spec.config.values()) {
    ToProto(value, &(*out->mutable_config())[key]);
  }
}

absl::StatusOr<env::EnvSpec> FromProto(const v1::EnvSpec& spec) {
  env::EnvSpec out;
  out.id = spec.env_id();
  out.description = spec.description();
  auto obs = FromProto(spec.observation_space(), "observation_space");
  if (!obs.ok()) return obs.status();
  auto act = FromProto(spec.action_space(), "action_space");
  if (!act.ok()) return act.status();
  out.observation_space = *std::move(obs);
  out.action_space = *std::move(act);
  out.info_keys.assign(spec.info_keys().begin(), spec.info_keys().end());
  out.has_action_mask = spec.action_mask_size() > 0;
  out.enforce_action_mask = spec.action_mask_enforced();
  out.reward_low = spec.reward_low();
  out.reward_high = spec.reward_high();
  out.max_episode_steps = spec.max_episode_steps();
  out.Finalize();
  if (out.action_mask_size != spec.action_mask_size()) {
    return absl::InvalidArgumentError("spec: action_mask_size does not match the action space");
  }
  return out;
}

v1::AutoresetMode ToProto(env::AutoresetMode mode) {
  switch (mode) {
    case env::AutoresetMode::kNextStep: return v1::AUTORESET_MODE_NEXT_STEP;
    case env::AutoresetMode::kSameStep: return v1::AUTORESET_MODE_SAME_STEP;
    case env::AutoresetMode::kDisabled: return v1::AUTORESET_MODE_DISABLED;
  }
  return v1::AUTORESET_MODE_UNSPECIFIED;
}

absl::StatusOr<env::AutoresetMode> FromProto(v1::AutoresetMode mode) {
  switch (mode) {
    case v1::AUTORESET_MODE_UNSPECIFIED:
    case v1::AUTORESET_MODE_NEXT_STEP: return env::AutoresetMode::kNextStep;
    case v1::AUTORESET_MODE_SAME_STEP: return env::AutoresetMode::kSameStep;
    case v1::AUTORESET_MODE_DISABLED: return env::AutoresetMode::kDisabled;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("autoreset_mode: unknown value ", static_cast<int>(mode)));
  }
}

void ToProto(const env::Tensor& tensor, v1::Tensor* out) {
  out->set_dtype(ToProto(tensor.dtype()));
  out->mutable_shape()->Add(tensor.shape().begin(), tensor.shape().end());
  out->set_data(reinterpret_cast<const char*>(tensor.bytes()), tensor.num_bytes());
}

absl::Status FromProto(const v1::Tensor& tensor, const std::string& what, env::Tensor* out) {
  auto dtype = FromProto(tensor.dtype(), what);
  if (!dtype.ok()) return dtype.status();
  std::vector<int64_t> shape(tensor.shape().begin(), tensor.shape().end());
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || d > (int64_t{1} << 40)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": shape [", absl::StrJoin(shape, ", "),
                                                     "] has an invalid dimension"));
    }
    count *= d;
  }
  const size_t want = static_cast<size_t>(count) * env::DTypeSize(*dtype);
  if (tensor.data().size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", tensor.data().size(), " bytes of data for shape [", absl::StrJoin(shape, ", "),
        "] of ", env::DTypeName(*dtype), ", expected ", want));
  }
  if (out->dtype() != *dtype || out->shape() != shape) out->Reset(*dtype, std::move(shape));
  std::memcpy(out->bytes(), tensor.data().data(), want);
  return absl::OkStatus();
}

void ToProto(const env::StepBatch& batch, v1::StepResponse* out) {
  for (const auto& t : batch.obs) ToProto(t, out->add_observation());
  ToProto(batch.reward, out->mutable_reward());
  ToProto(batch.terminated, out->mutable_terminated());
  ToProto(batch.truncated, out->mutable_truncated());
  ToProto(batch.env_id, out->mutable_env_id());
  ToProto(batch.elapsed_step, out->mutable_elapsed_step());
  for (const auto& t : batch.info) ToProto(t, out->add_info());
  if (!batch.action_mask.empty()) ToProto(batch.action_mask, out->mutable_action_mask());
  for (const auto& t : batch.final_obs) ToProto(t, out->add_final_observation());
  for (const auto& t : batch.final_info) ToProto(t, out->add_final_info());
}

absl::Status FromProto(const v1::StepResponse& response, const env::EnvSpec& spec,
                       env::StepBatch* out) {
  const int64_t rows = response.has_reward() && !response.reward().shape().empty()
                           ? response.reward().shape(0)
                           : 0;
  const bool with_final = response.final_observation_size() > 0;
  if (out->size() != rows || out->obs.size() != spec.obs_leaves.size() ||
      out->final_obs.empty() == with_final) {
    out->Allocate(spec, rows, with_final);
  }
  if (rows == 0) return absl::OkStatus();
  if (response.observation_size() != static_cast<int>(spec.obs_leaves.size())) {
    return absl::InvalidArgumentError(absl::StrCat("response has ", response.observation_size(),
                                                   " observation tensors, expected ",
                                                   spec.obs_leaves.size()));
  }
  auto decode = [&](const v1::Tensor& t, const std::string& what, env::Tensor* dst) {
    env::DType want_dtype = dst->dtype();
    std::vector<int64_t> want_shape = dst->shape();
    if (auto s = FromProto(t, what, dst); !s.ok()) return s;
    if (dst->dtype() != want_dtype || dst->shape() != want_shape) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": unexpected dtype or shape"));
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < spec.obs_leaves.size(); ++i) {
    if (auto s = decode(response.observation(i), "observation " + spec.obs_leaves[i].name,
                        &out->obs[i]);
        !s.ok()) {
      return s;
    }
  }
  if (auto s = decode(response.reward(), "reward", &out->reward); !s.ok()) return s;
  if (auto s = decode(response.terminated(), "terminated", &out->terminated); !s.ok()) return s;
  if (auto s = decode(response.truncated(), "truncated", &out->truncated); !s.ok()) return s;
  if (auto s = decode(response.env_id(), "env_id", &out->env_id); !s.ok()) return s;
  if (auto s = decode(response.elapsed_step(), "elapsed_step", &out->elapsed_step); !s.ok()) {
    return s;
  }
  if (response.info_size() != static_cast<int>(spec.info_keys.size())) {
    return absl::InvalidArgumentError("response: wrong number of info tensors");
  }
  for (size_t i = 0; i < spec.info_keys.size(); ++i) {
    if (auto s = decode(response.info(i), "info " + spec.info_keys[i], &out->info[i]); !s.ok()) {
      return s;
    }
  }
  if (spec.action_mask_size > 0) {
    if (auto s = decode(response.action_mask(), "action_mask", &out->action_mask); !s.ok()) {
      return s;
    }
  }
  if (with_final) {
    if (response.final_observation_size() != static_cast<int>(spec.obs_leaves.size()) ||
        response.final_info_size() != static_cast<int>(spec.info_keys.size())) {
      return absl::InvalidArgumentError("response: wrong number of final observation tensors");
    }
    for (size_t i = 0; i < spec.obs_leaves.size(); ++i) {
      if (auto s = decode(response.final_observation(i), "final_observation", &out->final_obs[i]);
          !s.ok()) {
        return s;
      }
    }
    for (size_t i = 0; i < spec.info_keys.size(); ++i) {
      if (auto s = decode(response.final_info(i), "final_info", &out->final_info[i]); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

void ToProto(const env::ActionBatch& actions,
             google::protobuf::RepeatedPtrField<v1::Tensor>* out) {
  for (const auto& t : actions.leaves) ToProto(t, out->Add());
}

absl::Status FromProto(const google::protobuf::RepeatedPtrField<v1::Tensor>& tensors,
                       const env::EnvSpec& spec, env::ActionBatch* out) {
  if (tensors.size() != static_cast<int>(spec.action_leaves.size())) {
    std::vector<std::string> names;
    for (const auto& l : spec.action_leaves) names.push_back(l.name.empty() ? "(root)" : l.name);
    return absl::InvalidArgumentError(absl::StrCat("action: ", tensors.size(),
                                                   " tensors given, expected ",
                                                   spec.action_leaves.size(), " (",
                                                   absl::StrJoin(names, ", "), ")"));
  }
  out->leaves.resize(tensors.size());
  for (int i = 0; i < tensors.size(); ++i) {
    const auto& leaf = spec.action_leaves[i];
    std::string what = leaf.name.empty() ? "action" : absl::StrCat("action '", leaf.name, "'");
    if (auto s = FromProto(tensors[i], what, &out->leaves[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace gridrl::codec
