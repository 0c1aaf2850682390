// RemoteVecEnv: the VecEnv interface over gRPC, so code written for the in-process EnvPool runs
// unchanged against a gridrl-server (same seeds, same trajectories).
//
// Transport: by default one bidirectional StepStream per session. Send/SendReset are held back
// until the next Recv, which then travels as a single request (send and receive in one round
// trip); a second Send before Recv flushes the first as "no_wait", so the server sees exactly
// the calls an in-process pool would. With streaming off, the same happens over unary calls.
// The stream uses gRPC's asynchronous API on the env's own completion queue, one operation at a
// time (it measured a lower p99 step latency than the synchronous stream: bench/README.md).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "env/vec_env.h"
#include "gridrl/v1/env_service.grpc.pb.h"

namespace gridrl::client {

struct RemoteOptions {
  std::string address = "localhost:50051";  // host:port or unix:/path
  std::string env_id;
  std::vector<env::ConfigOverrides> configs;  // one shared, or one per env
  env::PoolOptions pool;
  bool streaming = true;
  int64_t max_message_bytes = 64 << 20;
};

class RemoteVecEnv final : public env::VecEnv {
 public:
  static absl::StatusOr<std::unique_ptr<RemoteVecEnv>> Connect(const RemoteOptions& options);
  ~RemoteVecEnv() override;

  const env::EnvSpec& spec() const override { return spec_; }
  const env::PoolOptions& options() const override { return pool_options_; }
  absl::Status SendReset(std::span<const int32_t> env_ids, std::optional<uint64_t> seed) override;
  absl::Status SendResetWithSeeds(std::span<const int32_t> env_ids,
                                  std::span<const uint64_t> seeds) override;
  absl::Status Send(const env::ActionBatch& actions, std::span<const int32_t> env_ids) override;
  absl::StatusOr<const env::StepBatch*> Recv() override;
  absl::StatusOr<int64_t> SaveState(std::span<const int32_t> env_ids) override;
  absl::StatusOr<const env::StepBatch*> RestoreState(int64_t snapshot) override;
  absl::Status ReleaseState(int64_t snapshot) override;
  absl::Status Close() override;

  const std::string& session_id() const { return session_id_; }

 private:
  RemoteVecEnv() = default;
  // Sends the held-back request with no_wait (its empty answer is read later).
  absl::Status FlushHeld();
  // Reads every outstanding no_wait answer (their errors are returned).
  absl::Status DrainAcks();
  absl::Status Exchange(v1::StreamRequest& request, v1::StepResponse* result);
  // The stream's operations, one at a time; false when the stream is broken.
  bool StreamWrite(const v1::StreamRequest& request);
  bool StreamRead(v1::StreamResponse* response);
  // Waits for the one outstanding operation on cq_ (tagged `tag`).
  bool Await(void* tag);

  RemoteOptions remote_;
  env::EnvSpec spec_;
  env::PoolOptions pool_options_;
  std::string session_id_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EnvService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> stream_context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::StreamRequest, v1::StreamResponse>> stream_;
  std::optional<v1::StreamRequest> held_;
  int outstanding_acks_ = 0;
  uint64_t next_request_id_ = 1;
  v1::StreamResponse response_;
  env::StepBatch batch_;
  bool closed_ = false;
};

// grpc::Status -> absl::Status (the same code numbering), for client code.
absl::Status FromGrpc(const grpc::Status& status);

}  // namespace gridrl::client
