// GridrlServer: the environment service with grpc.health.v1 health checking and server
// reflection, on TCP and optionally a unix socket, with an idle-session reaper. Stop() drains:
// in-flight calls finish (up to a deadline), then every session closes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "server/agent_service.h"
#include "server/env_service.h"
#include "server/session_manager.h"

namespace gridrl::server {

struct ServerOptions {
  std::string address = "0.0.0.0:50051";  // host:port; port 0 picks a free one
  std::string unix_socket;                // e.g. /tmp/gridrl.sock; empty: none
  int64_t max_message_bytes = 64 << 20;
  ServerLimits limits;
  AgentLimits agent_limits;
};

class GridrlServer {
 public:
  static absl::StatusOr<std::unique_ptr<GridrlServer>> Start(const ServerOptions& options);
  ~GridrlServer();

  int port() const { return port_; }  // the TCP port actually bound
  const ServerOptions& options() const { return options_; }
  SessionManager& sessions() { return sessions_; }
  AgentServiceImpl& agents() { return agent_service_; }
  void Wait();
  void Stop(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));

 private:
  explicit GridrlServer(const ServerOptions& options);
  void ReaperLoop();

  ServerOptions options_;
  SessionManager sessions_;
  EnvServiceImpl service_;
  AgentServiceImpl agent_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace gridrl::server
