// The gRPC adapter: decodes requests, checks them against the session's spec, drives the
// session's VecEnv, encodes the results. No physics lives here. absl::Status becomes a gRPC
// status in exactly one place (ToGrpcStatus).
#pragma once

#include <memory>

#include <grpcpp/grpcpp.h>

#include "gridrl/v1/env_service.grpc.pb.h"
#include "server/session_manager.h"

namespace gridrl::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

class EnvServiceImpl final : public v1::EnvService::Service {
 public:
  explicit EnvServiceImpl(SessionManager* sessions) : sessions_(sessions) {}

  grpc::Status ListEnvs(grpc::ServerContext*, const v1::ListEnvsRequest*,
                        v1::ListEnvsResponse*) override;
  grpc::Status GetSpec(grpc::ServerContext*, const v1::GetSpecRequest*,
                       v1::GetSpecResponse*) override;
  grpc::Status CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest*,
                             v1::CreateSessionResponse*) override;
  grpc::Status Reset(grpc::ServerContext*, const v1::ResetRequest*, v1::StepResponse*) override;
  grpc::Status Step(grpc::ServerContext*, const v1::StepRequest*, v1::StepResponse*) override;
  grpc::Status Recv(grpc::ServerContext*, const v1::RecvRequest*, v1::StepResponse*) override;
  grpc::Status StepStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::StreamResponse, v1::StreamRequest>* stream) override;
  grpc::Status SaveState(grpc::ServerContext*, const v1::SaveStateRequest*,
                         v1::SaveStateResponse*) override;
  grpc::Status RestoreState(grpc::ServerContext*, const v1::RestoreStateRequest*,
                            v1::StepResponse*) override;
  grpc::Status ReleaseState(grpc::ServerContext*, const v1::ReleaseStateRequest*,
                            v1::ReleaseStateResponse*) override;
  grpc::Status CloseSession(grpc::ServerContext*, const v1::CloseSessionRequest*,
                            v1::CloseSessionResponse*) override;

 private:
  absl::Status DoReset(const v1::ResetRequest& request, v1::StepResponse* response);
  absl::Status DoStep(const v1::StepRequest& request, v1::StepResponse* response);
  absl::Status DoRecv(const v1::RecvRequest& request, v1::StepResponse* response);
  // Looks the session up, holds its lock and marks it used while `fn(session)` runs.
  template <typename Fn>
  absl::Status WithSession(const std::string& session_id, Fn&& fn);

  SessionManager* sessions_;
  std::mutex spec_cache_mu_;
  std::unique_ptr<v1::ListEnvsResponse> list_cache_;
};

}  // namespace gridrl::server
