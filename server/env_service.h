// The gRPC adapter: decodes requests, checks them against the session's spec, drives the
// session's VecEnv, encodes the results. No physics lives here. absl::Status becomes a gRPC
// status in exactly one place (ToGrpcStatus).
//
// StepStream is served with gRPC's callback (reactor) API, the other methods with the
// synchronous one. A stream request is handled on the gRPC callback thread that read it, which
// saves a hand-over to a handler thread and back, as long as recent requests of the same kind on
// the same session were cheap (under the inline budget). The first request of a kind on a session
// (cost unknown) and any after an expensive one (a slow environment, a long Recv) go to a worker
// thread, so a long step does not hold gRPC's few callback threads that health checks and other
// streams need. Requests on one stream are served one at a time, in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gridrl/v1/env_service.grpc.pb.h"
#include "server/session_manager.h"

namespace gridrl::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

// Runs tasks on worker threads, started on demand (one per task running at once, up to
// max_threads; beyond that tasks queue) and kept for reuse. The destructor runs what is queued
// and joins the threads.
class WorkerPool {
 public:
  explicit WorkerPool(int max_threads) : max_threads_(max_threads) {}
  ~WorkerPool();
  void Run(std::function<void()> task);

 private:
  void Loop();

  const int max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stopping_ = false;
};

// A stream request is handled inline (on gRPC's callback thread) while recent requests of its kind
// on its session took less than this each; a stall of other callback work is bounded by about
// this much unless an environment's cost jumps by orders of magnitude from one call to the next.
inline constexpr std::chrono::microseconds kDefaultStreamInlineBudget{500};

class EnvServiceImpl final
    : public v1::EnvService::WithCallbackMethod_StepStream<v1::EnvService::Service> {
 public:
  explicit EnvServiceImpl(SessionManager* sessions,
                          std::chrono::microseconds stream_inline_budget =
                              kDefaultStreamInlineBudget)
      : sessions_(sessions), stream_inline_budget_(stream_inline_budget) {}

  grpc::Status ListEnvs(grpc::ServerContext*, const v1::ListEnvsRequest*,
                        v1::ListEnvsResponse*) override;
  grpc::Status GetSpec(grpc::ServerContext*, const v1::GetSpecRequest*,
                       v1::GetSpecResponse*) override;
  grpc::Status CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest*,
                             v1::CreateSessionResponse*) override;
  grpc::Status Reset(grpc::ServerContext*, const v1::ResetRequest*, v1::StepResponse*) override;
  grpc::Status Step(grpc::ServerContext*, const v1::StepRequest*, v1::StepResponse*) override;
  grpc::Status Recv(grpc::ServerContext*, const v1::RecvRequest*, v1::StepResponse*) override;
  grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* StepStream(
      grpc::CallbackServerContext* context) override;
  grpc::Status SaveState(grpc::ServerContext*, const v1::SaveStateRequest*,
                         v1::SaveStateResponse*) override;
  grpc::Status RestoreState(grpc::ServerContext*, const v1::RestoreStateRequest*,
                            v1::StepResponse*) override;
  grpc::Status ReleaseState(grpc::ServerContext*, const v1::ReleaseStateRequest*,
                            v1::ReleaseStateResponse*) override;
  grpc::Status CloseSession(grpc::ServerContext*, const v1::CloseSessionRequest*,
                            v1::CloseSessionResponse*) override;

  // Serves one stream request; an error travels in response->error.
  void HandleStreamRequest(const v1::StreamRequest& request, v1::StreamResponse* response);
  std::chrono::microseconds stream_inline_budget() const { return stream_inline_budget_; }
  WorkerPool& workers() { return workers_; }

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
  const std::chrono::microseconds stream_inline_budget_;
  WorkerPool workers_{256};
};

}  // namespace gridrl::server
