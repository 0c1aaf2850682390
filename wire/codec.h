// Conversions between the environment core's types and the gridrl.v1 messages. The server and
// the C++ client both use these, so the two ends of the wire cannot drift apart. Decoding never
// trusts its input: every malformed field is an InvalidArgument naming it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "env/config.h"
#include "env/env.h"
#include "env/vec_env.h"
#include "gridrl/v1/env_service.pb.h"
#include "gridrl/v1/spaces.pb.h"

namespace gridrl::codec {

v1::DType ToProto(env::DType dtype);
absl::StatusOr<env::DType> FromProto(v1::DType dtype, const std::string& what);

void ToProto(const env::Space& space, v1::Space* out);
absl::StatusOr<env::Space> FromProto(const v1::Space& space, const std::string& what);

void ToProto(const env::EnvSpec& spec, v1::EnvSpec* out);
// Rebuilds the parts of an EnvSpec a client needs (spaces, leaves, infos, mask, limits).
absl::StatusOr<env::EnvSpec> FromProto(const v1::EnvSpec& spec);

void ToProto(const env::ConfigValue& value, v1::ConfigValue* out);
absl::StatusOr<env::ConfigValue> FromProto(const v1::ConfigValue& value, const std::string& key);
absl::StatusOr<env::ConfigOverrides> FromProto(const v1::Config& config);
void ToProto(const env::ConfigOverrides& config, v1::Config* out);

v1::AutoresetMode ToProto(env::AutoresetMode mode);
absl::StatusOr<env::AutoresetMode> FromProto(v1::AutoresetMode mode);

void ToProto(const env::Tensor& tensor, v1::Tensor* out);
// Checks dtype, shape and byte count; `what` names the field in errors.
absl::Status FromProto(const v1::Tensor& tensor, const std::string& what, env::Tensor* out);

void ToProto(const env::StepBatch& batch, v1::StepResponse* out);
absl::Status FromProto(const v1::StepResponse& response, const env::EnvSpec& spec,
                       env::StepBatch* out);

// Actions: one tensor per action leaf, named after the leaf in errors.
void ToProto(const env::ActionBatch& actions, google::protobuf::RepeatedPtrField<v1::Tensor>* out);
absl::Status FromProto(const google::protobuf::RepeatedPtrField<v1::Tensor>& tensors,
                       const env::EnvSpec& spec, env::ActionBatch* out);

}  // namespace gridrl::codec
