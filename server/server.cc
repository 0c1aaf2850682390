#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"

namespace gridrl::server {

GridrlServer::GridrlServer(const ServerOptions& options)
    : options_(options),
      sessions_(options.limits),
      service_(&sessions_),
      agent_service_(options.agent_limits) {}

absl::StatusOr<std::unique_ptr<GridrlServer>> GridrlServer::Start(const ServerOptions& options) {
  if (options.limits.max_sessions < 1) {
    return absl::InvalidArgumentError("max_sessions must be >= 1");
  }
  if (options.max_message_bytes < 1024) {
    return absl::InvalidArgumentError("max_message_bytes must be >= 1024");
  }
  std::unique_ptr<GridrlServer> server(new GridrlServer(options));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &server->port_);
  if (!options.unix_socket.empty()) {
    builder.AddListeningPort(absl::StrCat("unix:", options.unix_socket),
                             grpc::InsecureServerCredentials());
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  builder.RegisterService(&server->service_);
  builder.RegisterService(&server->agent_service_);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("could not listen on ", options.address,
                                               options.unix_socket.empty()
                                                   ? ""
                                                   : absl::StrCat(" and unix:", options.unix_socket),
                                               " (address in use or not permitted?)"));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  server->server_->GetHealthCheckService()->SetServingStatus("gridrl.v1.EnvService", true);
  server->server_->GetHealthCheckService()->SetServingStatus("gridrl.v1.AgentService", true);
  server->reaper_ = std::thread([s = server.get()] { s->ReaperLoop(); });
  return server;
}

GridrlServer::~GridrlServer() { Stop(std::chrono::milliseconds(1000)); }

void GridrlServer::ReaperLoop() {
  const auto period = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(1000),
      std::max<std::chrono::milliseconds>(std::chrono::milliseconds(10),
                                          options_.limits.idle_timeout / 4));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, period);
    if (stopping_) break;
    lock.unlock();
    sessions_.ReapIdle();
    lock.lock();
  }
}

void GridrlServer::Wait() {
  if (server_) server_->Wait();
}

void GridrlServer::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  if (server_) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + deadline);
  }
  sessions_.CloseAll();
}

}  // namespace gridrl::server
