// `gridrl health`: asks a server's grpc.health.v1 service whether it is serving (exit 0) or not
// (exit 1). The container's HEALTHCHECK uses it.
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace gridrl::cli {
namespace {

absl::Status RunHealth(const Args& args) {
  const std::string address = args.GetOr("address", "localhost:50051");
  const std::string service = args.GetOr("service", "");
  auto timeout = args.GetDouble("timeout-s", 3.0);
  if (!timeout.ok()) return timeout.status();
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(*timeout * 1000)));
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat(address, ": ", status.error_message()));
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(absl::StrCat(address, ": not serving (status ",
                                               static_cast<int>(response.status()), ")"));
  }
  std::cout << address << ": SERVING\n";
  return absl::OkStatus();
}

GRIDRL_COMMAND({.name = "health",
                .summary = "check that a gridrl server is serving (exit status 0)",
                .usage = "gridrl health [--address HOST:PORT] [--service NAME] [--timeout-s S]\n"
                         "  Calls grpc.health.v1.Health/Check; exit 0 when SERVING.",
                .run = RunHealth});

}  // namespace
}  // namespace gridrl::cli
