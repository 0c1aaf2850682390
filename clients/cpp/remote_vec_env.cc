#include "clients/cpp/remote_vec_env.h"

#include "absl/strings/str_cat.h"
#include "wire/codec.h"

namespace gridrl::client {

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::unique_ptr<RemoteVecEnv>> RemoteVecEnv::Connect(const RemoteOptions& options) {
  std::unique_ptr<RemoteVecEnv> env(new RemoteVecEnv());
  env->remote_ = options;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  env->channel_ =
      grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);
  env->stub_ = v1::EnvService::NewStub(env->channel_);

  v1::CreateSessionRequest request;
  request.set_env_id(options.env_id);
  request.set_num_envs(options.pool.num_envs);
  request.set_batch_size(options.pool.batch_size);
  request.set_num_threads(options.pool.num_threads);
  request.set_seed(options.pool.seed);
  request.set_autoreset_mode(codec::ToProto(options.pool.autoreset));
  if (options.configs.size() == 1) {
    codec::ToProto(options.configs[0], request.mutable_config());
  } else {
    for (const auto& c : options.configs) codec::ToProto(c, request.add_env_configs());
  }
  v1::CreateSessionResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (auto s = FromGrpc(env->stub_->CreateSession(&context, request, &response)); !s.ok()) {
    return s;
  }
  env->session_id_ = response.session_id();
  auto spec = codec::FromProto(response.spec());
  if (!spec.ok()) return spec.status();
  env->spec_ = *std::move(spec);
  env->pool_options_ = options.pool;
  env->pool_options_.num_envs = response.num_envs();
  env->pool_options_.batch_size = response.batch_size();
  env->pool_options_.num_threads = response.num_threads();
  auto mode = codec::FromProto(response.autoreset_mode());
  if (!mode.ok()) return mode.status();
  env->pool_options_.autoreset = *mode;
  if (options.streaming) {
    env->stream_context_ = std::make_unique<grpc::ClientContext>();
    env->stream_ = env->stub_->AsyncStepStream(env->stream_context_.get(), &env->cq_, &env->cq_);
    if (!env->Await(&env->cq_)) return absl::UnavailableError("could not open the step stream");
  }
  return env;
}

RemoteVecEnv::~RemoteVecEnv() { (void)Close(); }

bool RemoteVecEnv::StreamWrite(const v1::StreamRequest& request) {
  int tag = 0;
  stream_->Write(request, &tag);
  return Await(&tag);
}

bool RemoteVecEnv::StreamRead(v1::StreamResponse* response) {
  int tag = 0;
  stream_->Read(response, &tag);
  return Await(&tag);
}

bool RemoteVecEnv::Await(void* tag) {
  void* got = nullptr;
  bool ok = false;
  return cq_.Next(&got, &ok) && got == tag && ok;
}

absl::Status RemoteVecEnv::SendReset(std::span<const int32_t> env_ids,
                                     std::optional<uint64_t> seed) {
  if (closed_) return absl::FailedPreconditionError("the remote env is closed");
  if (auto s = FlushHeld(); !s.ok()) return s;
  v1::StreamRequest request;
  auto* reset = request.mutable_reset();
  reset->set_session_id(session_id_);
  reset->mutable_env_ids()->Add(env_ids.begin(), env_ids.end());
  if (seed) reset->set_seed(*seed);
  held_ = std::move(request);
  return absl::OkStatus();
}

absl::Status RemoteVecEnv::SendResetWithSeeds(std::span<const int32_t> env_ids,
                                              std::span<const uint64_t> seeds) {
  if (closed_) return absl::FailedPreconditionError("the remote env is closed");
  if (auto s = FlushHeld(); !s.ok()) return s;
  v1::StreamRequest request;
  auto* reset = request.mutable_reset();
  reset->set_session_id(session_id_);
  reset->mutable_env_ids()->Add(env_ids.begin(), env_ids.end());
  reset->mutable_env_seeds()->Add(seeds.begin(), seeds.end());
  held_ = std::move(request);
  return absl::OkStatus();
}

absl::Status RemoteVecEnv::Send(const env::ActionBatch& actions, std::span<const int32_t> env_ids) {
  if (closed_) return absl::FailedPreconditionError("the remote env is closed");
  // Shape, dtype and range are checked here too, so errors surface at Send as in-process.
  std::vector<int32_t> ids(env_ids.begin(), env_ids.end());
  if (ids.empty()) {
    for (int32_t i = 0; i < pool_options_.num_envs; ++i) ids.push_back(i);
  }
  if (auto s = env::CheckActionBatch(spec_, actions, ids); !s.ok()) return s;
  if (auto s = FlushHeld(); !s.ok()) return s;
  v1::StreamRequest request;
  auto* step = request.mutable_step();
  step->set_session_id(session_id_);
  codec::ToProto(actions, step->mutable_action());
  step->mutable_env_ids()->Add(env_ids.begin(), env_ids.end());
  held_ = std::move(request);
  return absl::OkStatus();
}

absl::Status RemoteVecEnv::FlushHeld() {
  if (!held_) return absl::OkStatus();
  v1::StreamRequest request = std::move(*held_);
  held_.reset();
  if (request.has_reset()) request.mutable_reset()->set_no_wait(true);
  if (request.has_step()) request.mutable_step()->set_no_wait(true);
  request.set_request_id(next_request_id_++);
  if (stream_) {
    if (!StreamWrite(request)) return absl::UnavailableError("the step stream is broken");
    ++outstanding_acks_;
    return absl::OkStatus();
  }
  v1::StepResponse ignored;
  grpc::ClientContext context;
  grpc::Status status = request.has_reset() ? stub_->Reset(&context, request.reset(), &ignored)
                                            : stub_->Step(&context, request.step(), &ignored);
  return FromGrpc(status);
}

absl::Status RemoteVecEnv::DrainAcks() {
  absl::Status first_error;
  while (outstanding_acks_ > 0) {
    if (!StreamRead(&response_)) return absl::UnavailableError("the step stream is broken");
    --outstanding_acks_;
    if (response_.has_error() && first_error.ok()) {
      first_error = absl::Status(static_cast<absl::StatusCode>(response_.error().code()),
                                 response_.error().message());
    }
  }
  return first_error;
}

absl::Status RemoteVecEnv::Exchange(v1::StreamRequest& request, v1::StepResponse* result) {
  request.set_request_id(next_request_id_++);
  if (stream_) {
    if (!StreamWrite(request)) return absl::UnavailableError("the step stream is broken");
    if (auto s = DrainAcks(); !s.ok()) {
      // The request we just wrote still gets an answer; read it so the stream stays in step.
      if (StreamRead(&response_)) return s;
      return absl::UnavailableError("the step stream is broken");
    }
    if (!StreamRead(&response_)) return absl::UnavailableError("the step stream is broken");
    if (response_.has_error()) {
      return absl::Status(static_cast<absl::StatusCode>(response_.error().code()),
                          response_.error().message());
    }
    result->Swap(response_.mutable_result());
    return absl::OkStatus();
  }
  grpc::ClientContext context;
  grpc::Status status;
  switch (request.kind_case()) {
    case v1::StreamRequest::kReset: status = stub_->Reset(&context, request.reset(), result); break;
    case v1::StreamRequest::kStep: status = stub_->Step(&context, request.step(), result); break;
    default: status = stub_->Recv(&context, request.recv(), result); break;
  }
  return FromGrpc(status);
}

absl::StatusOr<const env::StepBatch*> RemoteVecEnv::Recv() {
  if (closed_) return absl::FailedPreconditionError("the remote env is closed");
  v1::StreamRequest request;
  if (held_) {
    request = std::move(*held_);
    held_.reset();
  } else {
    request.mutable_recv()->set_session_id(session_id_);
  }
  v1::StepResponse result;
  if (auto s = Exchange(request, &result); !s.ok()) return s;
  if (auto s = codec::FromProto(result, spec_, &batch_); !s.ok()) return s;
  return &batch_;
}

absl::StatusOr<int64_t> RemoteVecEnv::SaveState(std::span<const int32_t> env_ids) {
  if (auto s = FlushHeld(); !s.ok()) return s;
  if (stream_) {
    if (auto s = DrainAcks(); !s.ok()) return s;
  }
  v1::SaveStateRequest request;
  request.set_session_id(session_id_);
  request.mutable_env_ids()->Add(env_ids.begin(), env_ids.end());
  v1::SaveStateResponse response;
  grpc::ClientContext context;
  if (auto s = FromGrpc(stub_->SaveState(&context, request, &response)); !s.ok()) return s;
  return response.snapshot_id();
}

absl::StatusOr<const env::StepBatch*> RemoteVecEnv::RestoreState(int64_t snapshot) {
  if (auto s = FlushHeld(); !s.ok()) return s;
  if (stream_) {
    if (auto s = DrainAcks(); !s.ok()) return s;
  }
  v1::RestoreStateRequest request;
  request.set_session_id(session_id_);
  request.set_snapshot_id(snapshot);
  v1::StepResponse response;
  grpc::ClientContext context;
  if (auto s = FromGrpc(stub_->RestoreState(&context, request, &response)); !s.ok()) return s;
  if (auto s = codec::FromProto(response, spec_, &batch_); !s.ok()) return s;
  return &batch_;
}

absl::Status RemoteVecEnv::ReleaseState(int64_t snapshot) {
  v1::ReleaseStateRequest request;
  request.set_session_id(session_id_);
  request.set_snapshot_id(snapshot);
  v1::ReleaseStateResponse response;
  grpc::ClientContext context;
  return FromGrpc(stub_->ReleaseState(&context, request, &response));
}

absl::Status RemoteVecEnv::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  held_.reset();
  if (stream_) {
    (void)DrainAcks();
    int tag = 0;
    stream_->WritesDone(&tag);
    (void)Await(&tag);
    grpc::Status status;
    stream_->Finish(&status, &tag);
    (void)Await(&tag);
    stream_.reset();
    cq_.Shutdown();
    void* ignored_tag;
    bool ignored_ok;
    while (cq_.Next(&ignored_tag, &ignored_ok)) {
    }
  }
  v1::CloseSessionRequest request;
  request.set_session_id(session_id_);
  v1::CloseSessionResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return FromGrpc(stub_->CloseSession(&context, request, &response));
}

}  // namespace gridrl::client
