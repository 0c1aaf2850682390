// The gRPC adapter: decodes requests, checks them against the session's spec, drives the
// session's VecEnv, encodes the results. No physics lives here. absl::Status becomes a gRPC
// status in exactly one place (ToGrpcStatus).
//
// The stepping calls (Reset, Step, Recv and StepStream) are served with gRPC's callback (reactor)
// API, the other methods with the synchronous one. A stepping call is handled on the gRPC
// callback thread that read it, which saves a hand-over to a handler thread and back, as long as
// recent calls of the same kind on the same session were cheap (under the inline budget). The
// first call of a kind on a session (cost unknown) and any after an expensive one (a slow
// environment, a long Recv) go to a worker thread, so a long step does not hold gRPC's few
// callback threads that health checks and other sessions need. Requests on one stream are served
// one at a time, in order.
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

// A stepping call is handled inline (on gRPC's callback thread) while recent calls of its kind
// on its session took less than this each; a stall of other callback work is bounded by about
// this much unless an environment's cost jumps by orders of magnitude from one call to the next.
inline constexpr std::chrono::microseconds kDefaultInlineBudget{500};

// Which recent cost of a session a call consults (Session::recent_cost_us).
enum class CallKind { kReset = 0, kStep = 1, kRecv = 2 };

class EnvServiceImpl final
    : public v1::EnvService::WithCallbackMethod_Reset<v1::EnvService::WithCallbackMethod_Step<
          v1::EnvService::WithCallbackMethod_Recv<
              v1::EnvService::WithCallbackMethod_StepStream<v1::EnvService::Service>>>> {
 public:
  explicit EnvServiceImpl(SessionManager* sessions,
                          std::chrono::microseconds inline_budget =
                              kDefaultInlineBudget)
      : sessions_(sessions), inline_budget_(inline_budget) {}

  grpc::Status ListEnvs(grpc::ServerContext*, const v1::ListEnvsRequest*,
                        v1::ListEnvsResponse*) override;
  grpc::Status GetSpec(grpc::ServerContext*, const v1::GetSpecRequest*,
                       v1::GetSpecResponse*) override;
  grpc::Status CreateSession(grpc::ServerContext*, const v1::CreateSessionRequest*,
                             v1::CreateSessionResponse*) override;
  grpc::ServerUnaryReactor* Reset(grpc::CallbackServerContext*, const v1::ResetRequest*,
                                  v1::StepResponse*) override;
  grpc::ServerUnaryReactor* Step(grpc::CallbackServerContext*, const v1::StepRequest*,
                                 v1::StepResponse*) override;
  grpc::ServerUnaryReactor* Recv(grpc::CallbackServerContext*, const v1::RecvRequest*,
                                 v1::StepResponse*) override;
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
  // Runs `serve` (which answers the call) on this thread when recent `kind` calls on the session
  // were cheap, else on a worker thread, and records how long it took.
  void Schedule(const std::string& session_id, CallKind kind, std::function<void()> serve);

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
  const std::chrono::microseconds inline_budget_;
  WorkerPool workers_{256};
};

}  // namespace gridrl::server
